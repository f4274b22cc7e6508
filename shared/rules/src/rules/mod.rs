//! The rule registry: every rule's id, metadata, documentation and check.
//!
//! Each rule lives in its own file, its documentation and metadata declared with
//! `declare_rule!` right above its `check`. [`RULES`] lists them in id order; ids are never
//! reused (retired ids stay in [`RETIRED`]).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::Config;
use crate::findings::{Finding, FixSafety, Severity};
use crate::ids::AccountId;
use crate::policy::{policy_verdicts, PolicyParseError, ResourcePolicy, TrustContext, Verdict};
pub use crate::rule_id::RuleId;
use crate::snapshot::{FunctionSnapshot, LayerSnapshot, Readable};
pub use catalogue::catalogue_markdown;

mod catalogue;
mod code_signing;
mod confused_deputy;
mod cross_account;
mod deprecated_runtime;
mod env_not_cmk;
mod failure_destination;
mod not_in_vpc;
mod public_invoke;
mod public_layer;
mod public_url;
mod required_tags;
mod reserved_concurrency;
pub(crate) mod role;
mod role_admin;
mod role_passrole;
mod role_privesc;
mod role_service_wildcard;
mod role_trust;
mod role_trust_source;
pub mod runtimes;
mod secrets_in_env;
mod tracing_disabled;
mod unapproved_exemption;
mod untrusted_layer;
mod unverified_state;
mod url_cors;
mod vpc_single_az;

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
        since: $since:literal,
        security_hub: $sh:literal,
        config_rule: $cr:literal,
        checkov: $ck:literal,
        prowler: $pr:literal,
        beyond: $beyond:literal $(,)?
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
            security_hub: $sh,
            config_rule: $cr,
            checkov: $ck,
            prowler: $pr,
            beyond: $beyond,
            doc: concat!($($doc, "\n"),*),
        };
    };
}
pub(crate) use declare_rule;

/// The lookups of a [`RuleId`] that need the registry.
impl RuleId {
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
    /// The equivalent AWS Security Hub control (e.g. `Lambda.1`); empty when none.
    pub security_hub: &'static str,
    /// The equivalent AWS Config managed rule (e.g. `lambda-dlq-check`); empty when none.
    pub config_rule: &'static str,
    /// The equivalent Checkov check (e.g. `CKV_AWS_116`); empty when none.
    pub checkov: &'static str,
    /// The equivalent Prowler check (e.g. `awslambda_function_inside_vpc`); empty when none.
    pub prowler: &'static str,
    /// What lambda-warden checks beyond those tools (one sentence); empty when nothing.
    pub beyond: &'static str,
    /// Markdown: what it flags, why it matters, remediation, fix safety, references.
    pub doc: &'static str,
}

