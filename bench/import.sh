#!/usr/bin/env bash
# Times `relayctl relay import` of 100,000 entries into a fresh store (the bar: under 2 s),
# then a merge of the same file into the full store (nothing new: no write), then a
# --replace with a different 100,000. Release build; each figure is the median of 5 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p relayctl
bin=$PWD/target/release/relayctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/a.txt", "w") as f:
    for i in range(100_000):
        f.write(f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}\n")
with open(f"{d}/b.txt", "w") as f:
    for i in range(100_000):
        f.write(f"172.{16 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}/32\n")
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # label, setup, command...
  local label=$1 setup=$2; shift 2
  for _ in 1 2 3 4 5; do
    eval "$setup"
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done | median | xargs printf "%-40s %.3f s\n" "$label"
}
export RELAY_STORE=$work/store
run "import 100000 into an empty store" 'rm -rf "$RELAY_STORE"' "$bin" relay import "$work/a.txt"
run "import the same 100000 again (merge)" ':' "$bin" relay import "$work/a.txt"
run "import --replace with another 100000" '"$bin" relay import --replace "$work/a.txt" >/dev/null' "$bin" relay import --replace "$work/b.txt"
run "relay check with 100000 entries" ':' "$bin" relay check 172.16.1.1
ls -l "$RELAY_STORE/domain.plist" | awk '{print "store file: " $5 " bytes"}'
