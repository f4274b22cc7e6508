//! The remediator passes its own rules: every `AWS::Lambda::Function` of `template.yaml` (after
//! the SAM transform) is turned into the snapshot it would have once deployed (account
//! 123456789012, us-east-1, stack `lambda-warden`, every parameter at its default) and
//! evaluated with every rule on, including the ones that are off by default. No finding above
//! informational is expected, except the ones listed in [`EXCEPTIONS`], each with its reason.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use warden_rules::config::Config;
use warden_rules::findings::Severity;
use warden_rules::ids::FunctionArn;
use warden_rules::rules::{evaluate, RuleConfig, RuleId};
use warden_rules::snapshot::{
    EventInvokeConfig, ExecutionRole, FunctionConfiguration, FunctionSnapshot, InlinePolicy,
    PackageType, PolicyDocument, Readable, Redacted, TracingMode,
};
use warden_tests::sam::transformed_template;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const STACK: &str = "lambda-warden";
/// 2026-06-01T00:00:00Z: the evaluation time, fixed so runtime deprecation dates do not make
/// the test change its verdict over time.
const NOW: i64 = 1_780_272_000;

/// Findings above informational that lambda-warden's own functions are expected to have:
/// `(function logical id, rule, locator, reason)`. Both rules are off by default; any other
/// finding is a defect of the template.
const EXCEPTIONS: &[(&str, RuleId, Option<&str>, &str)] = &[
    ("EventsFunction", RuleId::LW013, None, NO_CODE_SIGNING),
    ("IamEventsFunction", RuleId::LW013, None, NO_CODE_SIGNING),
    ("SweepFunction", RuleId::LW013, None, NO_CODE_SIGNING),
    ("EventsFunction", RuleId::LW014, None, NO_VPC),
    ("IamEventsFunction", RuleId::LW014, None, NO_VPC),
    ("SweepFunction", RuleId::LW014, None, NO_VPC),
];

const NO_CODE_SIGNING: &str = "the template is built and deployed from source with `sam build`; \
     code signing needs an AWS Signer profile the deployer owns, so it is left to the deployer \
     (set CodeSigningConfigArn on the functions)";

const NO_VPC: &str = "the functions call only public AWS APIs (Lambda, IAM, SNS, SQS, STS, \
     X-Ray); a VPC would need a NAT gateway or one interface endpoint per service and protects \
     nothing they reach";

/// The deployed template with its intrinsic functions resolved, for one account, Region and
/// stack, and the parameters at their defaults.
struct Stack {
    template: Value,
}

impl Stack {
    fn resources(&self) -> &Map<String, Value> {
        self.template["Resources"].as_object().expect("Resources")
    }

    /// The physical name CloudFormation would generate for a resource without a name
    /// property: `STACK-LOGICALID-SUFFIX`.
    fn generated_name(id: &str) -> String {
        format!("{STACK}-{id}-1A2B3C4D5E6F")
    }

    /// Whether the resource's `Condition` (if any) holds.
    fn exists(&self, resource: &Value) -> bool {
        match resource.get("Condition").and_then(Value::as_str) {
            None => true,
            Some(name) => self.condition(name),
        }
    }

    fn condition(&self, name: &str) -> bool {
        let c = self.template["Conditions"][name].clone();
        assert!(!c.is_null(), "unknown condition {name}");
        self.truth(&c)
    }

    fn truth(&self, v: &Value) -> bool {
        let (k, args) = single(v).unwrap_or_else(|| panic!("not a condition: {v}"));
        match k {
            "Fn::Equals" => self.resolve(&args[0]) == self.resolve(&args[1]),
            "Fn::Not" => !self.truth(&args[0]),
            "Fn::And" => args.as_array().expect("And").iter().all(|a| self.truth(a)),
            "Fn::Or" => args.as_array().expect("Or").iter().any(|a| self.truth(a)),
            "Condition" => self.condition(args.as_str().expect("Condition name")),
            other => panic!("condition function {other} not supported"),
        }
    }