/// What a rule looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// A function: the check is a pure function of the function's evaluation context.
    Function(fn(&Context<'_>) -> Vec<Finding>),
    /// A layer version (layer events): a pure function of the layer's evaluation context.
    Layer(fn(&LayerContext<'_>) -> Vec<Finding>),
}

/// A rule: metadata plus a pure check.
pub struct Rule {
    /// Metadata and documentation.
    pub meta: RuleMeta,
    /// The check.
    pub check: Check,
}

/// Every rule, in id order.
pub static RULES: &[Rule] = &[
    Rule {
        meta: public_invoke::META,
        check: Check::Function(public_invoke::check),
    },
    Rule {
        meta: confused_deputy::META,
        check: Check::Function(confused_deputy::check),
    },
    Rule {
        meta: cross_account::META,
        check: Check::Function(cross_account::check),
    },
    Rule {
        meta: public_url::META,
        check: Check::Function(public_url::check),
    },
    Rule {
        meta: url_cors::META,
        check: Check::Function(url_cors::check),
    },
    Rule {
        meta: unverified_state::META,
        check: Check::Function(unverified_state::check),
    },
    Rule {
        meta: secrets_in_env::META,
        check: Check::Function(secrets_in_env::check),
    },
    Rule {
        meta: env_not_cmk::META,
        check: Check::Function(env_not_cmk::check),
    },
    Rule {
        meta: deprecated_runtime::META,
        check: Check::Function(deprecated_runtime::check),
    },
    Rule {
        meta: tracing_disabled::META,
        check: Check::Function(tracing_disabled::check),
    },
    Rule {
        meta: failure_destination::META,
        check: Check::Function(failure_destination::check),
    },
    Rule {
        meta: reserved_concurrency::META,
        check: Check::Function(reserved_concurrency::check),
    },
    Rule {
        meta: code_signing::META,
        check: Check::Function(code_signing::check),
    },
    Rule {
        meta: not_in_vpc::META,
        check: Check::Function(not_in_vpc::check),
    },
    Rule {
        meta: vpc_single_az::META,
        check: Check::Function(vpc_single_az::check),
    },
    Rule {
        meta: untrusted_layer::META,
        check: Check::Function(untrusted_layer::check),
    },
    Rule {
        meta: required_tags::META,
        check: Check::Function(required_tags::check),
    },
    Rule {
        meta: public_layer::META,
        check: Check::Layer(public_layer::check),
    },
    Rule {
        meta: role_admin::META,
        check: Check::Function(role_admin::check),
    },
    Rule {
        meta: role_service_wildcard::META,
        check: Check::Function(role_service_wildcard::check),
    },
    Rule {
        meta: role_passrole::META,
        check: Check::Function(role_passrole::check),
    },
    Rule {
        meta: role_privesc::META,
        check: Check::Function(role_privesc::check),
    },
    Rule {
        meta: role_trust::META,
        check: Check::Function(role_trust::check),
    },
    Rule {
        meta: role_trust_source::META,
        check: Check::Function(role_trust_source::check),
    },
    Rule {
        meta: unapproved_exemption::META,
        check: Check::Function(unapproved_exemption::check),
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

/// Which rules run, who counts as trusted, and the rules' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleConfig {
    /// Accounts whose principals count as restricted.
    pub trusted_accounts: BTreeSet<AccountId>,
    /// The organization whose members count as restricted.
    pub organization_id: Option<String>,
    /// Rules switched off.
    pub disabled: BTreeSet<RuleId>,
    /// Rules that are off by default, switched on.
    pub enabled: BTreeSet<RuleId>,
    /// When set, the only rules that run (besides LW006): `WARDEN_RULES`, `--rules`.
    pub only: Option<BTreeSet<RuleId>>,
    /// Tag keys every function must carry (LW017).
    pub required_tags: BTreeSet<String>,
    /// Days before a runtime's deprecation date that LW009 warns (MEDIUM).
    pub runtime_warning_days: u32,
    /// Accounts whose layers are trusted, besides the function's own and `trusted_accounts`.
    pub trusted_layer_accounts: BTreeSet<AccountId>,
}

impl Default for RuleConfig {
    /// The rule settings of [`Config::default`].
    fn default() -> Self {
        RuleConfig::from(&Config::default())
    }
}

impl From<&Config> for RuleConfig {
    fn from(c: &Config) -> Self {
        RuleConfig {
            trusted_accounts: c.trusted_accounts.clone(),
            organization_id: c.organization_id.clone(),
            disabled: c.disabled_rules.clone(),
            enabled: c.enabled_rules.clone(),
            only: c.only_rules.clone(),
            required_tags: c.required_tags.clone(),
            runtime_warning_days: c.runtime_warning_days,
            trusted_layer_accounts: c.trusted_layer_accounts.clone(),
        }
    }
}

impl RuleConfig {
    /// Whether `rule` runs: with [`RuleConfig::only`] set, when it is listed there; else on by
    /// default and not disabled, or off by default and enabled (`WARDEN_ENABLED_RULES`); a
    /// disabled rule never runs.
    ///
    /// LW006 (unverified-state) always runs: it is what keeps state that could not be read from
    /// counting as compliant.
    pub fn runs(&self, rule: &RuleMeta) -> bool {
        self.runs_id(rule.id, rule.default_on)
    }

    /// [`RuleConfig::runs`] for the rule `id` whose catalogue entry says `default_on`.
    pub fn runs_id(&self, id: RuleId, default_on: bool) -> bool {
        if id == RuleId::LW006 {
            return true;
        }
        if self.disabled.contains(&id) {
            return false;
        }
        match &self.only {
            Some(only) => only.contains(&id),
            None => default_on || self.enabled.contains(&id),
        }
    }
}

/// What the resource-based policy turned out to be.
#[derive(Debug, Clone)]
pub enum PolicyView {
    /// The function has no resource-based policy.
    Absent,
    /// The policy was not read: no rule that runs looks at it.
    NotRead,
    /// Parsed; one verdict per statement, in statement order.
    Parsed {
        /// The policy: every statement that parsed.
        policy: ResourcePolicy,
        /// `verdicts[i]` is the verdict of `policy.statements[i]`.
        verdicts: Vec<Verdict>,
        /// Statements that did not parse (their index in the document is in the error). They
        /// are reported unverified (LW006) while the other statements are still judged, so one
        /// malformed statement cannot hide a public one beside it.
        errors: Vec<PolicyParseError>,
    },
    /// `GetPolicy` was refused.
    Unreadable {
        /// `GetPolicy`.
        operation: String,
        /// The AWS error code.
        error_code: String,
    },
    /// The document could not be parsed.
    Unparseable(PolicyParseError),
}

/// A policy document whose statements parse one by one: the statements that parse, and the
/// errors of those that do not (with their index in the document). `None` when the document
/// itself is not JSON with a `Statement` list, so nothing can be judged.
fn parse_each_statement(json: &str) -> Option<(ResourcePolicy, Vec<PolicyParseError>)> {
    let doc: serde_json::Value = serde_json::from_str(json).ok()?;
    let list = doc.get("Statement")?.as_array()?;
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    for (index, statement) in list.iter().enumerate() {
        let single = serde_json::json!({ "Version": "2012-10-17", "Statement": [statement] });
        match ResourcePolicy::from_value(&single) {
            Ok(mut p) => statements.append(&mut p.statements),
            Err(e) => errors.push(e.at_index(index)),
        }
    }
    let policy = ResourcePolicy {
        version: doc
            .get("Version")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        id: doc.get("Id").and_then(|v| v.as_str()).map(str::to_owned),
        statements,
    };
    Some((policy, errors))
}

impl PolicyView {
    /// Parses a read policy document and judges each statement against `trust`.
    pub fn judge(
        policy: &Readable<Option<crate::snapshot::PolicyDocument>>,
        trust: &TrustContext,
    ) -> Self {
        match policy {
            Readable::Read { value: None } => PolicyView::Absent,
            Readable::NotRead => PolicyView::NotRead,
            Readable::Read { value: Some(doc) } => {
                let (policy, errors) = match ResourcePolicy::parse(&doc.json) {
                    Ok(policy) => (policy, Vec::new()),
                    // Only a statement-level error falls back to judging the statements one
                    // by one; a document too large, not JSON, or with a bad Version or Id is
                    // unverified as a whole.
                    Err(
                        e @ (PolicyParseError::StatementNotObject { .. }
                        | PolicyParseError::Field { .. }),
                    ) => match parse_each_statement(&doc.json) {
                        Some(parts) => parts,
                        None => return PolicyView::Unparseable(e),
                    },
                    Err(e) => return PolicyView::Unparseable(e),
                };
                // What IAM would allow: each Allow judged with the policy's Deny statements.
                let verdicts = policy_verdicts(&policy.statements, trust)
                    .into_iter()
                    .map(|v| v.effective)
                    .collect();
                PolicyView::Parsed {
                    policy,
                    verdicts,
                    errors,
                }
            }
            Readable::Unreadable {
                operation,
                error_code,
            } => PolicyView::Unreadable {
                operation: operation.clone(),
                error_code: error_code.clone(),
            },
        }
    }

    /// The statements with their verdicts (empty when the policy is absent or unreadable).
    pub fn judged(&self) -> impl Iterator<Item = (&crate::policy::Statement, &Verdict)> {
        let pairs: Option<_> = match self {
            PolicyView::Parsed {
                policy, verdicts, ..
            } => Some(policy.statements.iter().zip(verdicts.iter())),
            _ => None,
        };
        pairs.into_iter().flatten()
    }
}

/// Everything a rule may look at: the snapshot, the policy parsed and judged once, the
/// execution role's policies parsed once, the settings and the evaluation time.
pub struct Context<'a> {
    /// The fetched state.
    pub snapshot: &'a FunctionSnapshot,
    /// The policy and its verdicts.
    pub policy: PolicyView,
    /// Who counts as trusted.
    pub trust: TrustContext,
    /// The rules' settings.
    pub config: &'a RuleConfig,
    /// The evaluation time, in seconds since the Unix epoch (UTC).
    pub now: i64,
    /// The execution role's trust policy and permission policies, parsed; `None` when the
    /// role is unreadable or absent.
    pub role: Option<role::RoleAnalysis<'a>>,
}

impl<'a> Context<'a> {
    /// Parses the snapshot's policy and judges every statement; parses the execution role's
    /// policies. `now` is the evaluation time in seconds since the Unix epoch.
    pub fn new(snapshot: &'a FunctionSnapshot, config: &'a RuleConfig, now: i64) -> Self {
        let trust = TrustContext {
            function_account: snapshot.arn.account.clone(),
            trusted_accounts: config.trusted_accounts.clone(),
            organization_id: config.organization_id.clone(),
        };
        let policy = PolicyView::judge(&snapshot.policy, &trust);
        let role = snapshot
            .execution_role
            .value()
            .and_then(Option::as_ref)
            .map(role::RoleAnalysis::new);
        Context {
            snapshot,
            policy,
            trust,
            config,
            now,
            role,
        }
    }

    /// The statements with their verdicts (empty when the policy is absent or unreadable).
    pub fn judged(&self) -> impl Iterator<Item = (&crate::policy::Statement, &Verdict)> {
        self.policy.judged()
    }

    /// The function's configuration, when it was read.
    pub fn configuration(&self) -> Option<&crate::snapshot::FunctionConfiguration> {
        self.snapshot.configuration.value()
    }

    /// A finding of `rule` about this function with a manual remediation: the shape of every
    /// rule whose fix is text only.
    pub fn manual_finding(
        &self,
        rule: &RuleMeta,
        severity: Severity,
        locator: Option<String>,
        message: String,
        evidence: serde_json::Value,
        remediation: String,
    ) -> Finding {
        Finding {
            rule_id: rule.id,
            severity,
            resource_arn: self.resource_arn(),
            sid: locator,
            message,
            evidence,
            remediation: crate::findings::Remediation {
                safety: FixSafety::Manual,
                fix: crate::findings::Fix::None,
                text: remediation,
            },
        }
    }

    /// The evaluated ARN as text.
    pub fn resource_arn(&self) -> String {
        self.snapshot.arn.to_string()
    }
}

/// Runs every function rule that [`RuleConfig::runs`] over a snapshot, at evaluation time
/// `now` (seconds since the Unix epoch, UTC; the caller reads the clock). Findings come in
/// rule order, then statement order.
pub fn evaluate(snapshot: &FunctionSnapshot, config: &RuleConfig, now: i64) -> Vec<Finding> {
    let cx = Context::new(snapshot, config, now);
    RULES
        .iter()
        .filter(|r| config.runs(&r.meta))
        .flat_map(|r| match r.check {
            Check::Function(check) => check(&cx),
            Check::Layer(_) => Vec::new(),
        })
        .collect()
}

/// Everything a layer rule may look at: the layer snapshot and its policy, parsed and judged.
pub struct LayerContext<'a> {
    /// The fetched state.
    pub snapshot: &'a LayerSnapshot,
    /// The layer version's policy and its verdicts.
    pub policy: PolicyView,
    /// The rules' settings.
    pub config: &'a RuleConfig,
}

/// Runs every layer rule that [`RuleConfig::runs`] over a layer version, and LW006 for a policy
/// that could not be read or parsed. Findings come in rule order, then statement order.
pub fn evaluate_layer(snapshot: &LayerSnapshot, config: &RuleConfig) -> Vec<Finding> {
    let trust = TrustContext {
        function_account: snapshot.arn.account.clone(),
        trusted_accounts: config.trusted_accounts.clone(),
        organization_id: config.organization_id.clone(),
    };
    let cx = LayerContext {
        snapshot,
        policy: PolicyView::judge(&snapshot.policy, &trust),
        config,
    };
    let mut out: Vec<Finding> = RULES
        .iter()
        .filter(|r| config.runs(&r.meta))
        .flat_map(|r| match r.check {
            Check::Layer(check) => check(&cx),
            Check::Function(_) => Vec::new(),
        })
        .collect();
    if config.runs(&unverified_state::META) {
        out.extend(unverified_state::check_layer(&cx));
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
    fn unverified_state_runs_even_when_disabled() {
        let mut c = RuleConfig::from(&Config::default());
        c.disabled.insert(RuleId::LW006);
        assert!(c.runs(RuleId::LW006.meta()));
    }

    #[test]
    fn default_off_rules_run_only_when_enabled() {
        let off = RuleId::LW014.meta();
        assert!(!off.default_on);
        let mut c = RuleConfig::default();
        assert!(!c.runs(off));
        c.enabled.insert(RuleId::LW014);
        assert!(c.runs(off));
        c.disabled.insert(RuleId::LW014);
        assert!(!c.runs(off));
        assert!(RuleConfig::default().runs(RuleId::LW001.meta()));
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
