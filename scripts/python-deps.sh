# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
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
