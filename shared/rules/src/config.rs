//! Settings, read from the environment by the function's `main` through [`Config::from_lookup`].
//! Pure: the lookup is a closure, so tests pass a map.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::findings::Severity;
use crate::ids::{AccountId, FunctionArn, RoleArn};
use crate::rule_id::RuleId;
use crate::trigger::is_region_code;

/// What lambda-warden may do to a non-compliant function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Log and alert only.
    Report,
    /// Also write the `lambda-warden:*` status tags (the default).
    Tag,
    /// Also apply fixes: safe fixes within the auto-fix scope, unsafe fixes only on functions
    /// tagged `lambda-warden:auto-fix=true`.
    Enforce,
}

/// Which functions receive *safe* fixes in `enforce` mode. Unsafe fixes always need the
/// opt-in tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoFixScope {
    /// Only functions tagged `lambda-warden:auto-fix=true` (the default).
    OptIn,
    /// Every function not tagged `lambda-warden:exempt`.
    AllNonExempt,
}

/// Which functions a sweep lists the aliases of (`WARDEN_SWEEP_ALIASES`).
///
/// An alias points to a published version or to `$LATEST`
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html>, `FunctionVersion`
/// pattern `(\$LATEST|[0-9]+)`), and has a resource-based policy and URL of its own. Listing
/// them costs one `ListAliases` per function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepAliases {
    /// Only functions with at least one published version (the default; the sweep's
    /// `ListFunctions` with `FunctionVersion=ALL` lists the versions at no extra call). An
    /// alias of `$LATEST` on a function never published is then seen by the event path
    /// (`CreateAlias`, `AddPermission` with a `Qualifier`), not by the sweep.
    Versioned,
    /// Every function.
    All,
}

/// Where a sweep reads the functions' tags from (`WARDEN_SWEEP_TAGS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepTags {
    /// One Resource Groups Tagging API `GetResources` per 100 tagged functions of a Region
    /// (the default), falling back to `ListTags` per function when it is refused or fails.
    /// The tagging API is eventually consistent: a sweep about to write anything reads the
    /// function again, tags by `ListTags`, before it plans the write.
    Bulk,
    /// `ListTags` per function.
    PerFunction,
}

/// Who lambda-warden is, so that its own CloudTrail events and its own functions are skipped
/// (no remediation loops), and nobody else's: see [`crate::gate::self_initiated`] for how a
/// call is recognised as lambda-warden's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SelfIdentity {
    /// `WARDEN_SELF_ROLE_ARNS`: the execution roles of lambda-warden's functions, as IAM role
    /// ARNs `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME` (the form
    /// `userIdentity.sessionContext.sessionIssuer.arn` records).
    pub role_arns: BTreeSet<String>,
    /// `WARDEN_SELF_FUNCTION_ARNS`: lambda-warden's functions, as unqualified function ARNs.
    /// Events about them are skipped, and the sweep leaves them out: partition, Region,
    /// account and name must all match (a function of the same name elsewhere is somebody
    /// else's).
    pub function_arns: BTreeSet<FunctionArn>,
    /// The names of `function_arns`, plus the running function's own name
    /// (`AWS_LAMBDA_FUNCTION_NAME`): the session names lambda-warden's functions call with.
    pub function_names: BTreeSet<String>,
    /// `WARDEN_MEMBER_ROLE_NAME` as `PATH/NAME` without outer slashes: calls through this role
    /// with session name [`crate::gate::MEMBER_SESSION_NAME`], in the account the event was
    /// recorded in, are lambda-warden's own.
    pub member_role: Option<String>,
}

