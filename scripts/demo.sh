#!/usr/bin/env bash
# lambda-warden's local demo: the real lambda-events function, run by `cargo lambda watch`,
# receives the sample CloudTrail events in events/ and acts on a moto account on 127.0.0.1.
# Needs: cargo, python3 with pip. Installs moto and cargo-lambda with pip (pinned versions).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-deps.sh

echo "Installing moto ${MOTO_VERSION} and cargo-lambda ${CARGO_LAMBDA_VERSION} (pip)..."
pip_install "moto[server]==${MOTO_VERSION}" "cargo-lambda==${CARGO_LAMBDA_VERSION}"

echo "Building lambda-events and the demo..."
cargo build --quiet --package lambda-events --package warden-tests --bin lambda-events --bin demo

# The demo starts moto and cargo lambda watch itself and stops them when it ends.
cargo run --quiet --package warden-tests --bin demo
