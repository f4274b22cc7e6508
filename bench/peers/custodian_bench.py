"""lambda-warden against Cloud Custodian on one moto account; run by bench/peers/custodian.sh
(which documents the runs and the policy set).

Usage: python3 custodian_bench.py LAMBDA_WARDEN CUSTODIAN N...

Environment: RUNS (default 5), LATENCY_MS (default 20), PYTHON (moto's interpreter, default
this one). Standard library only; the seeder needs boto3 (moto's dependency).
"""

import datetime
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REGION = "us-east-1"
RESOURCE_RULES = ["LW001", "LW002", "LW003"]

# One Custodian policy per lambda-warden default rule that has an equivalent (see custodian.sh).
CROSS_ACCOUNT = {"name": "lambda-cross-account", "resource": "aws.lambda",
                 "filters": [{"type": "cross-account"}]}


def full_policies(deprecated_runtimes):
    return [
        CROSS_ACCOUNT,
        {"name": "lambda-url-auth-none", "resource": "aws.lambda",
         "filters": [{"type": "url-config", "key": "AuthType", "value": "NONE"}]},
        {"name": "lambda-url-cors-wildcard", "resource": "aws.lambda",
         "filters": [{"type": "url-config", "key": "Cors.AllowOrigins", "op": "contains", "value": "*"}]},
        {"name": "lambda-env-no-cmk", "resource": "aws.lambda",
         "filters": [{"type": "value", "key": "Environment.Variables", "value": "present"},
                     {"type": "value", "key": "KMSKeyArn", "value": "absent"}]},
        {"name": "lambda-deprecated-runtime", "resource": "aws.lambda",
         "filters": [{"type": "value", "key": "Runtime", "op": "in", "value": deprecated_runtimes}]},
        {"name": "lambda-tracing-off", "resource": "aws.lambda",
         "filters": [{"type": "value", "key": "TracingConfig.Mode", "op": "ne", "value": "Active"}]},
        {"name": "lambda-no-dead-letter", "resource": "aws.lambda",
         "filters": [{"type": "value", "key": "DeadLetterConfig.TargetArn", "value": "absent"}]},
        {"name": "lambda-vpc-single-subnet", "resource": "aws.lambda",
         "filters": [{"type": "value", "key": "VpcConfig.SubnetIds", "value_type": "size", "value": 1}]},
        {"name": "lambda-foreign-layer", "resource": "aws.lambda",
         "filters": [{"type": "value", "op": "gt", "value": 0,
                      "key": "length((Layers || `[]`)[?!starts_with(Arn, 'arn:aws:lambda:{region}:{account_id}:')])"}]},
        {"name": "lambda-layer-public", "resource": "aws.lambda-layer",
         "filters": [{"type": "cross-account", "everyone_only": True}]},
        {"name": "lambda-role-admin-policy", "resource": "aws.lambda",
         "filters": [{"type": "has-specific-managed-policy", "value": "AdministratorAccess"}]},
        {"name": "role-trust-cross-account", "resource": "aws.iam-role",
         "filters": [{"type": "cross-account"}]},
    ]


# lambda-warden rule -> the Custodian policy compared with it in the full run.
PAIRS = [
    ("LW001+LW003", "lambda-cross-account"),
    ("LW004", "lambda-url-auth-none"),
    ("LW005", "lambda-url-cors-wildcard"),
    ("LW008", "lambda-env-no-cmk"),
    ("LW009", "lambda-deprecated-runtime"),
    ("LW010", "lambda-tracing-off"),
    ("LW011", "lambda-no-dead-letter"),
    ("LW015", "lambda-vpc-single-subnet"),
    ("LW016", "lambda-foreign-layer"),
    ("LW018", "lambda-layer-public"),
    ("LW019", "lambda-role-admin-policy"),
    ("LW023", "role-trust-cross-account"),
]


def deprecated_runtimes(days=90):
    """The runtimes lambda-warden's dated table has deprecated by today + WARDEN_RUNTIME_WARNING_DAYS
    (default 90): what LW009 reports (HIGH, or MEDIUM ahead of the date)."""
    text = open(os.path.join(ROOT, "shared/rules/src/rules/runtimes.rs")).read()
    limit = datetime.date.today() + datetime.timedelta(days=days)
    return sorted(r for r, y, m, d in re.findall(r'\("([^"]+)", \((\d+), (\d+), (\d+)\)\)', text)
                  if datetime.date(int(y), int(m), int(d)) <= limit)


def yaml_of(policies):
    # JSON is YAML: Custodian reads it as it is.
    return json.dumps({"policies": policies}, indent=1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, log):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited:\n{open(log).read()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} never answered on port {port}:\n{open(log).read()}")


