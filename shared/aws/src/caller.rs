//! Who the adapter acts as: STS `GetCallerIdentity`.

use std::sync::Arc;

use warden_rules::outcome::FailureKind;

use crate::calls::CallCounter;
use crate::error::AwsError;
use crate::Aws;

impl Aws {
    /// The ARN of the principal whose credentials sign this adapter's requests: the `Arn` of
    /// STS `GetCallerIdentity`, e.g. `arn:aws:iam::111122223333:user/alice` for an IAM user,
    /// `arn:aws:sts::111122223333:assumed-role/ROLE/SESSION` for a role session (an IAM
    /// Identity Center user's too), `arn:aws:iam::111122223333:root` for the root user. No
    /// permission is needed to call it, and an explicit deny cannot prevent it
    /// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>).
    /// The request is counted in the adapter's [`crate::CallLog`] (under `Other`).
    ///
    /// # Errors
    /// An [`AwsError`] with operation `GetCallerIdentity` and resource `caller`: no valid
    /// credentials (e.g. code `InvalidClientTokenId`, `ExpiredToken`), STS unreachable, or
    /// an answer without `Arn` (kind `Invalid`, code `MissingArn`).
    pub async fn caller_arn(&self) -> Result<String, AwsError> {
        const OP: &str = "GetCallerIdentity";
        let config = aws_sdk_sts::config::Builder::from(&self.sdk)
            .interceptor(CallCounter::new(Arc::clone(&self.calls)))
            .build();
        let out = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, "caller", &e))?;
        out.arn
            .filter(|a| a.starts_with("arn:"))
            .ok_or_else(|| AwsError {
                operation: OP,
                resource_arn: "caller".to_owned(),
                kind: FailureKind::Invalid,
                code: "MissingArn".to_owned(),
            })
    }
}
