//! Reading a function's execution role from IAM: the trust policy, the attached managed
//! policies (each policy's default version document) and the inline policies.
//!
//! IAM returns policy documents URL-encoded (RFC 3986)
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html>): they are
//! decoded here, once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::OnceCell;
use warden_rules::outcome::FailureKind;
use warden_rules::snapshot::{AttachedPolicy, ExecutionRole, InlinePolicy, Readable};

use crate::error::AwsError;
use crate::Aws;

/// The role name of an IAM role ARN `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`: the last
/// path segment (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>).
pub fn role_name(role_arn: &str) -> Option<&str> {
    let resource = role_arn.splitn(6, ':').nth(5)?;
    resource
        .strip_prefix("role/")?
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
}

/// Decodes a URL-encoded policy document. A document that already starts with `{` is
/// returned as it is (some emulators and tools return it decoded); `+` is left alone (IAM
/// encodes spaces as `%20`).
pub fn decode_document(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(h), Some(l)) => match (hex(*h), hex(*l)) {
                (Some(h), Some(l)) => {
                    // Two hex digits make one byte: h * 16 + l is at most 255.
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A read of a part that may be refused: not found or access denied become what the snapshot
/// records (`None` / `Unreadable`), anything else is an error.
fn part<T>(err: AwsError) -> Result<Readable<Option<T>>, AwsError> {
    match err.kind {
        FailureKind::NotFound => Ok(Readable::read(None)),
        FailureKind::AccessDenied => Ok(Readable::Unreadable {
            operation: err.operation.to_owned(),
            error_code: err.code,
        }),
        FailureKind::Throttled
        | FailureKind::Transient
        | FailureKind::Conflict
        | FailureKind::Invalid => Err(err),
    }
}

/// A refused list (or a role deleted between `GetRole` and the list): the list is
/// unverified. Anything else is an error.
fn list_failure<T>(err: AwsError) -> Result<Readable<Vec<T>>, AwsError> {
    match err.kind {
        FailureKind::AccessDenied | FailureKind::NotFound => Ok(Readable::Unreadable {
            operation: err.operation.to_owned(),
            error_code: err.code,
        }),
        FailureKind::Throttled
        | FailureKind::Transient
        | FailureKind::Conflict
        | FailureKind::Invalid => Err(err),
    }
}

/// A document read that may be refused or vanish between the list and the read.
fn document(result: Result<String, AwsError>) -> Result<Readable<String>, AwsError> {
    match result {
        Ok(doc) => Ok(Readable::read(doc)),
        Err(e) => match e.kind {
            FailureKind::AccessDenied | FailureKind::NotFound => Ok(Readable::Unreadable {
                operation: e.operation.to_owned(),
                error_code: e.code,
            }),
            FailureKind::Throttled
            | FailureKind::Transient
            | FailureKind::Conflict
            | FailureKind::Invalid => Err(e),
        },
    }
}

/// The execution roles and managed policies read during one sweep, by ARN, so that each is
/// read once however many functions share it. A role's attachments and a policy's default
/// version can change at any time, so the cache lives only as long as the sweep that made it
/// ([`Aws::with_role_cache`]); the event path never uses one (a change made a second before
/// an event must be seen). Concurrent readers of the same ARN wait for one read; a failed read
/// is not kept, the next reader tries again.
#[derive(Debug, Default)]
pub struct RoleCache {
    roles: Cells<Readable<Option<ExecutionRole>>>,
    policies: Cells<String>,
}

/// One read at most per key: the cell of each ARN, filled by its first successful read.
type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

fn cell<T>(map: &Cells<T>, key: &str) -> Arc<OnceCell<T>> {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(map.entry(key.to_owned()).or_default())
}

/// The most managed-policy version documents kept by [`version_document`]'s process-wide
/// cache; past it the cache is emptied and refilled.
const MAX_CACHED_VERSIONS: usize = 2048;

/// Documents of managed-policy versions already read, by `(PolicyId, version id)`. A policy
/// version is immutable: changing a managed policy creates a new version, and an existing
/// version's document never changes
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html>),
/// so a document read once is valid for as long as the process lives (a warm function's later
/// invocations included). Which version is the default is read every time (`GetPolicy`).
fn versions() -> &'static Mutex<HashMap<(String, String), String>> {
    static VERSIONS: OnceLock<Mutex<HashMap<(String, String), String>>> = OnceLock::new();
    VERSIONS.get_or_init(Mutex::default)
}