impl SelfIdentity {
    /// `true` when `function` (any qualifier ignored) is one of [`SelfIdentity::function_arns`].
    pub fn is_own_function(&self, function: &FunctionArn) -> bool {
        self.function_arns.contains(&function.unqualified())
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    /// `WARDEN_MODE`: `report`, `tag` (default) or `enforce`.
    pub mode: Mode,
    /// `WARDEN_AUTO_FIX_SCOPE`: `opt-in` (default) or `all-non-exempt`.
    pub auto_fix_scope: AutoFixScope,
    /// `WARDEN_TRUSTED_ACCOUNTS`: comma-separated account ids whose principals count as
    /// restricted, not cross-account.
    pub trusted_accounts: BTreeSet<AccountId>,
    /// `WARDEN_ORGANIZATION_ID`: the AWS Organizations id (`o-` + 10-32 lowercase letters or
    /// digits). Public statements are re-pinned to it instead of removed.
    pub organization_id: Option<String>,
    /// `WARDEN_SELF_ROLE_ARNS` (comma-separated IAM role ARNs) and `WARDEN_SELF_FUNCTION_ARNS`
    /// (comma-separated unqualified function ARNs); the running function's own name
    /// (`AWS_LAMBDA_FUNCTION_NAME`) is always among the session names, and the member role of
    /// `WARDEN_MEMBER_ROLE_NAME` is lambda-warden's too. See [`SelfIdentity`].
    pub self_identity: SelfIdentity,
    /// `WARDEN_REGIONS`: comma-separated Region codes where the functions affected by an IAM
    /// change are looked up, in order, without duplicates. Default: the function's own Region
    /// (`AWS_REGION`, which Lambda sets:
    /// <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>);
    /// empty when neither is set, which the adapter reads as "the SDK configuration's Region".
    pub regions: Vec<String>,
    /// `WARDEN_ALERT_TOPIC_ARN`: the SNS topic alerts go to; no alerts when unset.
    pub alert_topic_arn: Option<String>,
    /// `WARDEN_ALERT_MIN_SEVERITY`: findings below it are tagged but not alerted
    /// (default `low`).
    pub alert_min_severity: Severity,
    /// `WARDEN_MAX_REPLANS`: how many times a policy edit is re-read and re-planned after
    /// `PreconditionFailedException` (default 3, at most 10).
    pub max_replans: u32,
    /// `WARDEN_DISABLED_RULES`: comma-separated rule ids or slugs that do not run. LW006
    /// (unverified-state) cannot be disabled: without it, a policy or role that could not be
    /// read would count as compliant.
    pub disabled_rules: BTreeSet<RuleId>,
    /// `WARDEN_ENABLED_RULES`: comma-separated rule ids or slugs of rules that are off by
    /// default (`default_on: false` in the catalogue) and should run. A rule may not be both
    /// enabled and disabled.
    pub enabled_rules: BTreeSet<RuleId>,
    /// `WARDEN_RULES`: comma-separated rule ids or slugs; when set, exactly these rules run
    /// (default-off ones included), plus LW006, which always runs. Parts of a function's state
    /// that none of them reads are not read at all ([`crate::reads::Reads`]). May not be set
    /// together with `WARDEN_DISABLED_RULES` or `WARDEN_ENABLED_RULES`.
    pub only_rules: Option<BTreeSet<RuleId>>,
    /// `WARDEN_REQUIRED_TAGS`: comma-separated tag keys every function must carry (LW017).
    /// Empty (the default): LW017 reports nothing.
    pub required_tags: BTreeSet<String>,
    /// `WARDEN_RUNTIME_WARNING_DAYS`: how many days before a runtime's deprecation date LW009
    /// starts warning (default 90, at most 3650).
    pub runtime_warning_days: u32,
    /// `WARDEN_TRUSTED_LAYER_ACCOUNTS`: comma-separated account ids whose published layers
    /// count as trusted (LW016), besides the function's own account and
    /// `WARDEN_TRUSTED_ACCOUNTS`.
    pub trusted_layer_accounts: BTreeSet<AccountId>,
    /// `WARDEN_MEMBER_ROLE_NAME`: the role (name, or `path/name`) the functions assume in
    /// another account of the organization to evaluate events from it; events from other
    /// accounts are skipped when unset. It is also `self_identity.member_role`: calls made
    /// through it with lambda-warden's member session name are lambda-warden's own.
    pub member_role_name: Option<String>,
    /// `WARDEN_MEMBER_EXTERNAL_ID`: the `ExternalId` the member role's trust policy requires.
    pub member_external_id: Option<String>,
    /// `WARDEN_STATE_TABLE`: the DynamoDB table (name or ARN) that holds lambda-warden's state:
    /// open findings and their fingerprint per resource, exemptions, and the write-ahead audit
    /// trail. Unset: no state (every evaluation with findings alerts, no exemption is honoured).
    pub state_table: Option<String>,
    /// `WARDEN_EXEMPTION_APPROVERS`: comma-separated IAM principal ARN patterns (`*` matches
    /// any run of characters, `?` one) whose `TagResource` of `lambda-warden:exempt` is
    /// honoured and recorded. Empty (the default): only `lambda-warden exempt` records one.
    pub exemption_approvers: Vec<String>,
    /// `WARDEN_CALL_ATTEMPT_TIMEOUT_MS`: the longest one attempt of an AWS call may take, in
    /// milliseconds (default 5000, 100-60000).
    pub call_attempt_timeout_ms: u64,
    /// `WARDEN_CALL_OPERATION_TIMEOUT_MS`: the longest one AWS call may take with its retries,
    /// in milliseconds (default 15000, 100-120000; not less than the attempt timeout).
    pub call_operation_timeout_ms: u64,
    /// `WARDEN_WRITE_MARGIN_MS`: no new write starts when less than this remains before the
    /// invocation's deadline, in milliseconds (default 20000, 0-600000).
    pub write_margin_ms: u64,
    /// `WARDEN_AUDIT_RETENTION_DAYS`: days an audit record is kept in the state table before
    /// DynamoDB's TTL deletes it (1-36500); unset (the default): kept.
    pub audit_retention_days: Option<u32>,
    /// `WARDEN_SWEEP_ALIASES`: `versioned` (default) or `all`; see [`SweepAliases`].
    pub sweep_aliases: SweepAliases,
    /// `WARDEN_SWEEP_TAGS`: `bulk` (default) or `per-function`; see [`SweepTags`].
    pub sweep_tags: SweepTags,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Tag,
            auto_fix_scope: AutoFixScope::OptIn,
            trusted_accounts: BTreeSet::new(),
            organization_id: None,
            self_identity: SelfIdentity::default(),
            regions: Vec::new(),
            alert_topic_arn: None,
            alert_min_severity: Severity::Low,
            max_replans: 3,
            disabled_rules: BTreeSet::new(),
            enabled_rules: BTreeSet::new(),
            only_rules: None,
            required_tags: BTreeSet::new(),
            runtime_warning_days: 90,
            trusted_layer_accounts: BTreeSet::new(),
            member_role_name: None,
            member_external_id: None,
            state_table: None,
            exemption_approvers: Vec::new(),
            call_attempt_timeout_ms: 5_000,
            call_operation_timeout_ms: 15_000,
            sweep_aliases: SweepAliases::Versioned,
            sweep_tags: SweepTags::Bulk,
            write_margin_ms: 20_000,
            audit_retention_days: None,
        }
    }
}

