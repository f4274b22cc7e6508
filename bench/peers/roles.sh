#!/usr/bin/env bash
# LW019-LW022 against Cloudsplaining on the labelled corpus tests/corpus/roles.json.
# Cloudsplaining runs in its own virtual environment (target/peers/cloudsplaining). The corpus
# is written as the output of `aws iam get-account-authorization-details` (RoleDetailList with
# RolePolicyList and AttachedManagedPolicies, Policies with the default PolicyVersionList
# document of every managed policy; AWS managed policies keep their arn:aws:iam::aws:policy/
# ARNs) and scanned with `cloudsplaining scan` and an exclusions file that excludes nothing:
# the default one skips AdministratorAccess, every /service-role/ policy or role (where
# AWSLambdaBasicExecutionRole and console-created Lambda roles live) and *ServiceRolePolicy.
# Cloudsplaining judges each policy on its own, so a role's verdict is the union over its
# policies:
#   escalation        some policy has PrivilegeEscalation findings
#   admin             some policy has ServiceWildcard findings for every service prefix
#                     (Cloudsplaining has no administrator flag; Action "*" expands to all)
#   service_wildcard  some policy has ServiceWildcard findings, and not admin
#   passrole_wildcard no equivalent: n/a
# "Every label right" compares the three labels Cloudsplaining has.
# lambda-warden's score comes from the corpus test of the rules crate.
# Usage: bench/peers/roles.sh [CLOUDSPLAINING_VERSION]   (default 0.9.1)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:-0.9.1}
venv=target/peers/cloudsplaining
if [ ! -x "$venv/bin/cloudsplaining" ] || ! "$venv/bin/pip" show cloudsplaining 2>/dev/null | grep -qx "Version: $version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "cloudsplaining==$version"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import hashlib, json, sys
work = sys.argv[1]
roles = json.load(open("tests/corpus/roles.json"))["roles"]

def ident(prefix, text):
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:17].upper()

def path_of(arn, kind):
    # arn:aws:iam::ACCOUNT:role/PATH/NAME -> /PATH/
    rest = arn.split(":", 5)[5][len(kind) + 1:]
    return "/" + rest.rsplit("/", 1)[0] + "/" if "/" in rest else "/"

date = "2024-01-01T00:00:00Z"
policies, role_list, labels = {}, [], {}
for r in roles:
    er = r["execution_role"]
    attached = []
    for p in er.get("AttachedPolicies", []):
        arn, doc = p["PolicyArn"], p["Document"]
        if arn in policies:
            if policies[arn]["PolicyVersionList"][0]["Document"] != doc:
                sys.exit(f"{r['name']}: {arn} has two different documents in the corpus")
            policies[arn]["AttachmentCount"] += 1
        else:
            policies[arn] = {
                "PolicyName": p["PolicyName"], "PolicyId": ident("ANPA", arn), "Arn": arn,
                "Path": path_of(arn, "policy"), "DefaultVersionId": "v1", "AttachmentCount": 1,
                "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                "CreateDate": date, "UpdateDate": date,
                "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": date}],
            }
        attached.append({"PolicyName": p["PolicyName"], "PolicyArn": arn})
    role_id = ident("AROA", er["Arn"])
    labels[role_id] = {"name": r["name"], **r["labels"]}
    role_list.append({
        "Path": path_of(er["Arn"], "role"), "RoleName": er["RoleName"], "RoleId": role_id,
        "Arn": er["Arn"], "CreateDate": date,
        "AssumeRolePolicyDocument": er["AssumeRolePolicyDocument"],
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": p["PolicyName"], "PolicyDocument": p["PolicyDocument"]} for p in er.get("RolePolicies", [])],
        "AttachedManagedPolicies": attached, "Tags": [], "RoleLastUsed": {},
    })
if len(labels) != len(roles):
    sys.exit("two corpus roles share an ARN")
json.dump({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": role_list, "Policies": list(policies.values())},
          open(f"{work}/corpus.json", "w"), indent=1)
json.dump(labels, open(f"{work}/labels.json", "w"))
PY

cat > "$work/exclusions.yml" <<'YML'
# Exclude nothing (the default file excludes AdministratorAccess, service-role paths and more).
policies:
  - ""
roles:
  - ""
users:
  - ""
groups:
  - ""
exclude-actions:
  - ""
# Cloudsplaining's default read actions reported as data exfiltration (not an exclusion).
include-actions:
  - "s3:GetObject"
  - "ssm:GetParameter"
  - "ssm:GetParameters"
  - "ssm:GetParametersByPath"
  - "secretsmanager:GetSecretValue"
  - "rds:CopyDBSnapshot"
  - "rds:CreateDBSnapshot"
YML

"$venv/bin/cloudsplaining" scan --input-file "$work/corpus.json" --exclusions-file "$work/exclusions.yml" \
  --output "$work" --skip-open-report > "$work/scan.log" 2>&1 || { cat "$work/scan.log" >&2; exit 1; }

"$venv/bin/python" - "$work" "$version" <<'PY'
import json, sys
from policy_sentry.querying.all import get_all_service_prefixes
work, version = sys.argv[1], sys.argv[2]
labels = json.load(open(f"{work}/labels.json"))
res = json.load(open(f"{work}/iam-results-corpus.json"))
every_service = set(get_all_service_prefixes())
kinds = {"inline_policies": "inline_policies", "aws_managed_policies": "aws_managed_policies",
         "customer_managed_policies": "customer_managed_policies"}

def verdict(role):
    esc = admin = sw = False
    for pointer, table in kinds.items():
        for pid in role[pointer]:
            p = res[table][pid]
            esc |= bool(p["PrivilegeEscalation"]["findings"])
            wild = set(p["ServiceWildcard"]["findings"])
            admin |= every_service <= wild
            sw |= bool(wild)
    return {"admin": admin, "service_wildcard": sw and not admin, "escalation": esc}

if len(res["roles"]) != len(labels) or any(r["is_excluded"] for r in res["roles"].values()):
    sys.exit("cloudsplaining did not scan every corpus role")
n = len(labels)
count = {k: [0, 0, 0] for k in ("escalation", "admin", "service_wildcard")}  # found, labelled, false alarms
right = 0
misses = []
for rid, role in res["roles"].items():
    want, got = labels[rid], verdict(role)
    for k, c in count.items():
        c[0] += want[k] and got[k]
        c[1] += want[k]
        c[2] += got[k] and not want[k]
    if all(want[k] == got[k] for k in count):
        right += 1
    else:
        misses.append(want["name"] + " (" + ", ".join(f"{k} {'missed' if want[k] else 'false alarm'}" for k in count if want[k] != got[k]) + ")")
e, a, s = count["escalation"], count["admin"], count["service_wildcard"]
print(f"cloudsplaining {version} on {n} roles: escalation found {e[0]} of {e[1]} labelled, false escalation alarms {e[2]} of {n - e[1]} clean")
print(f"cloudsplaining {version}: admin found {a[0]} of {a[1]}, false {a[2]}; service_wildcard found {s[0]} of {s[1]}, false {s[2]}; passrole_wildcard n/a")
print(f"cloudsplaining {version}: every label right (admin, service_wildcard, escalation) on {right} of {n} roles")
open(f"{work}/misses.txt", "w").write("\n".join(sorted(misses)) + "\n")
PY
if [ -n "${ROLES_VERBOSE:-}" ]; then sed 's/^/  wrong: /' "$work/misses.txt"; fi

cargo test --quiet -p warden-rules --test corpus_roles -- --nocapture 2>/dev/null | grep '^lambda-warden'
