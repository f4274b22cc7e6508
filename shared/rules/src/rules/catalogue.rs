//! The rule catalogue, `docs/rules.md`, rendered from the registry: every rule's metadata and
//! documentation, LW022's escalation paths and LW007's detectors.

use super::{RuleId, RULES};

/// Renders the rule catalogue (`docs/rules.md`) from [`RULES`].
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "# Rule catalogue\n\n\
         Generated from the rule registry (`shared/rules/src/rules/`); do not edit by hand.\n\
         `UPDATE_CATALOGUE=1 cargo test -p warden-rules --test catalogue` rewrites it.\n\n\
         Fix safety decides when a fix is applied (`plan::permitted`):\n\n\
         | fix safety | `report` | `tag` | `enforce`, opted in | `enforce`, not opted in |\n\
         |---|---|---|---|---|\n\
         | safe | never | never | applied | applied only with `WARDEN_AUTO_FIX_SCOPE=all-non-exempt` |\n\
         | unsafe | never | never | applied | never |\n\
         | manual | never | never | never | never |\n\n\
         A function opts in with the tag `lambda-warden:auto-fix=true`; a function with an \
         exemption recorded in the state table (granted by an approver) is not evaluated. The \
         `lambda-warden:exempt` tag alone exempts nothing: it is LW025.\n\n\
         | id | slug | title | severity | default | fix safety | since |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in RULES {
        let m = &r.meta;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            m.id,
            m.slug,
            m.title,
            m.severity,
            if m.default_on { "on" } else { "off" },
            m.fix.as_str(),
            m.since
        ));
    }
    out.push_str(
        "\nRules marked `off` run only when listed in `WARDEN_ENABLED_RULES`; any rule can be \
         switched off with `WARDEN_DISABLED_RULES`.\n\n\
         ## Compared with other tools\n\n\
         The equivalent AWS Security Hub control, AWS Config managed rule, Checkov check and \
         Prowler check of each rule (`-`: the tool has none), and what lambda-warden checks \
         beyond them.\n\n\
         | id | slug | Security Hub | AWS Config | Checkov | Prowler | lambda-warden checks more |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            format!("`{s}`")
        }
    };
    for r in RULES {
        let m = &r.meta;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            m.id,
            m.slug,
            or_dash(m.security_hub),
            or_dash(m.config_rule),
            or_dash(m.checkov),
            or_dash(m.prowler),
            if m.beyond.is_empty() { "-" } else { m.beyond },
        ));
    }
    for r in RULES {
        let m = &r.meta;
        out.push_str(&format!("\n## {} {}: {}\n\n", m.id, m.slug, m.title));
        out.push_str(&format!(
            "Severity {}, {} by default, fix safety `{}`, since {}.\n\n",
            m.severity,
            if m.default_on { "on" } else { "off" },
            m.fix.as_str(),
            m.since
        ));
        for line in m.doc.lines() {
            // Doc comments carry one leading space after `///`; sections nest under the rule.
            let line = line.strip_prefix(' ').unwrap_or(line);
            if line.starts_with("## ") {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!(
            "\n### Equivalents\n\n\
             - Security Hub: {}\n- AWS Config: {}\n- Checkov: {}\n- Prowler: {}\n",
            or_dash(m.security_hub),
            or_dash(m.config_rule),
            or_dash(m.checkov),
            or_dash(m.prowler),
        ));
        if m.id == RuleId::LW022 {
            out.push_str(&escalation_paths_markdown());
        }
        if m.id == RuleId::LW007 {
            out.push_str(&secret_detectors_markdown());
        }
    }
    out
}

/// The table of LW022's escalation paths: name, the requests it needs, what it does, source.
fn escalation_paths_markdown() -> String {
    use crate::policy::escalation::{Scope, PATHS};
    let mut out = String::from(
        "\n### Escalation paths\n\n\
         Every request of a path must be allowed. `iam:PassRole → SERVICE` is `iam:PassRole` \
         of any role to that service principal; `(on its own role)` is judged on the execution \
         role's own ARN only; `(or attached policy)` accepts a customer managed policy \
         attached to it besides any resource.\n\n\
         | path | needs | what it does | source |\n|---|---|---|---|\n",
    );
    for p in PATHS {
        let needs: Vec<String> = p
            .needs
            .iter()
            .map(|n| {
                let scope = match n.scope {
                    Scope::Any => "",
                    Scope::OwnRole => " (on its own role)",
                    Scope::AnyOrAttachedPolicy => " (or attached policy)",
                };
                match n.passed_to {
                    Some(service) => format!("`{}` → `{service}`", n.action),
                    None => format!("`{}`{scope}", n.action),
                }
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | <{}> |\n",
            p.name,
            needs.join(" + "),
            p.how,
            p.source
        ));
    }
    out
}

/// The tables of LW007's detectors and of the values it does not flag, with their sources.
fn secret_detectors_markdown() -> String {
    use crate::secrets::{benign, detectors};
    let mut out = String::from(
        "\n### Detectors\n\n\
         Tried in this order; the first that finds a secret which is not benign decides. \
         `names` limits a detector to variables whose name holds every word of one of the \
         sets (a format too generic to judge by value alone); `unless` rules it out.\n\n\
         | detector | finds | names | unless | source |\n|---|---|---|---|---|\n",
    );
    let words = |sets: &[&[&str]]| {
        if sets.is_empty() {
            "any".to_owned()
        } else {
            sets.iter()
                .map(|s| format!("`{}`", s.join("+")))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for d in detectors::DETECTORS
        .iter()
        .chain([&detectors::HIGH_ENTROPY, &detectors::SECRET_NAME])
    {
        let unless = if d.unless_name.is_empty() {
            "-".to_owned()
        } else {
            format!("`{}`", d.unless_name.join("`, `"))
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | <{}> |\n",
            d.id,
            d.title,
            words(d.name_words),
            unless,
            d.source
        ));
    }
    out.push_str(
        "\n### Not flagged\n\n\
         A whole value of these kinds is not a secret; the kinds marked `in captures` also \
         excuse what a detector captured (a placeholder password inside a connection \
         string).\n\n\
         | kind | what | in captures | source |\n|---|---|---|---|\n",
    );
    for b in benign::BENIGN.iter().chain([&benign::LOW_VARIETY]) {
        out.push_str(&format!(
            "| `{}` | {} | {} | <{}> |\n",
            b.id,
            b.title.replace('|', "\\|"),
            if b.in_captures { "yes" } else { "no" },
            b.source
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_compares_every_rule_with_the_other_tools() {
        let md = catalogue_markdown();
        assert!(md.contains("## Compared with other tools"));
        for r in RULES {
            let m = &r.meta;
            for id in [m.security_hub, m.config_rule, m.checkov, m.prowler] {
                if !id.is_empty() {
                    assert!(md.contains(&format!("`{id}`")), "{}: {id}", m.id);
                }
            }
            let row = format!("| {} | {} |", m.id, m.slug);
            assert_eq!(md.matches(&row).count(), 2, "{} in both tables", m.id);
        }
    }

    #[test]
    fn the_catalogue_lists_every_secret_detector_and_benign_kind() {
        let md = catalogue_markdown();
        for d in crate::secrets::detectors::DETECTORS {
            assert!(md.contains(&format!("| `{}` |", d.id)), "{}", d.id);
        }
        for b in crate::secrets::benign::BENIGN {
            assert!(md.contains(&format!("| `{}` |", b.id)), "{}", b.id);
        }
    }
}
