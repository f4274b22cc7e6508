"""Cold start and per-event cost of lambda-warden's lambda-events function against Cloud
Custodian's Lambda handler, each under a local Lambda Runtime API (runtime_api.py), against
moto; run by bench/peers/cold-start.sh, which documents what is measured.

Usage: python3 cold_start_bench.py LW_EVENTS_BIN CUSTODIAN_PYTHON

Environment: RUNS (5), DELAYS ("0 20": one series per proxy delay, in ms), WARM_EVENTS (20),
LW_RULES (LW001,LW002,LW003; "default" for lambda-warden's default rule set), OUT (the JSON
of raw numbers, default target/peers/cold-start.json), PYTHON (moto's interpreter, default
this one), KEEP_WORK (keep the run files and print where). Needs boto3 (moto's dependency)
for the seeding.
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import custodian_bench  # noqa: E402  (moto, proxy and counting helpers)
from runtime_api import RuntimeAPI  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
LW_FUNCTION = "lambda-warden-events"
C7N_POLICY = "lambda-cross-account-event"
TOOLS = ("lambda-warden", "custodian")
EVENTS = {
    "CreateFunction": os.path.join(ROOT, "events/create-function-orders-api.json"),
    "AddPermission": os.path.join(ROOT, "events/add-permission-public-orders-api.json"),
}
# The positive control of the warm-up: a public payments-api, which both must flag.
CONTROL_EVENT = os.path.join(ROOT, "events/add-permission-public-payments-api.json")

# The policy as a deployed Custodian function would carry it (cloudtrail mode). CloudTrail
# names AddPermission's event AddPermission20150331v2 (as in the sample event); the older
# AddPermission20150331 is kept so either matches.
C7N_POLICY_DATA = {
    "name": C7N_POLICY,
    "resource": "aws.lambda",
    "mode": {
        "type": "cloudtrail",
        "events": [
            {"source": "lambda.amazonaws.com", "event": e, "ids": "requestParameters.functionName"}
            for e in ("CreateFunction20150331", "AddPermission20150331", "AddPermission20150331v2")
        ],
    },
    "filters": [{"type": "cross-account"}],
}

# Run with Custodian's interpreter: c7n's own packaging (mu.PolicyLambda.get_archive) builds
# the function package; config.json and the handler module are taken out of it as they are.
C7N_PACKAGE = r"""
import io, json, sys, zipfile
from c7n.config import Config
from c7n.policy import Policy
from c7n.resources import load_resources
from c7n import mu
import c7n.version
data, region, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
load_resources((data["resource"],))
policy = Policy(data, Config.empty(region=region))
policy.validate()
function = mu.PolicyLambda(policy)
archive = zipfile.ZipFile(io.BytesIO(function.get_archive().get_bytes()))
module = function.handler.rsplit(".", 1)[0]
for name in ("config.json", module + ".py"):
    open(out + "/" + name, "wb").write(archive.read(name))
print(json.dumps({"name": function.name, "handler": function.handler, "runtime": function.runtime,
                  "memory": function.memory_size, "timeout": function.timeout,
                  "c7n": c7n.version.version}))
