//! Privilege-escalation paths of an execution role: the documented ways a principal holding
//! some permissions gains more, each a set of requests that must all be allowed, judged across
//! all the role's permission policies together the way IAM authorises a request
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//! an `Allow` in any policy grants, a `Deny` in any policy that applies wins.
//!
//! The paths come from Rhino Security Labs' list of IAM privilege-escalation methods
//! (<https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>), Bishop
//! Fox's extension of it (<https://bishopfox.com/blog/privilege-escalation-in-aws>) and the
//! service documentation cited on each path. Each request of a path is judged with the request
//! context of the function's own credentials ([`session`](super::session)):
//! - an `Allow` grants the request when its `Action` (or `NotAction`) covers the action, its
//!   `Resource` covers the resource (below), and its conditions are not false for a Lambda
//!   session (a condition the context cannot decide counts as met: reported, fail closed);
//! - a `Deny` removes it when its action and resource cover the request and its conditions
//!   are true for every Lambda session (no condition, or e.g. "deny unless MFA", which a
//!   function's credentials never satisfy); a `Deny` whose condition may be false removes
//!   nothing here;
//! - "any resource" (the attacker's choice: any policy, user, role, function) is covered by a
//!   `Resource` of `*` or a pattern whose last part is `*` (`arn:aws:iam::*:role/*`), or by
//!   `NotResource`; a `Deny` removes it only with `Resource` `*` or such a pattern of the
//!   action's service. A request on the role itself (the paths that edit the execution role
//!   are judged on its ARN only) or on a customer managed policy attached to it is covered by
//!   an ARN pattern that matches that ARN, and removed by a `Deny` on it.
//!   `iam:PassRole` on named roles (no wildcard) is not a path: what those roles may do is
//!   not known here.
//!
//! Permissions boundaries, session policies and service control policies are not read: they
//! can only remove paths reported here.

use super::identity::is_allow;
use super::model::{Effect, ResourcePolicy, Statement};
use super::pattern::{wildcard_match, wildcard_match_ignore_case};
use super::session::{conditions_truth, SessionRequest, Truth};

/// Which resources a request of a path may be made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Any resource of the action's type, chosen by the attacker.
    Any,
    /// The execution role itself (a grant on `*`, or on a pattern matching its ARN, covers
    /// it): editing another role gains nothing without a way to use that role, which other
    /// paths need (`UpdateRolePolicyToAssumeIt`, the `PassRole` paths).
    OwnRole,
    /// Any resource, or a customer managed policy attached to the execution role.
    AnyOrAttachedPolicy,
}

/// One request a path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The IAM action, e.g. `iam:PassRole`.
    pub action: &'static str,
    /// Where it may be made.
    pub scope: Scope,
    /// For `iam:PassRole`: the service principal the role is passed to.
    pub passed_to: Option<&'static str>,
}

/// A documented privilege-escalation path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    /// Its name, e.g. `PassRoleToNewLambdaThenInvoke`.
    pub name: &'static str,
    /// What it does, in one sentence.
    pub how: &'static str,
    /// Every request it needs.
    pub needs: &'static [Need],
    /// Where it is documented.
    pub source: &'static str,
}

const RHINO: &str =
    "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/";
const BISHOP_FOX: &str = "https://bishopfox.com/blog/privilege-escalation-in-aws";
/// "AWS CloudFormation uses the role for all operations on that stack ... users who have
/// permission to perform stack operations can use the role's permissions, even if they don't
/// have permission to pass it" (the service role page).
const CLOUDFORMATION_SERVICE_ROLE: &str =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html";

const fn any(action: &'static str) -> Need {
    Need {
        action,
        scope: Scope::Any,
        passed_to: None,
    }
}

const fn on_self(action: &'static str) -> Need {
    Need {
        action,
        scope: Scope::OwnRole,
        passed_to: None,
    }
}

const fn on_attached(action: &'static str) -> Need {
    Need {
        action,
        scope: Scope::AnyOrAttachedPolicy,
        passed_to: None,
    }
}

const fn pass_to(service: &'static str) -> Need {
    Need {
        action: "iam:PassRole",
        scope: Scope::Any,
        passed_to: Some(service),
    }
}

const LAMBDA: &str = "lambda.amazonaws.com";

