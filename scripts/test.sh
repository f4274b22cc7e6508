#!/usr/bin/env bash
# Everything CI checks: formatting, lints, the SAM template, and the tests (which start moto
# on 127.0.0.1 themselves). Needs: cargo (with rustfmt and clippy), python3 with pip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-deps.sh

echo "Installing moto ${MOTO_VERSION}, cargo-lambda ${CARGO_LAMBDA_VERSION}, cfn-lint ${CFN_LINT_VERSION}, the SAM CLI ${SAM_CLI_VERSION} and zig ${ZIGLANG_VERSION} (pip)..."
pip_install "moto[server]==${MOTO_VERSION}" "cargo-lambda==${CARGO_LAMBDA_VERSION}" "cfn-lint==${CFN_LINT_VERSION}" \
    "aws-sam-cli==${SAM_CLI_VERSION}" "ziglang==${ZIGLANG_VERSION}"
echo "Installing Checkov ${CHECKOV_VERSION} (pip, in target/checkov-venv)..."
venv_install target/checkov-venv "checkov==${CHECKOV_VERSION}"
# Nothing leaves the machine: no SAM CLI telemetry.
export SAM_CLI_TELEMETRY=0
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
echo "== sam validate --lint"
sam validate --lint --template template.yaml
sam validate --lint --template template-member.yaml
echo "== checkov (flags that do not apply are skipped in the template with the reason; see the README)"
target/checkov-venv/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml -f template-member.yaml
echo "== sam build (cargo lambda build --release --arm64 of every function)"
# The SAM CLI looks for cargo lambda's output in ./target, wherever CARGO_TARGET_DIR points.
env -u CARGO_TARGET_DIR sam build
# The deployment packages: each function's bootstrap, zipped by cargo lambda (already built).
for function in $(sed -n 's/^ *Binary: *//p' template.yaml); do
    env -u CARGO_TARGET_DIR cargo lambda build --quiet --release --arm64 --output-format zip --bin "$function"
    printf '%-14s arm64 bootstrap %9d bytes, zipped %9d bytes\n' "$function" \
        "$(wc -c <"target/aarch64-unknown-linux-gnu/release/$function")" \
        "$(wc -c <"target/lambda/$function/bootstrap.zip")"
done
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
