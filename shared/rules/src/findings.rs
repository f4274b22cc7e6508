//! Findings: what a rule found, how bad it is, and how it could be fixed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, Qualifier};

/// How serious a finding is. Ordered: `Informational < Low < Medium < High < Critical`.
/// The scale is ASFF's `Severity.Label`
/// (<https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Worth knowing; no action expected.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical: anyone can reach the function.
    Critical,
}

impl Severity {
    /// ASFF's label: `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Parses a label, case-insensitively (`critical`, `HIGH`, `info`/`informational`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Severity::Informational),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How safe it is to apply a remediation automatically (after ruff's fix applicability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixSafety {
    /// No legitimate caller loses access. Applied in `enforce` mode within the auto-fix scope.
    Safe,
    /// Changes who can invoke the function. Applied only in `enforce` mode and only to a
    /// function tagged `lambda-warden:auto-fix=true`.
    Unsafe,
    /// Remediation text only; never executed.
    Manual,
}

impl FixSafety {
    /// `safe`, `unsafe` or `manual`.
    pub fn as_str(self) -> &'static str {
        match self {
            FixSafety::Safe => "safe",
            FixSafety::Unsafe => "unsafe",
            FixSafety::Manual => "manual",
        }
    }
}

/// A resource-based policy statement exactly as it stood in the policy, kept so that a human
/// (or `restore`) can put it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementRecord {
    /// The statement's `Sid` (Lambda requires one per statement).
    pub sid: String,
    /// The statement JSON, verbatim.
    pub statement: serde_json::Value,
}

/// The arguments of one `AddPermission` call
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>): the only way to
/// write a statement into a Lambda resource-based policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGrant {
    /// `StatementId`: the statement's `Sid`.
    pub statement_id: String,
    /// `Action`, e.g. `lambda:InvokeFunction`.
    pub action: String,
    /// `Principal`: `*`, an account id, an IAM ARN or a service principal such as
    /// `s3.amazonaws.com`.
    pub principal: String,
    /// `SourceArn` (written by AWS as an `ArnLike` condition on `AWS:SourceArn`).
    pub source_arn: Option<String>,
    /// `SourceAccount` (written as `StringEquals` on `AWS:SourceAccount`).
    pub source_account: Option<AccountId>,
    /// `PrincipalOrgID` (written as `StringEquals` on `aws:PrincipalOrgID`).
    pub principal_org_id: Option<String>,
    /// `EventSourceToken` (Alexa skills).
    pub event_source_token: Option<String>,
    /// `FunctionUrlAuthType` (`NONE` or `AWS_IAM`), for `lambda:InvokeFunctionUrl` grants.
    pub function_url_auth_type: Option<String>,
    /// `InvokedViaFunctionUrl`: restricts `lambda:InvokeFunction` to calls through the URL.
    pub invoked_via_function_url: Option<bool>,
    /// `Qualifier`: the alias or version whose policy the statement belongs to.
    pub qualifier: Option<Qualifier>,
}

/// One concrete change that would fix a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Remove the statement and add it back in a tighter form under the same `Sid`.
    ReplaceStatement {
        /// The statement as it was.
        original: StatementRecord,
        /// The tighter statement.
        replacement: Box<PermissionGrant>,
    },
    /// Remove the statement.
    RemoveStatement {
        /// The statement as it was.
        original: StatementRecord,
    },
    /// Set the function URL's `AuthType` to `AWS_IAM` and remove the statements that made it
    /// public.
    RequireIamAuthOnUrl {
        /// The public URL statements to remove, verbatim.
        remove: Vec<StatementRecord>,
    },
    /// Nothing can be executed; `Remediation::text` says what a human should do.
    None,
}

/// How to fix a finding, and how safe it is to do so automatically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// The fix's safety level (`Manual` whenever `fix` is `Fix::None`).
    pub safety: FixSafety,
    /// What would be executed.
    pub fix: Fix,
    /// What a human should do (always present, even when a fix can be executed).
    pub text: String,
}

/// One thing a rule found wrong with one function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule that produced it, e.g. `LW001`.
    pub rule_id: crate::rule_id::RuleId,
    /// The rule's severity (a rule may lower it for a milder shape).
    pub severity: Severity,
    /// The evaluated function ARN (qualified when an alias or version was evaluated).
    pub resource_arn: String,
    /// What in the resource the finding is about: the `Sid` of the resource-based policy
    /// statement concerned (function and layer policies); for other findings a stable
    /// locator: `env/NAME` (an environment variable), `layer/ARN`, `policy/NAME#INDEX` and
    /// `inline/NAME#INDEX` (a statement of an execution role's managed or inline policy),
    /// `trust#INDEX` (a trust policy statement), or the unverified part (`execution-role`,
    /// `environment`, ...). `None` when the finding is about the function as a whole. The
    /// fingerprint tag is computed from rule ids and these values.
    pub sid: Option<String>,
    /// One sentence a human reads.
    pub message: String,
    /// Structured evidence (the statement, the principal, the missing condition key, ...).
    /// Never a secret value.
    pub evidence: serde_json::Value,
    /// How to fix it.
    pub remediation: Remediation,
}
