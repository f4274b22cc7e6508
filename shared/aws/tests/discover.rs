//! `Aws::functions_using_role` and `Aws::roles_with_policy`: against moto (several functions,
//! two roles, two Regions), and against a scripted HTTP client for pagination, which moto does
//! not do (its `ListFunctions` ignores `MaxItems` and `Marker` and answers one page).

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use common::{Moto, ACCOUNT};
use warden_aws::{Aws, Fetched};
use warden_rules::outcome::FailureKind;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

async fn create_role(iam: &aws_sdk_iam::Client, name: &str, path: &str) -> String {
    iam.create_role()
        .role_name(name)
        .path(path)
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRole {name}: {e:?}"))
        .role()
        .expect("role")
        .arn()
        .to_owned()
}

async fn create_function(sdk: &SdkConfig, region: &str, name: &str, role_arn: &str) {
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(sdk)
            .region(Region::new(region.to_owned()))
            .build(),
    );
    lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role_arn)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateFunction {name} in {region}: {e:?}"));
}

fn names(arns: &[warden_rules::ids::FunctionArn]) -> BTreeSet<String> {
    arns.iter()
        .map(|a| format!("{}/{}", a.region, a.name))
        .collect()
}

fn regions(list: &[&str]) -> Vec<String> {
    list.iter().map(|r| (*r).to_owned()).collect()
}

/// moto with two roles and five functions in two Regions:
///
/// | Region | function | role |
/// |---|---|---|
/// | us-east-1 | orders-api, image-resizer | orders-role (path `/service-role/`) |
/// | us-east-1 | notifier | batch-role |
/// | eu-west-1 | orders-api-eu | orders-role |
/// | eu-west-1 | report-builder | batch-role |
async fn two_regions() -> (Moto, SdkConfig, String) {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let setup = moto.setup();
    let orders = create_role(&setup.iam, "orders-role", "/service-role/").await;
    let batch = create_role(&setup.iam, "batch-role", "/").await;
    for (region, name, role) in [
        ("us-east-1", "orders-api", &orders),
        ("us-east-1", "notifier", &batch),
        ("us-east-1", "image-resizer", &orders),
        ("eu-west-1", "orders-api-eu", &orders),
        ("eu-west-1", "report-builder", &batch),
    ] {
        create_function(&sdk, region, name, role).await;
    }
    (moto, sdk, orders)
}