    /// `Ref` of a pseudo parameter, a parameter (its default) or a resource.
    fn reference(&self, name: &str) -> Value {
        match name {
            "AWS::Partition" => json!("aws"),
            "AWS::AccountId" => json!(ACCOUNT),
            "AWS::Region" => json!(REGION),
            "AWS::StackName" => json!(STACK),
            "AWS::URLSuffix" => json!("amazonaws.com"),
            "AWS::NoValue" => Value::Null,
            _ => {
                if let Some(p) = self.template["Parameters"].get(name) {
                    let default = p.get("Default").cloned().unwrap_or(json!(""));
                    // A list parameter's Ref is the list of its comma-separated values.
                    return match (p["Type"].as_str(), default.as_str()) {
                        (Some("CommaDelimitedList"), Some(d)) => {
                            json!(d.split(',').collect::<Vec<_>>())
                        }
                        _ => default,
                    };
                }
                let r = self
                    .resources()
                    .get(name)
                    .unwrap_or_else(|| panic!("Ref to unknown {name}"));
                let ty = r["Type"].as_str().expect("Type");
                match ty {
                    // Ref returns the name for these, the ARN or URL for the others
                    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function.html#aws-resource-lambda-function-return-values).
                    "AWS::Lambda::Function" => self.function_name(name),
                    "AWS::IAM::Role" | "AWS::Logs::LogGroup" | "AWS::DynamoDB::Table" => {
                        json!(self.physical_name(name))
                    }
                    "AWS::SNS::Topic" | "AWS::Events::EventBus" => self.get_att(name, "Arn"),
                    "AWS::SQS::Queue" => json!(format!(
                        "https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{}",
                        self.physical_name(name)
                    )),
                    other => panic!("Ref to a {other} not supported"),
                }
            }
        }
    }

    fn function_name(&self, id: &str) -> Value {
        match self.resources()[id]["Properties"].get("FunctionName") {
            Some(n) => self.resolve(n),
            None => json!(Self::generated_name(id)),
        }
    }

    fn physical_name(&self, id: &str) -> String {
        let props = &self.resources()[id]["Properties"];
        [
            "RoleName",
            "LogGroupName",
            "QueueName",
            "TopicName",
            "TableName",
            "Name",
        ]
        .iter()
        .find_map(|k| props.get(*k))
        .map(|n| self.resolve(n).as_str().expect("a name").to_owned())
        .unwrap_or_else(|| Self::generated_name(id))
    }