/// Every path judged, in catalogue order.
pub const PATHS: &[Path] = &[
    Path { name: "CreateNewPolicyVersion", how: "create a new default version of a managed policy attached to a principal it controls, with any permissions", needs: &[on_attached("iam:CreatePolicyVersion")], source: RHINO },
    Path { name: "SetExistingDefaultPolicyVersion", how: "make an older, broader version of a managed policy the default", needs: &[on_attached("iam:SetDefaultPolicyVersion")], source: RHINO },
    Path { name: "CreateAccessKey", how: "create access keys for another IAM user and act as that user", needs: &[any("iam:CreateAccessKey")], source: RHINO },
    Path { name: "CreateLoginProfile", how: "give another IAM user a console password and sign in as that user", needs: &[any("iam:CreateLoginProfile")], source: RHINO },
    Path { name: "UpdateLoginProfile", how: "change another IAM user's console password", needs: &[any("iam:UpdateLoginProfile")], source: RHINO },
    Path { name: "AttachUserPolicy", how: "attach any managed policy (AdministratorAccess) to a user", needs: &[any("iam:AttachUserPolicy")], source: RHINO },
    Path { name: "AttachGroupPolicy", how: "attach any managed policy to a group", needs: &[any("iam:AttachGroupPolicy")], source: RHINO },
    Path { name: "AttachRolePolicy", how: "attach any managed policy to a role, the execution role included", needs: &[on_self("iam:AttachRolePolicy")], source: RHINO },
    Path { name: "PutUserPolicy", how: "write an inline policy with any permissions on a user", needs: &[any("iam:PutUserPolicy")], source: RHINO },
    Path { name: "PutGroupPolicy", how: "write an inline policy with any permissions on a group", needs: &[any("iam:PutGroupPolicy")], source: RHINO },
    Path { name: "PutRolePolicy", how: "write an inline policy with any permissions on a role, the execution role included", needs: &[on_self("iam:PutRolePolicy")], source: RHINO },
    Path { name: "AddUserToGroup", how: "add a user it controls to a more privileged group", needs: &[any("iam:AddUserToGroup")], source: RHINO },
    Path { name: "UpdateRolePolicyToAssumeIt", how: "rewrite a role's trust policy to trust itself, then assume the role", needs: &[any("iam:UpdateAssumeRolePolicy"), any("sts:AssumeRole")], source: RHINO },
    Path { name: "UpdateOwnTrustPolicy", how: "rewrite the execution role's own trust policy so that a principal outside the function can assume it", needs: &[Need { action: "iam:UpdateAssumeRolePolicy", scope: Scope::OwnRole, passed_to: None }], source: BISHOP_FOX },
    Path { name: "AssumeAnyRole", how: "assume any role whose trust policy trusts the account", needs: &[any("sts:AssumeRole")], source: BISHOP_FOX },
    Path { name: "DeleteOrReplacePermissionsBoundary", how: "remove or replace the permissions boundary that limits a role or user", needs: &[any("iam:DeleteRolePermissionsBoundary")], source: BISHOP_FOX },
    Path { name: "DeleteUserPermissionsBoundary", how: "remove the permissions boundary that limits a user", needs: &[any("iam:DeleteUserPermissionsBoundary")], source: BISHOP_FOX },
    Path { name: "PutRolePermissionsBoundary", how: "replace a role's permissions boundary with a broader one", needs: &[on_self("iam:PutRolePermissionsBoundary")], source: BISHOP_FOX },
    Path { name: "PutUserPermissionsBoundary", how: "replace a user's permissions boundary with a broader one", needs: &[any("iam:PutUserPermissionsBoundary")], source: BISHOP_FOX },
    Path { name: "PassRoleToNewLambdaThenInvoke", how: "create a function with a more privileged role and invoke it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html)", needs: &[pass_to(LAMBDA), any("lambda:CreateFunction"), any("lambda:InvokeFunction")], source: RHINO },
    Path { name: "PassRoleToNewLambdaThenTriggerWithEventSource", how: "create a function with a more privileged role and have an event source mapping invoke it", needs: &[pass_to(LAMBDA), any("lambda:CreateFunction"), any("lambda:CreateEventSourceMapping")], source: RHINO },
    Path { name: "PassRoleToNewLambdaThenAllowInvoke", how: "create a function with a more privileged role and grant itself or anyone invoke through its resource-based policy", needs: &[pass_to(LAMBDA), any("lambda:CreateFunction"), any("lambda:AddPermission")], source: BISHOP_FOX },
    Path { name: "PassRoleToExistingLambda", how: "give an existing function a more privileged role", needs: &[pass_to(LAMBDA), any("lambda:UpdateFunctionConfiguration")], source: BISHOP_FOX },
    Path { name: "EditExistingLambdaFunctionCode", how: "replace the code of a function that runs with a more privileged role", needs: &[any("lambda:UpdateFunctionCode")], source: RHINO },
    Path { name: "EditExistingLambdaFunctionConfiguration", how: "add a layer or environment (e.g. a wrapper script) that runs its code in a function with a more privileged role (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html)", needs: &[any("lambda:UpdateFunctionConfiguration")], source: BISHOP_FOX },
    Path { name: "PassRoleToNewEC2", how: "launch an instance with a more privileged instance profile and read its credentials", needs: &[pass_to("ec2.amazonaws.com"), any("ec2:RunInstances")], source: RHINO },
    Path { name: "PassRoleToCloudFormationCreateStack", how: "create a stack that runs with a more privileged role", needs: &[pass_to("cloudformation.amazonaws.com"), any("cloudformation:CreateStack")], source: RHINO },
    Path { name: "PassRoleToCloudFormationUpdateStack", how: "update a stack so that it runs with a more privileged role", needs: &[pass_to("cloudformation.amazonaws.com"), any("cloudformation:UpdateStack")], source: BISHOP_FOX },
    Path { name: "PassRoleToCloudFormationChangeSet", how: "create and execute a change set that runs with a more privileged role", needs: &[pass_to("cloudformation.amazonaws.com"), any("cloudformation:CreateChangeSet"), any("cloudformation:ExecuteChangeSet")], source: BISHOP_FOX },
    Path { name: "UpdateStackWithItsServiceRole", how: "update an existing stack that has a service role: CloudFormation uses that role for the update, whether or not the caller may pass it (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html)", needs: &[any("cloudformation:UpdateStack")], source: CLOUDFORMATION_SERVICE_ROLE },
    Path { name: "ChangeSetWithItsServiceRole", how: "create and execute a change set on an existing stack that has a service role, which CloudFormation uses without iam:PassRole", needs: &[any("cloudformation:CreateChangeSet"), any("cloudformation:ExecuteChangeSet")], source: CLOUDFORMATION_SERVICE_ROLE },
    Path { name: "PassRoleToGlueDevEndpoint", how: "create a Glue development endpoint with a more privileged role and log in to it", needs: &[pass_to("glue.amazonaws.com"), any("glue:CreateDevEndpoint")], source: RHINO },
    Path { name: "UpdateExistingGlueDevEndpoint", how: "add its SSH key to an existing Glue development endpoint and use that endpoint's role", needs: &[any("glue:UpdateDevEndpoint")], source: RHINO },
    Path { name: "PassRoleToNewGlueJobThenRun", how: "create a Glue job with a more privileged role and start it", needs: &[pass_to("glue.amazonaws.com"), any("glue:CreateJob"), any("glue:StartJobRun")], source: BISHOP_FOX },
    Path { name: "PassRoleToNewGlueJobThenTrigger", how: "create a Glue job with a more privileged role and a trigger that starts it", needs: &[pass_to("glue.amazonaws.com"), any("glue:CreateJob"), any("glue:CreateTrigger")], source: BISHOP_FOX },
    Path { name: "PassRoleToExistingGlueJob", how: "change an existing Glue job's role and script, then start it", needs: &[pass_to("glue.amazonaws.com"), any("glue:UpdateJob"), any("glue:StartJobRun")], source: BISHOP_FOX },
    Path { name: "PassRoleToDataPipeline", how: "create a pipeline whose activities run with a more privileged role", needs: &[pass_to("datapipeline.amazonaws.com"), any("datapipeline:CreatePipeline"), any("datapipeline:PutPipelineDefinition")], source: RHINO },
    Path { name: "PassRoleToNewSageMakerNotebook", how: "create a notebook instance with a more privileged role and open it through a presigned URL", needs: &[pass_to("sagemaker.amazonaws.com"), any("sagemaker:CreateNotebookInstance"), any("sagemaker:CreatePresignedNotebookInstanceUrl")], source: BISHOP_FOX },
    Path { name: "OpenExistingSageMakerNotebook", how: "open an existing notebook instance through a presigned URL and run code as its role (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreatePresignedNotebookInstanceUrl.html)", needs: &[any("sagemaker:CreatePresignedNotebookInstanceUrl")], source: BISHOP_FOX },
    Path { name: "PassRoleToSageMakerTrainingJob", how: "run a training job whose container runs with a more privileged role", needs: &[pass_to("sagemaker.amazonaws.com"), any("sagemaker:CreateTrainingJob")], source: BISHOP_FOX },
    Path { name: "PassRoleToSageMakerProcessingJob", how: "run a processing job whose container runs with a more privileged role", needs: &[pass_to("sagemaker.amazonaws.com"), any("sagemaker:CreateProcessingJob")], source: BISHOP_FOX },
    Path { name: "PassRoleToNewECSTask", how: "register a task definition with a more privileged task role and run it (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html)", needs: &[pass_to("ecs-tasks.amazonaws.com"), any("ecs:RegisterTaskDefinition"), any("ecs:RunTask")], source: BISHOP_FOX },
    Path { name: "ExecuteCommandInECSTask", how: "open a shell in a running task and use its task role (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html)", needs: &[any("ecs:ExecuteCommand")], source: BISHOP_FOX },
    Path { name: "PassRoleToNewCodeBuildProject", how: "create a build project with a more privileged service role and start a build", needs: &[pass_to("codebuild.amazonaws.com"), any("codebuild:CreateProject"), any("codebuild:StartBuild")], source: BISHOP_FOX },
    Path { name: "StartCodeBuildWithBuildspecOverride", how: "start a build of an existing project with its own buildspec, run as the project's service role (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html)", needs: &[any("codebuild:StartBuild")], source: BISHOP_FOX },
    Path { name: "PassRoleToNewStateMachine", how: "create a state machine with a more privileged role and start it (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html)", needs: &[pass_to("states.amazonaws.com"), any("states:CreateStateMachine"), any("states:StartExecution")], source: BISHOP_FOX },
    Path { name: "PassRoleToExistingStateMachine", how: "give an existing state machine a more privileged role and start it", needs: &[pass_to("states.amazonaws.com"), any("states:UpdateStateMachine"), any("states:StartExecution")], source: BISHOP_FOX },
    Path { name: "SendCommandToInstance", how: "run commands on an instance with Systems Manager and use its instance profile (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html)", needs: &[any("ssm:SendCommand")], source: BISHOP_FOX },
    Path { name: "StartSessionOnInstance", how: "open a Session Manager shell on an instance and use its instance profile", needs: &[any("ssm:StartSession")], source: BISHOP_FOX },
    Path { name: "PassRoleToAppRunnerService", how: "create an App Runner service whose instance role is more privileged (https://docs.aws.amazon.com/apprunner/latest/api/API_CreateService.html)", needs: &[pass_to("tasks.apprunner.amazonaws.com"), any("apprunner:CreateService")], source: BISHOP_FOX },
];

