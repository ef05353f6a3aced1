#!/usr/bin/env bash
# Accepted and delivered messages per second over loopback: Postfix's smtp-source (20
# sessions, one 1 KB message per connection) -> the relay -> Postfix's smtp-sink as the
# smarthost (it discards), with 10 and with 100,000 trusted entries (the client's
# address last). "accepted" ends when smtp-source has its last 250 (relayd fsyncs every
# message before it); "delivered" ends when the relay's queue is empty again, every
# message handed to the sink.
#
# Beside relayd, when this runs as root with Debian's postfix package, a private
# Postfix instance does the same job: its own main.cf and master.cf in a temp folder
# (postfix -c; the system's /etc/postfix is only read, never written), mynetworks =
# cidr:FILE with the same list, permit_mynetworks then reject_unauth_destination,
# relayhost the same sink. The servers alternate, 3 runs each; medians are printed.
# Loopback only; everything it started is stopped by pid at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH=$PATH:/usr/sbin:/sbin
for t in smtp-source smtp-sink bc; do
  command -v $t >/dev/null || { echo "needs $t (apt-get install postfix bc)" >&2; exit 1; }
done
MESSAGES=${MESSAGES:-4000}
RUNS=${RUNS:-3}
cargo build --release -q -p relayd -p relayctl
B=$PWD/target/release
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(free_port)
pport=$(free_port)
sport=$(free_port)
pids=()
postfix_on=0
cleanup() {
  [ $postfix_on = 1 ] && postfix -c "$work/pf/etc" stop >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The smarthost: accepts and discards, as fast as this machine's loopback allows.
sink_user=postfix; id postfix >/dev/null 2>&1 || sink_user=nobody
smtp-sink -u "$sink_user" "127.0.0.1:$sport" 1024 &
pids+=($!)

ctl() { "$B/relayctl" --store "$work/store" "$@" >/dev/null; }
ctl -create . /config/relayd
ctl -createprop . /config/relayd listen "127.0.0.1:$rport"
ctl -createprop . /config/relayd max_connections 1000
ctl -createprop . /config/relayd max_connections_per_client 1000
ctl -createprop . /config/relayd relayhost "[127.0.0.1]:$sport"
ctl -createprop . /config/relayd relayhost_tls none
# Where a list is scanned top to bottom (Postfix's cidr tables) the client's entry
# last is the worst case; relayd's lookup does not care.
entries() { python3 -c "
import sys
n = int(sys.argv[1])
for i in range(n - 1):
    print(f'10.{i>>16}.{(i>>8)&255}.{i&255}' if n > 10 else f'192.0.2.{i+1}')
print('127.0.0.1')" "$1"; }
entries 10 | "$B/relayctl" --store "$work/store" relay import - >/dev/null
RELAYD_LOG=warn "$B/relayd" --store "$work/store" 2>"$work/relayd.log" &
pids+=($!)

if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null && [ -d /usr/lib/postfix/sbin ]; then
  pf=$work/pf
  mkdir -p "$pf/etc" "$pf/spool" "$pf/data"
  chmod 755 "$work" "$pf"  # Postfix's daemons run as the postfix user
  # Debian's master.cf (it defines the postlog service maillog_file needs), with smtpd
  # on our port and nothing chrooted.
  cp /etc/postfix/master.cf "$pf/etc/master.cf"
  sed -i -E "s/^smtp +inet .*smtpd\$/127.0.0.1:$pport inet n - n - - smtpd/; s/^([a-z0-9]+ +(unix|fifo|pass|unix-dgram) +[-ny] +[-ny] +)y/\\1n/" "$pf/etc/master.cf"
  entries 10 | sed 's|$|/32 OK|' > "$pf/etc/trusted.cidr"
  cat > "$pf/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $pf/spool
data_directory = $pf/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.test
mydestination =
mynetworks = cidr:$pf/etc/trusted.cidr
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [127.0.0.1]:$sport
smtp_tls_security_level = none
maillog_file_prefixes = /tmp, $work
maillog_file = $pf/maillog
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
CF
  chown -R postfix "$pf/data"
  # postfix reports only to syslog unless on a terminal: script(1) gives it one.
  if script -qec "postfix -c $pf/etc start" /dev/null > "$work/postfix-start.log" 2>&1; then
    postfix_on=1
  else
    echo "Postfix did not start:" >&2; cat "$work/postfix-start.log" "$pf/maillog" >&2 2>/dev/null || true
  fi
fi
sleep 1

queued() { find "$@" -type f 2>/dev/null | wc -l; }
drain() { # folders...: waits (at most 120 s) until no message is in them
  local deadline=$((SECONDS + 120))
  while [ "$(queued "$@")" != 0 ]; do
    [ $SECONDS -ge $deadline ] && { echo "queue did not drain" >&2; return 1; }
    sleep 0.02
  done
}
median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
run_once() { # port folders...: prints "accepted delivered" msgs/s
  local port=$1; shift
  drain "$@"
  local t0 t1 t2
  t0=$(date +%s.%N)
  smtp-source -s 20 -l 1024 -m "$MESSAGES" -f bench@example.com -t someone@remote.example "127.0.0.1:$port"
  t1=$(date +%s.%N)
  drain "$@"
  t2=$(date +%s.%N)
  echo "$(echo "$MESSAGES / ($t1 - $t0)" | bc -l) $(echo "$MESSAGES / ($t2 - $t0)" | bc -l)"
}
report() { # label results-file
  printf "%-34s accepted %6.0f msgs/s   delivered %6.0f msgs/s\n" "$1" \
    "$(cut -d' ' -f1 "$2" | median)" "$(cut -d' ' -f2 "$2" | median)"
}
both() { # entries-label
  : > "$work/r.txt"; : > "$work/p.txt"
  for _ in $(seq "$RUNS"); do
    run_once "$rport" "$work/store/spool/queue" >> "$work/r.txt"
    if [ $postfix_on = 1 ]; then
      run_once "$pport" "$pf/spool/maildrop" "$pf/spool/incoming" "$pf/spool/active" "$pf/spool/deferred" >> "$work/p.txt"
    fi
  done
  report "relayd, $1" "$work/r.txt"
  [ $postfix_on = 1 ] && report "postfix, $1" "$work/p.txt"
  return 0
}
both "10 trusted entries"
entries 100000 | "$B/relayctl" --store "$work/store" --wait --wait-timeout 30 relay import --replace - >/dev/null
if [ $postfix_on = 1 ]; then
  entries 100000 | sed 's|$|/32 OK|' > "$pf/etc/trusted.cidr"
  postfix -c "$pf/etc" reload >/dev/null 2>&1
  sleep 2
fi
both "100,000 trusted entries"
[ $postfix_on = 1 ] || echo "(Postfix not measured: needs root and Debian's postfix package)"