"""

SEED_ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}],
}
BASIC_EXECUTION = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow",
                   "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                   "Resource": "*"}],
}
EMPTY_ZIP = b"PK\x05\x06" + b"\0" * 18


def seed(endpoint):
    """orders-api (the events' function, with the role its CreateFunction names), compliant:
    tracing active, an on-failure destination, one S3 grant pinned with SourceAccount and
    SourceArn; and payments-api, public (principal "*"), for the positive control."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    iam, lam, sqs = (session.client(s, endpoint_url=endpoint) for s in ("iam", "lambda", "sqs"))
    policy = iam.create_policy(PolicyName="bench-basic-execution", Path="/service-role/",
                               PolicyDocument=json.dumps(BASIC_EXECUTION))["Policy"]["Arn"]
    queue = sqs.create_queue(QueueName="bench-dead-letters")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for fn in ("orders-api", "payments-api"):
        role = iam.create_role(RoleName=f"{fn}-role", AssumeRolePolicyDocument=json.dumps(SEED_ROLE_TRUST))["Role"]["Arn"]
        iam.attach_role_policy(RoleName=f"{fn}-role", PolicyArn=policy)
        lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": EMPTY_ZIP}, Description="orders service", Timeout=30,
                            MemorySize=256, TracingConfig={"Mode": "Active"})
        lam.put_function_event_invoke_config(FunctionName=fn, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    lam.add_permission(FunctionName="orders-api", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::orders-api-uploads",
                       SourceAccount=ACCOUNT)
    lam.add_permission(FunctionName="payments-api", StatementId="public-invoke", Action="lambda:InvokeFunction",
                       Principal="*")


def proc_status(pid):
    """(peak RSS MiB, CPU ms) of a live process: VmHWM of /proc/PID/status, and the process's
    CPU-time clock (Linux's clock id for a pid, CPUCLOCK_SCHED: user + system time of all its
    threads, in nanoseconds)."""
    hwm = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    cpu = time.clock_gettime_ns(((~pid) << 3) | 2) / 1e6
    return hwm, cpu


class Tool:
    """How one tool's function is started and how its answer is judged."""

    def __init__(self, name, cmd, env, cwd, arn, timeout_ms):
        self.name, self.cmd, self.env, self.cwd, self.arn, self.timeout_ms = name, cmd, env, cwd, arn, timeout_ms


def lambda_env(base, function, memory, log_stream):
    env = dict(base)
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    })
    return env


def judge_lw(inv, log_text, expect_finding):
    """None when lambda-warden's answer shows the function evaluated as expected, else why not."""
    if inv.kind != "response":
        return f"answered an error ({inv.error_type}): {inv.answer[:500]!r}"
    r = inv.result() or {}
    want = "non_compliant" if expect_finding else "compliant"
    if r.get("outcome") != want:
        return f"outcome {r.get('outcome')!r}, not {want}: {inv.answer[:500]!r}"
    if expect_finding and "LW001" not in r.get("findings", []):
        return f"no LW001 in {r.get('findings')}"
    return None


def judge_c7n(inv, log_text, expect_finding):
    """None when this invocation's log shows Custodian fetched the function and ran the filter."""
    if inv.kind != "response":
        return f"answered an error ({inv.error_type}): {inv.answer[:500]!r}"
    # log_text: what the process wrote since this event was served. Custodian's handler logs
    # these lines because the event carries "debug" (C7N_DEBUG_EVENT, on by default).
    if "Found resource ids:" not in log_text:
        return "no 'Found resource ids' in the log"
    m = re.findall(r"Filtered resources (\d+) of (\d+)", log_text)
    if not m:
        return "no 'Filtered resources' line in the log (resource not fetched or filter not run)"
    kept, fetched = map(int, m[-1])
    if fetched != 1:
        return f"fetched {fetched} resources, not 1"
    if kept != (1 if expect_finding else 0):
        return f"cross-account kept {kept} of 1, expected {1 if expect_finding else 0}"
    if not expect_finding and "no resources matched" not in log_text:
        return "no 'no resources matched' line"
    return None


