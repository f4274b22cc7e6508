//! For any interleaving of two evaluations of one function, the state the table keeps is the
//! state of the later read: `state::accepts` is the condition the adapter writes with, and an
//! evaluation whose write is refused reads again and writes what it then sees.

use proptest::prelude::*;
use warden_rules::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use warden_rules::rules::RuleId;
use warden_rules::state::{accepts, ResourceState};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

/// What the function looks like at time `t`: it changes every 10 ticks (a statement added,
/// removed, added again, ...).
fn truth(t: i64) -> Vec<Finding> {
    (0..(t / 10) % 3)
        .map(|i| Finding {
            rule_id: RuleId::LW001,
            severity: Severity::Critical,
            resource_arn: ARN.to_owned(),
            sid: Some(format!("s{i}")),
            message: String::new(),
            evidence: serde_json::Value::Null,
            remediation: Remediation {
                safety: FixSafety::Manual,
                fix: Fix::None,
                text: String::new(),
            },
        })
        .collect()
}

fn read(t: i64) -> ResourceState {
    let findings = truth(t);
    let open: Vec<&Finding> = findings.iter().collect();
    ResourceState::of(ARN, t, &open, "e")
}

/// Runs evaluations that read at `reads[i]` and write at `writes[i]` (every time distinct),
/// in time order; a refused write reads again at its write time and writes at once. Returns
/// the stored state and the latest read time of any evaluation.
fn run(evaluations: &[(i64, i64)]) -> (Option<ResourceState>, i64) {
    let mut stored: Option<ResourceState> = None;
    let mut latest_read = i64::MIN;
    let mut order: Vec<&(i64, i64)> = evaluations.iter().collect();
    order.sort_by_key(|(_, w)| *w);
    for (r, w) in order {
        latest_read = latest_read.max(*r);
        let mine = read(*r);
        if accepts(stored.as_ref(), mine.read_at_ms) {
            stored = Some(mine);
        } else {
            latest_read = latest_read.max(*w);
            let again = read(*w);
            assert!(accepts(stored.as_ref(), again.read_at_ms));
            stored = Some(again);
        }
    }
    (stored, latest_read)
}

proptest! {
    #[test]
    fn the_later_read_wins(
        a_read in 0i64..1000, a_len in 1i64..500,
        b_read in 0i64..1000, b_len in 1i64..500,
    ) {
        let a = (a_read * 2, a_read * 2 + a_len * 2);
        let b = (b_read * 2 + 1, b_read * 2 + 1 + b_len * 2);
        prop_assume!(a.1 != b.1);
        let (stored, latest) = run(&[a, b]);
        let stored = stored.expect("something is stored");
        prop_assert_eq!(stored.read_at_ms, latest);
        prop_assert_eq!(stored, read(latest));
    }
}

#[test]
fn a_slow_evaluation_of_an_older_read_loses() {
    // A reads at 1 (nothing open) and writes at 50; B reads at 20 (one public statement) and
    // writes at 30: A's write is refused, A reads again at 50 and stores what it sees.
    let (stored, latest) = run(&[(1, 50), (20, 30)]);
    assert_eq!(latest, 50);
    assert_eq!(stored, Some(read(50)));
    assert!(!accepts(Some(&read(20)), 1));
}