/// What the escalation analysis knows about the role besides its policies.
#[derive(Debug, Clone, Copy)]
pub struct RoleContext<'a> {
    /// The execution role's ARN.
    pub role_arn: &'a str,
    /// The ARNs of the customer managed policies attached to it.
    pub attached_customer_policies: &'a [&'a str],
}

/// The statement that grants one request of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The request's action.
    pub action: &'static str,
    /// Index of the policy (in the slice given to [`find`]).
    pub policy: usize,
    /// Index of the statement in that policy.
    pub statement: usize,
    /// The resource the request is allowed on: `*` for any, else the role's or a policy's ARN.
    pub resource: String,
}

/// A path the role's policies allow, with the statement granting each of its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The path.
    pub path: &'static Path,
    /// One grant per request of the path, in the path's order.
    pub grants: Vec<Grant>,
}

/// The resource a request is made on.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Any,
    Arn(&'a str),
}

/// Whether the last part of `pattern` (after its final `/` or `:`) is `*`: it names every
/// resource of its kind.
fn is_broad(pattern: &str) -> bool {
    pattern == "*" || pattern.rsplit(['/', ':']).next() == Some("*")
}

fn service_of(s: &str) -> &str {
    s.split(':').next().unwrap_or_default()
}

fn allow_covers(s: &Statement, target: Target<'_>) -> bool {
    match target {
        Target::Any => {
            if s.not_resource.is_empty() {
                s.resource.iter().any(|r| is_broad(r))
            } else {
                !s.not_resource.iter().any(|r| r == "*")
            }
        }
        Target::Arn(arn) => {
            if s.not_resource.is_empty() {
                s.resource.iter().any(|r| wildcard_match(r, arn))
            } else {
                !s.not_resource.iter().any(|r| wildcard_match(r, arn))
            }
        }
    }
}

