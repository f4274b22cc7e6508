//! Remediation planning: findings + configuration + the function's tags → ordered actions.
//! Pure; the adapter carries the plan out.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::{AutoFixScope, Config, Mode};
use crate::findings::{Finding, Fix, FixSafety, PermissionGrant, StatementRecord};
use crate::ids::FunctionArn;
use crate::outcome::{ActionStatus, Outcome};
use crate::rule_id::RuleId;
use crate::snapshot::{FunctionSnapshot, PolicyDocument};
use crate::tags;

/// One AWS write the adapter performs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `RemovePermission` (<https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html>).
    RemovePermission {
        /// The function, qualified when the statement is in an alias's or version's policy.
        function: FunctionArn,
        /// `StatementId`.
        sid: String,
        /// `RevisionId` of the policy as read; `None` only for the second and later edits of
        /// the same policy in one plan, for which the adapter reads the current `RevisionId`.
        revision_id: Option<String>,
        /// The statement removed, verbatim, so it can be restored.
        removed: StatementRecord,
        /// The findings this removal fixes.
        fixes: Vec<RuleId>,
    },
    /// `AddPermission` (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>).
    AddPermission {
        /// The function, qualified when the policy is an alias's or version's.
        function: FunctionArn,
        /// The statement to add.
        grant: PermissionGrant,
        /// The findings this fixes.
        fixes: Vec<RuleId>,
    },
    /// `UpdateFunctionUrlConfig` with `AuthType=AWS_IAM`
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionUrlConfig.html>).
    RequireIamAuth {
        /// The function, qualified when the URL belongs to an alias.
        function: FunctionArn,
        /// The findings this fixes.
        fixes: Vec<RuleId>,
        /// The URL's `AuthType` as read (`NONE`), so it can be restored; `None` in records
        /// written before it was kept.
        #[serde(default)]
        previous_auth_type: Option<String>,
    },
    /// `UpdateFunctionUrlConfig` with the given `AuthType`: only planned by
    /// [`restore`](crate::restore), to put back the auth type a [`Action::RequireIamAuth`]
    /// replaced (<https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionUrlConfig.html>).
    SetUrlAuthType {
        /// The function, qualified when the URL belongs to an alias.
        function: FunctionArn,
        /// `AuthType` as AWS spells it: `NONE` or `AWS_IAM`.
        auth_type: String,
    },
    /// `TagResource` on the unqualified function
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html>).
    TagResource {
        /// The unqualified function ARN.
        resource: FunctionArn,
        /// Tags to set.
        tags: BTreeMap<String, String>,
    },
}

impl Action {
    /// The AWS API operation this action calls.
    pub fn operation(&self) -> &'static str {
        match self {
            Action::RemovePermission { .. } => "RemovePermission",
            Action::AddPermission { .. } => "AddPermission",
            Action::RequireIamAuth { .. } | Action::SetUrlAuthType { .. } => {
                "UpdateFunctionUrlConfig"
            }
            Action::TagResource { .. } => "TagResource",
        }
    }

    /// Whether the action edits the resource-based policy (and so belongs to the policy's
    /// isolation group: applied in order, guarded by `RevisionId`).
    pub fn edits_policy(&self) -> bool {
        matches!(
            self,
            Action::RemovePermission { .. } | Action::AddPermission { .. }
        )
    }
}

/// Why a fix was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// The rule's remediation is text only.
    ManualOnly,
    /// `report` or `tag` mode never changes a policy or URL.
    ModeDoesNotFix,
    /// An unsafe fix needs the tag `lambda-warden:auto-fix=true`.
    NotOptedIn,
    /// A safe fix outside the auto-fix scope (`WARDEN_AUTO_FIX_SCOPE=opt-in` and no opt-in tag).
    OutsideAutoFixScope,
    /// An earlier fix in the plan already changes the same statement.
    StatementAlreadyPlanned,
}

/// What the plan does about one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum FixDecision {
    /// The fix is applied by `actions[i]` for each listed index.
    Apply {
        /// Indexes into [`Plan::actions`].
        actions: Vec<usize>,
    },
    /// The fix is not applied.
    Withhold {
        /// Why.
        reason: Withheld,
    },
}

/// The remediation plan for one function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The evaluated ARN.
    pub function_arn: FunctionArn,
    /// Every finding, in rule order.
    pub findings: Vec<Finding>,
    /// `decisions[i]` is what the plan does about `findings[i]`.
    pub decisions: Vec<FixDecision>,
    /// Fix actions, in the order they must run: policy edits (each `RemovePermission` of a
    /// replacement directly followed by its `AddPermission`), URL auth changes.
    pub actions: Vec<Action>,
}

