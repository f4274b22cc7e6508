//! The dated table of Lambda runtimes behind LW009: runtime identifier → deprecation date.
//!
//! Source: AWS Lambda Developer Guide, "Lambda runtimes", tables "Supported runtimes" and
//! "Deprecated runtimes", column "Deprecation"
//! (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html>), as published in
//! May 2026. Dates of runtimes still supported are AWS's planned dates and may move: update
//! this table (one place) when the page changes. A runtime is deprecated from 00:00 UTC on its
//! date: on the date itself it counts as deprecated.

/// `(runtime identifier, (year, month, day) of deprecation)`, newest families first.
pub const DEPRECATION_DATES: &[(&str, (i32, u32, u32))] = &[
    // Supported, with planned deprecation dates.
    ("nodejs24.x", (2028, 4, 30)),
    ("nodejs22.x", (2027, 4, 30)),
    ("python3.14", (2029, 6, 30)),
    ("python3.13", (2029, 6, 30)),
    ("python3.12", (2028, 10, 31)),
    ("python3.11", (2026, 6, 30)),
    ("python3.10", (2026, 6, 30)),
    ("java25", (2029, 6, 30)),
    ("java21", (2029, 6, 30)),
    ("java17", (2026, 6, 30)),
    ("java11", (2026, 6, 30)),
    ("java8.al2", (2026, 6, 30)),
    ("dotnet10", (2028, 11, 14)),
    ("dotnet8", (2026, 11, 10)),
    ("ruby3.4", (2028, 3, 31)),
    ("ruby3.3", (2027, 3, 31)),
    ("provided.al2023", (2029, 6, 30)),
    ("provided.al2", (2026, 6, 30)),
    // Deprecated.
    ("nodejs20.x", (2026, 4, 30)),
    ("ruby3.2", (2026, 3, 31)),
    ("python3.9", (2025, 12, 15)),
    ("nodejs18.x", (2025, 9, 1)),
    ("dotnet6", (2024, 12, 20)),
    ("python3.8", (2024, 10, 14)),
    ("nodejs16.x", (2024, 6, 12)),
    ("dotnet7", (2024, 5, 14)),
    ("java8", (2024, 1, 8)),
    ("go1.x", (2024, 1, 8)),
    ("provided", (2024, 1, 8)),
    ("ruby2.7", (2023, 12, 7)),
    ("nodejs14.x", (2023, 12, 4)),
    ("python3.7", (2023, 12, 4)),
    ("dotnetcore3.1", (2023, 4, 3)),
    ("nodejs12.x", (2023, 3, 31)),
    ("python3.6", (2022, 7, 18)),
    ("dotnet5.0", (2022, 5, 10)),
    ("dotnetcore2.1", (2022, 1, 5)),
    ("nodejs10.x", (2021, 7, 30)),
    ("ruby2.5", (2021, 7, 30)),
    ("python2.7", (2021, 7, 15)),
    ("nodejs8.10", (2020, 3, 6)),
    ("nodejs4.3", (2020, 3, 5)),
    ("nodejs4.3-edge", (2019, 4, 30)),
    ("nodejs6.10", (2019, 8, 12)),
    ("dotnetcore1.0", (2019, 6, 27)),
    ("dotnetcore2.0", (2019, 5, 30)),
    ("nodejs", (2016, 10, 31)),
];

pub use crate::dates::{days_from_civil, DAY_SECONDS};

/// The deprecation instant of `runtime` (00:00 UTC of its date, in seconds since the Unix
/// epoch) and the date as `YYYY-MM-DD`; `None` for a runtime the table does not list.
pub fn deprecation(runtime: &str) -> Option<(i64, String)> {
    DEPRECATION_DATES
        .iter()
        .find(|(r, _)| *r == runtime)
        .map(|(_, (y, m, d))| {
            (
                days_from_civil(*y, *m, *d) * DAY_SECONDS,
                format!("{y:04}-{m:02}-{d:02}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 5, 28) * DAY_SECONDS, 1_779_926_400);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn the_table_is_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for (runtime, (y, m, d)) in DEPRECATION_DATES {
            assert!(seen.insert(*runtime), "{runtime} listed twice");
            assert!((2016..=2035).contains(y) && (1..=12).contains(m) && (1..=31).contains(d));
        }
        assert_eq!(
            deprecation("python3.9").map(|(_, d)| d).as_deref(),
            Some("2025-12-15")
        );
        assert_eq!(deprecation("cobol85"), None);
    }
}
