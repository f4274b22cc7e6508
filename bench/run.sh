#!/usr/bin/env bash
# Runs the pure-pipeline benchmark and prints the medians criterion measured.
# These machines are shared: compare the medians (and their ratios), not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p warden-rules --bench pipeline -- --noplot "$@"
for f in target/criterion/*/new/estimates.json target/criterion/*/*/new/estimates.json; do
  [ -f "$f" ] || continue
  name=${f#target/criterion/}; name=${name%/new/estimates.json}
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(f"{sys.argv[2]:40s} median {e[\"median\"][\"point_estimate\"]/1000:10.2f} us")' "$f" "$name"
done
