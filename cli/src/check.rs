//! `check-policy`: one verdict per statement of a resource-based policy, with its reason.

use std::collections::BTreeSet;

use serde::Serialize;
use thiserror::Error;
use warden_rules::findings::Severity;
use warden_rules::ids::{AccountId, FunctionRef};
use warden_rules::policy::{
    policy_verdicts, PolicyParseError, ResourcePolicy, TrustContext, VerdictKind,
};
use warden_rules::rules::RuleId;

/// The JSON schema of the `check-policy` report.
pub const SCHEMA: &str = "lambda-warden.check-policy/1";

/// Why a policy could not be checked.
#[derive(Debug, Error)]
pub enum CheckError {
    /// The document is not a policy.
    #[error("the policy cannot be read: {0}")]
    Policy(#[from] PolicyParseError),
    /// No `--account` was given and no statement's `Resource` names a function ARN.
    #[error("the function's account is unknown: no statement's Resource is a function ARN; pass --account")]
    NoAccount,
    /// The statements' `Resource` ARNs name more than one account.
    #[error("the statements name functions in several accounts ({accounts}); pass --account")]
    SeveralAccounts {
        /// The accounts, comma-separated.
        accounts: String,
    },
}

/// The verdict on one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementVerdict {
    /// 0-based position in `Statement`.
    pub index: usize,
    /// `Sid`, when the statement has one.
    pub sid: Option<String>,
    /// The statement judged with the whole policy (each `Allow` with the policy's `Deny`
    /// statements: what IAM would allow): `public`, `cross_account` (with `accounts`),
    /// `confused_deputy` (with `services`), `network_restricted` (with `networks`),
    /// `restricted` or `denies`, under `type`. This is what LW001–LW003 report.
    pub verdict: VerdictKind,
    /// The statement judged on its own, as if the policy had no `Deny`.
    pub statement_verdict: VerdictKind,
    /// The severity of the finding this verdict becomes (LW001 public critical,
    /// network-restricted medium; LW003 cross-account and LW002 confused deputy high);
    /// `null` for restricted and denies.
    pub severity: Option<Severity>,
    /// Why: the principal, the condition keys and values, what they pin, and what the
    /// policy's `Deny` statements leave.
    pub reason: String,
}

/// The `check-policy` report (JSON schema [`SCHEMA`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyReport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The function's account the verdicts were reached for.
    pub account: AccountId,
    /// Trusted accounts (besides the function's).
    pub trusted_accounts: Vec<AccountId>,
    /// The trusted organization.
    pub organization_id: Option<String>,
    /// One verdict per statement, in document order.
    pub statements: Vec<StatementVerdict>,
}

/// The rule whose finding a verdict becomes, when it is one.
pub fn rule_of(kind: &VerdictKind) -> Option<RuleId> {
    match kind {
        VerdictKind::Public | VerdictKind::NetworkRestricted { .. } => Some(RuleId::LW001),
        VerdictKind::ConfusedDeputy { .. } => Some(RuleId::LW002),
        VerdictKind::CrossAccount { .. } => Some(RuleId::LW003),
        VerdictKind::Restricted | VerdictKind::Denies => None,
    }
}

/// The severity of the finding a verdict becomes: its rule's, except network-restricted
/// access, which LW001 reports at medium.
pub fn severity_of(kind: &VerdictKind) -> Option<Severity> {
    match kind {
        VerdictKind::NetworkRestricted { .. } => Some(Severity::Medium),
        other => rule_of(other).map(|r| r.meta().severity),
    }
}

