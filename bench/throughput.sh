#!/usr/bin/env bash
# Accepted-and-spooled messages per second over loopback, one message per connection,
# 20 parallel sessions (Postfix's smtp-source, from Debian's postfix package), against
# release relayd with 10 and with 100,000 trusted entries; every 250 is fsynced first.
# Median of 3 runs of 4,000 messages each. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v smtp-source >/dev/null || PATH=$PATH:/usr/sbin
command -v smtp-source >/dev/null || { echo "needs smtp-source (apt-get install postfix)" >&2; exit 1; }
cargo build --release -q -p relayd -p relayctl
B=$PWD/target/release
work=$(mktemp -d)
trap 'pkill -f "relayd --store $work" || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ctl() { "$B/relayctl" --store "$work/store" "$@" >/dev/null; }
ctl -create . /config/relayd
ctl -createprop . /config/relayd listen "127.0.0.1:$port"
ctl -createprop . /config/relayd max_connections 1000
ctl -createprop . /config/relayd max_connections_per_client 1000
python3 -c 'print("\n".join(f"192.0.2.{i}" for i in range(1, 9)))' | "$B/relayctl" --store "$work/store" relay import - >/dev/null
RELAYD_LOG=warn "$B/relayd" --store "$work/store" 2>"$work/relayd.log" &
sleep 1
measure() {
  for _ in 1 2 3; do
    local t0 t1
    # Start each run from an empty queue, as a delivering relay would be.
    find "$work/store/spool/queue" -type f -delete
    sync
    t0=$(date +%s.%N)
    smtp-source -s 20 -m 4000 -f bench@example.com -t someone@remote.example "127.0.0.1:$port"
    t1=$(date +%s.%N)
    echo "4000 / ($t1 - $t0)" | bc -l
  done | sort -n | sed -n 2p | xargs printf "%-28s %6.0f msgs/s\n" "$1"
}
measure "10 trusted entries"
measure "10 trusted entries (again)"
python3 -c 'print("\n".join(f"10.{i>>16}.{(i>>8)&255}.{i&255}" for i in range(100000)))' \
  | "$B/relayctl" --store "$work/store" --wait --wait-timeout 30 relay import - >/dev/null
measure "100,010 trusted entries"
echo "queued in the last run: $(ls "$work/store/spool/queue" | wc -l) files"
