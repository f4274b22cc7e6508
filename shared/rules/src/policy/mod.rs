//! Lambda resource-based policies: the typed model ([`ResourcePolicy`], parsed from
//! `GetPolicy`'s `Policy` string) and the verdict on each statement ([`verdict()`]): public,
//! cross-account, confused deputy, restricted, or a `Deny`.
//!
//! Sources:
//! - <https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html>
//! - <https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>

mod condition;
mod effect;
pub mod escalation;
pub mod identity;
mod limit;
mod model;
pub(crate) mod pattern;
pub mod session;
mod verdict;
mod wire;

pub use condition::{Condition, ConditionKey, ConditionOperator, OperatorBase, SetOperator};
pub use effect::{policy_verdicts, PolicyVerdict};
pub use model::{
    Effect, PolicyParseError, Principal, PrincipalMap, ResourcePolicy, Statement, MAX_POLICY_BYTES,
};
pub use verdict::{verdict, TrustContext, Verdict, VerdictKind};

/// Well-known condition keys, in lowercase (compare with [`ConditionKey::is`]).
///
/// Global keys: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>;
/// Lambda keys: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html#awslambda-policy-keys>.
pub mod keys {
    /// `aws:SourceAccount`: the account of the resource on whose behalf a service principal
    /// calls. Present only for calls by a service principal.
    pub const SOURCE_ACCOUNT: &str = "aws:sourceaccount";
    /// `aws:SourceArn`: the ARN of that resource (S3 bucket ARNs carry no account).
    pub const SOURCE_ARN: &str = "aws:sourcearn";
    /// `aws:SourceOwner`: the source account, as some services (SES) set it.
    pub const SOURCE_OWNER: &str = "aws:sourceowner";
    /// `aws:SourceOrgID`: the organization of the source resource's account.
    pub const SOURCE_ORG_ID: &str = "aws:sourceorgid";
    /// `aws:SourceOrgPaths`: the organization paths of the source resource's account.
    pub const SOURCE_ORG_PATHS: &str = "aws:sourceorgpaths";
    /// `aws:PrincipalOrgID`: the organization of the calling principal's account.
    pub const PRINCIPAL_ORG_ID: &str = "aws:principalorgid";
    /// `aws:PrincipalOrgPaths`: the organization paths of the calling principal's account.
    pub const PRINCIPAL_ORG_PATHS: &str = "aws:principalorgpaths";
    /// `aws:PrincipalAccount`: the calling principal's account.
    pub const PRINCIPAL_ACCOUNT: &str = "aws:principalaccount";
    /// `aws:PrincipalArn`: the calling principal's ARN.
    pub const PRINCIPAL_ARN: &str = "aws:principalarn";
    /// `lambda:FunctionUrlAuthType`: the function URL's auth type (`NONE`, `AWS_IAM`).
    pub const FUNCTION_URL_AUTH_TYPE: &str = "lambda:functionurlauthtype";
    /// `lambda:InvokedViaFunctionUrl`: whether `lambda:InvokeFunction` comes through the
    /// function URL.
    pub const INVOKED_VIA_FUNCTION_URL: &str = "lambda:invokedviafunctionurl";
    /// `lambda:EventSourceToken`: the token (Alexa skill id) the invoker supplies.
    pub const EVENT_SOURCE_TOKEN: &str = "lambda:eventsourcetoken";
}
