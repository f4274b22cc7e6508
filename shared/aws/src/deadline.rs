//! The time an invocation has left, and whether a write may still start.
//!
//! Lambda stops an invocation at its timeout, whatever it is doing
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html>). A write cut off
//! half way leaves a plan half done; a write that is never started leaves the function as it
//! was, and the next delivery (or the sweep) carries on from the record of why it stopped. So
//! no write starts once less than the write margin (`WARDEN_WRITE_MARGIN_MS`, default 20 s)
//! remains: longer than one AWS call may take with its retries (`WARDEN_CALL_OPERATION_TIMEOUT_MS`,
//! default 15 s), so a write that starts has time to finish or time out, and the handler time
//! to record the outcome.
//!
//! The deadline comes from the Lambda Runtime API: `Lambda-Runtime-Deadline-Ms`, "the date that
//! the function times out in Unix time milliseconds"
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-next>), which
//! the `lambda_runtime` crate hands over as `Context::deadline` (a `u64` of epoch
//! milliseconds). Every check has a form that takes the current time (`*_at`, epoch
//! milliseconds), so the decisions are tested without a clock or a sleep.
//!
//! A handler runs under [`scope`]; code that decides about writes reads [`Deadline::current`]
//! (outside any scope, e.g. the CLI and most tests, that is [`Deadline::none`], never short).

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// When the invocation ends and how much time a write needs before that.
///
/// `Copy`: pass it by value. [`Deadline::none`] has no end and always allows a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The end of the invocation, in milliseconds since the Unix epoch; `None`: no end.
    deadline_epoch_ms: Option<u64>,
    /// The least time, in milliseconds, that must remain for a write to start.
    margin_ms: u64,
}

/// Why a write did not start: too little time was left. Its text is the reason recorded in
/// the audit record: `stopped before writing: 4200 ms left, margin 20000 ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("stopped before writing: {remaining_ms} ms left, margin {margin_ms} ms")]
pub struct TooLate {
    /// Milliseconds left before the invocation's deadline when the write was due (0 once it
    /// has passed).
    pub remaining_ms: u64,
    /// The write margin in milliseconds (`WARDEN_WRITE_MARGIN_MS`).
    pub margin_ms: u64,
}

impl Deadline {
    /// The deadline of an invocation that ends at `deadline_epoch_ms` (milliseconds since the
    /// Unix epoch, as Lambda's `Context::deadline`), allowing writes while at least
    /// `margin_ms` milliseconds remain.
    pub fn new(deadline_epoch_ms: u64, margin_ms: u64) -> Self {
        Deadline {
            deadline_epoch_ms: Some(deadline_epoch_ms),
            margin_ms,
        }
    }

    /// The deadline of an invocation handed over with `deadline_epoch_ms` (Lambda's
    /// `Context::deadline`) and begun at `now_epoch_ms`: [`Deadline::new`], or
    /// [`Deadline::none`] (with a warning) when that time had already passed as the invocation
    /// began. Lambda hands an invocation over before its timeout, so such a value is not a
    /// deadline: local Runtime API emulators send a fixed one (`cargo lambda watch` sends
    /// `600000`, ten minutes after the epoch), and taking it at its word would refuse every
    /// write. The call timeouts still bound every AWS call.
    pub fn for_invocation(deadline_epoch_ms: u64, margin_ms: u64, now_epoch_ms: u64) -> Self {
        if deadline_epoch_ms <= now_epoch_ms {
            tracing::warn!(
                deadline_epoch_ms,
                now_epoch_ms,
                "the invocation's deadline had passed before it began: not a Lambda deadline, writes are not limited by it"
            );
            return Deadline::none();
        }
        Deadline::new(deadline_epoch_ms, margin_ms)
    }

    /// No deadline: the CLI and tests. Never short, [`Deadline::remaining`] is `None`.
    pub fn none() -> Self {
        Deadline {
            deadline_epoch_ms: None,
            margin_ms: 0,
        }
    }

    /// The deadline of the handler being run: the one given to the enclosing [`scope`], or
    /// [`Deadline::none`] outside any (and in tasks started with `tokio::spawn`, which do not
    /// inherit it: pass it to them).
    pub fn current() -> Self {
        CURRENT
            .try_with(|d| *d)
            .unwrap_or_else(|_| Deadline::none())
    }

