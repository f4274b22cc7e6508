//! Calendar arithmetic in UTC, for the dates the rules and the state compare (runtime
//! deprecations, exemption ends, CloudTrail event times).

/// Seconds in a day.
pub const DAY_SECONDS: i64 = 86_400;

/// Days from 1970-01-01 to the proleptic Gregorian date `(y, m, d)` (negative before).
/// Howard Hinnant's `days_from_civil` algorithm
/// (<https://howardhinnant.github.io/date_algorithms.html#days_from_civil>).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
