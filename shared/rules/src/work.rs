//! The organization sweep's work items: one per (account, Region), sent by the scheduled run
//! to the work queue and consumed by worker invocations of the sweep function. This module
//! holds their shapes and the decisions about them; queue and table I/O is the adapter's.
//!
//! A work item names only *what* to sweep (`run_id`, `account`, `region`). *Where* a worker
//! resumes is never taken from a message: it is the checkpoint the workers of the run keep
//! in the state table, which only lambda-warden writes. So a forged or replayed message can at
//! worst cause a sweep of something the run planned, never skip a function.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::is_region_code;
use crate::ids::AccountId;

/// The `schema` of a work item message body.
pub const WORK_ITEM_SCHEMA: &str = "lambda-warden.work/1";

/// The body of one work-queue message (JSON): sweep `region` of `account` for run `run_id`.
///
/// Shape: `{"schema": "lambda-warden.work/1", "run_id": "...", "account": "111122223333",
/// "region": "eu-west-1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkItem {
    /// [`WORK_ITEM_SCHEMA`].
    pub schema: String,
    /// The run (the scheduled event's id), 1-128 characters of `[A-Za-z0-9._:-]`.
    pub run_id: String,
    /// The account to sweep.
    pub account: AccountId,
    /// The Region to sweep, e.g. `eu-west-1`.
    pub region: String,
}

/// Why a message is not a work item. The worker moves such a message to the dead-letter
/// queue with this text as its reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkItemError {
    /// The body is not the JSON of a [`WorkItem`].
    #[error("not a work item: {0}")]
    Malformed(String),
    /// The `schema` is not [`WORK_ITEM_SCHEMA`].
    #[error("unknown work item schema {0:?}")]
    Schema(String),
    /// The run id is empty, too long or has other characters than `[A-Za-z0-9._:-]`.
    #[error("invalid run id {0:?}")]
    RunId(String),
    /// The Region is not a Region code.
    #[error("invalid Region {0:?}")]
    Region(String),
}

/// The most characters of a run id.
pub const MAX_RUN_ID_CHARS: usize = 128;

/// Whether `c` may be part of a run id: `[A-Za-z0-9._:-]` (no `#` or `/`, which separate the
/// state table's key parts).
fn is_run_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')
}

/// Whether `id` may be a run id (it becomes part of state table keys and log records).
pub fn is_run_id(id: &str) -> bool {
    (1..=MAX_RUN_ID_CHARS).contains(&id.len()) && id.chars().all(is_run_id_char)
}

/// The run id made of `id` (a scheduled event's id): its run-id characters, at most
/// [`MAX_RUN_ID_CHARS`]; `fallback`'s (the invocation's request id) when nothing is left.
pub fn run_id_from(id: &str, fallback: &str) -> String {
    let keep = |s: &str| -> String {
        s.chars()
            .filter(|c| is_run_id_char(*c))
            .take(MAX_RUN_ID_CHARS)
            .collect()
    };
    let run_id = keep(id);
    if run_id.is_empty() {
        keep(fallback)
    } else {
        run_id
    }
}

impl WorkItem {
    /// The work item for `account` and `region` in run `run_id`.
    pub fn new(run_id: &str, account: &AccountId, region: &str) -> WorkItem {
        WorkItem {
            schema: WORK_ITEM_SCHEMA.to_owned(),
            run_id: run_id.to_owned(),
            account: account.clone(),
            region: region.to_owned(),
        }
    }

    /// Parses and checks a message body.
    ///
    /// # Errors
    /// [`WorkItemError`] saying what is wrong with it.
    pub fn parse(body: &str) -> Result<WorkItem, WorkItemError> {
        let item: WorkItem = serde_json::from_str(body).map_err(|e| {
            let mut text = e.to_string();
            text.truncate(200);
            WorkItemError::Malformed(text)
        })?;
        if item.schema != WORK_ITEM_SCHEMA {
            return Err(WorkItemError::Schema(excerpt(&item.schema)));
        }
        if !is_run_id(&item.run_id) {
            return Err(WorkItemError::RunId(excerpt(&item.run_id)));
        }
        if !is_region_code(&item.region) {
            return Err(WorkItemError::Region(excerpt(&item.region)));
        }
        Ok(item)
    }