/// A setting that could not be understood. The function fails at initialisation with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("setting {variable}={value:?} is invalid: expected {expected}")]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

fn list(value: Option<String>) -> impl Iterator<Item = String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

/// The distinct Region codes of the comma-separated `value` of `variable`, in order.
fn regions(variable: &'static str, value: Option<String>) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::new();
    for r in list(value) {
        if !is_region_code(&r) {
            return Err(ConfigError {
                variable,
                value: r,
                expected: "comma-separated AWS Region codes such as us-east-1,eu-west-1",
            });
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The [`SelfIdentity`] of the comma-separated `role_arns` (`WARDEN_SELF_ROLE_ARNS`) and
/// `function_arns` (`WARDEN_SELF_FUNCTION_ARNS`), and the running function's own name
/// (`AWS_LAMBDA_FUNCTION_NAME`). `member_role` is left unset (it comes with
/// `WARDEN_MEMBER_ROLE_NAME`).
fn self_identity(
    role_arns: Option<String>,
    function_arns: Option<String>,
    own_name: Option<String>,
) -> Result<SelfIdentity, ConfigError> {
    let mut me = SelfIdentity::default();
    for r in list(role_arns) {
        let arn = RoleArn::parse(&r).map_err(|_| ConfigError {
            variable: "WARDEN_SELF_ROLE_ARNS",
            value: r.clone(),
            expected: "comma-separated IAM role ARNs arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME",
        })?;
        me.role_arns.insert(arn.to_string());
    }
    for f in list(function_arns) {
        let arn = FunctionArn::parse(&f)
            .ok()
            .filter(|a| a.qualifier.is_none())
            .ok_or_else(|| ConfigError {
                variable: "WARDEN_SELF_FUNCTION_ARNS",
                value: f.clone(),
                expected: "comma-separated unqualified Lambda function ARNs \
                           arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME",
            })?;
        me.function_names.insert(arn.name.as_str().to_owned());
        me.function_arns.insert(arn);
    }
    me.function_names
        .extend(own_name.map(|n| n.trim().to_owned()));
    Ok(me)
}

impl Config {
    /// Reads the configuration through `lookup` (the process environment in production).
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable whose value is not understood.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let err = |variable, value: String, expected| ConfigError {
            variable,
            value,
            expected,
        };
        let mut c = Config::default();
        if let Some(v) = get("WARDEN_MODE") {
            c.mode = match v.trim().to_ascii_lowercase().as_str() {
                "report" => Mode::Report,
                "tag" => Mode::Tag,
                "enforce" => Mode::Enforce,
                _ => return Err(err("WARDEN_MODE", v, "report, tag or enforce")),
            };
        }
        if let Some(v) = get("WARDEN_SWEEP_ALIASES") {
            c.sweep_aliases = match v.trim().to_ascii_lowercase().as_str() {
                "versioned" => SweepAliases::Versioned,
                "all" => SweepAliases::All,
                _ => return Err(err("WARDEN_SWEEP_ALIASES", v, "versioned or all")),
            };
        }
        if let Some(v) = get("WARDEN_SWEEP_TAGS") {
            c.sweep_tags = match v.trim().to_ascii_lowercase().as_str() {
                "bulk" => SweepTags::Bulk,
                "per-function" => SweepTags::PerFunction,
                _ => return Err(err("WARDEN_SWEEP_TAGS", v, "bulk or per-function")),
            };
        }
        if let Some(v) = get("WARDEN_AUTO_FIX_SCOPE") {
            c.auto_fix_scope = match v.trim().to_ascii_lowercase().as_str() {
                "opt-in" => AutoFixScope::OptIn,
                "all-non-exempt" => AutoFixScope::AllNonExempt,
                _ => return Err(err("WARDEN_AUTO_FIX_SCOPE", v, "opt-in or all-non-exempt")),
            };
        }
        for a in list(get("WARDEN_TRUSTED_ACCOUNTS")) {
            let id = AccountId::parse(&a)
                .map_err(|_| err("WARDEN_TRUSTED_ACCOUNTS", a.clone(), "12-digit account ids"))?;
            c.trusted_accounts.insert(id);
        }
        if let Some(v) = get("WARDEN_ORGANIZATION_ID") {
            let v = v.trim().to_owned();
            let body = v.strip_prefix("o-").unwrap_or("");
            let ok = (10..=32).contains(&body.len())
                && body
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !ok {
                return Err(err(
                    "WARDEN_ORGANIZATION_ID",
                    v,
                    "o- followed by 10-32 lowercase letters or digits",
                ));
            }
            c.organization_id = Some(v);
        }
        c.self_identity = self_identity(
            get("WARDEN_SELF_ROLE_ARNS"),
            get("WARDEN_SELF_FUNCTION_ARNS"),
            get("AWS_LAMBDA_FUNCTION_NAME"),
        )?;
        c.regions = match get("WARDEN_REGIONS") {
            Some(v) => regions("WARDEN_REGIONS", Some(v))?,
            None => regions("AWS_REGION", get("AWS_REGION"))?,
        };
        c.alert_topic_arn = get("WARDEN_ALERT_TOPIC_ARN").map(|v| v.trim().to_owned());
        if let Some(v) = get("WARDEN_ALERT_MIN_SEVERITY") {
            c.alert_min_severity = Severity::parse(v.trim()).ok_or_else(|| {
                err(
                    "WARDEN_ALERT_MIN_SEVERITY",
                    v.clone(),
                    "informational, low, medium, high or critical",
                )
            })?;
        }
        if let Some(v) = get("WARDEN_MAX_REPLANS") {
            c.max_replans = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10)
                .ok_or_else(|| err("WARDEN_MAX_REPLANS", v.clone(), "a whole number 0-10"))?;
        }
        for r in list(get("WARDEN_DISABLED_RULES")) {
            let id = RuleId::parse(&r).ok_or_else(|| {
                err(
                    "WARDEN_DISABLED_RULES",
                    r.clone(),
                    "rule ids (LW001) or slugs (public-invoke)",
                )
            })?;
            if id == RuleId::LW006 {
                return Err(err(
                    "WARDEN_DISABLED_RULES",
                    r,
                    "rules other than LW006 (unverified-state keeps state that could not be read \
                     from counting as compliant)",
                ));
            }
            c.disabled_rules.insert(id);
        }
        for r in list(get("WARDEN_ENABLED_RULES")) {
            let id = RuleId::parse(&r).ok_or_else(|| {
                err(
                    "WARDEN_ENABLED_RULES",
                    r.clone(),
                    "rule ids (LW014) or slugs (not-in-vpc)",
                )
            })?;
            if c.disabled_rules.contains(&id) {
                return Err(err(
                    "WARDEN_ENABLED_RULES",
                    r,
                    "rules that are not also in WARDEN_DISABLED_RULES",
                ));
            }
            c.enabled_rules.insert(id);
        }
        let only: Vec<String> = list(get("WARDEN_RULES")).collect();
        if !only.is_empty() {
            if !c.disabled_rules.is_empty() || !c.enabled_rules.is_empty() {
                return Err(err(
                    "WARDEN_RULES",
                    only.join(","),
                    "either WARDEN_RULES or WARDEN_DISABLED_RULES/WARDEN_ENABLED_RULES, not both",
                ));
            }
            let mut ids = BTreeSet::new();
            for r in only {
                let id = RuleId::parse(&r).ok_or_else(|| {
                    err(
                        "WARDEN_RULES",
                        r.clone(),
                        "rule ids (LW001) or slugs (public-invoke)",
                    )
                })?;
                ids.insert(id);
            }
            c.only_rules = Some(ids);
        }
        for key in list(get("WARDEN_REQUIRED_TAGS")) {
            // Tag keys: 1-128 characters; the aws: prefix is reserved
            // (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
            let ok = key.chars().count() <= crate::tags::MAX_KEY_CHARS
                && !key.to_ascii_lowercase().starts_with("aws:");
            if !ok {
                return Err(err(
                    "WARDEN_REQUIRED_TAGS",
                    key,
                    "tag keys of at most 128 characters, not starting with aws:",
                ));
            }
            c.required_tags.insert(key);
        }
        if let Some(v) = get("WARDEN_RUNTIME_WARNING_DAYS") {
            c.runtime_warning_days = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 3650)
                .ok_or_else(|| {
                    err(
                        "WARDEN_RUNTIME_WARNING_DAYS",
                        v.clone(),
                        "a whole number of days 0-3650",
                    )
                })?;
        }
        for a in list(get("WARDEN_TRUSTED_LAYER_ACCOUNTS")) {
            let id = AccountId::parse(&a).map_err(|_| {
                err(
                    "WARDEN_TRUSTED_LAYER_ACCOUNTS",
                    a.clone(),
                    "12-digit account ids",
                )
            })?;
            c.trusted_layer_accounts.insert(id);
        }
        if let Some(v) = get("WARDEN_MEMBER_ROLE_NAME") {
            let v = v.trim().to_owned();
            // IAM role names: 1-64 of letters, digits and `+=,.@_-`, optionally under a path
            // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
            let name = v.rsplit('/').next().unwrap_or("");
            let ok = (1..=64).contains(&name.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
            if !ok {
                return Err(err(
                    "WARDEN_MEMBER_ROLE_NAME",
                    v,
                    "an IAM role name (1-64 of letters, digits, +=,.@_-), optionally with a path",
                ));
            }
            // The member role acts for lambda-warden in other accounts: its calls are our own.
            c.self_identity.member_role = Some(v.trim_matches('/').to_owned());
            c.member_role_name = Some(v);
        }
        if let Some(v) = get("WARDEN_MEMBER_EXTERNAL_ID") {
            let v = v.trim().to_owned();
            // sts:AssumeRole ExternalId: 2-1224 of letters, digits and `+=,.@:/-`
            // (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
            let ok = (2..=1224).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
            if !ok {
                return Err(err(
                    "WARDEN_MEMBER_EXTERNAL_ID",
                    v,
                    "2-1224 letters, digits or +=,.@:/-_",
                ));
            }
            c.member_external_id = Some(v);
        }
        if let Some(v) = get("WARDEN_STATE_TABLE") {
            let v = v.trim().to_owned();
            // DynamoDB table names: 3-255 of letters, digits, `_ . -`; an ARN is accepted too
            // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
            let name = v.rsplit('/').next().unwrap_or("");
            let ok = (3..=255).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                && (v == name || v.starts_with("arn:"));
            if !ok {
                return Err(err(
                    "WARDEN_STATE_TABLE",
                    v,
                    "a DynamoDB table name (3-255 of letters, digits, _ . -) or table ARN",
                ));
            }
            c.state_table = Some(v);
        }
        for p in list(get("WARDEN_EXEMPTION_APPROVERS")) {
            if !p.starts_with("arn:") || p.chars().any(char::is_whitespace) {
                return Err(err(
                    "WARDEN_EXEMPTION_APPROVERS",
                    p,
                    "comma-separated IAM principal ARN patterns starting with arn:",
                ));
            }
            c.exemption_approvers.push(p);
        }
        let millis = |variable: &'static str, range: std::ops::RangeInclusive<u64>, expected| {
            get(variable)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| range.contains(n))
                        .ok_or_else(|| err(variable, v.clone(), expected))
                })
                .transpose()
        };
        if let Some(n) = millis(
            "WARDEN_CALL_ATTEMPT_TIMEOUT_MS",
            100..=60_000,
            "milliseconds 100-60000",
        )? {
            c.call_attempt_timeout_ms = n;
        }
        if let Some(n) = millis(
            "WARDEN_CALL_OPERATION_TIMEOUT_MS",
            100..=120_000,
            "milliseconds 100-120000, not less than WARDEN_CALL_ATTEMPT_TIMEOUT_MS",
        )? {
            c.call_operation_timeout_ms = n;
        }
        if c.call_operation_timeout_ms < c.call_attempt_timeout_ms {
            return Err(err(
                "WARDEN_CALL_OPERATION_TIMEOUT_MS",
                c.call_operation_timeout_ms.to_string(),
                "milliseconds not less than WARDEN_CALL_ATTEMPT_TIMEOUT_MS",
            ));
        }
        if let Some(n) = millis(
            "WARDEN_WRITE_MARGIN_MS",
            0..=600_000,
            "milliseconds 0-600000",
        )? {
            c.write_margin_ms = n;
        }
        if let Some(v) = get("WARDEN_AUDIT_RETENTION_DAYS") {
            c.audit_retention_days = Some(
                v.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=36_500).contains(n))
                    .ok_or_else(|| {
                        err(
                            "WARDEN_AUDIT_RETENTION_DAYS",
                            v.clone(),
                            "a whole number of days 1-36500",
                        )
                    })?,
            );
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(from(&[]).unwrap(), Config::default());
    }

    #[test]
    fn every_setting_is_read() {
        let c = from(&[
            ("WARDEN_MODE", "Enforce"),
            ("WARDEN_AUTO_FIX_SCOPE", "all-non-exempt"),
            ("WARDEN_TRUSTED_ACCOUNTS", "111122223333, 444455556666"),
            ("WARDEN_ORGANIZATION_ID", "o-a1b2c3d4e5"),
            (
                "WARDEN_SELF_ROLE_ARNS",
                "arn:aws:iam::111122223333:role/warden-role, \
                 arn:aws:iam::111122223333:role/ops/warden-sweep-role",
            ),
            (
                "WARDEN_SELF_FUNCTION_ARNS",
                "arn:aws:lambda:us-east-1:111122223333:function:warden-sweep",
            ),
            ("AWS_LAMBDA_FUNCTION_NAME", "warden-events"),
            (
                "WARDEN_ALERT_TOPIC_ARN",
                "arn:aws:sns:us-east-1:111122223333:alerts",
            ),
            ("WARDEN_ALERT_MIN_SEVERITY", "high"),
            ("WARDEN_MAX_REPLANS", "5"),
            ("WARDEN_DISABLED_RULES", "LW005, confused-deputy"),
            ("WARDEN_REGIONS", "us-east-1, eu-west-1,us-east-1"),
            ("AWS_REGION", "ap-south-1"),
            ("WARDEN_ENABLED_RULES", "not-in-vpc, LW013"),
            ("WARDEN_REQUIRED_TAGS", "owner, cost-center"),
            ("WARDEN_RUNTIME_WARNING_DAYS", "30"),
            ("WARDEN_TRUSTED_LAYER_ACCOUNTS", "017000801446"),
            ("WARDEN_MEMBER_ROLE_NAME", "security/lambda-warden-member"),
            ("WARDEN_MEMBER_EXTERNAL_ID", "o-a1b2c3d4e5-warden"),
            ("WARDEN_STATE_TABLE", "lambda-warden-state"),
            (
                "WARDEN_EXEMPTION_APPROVERS",
                "arn:aws:iam::111122223333:role/security-*",
            ),
            ("WARDEN_CALL_ATTEMPT_TIMEOUT_MS", "2000"),
            ("WARDEN_CALL_OPERATION_TIMEOUT_MS", "8000"),
            ("WARDEN_WRITE_MARGIN_MS", "10000"),
            ("WARDEN_AUDIT_RETENTION_DAYS", "400"),
        ])
        .unwrap();
        assert_eq!(c.state_table.as_deref(), Some("lambda-warden-state"));
        assert_eq!(
            c.exemption_approvers,
            ["arn:aws:iam::111122223333:role/security-*"]
        );
        assert_eq!(
            (
                c.call_attempt_timeout_ms,
                c.call_operation_timeout_ms,
                c.write_margin_ms
            ),
            (2000, 8000, 10000)
        );
        assert_eq!(c.audit_retention_days, Some(400));
        assert_eq!(c.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(c.mode, Mode::Enforce);
        assert_eq!(c.auto_fix_scope, AutoFixScope::AllNonExempt);
        assert_eq!(c.trusted_accounts.len(), 2);
        assert_eq!(c.organization_id.as_deref(), Some("o-a1b2c3d4e5"));
        assert_eq!(
            c.self_identity.role_arns,
            [
                "arn:aws:iam::111122223333:role/ops/warden-sweep-role".to_owned(),
                "arn:aws:iam::111122223333:role/warden-role".to_owned(),
            ]
            .into()
        );
        assert_eq!(
            c.self_identity.function_names,
            ["warden-events".to_owned(), "warden-sweep".to_owned()].into()
        );
        assert!(c.self_identity.is_own_function(
            &FunctionArn::parse("arn:aws:lambda:us-east-1:111122223333:function:warden-sweep:live")
                .unwrap()
        ));
        assert_eq!(c.alert_min_severity, Severity::High);
        assert_eq!(c.max_replans, 5);
        assert_eq!(
            c.disabled_rules,
            [RuleId::LW002, RuleId::LW005].into_iter().collect()
        );
        assert_eq!(
            c.enabled_rules,
            [RuleId::LW013, RuleId::LW014].into_iter().collect()
        );
        assert_eq!(
            c.required_tags,
            ["cost-center".to_owned(), "owner".to_owned()].into()
        );
        assert_eq!(c.runtime_warning_days, 30);
        assert_eq!(c.trusted_layer_accounts.len(), 1);
        assert_eq!(
            c.member_role_name.as_deref(),
            Some("security/lambda-warden-member")
        );
        assert_eq!(
            c.self_identity.member_role.as_deref(),
            Some("security/lambda-warden-member")
        );
        assert_eq!(c.member_external_id.as_deref(), Some("o-a1b2c3d4e5-warden"));
    }

    #[test]
    fn a_rule_cannot_be_enabled_and_disabled() {
        let e = from(&[
            ("WARDEN_DISABLED_RULES", "LW014"),
            ("WARDEN_ENABLED_RULES", "not-in-vpc"),
        ])
        .unwrap_err();
        assert_eq!(e.variable, "WARDEN_ENABLED_RULES");
    }

    #[test]
    fn only_the_listed_rules_run_and_not_with_the_other_lists() {
        let c = from(&[("WARDEN_RULES", "LW001, confused-deputy,LW003")]).unwrap();
        assert_eq!(
            c.only_rules,
            Some([RuleId::LW001, RuleId::LW002, RuleId::LW003].into())
        );
        let rules = crate::rules::RuleConfig::from(&c);
        assert!(rules.runs_id(RuleId::LW001, true));
        assert!(rules.runs_id(RuleId::LW006, true), "LW006 always runs");
        assert!(!rules.runs_id(RuleId::LW004, true));
        assert!(!rules.runs_id(RuleId::LW013, false));
        assert_eq!(from(&[]).unwrap().only_rules, None);
        let sweep = from(&[
            ("WARDEN_SWEEP_ALIASES", "All"),
            ("WARDEN_SWEEP_TAGS", "per-function"),
        ])
        .unwrap();
        assert_eq!(
            (sweep.sweep_aliases, sweep.sweep_tags),
            (SweepAliases::All, SweepTags::PerFunction)
        );
        let defaults = from(&[]).unwrap();
        assert_eq!(
            (defaults.sweep_aliases, defaults.sweep_tags),
            (SweepAliases::Versioned, SweepTags::Bulk)
        );
        for (variable, value) in [
            ("WARDEN_SWEEP_ALIASES", "some"),
            ("WARDEN_SWEEP_TAGS", "tagged"),
        ] {
            assert_eq!(from(&[(variable, value)]).unwrap_err().variable, variable);
        }
        for other in ["WARDEN_DISABLED_RULES", "WARDEN_ENABLED_RULES"] {
            let e = from(&[("WARDEN_RULES", "LW001"), (other, "LW014")]).unwrap_err();
            assert_eq!(e.variable, "WARDEN_RULES");
        }
        assert_eq!(
            from(&[("WARDEN_RULES", "LW999")]).unwrap_err().variable,
            "WARDEN_RULES"
        );
    }

    #[test]
    fn regions_default_to_the_function_s_own() {
        assert_eq!(
            from(&[("AWS_REGION", "eu-central-1")]).unwrap().regions,
            ["eu-central-1"]
        );
        assert_eq!(
            from(&[("AWS_REGION", "eu-central-1"), ("WARDEN_REGIONS", " ")])
                .unwrap()
                .regions,
            ["eu-central-1"]
        );
        assert!(from(&[]).unwrap().regions.is_empty());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("WARDEN_MODE", "fix-everything"),
            ("WARDEN_TRUSTED_ACCOUNTS", "123"),
            ("WARDEN_ORGANIZATION_ID", "org-1"),
            ("WARDEN_ALERT_MIN_SEVERITY", "urgent"),
            ("WARDEN_MAX_REPLANS", "99"),
            ("WARDEN_AUTO_FIX_SCOPE", "everything"),
            ("WARDEN_DISABLED_RULES", "LW999"),
            ("WARDEN_DISABLED_RULES", "unverified-state"),
            ("WARDEN_REGIONS", "Europe"),
            ("AWS_REGION", "us_east_1"),
            ("WARDEN_ENABLED_RULES", "everything"),
            ("WARDEN_REQUIRED_TAGS", "aws:cloudformation:stack-name"),
            ("WARDEN_RUNTIME_WARNING_DAYS", "-1"),
            ("WARDEN_RUNTIME_WARNING_DAYS", "9999"),
            ("WARDEN_TRUSTED_LAYER_ACCOUNTS", "aws"),
            ("WARDEN_MEMBER_ROLE_NAME", "role with spaces"),
            ("WARDEN_SELF_ROLE_ARNS", "lambda-warden-events-role"),
            (
                "WARDEN_SELF_ROLE_ARNS",
                "arn:aws:sts::111122223333:assumed-role/r/s",
            ),
            (
                "WARDEN_SELF_ROLE_ARNS",
                "arn:aws:iam::111122223333:user/warden",
            ),
            ("WARDEN_SELF_FUNCTION_ARNS", "lambda-warden-events"),
            (
                "WARDEN_SELF_FUNCTION_ARNS",
                "111122223333:function:lambda-warden-events",
            ),
            (
                "WARDEN_SELF_FUNCTION_ARNS",
                "arn:aws:lambda:us-east-1:111122223333:function:lambda-warden-events:live",
            ),
            ("WARDEN_MEMBER_EXTERNAL_ID", "x"),
            ("WARDEN_STATE_TABLE", "a b"),
            ("WARDEN_EXEMPTION_APPROVERS", "security-admin"),
            ("WARDEN_CALL_ATTEMPT_TIMEOUT_MS", "10"),
            ("WARDEN_CALL_OPERATION_TIMEOUT_MS", "1000000"),
            ("WARDEN_WRITE_MARGIN_MS", "soon"),
            ("WARDEN_AUDIT_RETENTION_DAYS", "0"),
        ] {
            let e = from(&[(k, v)]).unwrap_err();
            assert_eq!(e.variable, k);
            assert_eq!(e.value, v);
        }
    }
}
