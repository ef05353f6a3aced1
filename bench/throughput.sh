#!/usr/bin/env bash
# Accepted-and-spooled messages per second over loopback, one message per connection, 20
# parallel sessions (Postfix's smtp-source), with 10 and with 100,000 trusted entries;
# relayd fsyncs every message before its 250. When Postfix is installed and this runs as
# root, a private Postfix instance (its own config and queue in a temp folder, listening
# on loopback, the trusted list as a cidr check_client_access table, delivery discarded)
# is measured side by side, interleaved with relayd so both see the same disk.
# Median of 3 runs of 4,000 messages. Loopback only; everything stops at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH=$PATH:/usr/sbin:/sbin
command -v smtp-source >/dev/null || { echo "needs smtp-source (apt-get install postfix)" >&2; exit 1; }
cargo build --release -q -p relayd -p relayctl
B=$PWD/target/release
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(free_port)
pport=$(free_port)
postfix_on=0
cleanup() {
  pkill -f "relayd --store $work" || true
  [ $postfix_on = 1 ] && postfix -c "$work/pf/etc" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ctl() { "$B/relayctl" --store "$work/store" "$@" >/dev/null; }
ctl -create . /config/relayd
ctl -createprop . /config/relayd listen "127.0.0.1:$rport"
ctl -createprop . /config/relayd max_connections 1000
ctl -createprop . /config/relayd max_connections_per_client 1000
# The client (127.0.0.1) is the list's last entry: where a list is scanned top to bottom
# (Postfix's cidr tables) that is the worst case; relayd's lookup does not care.
entries() { python3 -c "
import sys
n = int(sys.argv[1])
for i in range(n - 1):
    print(f'10.{i>>16}.{(i>>8)&255}.{i&255}' if n > 10 else f'192.0.2.{i+1}')
print('127.0.0.1')" "$1"; }
entries 10 | "$B/relayctl" --store "$work/store" relay import - >/dev/null
RELAYD_LOG=warn "$B/relayd" --store "$work/store" 2>"$work/relayd.log" &

if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null && [ -d /usr/lib/postfix/sbin ]; then
  pf=$work/pf
  mkdir -p "$pf/etc" "$pf/spool" "$pf/data"
  chmod 755 "$work" "$pf"  # Postfix's daemons run as the postfix user
  # Debian's master.cf (it defines the postlog service maillog_file needs).
  cp /etc/postfix/master.cf "$pf/etc/master.cf"
  sed -i -E "s/^smtp +inet .*smtpd\$/127.0.0.1:$pport inet n - n - - smtpd/; s/^([a-z0-9]+ +(unix|fifo|pass|unix-dgram) +[-ny] +[-ny] +)y/\\1n/" "$pf/etc/master.cf"
  entries 10 | sed 's|$|/32 permit|' > "$pf/etc/trusted.cidr"
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
mynetworks =
smtpd_relay_restrictions = check_client_access cidr:$pf/etc/trusted.cidr, reject_unauth_destination
default_transport = discard
relay_transport = discard
maillog_file_prefixes = /tmp, $work
maillog_file = $pf/maillog
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
CF
  chown -R postfix "$pf/data"
  # postfix -c needs the default configuration to name this one.
  if [ ! -f /etc/postfix/main.cf ]; then
    printf 'compatibility_level = 3.6\nmaillog_file_prefixes = /tmp\n' > /etc/postfix/main.cf
  fi
  sed -i '/^alternate_config_directories/d' /etc/postfix/main.cf
  echo "alternate_config_directories = $pf/etc" >> /etc/postfix/main.cf
  # postfix reports only to syslog unless on a terminal: script(1) gives it one.
  if script -qec "postfix -c $pf/etc start" /dev/null > "$work/postfix-start.log" 2>&1; then
    postfix_on=1
  else
    echo "Postfix did not start:" >&2; cat "$work/postfix-start.log" "$pf/maillog" >&2 2>/dev/null || true
  fi
fi
sleep 1

measure() { # label port queue-folder
  for _ in 1 2 3; do
    find "$3" -type f -delete 2>/dev/null || true
    sync
    local t0 t1
    t0=$(date +%s.%N)
    smtp-source -s 20 -m 4000 -f bench@example.com -t someone@remote.example "127.0.0.1:$2"
    t1=$(date +%s.%N)
    echo "4000 / ($t1 - $t0)" | bc -l
  done | sort -n | sed -n 2p | xargs printf "%-34s %6.0f msgs/s\n" "$1"
}
both() { # entries-label
  measure "relayd, $1" "$rport" "$work/store/spool/queue"
  [ $postfix_on = 1 ] && measure "postfix, $1" "$pport" "$work/pf/spool/deferred"
  return 0
}
both "10 trusted entries"
entries 100000 | "$B/relayctl" --store "$work/store" --wait --wait-timeout 30 relay import --replace - >/dev/null
if [ $postfix_on = 1 ]; then
  entries 100000 | sed 's|$|/32 permit|' > "$work/pf/etc/trusted.cidr"
  postfix -c "$work/pf/etc" reload >/dev/null 2>&1
  sleep 2
fi
both "100,000 trusted entries"
[ $postfix_on = 1 ] || echo "(Postfix not measured: needs root and Debian's postfix package)"