/// Whether a fix of `safety` may run, given the mode, the opt-in tag and the scope: the one
/// place where fix safety meets configuration (the rule catalogue documents the same table).
pub fn permitted(
    safety: FixSafety,
    mode: Mode,
    opted_in: bool,
    scope: AutoFixScope,
) -> Result<(), Withheld> {
    match (mode, safety) {
        (_, FixSafety::Manual) => Err(Withheld::ManualOnly),
        (Mode::Report | Mode::Tag, FixSafety::Safe | FixSafety::Unsafe) => {
            Err(Withheld::ModeDoesNotFix)
        }
        (Mode::Enforce, FixSafety::Safe) => match (opted_in, scope) {
            (true, _) | (false, AutoFixScope::AllNonExempt) => Ok(()),
            (false, AutoFixScope::OptIn) => Err(Withheld::OutsideAutoFixScope),
        },
        (Mode::Enforce, FixSafety::Unsafe) => {
            if opted_in {
                Ok(())
            } else {
                Err(Withheld::NotOptedIn)
            }
        }
    }
}

struct Builder<'a> {
    arn: &'a FunctionArn,
    url_auth_type: Option<String>,
    revision_id: Option<String>,
    policy_edited: bool,
    actions: Vec<Action>,
    touched: BTreeSet<String>,
}

impl Builder<'_> {
    fn push(&mut self, action: Action) -> usize {
        self.actions.push(action);
        self.actions.len() - 1
    }

    fn remove(&mut self, original: &StatementRecord, fixes: RuleId) -> usize {
        // The first policy edit carries the RevisionId read with the policy; the adapter reads
        // the current one for later edits of the same plan.
        let revision_id = if self.policy_edited {
            None
        } else {
            self.revision_id.clone()
        };
        self.policy_edited = true;
        self.touched.insert(original.sid.clone());
        self.push(Action::RemovePermission {
            function: self.arn.clone(),
            sid: original.sid.clone(),
            revision_id,
            removed: original.clone(),
            fixes: vec![fixes],
        })
    }

    fn sids(fix: &Fix) -> Vec<&str> {
        match fix {
            Fix::ReplaceStatement { original, .. } | Fix::RemoveStatement { original } => {
                vec![original.sid.as_str()]
            }
            Fix::RequireIamAuthOnUrl { remove } => remove.iter().map(|r| r.sid.as_str()).collect(),
            Fix::None => Vec::new(),
        }
    }

    fn apply(&mut self, rule: RuleId, fix: &Fix) -> Vec<usize> {
        match fix {
            Fix::ReplaceStatement {
                original,
                replacement,
            } => {
                let removed = self.remove(original, rule);
                let added = self.push(Action::AddPermission {
                    function: self.arn.clone(),
                    grant: (**replacement).clone(),
                    fixes: vec![rule],
                });
                vec![removed, added]
            }
            Fix::RemoveStatement { original } => vec![self.remove(original, rule)],
            Fix::RequireIamAuthOnUrl { remove } => {
                // Close the URL first, so it is never public while statements are edited.
                let mut done = vec![self.push(Action::RequireIamAuth {
                    function: self.arn.clone(),
                    fixes: vec![rule],
                    previous_auth_type: self.url_auth_type.clone(),
                })];
                for original in remove {
                    done.push(self.remove(original, rule));
                }
                done
            }
            Fix::None => Vec::new(),
        }
    }
}

/// Plans what to do about `findings` on `snapshot` under `config`.
///
/// Each finding's fix is applied only when [`permitted`] allows it; a statement is edited by
/// at most one fix per plan. Tags and alerts are decided after execution, from the outcome
/// ([`Plan::tag_update`], and [`crate::state::alert_due`] from the recorded state), so they
/// describe what really happened.
pub fn plan(findings: Vec<Finding>, snapshot: &FunctionSnapshot, config: &Config) -> Plan {
    let opted_in = tags::opted_in(&snapshot.tags);
    let mut b = Builder {
        arn: &snapshot.arn,
        url_auth_type: snapshot
            .url
            .value()
            .and_then(Option::as_ref)
            .map(|u| u.auth_type.as_str().to_owned()),
        revision_id: snapshot
            .policy
            .value()
            .and_then(Option::as_ref)
            .and_then(|d: &PolicyDocument| d.revision_id.clone()),
        policy_edited: false,
        actions: Vec::new(),
        touched: BTreeSet::new(),
    };
    let decisions = findings
        .iter()
        .map(|f| {
            let r = &f.remediation;
            let touched = Builder::sids(&r.fix).iter().any(|s| b.touched.contains(*s));
            let check = match (&r.fix, touched) {
                (Fix::None, _) => Err(Withheld::ManualOnly),
                (_, true) => Err(Withheld::StatementAlreadyPlanned),
                (_, false) => Ok(()),
            };
            let check =
                permitted(r.safety, config.mode, opted_in, config.auto_fix_scope).and(check);
            match check {
                Ok(()) => FixDecision::Apply {
                    actions: b.apply(f.rule_id, &r.fix),
                },
                Err(reason) => FixDecision::Withhold { reason },
            }
        })
        .collect();
    Plan {
        function_arn: snapshot.arn.clone(),
        findings,
        decisions,
        actions: b.actions,
    }
}

