//! The audit record and the alert: what was found, what was done, and every removed statement
//! verbatim, so nothing is lost.

use serde::{Deserialize, Serialize};

/// An alert, ready for SNS `Publish`
/// (<https://docs.aws.amazon.com/sns/latest/api/API_Publish.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// `Subject`: ASCII, no line breaks, at most 100 characters (SNS's limit for email).
    pub subject: String,
    /// `Message`: a JSON document (see [`AlertMessage`]), at most 256 KiB.
    pub message: String,
}
