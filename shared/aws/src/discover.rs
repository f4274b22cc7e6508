//! Finding the functions an IAM change applies to: the roles a managed policy is attached to
//! ([`Aws::roles_with_policy`]) and the functions whose execution role is one of given roles
//! ([`Aws::functions_using_role`], [`Aws::functions_using_roles`]), Region by Region.

use std::collections::BTreeSet;

use aws_sdk_iam::types::EntityType;
use warden_rules::ids::FunctionArn;

use crate::error::AwsError;
use crate::Aws;

/// `MaxItems` asked of `ListFunctions`. Lambda returns at most 50 functions per response
/// whatever is asked
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html#lambda-ListFunctions-request-MaxItems>).
pub const LIST_FUNCTIONS_PAGE: i32 = 50;

/// `MaxItems` asked of `ListEntitiesForPolicy` (IAM allows 1-1000; the default is 100:
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html#API_ListEntitiesForPolicy_RequestParameters>).
pub const LIST_ENTITIES_PAGE: i32 = 1000;

/// The role name in `role_arn_or_name`: the last path segment of a role ARN
/// (`arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>), or the value itself.
pub fn role_name_of(role_arn_or_name: &str) -> &str {
    match role_arn_or_name.split_once(":role/") {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(path),
        None => role_arn_or_name,
    }
}

/// `true` when the execution role ARN `role_arn` (a function's `Role`) names the role
/// `role_name`. Role names are unique in an account regardless of case
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names>),
/// so they are compared without regard to ASCII case; a function's role is always in the
/// function's own account, and `ListFunctions` lists one account.
fn uses_role(role_arn: &str, role_name: &str) -> bool {
    role_name_of(role_arn).eq_ignore_ascii_case(role_name)
}

impl Aws {
    /// The functions (unqualified ARNs, `$LATEST`) whose execution role is `role_arn_or_name`
    /// (a role name, or a role ARN of which the name is used), in each of `regions` in order,
    /// then in the order Lambda lists them. An empty `regions` means the Region of the
    /// adapter's `SdkConfig`. The same as [`Aws::functions_using_roles`] with one role.
    ///
    /// # Errors
    /// As [`Aws::functions_using_roles`].
    pub async fn functions_using_role(
        &self,
        role_arn_or_name: &str,
        regions: &[String],
    ) -> Result<Vec<FunctionArn>, AwsError> {
        self.functions_using_roles(&[role_arn_or_name], regions)
            .await
    }

    /// The functions whose execution role is any of `roles` (names, or ARNs of which the name
    /// is used), in each of `regions` in order, then in the order Lambda lists them; each
    /// function once. An empty `regions` means the Region of the adapter's `SdkConfig`.
    ///
    /// Each Region is listed once, whatever the number of roles: one `ListFunctions` per page,
    /// sent to that Region's endpoint (a Lambda client per Region, from the same
    /// configuration), with `MaxItems` [`LIST_FUNCTIONS_PAGE`] and `Marker` = the previous
    /// page's `NextMarker` until a response has none
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html>). A marker seen
    /// before ends that Region's listing (a service answering the same page again would
    /// otherwise loop forever).
    ///
    /// # Errors
    /// The [`AwsError`] of the first `ListFunctions` that fails (its `resource_arn` is the
    /// Region); functions found before it are dropped, so the caller retries the whole event.
    pub async fn functions_using_roles(
        &self,
        roles: &[impl AsRef<str>],
        regions: &[String],
    ) -> Result<Vec<FunctionArn>, AwsError> {
        let role_names: Vec<&str> = roles.iter().map(|r| role_name_of(r.as_ref())).collect();
        let own: Vec<String> = self.region().map(str::to_owned).into_iter().collect();
        let regions = if regions.is_empty() {
            &own[..]
        } else {
            regions
        };
        let mut found = Vec::new();
        for region in regions {
            let lambda = self.in_region(region).lambda;
            let mut marker: Option<String> = None;
            let mut seen = BTreeSet::new();
            loop {
                let page = lambda
                    .list_functions()
                    .max_items(LIST_FUNCTIONS_PAGE)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("ListFunctions", region.as_str(), &e))?;
                for f in page.functions() {
                    let (Some(arn), Some(role)) = (f.function_arn(), f.role()) else {
                        continue;
                    };
                    if !role_names.iter().any(|name| uses_role(role, name)) {
                        continue;
                    }
                    match FunctionArn::parse(arn) {
                        Ok(arn) if !found.contains(&arn) => found.push(arn),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(function_arn = arn, error = %e, "ListFunctions returned an ARN that does not parse");
                        }
                    }
                }
                marker = page
                    .next_marker()
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned);
                match &marker {
                    None => break,
                    Some(m) if !seen.insert(m.clone()) => {
                        tracing::warn!(region = %region, marker = %m, "ListFunctions repeated a marker; listing ends");
                        break;
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(found)
    }

    /// The names of the roles the managed policy `policy_arn` is attached to, as IAM lists
    /// them: `ListEntitiesForPolicy` with `EntityFilter` `Role`, `MaxItems`
    /// [`LIST_ENTITIES_PAGE`], following `Marker` while `IsTruncated`
    /// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html>).
    /// IAM is global: the IAM client's Region does not matter.
    ///
    /// # Errors
    /// The [`AwsError`] of the first call that fails (`resource_arn` = `policy_arn`); a policy
    /// that does not exist (any more) answers `NoSuchEntity` (HTTP 404), kind
    /// [`NotFound`](warden_rules::outcome::FailureKind::NotFound).
    pub async fn roles_with_policy(&self, policy_arn: &str) -> Result<Vec<String>, AwsError> {
        let mut roles = Vec::new();
        let mut marker: Option<String> = None;
        let mut seen = BTreeSet::new();
        loop {
            let page = self
                .iam
                .list_entities_for_policy()
                .policy_arn(policy_arn)
                .entity_filter(EntityType::Role)
                .max_items(LIST_ENTITIES_PAGE)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListEntitiesForPolicy", policy_arn, &e))?;
            roles.extend(
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_owned)),
            );
            marker = page
                .is_truncated()
                .then(|| page.marker().filter(|m| !m.is_empty()).map(str::to_owned))
                .flatten();
            match &marker {
                None => break,
                Some(m) if !seen.insert(m.clone()) => {
                    tracing::warn!(policy_arn, marker = %m, "ListEntitiesForPolicy repeated a marker; listing ends");
                    break;
                }
                Some(_) => {}
            }
        }
        Ok(roles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_taken_from_arns_and_compared_without_case() {
        for (input, name) in [
            ("demo-function-role", "demo-function-role"),
            (
                "arn:aws:iam::123456789012:role/demo-function-role",
                "demo-function-role",
            ),
            (
                "arn:aws:iam::123456789012:role/service-role/team/orders",
                "orders",
            ),
        ] {
            assert_eq!(role_name_of(input), name);
        }
        assert!(uses_role(
            "arn:aws:iam::123456789012:role/service-role/Orders-Role",
            "orders-role"
        ));
        assert!(!uses_role(
            "arn:aws:iam::123456789012:role/orders-role-2",
            "orders-role"
        ));
        assert!(!uses_role(
            "arn:aws:iam::123456789012:role/x/orders-role-2",
            "x"
        ));
    }
}
