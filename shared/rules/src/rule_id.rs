//! Rule ids: the stable identifier of each rule, shared by findings, settings, tags and the
//! state table. It sits below the rules so that the modules they use never depend on them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable rule id. Ids are never reused: a retired rule keeps its id in `rules::RETIRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleId {
    /// public-invoke
    LW001,
    /// confused-deputy
    LW002,
    /// untrusted-cross-account
    LW003,
    /// public-function-url
    LW004,
    /// function-url-cors-wildcard
    LW005,
    /// unverified-state
    LW006,
    /// secrets-in-environment
    LW007,
    /// environment-not-encrypted-with-cmk
    LW008,
    /// deprecated-runtime
    LW009,
    /// tracing-disabled
    LW010,
    /// no-failure-destination
    LW011,
    /// no-reserved-concurrency
    LW012,
    /// no-code-signing
    LW013,
    /// not-in-vpc
    LW014,
    /// vpc-single-az
    LW015,
    /// untrusted-layer-account
    LW016,
    /// required-tags-missing
    LW017,
    /// public-layer-version
    LW018,
    /// execution-role-admin-access
    LW019,
    /// execution-role-service-wildcard
    LW020,
    /// execution-role-passrole-wildcard
    LW021,
    /// execution-role-privilege-escalation
    LW022,
    /// execution-role-untrusted-trust
    LW023,
    /// execution-role-trust-no-source-account
    LW024,
    /// unapproved-exemption
    LW025,
}

impl RuleId {
    /// Every id in use, in order.
    pub const ALL: &'static [RuleId] = &[
        RuleId::LW001,
        RuleId::LW002,
        RuleId::LW003,
        RuleId::LW004,
        RuleId::LW005,
        RuleId::LW006,
        RuleId::LW007,
        RuleId::LW008,
        RuleId::LW009,
        RuleId::LW010,
        RuleId::LW011,
        RuleId::LW012,
        RuleId::LW013,
        RuleId::LW014,
        RuleId::LW015,
        RuleId::LW016,
        RuleId::LW017,
        RuleId::LW018,
        RuleId::LW019,
        RuleId::LW020,
        RuleId::LW021,
        RuleId::LW022,
        RuleId::LW023,
        RuleId::LW024,
        RuleId::LW025,
    ];

    /// `LW001`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::LW001 => "LW001",
            RuleId::LW002 => "LW002",
            RuleId::LW003 => "LW003",
            RuleId::LW004 => "LW004",
            RuleId::LW005 => "LW005",
            RuleId::LW006 => "LW006",
            RuleId::LW007 => "LW007",
            RuleId::LW008 => "LW008",
            RuleId::LW009 => "LW009",
            RuleId::LW010 => "LW010",
            RuleId::LW011 => "LW011",
            RuleId::LW012 => "LW012",
            RuleId::LW013 => "LW013",
            RuleId::LW014 => "LW014",
            RuleId::LW015 => "LW015",
            RuleId::LW016 => "LW016",
            RuleId::LW017 => "LW017",
            RuleId::LW018 => "LW018",
            RuleId::LW019 => "LW019",
            RuleId::LW020 => "LW020",
            RuleId::LW021 => "LW021",
            RuleId::LW022 => "LW022",
            RuleId::LW023 => "LW023",
            RuleId::LW024 => "LW024",
            RuleId::LW025 => "LW025",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