/// Inserts `key` → `value` into a process-wide cache holding at most `max` entries: when it
/// is full the cache is emptied first (entries are only ever re-read, so dropping them all
/// costs reads, never correctness).
pub(crate) fn insert_bounded<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    max: usize,
    key: K,
    value: V,
) {
    if map.len() >= max && !map.contains_key(&key) {
        map.clear();
    }
    map.insert(key, value);
}

/// How long an AWS managed policy's default document is used without asking IAM again
/// (15 minutes). Only AWS can change an AWS managed policy ("You cannot change the
/// permissions defined in AWS managed policies. AWS occasionally updates the permissions",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies>),
/// so nobody in the account can make lambda-warden judge a stale one; an update AWS makes is
/// seen within this time. Which policies a role has attached is read on every evaluation.
pub const AWS_MANAGED_TTL: Duration = Duration::from_secs(15 * 60);

/// Whether `arn` names an AWS managed policy (its account field is `aws`).
fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

/// Default documents of AWS managed policies, by ARN, with when they were read.
#[derive(Debug, Default)]
struct AwsManaged(Mutex<HashMap<String, (Instant, String)>>);

impl AwsManaged {
    /// The document of `arn` read less than [`AWS_MANAGED_TTL`] before `now`.
    fn fresh(&self, arn: &str, now: Instant) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(arn)
            .filter(|(read, _)| now.saturating_duration_since(*read) < AWS_MANAGED_TTL)
            .map(|(_, document)| document.clone())
    }

    /// Keeps `document` as `arn`'s, read at `now`. Past [`MAX_CACHED_VERSIONS`] entries the
    /// cache is emptied first.
    fn keep(&self, arn: &str, document: &str, now: Instant) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        insert_bounded(
            &mut map,
            MAX_CACHED_VERSIONS,
            arn.to_owned(),
            (now, document.to_owned()),
        );
    }
}

/// The process-wide [`AwsManaged`] cache (a warm function's later invocations included).
fn aws_managed() -> &'static AwsManaged {
    static CACHE: OnceLock<AwsManaged> = OnceLock::new();
    CACHE.get_or_init(AwsManaged::default)
}

impl Aws {
    /// The same adapter with a fresh [`RoleCache`], shared by its clones: what one sweep uses.
    pub fn with_role_cache(&self) -> Aws {
        Aws {
            roles: Some(Arc::new(RoleCache::default())),
            ..self.clone()
        }
    }

    /// The same adapter sharing `other`'s [`RoleCache`] (none when `other` has none): for the
    /// adapters of the other Regions of one sweep.
    pub fn sharing_role_cache(&self, other: &Aws) -> Aws {
        Aws {
            roles: other.roles.clone(),
            ..self.clone()
        }
    }

    /// Reads the execution role `role_arn`, once per [`RoleCache`] when the adapter has one
    /// ([`Aws::read_execution_role`] otherwise).
    ///
    /// # Errors
    /// As [`Aws::read_execution_role`].
    pub async fn fetch_execution_role(
        &self,
        role_arn: &str,
    ) -> Result<Readable<Option<ExecutionRole>>, AwsError> {
        match &self.roles {
            Some(cache) => cell(&cache.roles, role_arn)
                .get_or_try_init(|| self.read_execution_role(role_arn))
                .await
                .cloned(),
            None => self.read_execution_role(role_arn).await,
        }
    }