#[tokio::test]
async fn functions_using_a_role_are_found_in_every_configured_region() {
    // GIVEN two roles used by functions in two Regions
    let (_moto, sdk, orders_arn) = two_regions().await;
    let aws = Aws::new(&sdk);

    // WHEN the functions of orders-role are looked up in both Regions
    let found = aws
        .functions_using_role("orders-role", &regions(&["us-east-1", "eu-west-1"]))
        .await
        .expect("listing succeeds");

    // THEN exactly its three functions are found, with their own Regions' ARNs, one
    // ListFunctions per Region
    assert_eq!(
        names(&found),
        [
            "eu-west-1/orders-api-eu",
            "us-east-1/image-resizer",
            "us-east-1/orders-api"
        ]
        .map(str::to_owned)
        .into(),
    );
    let eu = found
        .iter()
        .find(|a| a.name.as_str() == "orders-api-eu")
        .expect("eu function");
    assert_eq!(
        eu.to_string(),
        format!("arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders-api-eu")
    );
    assert_eq!(aws.calls().by_operation().get("ListFunctions"), Some(&2));
    assert_eq!(aws.calls().writes(), 0);

    // A role ARN (with its path) and a name in another case find the same functions.
    let by_arn = aws
        .functions_using_role(&orders_arn, &regions(&["us-east-1", "eu-west-1"]))
        .await
        .expect("listing succeeds");
    assert_eq!(names(&by_arn), names(&found));
    let by_case = aws
        .functions_using_role("Orders-Role", &regions(&["eu-west-1"]))
        .await
        .expect("listing succeeds");
    assert_eq!(
        names(&by_case),
        ["eu-west-1/orders-api-eu".to_owned()].into()
    );

    // No Regions configured: the adapter's own Region only.
    let home = aws
        .functions_using_role("batch-role", &[])
        .await
        .expect("listing succeeds");
    assert_eq!(names(&home), ["us-east-1/notifier".to_owned()].into());

    // Several roles: each Region is still listed once.
    aws.calls().reset();
    let both = aws
        .functions_using_roles(
            &["orders-role", "batch-role"],
            &regions(&["us-east-1", "eu-west-1"]),
        )
        .await
        .expect("listing succeeds");
    assert_eq!(both.len(), 5, "{both:?}");
    assert_eq!(names(&both).len(), 5);
    assert_eq!(aws.calls().by_operation().get("ListFunctions"), Some(&2));

    // A role no function uses.
    let none = aws
        .functions_using_role("unused-role", &regions(&["us-east-1", "eu-west-1"]))
        .await
        .expect("listing succeeds");
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_function_of_another_region_is_read_through_that_region_s_client() {
    let (_moto, sdk, _) = two_regions().await;
    let aws = Aws::new(&sdk);
    let found = aws
        .functions_using_role("batch-role", &regions(&["eu-west-1"]))
        .await
        .expect("listing succeeds");
    assert_eq!(found.len(), 1, "{found:?}");
    let arn = &found[0];

    // The home Region's client does not see it; the Region's own client does.
    assert_eq!(aws.fetch_snapshot(arn).await.expect("read"), Fetched::Gone);
    match aws.in_region(&arn.region).fetch_snapshot(arn).await {
        Ok(Fetched::Found(s)) => assert_eq!(&s.arn, arn),
        other => panic!("{other:?}"),
    }
    // Both adapters count into the same log.
    assert_eq!(
        aws.calls().by_operation().get("GetFunctionConfiguration"),
        Some(&2)
    );
    assert_eq!(aws.in_region("us-east-1").region(), Some("us-east-1"));
}

#[tokio::test]
async fn roles_a_managed_policy_is_attached_to_are_listed_without_users() {
    let (moto, sdk, _) = two_regions().await;
    let iam = moto.setup().iam;
    let policy_arn = iam
        .create_policy()
        .policy_name("shared-access")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("policy ARN")
        .to_owned();
    for role in ["orders-role", "batch-role"] {
        iam.attach_role_policy()
            .role_name(role)
            .policy_arn(&policy_arn)
            .send()
            .await
            .expect("AttachRolePolicy");
    }
    iam.create_user()
        .user_name("example-dev")
        .send()
        .await
        .expect("CreateUser");
    iam.attach_user_policy()
        .user_name("example-dev")
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachUserPolicy");

    let aws = Aws::new(&sdk);
    let mut roles = aws.roles_with_policy(&policy_arn).await.expect("listing");
    roles.sort();
    assert_eq!(roles, ["batch-role", "orders-role"]);
    // One page, counted under IAM's prefix (never as an unknown operation).
    assert_eq!(
        aws.calls().by_operation(),
        [("iam:ListEntitiesForPolicy", 1)].into()
    );
}

// ---- pagination, against a scripted HTTP client ----

/// Answers each request with the next scripted body and records each request's URI and body.
#[derive(Debug, Clone, Default)]
struct Scripted {
    responses: Arc<Mutex<Vec<(u16, String)>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    /// Answers 200 with each of `bodies`, then 500.
    fn new(bodies: Vec<String>) -> Self {
        Self::with_status(bodies.into_iter().map(|b| (200, b)).collect())
    }

    /// Answers each `(status, body)`, then 500.
    fn with_status(responses: Vec<(u16, String)>) -> Self {
        Scripted {
            responses: Arc::new(Mutex::new(responses.into_iter().rev().collect())),
            requests: Arc::default(),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }

    fn sdk_config(&self) -> SdkConfig {
        let me = self.clone();
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "scripted",
            )))
            .endpoint_url("http://127.0.0.1:9")
            .http_client(http_client_fn(move |_, _| {
                SharedHttpConnector::new(me.clone())
            }))
            .build()
    }
}

impl HttpConnector for Scripted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        self.requests
            .lock()
            .expect("lock")
            .push(format!("{} {body}", request.uri()));
        let next = self.responses.lock().expect("lock").pop();
        let response = match next {
            Some((status, text)) => HttpResponse::new(
                StatusCode::try_from(status).expect("status"),
                SdkBody::from(text),
            ),
            None => HttpResponse::new(
                StatusCode::try_from(500).expect("status"),
                SdkBody::from("no scripted response left"),
            ),
        };
        HttpConnectorFuture::ready(Ok(response))
    }
}

fn functions_page(functions: &[(&str, &str)], next_marker: Option<&str>) -> String {
    let functions: Vec<_> = functions
        .iter()
        .map(|(name, role)| {
            serde_json::json!({
                "FunctionName": name,
                "FunctionArn": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"),
                "Role": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
            })
        })
        .collect();
    serde_json::json!({"Functions": functions, "NextMarker": next_marker}).to_string()
}

