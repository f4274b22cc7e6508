#!/usr/bin/env bash
# Scan time for 500 functions against moto at concurrency 1 and 8, and API calls per function
# (tests/benches/scan.rs). Needs moto: source scripts/python-deps.sh installs it.
# These machines are shared: compare the medians' ratio and the calls, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-deps.sh
pip_install "moto[server]==${MOTO_VERSION}"
# The dev profile: the work is waiting on moto, and the release profile (LTO, one codegen unit)
# would rebuild the AWS SDK for minutes.
cargo bench --profile dev -p warden-tests --bench scan "$@"