    /// Reads the execution role `role_arn`.
    ///
    /// `GetRole` (`NoSuchEntity` gives `Read(None)`: the role was deleted; access denied
    /// gives `Unreadable`) concurrently with every page of `ListAttachedRolePolicies` and of
    /// `ListRolePolicies` (all three take the role name, which the ARN gives); then,
    /// concurrently, `GetPolicy` (for `DefaultVersionId`) and
    /// `GetPolicyVersion` for each attached policy, and `GetRolePolicy` for each inline one
    /// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedRolePolicies.html>,
    /// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html>,
    /// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html>).
    /// A refused list or document is recorded as `Unreadable` (LW006 reports it); the rest is
    /// still read.
    ///
    /// # Errors
    /// An [`AwsError`] for throttling, transient failures and other errors than not-found and
    /// access-denied.
    pub async fn read_execution_role(
        &self,
        role_arn: &str,
    ) -> Result<Readable<Option<ExecutionRole>>, AwsError> {
        let Some(name) = role_name(role_arn) else {
            return Ok(Readable::Unreadable {
                operation: "GetRole".to_owned(),
                error_code: "InvalidRoleArn".to_owned(),
            });
        };
        // The role and its two lists at once: both lists need only the name, so an answer
        // costs one IAM round trip here rather than two. A role that does not exist wastes
        // the two lists; their answers are then not looked at.
        let (role, attached, inline) = tokio::join!(
            self.iam.get_role().role_name(name).send(),
            self.list_attached(name, role_arn),
            self.list_inline(name, role_arn)
        );
        let role = match role {
            Ok(out) => out.role,
            Err(e) => return part(AwsError::from_sdk("GetRole", role_arn, &e)),
        };
        let Some(role) = role else {
            return Ok(Readable::read(None));
        };
        let trust_policy = decode_document(role.assume_role_policy_document().unwrap_or(""));
        let attached = match attached {
            Ok(list) => {
                let docs = join_all(list.iter().map(|(arn, _)| self.managed_document(arn))).await;
                let mut out = Vec::with_capacity(list.len());
                for ((arn, policy_name), doc) in list.into_iter().zip(docs) {
                    out.push(AttachedPolicy {
                        arn,
                        name: policy_name,
                        document: document(doc)?,
                    });
                }
                Readable::read(out)
            }
            Err(e) => list_failure(e)?,
        };
        let inline = match inline {
            Ok(names) => {
                let docs = join_all(
                    names
                        .iter()
                        .map(|n| self.inline_document(name, n, role_arn)),
                )
                .await;
                let mut out = Vec::with_capacity(names.len());
                for (policy_name, doc) in names.into_iter().zip(docs) {
                    out.push(InlinePolicy {
                        name: policy_name,
                        document: document(doc)?,
                    });
                }
                Readable::read(out)
            }
            Err(e) => list_failure(e)?,
        };
        Ok(Readable::read(Some(ExecutionRole {
            arn: role.arn().to_owned(),
            name: role.role_name().to_owned(),
            trust_policy,
            attached,
            inline,
        })))
    }

