#!/usr/bin/env bash
# Cold start and per-event cost of lambda-warden's lambda-events function against Cloud
# Custodian's (c7n) Lambda handler, each run as a Lambda function would run it: as a process
# polling a local Lambda Runtime API (bench/peers/runtime_api.py, standard library only), on
# the same moto account.
#
# The two functions:
#   lambda-warden  the release lambda-events binary (LW_EVENTS_BIN, else built here with
#                  cargo build --release -p lambda-events), the provided.al2023 way: the
#                  binary is the runtime. WARDEN_MODE=report (no tag, no fix), no state table,
#                  no alert topic, WARDEN_RULES=LW001,LW002,LW003 (LW_RULES; "default": the
#                  default rule set), WARDEN_SELF_ROLE_ARNS / WARDEN_SELF_FUNCTION_ARNS as the
#                  template sets them. 256 MB, 60 s, as template.yaml deploys it.
#   Custodian      c7n's function package as `custodian run` would deploy it: config.json and
#                  custodian_policy.py taken from c7n's own packaging (mu.PolicyLambda
#                  .get_archive) of one policy, mode cloudtrail on aws.lambda, events
#                  CreateFunction20150331, AddPermission20150331 and AddPermission20150331v2
#                  (the name CloudTrail gives AddPermission, as in the sample event), ids
#                  requestParameters.functionName, filter cross-account, no action. Its handler
#                  custodian_policy.run (c7n.handler.dispatch_event) runs under AWS's Python
#                  runtime interface client, `python -m awslambdaric custodian_policy.run`, in
#                  the package's directory (LAMBDA_TASK_ROOT, AWS_EXECUTION_ENV as Lambda sets
#                  them), c7n and boto3 from its virtual environment (target/peers/custodian).
#                  512 MB, 900 s, c7n's packaging defaults.
# Both get AWS_LAMBDA_RUNTIME_API, the Lambda variables (AWS_LAMBDA_FUNCTION_NAME,
# _MEMORY_SIZE, _VERSION, AWS_LAMBDA_LOG_GROUP_NAME, _LOG_STREAM_NAME, AWS_REGION us-east-1),
# test keys, and AWS_ENDPOINT_URL: bench/peers/proxy.py in front of moto (tests/moto/launch.py
# on a free port of 127.0.0.1), which counts the requests per operation and adds DELAY_MS to
# every answer: one series with 0 ms, one with 20 ms (DELAYS). Nothing leaves 127.0.0.1.
# moto holds orders-api (the sample events' function, with the role its CreateFunction names),
# compliant: tracing active, an on-failure destination, one S3 grant pinned with SourceAccount
# and SourceArn; and payments-api, public, for the positive control.
#
# Per series, not measured: each tool once on events/add-permission-public-payments-api.json,
# which both must flag (lambda-warden non_compliant with LW001; Custodian's log "Filtered
# resources 1 of 1" and its resources.json naming payments-api), and once on three events
# (bytecode compiled, moto's backends awake, files in the page cache). Then RUNS times
# (default 5) per tool, the two alternating which goes first:
#   - cold start: events/create-function-orders-api.json queued, the process spawned; measured
#     from just before the spawn to the answer's POST .../response (split into init, spawn to
#     its first GET .../invocation/next, and the first event, served to answered: Custodian
#     reads config.json, loads its resource types and calls sts:GetCallerIdentity in its
#     first invocation, lambda-warden builds its clients before its first GET);
#   - warm: WARM_EVENTS (20) more events to the same process, one at a time, alternating
#     events/add-permission-public-orders-api.json and events/create-function-orders-api.json
#     (both about orders-api); per event, served (GET .../next answered) to answered, on the
#     Runtime API's clock; the median of the run is reported;
#   - AWS calls: the proxy's counts, reset before the cold event and before each warm event,
#     per operation and per event kind;
#   - peak RSS (VmHWM of /proc/PID/status) of the process, read just before it is killed, and
#     its CPU time (user + system, all threads: the process's CPU-time clock, clock_gettime
#     with the pid's clock id), read after the cold answer and around each warm event.
# Every answer is checked, or the run stops: lambda-warden's must be outcome compliant (an
# error answer or any other outcome is not a measure); Custodian's log of that invocation must
# show the function fetched and filtered ("Found resource ids", "Filtered resources 0 of 1",
# "no resources matched"; its answer is `true` whatever it found).
# Reported per series: median (min-max) of each measure for each tool, and of the paired ratio
# Custodian / lambda-warden of every run pair, as markdown tables on standard output; the calls
# per warm event by operation; all raw numbers in target/peers/cold-start.json (OUT).
#
# What this does not make equal:
#   - A Lambda cold start also creates the sandbox and fetches and unpacks the code (a few MB
#     binary against c7n's package, with boto3 from the Python runtime image): not measured
#     here. The process starts from a warm page cache on this machine.
#   - Custodian's Python here is this machine's (see the Python line printed), not Lambda's
#     python3.11 image, and its boto3 the virtual environment's; awslambdaric is the runtime
#     interface client of AWS's container images, the same bootstrap loop as the managed
#     runtime but not its exact build.
#   - The work is not the same: Custodian's policy reads the function (GetFunction, which
#     includes the configuration and the tags) and its policy (GetPolicy) and runs one filter;
#     lambda-warden reads the configuration (GetFunctionConfiguration), the tags (ListTags:
#     opt-in and exempt tags) and the policy (GetPolicy), evaluates LW001-LW003 (public,
#     confused deputy, cross-account) and LW006 (which cannot be turned off) after its gates
#     (failed calls, its own calls, display-only tag changes), and answers its decision as
#     JSON. With LW_RULES=default it runs and reads for every default rule (URL, event invoke
#     configuration, execution role, ...). Custodian takes the account id from STS once
#     per process (mu does not write it into config.json); lambda-warden from the invoked
#     function ARN.
#   - Logging: each at its defaults. Custodian logs the whole event and the fetched resource
#     at every invocation (C7N_DEBUG_EVENT, on by default), lambda-warden JSON lines; both to
#     a file.
#   - moto, the proxy, this driver and the function share the machine's cores; absolute times
#     say more about moto than about AWS. Compare the ratios and the calls.
#
# Versions: c7n C7N_VERSION (0.9.53), awslambdaric AWSLAMBDARIC_VERSION (4.2.2), moto as
# scripts/python-deps.sh pins it; lambda-warden as built from this checkout.
#
# Usage: bench/peers/cold-start.sh
# Environment: LW_EVENTS_BIN (a release lambda-events binary; else built), RUNS (5),
# DELAYS ("0 20"), WARM_EVENTS (20), LW_RULES (LW001,LW002,LW003), OUT, KEEP_WORK (keep the
# run files, logs included, and print where).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/python-deps.sh
version=${C7N_VERSION:-0.9.53}
ric_version=${AWSLAMBDARIC_VERSION:-4.2.2}
venv=target/peers/custodian
peer_setup "$venv" "$version"
if ! "$venv/bin/pip" show awslambdaric 2>/dev/null | grep -qx "Version: $ric_version"; then
  venv_install "$venv" "awslambdaric==$ric_version"
fi
if [ -z "${LW_EVENTS_BIN:-}" ]; then
  cargo build --release -p lambda-events
  LW_EVENTS_BIN=${CARGO_TARGET_DIR:-target}/release/lambda-events
fi
python3 bench/peers/cold_start_bench.py "$LW_EVENTS_BIN" "$venv/bin/python"
