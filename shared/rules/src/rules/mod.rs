//! The rule registry: every rule's id, metadata, documentation and check.
//!
//! Each rule lives in its own file, its documentation and metadata declared with
//! `declare_rule!` right above its `check`. [`RULES`] lists them in id order; ids are never
//! reused (retired ids stay in [`RETIRED`]).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::findings::{Finding, FixSafety, Severity};
use crate::ids::AccountId;
use crate::policy::{verdict, ResourcePolicy, TrustContext, Verdict};
use crate::snapshot::{FunctionSnapshot, Readable};

mod confused_deputy;
mod cross_account;
mod public_invoke;
mod public_url;
mod unverified_state;
mod url_cors;

/// Declares a rule's metadata, capturing its doc comment as the catalogue text.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        id: $id:expr,
        slug: $slug:literal,
        title: $title:literal,
        severity: $severity:expr,
        default_on: $on:literal,
        fix: $fix:expr,
        since: $since:literal $(,)?
    ) => {
        /// This rule's metadata and documentation.
        pub(crate) const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            id: $id,
            slug: $slug,
            title: $title,
            severity: $severity,
            default_on: $on,
            fix: $fix,
            since: $since,
            doc: concat!($($doc, "\n"),*),
        };
    };
}
pub(crate) use declare_rule;

/// A stable rule id. Ids are never reused: a retired rule keeps its id in [`RETIRED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleId {
    /// public-invoke
    LW001,
    /// confused-deputy
    LW002,
    /// untrusted-cross-account
    LW003,
    /// public-function-url
    LW004,
    /// function-url-cors-wildcard
    LW005,
    /// unverified-state
    LW006,
}

impl RuleId {
    /// Every id in use, in order.
    pub const ALL: &'static [RuleId] = &[
        RuleId::LW001,
        RuleId::LW002,
        RuleId::LW003,
        RuleId::LW004,
        RuleId::LW005,
        RuleId::LW006,
    ];

    /// `LW001`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::LW001 => "LW001",
            RuleId::LW002 => "LW002",
            RuleId::LW003 => "LW003",
            RuleId::LW004 => "LW004",
            RuleId::LW005 => "LW005",
            RuleId::LW006 => "LW006",
        }
    }

    /// Parses an id (`LW001`) or a slug (`public-invoke`), case-insensitively.
    pub fn parse(s: &str) -> Option<RuleId> {
        let s = s.trim();
        RULES
            .iter()
            .map(|r| &r.meta)
            .find(|m| m.id.as_str().eq_ignore_ascii_case(s) || m.slug.eq_ignore_ascii_case(s))
            .map(|m| m.id)
    }

    /// The rule's metadata.
    pub fn meta(self) -> &'static RuleMeta {
        // RULES holds exactly one entry per id, in id order (checked by a registry test).
        &RULES[self as usize].meta
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's metadata: what the catalogue (`docs/rules.md`) shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    /// Stable id.
    pub id: RuleId,
    /// Stable kebab-case name.
    pub slug: &'static str,
    /// One line.
    pub title: &'static str,
    /// Default severity (a rule may lower it for a milder shape and says so in its doc).
    pub severity: Severity,
    /// Whether the rule runs unless disabled.
    pub default_on: bool,
    /// The worst fix safety the rule's remediations have.
    pub fix: FixSafety,
    /// The version that introduced it.
    pub since: &'static str,
    /// Markdown: what it flags, why it matters, remediation, fix safety, references.
    pub doc: &'static str,
}

/// A rule: metadata plus a pure check.
pub struct Rule {
    /// Metadata and documentation.
    pub meta: RuleMeta,
    /// The check: a pure function of the evaluation context.
    pub check: fn(&Context<'_>) -> Vec<Finding>,
}

/// Every rule, in id order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: public_invoke::META,
        check: public_invoke::check,
    },
    Rule {
        meta: confused_deputy::META,
        check: confused_deputy::check,
    },
    Rule {
        meta: cross_account::META,
        check: cross_account::check,
    },
    Rule {
        meta: public_url::META,
        check: public_url::check,
    },
    Rule {
        meta: url_cors::META,
        check: url_cors::check,
    },
    Rule {
        meta: unverified_state::META,
        check: unverified_state::check,
    },
];

/// A retired rule id: never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetiredRule {
    /// The id, as it was spelled.
    pub id: &'static str,
    /// Why it was retired.
    pub reason: &'static str,
    /// The version that retired it.
    pub version: &'static str,
}

/// Retired rule ids. None yet.
pub static RETIRED: &[RetiredRule] = &[];

/// Which rules run, and who counts as trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleConfig {
    /// Accounts whose principals count as restricted.
    pub trusted_accounts: BTreeSet<AccountId>,
    /// The organization whose members count as restricted.
    pub organization_id: Option<String>,
    /// Rules switched off.
    pub disabled: BTreeSet<RuleId>,
}

impl From<&Config> for RuleConfig {
    fn from(c: &Config) -> Self {
        RuleConfig {
            trusted_accounts: c.trusted_accounts.clone(),
            organization_id: c.organization_id.clone(),
            disabled: c.disabled_rules.clone(),
        }
    }
}

