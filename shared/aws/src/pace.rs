//! How many functions a sweep evaluates at once: at most the configured concurrency, halved
//! whenever AWS answered a request with throttling since the last function finished, and
//! raised again by one after as many unthrottled functions as are in flight (additive
//! increase, multiplicative decrease, as TCP congestion control and the SDK's adaptive retry
//! mode do: <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>).
//! The SDK's adaptive mode paces each client's request rate; this paces how much work is
//! started, so a throttled account sees fewer requests in flight, not only slower retries.

/// The adaptive concurrency of one sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdaptiveLimit {
    max: usize,
    current: usize,
    lowest: usize,
    seen_throttles: usize,
    calm: usize,
}

impl AdaptiveLimit {
    /// Starts at `max` (at least 1), with `throttled` the throttled answers counted so far.
    pub fn new(max: usize, throttled: usize) -> Self {
        let max = max.max(1);
        AdaptiveLimit {
            max,
            current: max,
            lowest: max,
            seen_throttles: throttled,
            calm: 0,
        }
    }

    /// How many functions may be in flight now.
    pub fn current(&self) -> usize {
        self.current
    }

    /// The lowest limit used so far.
    pub fn lowest(&self) -> usize {
        self.lowest
    }

    /// One function finished; `throttled` is the total of throttled answers counted so far
    /// ([`crate::CallLog::throttled`]).
    pub fn finished(&mut self, throttled: usize) {
        if throttled > self.seen_throttles {
            self.seen_throttles = throttled;
            self.current = (self.current / 2).max(1);
            self.lowest = self.lowest.min(self.current);
            self.calm = 0;
        } else {
            self.calm += 1;
            if self.calm >= self.current && self.current < self.max {
                self.current += 1;
                self.calm = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_the_limit_and_calm_raises_it_by_one() {
        let mut limit = AdaptiveLimit::new(16, 0);
        limit.finished(3);
        assert_eq!(limit.current(), 8);
        limit.finished(5);
        limit.finished(9);
        limit.finished(12);
        limit.finished(20);
        assert_eq!((limit.current(), limit.lowest()), (1, 1));
        limit.finished(20);
        assert_eq!(limit.current(), 2);
        limit.finished(20);
        limit.finished(20);
        assert_eq!(limit.current(), 3);
        for _ in 0..200 {
            limit.finished(20);
        }
        assert_eq!((limit.current(), limit.lowest()), (16, 1));
    }

    #[test]
    fn a_limit_of_zero_is_one() {
        let mut limit = AdaptiveLimit::new(0, 7);
        limit.finished(7);
        assert_eq!(limit.current(), 1);
    }
}
