#!/usr/bin/env bash
# LW007 against detect-secrets on the labelled corpus tests/corpus/variables*.json.
# detect-secrets runs in its own virtual environment (target/peers/detect-secrets), over the
# corpus written as the JSON map of `Environment.Variables` (one variable per line, as
# `aws lambda get-function-configuration` returns it), with its default plugins and filters.
# Of the forms tried, JSON gives detect-secrets its best score (a dotenv file scored recall
# 0.331 / precision 0.904, YAML 0.683 / 0.719). A variable counts as found when
# detect-secrets reports a secret on its line. lambda-warden's score comes from the corpus
# test of the rules crate.
# Usage: bench/peers/secrets.sh [DETECT_SECRETS_VERSION]   (default 1.5.0)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:-1.5.0}
venv=target/peers/detect-secrets
if [ ! -x "$venv/bin/detect-secrets" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "detect-secrets==$version"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/variables.json" <<'PY'
import json, sys
import glob
cases = [c for f in sorted(glob.glob("tests/corpus/variables*.json")) for c in json.load(open(f))["variables"]]
with open(sys.argv[1], "w") as f:
    f.write("{\n")
    f.write(",\n".join(f"  {json.dumps(c['name'])}: {json.dumps(''.join(c['value']))}" for c in cases))
    f.write("\n}\n")
json.dump([c["secret"] for c in cases], open(sys.argv[1] + ".labels", "w"))
PY
(cd "$work" && "$OLDPWD/$venv/bin/detect-secrets" scan variables.json > baseline.json)
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
labels = json.load(open(f"{work}/variables.json.labels"))
# Line 1 is the opening brace: variable i sits on line i + 1.
found = {r["line_number"] - 1 for rs in json.load(open(f"{work}/baseline.json"))["results"].values() for r in rs}
tp = sum(1 for i, s in enumerate(labels, 1) if s and i in found)
fp = sum(1 for i, s in enumerate(labels, 1) if not s and i in found)
fn = sum(1 for i, s in enumerate(labels, 1) if s and i not in found)
print(f"detect-secrets on {len(labels)} variables: recall {tp/(tp+fn):.3f} precision {tp/max(tp+fp,1):.3f} (tp {tp} fp {fp} fn {fn})")
PY
cargo test --quiet -p warden-rules --test corpus_variables -- --nocapture 2>/dev/null | grep "^lambda-warden"
