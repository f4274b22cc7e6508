//! Other accounts: assuming a role in a member account (STS `AssumeRole`) and, with the
//! `organizations` feature, listing the accounts of an organization (AWS Organizations
//! `ListAccounts`).

use aws_config::sts::AssumeRoleProvider;
use aws_sdk_lambda::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::operation::assume_role::AssumeRoleError as StsError;
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use thiserror::Error;
use warden_rules::ids::AccountId;
use warden_rules::outcome::FailureKind;

use crate::error::{classify, error_code};
use crate::Aws;

/// A role in another account could not be assumed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot assume role {role_arn}: {code} ({kind:?}): {reason}")]
pub struct AssumeRoleError {
    /// The role, e.g. `arn:aws:iam::111122223333:role/lambda-warden-member`.
    pub role_arn: String,
    /// The failure class, from STS's answer (see [`crate::classify`]); `Transient` when the
    /// credentials provider failed without an STS answer.
    pub kind: FailureKind,
    /// STS's error code (e.g. `AccessDenied`), or what [`crate::error::error_code`] gives for
    /// a request without answer; `CredentialsProvider` when the provider failed otherwise.
    pub code: String,
    /// The provider's full error chain, for logs.
    pub reason: String,
}

/// The ARN of role `role_name` (a name, or `path/name`) in `account`:
/// `arn:PARTITION:iam::ACCOUNT:role/NAME`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>).
pub fn member_role_arn(partition: &str, account: &AccountId, role_name: &str) -> String {
    format!(
        "arn:{partition}:iam::{account}:role/{}",
        role_name.trim_matches('/')
    )
}

impl Aws {
    /// The same clients (Region, endpoint, retries, request count) acting as `role_arn`, except
    /// the SNS client and the state table, which stay this `Aws`'s (the alert topic and the
    /// table are the deployment's):
    /// credentials come from STS `AssumeRole` with `RoleSessionName` = `session_name` and, when
    /// given, `ExternalId` (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>),
    /// signed with this `Aws`'s credentials, and are refreshed by the SDK before they expire.
    /// The role is assumed once here, so a role that cannot be assumed fails now rather than on
    /// the first call made with it.
    ///
    /// # Errors
    /// [`AssumeRoleError`] when STS refuses (`AccessDenied`: the role does not trust the caller,
    /// or the external id differs) or cannot be reached.
    pub async fn assume_role(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
        session_name: &str,
    ) -> Result<Aws, AssumeRoleError> {
        // The provider needs a clock for the session's expiry; a configuration built by hand
        // (rather than loaded) may have none.
        let sdk = match self.sdk.time_source() {
            Some(_) => self.sdk.clone(),
            None => self
                .sdk
                .to_builder()
                .time_source(SystemTimeSource::new())
                .build(),
        };
        let mut builder = AssumeRoleProvider::builder(role_arn)
            .session_name(session_name)
            .configure(&sdk);
        if let Some(id) = external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        provider.provide_credentials().await.map_err(|e| {
            // The provider wraps STS's own error; classify that, not its text.
            let sts = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<SdkError<StsError, HttpResponse>>());
            let (kind, code) = match sts {
                Some(err) => (classify(err), error_code(err)),
                None => (FailureKind::Transient, "CredentialsProvider".to_owned()),
            };
            AssumeRoleError {
                role_arn: role_arn.to_owned(),
                kind,
                code,
                reason: DisplayErrorContext(&e).to_string(),
            }
        })?;
        let config = sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        // The state table and the alert topic are the deployment's own, reached with its own
        // credentials: the member role may not publish to the central topic (and the topic
        // is not in the member account).
        Ok(Aws {
            store: self.store.clone(),
            sns: self.sns.clone(),
            ..Aws::with_call_log(&config, self.call_log())
        })
    }

    /// As [`Aws::assume_role`], keeping the result for the life of this `Aws` (and its clones),
    /// so a warm function assumes each member role once; the SDK refreshes the credentials
    /// before they expire.
    ///
    /// # Errors
    /// As [`Aws::assume_role`]; a failure is not kept, so the next call tries again.
    pub async fn assume_role_cached(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
        session_name: &str,
    ) -> Result<Aws, AssumeRoleError> {
        let known = self
            .assumed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(role_arn)
            .cloned();
        if let Some(aws) = known {
            return Ok(aws);
        }
        let aws = self
            .assume_role(role_arn, external_id, session_name)
            .await?;
        self.assumed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(role_arn.to_owned(), aws.clone());
        Ok(aws)
    }
}