fn deny_covers(d: &Statement, action: &str, target: Target<'_>) -> bool {
    match target {
        Target::Any => {
            d.not_resource.is_empty()
                && d.resource.iter().any(|r| {
                    r == "*"
                        || (is_broad(r)
                            && r.split(':').nth(2) == Some(service_of(action))
                            && r.split(':')
                                .nth(4)
                                .is_some_and(|a| a == "*" || a.is_empty()))
                })
        }
        Target::Arn(arn) => {
            if d.not_resource.is_empty() {
                d.resource.iter().any(|r| wildcard_match(r, arn))
            } else {
                !d.not_resource.iter().any(|r| wildcard_match(r, arn))
            }
        }
    }
}

/// The actions the requests of [`PATHS`] name, numbered for [`Covered`].
struct PathActions {
    /// Every distinct action, in first-seen order: the index of an action is its bit.
    actions: Vec<&'static str>,
    /// For each path, in [`PATHS`] order, the bit of each of its requests.
    bits: Vec<Vec<u8>>,
}

/// The [`PathActions`] of [`PATHS`], worked out once.
fn actions() -> &'static PathActions {
    static ACTIONS: std::sync::OnceLock<PathActions> = std::sync::OnceLock::new();
    ACTIONS.get_or_init(|| {
        let mut actions: Vec<&'static str> = Vec::new();
        let mut bits = Vec::with_capacity(PATHS.len());
        for path in PATHS {
            let mut of_path = Vec::with_capacity(path.needs.len());
            for need in path.needs {
                let i = actions
                    .iter()
                    .position(|a| *a == need.action)
                    .unwrap_or_else(|| {
                        actions.push(need.action);
                        actions.len() - 1
                    });
                of_path.push(u8::try_from(i).unwrap_or(u8::MAX));
            }
            bits.push(of_path);
        }
        PathActions { actions, bits }
    })
}