    /// The end of the invocation in milliseconds since the Unix epoch; `None` for
    /// [`Deadline::none`].
    pub fn deadline_epoch_ms(&self) -> Option<u64> {
        self.deadline_epoch_ms
    }

    /// The write margin in milliseconds.
    pub fn margin_ms(&self) -> u64 {
        self.margin_ms
    }

    /// The time left now (the system clock); `None` without a deadline, zero once it passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.remaining_at(now_epoch_ms())
    }

    /// The time left at `now_epoch_ms` (milliseconds since the Unix epoch); `None` without a
    /// deadline, zero once it passed.
    pub fn remaining_at(&self, now_epoch_ms: u64) -> Option<Duration> {
        self.deadline_epoch_ms
            .map(|end| Duration::from_millis(end.saturating_sub(now_epoch_ms)))
    }

    /// Whether a write may start now (the system clock): at least the margin remains.
    pub fn allows_write(&self) -> bool {
        self.check_write().is_ok()
    }

    /// Whether a write may start at `now_epoch_ms`: at least the margin remains (exactly the
    /// margin is enough). Always true without a deadline.
    pub fn allows_write_at(&self, now_epoch_ms: u64) -> bool {
        self.check_write_at(now_epoch_ms).is_ok()
    }

    /// [`Deadline::allows_write`] with the reason when it does not.
    ///
    /// # Errors
    /// [`TooLate`] when less than the margin remains.
    pub fn check_write(&self) -> Result<(), TooLate> {
        self.check_write_at(now_epoch_ms())
    }

    /// [`Deadline::allows_write_at`] with the reason when it does not.
    ///
    /// # Errors
    /// [`TooLate`] when less than the margin remains at `now_epoch_ms`.
    pub fn check_write_at(&self, now_epoch_ms: u64) -> Result<(), TooLate> {
        match self.remaining_at(now_epoch_ms) {
            Some(left) if left < Duration::from_millis(self.margin_ms) => Err(TooLate {
                remaining_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
                margin_ms: self.margin_ms,
            }),
            _ => Ok(()),
        }
    }

    /// The last moment a write may start, on this process's monotonic clock (for
    /// [`Aws::execute_before`](crate::Aws::execute_before)): now plus the time left less the
    /// margin, or now when less than the margin is left; `None` without a deadline.
    pub fn write_cutoff(&self) -> Option<Instant> {
        self.write_cutoff_at(now_epoch_ms(), Instant::now())
    }

    /// [`Deadline::write_cutoff`] when the system clock reads `now_epoch_ms` and the
    /// monotonic clock `now`.
    pub fn write_cutoff_at(&self, now_epoch_ms: u64, now: Instant) -> Option<Instant> {
        let left = self.remaining_at(now_epoch_ms)?;
        Some(now + left.saturating_sub(Duration::from_millis(self.margin_ms)))
    }

    /// The time situation now as text for a record: `stopped before writing: N ms left,
    /// margin M ms` when a write may not start, `N ms left, margin M ms` when it may, `no
    /// deadline` without one.
    pub fn reason(&self) -> String {
        self.reason_at(now_epoch_ms())
    }

    /// [`Deadline::reason`] at `now_epoch_ms`.
    pub fn reason_at(&self, now_epoch_ms: u64) -> String {
        match (
            self.check_write_at(now_epoch_ms),
            self.remaining_at(now_epoch_ms),
        ) {
            (Err(too_late), _) => too_late.to_string(),
            (Ok(()), Some(left)) => {
                format!("{} ms left, margin {} ms", left.as_millis(), self.margin_ms)
            }
            (Ok(()), None) => "no deadline".to_owned(),
        }
    }
}

tokio::task_local! {
    /// The deadline of the handler running in this task ([`scope`]).
    static CURRENT: Deadline;
}

/// Runs `handler` with `deadline` as its [`Deadline::current`]: each function's `main` wraps
/// the handling of one invocation in it.
pub async fn scope<F: Future>(deadline: Deadline, handler: F) -> F::Output {
    CURRENT.scope(deadline, handler).await
}

