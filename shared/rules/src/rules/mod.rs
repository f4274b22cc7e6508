//! The rule registry: every rule's id, metadata and check.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable rule id. Ids are never reused: a retired rule keeps its id in [`RETIRED`].
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
}

impl RuleId {
    /// `LW001`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::LW001 => "LW001",
            RuleId::LW002 => "LW002",
            RuleId::LW003 => "LW003",
            RuleId::LW004 => "LW004",
            RuleId::LW005 => "LW005",
            RuleId::LW006 => "LW006",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
