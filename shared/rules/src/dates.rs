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

/// The proleptic Gregorian date `(y, m, d)` of `days` since 1970-01-01, the inverse of
/// [`days_from_civil`]: Howard Hinnant's `civil_from_days` algorithm, valid for any day count
/// a 64-bit clock gives (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is 1..=31 and m 1..=12 by construction.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// `seconds` since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SS` (UTC, no zone suffix).
pub fn civil_time(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(DAY_SECONDS));
    let secs = seconds.rem_euclid(DAY_SECONDS);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-719_468, -1, 0, 11_016, 20_601, 47_482, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(i32::try_from(y).unwrap(), m, d), days);
        }
        assert_eq!(civil_time(1_779_926_400 + 47_655), "2026-05-28T13:14:15");
        assert_eq!(civil_time(951_782_400), "2000-02-29T00:00:00");
    }
}