def run_function(tool, proxy_port, events, work, tag, judge, expect_finding=False):
    """Starts tool's function under a fresh Runtime API, delivers events[0] cold and the rest
    warm, one at a time; returns the measures."""
    api = RuntimeAPI(tool.arn, timeout_ms=tool.timeout_ms)
    env = dict(tool.env, AWS_LAMBDA_RUNTIME_API=api.address)
    log_path = os.path.join(work, f"{tag}.log")
    log = open(log_path, "w+b")
    custodian_bench.control(proxy_port, "reset")
    first_id = api.invoke(events[0][1])
    t0 = time.perf_counter_ns()
    proc = subprocess.Popen(tool.cmd, env=env, cwd=tool.cwd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        def fail(why):
            log.flush()
            tail = open(log_path, errors="replace").read()[-3000:]
            init = api.init_errors[-1][1].decode(errors="replace") if api.init_errors else ""
            sys.exit(f"{tool.name} ({tag}): {why}\n{init}\n--- log ---\n{tail}")

        def answered(rid, name, expect):
            inv = api.wait(rid, timeout=120, proc=proc)
            if inv is None:
                fail(f"no answer to {name}")
            # This invocation's log lines: everything written since the event was served.
            log.flush()
            text = open(log_path, "rb").read()[log_offsets[-1]:].decode(errors="replace")
            why = judge(inv, text, expect)
            if why:
                fail(f"{name}: {why}")
            return inv

        log_offsets = [0]
        cold = answered(first_id, events[0][0], expect_finding)
        rss_cold, cpu_cold = proc_status(proc.pid)
        cold_calls = custodian_bench.control(proxy_port, "counts")
        result = {
            "cold_ms": (cold.answered_ns - t0) / 1e6,
            "init_ms": (api.next_calls_ns[0] - t0) / 1e6,
            "first_invoke_ms": (cold.answered_ns - cold.served_ns) / 1e6,
            "cold_cpu_ms": cpu_cold,
            "rss_after_cold_mib": rss_cold,
            "cold_calls": cold_calls["calls"],
            "cold_errors": cold_calls["errors"],
            "warm": [],
        }
        for i, (name, body) in enumerate(events[1:], start=2):
            # The runtime is waiting for its next event again: the event is served at once.
            if not api.wait_next_call(i, timeout=30):
                fail(f"did not ask for event {i}")
            custodian_bench.control(proxy_port, "reset")
            log.flush()
            log_offsets.append(os.path.getsize(log_path))
            _, cpu_before = proc_status(proc.pid)
            inv = answered(api.invoke(body), name, False)
            _, cpu_after = proc_status(proc.pid)
            counts = custodian_bench.control(proxy_port, "counts")
            result["warm"].append({"event": name, "ms": (inv.answered_ns - inv.served_ns) / 1e6,
                                   "cpu_ms": cpu_after - cpu_before,
                                   "calls": counts["calls"], "errors": counts["errors"]})
        result["peak_rss_mib"], result["total_cpu_ms"] = proc_status(proc.pid)
        return result
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        api.close()
        log.close()


def med(xs):
    return statistics.median(xs)


def fmt(xs, unit="ms", digits=1):
    unit = f" {unit}" if unit else ""
    return f"{med(xs):.{digits}f}{unit} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"


def fmt_ratio(xs):
    xs = [x for x in xs if x is not None]
    return f"{med(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})" if xs else "–"


def calls_per_event(runs, events=None):
    """{operation: calls per warm event}, over every warm event of every run (of one event kind
    when events is given)."""
    total, n = {}, 0
    for r in runs:
        for w in r["warm"]:
            if events and w["event"] not in events:
                continue
            n += 1
            for op, k in w["calls"].items():
                total[op] = total.get(op, 0) + k
    return {op: k / n for op, k in sorted(total.items())}, n


def main():
    lw_bin, c7n_python = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    runs = int(os.environ.get("RUNS", "5"))
    delays = [int(d) for d in os.environ.get("DELAYS", "0 20").split()]
    warm_n = int(os.environ.get("WARM_EVENTS", "20"))
    rules = os.environ.get("LW_RULES", "LW001,LW002,LW003")
    out = os.environ.get("OUT", os.path.join(ROOT, "target/peers/cold-start.json"))
    python = os.environ.get("PYTHON", sys.executable)
    work = tempfile.mkdtemp(prefix="lw-cold-start-")
    try:
        bench(lw_bin, c7n_python, runs, delays, warm_n, rules, out, python, work)
    finally:
        if not os.environ.get("KEEP_WORK"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work files kept in {work}")


def bench(lw_bin, c7n_python, runs, delays, warm_n, rules, out, python, work):
    # Custodian's function package: config.json and the handler module, from c7n's packaging.
    task_root = os.path.join(work, "custodian-task")
    os.makedirs(task_root)
    packaged = subprocess.run([c7n_python, "-c", C7N_PACKAGE, json.dumps(C7N_POLICY_DATA), REGION, task_root],
                              capture_output=True, text=True, cwd=work)
    if packaged.returncode != 0:
        sys.exit(f"Custodian packaging failed:\n{packaged.stderr}")
    pkg = json.loads(packaged.stdout.strip().splitlines()[-1])
    ric = subprocess.run([c7n_python, "-c", "import importlib.metadata as m; print(m.version('awslambdaric'))"],
                         capture_output=True, text=True).stdout.strip()
    py = subprocess.run([c7n_python, "-c", "import sys; print(sys.version.split()[0])"],
                        capture_output=True, text=True).stdout.strip()

    events = {k: json.load(open(p)) for k, p in EVENTS.items()}
    sequence = [("CreateFunction", events["CreateFunction"])]
    for i in range(warm_n):
        name = "AddPermission" if i % 2 == 0 else "CreateFunction"
        sequence.append((name, events[name]))
    control_sequence = [("AddPermission(payments-api)", json.load(open(CONTROL_EVENT)))]

    base = {k: v for k, v in os.environ.items()
            if k in ("PATH", "LANG", "LC_ALL", "TZ") or k.startswith("LC_")}
    base.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                 "AWS_EC2_METADATA_DISABLED": "true", "HOME": work, "TMPDIR": work, "NO_COLOR": "1"})
    lw_env_extra = {
        "WARDEN_MODE": "report",
        "WARDEN_SELF_ROLE_ARNS": f"arn:aws:iam::{ACCOUNT}:role/lambda-warden-events-role",
        "WARDEN_SELF_FUNCTION_ARNS": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{LW_FUNCTION}",
    }
    if rules != "default":
        lw_env_extra["WARDEN_RULES"] = rules
    results = {"meta": {
        "lambda_warden": {"binary": os.path.basename(lw_bin), "memory_mb": 256, "timeout_s": 60,
                          "env": lw_env_extra},
        "custodian": {"c7n": pkg["c7n"], "awslambdaric": ric, "python": py, "handler": pkg["handler"],
                      "function": pkg["name"], "memory_mb": pkg["memory"], "timeout_s": pkg["timeout"],
                      "config.json": json.load(open(os.path.join(task_root, "config.json")))},
        "runs": runs, "warm_events": warm_n, "events": [n for n, _ in sequence],
    }, "series": {}}

    print(f"lambda-warden: {lw_bin} ({', '.join(f'{k}={v}' for k, v in lw_env_extra.items())})")
    print(f"Custodian: c7n {pkg['c7n']} handler {pkg['handler']} under awslambdaric {ric}, Python {py}")
    print(f"events: {sequence[0][0]} cold, then {warm_n} warm alternating AddPermission / CreateFunction "
          f"(orders-api); {runs} runs per tool and delay, alternating which tool goes first\n")

    c7n_out_existed = os.path.exists(os.path.join("/tmp", C7N_POLICY))
    for delay in delays:
        series_work = os.path.join(work, f"delay-{delay}")
        os.makedirs(series_work)
        moto, moto_port = custodian_bench.start_moto(python, series_work)
        proxy, proxy_port = custodian_bench.start_proxy(moto_port, delay, series_work)
        try:
            seed(f"http://127.0.0.1:{moto_port}")
            common = dict(base, AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}")
            tools = {
                "lambda-warden": Tool("lambda-warden", [lw_bin],
                                      dict(lambda_env(common, LW_FUNCTION, 256, "bench"), **lw_env_extra),
                                      work, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{LW_FUNCTION}", 60_000),
                "custodian": Tool("custodian", [c7n_python, "-m", "awslambdaric", pkg["handler"]],
                                  dict(lambda_env(common, pkg["name"], pkg["memory"], "bench"),
                                       LAMBDA_TASK_ROOT=task_root, AWS_EXECUTION_ENV=f"AWS_Lambda_{pkg['runtime']}"),
                                  task_root, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{pkg['name']}",
                                  pkg["timeout"] * 1000),
            }
            judges = {"lambda-warden": judge_lw, "custodian": judge_c7n}
            # Warm-up, not measured: bytecode compiled, moto's backends awake, the page cache
            # filled; and the positive control (public payments-api flagged by both).
            for name in TOOLS:
                run_function(tools[name], proxy_port, control_sequence, series_work, f"{name}-control",
                             judges[name], expect_finding=True)
                run_function(tools[name], proxy_port, sequence[:3], series_work, f"{name}-warmup", judges[name])
            # Custodian's handler writes a matched policy's output under /tmp (hard-coded in
            # c7n.handler.init_config); the control's resources.json must name payments-api.
            c7n_out = os.path.join("/tmp", C7N_POLICY)
            found = json.load(open(os.path.join(c7n_out, "resources.json")))
            if [r.get("FunctionName") for r in found] != ["payments-api"]:
                sys.exit(f"Custodian's control matched {[r.get('FunctionName') for r in found]}, not payments-api")
            if not c7n_out_existed:
                shutil.rmtree(c7n_out, ignore_errors=True)
            print(f"== proxy delay {delay} ms: positive control passed (both flag the public payments-api)")
            res = {t: [] for t in TOOLS}
            for r in range(runs):
                order = TOOLS if r % 2 == 0 else TOOLS[::-1]
                for name in order:
                    res[name].append(run_function(tools[name], proxy_port, sequence, series_work,
                                                  f"{name}-{r}", judges[name]))
            results["series"][str(delay)] = res
            report(delay, res)
        finally:
            moto.stdin.close()
            proxy.stdin.close()
            moto.wait()
            proxy.wait()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    print(f"\nraw numbers: {os.path.relpath(out, ROOT) if out.startswith(ROOT) else out}")


def report(delay, res):
    lw, c7n = res["lambda-warden"], res["custodian"]
    metrics = [
        ("cold start: spawn → first answer", lambda r: r["cold_ms"], "ms"),
        ("  of which init: spawn → first GET next", lambda r: r["init_ms"], "ms"),
        ("  of which first event: served → answer", lambda r: r["first_invoke_ms"], "ms"),
        ("cold start CPU (user + system)", lambda r: r["cold_cpu_ms"], "ms"),
        (f"warm event, median of {len(lw[0]['warm'])}: served → answer", lambda r: med([w["ms"] for w in r["warm"]]), "ms"),
        ("warm event CPU, median", lambda r: med([w["cpu_ms"] for w in r["warm"]]), "ms"),
        ("peak RSS (VmHWM)", lambda r: r["peak_rss_mib"], "MiB"),
        ("AWS calls, cold event", lambda r: sum(r["cold_calls"].values()), ""),
        ("AWS calls per warm event", lambda r: sum(sum(w["calls"].values()) for w in r["warm"]) / len(r["warm"]), ""),
    ]
    print(f"\n### Proxy delay {delay} ms ({len(lw)} run pairs)\n")
    print("| measure | lambda-warden | Custodian | Custodian / lambda-warden |")
    print("|---|---|---|---|")
    for label, get, unit in metrics:
        a, b = [get(r) for r in lw], [get(r) for r in c7n]
        ratios = [y / x if x else None for x, y in zip(a, b)]
        digits = 0 if unit == "MiB" else (2 if unit == "" else 1)
        print(f"| {label} | {fmt(a, unit, digits)} | {fmt(b, unit, digits)} | {fmt_ratio(ratios)} |")
    print("\nAWS calls per warm event, by operation (all runs):\n")
    print("| operation | lambda-warden AddPermission | lambda-warden CreateFunction | Custodian AddPermission | Custodian CreateFunction |")
    print("|---|---|---|---|---|")
    per = {}
    for tool in TOOLS:
        for ev in ("AddPermission", "CreateFunction"):
            per[(tool, ev)], _ = calls_per_event(res[tool], {ev})
    ops = sorted({op for d in per.values() for op in d})
    for op in ops:
        cells = [f"{per[(t, e)].get(op, 0):.2f}" for t in TOOLS for e in ("AddPermission", "CreateFunction")]
        print(f"| {op} | " + " | ".join(cells) + " |")
    print("\nAWS calls of the cold event (first run): "
          + "; ".join(f"{t}: " + ", ".join(f"{op} {k}" for op, k in sorted(res[t][0]["cold_calls"].items()))
                      for t in TOOLS))
    errors = {t: sorted({e for r in res[t] for w in r["warm"] for e in w["errors"]} |
                        {e for r in res[t] for e in r["cold_errors"]}) for t in TOOLS}
    for t in TOOLS:
        if errors[t]:
            print(f"error answers seen by {t}: {', '.join(errors[t])}")
    ratios = [b["cold_ms"] / a["cold_ms"] for a, b in zip(lw, c7n)]
    print("paired cold-start ratios Custodian / lambda-warden: " + ", ".join(f"{x:.1f}" for x in ratios))


if __name__ == "__main__":
    main()