def start_moto(python, work):
    log = os.path.join(work, "moto.log")
    for _attempt in range(3):
        port = free_port()
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="false", WARDEN_MOTO_LATENCY_MS="0")
        # launch.py exits when this pipe closes, i.e. when this process goes away.
        proc = subprocess.Popen([python, os.path.join(ROOT, "tests/moto/launch.py"), str(port)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=open(log, "w"), env=env)
        try:
            wait_port(port, proc, "moto", log)
            return proc, port
        except SystemExit:
            if "Address already in use" not in open(log).read():
                raise
    sys.exit("moto could not bind a port")


def start_proxy(moto_port, delay_ms, work):
    log = os.path.join(work, "proxy.log")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "proxy.py"), str(moto_port), str(delay_ms)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    port = int(proc.stdout.readline())
    wait_port(port, proc, "proxy", log)
    return proc, port


def control(port, what):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/__bench/{what}",
                                 method="POST" if what == "reset" else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def run_measured(cmd, env, out, err):
    """Runs cmd; returns (wall seconds, peak RSS in MiB, CPU seconds), from wait4's rusage of
    this child alone."""
    t = time.perf_counter()
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(cmd, env=env, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{open(err, errors='replace').read()[-4000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def lw_flags(lw, env):
    helptext = subprocess.run([lw, "scan", "--help"], env=env, capture_output=True, text=True).stdout
    if "--rules" in helptext:
        return ["--rules", ",".join(RESOURCE_RULES)], "--rules " + ",".join(RESOURCE_RULES)
    # An older lambda-warden without --rules: disable every other rule.
    rules = sorted(set(re.findall(r"^\| (LW\d{3}) \|", open(os.path.join(ROOT, "docs/rules.md")).read(), re.M)))
    flags = []
    for r in rules:
        # LW006 (unverified state) cannot be disabled.
        if r not in RESOURCE_RULES + ["LW006"]:
            flags += ["--disable-rule", r]
    return flags, f"--disable-rule for {len(flags) // 2} other rules (LW006 cannot be disabled; this binary has no --rules)"


def lw_findings(path):
    report = json.load(open(path))
    by_rule = {}
    for t in report["targets"]:
        for f in t["findings"]:
            if f.get("open", True):
                by_rule.setdefault(f["rule_id"], set()).add(t["function"])
    return report["summary"]["functions"], by_rule


def c7n_findings(outdir, policies):
    found = {}
    for p in policies:
        path = os.path.join(outdir, p["name"], "resources.json")
        rs = json.load(open(path)) if os.path.exists(path) else []
        found[p["name"]] = {r.get("FunctionName") or r.get("LayerName") or r.get("RoleName") for r in rs}
    return found


def fmt_range(xs, unit="s", digits=2):
    return f"{statistics.median(xs):.{digits}f} {unit} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"


def main():
    lw, custodian, sizes = sys.argv[1], sys.argv[2], sorted(int(n) for n in sys.argv[3:])
    runs = int(os.environ.get("RUNS", "5"))
    delay = int(os.environ.get("LATENCY_MS", "20"))
    python = os.environ.get("PYTHON", sys.executable)
    work = tempfile.mkdtemp(prefix="lw-custodian-")
    try:
        bench(lw, custodian, sizes, runs, delay, python, work)
    finally:
        if not os.environ.get("KEEP_WORK"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work files kept in {work}")


def bench(lw, custodian, sizes, runs, delay, python, work):
    moto, moto_port = start_moto(python, work)
    proxy, proxy_port = start_proxy(moto_port, delay, work)
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}", AWS_REGION=REGION,
               AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_EC2_METADATA_DISABLED="true", NO_COLOR="1")
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "WARDEN_DISABLED_RULES", "WARDEN_TRUSTED_ACCOUNTS",
              "WARDEN_ORGANIZATION_ID", "WARDEN_REGIONS", "WARDEN_STATE_TABLE"):
        env.pop(k, None)
    sweep_flags, sweep_note = lw_flags(lw, env)
    runtimes = deprecated_runtimes()
    full = full_policies(runtimes)
    configs = {
        "sweep": ([lw, "scan", *sweep_flags, "--format", "json", "--no-progress"], [CROSS_ACCOUNT]),
        "full": ([lw, "scan", "--format", "json", "--no-progress"], full),
    }
    for name, (_, policies) in configs.items():
        open(os.path.join(work, f"{name}.yml"), "w").write(yaml_of(policies))

    print(f"moto on 127.0.0.1:{moto_port}, proxy on 127.0.0.1:{proxy_port} adding {delay} ms to every answer; "
          f"{runs} runs per size and tool")
    print(f"lambda-warden resource-policy sweep: {sweep_note}")
    print(f"Custodian deprecated runtimes (lambda-warden's table, deprecated by today + 90 days): {', '.join(runtimes)}")

    def one(tool, config, n, r):
        lw_cmd, policies = configs[config]
        out = os.path.join(work, f"{tool}-{config}-{n}-{r}")
        if tool == "lambda-warden":
            cmd = lw_cmd
        else:
            cmd = [custodian, "run", "-s", out, "--cache-period", "0", "-r", REGION,
                   os.path.join(work, f"{config}.yml")]
        control(proxy_port, "reset")
        wall, rss, cpu = run_measured(cmd, env, out + ".json" if tool == "lambda-warden" else out + ".out", out + ".err")
        counts = control(proxy_port, "counts")
        if tool == "lambda-warden":
            functions, by_rule = lw_findings(out + ".json")
            if functions != n:
                sys.exit(f"lambda-warden scanned {functions} functions, not {n}")
            found = by_rule
        else:
            found = c7n_findings(out, policies)
            shutil.rmtree(out, ignore_errors=True)
        return {"wall": wall, "rss": rss, "cpu": cpu, "calls": counts["calls"], "errors": counts["errors"],
                "in_flight": counts["max_in_flight"], "found": found}

    # First runs compile Python bytecode and wake moto's lazily built backends: not measured.
    results = {}
    for n in sizes:
        t = time.time()
        seeded = subprocess.run([python, os.path.join(HERE, "sweep_seed.py"), f"http://127.0.0.1:{moto_port}", str(n)],
                                capture_output=True, text=True)
        if seeded.returncode != 0:
            sys.exit(f"seeding failed:\n{seeded.stderr}")
        expected = {k: set(v) for k, v in json.loads(seeded.stdout).items()}
        print(f"\n== N = {n}: seeded in {time.time() - t:.1f} s")
        if n == sizes[0]:
            for config in configs:
                for tool in ("lambda-warden", "custodian"):
                    one(tool, config, n, "warm-up")
        for config in configs:
            res = {"lambda-warden": [], "custodian": []}
            for r in range(runs):
                # Alternate which tool goes first, so drift on this shared machine hits both.
                order = ("lambda-warden", "custodian") if r % 2 == 0 else ("custodian", "lambda-warden")
                for tool in order:
                    res[tool].append(one(tool, config, n, r))
            results[(config, n)] = res
            report_config(config, n, res)
        agreement(n, expected, results[("sweep", n)], results[("full", n)])
    table(sizes, results)
    moto.stdin.close()
    proxy.stdin.close()


def calls_per_function(run, n):
    return sum(run["calls"].values()) / n


def report_config(config, n, res):
    title = {"sweep": "a) resource-policy sweep", "full": "b) full coverage"}[config]
    print(f"-- {title}, N = {n}")
    lw, c7n = res["lambda-warden"], res["custodian"]
    ratios = [a["wall"] / b["wall"] for a, b in zip(lw, c7n)]
    for tool, rs in res.items():
        calls = {calls_per_function(r, n) for r in rs}
        print(f"  {tool:13} wall {fmt_range([r['wall'] for r in rs])}, CPU {fmt_range([r['cpu'] for r in rs])}, "
              f"peak RSS {fmt_range([r['rss'] for r in rs], 'MiB', 0)}, "
              f"{' / '.join(f'{c:.2f}' for c in sorted(calls))} calls per function, "
              f"at most {max(r['in_flight'] for r in rs)} in flight")
        last = rs[-1]
        for op, k in sorted(last["calls"].items(), key=lambda kv: (-kv[1], kv[0])):
            errors = sum(v for e, v in last["errors"].items() if e.rsplit(" ", 1)[0] == op)
            note = f"  ({errors} answered {', '.join(e.rsplit(' ', 1)[1] for e in last['errors'] if e.rsplit(' ', 1)[0] == op)})" if errors else ""
            print(f"      {op:40} {k:6}  {k / n:6.3f} per function{note}")
    print(f"  paired ratio lambda-warden / Custodian: median {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}–{max(ratios):.2f}): " + ", ".join(f"{x:.2f}" for x in ratios))


def names(s, k=5):
    s = sorted(s)
    return ", ".join(s[:k]) + (f", ... ({len(s)})" if len(s) > k else "") if s else "none"


def agreement(n, expected, sweep, full):
    lw = sweep["lambda-warden"][-1]["found"]
    c7n = sweep["custodian"][-1]["found"]["lambda-cross-account"]
    lw13 = lw.get("LW001", set()) | lw.get("LW003", set())
    lw2 = lw.get("LW002", set())
    print(f"-- c) agreement, N = {n} (last sweep run)")
    print(f"  Custodian cross-account: {len(c7n)} functions; lambda-warden LW001 or LW003: {len(lw13)}; both: {len(c7n & lw13)}")
    print(f"  only Custodian: {names(c7n - lw13)}")
    print(f"  only lambda-warden: {names(lw13 - c7n)}")
    want13 = expected.get("public", set()) | expected.get("cross_account", set())
    want2 = expected.get("s3", set()) | expected.get("sns", set())
    print(f"  seeded public or cross-account: {len(want13)}; Custodian missed {len(want13 - c7n)}, false {len(c7n - want13)}; "
          f"lambda-warden missed {len(want13 - lw13)}, false {len(lw13 - want13)}")
    print(f"  LW002 confused deputy (unpinned S3 and SNS grants; Custodian's cross-account skips service principals): "
          f"lambda-warden {len(lw2)} of {len(want2)} seeded, missed {len(want2 - lw2)}, false {len(lw2 - want2)}; "
          f"pinned S3 grants flagged by either: {len((lw2 | c7n) & expected.get('pinned_s3', set()))}")
    lwf = full["lambda-warden"][-1]["found"]
    c7nf = full["custodian"][-1]["found"]
    print(f"  full coverage, functions flagged per rule (last run): lambda-warden rule / Custodian policy")
    for rule, policy in PAIRS:
        mine = set().union(*(lwf.get(r, set()) for r in rule.split("+")))
        theirs = c7nf.get(policy, set())
        print(f"      {rule:12} {len(mine):5} / {len(theirs):5}  {policy}" +
              (f"  (only lambda-warden {len(mine - theirs)}, only Custodian {len(theirs - mine)})" if mine != theirs else ""))
    paired = {r for rule, _ in PAIRS for r in rule.split("+")}
    others = {r: len(s) for r, s in sorted(lwf.items()) if r not in paired}
    if others:
        print("      lambda-warden rules without a Custodian policy: " + ", ".join(f"{r} {k}" for r, k in others.items()))
    all_lw = set().union(*lwf.values()) if lwf else set()
    all_c7n = set().union(*(s for p, s in c7nf.items() if p != "role-trust-cross-account" and p != "lambda-layer-public"))
    print(f"      functions with any finding: lambda-warden {len(all_lw)}, Custodian {len(all_c7n)}")


def table(sizes, results):
    print("\n| | lambda-warden | Custodian | ratio |")
    print("|---|---|---|---|")
    for config, label in (("sweep", "resource-policy sweep"), ("full", "full coverage")):
        for n in sizes:
            res = results[(config, n)]
            lw, c7n = res["lambda-warden"], res["custodian"]
            ratios = [a["wall"] / b["wall"] for a, b in zip(lw, c7n)]
            print(f"| {label}, wall, N={n} | {fmt_range([r['wall'] for r in lw])} | {fmt_range([r['wall'] for r in c7n])} | "
                  f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |")
        for n in sizes:
            res = results[(config, n)]
            a = calls_per_function(res["lambda-warden"][-1], n)
            b = calls_per_function(res["custodian"][-1], n)
            print(f"| {label}, calls per function, N={n} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
        n = sizes[-1]
        res = results[(config, n)]
        a = statistics.median(r["rss"] for r in res["lambda-warden"])
        b = statistics.median(r["rss"] for r in res["custodian"])
        print(f"| {label}, peak RSS, N={n} | {a:.0f} MiB | {b:.0f} MiB | {a / b:.2f} |")
        if config == "sweep":
            lwf = res["lambda-warden"][-1]["found"]
            c7nf = res["custodian"][-1]["found"]["lambda-cross-account"]
            lw13 = lwf.get("LW001", set()) | lwf.get("LW003", set())
            print(f"| findings, N={n}: public or cross-account functions | {len(lw13)} | {len(c7nf)} | |")
            print(f"| findings, N={n}: confused deputy (LW002) | {len(lwf.get('LW002', set()))} | n/a | |")
        else:
            lwf = res["lambda-warden"][-1]["found"]
            c7nf = res["custodian"][-1]["found"]
            fl = len(set().union(*lwf.values())) if lwf else 0
            fc = len(set().union(*(s for p, s in c7nf.items() if p not in ("role-trust-cross-account", "lambda-layer-public"))))
            print(f"| findings, N={n}: functions with any finding | {fl} | {fc} | |")


if __name__ == "__main__":
    main()
