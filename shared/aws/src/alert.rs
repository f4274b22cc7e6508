//! Sending an [`Alert`] to an SNS topic.

use warden_rules::report::Alert;

use crate::error::AwsError;
use crate::Aws;

impl Aws {
    /// Publishes `alert` to the SNS topic `topic_arn` with `Publish` (`TopicArn`, `Subject` =
    /// `alert.subject`, `Message` = `alert.message`)
    /// (<https://docs.aws.amazon.com/sns/latest/api/API_Publish.html>).
    ///
    /// # Errors
    /// An [`AwsError`] with operation `Publish` and `resource_arn` = `topic_arn`, e.g. kind
    /// `NotFound` (`NotFound`: no such topic), `AccessDenied` (`AuthorizationError`) or
    /// `Throttled` (`Throttled`).
    pub async fn publish_alert(&self, topic_arn: &str, alert: &Alert) -> Result<(), AwsError> {
        let out = self
            .sns
            .publish()
            .topic_arn(topic_arn)
            .subject(&alert.subject)
            .message(&alert.message)
            .send()
            .await
            .map_err(|e| {
                let err = AwsError::from_sdk("Publish", topic_arn, &e);
                tracing::warn!(
                    topic_arn,
                    kind = %crate::runtime::log_value(&err.kind),
                    code = %err.code,
                    "alert not published"
                );
                err
            })?;
        tracing::info!(topic_arn, message_id = out.message_id(), "alert published");
        Ok(())
    }
}