    fn get_att(&self, id: &str, attribute: &str) -> Value {
        assert_eq!(attribute, "Arn", "GetAtt {id}.{attribute} not supported");
        let r = &self.resources()[id];
        let name = self.physical_name(id);
        let arn = match r["Type"].as_str().expect("Type") {
            "AWS::Lambda::Function" => format!(
                "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
                self.function_name(id).as_str().expect("function name")
            ),
            "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "AWS::SQS::Queue" => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"),
            "AWS::SNS::Topic" => format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}"),
            "AWS::Logs::LogGroup" => format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"),
            "AWS::Events::Rule" => format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"),
            "AWS::Events::EventBus" => {
                format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}")
            }
            "AWS::KMS::Key" => {
                format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
            }
            other => panic!("GetAtt Arn of a {other} not supported"),
        };
        json!(arn)
    }

    fn sub(&self, text: &str, vars: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("closing }") + start;
            let name = &rest[start + 2..end];
            let value = if let Some(v) = vars.get(name) {
                self.resolve(v)
            } else if let Some((id, att)) = name.split_once('.') {
                self.get_att(id, att)
            } else {
                self.reference(name)
            };
            out.push_str(
                value
                    .as_str()
                    .unwrap_or_else(|| panic!("${{{name}}}: {value}")),
            );
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The value with every intrinsic function resolved; `AWS::NoValue` removes the item.
    fn resolve(&self, v: &Value) -> Value {
        if let Some((k, args)) = single(v) {
            match k {
                "Ref" => return self.reference(args.as_str().expect("Ref name")),
                "Fn::GetAtt" => {
                    let a = args.as_array().expect("GetAtt list");
                    return self.get_att(a[0].as_str().expect("id"), a[1].as_str().expect("att"));
                }
                "Fn::Sub" => {
                    return match args {
                        Value::String(s) => json!(self.sub(s, &Map::new())),
                        Value::Array(a) => json!(self.sub(
                            a[0].as_str().expect("Sub text"),
                            a[1].as_object().expect("Sub variables")
                        )),
                        _ => panic!("Fn::Sub {args}"),
                    };
                }
                "Fn::If" => {
                    let a = args.as_array().expect("If list");
                    let branch = if self.condition(a[0].as_str().expect("condition")) {
                        &a[1]
                    } else {
                        &a[2]
                    };
                    return self.resolve(branch);
                }
                "Fn::Join" => {
                    let a = args.as_array().expect("Join list");
                    let parts: Vec<String> = self
                        .resolve(&a[1])
                        .as_array()
                        .expect("Join items")
                        .iter()
                        .map(|p| p.as_str().expect("Join item").to_owned())
                        .collect();
                    return json!(parts.join(a[0].as_str().expect("separator")));
                }
                _ => {}
            }
            assert!(!k.starts_with("Fn::"), "{k} not supported");
        }
        match v {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i))
                    .filter(|i| !i.is_null())
                    .collect(),
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, i)| (k.clone(), self.resolve(i)))
                    .filter(|(_, i)| !i.is_null())
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The resources of `ty` that exist, with their properties resolved.
    fn of_type(&self, ty: &str) -> Vec<(String, Value)> {
        self.resources()
            .iter()
            .filter(|(_, r)| r["Type"] == ty && self.exists(r))
            .map(|(id, r)| (id.clone(), self.resolve(&r["Properties"])))
            .collect()
    }

    /// The snapshot `GetFunction`, `GetPolicy`, `GetFunctionEventInvokeConfig` and IAM would
    /// give for the function `id` once deployed.
    fn snapshot(&self, id: &str, props: &Value) -> FunctionSnapshot {
        let name = props["FunctionName"].as_str().expect("FunctionName");
        let arn_text = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}");
        let arn = FunctionArn::parse(&arn_text).expect("function ARN");

        let environment: BTreeMap<String, Redacted> = props["Environment"]["Variables"]
            .as_object()
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (k.clone(), Redacted::new(text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let reserved = props.get("ReservedConcurrentExecutions").map(|v| match v {
            Value::Number(n) => i32::try_from(n.as_i64().expect("integer")).expect("i32"),
            Value::String(s) => s.parse().expect("a number"),
            other => panic!("ReservedConcurrentExecutions {other}"),
        });
        let role_arn = props["Role"].as_str().expect("Role").to_owned();
        let configuration = FunctionConfiguration {
            runtime: props["Runtime"].as_str().map(str::to_owned),
            package_type: PackageType::parse(props["PackageType"].as_str()),
            role: Some(role_arn.clone()),
            kms_key_arn: props["KmsKeyArn"].as_str().map(str::to_owned),
            environment: Readable::read(environment),
            tracing_mode: TracingMode::parse(props["TracingConfig"]["Mode"].as_str()),
            dead_letter_target_arn: props["DeadLetterConfig"]["TargetArn"]
                .as_str()
                .map(str::to_owned),
            vpc: None,
            layers: Vec::new(),
            architectures: props["Architectures"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_else(|| vec!["x86_64".to_owned()]),
            reserved_concurrent_executions: reserved,
            last_modified: None,
        };

        let event_invoke_config = self
            .of_type("AWS::Lambda::EventInvokeConfig")
            .into_iter()
            .find(|(_, p)| p["FunctionName"] == name)
            .map(|(_, p)| EventInvokeConfig {
                on_failure_destination: p["DestinationConfig"]["OnFailure"]["Destination"]
                    .as_str()
                    .map(str::to_owned),
                on_success_destination: p["DestinationConfig"]["OnSuccess"]["Destination"]
                    .as_str()
                    .map(str::to_owned),
                maximum_retry_attempts: p["MaximumRetryAttempts"]
                    .as_i64()
                    .map(|n| i32::try_from(n).expect("i32")),
                maximum_event_age_in_seconds: p["MaximumEventAgeInSeconds"]
                    .as_i64()
                    .map(|n| i32::try_from(n).expect("i32")),
            });

        // AddPermission's statement shape: Sid = StatementId (CloudFormation generates one),
        // SourceArn as ArnLike, SourceAccount as StringEquals
        // (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
        let statements: Vec<Value> = self
            .of_type("AWS::Lambda::Permission")
            .into_iter()
            .filter(|(_, p)| p["FunctionName"] == name || p["FunctionName"] == arn_text)
            .map(|(pid, p)| {
                let mut condition = Map::new();
                if let Some(source_arn) = p.get("SourceArn") {
                    condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": source_arn }));
                }
                if let Some(account) = p.get("SourceAccount") {
                    condition.insert(
                        "StringEquals".into(),
                        json!({ "AWS:SourceAccount": account }),
                    );
                }
                let mut statement = json!({
                    "Sid": Self::generated_name(&pid),
                    "Effect": "Allow",
                    "Principal": { "Service": p["Principal"] },
                    "Action": p["Action"],
                    "Resource": arn_text,
                });
                if !condition.is_empty() {
                    statement["Condition"] = Value::Object(condition);
                }
                statement
            })
            .collect();
        let policy = (!statements.is_empty()).then(|| PolicyDocument {
            json: json!({ "Version": "2012-10-17", "Id": "default", "Statement": statements })
                .to_string(),
            revision_id: Some("1".into()),
        });

        let (role_id, role) = self
            .of_type("AWS::IAM::Role")
            .into_iter()
            .find(|(rid, _)| self.get_att(rid, "Arn") == role_arn)
            .unwrap_or_else(|| panic!("{id}: no role in the template has ARN {role_arn}"));
        assert!(
            role.get("ManagedPolicyArns").is_none(),
            "{role_id}: managed policies are not modelled by this test"
        );
        let inline = role["Policies"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| InlinePolicy {
                        name: p["PolicyName"].as_str().expect("PolicyName").to_owned(),
                        document: Readable::read(p["PolicyDocument"].to_string()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let execution_role = ExecutionRole {
            arn: role_arn.clone(),
            name: self.physical_name(&role_id),
            trust_policy: role["AssumeRolePolicyDocument"].to_string(),
            attached: Readable::read(Vec::new()),
            inline: Readable::read(inline),
        };

        let tags = props["Tags"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| {
                        (
                            t["Key"].as_str().expect("Key").to_owned(),
                            t["Value"].as_str().expect("Value").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();

        FunctionSnapshot {
            tags,
            policy: Readable::read(policy),
            configuration: Readable::read(configuration),
            event_invoke_config: Readable::read(event_invoke_config),
            execution_role: Readable::read(Some(execution_role)),
            ..FunctionSnapshot::empty(arn)
        }
    }
}

/// `(key, value)` of a one-key object (the shape of an intrinsic function).
fn single(v: &Value) -> Option<(&str, &Value)> {
    let m = v.as_object()?;
    if m.len() != 1 {
        return None;
    }
    m.iter().next().map(|(k, v)| (k.as_str(), v))
}

fn all_rules_on() -> RuleConfig {
    RuleConfig::from(&Config {
        enabled_rules: RuleId::ALL.iter().copied().collect(),
        ..Config::default()
    })
}

fn functions(stack: &Stack) -> Vec<(String, FunctionSnapshot)> {
    stack
        .of_type("AWS::Lambda::Function")
        .into_iter()
        .map(|(id, props)| {
            let snapshot = stack.snapshot(&id, &props);
            (id, snapshot)
        })
        .collect()
}

#[test]
fn lambda_warden_functions_pass_lambda_warden_rules() {
    let stack = Stack {
        template: transformed_template(),
    };
    let functions = functions(&stack);
    assert_eq!(
        functions.len(),
        3,
        "events, iam-events and sweep are deployed in us-east-1: {:?}",
        functions.iter().map(|(id, _)| id).collect::<Vec<_>>()
    );
    let config = all_rules_on();
    let mut unexpected = Vec::new();
    let mut excused = Vec::new();
    for (id, snapshot) in &functions {
        for finding in evaluate(snapshot, &config, NOW) {
            if finding.severity <= Severity::Informational {
                continue;
            }
            let exception = EXCEPTIONS.iter().find(|(f, rule, locator, _)| {
                f == id && *rule == finding.rule_id && *locator == finding.sid.as_deref()
            });
            match exception {
                Some(e) => excused.push(e),
                None => unexpected.push(format!(
                    "{id}: {} {:?} at {:?}: {}",
                    finding.rule_id.as_str(),
                    finding.severity,
                    finding.sid,
                    finding.message
                )),
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "lambda-warden's own functions break its rules:\n{}",
        unexpected.join("\n")
    );
    // An exception that no longer matches a finding is stale: remove it.
    for e in EXCEPTIONS {
        assert!(
            excused.contains(&e),
            "exception {:?} no longer matches a finding",
            (e.0, e.1.as_str(), e.2)
        );
    }
}

/// The test sees what the rules would flag: the same snapshot without its failure destination
/// (and without tracing and reserved concurrency) is flagged by LW011.
#[test]
fn a_weakened_function_is_flagged() {
    let stack = Stack {
        template: transformed_template(),
    };
    let (_, mut snapshot) = functions(&stack)
        .into_iter()
        .find(|(id, _)| id == "EventsFunction")
        .expect("EventsFunction");
    snapshot.event_invoke_config = Readable::read(None);
    if let Readable::Read { value } = &mut snapshot.configuration {
        value.tracing_mode = TracingMode::PassThrough;
        value.dead_letter_target_arn = None;
        value.reserved_concurrent_executions = None;
    }
    let findings = evaluate(&snapshot, &all_rules_on(), NOW);
    assert!(
        findings
            .iter()
            .any(|f| f.rule_id == RuleId::LW011 && f.severity > Severity::Informational),
        "no failure-destination finding for a function without one: {findings:?}"
    );
}