impl Plan {
    /// The findings still open after `outcome`: those whose fix was withheld, or whose actions
    /// did not all succeed. `outcome.results[i]` must be the result of `self.actions[i]`.
    pub fn open_findings(&self, outcome: &Outcome) -> Vec<&Finding> {
        let done = |i: &usize| {
            outcome
                .results
                .get(*i)
                .is_some_and(|r| r.status == ActionStatus::Done)
        };
        self.findings
            .iter()
            .zip(&self.decisions)
            .filter(|(_, d)| match d {
                FixDecision::Apply { actions } => !actions.iter().all(done),
                FixDecision::Withhold { .. } => true,
            })
            .map(|(f, _)| f)
            .collect()
    }

    /// The `TagResource` that makes the function's status tags describe the open findings,
    /// or `None` when they already do, in `report` mode, or when the keys would be too long.
    pub fn tag_update(
        &self,
        snapshot: &FunctionSnapshot,
        outcome: &Outcome,
        config: &Config,
    ) -> Option<Action> {
        if config.mode == Mode::Report {
            return None;
        }
        let wanted = tags::describe(
            &self.open_findings(outcome),
            self.function_arn.qualifier.as_ref(),
        );
        let changed: BTreeMap<String, String> = wanted
            .into_iter()
            .filter(|(k, v)| snapshot.tags.get(k) != Some(v))
            .collect();
        (!changed.is_empty()).then(|| Action::TagResource {
            resource: self.function_arn.unqualified(),
            tags: changed,
        })
    }
}

