#!/usr/bin/env bash
# Everything CI checks: formatting, lints, the SAM template, and the tests (which start moto
# on 127.0.0.1 themselves). Needs: cargo (with rustfmt and clippy), python3 with pip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-deps.sh

echo "Installing moto ${MOTO_VERSION}, cargo-lambda ${CARGO_LAMBDA_VERSION} and cfn-lint ${CFN_LINT_VERSION} (pip)..."
pip_install "moto[server]==${MOTO_VERSION}" "cargo-lambda==${CARGO_LAMBDA_VERSION}" "cfn-lint==${CFN_LINT_VERSION}"
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cfn-lint template.yaml template-member.yaml"
cfn-lint template.yaml template-member.yaml
echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary: "tests: N passed, N failed, N skipped".
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1); if ($i ~ /^ignored/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
