#!/usr/bin/env bash
# Resource-based policy judgement against Cloud Custodian's PolicyChecker
# (c7n.filters.iamaccess.PolicyChecker, the checker behind its cross-account filters) on the
# policy texts of bench/policy-verdicts.json, the set the Rust bench policy_verdicts judges.
# Custodian runs in its own virtual environment (target/peers/c7n-policy).
# Both sides parse the text and judge every statement: lambda-warden with ResourcePolicy::parse
# and policy_verdicts, Custodian with PolicyChecker.check(text) (json.loads, then each
# statement). The checker is configured as lambda-warden judges by default: only the
# function's own account is allowed (allowed_accounts), grants to any other account count
# (everyone_only false), no organization, VPC or condition is allow-listed.
# Throughput is the median of several timed runs of the whole set; the ratio pairs it with the
# criterion median of policy_verdicts/set (target/criterion/policy_verdicts/set/new/estimates.json),
# measured by the same run of this script.
# Usage: bench/peers/policy-checker.sh [C7N_VERSION]   (default 0.9.53)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:-0.9.53}
venv=target/peers/c7n-policy
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/pip" show c7n 2>/dev/null | grep -qx "Version: $version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "c7n==$version"
fi

cargo bench --quiet -p warden-rules --bench engine -- --noplot 'policy_verdicts' > /dev/null

"$venv/bin/python" - "$version" <<'PY'
import json, statistics, sys, time
from c7n.filters.iamaccess import PolicyChecker
version = sys.argv[1]
data = json.load(open("bench/policy-verdicts.json"))
texts = [p["policy"] for p in data["policies"]]
checker = PolicyChecker({"allowed_accounts": [data["function_account"]], "everyone_only": False})
flagged = sum(bool(checker.check(t)) for t in texts)
rounds, runs = 2000, 9
rates = []
for _ in range(runs):
    start = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            checker.check(t)
    rates.append(rounds * len(texts) / (time.perf_counter() - start))
custodian = statistics.median(rates)
est = json.load(open("target/criterion/policy_verdicts/set/new/estimates.json"))
warden = len(texts) / (est["median"]["point_estimate"] / 1e9)
print(f"c7n {version} PolicyChecker: {len(texts)} policies, {flagged} flagged; median {custodian:,.0f} policies/s over {runs} runs")
print(f"lambda-warden policy_verdicts: criterion median {warden:,.0f} policies/s")
print(f"paired ratio lambda-warden / PolicyChecker: {warden / custodian:.2f}x")
PY
