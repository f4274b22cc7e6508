# Shared by scripts/demo.sh, scripts/test.sh and the benchmarks of bench/peers/ (sourced, not run).
# Installs the pinned Python tools the demo and the tests use, with the interpreter's pip.

# Versions the project is tested with.
MOTO_VERSION="5.2.1"
CARGO_LAMBDA_VERSION="1.9.2"
CFN_LINT_VERSION="1.51.0"
SAM_CLI_VERSION="1.161.1"
ZIGLANG_VERSION="0.17.1"
CHECKOV_VERSION="3.3.30"

# pip_install PACKAGE...: installs with pip; on a system Python that refuses (PEP 668,
# "externally-managed-environment"), retries with --break-system-packages.
pip_install() {
    local log
    log="$(mktemp)"
    if ! PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check "$@" 2>"$log"; then
        if grep -q externally-managed "$log"; then
            PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
                --break-system-packages "$@"
        else
            cat "$log" >&2
            rm -f "$log"
            return 1
        fi
    fi
    rm -f "$log"
    # Console scripts (moto_server, cargo-lambda, cfn-lint) land in the interpreter's scripts
    # directory, or in the user's when pip installed with --user.
    PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
    PATH="$(python3 -c 'import site; print(site.USER_BASE)')/bin:$PATH"
    export PATH
}

# venv_install DIR PACKAGE...: installs into a virtual environment of its own at DIR (created
# when missing), for tools whose pinned dependencies clash with the others' (Checkov pins its
# own boto3). Run its tools as DIR/bin/TOOL: the environment stays out of PATH, where its
# python3 would hide the interpreter the other tools were installed for (cargo-lambda finds
# zig through it).
venv_install() {
    local dir="$1"
    shift
    if [ ! -x "$dir/bin/python" ]; then
        python3 -m venv "$dir"
    fi
    PIP_ROOT_USER_ACTION=ignore "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

# peer_setup DIR C7N_VERSION: moto (pinned above) for the interpreter, and Cloud Custodian
# C7N_VERSION in the virtual environment DIR, each installed only when missing or another
# version: what the benchmarks against Custodian (bench/peers/) need.
peer_setup() {
    local dir="$1" version="$2"
    if ! python3 -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
        pip_install "moto[server]==${MOTO_VERSION}"
    fi
    if [ ! -x "$dir/bin/custodian" ] || ! "$dir/bin/pip" show c7n 2>/dev/null | grep -qx "Version: $version"; then
        venv_install "$dir" "c7n==$version"
    fi
}
