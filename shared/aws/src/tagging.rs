//! The tags of every function of a Region in pages of up to 100, for sweeps: the Resource
//! Groups Tagging API's `GetResources` with `ResourceTypeFilters = ["lambda:function"]`
//! (<https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html>).
//!
//! What the API answers, and what the sweep makes of it:
//! - Only functions that carry tags (or once did) are returned; a function it does not return
//!   has no tags.
//! - Pages follow `PaginationToken`; the last page answers an empty token.
//! - The API is eventually consistent with `TagResource`/`UntagResource`: a tag written a
//!   moment ago may be missing. The sweep reads a function again (tags by `ListTags`) before
//!   it plans any write for it, so a stale answer can only delay a finding that depends on a
//!   tag by one sweep; the event path sees the tag change itself.
//! - The caller needs `tag:GetResources`. Refused, or failed in any other way, the sweep falls
//!   back to one `ListTags` per function.

use std::collections::BTreeMap;
use std::sync::Arc;

use warden_rules::ids::FunctionArn;

use crate::calls::CallCounter;
use crate::inventory::{collect_pages, Page};
use crate::{Aws, AwsError};

/// `ResourcesPerPage` of each request: the most the API allows.
pub const RESOURCES_PER_PAGE: i32 = 100;

/// The resource type filter of a Lambda function.
pub const LAMBDA_FUNCTION: &str = "lambda:function";

/// The tags of the functions of one Region, by unqualified function ARN.
pub type RegionTags = BTreeMap<FunctionArn, BTreeMap<String, String>>;

impl Aws {
    /// The tags of every tagged function of the adapter's Region ([`RegionTags`]; a function
    /// absent from it has none), from `GetResources`, every page.
    ///
    /// # Errors
    /// An [`AwsError`] with operation `GetResources` and the Region as `resource_arn`: the
    /// first failed page (`AccessDenied` without `tag:GetResources`).
    pub async fn function_tags(&self) -> Result<RegionTags, AwsError> {
        const OP: &str = "GetResources";
        let region = self.region().unwrap_or_default().to_owned();
        let config = aws_sdk_resourcegroupstagging::config::Builder::from(self.sdk_config())
            .interceptor(CallCounter::new(Arc::clone(&self.calls)))
            .build();
        let client = aws_sdk_resourcegroupstagging::Client::from_conf(config);
        let pages = collect_pages(OP, &region, |token| {
            let request = client
                .get_resources()
                .resource_type_filters(LAMBDA_FUNCTION)
                .resources_per_page(RESOURCES_PER_PAGE)
                .set_pagination_token(token);
            let region = region.clone();
            async move {
                let out = request
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(OP, &region, &e))?;
                let items = out
                    .resource_tag_mapping_list()
                    .iter()
                    .filter_map(|m| {
                        // Anything but a function ARN (an emulator's or a future resource
                        // type's) is not a function's tags.
                        let arn = FunctionArn::parse(m.resource_arn()?).ok()?.unqualified();
                        let tags = m
                            .tags()
                            .iter()
                            .map(|t| (t.key().to_owned(), t.value().to_owned()))
                            .collect();
                        Some((arn, tags))
                    })
                    .collect();
                Ok(Page {
                    items,
                    next_marker: out.pagination_token().map(str::to_owned),
                })
            }
        })
        .await?;
        Ok(pages.into_iter().collect())
    }
}
