//! Which parts of a function's state the enabled rules need, so that the adapter reads only
//! those: a part no enabled rule looks at is left [`Readable::NotRead`](crate::snapshot::Readable::NotRead)
//! and costs no API call.
//!
//! The configuration (from `GetFunctionConfiguration` or the sweep's `ListFunctions`) and the
//! tags (`ListTags`, or the sweep's bulk tag listing) are always read: they say whether the
//! function exists, which role it runs with, and how lambda-warden may act on it (the opt-in
//! and exemption tags, the status tags it writes). Every other part has one read of its own
//! per function or qualifier, listed in [`Part`].

use crate::rule_id::RuleId;
use crate::rules::{RuleConfig, RULES};
use crate::snapshot::FunctionConfiguration;

/// A part of a function's state with a read of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The resource-based policy (`GetPolicy`).
    Policy,
    /// The function URL configuration (`GetFunctionUrlConfig`).
    Url,
    /// The event invoke configuration (`GetFunctionEventInvokeConfig`).
    EventInvokeConfig,
    /// The reserved concurrency (`GetFunctionConcurrency`).
    Concurrency,
    /// The code signing configuration (`GetFunctionCodeSigningConfig`).
    CodeSigning,
    /// The execution role and its policies (IAM `GetRole`, `ListAttachedRolePolicies`,
    /// `ListRolePolicies`, `GetPolicy`, `GetPolicyVersion`, `GetRolePolicy`).
    ExecutionRole,
}

/// The parts rule `id` reads beyond the configuration and the tags. A rule absent from this
/// table reads only those two. LW006 reads nothing of its own: it reports the parts that were
/// read and refused.
pub fn parts_of(id: RuleId) -> &'static [Part] {
    match id {
        RuleId::LW001 | RuleId::LW002 | RuleId::LW003 => &[Part::Policy],
        // LW004 also reads the policy: an AWS_IAM URL whose policy grants `*` is public.
        RuleId::LW004 => &[Part::Url, Part::Policy],
        RuleId::LW005 => &[Part::Url],
        RuleId::LW011 => &[Part::EventInvokeConfig],
        RuleId::LW012 => &[Part::Concurrency],
        RuleId::LW013 => &[Part::CodeSigning],
        RuleId::LW019
        | RuleId::LW020
        | RuleId::LW021
        | RuleId::LW022
        | RuleId::LW023
        | RuleId::LW024 => &[Part::ExecutionRole],
        _ => &[],
    }
}

/// Which parts to read for a function: `true` means read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per part, each read or not
pub struct Reads {
    /// [`Part::Policy`].
    pub policy: bool,
    /// [`Part::Url`].
    pub url: bool,
    /// [`Part::EventInvokeConfig`].
    pub event_invoke_config: bool,
    /// [`Part::Concurrency`].
    pub concurrency: bool,
    /// [`Part::CodeSigning`].
    pub code_signing: bool,
    /// [`Part::ExecutionRole`].
    pub execution_role: bool,
}

impl Reads {
    /// Every part: what a caller that does not know the rules (e.g. `restore`) reads.
    pub const ALL: Reads = Reads {
        policy: true,
        url: true,
        event_invoke_config: true,
        concurrency: true,
        code_signing: true,
        execution_role: true,
    };

    /// No part of its own.
    pub const NONE: Reads = Reads {
        policy: false,
        url: false,
        event_invoke_config: false,
        concurrency: false,
        code_signing: false,
        execution_role: false,
    };

    /// The parts the rules that run under `config` read ([`parts_of`]).
    pub fn for_rules(config: &RuleConfig) -> Reads {
        let mut reads = Reads::NONE;
        for rule in RULES {
            if config.runs(&rule.meta) {
                for part in parts_of(rule.meta.id) {
                    reads.set(*part);
                }
            }
        }
        reads
    }

    fn set(&mut self, part: Part) {
        match part {
            Part::Policy => self.policy = true,
            Part::Url => self.url = true,
            Part::EventInvokeConfig => self.event_invoke_config = true,
            Part::Concurrency => self.concurrency = true,
            Part::CodeSigning => self.code_signing = true,
            Part::ExecutionRole => self.execution_role = true,
        }
    }

    /// Whether `part` is read.
    pub fn reads(&self, part: Part) -> bool {
        match part {
            Part::Policy => self.policy,
            Part::Url => self.url,
            Part::EventInvokeConfig => self.event_invoke_config,
            Part::Concurrency => self.concurrency,
            Part::CodeSigning => self.code_signing,
            Part::ExecutionRole => self.execution_role,
        }
    }

    /// The reads for a function whose configuration is already known: the event invoke
    /// configuration is needed only by LW011, which a dead-letter queue satisfies by itself;
    /// code signing (LW013) does not apply to container images
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html>).
    pub fn given(self, configuration: &FunctionConfiguration) -> Reads {
        let has_dead_letter_queue = configuration
            .dead_letter_target_arn
            .as_deref()
            .is_some_and(|t| !t.is_empty());
        let image = configuration.package_type == crate::snapshot::PackageType::Image;
        Reads {
            event_invoke_config: self.event_invoke_config && !has_dead_letter_queue,
            code_signing: self.code_signing && !image,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_default_rules_read_neither_concurrency_nor_code_signing() {
        let reads = Reads::for_rules(&RuleConfig::default());
        assert_eq!(
            reads,
            Reads {
                concurrency: false,
                code_signing: false,
                ..Reads::ALL
            }
        );
    }

    #[test]
    fn the_resource_policy_rules_read_only_the_policy() {
        let config = RuleConfig {
            only: Some(BTreeSet::from([
                RuleId::LW001,
                RuleId::LW002,
                RuleId::LW003,
            ])),
            ..RuleConfig::default()
        };
        assert_eq!(
            Reads::for_rules(&config),
            Reads {
                policy: true,
                ..Reads::NONE
            }
        );
    }

    #[test]
    fn every_rule_enabled_reads_everything() {
        let config = RuleConfig {
            enabled: RuleId::ALL.iter().copied().collect(),
            ..RuleConfig::default()
        };
        assert_eq!(Reads::for_rules(&config), Reads::ALL);
    }

    #[test]
    fn a_dead_letter_queue_spares_the_event_invoke_configuration() {
        let with_dlq = FunctionConfiguration {
            dead_letter_target_arn: Some("arn:aws:sqs:us-east-1:123456789012:dlq".into()),
            ..FunctionConfiguration::default()
        };
        assert!(!Reads::ALL.given(&with_dlq).event_invoke_config);
        assert!(
            Reads::ALL
                .given(&FunctionConfiguration::default())
                .event_invoke_config
        );
    }
}