/// The `TagResource` that shows an exempt function's status (`exempt`) in
/// [`tags::STATUS`], or `None` when it already does, or for a version or `$LATEST` (which
/// carry no tags, see [`tags::key_for`]).
pub fn exempt_tag_update(snapshot: &FunctionSnapshot) -> Option<Action> {
    let key = tags::key_for(tags::STATUS, snapshot.arn.qualifier.as_ref())?;
    (snapshot.tags.get(&key).map(String::as_str) != Some(tags::EXEMPT_STATUS)).then(|| {
        Action::TagResource {
            resource: snapshot.arn.unqualified(),
            tags: [(key, tags::EXEMPT_STATUS.to_owned())].into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Remediation, Severity};
    use crate::outcome::{ActionResult, FailureKind};
    use crate::snapshot::Readable;
    use serde_json::json;

    fn snapshot(tags: &[(&str, &str)]) -> FunctionSnapshot {
        FunctionSnapshot {
            arn: FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:f").unwrap(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            policy: Readable::read(Some(PolicyDocument {
                json: "{}".into(),
                revision_id: Some("rev-1".into()),
            })),
            ..FunctionSnapshot::empty(
                FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:f").unwrap(),
            )
        }
    }

    fn record(sid: &str) -> StatementRecord {
        StatementRecord {
            sid: sid.into(),
            statement: json!({"Sid": sid, "Effect": "Allow", "Principal": "*"}),
        }
    }

    fn grant(sid: &str) -> PermissionGrant {
        PermissionGrant {
            statement_id: sid.into(),
            action: "lambda:InvokeFunction".into(),
            principal: "s3.amazonaws.com".into(),
            source_arn: Some("arn:aws:s3:::b".into()),
            source_account: Some(crate::ids::AccountId::parse("123456789012").unwrap()),
            principal_org_id: None,
            event_source_token: None,
            function_url_auth_type: None,
            invoked_via_function_url: None,
            qualifier: None,
        }
    }

    fn finding(rule_id: RuleId, sid: &str, safety: FixSafety, fix: Fix) -> Finding {
        Finding {
            rule_id,
            severity: Severity::High,
            resource_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            sid: Some(sid.into()),
            message: String::new(),
            evidence: serde_json::Value::Null,
            remediation: Remediation {
                safety,
                fix,
                text: String::new(),
            },
        }
    }

    fn enforce() -> Config {
        Config {
            mode: Mode::Enforce,
            ..Config::default()
        }
    }

    fn done(actions: &[Action], failed_at: Option<usize>) -> Outcome {
        Outcome {
            results: actions
                .iter()
                .enumerate()
                .map(|(i, a)| ActionResult {
                    action: a.clone(),
                    status: match failed_at {
                        Some(f) if i == f => ActionStatus::Failed {
                            kind: FailureKind::AccessDenied,
                            code: "AccessDeniedException".into(),
                            operation: a.operation().into(),
                        },
                        Some(f) if i > f => ActionStatus::NotAttempted,
                        _ => ActionStatus::Done,
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn permission_table() {
        use AutoFixScope::*;
        use FixSafety::*;
        use Mode::*;
        let rows = [
            (
                Manual,
                Enforce,
                true,
                AllNonExempt,
                Err(Withheld::ManualOnly),
            ),
            (
                Safe,
                Report,
                true,
                AllNonExempt,
                Err(Withheld::ModeDoesNotFix),
            ),
            (
                Unsafe,
                Tag,
                true,
                AllNonExempt,
                Err(Withheld::ModeDoesNotFix),
            ),
            (
                Safe,
                Enforce,
                false,
                OptIn,
                Err(Withheld::OutsideAutoFixScope),
            ),
            (Safe, Enforce, false, AllNonExempt, Ok(())),
            (Safe, Enforce, true, OptIn, Ok(())),
            (
                Unsafe,
                Enforce,
                false,
                AllNonExempt,
                Err(Withheld::NotOptedIn),
            ),
            (Unsafe, Enforce, true, OptIn, Ok(())),
        ];
        for (safety, mode, opted, scope, want) in rows {
            assert_eq!(
                permitted(safety, mode, opted, scope),
                want,
                "{safety:?} {mode:?} opted_in={opted} {scope:?}"
            );
        }
    }

    #[test]
    fn replacement_is_remove_then_add_and_only_first_edit_carries_revision() {
        let findings = vec![
            finding(
                RuleId::LW002,
                "s3",
                FixSafety::Unsafe,
                Fix::ReplaceStatement {
                    original: record("s3"),
                    replacement: Box::new(grant("s3")),
                },
            ),
            finding(
                RuleId::LW001,
                "pub",
                FixSafety::Unsafe,
                Fix::RemoveStatement {
                    original: record("pub"),
                },
            ),
        ];
        let s = snapshot(&[(tags::AUTO_FIX, "true")]);
        let p = plan(findings, &s, &enforce());
        let ops: Vec<_> = p.actions.iter().map(Action::operation).collect();
        assert_eq!(
            ops,
            ["RemovePermission", "AddPermission", "RemovePermission"]
        );
        let revisions: Vec<_> = p
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::RemovePermission { revision_id, .. } => Some(revision_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(revisions, [Some("rev-1".to_owned()), None]);
        assert_eq!(
            p.decisions[0],
            FixDecision::Apply {
                actions: vec![0, 1]
            }
        );
        assert_eq!(p.decisions[1], FixDecision::Apply { actions: vec![2] });
    }

    #[test]
    fn unsafe_fix_needs_opt_in_and_enforce() {
        let f = || {
            vec![finding(
                RuleId::LW001,
                "pub",
                FixSafety::Unsafe,
                Fix::RemoveStatement {
                    original: record("pub"),
                },
            )]
        };
        let not_opted = plan(f(), &snapshot(&[]), &enforce());
        assert!(not_opted.actions.is_empty());
        assert_eq!(
            not_opted.decisions[0],
            FixDecision::Withhold {
                reason: Withheld::NotOptedIn
            }
        );
        let tag_mode = plan(
            f(),
            &snapshot(&[(tags::AUTO_FIX, "true")]),
            &Config::default(),
        );
        assert!(tag_mode.actions.is_empty());
        assert_eq!(
            tag_mode.decisions[0],
            FixDecision::Withhold {
                reason: Withheld::ModeDoesNotFix
            }
        );
    }

    #[test]
    fn a_statement_is_edited_by_one_fix_only() {
        let remove = |rule| {
            finding(
                rule,
                "pub",
                FixSafety::Unsafe,
                Fix::RemoveStatement {
                    original: record("pub"),
                },
            )
        };
        let p = plan(
            vec![remove(RuleId::LW001), remove(RuleId::LW004)],
            &snapshot(&[(tags::AUTO_FIX, "true")]),
            &enforce(),
        );
        assert_eq!(p.actions.len(), 1);
        assert_eq!(
            p.decisions[1],
            FixDecision::Withhold {
                reason: Withheld::StatementAlreadyPlanned
            }
        );
    }

    #[test]
    fn open_findings_follow_the_outcome() {
        let findings = vec![
            finding(
                RuleId::LW001,
                "a",
                FixSafety::Unsafe,
                Fix::RemoveStatement {
                    original: record("a"),
                },
            ),
            finding(
                RuleId::LW001,
                "b",
                FixSafety::Unsafe,
                Fix::RemoveStatement {
                    original: record("b"),
                },
            ),
            finding(RuleId::LW003, "c", FixSafety::Manual, Fix::None),
        ];
        let s = snapshot(&[(tags::AUTO_FIX, "true")]);
        let p = plan(findings, &s, &enforce());
        let all = done(&p.actions, None);
        let open: Vec<_> = p
            .open_findings(&all)
            .iter()
            .map(|f| f.sid.clone())
            .collect();
        assert_eq!(open, [Some("c".to_owned())]);
        let partial = done(&p.actions, Some(1));
        let open: Vec<_> = p
            .open_findings(&partial)
            .iter()
            .map(|f| f.sid.clone())
            .collect();
        assert_eq!(open, [Some("b".to_owned()), Some("c".to_owned())]);
    }

    #[test]
    fn tags_are_written_once_and_alerts_follow_the_recorded_state() {
        use crate::state::{self, ResourceState};
        let findings = || vec![finding(RuleId::LW003, "c", FixSafety::Manual, Fix::None)];
        let config = Config::default();
        let fresh = snapshot(&[]);
        let p = plan(findings(), &fresh, &config);
        let nothing = Outcome::default();
        let Some(Action::TagResource { tags: written, .. }) =
            p.tag_update(&fresh, &nothing, &config)
        else {
            panic!("tags expected on first evaluation");
        };
        assert_eq!(written[tags::STATUS], "non-compliant");
        assert_eq!(written[tags::FINDINGS], "LW003");
        let open = p.open_findings(&nothing);
        assert!(state::alert_due(
            None,
            &open,
            false,
            config.alert_min_severity
        ));

        // Second delivery: the tags written by the first are on the function, and the state
        // table holds the first evaluation's state.
        let pairs: Vec<(&str, &str)> = written
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let tagged = snapshot(&pairs);
        let p2 = plan(findings(), &tagged, &config);
        assert_eq!(p2.tag_update(&tagged, &nothing, &config), None);
        let recorded = ResourceState::of("f", 1, &open, "e1");
        let open2 = p2.open_findings(&nothing);
        assert!(!state::alert_due(
            Some(&recorded),
            &open2,
            false,
            config.alert_min_severity
        ));
        // Tags carrying the fingerprint decide nothing: with no recorded state it alerts.
        assert!(state::alert_due(
            None,
            &open2,
            false,
            config.alert_min_severity
        ));

        // Report mode writes no tags.
        let report = Config {
            mode: Mode::Report,
            ..Config::default()
        };
        assert_eq!(p2.tag_update(&tagged, &nothing, &report), None);
    }

    #[test]
    fn alerts_below_the_threshold_are_not_sent() {
        let s = snapshot(&[]);
        let config = Config::default();
        let p = plan(
            vec![finding(RuleId::LW003, "c", FixSafety::Manual, Fix::None)],
            &s,
            &config,
        );
        let open = p.open_findings(&Outcome::default());
        assert!(!crate::state::alert_due(
            None,
            &open,
            false,
            Severity::Critical
        ));
        assert!(crate::state::alert_due(
            None,
            &open,
            true,
            Severity::Critical
        ));
        assert!(p.tag_update(&s, &Outcome::default(), &config).is_some());
    }

    #[test]
    fn an_exempt_function_shows_it_in_its_status_tag() {
        let Some(Action::TagResource { tags: t, .. }) = exempt_tag_update(&snapshot(&[])) else {
            panic!("status tag expected");
        };
        assert_eq!(t[tags::STATUS], tags::EXEMPT_STATUS);
        assert_eq!(
            exempt_tag_update(&snapshot(&[(tags::STATUS, tags::EXEMPT_STATUS)])),
            None
        );
    }
}
