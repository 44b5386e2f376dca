//! Dates and times as clients write them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::validation::FieldError;

/// `YYYY-MM-DD`.
pub fn date(field: &str, value: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "must be a date (YYYY-MM-DD)"))
}

/// RFC 3339 with a time zone (`2026-12-04T00:00:00Z`).
pub fn date_time(field: &str, value: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| FieldError::new(field, "must be a date-time with a time zone (RFC 3339)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_and_times() {
        assert_eq!(
            date("d", "2026-12-04").ok(),
            NaiveDate::from_ymd_opt(2026, 12, 4)
        );
        assert!(date("d", "2026-13-01").is_err() && date("d", "04/12/2026").is_err());
        assert!(
            date_time("t", "2026-12-04T10:00:00+02:00")
                .is_ok_and(|t| t.to_rfc3339() == "2026-12-04T08:00:00+00:00")
        );
        assert!(date_time("t", "2026-12-04T10:00:00").is_err());
    }
}
