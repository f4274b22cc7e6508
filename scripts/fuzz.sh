#!/usr/bin/env bash
# Runs each cargo-fuzz (libFuzzer) target for SECONDS seconds (default 300), starting from the
# committed corpus in fuzz/corpus/<target>/, and prints libFuzzer's closing statistics
# (executions, coverage). Crashes are written to fuzz/artifacts/<target>/.
#
# Needs a nightly toolchain (`rustup toolchain install nightly`; cargo-fuzz uses
# -Zsanitizer=address) and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# CI does not fuzz: `cargo test` replays the corpus and artifacts on stable
# (shared/rules/tests/fuzz_corpus.rs).
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(trigger_parse policy_parse)
fi
python3 fuzz/seed.py
# Build where CARGO_TARGET_DIR points (fuzz/target otherwise).
target_dir=()
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    target_dir=(--target-dir "${CARGO_TARGET_DIR}/fuzz")
fi
for target in "${targets[@]}"; do
    echo "== fuzzing ${target} for ${seconds} s"
    mkdir -p "fuzz/artifacts/${target}"
    log="$(mktemp)"
    # -rss_limit_mb bounds memory (an unbounded allocation is a finding); -max_len allows
    # inputs the size of a real EventBridge event (256 KiB).
    set +e
    (cd fuzz && cargo +nightly fuzz run "${target_dir[@]}" "${target}" -- \
        -max_total_time="${seconds}" -rss_limit_mb=2048 -max_len=262144 \
        -print_final_stats=1) >"${log}" 2>&1
    status=$?
    set -e
    # libFuzzer's first and last status lines (cov: edges, ft: features, corp: corpus,
    # exec/s) and its final statistics.
    grep -E "^#[0-9]+[[:space:]]+INITED" "${log}" | head -n 1 || true
    grep -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)" "${log}" | tail -n 1 || true
    grep -E "^stat::|ERROR|panicked|deadly signal" "${log}" || true
    if [ "${status}" -ne 0 ]; then
        tail -n 40 "${log}"
    fi
    rm -f "${log}"
    if [ "${status}" -ne 0 ]; then
        echo "fuzz target ${target} failed; see fuzz/artifacts/${target}/" >&2
        exit "${status}"
    fi
done