/// The system clock in milliseconds since the Unix epoch (0 before it).
pub fn now_epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The evaluation clock: the caller's `now` (seconds since the Unix epoch) moved on by the
/// time elapsed since the evaluation began, so a long sweep or a slow plan judges writer
/// deadlines by the current time, and a caller that passes a fixed `now` (a test, a replay)
/// keeps its own time frame.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    now: i64,
    started: std::time::Instant,
}

impl Clock {
    /// A clock reading `now` seconds since the Unix epoch at this instant.
    pub fn at(now: i64) -> Clock {
        Clock {
            now,
            started: std::time::Instant::now(),
        }
    }

    /// The current time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.now.saturating_mul(1000).saturating_add(elapsed)
    }

    /// The `now` it was started at, seconds since the Unix epoch.
    pub fn started_secs(&self) -> i64 {
        self.now
    }

    /// The current time in seconds since the Unix epoch.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: u64 = 1_779_926_460_000;

    #[test]
    fn a_write_starts_while_the_margin_remains() {
        let d = Deadline::new(END, 20_000);
        assert!(d.allows_write_at(END - 60_000));
        assert!(
            d.allows_write_at(END - 20_000),
            "exactly the margin is enough"
        );
        assert!(!d.allows_write_at(END - 19_999));
        assert!(!d.allows_write_at(END));
        assert!(!d.allows_write_at(END + 5_000), "past the deadline");
        assert_eq!(
            d.remaining_at(END - 1_500),
            Some(Duration::from_millis(1_500))
        );
        assert_eq!(d.remaining_at(END + 1), Some(Duration::ZERO));
    }

    #[test]
    fn the_reason_names_the_time_left_and_the_margin() {
        let d = Deadline::new(END, 20_000);
        let late = d.check_write_at(END - 4_200).expect_err("too late");
        assert_eq!(
            late,
            TooLate {
                remaining_ms: 4_200,
                margin_ms: 20_000
            }
        );
        assert_eq!(
            d.reason_at(END - 4_200),
            "stopped before writing: 4200 ms left, margin 20000 ms"
        );
        assert_eq!(d.reason_at(END - 30_000), "30000 ms left, margin 20000 ms");
        assert_eq!(
            serde_json::to_value(late).expect("json"),
            serde_json::json!({"remaining_ms": 4200, "margin_ms": 20000})
        );
    }

    #[test]
    fn the_cutoff_is_the_margin_before_the_deadline() {
        let d = Deadline::new(END, 20_000);
        let now = Instant::now();
        assert_eq!(
            d.write_cutoff_at(END - 50_000, now),
            Some(now + Duration::from_millis(30_000))
        );
        assert_eq!(
            d.write_cutoff_at(END - 5_000, now),
            Some(now),
            "already too late"
        );
        assert_eq!(Deadline::none().write_cutoff_at(END, now), None);
    }

    #[test]
    fn a_deadline_past_before_the_invocation_began_is_no_deadline() {
        // `cargo lambda watch` sends Lambda-Runtime-Deadline-Ms: 600000.
        assert_eq!(
            Deadline::for_invocation(600_000, 20_000, END - 60_000),
            Deadline::none()
        );
        assert_eq!(Deadline::for_invocation(END, 20_000, END), Deadline::none());
        let d = Deadline::for_invocation(END, 20_000, END - 60_000);
        assert_eq!(d, Deadline::new(END, 20_000));
        assert!(
            !d.allows_write_at(END - 10_000),
            "a real deadline still stops writes"
        );
    }

    #[test]
    fn no_deadline_is_never_short() {
        let d = Deadline::none();
        assert!(d.allows_write_at(0) && d.allows_write_at(u64::MAX));
        assert!(d.allows_write());
        assert_eq!(d.remaining_at(END), None);
        assert_eq!(d.remaining(), None);
        assert_eq!(d.reason_at(END), "no deadline");
        assert!(
            Deadline::new(END, 0).allows_write_at(END),
            "a zero margin never stops"
        );
    }

    #[tokio::test]
    async fn the_scope_sets_the_current_deadline() {
        assert_eq!(Deadline::current(), Deadline::none());
        let d = Deadline::new(END, 20_000);
        let inside = scope(d, async { Deadline::current() }).await;
        assert_eq!(inside, d);
        assert_eq!(
            Deadline::current(),
            Deadline::none(),
            "only inside the scope"
        );
    }
}