fn entities_page(roles: &[&str], marker: Option<&str>) -> String {
    let members: String = roles
        .iter()
        .map(|r| format!("<member><RoleName>{r}</RoleName><RoleId>AROA{r}</RoleId></member>"))
        .collect();
    let (truncated, marker) = match marker {
        Some(m) => ("true", format!("<Marker>{m}</Marker>")),
        None => ("false", String::new()),
    };
    format!(
        r#"<ListEntitiesForPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListEntitiesForPolicyResult><PolicyRoles>{members}</PolicyRoles><PolicyGroups/><PolicyUsers/><IsTruncated>{truncated}</IsTruncated>{marker}</ListEntitiesForPolicyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListEntitiesForPolicyResponse>"#
    )
}

#[tokio::test]
async fn list_functions_follows_next_marker_to_the_last_page() {
    let http = Scripted::new(vec![
        functions_page(
            &[("a1", "orders-role"), ("b1", "batch-role")],
            Some("page-2"),
        ),
        functions_page(&[("a2", "orders-role")], Some("page-3")),
        functions_page(&[("b3", "batch-role"), ("a3", "orders-role")], None),
    ]);
    let aws = Aws::new(&http.sdk_config());
    let found = aws
        .functions_using_role("orders-role", &regions(&["us-east-1"]))
        .await
        .expect("listing succeeds");
    assert_eq!(
        found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["a1", "a2", "a3"]
    );
    let requests = http.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(!requests[0].contains("Marker="), "{}", requests[0]);
    assert!(requests[1].contains("Marker=page-2"), "{}", requests[1]);
    assert!(requests[2].contains("Marker=page-3"), "{}", requests[2]);
    assert!(
        requests.iter().all(|r| r.contains("MaxItems=50")),
        "{requests:?}"
    );
    assert_eq!(aws.calls().by_operation().get("ListFunctions"), Some(&3));
}

#[tokio::test]
async fn a_repeated_marker_ends_the_listing() {
    let http = Scripted::new(vec![
        functions_page(&[("a1", "orders-role")], Some("same")),
        functions_page(&[("a2", "orders-role")], Some("same")),
        functions_page(&[("never", "orders-role")], None),
    ]);
    let aws = Aws::new(&http.sdk_config());
    let found = aws
        .functions_using_role("orders-role", &regions(&["us-east-1"]))
        .await
        .expect("listing succeeds");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(http.requests().len(), 2);
}

#[tokio::test]
async fn a_failed_page_fails_the_listing() {
    // The second page gets the scripted client's 500: after the SDK's retries, a transient
    // error naming the operation and the Region.
    let http = Scripted::new(vec![functions_page(
        &[("a1", "orders-role")],
        Some("page-2"),
    )]);
    let aws = Aws::new(&http.sdk_config());
    let err = aws
        .functions_using_role("orders-role", &regions(&["us-east-1"]))
        .await
        .expect_err("second page fails");
    assert_eq!(err.kind, FailureKind::Transient, "{err}");
    assert_eq!(
        (err.operation, err.resource_arn.as_str()),
        ("ListFunctions", "us-east-1")
    );
}

#[tokio::test]
async fn list_entities_for_policy_follows_the_marker_while_truncated() {
    let http = Scripted::new(vec![
        entities_page(&["orders-role", "batch-role"], Some("next-1")),
        entities_page(&["audit-role"], None),
    ]);
    let aws = Aws::new(&http.sdk_config());
    let roles = aws
        .roles_with_policy("arn:aws:iam::aws:policy/AdministratorAccess")
        .await
        .expect("listing succeeds");
    assert_eq!(roles, ["orders-role", "batch-role", "audit-role"]);
    let requests = http.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert!(r.contains("Action=ListEntitiesForPolicy"), "{r}");
        assert!(r.contains("EntityFilter=Role"), "{r}");
        assert!(
            r.contains("PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess"),
            "{r}"
        );
    }
    assert!(!requests[0].contains("Marker="), "{}", requests[0]);
    assert!(requests[1].contains("Marker=next-1"), "{}", requests[1]);
}

#[tokio::test]
async fn a_policy_that_does_not_exist_is_not_found() {
    // moto answers an empty list here; IAM answers NoSuchEntity (HTTP 404)
    // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html#API_ListEntitiesForPolicy_Errors).
    let http = Scripted::with_status(vec![(
        404,
        r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Policy arn:aws:iam::123456789012:policy/gone was not found.</Message></Error><RequestId>r</RequestId></ErrorResponse>"#.to_owned(),
    )]);
    let aws = Aws::new(&http.sdk_config());
    let missing = aws
        .roles_with_policy("arn:aws:iam::123456789012:policy/gone")
        .await
        .expect_err("no such policy");
    assert_eq!(missing.kind, FailureKind::NotFound, "{missing}");
    assert_eq!(missing.code, "NoSuchEntity");
    assert_eq!(missing.operation, "ListEntitiesForPolicy");
    assert_eq!(http.requests().len(), 1, "a 404 is not retried");
}
