//! Maintenance and backup windows as RDS and ElastiCache accept them: `ddd:hh24:mi-ddd:hh24:mi` (lowercase
//! days, as RDS reports them, so the state never differs from the configuration by case) of
//! 30 minutes to 24 hours, `hh24:mi-hh24:mi` of at least 30 minutes, and no overlap between
//! the daily backup window and the weekly maintenance window; ElastiCache's maintenance window
//! lasts at least 60 minutes.

use mosia_tfplugin::{Diagnostics, Known, Reader};

use super::string;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY: i64 = 24 * 60;
const WEEK: i64 = 7 * DAY;
const MIN_MINUTES: i64 = 30;
/// ElastiCache: "The minimum maintenance window is a 60 minute period."
const CACHE_MIN_MINUTES: i64 = 60;

/// `hh24:mi` as minutes of the day.
fn time_of_day(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `ddd:hh24:mi` as minutes of the week (Monday 00:00 is 0).
fn time_of_week(s: &str) -> Option<i64> {
    let (day, time) = s.split_at_checked(3)?;
    let day = DAYS.iter().position(|d| *d == day)? as i64;
    Some(day * DAY + time_of_day(time.strip_prefix(':')?)?)
}

/// A range `A-B` as (start, end) with end after start (wrapping over `period`).
fn range(s: &str, parse: fn(&str) -> Option<i64>, period: i64) -> Option<(i64, i64)> {
    let (a, b) = s.split_once('-')?;
    let (start, mut end) = (parse(a)?, parse(b)?);
    if end <= start {
        end += period;
    }
    Some((start, end))
}

/// The weekly maintenance window as minutes of the week, or what is wrong with it (RDS's
/// minimum length).
fn maintenance_range(s: &str) -> Result<(i64, i64), String> {
    maintenance_range_of(s, MIN_MINUTES)
}

/// [`maintenance_range`] with another minimum length (ElastiCache: 60 minutes).
fn maintenance_range_of(s: &str, min_minutes: i64) -> Result<(i64, i64), String> {
    let (start, end) = range(s, time_of_week, WEEK).ok_or_else(|| {
        format!("{s:?} is not `ddd:hh24:mi-ddd:hh24:mi` with lowercase days (mon to sun) in UTC, such as \"sun:03:00-sun:04:00\"")
    })?;
    let minutes = end - start;
    if !(min_minutes..=DAY).contains(&minutes) {
        return Err(format!(
            "{s:?} lasts {minutes} minutes: a maintenance window lasts {min_minutes} minutes to 24 hours"
        ));
    }
    Ok((start, end))
}

/// The daily backup window as minutes of the day, or what is wrong with it.
fn backup_range(s: &str) -> Result<(i64, i64), String> {
    let (start, end) = range(s, time_of_day, DAY)
        .ok_or_else(|| format!("{s:?} is not `hh24:mi-hh24:mi` in UTC, such as \"01:00-02:00\""))?;
    if end - start < MIN_MINUTES {
        return Err(format!(
            "{s:?} lasts {} minutes: a backup window lasts at least 30 minutes",
            end - start
        ));
    }
    Ok((start, end))
}

/// Whether the daily backup window meets the weekly maintenance window on any day.
fn overlap(backup: (i64, i64), maintenance: (i64, i64)) -> bool {
    (-1..=8).any(|day| {
        let (bs, be) = (day * DAY + backup.0, day * DAY + backup.1);
        [0, WEEK]
            .iter()
            .any(|shift| bs < maintenance.1 + shift && maintenance.0 + shift < be)
    })
}

/// The RDS block's windows: form, length, and no overlap (each error at its attribute).
pub(super) fn check_rds_windows(rds: &Reader, d: &mut Diagnostics) {
    let mut ranges = (None, None);
    if let Known::Value(w) = string(rds, "maintenance_window") {
        match maintenance_range(w) {
            Ok(r) => ranges.0 = Some(r),
            Err(e) => d.error_at(
                rds.path_of("maintenance_window"),
                "Invalid maintenance window",
                e,
            ),
        }
    }
    if let Known::Value(w) = string(rds, "backup_window") {
        match backup_range(w) {
            Ok(r) => ranges.1 = Some(r),
            Err(e) => d.error_at(rds.path_of("backup_window"), "Invalid backup window", e),
        }
    }
    if let (Some(m), Some(b)) = ranges {
        if overlap(b, m) {
            d.error_at(
                rds.path_of("backup_window"),
                "Overlapping windows",
                "RDS refuses a backup window that overlaps the maintenance window (\"The backup \
                 window and maintenance window must not overlap.\"): move one of them",
            );
        }
    }
}

/// The cache's maintenance window: form and length (ElastiCache: 60 minutes to 24 hours).
pub(super) fn check_cache_window(cache: &Reader, d: &mut Diagnostics) {
    if let Known::Value(w) = string(cache, "maintenance_window") {
        if let Err(e) = maintenance_range_of(w, CACHE_MIN_MINUTES) {
            d.error_at(
                cache.path_of("maintenance_window"),
                "Invalid maintenance window",
                e,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_have_rds_s_form_and_length() {
        assert_eq!(maintenance_range("mon:00:00-mon:00:30"), Ok((0, 30)));
        // Over the week's end: Sunday night into Monday.
        assert_eq!(
            maintenance_range("sun:23:45-mon:00:15"),
            Ok((6 * DAY + 23 * 60 + 45, WEEK + 15))
        );
        for bad in [
            "Sun:03:00-Sun:04:00",
            "sun:3:00-sun:04:00",
            "sun:03:00",
            "xyz:03:00-sun:04:00",
            "sun:24:00-mon:01:00",
        ] {
            assert!(
                maintenance_range(bad).unwrap_err().contains("is not"),
                "{bad}"
            );
        }
        assert!(maintenance_range("sun:03:00-sun:03:20")
            .unwrap_err()
            .contains("lasts 20 minutes"));
        assert!(maintenance_range("sun:03:00-mon:04:00")
            .unwrap_err()
            .contains("24 hours"));
        assert_eq!(
            backup_range("23:30-00:30"),
            Ok((23 * 60 + 30, 24 * 60 + 30))
        );
        assert!(backup_range("01:00-01:29")
            .unwrap_err()
            .contains("at least 30 minutes"));
        assert!(backup_range("1:00-02:00").unwrap_err().contains("is not"));
        // ElastiCache wants an hour.
        assert!(
            maintenance_range_of("sun:04:00-sun:04:30", CACHE_MIN_MINUTES)
                .unwrap_err()
                .contains("lasts 60 minutes to 24 hours")
        );
        assert!(maintenance_range_of("sun:04:00-sun:05:00", CACHE_MIN_MINUTES).is_ok());
    }

    #[test]
    fn a_daily_backup_window_must_miss_the_weekly_maintenance_window() {
        let m = |s| maintenance_range(s).unwrap();
        let b = |s| backup_range(s).unwrap();
        assert!(!overlap(b("01:00-02:00"), m("sun:03:00-sun:04:00")));
        assert!(overlap(b("03:30-04:30"), m("sun:03:00-sun:04:00")));
        assert!(
            overlap(b("23:30-00:30"), m("mon:00:00-mon:01:00")),
            "backup crosses midnight into Monday"
        );
        assert!(
            overlap(b("00:00-00:30"), m("sun:23:45-mon:00:15")),
            "maintenance crosses the week's end"
        );
        assert!(
            !overlap(b("02:00-03:00"), m("sun:03:00-sun:04:00")),
            "touching is not overlapping"
        );
    }
}