    /// Every attached managed policy of role `name`: `(PolicyArn, PolicyName)`, every page.
    async fn list_attached(
        &self,
        name: &str,
        role_arn: &str,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListAttachedRolePolicies", role_arn, &e))?;
            for p in page.attached_policies() {
                if let Some(arn) = p.policy_arn() {
                    let policy_name = p
                        .policy_name()
                        .map(str::to_owned)
                        .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_owned());
                    out.push((arn.to_owned(), policy_name));
                }
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) if !m.is_empty() => marker = Some(m.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    /// Every inline policy name of role `name`, every page.
    async fn list_inline(&self, name: &str, role_arn: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_role_policies()
                .role_name(name)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListRolePolicies", role_arn, &e))?;
            out.extend(page.policy_names().iter().cloned());
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) if !m.is_empty() => marker = Some(m.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    /// The decoded document of managed policy `arn`'s default version, once per
    /// [`RoleCache`] when the adapter has one.
    async fn managed_document(&self, arn: &str) -> Result<String, AwsError> {
        match &self.roles {
            Some(cache) => cell(&cache.policies, arn)
                .get_or_try_init(|| self.read_managed_document(arn))
                .await
                .cloned(),
            None => self.read_managed_document(arn).await,
        }
    }

    /// The decoded document of managed policy `arn`'s default version: `GetPolicy`, then
    /// `GetPolicyVersion` unless that version's document is already known ([`versions`]).
    /// An AWS managed policy's default document is taken from [`aws_managed`] while fresh.
    async fn read_managed_document(&self, arn: &str) -> Result<String, AwsError> {
        let aws_managed_policy = is_aws_managed(arn);
        if aws_managed_policy {
            if let Some(document) = aws_managed().fresh(arn, Instant::now()) {
                return Ok(document);
            }
        }
        let document = self.read_default_version(arn).await?;
        if aws_managed_policy {
            aws_managed().keep(arn, &document, Instant::now());
        }
        Ok(document)
    }

    /// [`Aws::read_managed_document`] without the AWS managed cache.
    async fn read_default_version(&self, arn: &str) -> Result<String, AwsError> {
        let policy = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetPolicy", arn, &e))?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1")
            .to_owned();
        // Keyed by the policy's id, not its ARN: a policy deleted and created again under the
        // same name has the same ARN and starts again at `v1` with another document, but gets
        // a new `PolicyId` ("the stable and unique string identifying the policy",
        // <https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html>). Without an
        // id nothing is cached.
        let key = policy
            .policy()
            .and_then(|p| p.policy_id())
            .filter(|id| !id.is_empty())
            .map(|id| (id.to_owned(), version.clone()));
        let known = key.as_ref().and_then(|key| {
            versions()
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(key)
                .cloned()
        });
        if let Some(document) = known {
            return Ok(document);
        }
        let out = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetPolicyVersion", arn, &e))?;
        let document = decode_document(
            out.policy_version()
                .and_then(|v| v.document())
                .unwrap_or(""),
        );
        if let Some(key) = key {
            let mut known = versions().lock().unwrap_or_else(PoisonError::into_inner);
            insert_bounded(&mut known, MAX_CACHED_VERSIONS, key, document.clone());
        }
        Ok(document)
    }

    /// The decoded document of inline policy `policy` of role `role`: `GetRolePolicy`.
    async fn inline_document(
        &self,
        role: &str,
        policy: &str,
        role_arn: &str,
    ) -> Result<String, AwsError> {
        let out = self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetRolePolicy", role_arn, &e))?;
        Ok(decode_document(out.policy_document()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_managed_documents_are_used_until_their_time_is_up() {
        let cache = AwsManaged::default();
        let arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
        let t0 = Instant::now();
        assert_eq!(cache.fresh(arn, t0), None);
        cache.keep(arn, "{}", t0);
        assert_eq!(
            cache.fresh(arn, t0 + AWS_MANAGED_TTL / 2).as_deref(),
            Some("{}")
        );
        assert_eq!(cache.fresh(arn, t0 + AWS_MANAGED_TTL), None);
        assert!(is_aws_managed(arn));
        assert!(is_aws_managed("arn:aws-cn:iam::aws:policy/ReadOnlyAccess"));
        assert!(!is_aws_managed("arn:aws:iam::123456789012:policy/aws"));
    }

    #[test]
    fn documents_are_url_decoded_once() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_document(encoded),
            r#"{"Version":"2012-10-17","Statement":[]}"#
        );
        let plain = r#"{"Resource":"arn:aws:s3:::a%20b"}"#;
        assert_eq!(decode_document(plain), plain);
        assert_eq!(decode_document("%zz%4"), "%zz%4");
    }

    #[test]
    fn role_names_are_the_last_path_segment() {
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/service-role/orders-api-role"),
            Some("orders-api-role")
        );
        assert_eq!(role_name("arn:aws:iam::123456789012:role/r"), Some("r"));
        assert_eq!(role_name("arn:aws:iam::123456789012:user/u"), None);
        assert_eq!(role_name("r"), None);
    }
}