    /// The JSON body of its message.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `ACCOUNT/REGION`: how the run's records name the item.
    pub fn key(&self) -> String {
        item_key(&self.account, &self.region)
    }
}

/// `ACCOUNT/REGION`, e.g. `111122223333/eu-west-1`.
pub fn item_key(account: &AccountId, region: &str) -> String {
    format!("{account}/{region}")
}

fn excerpt(s: &str) -> String {
    s.chars().take(64).collect()
}

/// The work of one run: every account × every Region, accounts in the order given (sorted
/// and without repeats), Regions in the order of `WARDEN_REGIONS`.
pub fn plan_work(run_id: &str, accounts: &[AccountId], regions: &[String]) -> Vec<WorkItem> {
    let mut accounts = accounts.to_vec();
    accounts.sort();
    accounts.dedup();
    let mut regions_seen: Vec<&String> = Vec::with_capacity(regions.len());
    for r in regions {
        if !regions_seen.contains(&r) {
            regions_seen.push(r);
        }
    }
    accounts
        .iter()
        .flat_map(|a| {
            regions_seen
                .iter()
                .map(move |r| WorkItem::new(run_id, a, r))
        })
        .collect()
}

/// Why a worker could not claim a work item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefused {
    /// Another invocation holds it until `until_ms` (ms since the Unix epoch, its deadline):
    /// the message is delivered again just after, when the holder has ended it (then it is
    /// dropped) or died (then it is taken over). Dropping it at once could lose the item
    /// when its holder stopped without releasing it.
    Held {
        /// When the lease ends.
        until_ms: u64,
    },
    /// It is done or failed: the message is dropped.
    Ended,
    /// The run is recorded but did not plan this (account, Region): dead-lettered.
    NotPlanned,
    /// No such run is recorded (never sent by lambda-warden, or expired): dead-lettered.
    UnknownRun,
}

/// What a worker finds when it claims an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The last function name of the item's Region already swept: resume after it.
    pub after: Option<String>,
    /// How many times the item was handed over because a worker's time ran out.
    pub continuations: u32,
}

/// The totals of one work item (or of part of it), added to its run's summary when it ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCounts {
    /// Functions completed.
    pub functions: u64,
    /// Targets evaluated (functions, aliases, versions).
    pub targets: u64,
    /// Targets with open findings.
    pub non_compliant: u64,
    /// Functions or fixes that failed.
    pub failures: u64,
}

impl ItemCounts {
    /// The sum of both.
    pub fn plus(self, other: ItemCounts) -> ItemCounts {
        ItemCounts {
            functions: self.functions + other.functions,
            targets: self.targets + other.targets,
            non_compliant: self.non_compliant + other.non_compliant,
            failures: self.failures + other.failures,
        }
    }
}

/// A run's summary: its record and the aggregate of its work items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The run id.
    pub run_id: String,
    /// When the scheduled run fanned out, seconds since the Unix epoch.
    pub started_at: i64,
    /// Every planned item, `ACCOUNT/REGION`, sorted.
    pub planned: Vec<String>,
    /// Items sent to the queue (more than planned when the scheduled event came twice).
    pub sent: u64,
    /// Items swept to their end.
    pub done: u64,
    /// Items given up.
    pub failed: u64,
    /// Items neither done nor failed (planned, or under way), sorted.
    pub pending: Vec<String>,
    /// Accounts with at least one item done, sorted.
    pub accounts_covered: Vec<String>,
    /// Regions with at least one item done, sorted.
    pub regions_covered: Vec<String>,
    /// Sums over every item (failed ones included: what they did before giving up).
    pub counts: ItemCounts,
    /// `ACCOUNT/REGION: reason` of every item given up, sorted.
    pub failures: Vec<String>,
}

impl RunSummary {
    /// Whether every planned item has ended (done or failed).
    pub fn finished(&self) -> bool {
        self.pending.is_empty()
    }

