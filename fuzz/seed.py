"""Writes the fuzz seed corpus from the repository's own test data.

Usage: python3 fuzz/seed.py   (from the repository root)

- fuzz/corpus/trigger_parse/seed-*: every sample event in events/, every reference record and
  bad event in shared/rules/tests/fixtures/events/.
- fuzz/corpus/policy_parse/seed-*: the policy of every rule fixture in
  shared/rules/tests/fixtures/rules/, and every statement of the verdict table in
  shared/rules/tests/policy_verdicts.rs wrapped in a policy document.
"""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, name, data):
    out = CORPUS / target
    out.mkdir(parents=True, exist_ok=True)
    (out / f"seed-{name}").write_bytes(data)


def main():
    for path in sorted((ROOT / "events").glob("*.json")):
        write("trigger_parse", f"event-{path.stem}", path.read_bytes())
    fixtures = ROOT / "shared" / "rules" / "tests" / "fixtures"
    for kind in ("reference", "bad"):
        for path in sorted((fixtures / "events" / kind).glob("*.json")):
            write("trigger_parse", f"{kind}-{path.stem}", path.read_bytes())

    for path in sorted((fixtures / "rules").glob("*/*/*.json")):
        fixture = json.loads(path.read_text())
        policy = fixture.get("policy")
        if isinstance(policy, dict) and "Statement" in policy:
            name = f"rule-{path.parent.parent.name}-{path.parent.name}-{path.stem}"
            write("policy_parse", name, json.dumps(policy).encode())
    table = (ROOT / "shared" / "rules" / "tests" / "policy_verdicts.rs").read_text()
    for i, literal in enumerate(re.findall(r'r#"(\{.*?\})"#', table, re.S)):
        document = (
            literal
            if '"Statement"' in literal
            else '{"Version":"2012-10-17","Id":"default","Statement":[' + literal + "]}"
        )
        write("policy_parse", f"table-{i:03}", document.encode())


if __name__ == "__main__":
    main()