/// What the resource-based policy turned out to be.
#[derive(Debug, Clone)]
pub enum PolicyView {
    /// The function has no resource-based policy.
    Absent,
    /// Parsed; one verdict per statement, in statement order.
    Parsed {
        /// The policy.
        policy: ResourcePolicy,
        /// `verdicts[i]` is the verdict of `policy.statements[i]`.
        verdicts: Vec<Verdict>,
    },
    /// `GetPolicy` was refused.
    Unreadable {
        /// `GetPolicy`.
        operation: String,
        /// The AWS error code.
        error_code: String,
    },
    /// The document could not be parsed.
    Unparseable(crate::policy::PolicyParseError),
}

/// Everything a rule may look at: the snapshot, and the policy parsed and judged once.
pub struct Context<'a> {
    /// The fetched state.
    pub snapshot: &'a FunctionSnapshot,
    /// The policy and its verdicts.
    pub policy: PolicyView,
    /// Who counts as trusted.
    pub trust: TrustContext,
}

impl<'a> Context<'a> {
    /// Parses the snapshot's policy and judges every statement.
    pub fn new(snapshot: &'a FunctionSnapshot, config: &RuleConfig) -> Self {
        let trust = TrustContext {
            function_account: snapshot.arn.account.clone(),
            trusted_accounts: config.trusted_accounts.clone(),
            organization_id: config.organization_id.clone(),
        };
        let policy = match &snapshot.policy {
            Readable::Read { value: None } => PolicyView::Absent,
            Readable::Read { value: Some(doc) } => match ResourcePolicy::parse(&doc.json) {
                Ok(policy) => {
                    let verdicts = policy
                        .statements
                        .iter()
                        .map(|s| verdict(s, &trust))
                        .collect();
                    PolicyView::Parsed { policy, verdicts }
                }
                Err(e) => PolicyView::Unparseable(e),
            },
            Readable::Unreadable {
                operation,
                error_code,
            } => PolicyView::Unreadable {
                operation: operation.clone(),
                error_code: error_code.clone(),
            },
        };
        Context {
            snapshot,
            policy,
            trust,
        }
    }

    /// The statements with their verdicts (empty when the policy is absent or unreadable).
    pub fn judged(&self) -> impl Iterator<Item = (&crate::policy::Statement, &Verdict)> {
        let pairs: Option<_> = match &self.policy {
            PolicyView::Parsed { policy, verdicts } => {
                Some(policy.statements.iter().zip(verdicts.iter()))
            }
            _ => None,
        };
        pairs.into_iter().flatten()
    }

    /// The evaluated ARN as text.
    pub fn resource_arn(&self) -> String {
        self.snapshot.arn.to_string()
    }
}

/// Runs every enabled rule over a snapshot. Findings come in rule order, then statement order.
pub fn evaluate(snapshot: &FunctionSnapshot, config: &RuleConfig) -> Vec<Finding> {
    let cx = Context::new(snapshot, config);
    RULES
        .iter()
        .filter(|r| !config.disabled.contains(&r.meta.id))
        .flat_map(|r| (r.check)(&cx))
        .collect()
}

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
         A function opts in with the tag `lambda-warden:auto-fix=true`; a function tagged \
         `lambda-warden:exempt` is never evaluated.\n\n\
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
    for r in RULES {
        let m = &r.meta;
        out.push_str(&format!("\n## {} {}: {}\n\n", m.id, m.slug, m.title));
        for line in m.doc.lines() {
            // Doc comments carry one leading space after `///`; sections nest under the rule.
            let line = line.strip_prefix(' ').unwrap_or(line);
            if line.starts_with("## ") {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_id_order_with_unique_ids_and_slugs() {
        assert_eq!(RULES.len(), RuleId::ALL.len());
        for (i, (rule, id)) in RULES.iter().zip(RuleId::ALL).enumerate() {
            assert_eq!(rule.meta.id, *id, "RULES[{i}]");
            assert_eq!(*id as usize, i, "{id} discriminant");
        }
        let slugs: BTreeSet<_> = RULES.iter().map(|r| r.meta.slug).collect();
        assert_eq!(slugs.len(), RULES.len(), "slugs must be unique");
    }

    #[test]
    fn no_retired_id_is_back() {
        for retired in RETIRED {
            assert!(
                RuleId::parse(retired.id).is_none(),
                "{} is retired",
                retired.id
            );
        }
    }

    #[test]
    fn every_rule_documents_every_section() {
        for r in RULES {
            for section in [
                "## What it flags",
                "## Why it matters",
                "## Remediation",
                "## Fix safety",
                "## References",
            ] {
                assert!(
                    r.meta.doc.contains(section),
                    "{} lacks section {section:?}",
                    r.meta.id
                );
            }
            let slug_ok = r
                .meta
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            assert!(slug_ok, "{} slug {:?}", r.meta.id, r.meta.slug);
        }
    }

    #[test]
    fn ids_and_slugs_parse() {
        for r in RULES {
            assert_eq!(RuleId::parse(r.meta.id.as_str()), Some(r.meta.id));
            assert_eq!(RuleId::parse(r.meta.slug), Some(r.meta.id));
            assert_eq!(RuleId::parse(&r.meta.slug.to_uppercase()), Some(r.meta.id));
        }
        assert_eq!(RuleId::parse("LW999"), None);
    }
}