/// The account the statements' `Resource` function ARNs name, when they all name one.
fn account_of(policy: &ResourcePolicy) -> Result<AccountId, CheckError> {
    let accounts: BTreeSet<AccountId> = policy
        .statements
        .iter()
        .flat_map(|s| s.resource.iter())
        .filter_map(|r| FunctionRef::parse(r).ok())
        .filter_map(|f| f.account)
        .collect();
    let mut it = accounts.iter();
    match (it.next(), it.next()) {
        (Some(one), None) => Ok(one.clone()),
        (None, _) => Err(CheckError::NoAccount),
        (Some(_), Some(_)) => Err(CheckError::SeveralAccounts {
            accounts: accounts
                .iter()
                .map(AccountId::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Judges every statement of `document` (a policy document as JSON text) for a function in
/// `account` (else the account of the statements' `Resource` ARNs), trusting `trust`'s
/// accounts and organization.
///
/// # Errors
/// [`CheckError`] when the document does not parse or the account cannot be told.
pub fn check(
    document: &str,
    account: Option<AccountId>,
    trusted_accounts: BTreeSet<AccountId>,
    organization_id: Option<String>,
) -> Result<PolicyReport, CheckError> {
    let policy = ResourcePolicy::parse(document)?;
    let account = match account {
        Some(a) => a,
        None => account_of(&policy)?,
    };
    let ctx = TrustContext {
        function_account: account.clone(),
        trusted_accounts: trusted_accounts.clone(),
        organization_id: organization_id.clone(),
    };
    let statements = policy
        .statements
        .iter()
        .zip(policy_verdicts(&policy.statements, &ctx))
        .enumerate()
        .map(|(index, (s, v))| StatementVerdict {
            index,
            sid: s.sid.clone(),
            severity: severity_of(&v.effective.kind),
            verdict: v.effective.kind,
            statement_verdict: v.alone.kind,
            reason: v.effective.reason,
        })
        .collect();
    Ok(PolicyReport {
        schema: SCHEMA,
        account,
        trusted_accounts: trusted_accounts.into_iter().collect(),
        organization_id,
        statements,
    })
}

impl PolicyReport {
    /// Whether a statement fails the check: a verdict with a severity at or above `fail_on`
    /// (any public, cross-account or confused-deputy statement when `fail_on` is `None`).
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        let threshold = fail_on.unwrap_or(Severity::Informational);
        self.statements
            .iter()
            .any(|s| s.severity.is_some_and(|sev| sev >= threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"pub","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"},
        {"Sid":"own","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}]}"#;

    #[test]
    fn the_account_comes_from_the_resource_arns() {
        let r = check(DOC, None, BTreeSet::new(), None).unwrap();
        assert_eq!(r.account.as_str(), "111122223333");
        assert_eq!(r.statements.len(), 2);
        assert_eq!(r.statements[0].verdict, VerdictKind::Public);
        assert_eq!(r.statements[0].severity, Some(Severity::Critical));
        assert_eq!(r.statements[1].verdict, VerdictKind::Restricted);
        assert_eq!(r.statements[1].severity, None);
        assert!(r.fails(None));
        assert!(r.fails(Some(Severity::Critical)));
    }

    #[test]
    fn an_explicit_account_changes_the_verdict() {
        let other = AccountId::parse("444455556666").unwrap();
        let r = check(DOC, Some(other), BTreeSet::new(), None).unwrap();
        assert_eq!(
            r.statements[1].verdict,
            VerdictKind::CrossAccount {
                accounts: vec!["111122223333".into()]
            }
        );
    }

    #[test]
    fn restricted_policies_pass_and_unknown_accounts_are_errors() {
        let own = r#"{"Statement":[{"Sid":"own","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunction","Resource":"*"}]}"#;
        assert!(matches!(
            check(own, None, BTreeSet::new(), None),
            Err(CheckError::NoAccount)
        ));
        let r = check(
            own,
            AccountId::parse("111122223333").ok(),
            BTreeSet::new(),
            None,
        )
        .unwrap();
        assert!(!r.fails(None));
        let two = r#"{"Statement":[
            {"Sid":"a","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"},
            {"Sid":"b","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:444455556666:function:f"}]}"#;
        assert!(matches!(
            check(two, None, BTreeSet::new(), None),
            Err(CheckError::SeveralAccounts { .. })
        ));
    }
}