impl Aws {
    /// The adapter acting in `account` through the member role `role_name`
    /// (`WARDEN_MEMBER_ROLE_NAME`, with `external_id`, `WARDEN_MEMBER_EXTERNAL_ID`) of
    /// `partition`, kept for the life of this `Aws` ([`Aws::assume_role_cached`]), under the
    /// session name [`warden_rules::gate::MEMBER_SESSION_NAME`]: CloudTrail records it in the
    /// member account, and the events function knows those calls as lambda-warden's own by it,
    /// so tags and fixes made there do not trigger it.
    ///
    /// # Errors
    /// As [`Aws::assume_role`].
    pub async fn member_access(
        &self,
        partition: &str,
        account: &AccountId,
        role_name: &str,
        external_id: Option<&str>,
    ) -> Result<Aws, AssumeRoleError> {
        let role_arn = member_role_arn(partition, account, role_name);
        self.assume_role_cached(
            &role_arn,
            external_id,
            warden_rules::gate::MEMBER_SESSION_NAME,
        )
        .await
    }
}

#[cfg(feature = "organizations")]
mod organizations {
    use std::sync::Arc;

    use aws_sdk_organizations::types::AccountStatus;
    use warden_rules::ids::AccountId;

    use crate::calls::CallCounter;
    use crate::error::AwsError;
    use crate::inventory::{collect_pages, Page};
    use crate::Aws;

    impl Aws {
        /// The `ACTIVE` accounts of the caller's organization (AWS Organizations
        /// `ListAccounts`, every page, followed by `NextToken`), sorted. Only the management
        /// account or a delegated administrator may call it
        /// (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html>).
        ///
        /// # Errors
        /// An [`AwsError`] with operation `ListAccounts`, e.g. kind `AccessDenied`
        /// (`AccessDeniedException`, or `AWSOrganizationsNotInUseException` as `Invalid`).
        pub async fn organization_accounts(&self) -> Result<Vec<AccountId>, AwsError> {
            const OP: &str = "ListAccounts";
            let config = aws_sdk_organizations::config::Builder::from(&self.sdk)
                .interceptor(CallCounter::new(Arc::clone(&self.calls)))
                .build();
            let client = aws_sdk_organizations::Client::from_conf(config);
            let mut accounts = collect_pages(OP, "organization", |token| {
                let request = client.list_accounts().set_next_token(token);
                async move {
                    let out = request
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(OP, "organization", &e))?;
                    let items = out
                        .accounts()
                        .iter()
                        .filter(|a| a.status() == Some(&AccountStatus::Active))
                        .filter_map(|a| a.id().and_then(|id| AccountId::parse(id).ok()))
                        .collect();
                    Ok(Page {
                        items,
                        next_marker: out.next_token().map(str::to_owned),
                    })
                }
            })
            .await?;
            accounts.sort();
            accounts.dedup();
            Ok(accounts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_role_arns_follow_the_iam_shape() {
        let account = AccountId::parse("111122223333").unwrap();
        assert_eq!(
            member_role_arn("aws", &account, "lambda-warden-member"),
            "arn:aws:iam::111122223333:role/lambda-warden-member"
        );
        assert_eq!(
            member_role_arn("aws-cn", &account, "/security/warden/"),
            "arn:aws-cn:iam::111122223333:role/security/warden"
        );
    }
}