    /// Counts item `key` (`ACCOUNT/REGION`) with status `status` (`planned`, `in_progress`,
    /// `done`, `failed`), totals `counts` and, for a failed one, `reason`.
    pub fn absorb(&mut self, key: &str, status: &str, counts: ItemCounts, reason: Option<&str>) {
        self.planned.push(key.to_owned());
        self.counts = self.counts.plus(counts);
        match status {
            "done" => {
                self.done += 1;
                if let Some((account, region)) = key.split_once('/') {
                    self.accounts_covered.push(account.to_owned());
                    self.regions_covered.push(region.to_owned());
                }
            }
            "failed" => {
                self.failed += 1;
                self.failures
                    .push(format!("{key}: {}", reason.unwrap_or("no reason recorded")));
            }
            _ => self.pending.push(key.to_owned()),
        }
    }

    /// Sorts every list and removes repeats from the covered accounts and Regions.
    pub fn sort(&mut self) {
        for list in [
            &mut self.planned,
            &mut self.pending,
            &mut self.accounts_covered,
            &mut self.regions_covered,
            &mut self.failures,
        ] {
            list.sort();
            list.dedup();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    #[test]
    fn work_items_round_trip_and_bad_bodies_say_why() {
        let item = WorkItem::new("run-1", &account("111122223333"), "eu-west-1");
        assert_eq!(WorkItem::parse(&item.body()), Ok(item.clone()));
        assert_eq!(item.key(), "111122223333/eu-west-1");
        for (body, expected) in [
            ("not json", "not a work item"),
            (
                r#"{"schema":"lambda-warden.work/1","run_id":"r","account":"12","region":"eu-west-1"}"#,
                "not a work item",
            ),
            (
                r#"{"schema":"other/1","run_id":"r","account":"111122223333","region":"eu-west-1"}"#,
                "schema",
            ),
            (
                r#"{"schema":"lambda-warden.work/1","run_id":"a b","account":"111122223333","region":"eu-west-1"}"#,
                "run id",
            ),
            (
                r#"{"schema":"lambda-warden.work/1","run_id":"r","account":"111122223333","region":"moon"}"#,
                "Region",
            ),
            (
                r#"{"schema":"lambda-warden.work/1","run_id":"r","account":"111122223333","region":"eu-west-1","after":"zzz"}"#,
                "not a work item",
            ),
        ] {
            let e = WorkItem::parse(body).unwrap_err().to_string();
            assert!(e.contains(expected), "{body}: {e}");
        }
    }

    #[test]
    fn run_ids_keep_only_key_safe_characters() {
        assert_eq!(run_id_from("3f1c-aa:01", "req"), "3f1c-aa:01");
        assert_eq!(run_id_from("a#b/c d", "req"), "abcd");
        assert_eq!(run_id_from("#/ ", "req-1"), "req-1");
        assert_eq!(run_id_from(&"x".repeat(300), "req").len(), MAX_RUN_ID_CHARS);
        assert!(is_run_id(&run_id_from("#/", "12ab")));
    }

    #[test]
    fn a_summary_counts_each_item_by_its_status() {
        let mut s = RunSummary::default();
        let c = |functions| ItemCounts {
            functions,
            ..ItemCounts::default()
        };
        s.absorb("222222222222/us-east-1", "done", c(3), None);
        s.absorb(
            "111111111111/us-east-1",
            "failed",
            c(1),
            Some("AssumeRole refused"),
        );
        s.absorb("111111111111/eu-west-1", "in_progress", c(2), None);
        s.absorb("222222222222/eu-west-1", "done", c(4), None);
        s.sort();
        assert_eq!((s.done, s.failed, s.counts.functions), (2, 1, 10));
        assert_eq!(s.pending, ["111111111111/eu-west-1"]);
        assert!(!s.finished());
        assert_eq!(s.accounts_covered, ["222222222222"]);
        assert_eq!(s.regions_covered, ["eu-west-1", "us-east-1"]);
        assert_eq!(s.failures, ["111111111111/us-east-1: AssumeRole refused"]);
    }

    #[test]
    fn a_run_plans_every_account_in_every_region_once() {
        let items = plan_work(
            "r",
            &[
                account("222222222222"),
                account("111111111111"),
                account("222222222222"),
            ],
            &["us-east-1".into(), "eu-west-1".into(), "us-east-1".into()],
        );
        let keys: Vec<String> = items.iter().map(WorkItem::key).collect();
        assert_eq!(
            keys,
            [
                "111111111111/us-east-1",
                "111111111111/eu-west-1",
                "222222222222/us-east-1",
                "222222222222/eu-west-1"
            ]
        );
    }
}