/// Which of the [`actions`] each statement's `Action`/`NotAction` covers, one bit per action,
/// per policy and statement: the action patterns are matched once per statement, not once
/// per request of every path.
struct Covered(Vec<Vec<u128>>);

impl Covered {
    /// As [`Statement::allows_action`] for each action, with the same matcher; a pattern
    /// whose service prefix has no wildcard is matched only against the actions of that
    /// service (a pattern cannot match across the `:`-separated prefix otherwise).
    fn of(policies: &[&ResourcePolicy]) -> Covered {
        let all: u128 = (0..actions().actions.len()).fold(0, |m, i| m | (1u128 << i));
        Covered(
            policies
                .iter()
                .map(|p| {
                    p.statements
                        .iter()
                        .map(|s| {
                            let mut mask = Covered::matched(&s.action);
                            if !s.not_action.is_empty() {
                                mask |= all & !Covered::matched(&s.not_action);
                            }
                            mask
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// The bits of the actions some pattern of `patterns` matches.
    fn matched(patterns: &[String]) -> u128 {
        let actions = &actions().actions;
        let mut mask = 0u128;
        for pattern in patterns {
            let service = pattern.split(':').next().unwrap_or_default();
            let literal_service = pattern.contains(':') && !service.contains(['*', '?']);
            for (i, action) in actions.iter().enumerate() {
                if literal_service && !service.eq_ignore_ascii_case(service_of(action)) {
                    continue;
                }
                if wildcard_match_ignore_case(pattern, action) {
                    mask |= 1u128 << i;
                }
            }
        }
        mask
    }

    /// Whether statement `statement` of policy `policy` covers the action of bit `bit`.
    fn covers(&self, policy: usize, statement: usize, bit: u8) -> bool {
        bit < 128 && self.0[policy][statement] & (1u128 << bit) != 0
    }
}

/// The first statement of `policies` that grants `need` on `target` with no applying `Deny`.
fn grant(
    policies: &[&ResourcePolicy],
    covered: &Covered,
    denies: &[&Statement],
    (need, bit): (&Need, u8),
    target: Target<'_>,
) -> Option<(usize, usize)> {
    let request = SessionRequest {
        passed_to_service: need.passed_to,
    };
    let denied = denies.iter().any(|d| {
        d.allows_action(need.action)
            && deny_covers(d, need.action, target)
            && conditions_truth(&d.conditions, &request) == Truth::True
    });
    if denied {
        return None;
    }
    policies.iter().enumerate().find_map(|(pi, p)| {
        p.statements.iter().enumerate().find_map(|(si, s)| {
            (is_allow(s)
                && covered.covers(pi, si, bit)
                && allow_covers(s, target)
                && conditions_truth(&s.conditions, &request) != Truth::False)
                .then_some((pi, si))
        })
    })
}

/// Every path of [`PATHS`] that `policies` (all the role's permission policies) allow
/// together, in catalogue order.
pub fn find(policies: &[&ResourcePolicy], role: &RoleContext<'_>) -> Vec<Found> {
    let denies: Vec<&Statement> = policies
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.effect == Effect::Deny)
        .collect();
    let covered = Covered::of(policies);
    PATHS
        .iter()
        .zip(&actions().bits)
        .filter_map(|(path, bits)| {
            let grants = path
                .needs
                .iter()
                .zip(bits)
                .map(|(need, bit)| {
                    let mut targets = vec![("*", Target::Any)];
                    match need.scope {
                        Scope::Any => {}
                        Scope::OwnRole => {
                            targets = vec![(role.role_arn, Target::Arn(role.role_arn))];
                        }
                        Scope::AnyOrAttachedPolicy => targets.extend(
                            role.attached_customer_policies
                                .iter()
                                .map(|a| (*a, Target::Arn(a))),
                        ),
                    }
                    targets.into_iter().find_map(|(resource, target)| {
                        grant(policies, &covered, &denies, (need, *bit), target).map(
                            |(policy, statement)| Grant {
                                action: need.action,
                                policy,
                                statement,
                                resource: resource.to_owned(),
                            },
                        )
                    })
                })
                .collect::<Option<Vec<Grant>>>()?;
            Some(Found { path, grants })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/app-role";

    fn names(docs: &[&str], attached: &[&str]) -> Vec<&'static str> {
        let parsed: Vec<ResourcePolicy> = docs
            .iter()
            .map(|d| {
                ResourcePolicy::parse(&format!(r#"{{"Version":"2012-10-17","Statement":{d}}}"#))
                    .expect("parses")
            })
            .collect();
        let refs: Vec<&ResourcePolicy> = parsed.iter().collect();
        find(
            &refs,
            &RoleContext {
                role_arn: ROLE,
                attached_customer_policies: attached,
            },
        )
        .into_iter()
        .map(|f| f.path.name)
        .collect()
    }

    #[test]
    fn halves_of_a_path_in_different_policies_make_the_path() {
        let pass = r#"[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]"#;
        let lambda = r#"[{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}]"#;
        assert_eq!(
            names(&[pass, lambda], &[]),
            ["PassRoleToNewLambdaThenInvoke"]
        );
        assert!(names(&[pass], &[]).is_empty());
        assert!(names(&[lambda], &[]).is_empty());
    }

    #[test]
    fn passed_to_service_and_named_roles_close_passrole_paths() {
        let lambda = r#"{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction","ec2:RunInstances"],"Resource":"*"}"#;
        let to_ec2 = format!(
            r#"[{lambda},{{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{{"StringEquals":{{"iam:PassedToService":"ec2.amazonaws.com"}}}}}}]"#
        );
        assert_eq!(names(&[&to_ec2], &[]), ["PassRoleToNewEC2"]);
        let named = format!(
            r#"[{lambda},{{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/worker"}}]"#
        );
        assert!(names(&[&named], &[]).is_empty());
        let any_role = format!(
            r#"[{lambda},{{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/*"}}]"#
        );
        assert_eq!(
            names(&[&any_role], &[]),
            ["PassRoleToNewLambdaThenInvoke", "PassRoleToNewEC2"]
        );
    }

    #[test]
    fn broad_grants_hide_paths() {
        let iam_put = r#"[{"Effect":"Allow","Action":"iam:Put*","Resource":"*"}]"#;
        assert_eq!(
            names(&[iam_put], &[]),
            [
                "PutUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutRolePermissionsBoundary",
                "PutUserPermissionsBoundary"
            ]
        );
        let power_user = r#"[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]"#;
        let found = names(&[power_user], &[]);
        assert!(
            found.contains(&"EditExistingLambdaFunctionCode"),
            "{found:?}"
        );
        assert!(!found.iter().any(|n| n.contains("PassRole")), "{found:?}");
        let lambda_all = r#"[{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]"#;
        assert_eq!(
            names(&[lambda_all], &[]),
            [
                "EditExistingLambdaFunctionCode",
                "EditExistingLambdaFunctionConfiguration"
            ]
        );
    }

    #[test]
    fn the_role_editing_itself_or_its_own_policies() {
        let own = format!(
            r#"[{{"Effect":"Allow","Action":["iam:PutRolePolicy","iam:AttachRolePolicy"],"Resource":"{ROLE}"}}]"#
        );
        assert_eq!(names(&[&own], &[]), ["AttachRolePolicy", "PutRolePolicy"]);
        let other = r#"[{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::123456789012:role/other"}]"#;
        assert!(names(&[other], &[]).is_empty());
        let policy = "arn:aws:iam::123456789012:policy/app-access";
        let version = format!(
            r#"[{{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"{policy}"}}]"#
        );
        assert_eq!(names(&[&version], &[policy]), ["CreateNewPolicyVersion"]);
        assert!(names(&[&version], &[]).is_empty());
    }

    #[test]
    fn denies_that_apply_to_every_lambda_session_remove_paths() {
        let iam_all = r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#;
        let deny = |d: &str| format!("[{iam_all},{d}]");
        let mfa = deny(
            r#"{"Effect":"Deny","NotAction":["sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#,
        );
        assert!(names(&[&mfa], &[]).is_empty());
        let ip = deny(
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
        );
        assert!(
            !names(&[&ip], &[]).is_empty(),
            "a Deny that may not apply removes nothing"
        );
        let all_but_pass = deny(r#"{"Effect":"Deny","NotAction":"iam:PassRole","Resource":"*"}"#);
        assert!(names(&[&all_but_pass], &[]).is_empty());
        let roles = deny(
            r#"{"Effect":"Deny","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::*:role/*"}"#,
        );
        assert!(!names(&[&roles], &[]).contains(&"PutRolePolicy"));
        let scoped = deny(
            r#"{"Effect":"Deny","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::123456789012:role/admin"}"#,
        );
        assert!(names(&[&scoped], &[]).contains(&"PutRolePolicy"));
    }

    #[test]
    fn mfa_gated_allows_grant_nothing_to_a_function() {
        let gated = r#"[{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]"#;
        assert!(names(&[gated], &[]).is_empty());
    }

    #[test]
    fn precomputed_coverage_is_what_each_statement_allows() {
        let patterns = [
            "*",
            "iam:*",
            "IAM:passrole",
            "iam:Pass*",
            "i?m:PassRole",
            "iam*",
            "*:PassRole",
            "lambda:Create*",
            "lambda:*Function*",
            "s3:GetObject",
            "sts:Assume?ole",
            "ec2:*",
            "dynamodb:*",
            "",
            ":",
            "iam:",
            "*:*",
            "ssm:Start*",
            "states:*Execution",
        ];
        for (i, a) in patterns.iter().enumerate() {
            for b in &patterns[i..] {
                for not in [false, true] {
                    let (action, not_action) = if not {
                        (vec![], vec![(*a).to_owned(), (*b).to_owned()])
                    } else {
                        (vec![(*a).to_owned(), (*b).to_owned()], vec![])
                    };
                    let doc = serde_json::json!({"Statement": [{"Effect": "Allow",
                        "Action": action, "NotAction": not_action, "Resource": "*"}]});
                    let policy = ResourcePolicy::parse(&doc.to_string()).unwrap();
                    let covered = Covered::of(&[&policy]);
                    for (bit, action) in actions().actions.iter().enumerate() {
                        assert_eq!(
                            covered.covers(0, 0, bit as u8),
                            policy.statements[0].allows_action(action),
                            "{a} {b} not={not} {action}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_action_of_the_paths_has_a_bit() {
        assert!(
            actions().actions.len() <= 128,
            "{} actions",
            actions().actions.len()
        );
    }

    #[test]
    fn every_path_is_named_once_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for p in PATHS {
            assert!(seen.insert(p.name), "{}", p.name);
            assert!(p.source.starts_with("https://"), "{}", p.name);
            assert!(!p.needs.is_empty(), "{}", p.name);
        }
    }
}
