//! Royalty periods: calendar months, written `YYYY-MM`, stored as their first day.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::validation::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Date))]
pub struct Period(NaiveDate);

impl Period {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "must be a month written YYYY-MM");
        let (year, month) = value.trim().split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        NaiveDate::from_ymd_opt(year, month, 1)
            .filter(|_| year >= 1900)
            .map(Self)
            .ok_or_else(invalid)
    }

    /// The period a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Self(date.with_day(1).expect("every month has a first day"))
    }

    pub fn first_day(self) -> NaiveDate {
        self.0
    }

    /// The first day of the next period (the end, exclusive).
    pub fn next(self) -> Self {
        Self(
            self.0
                .checked_add_months(chrono::Months::new(1))
                .expect("months stay in chrono's range"),
        )
    }

    /// The period `months` before this one.
    pub fn minus_months(self, months: u32) -> Self {
        Self(
            self.0
                .checked_sub_months(chrono::Months::new(months))
                .expect("months stay in chrono's range"),
        )
    }

    /// Whole months from `earlier` to this period (0 for the same month or before it).
    pub fn months_since(self, earlier: Period) -> u32 {
        let months = |p: Period| p.0.year() * 12 + p.0.month0() as i32;
        u32::try_from(months(self) - months(earlier)).unwrap_or(0)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().0.pred_opt().expect("a month has a last day")
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of(date) == self
    }

    /// `202610`: for names (partition tables) that cannot hold `-`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.0.year(), self.0.month())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

#[cfg(feature = "diesel")]
mod sql {
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types::Date;

    use super::*;

    impl ToSql<Date, Pg> for Period {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <NaiveDate as ToSql<Date, Pg>>::to_sql(&self.0, &mut out.reborrow())
        }
    }

    impl FromSql<Date, Pg> for Period {
        fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
            Ok(Period::of(<NaiveDate as FromSql<Date, Pg>>::from_sql(
                bytes,
            )?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_months() {
        let p = Period::parse("period", "2026-10").expect("valid");
        assert_eq!(p.to_string(), "2026-10");
        assert_eq!(p.compact(), "202610");
        assert_eq!(p.next().to_string(), "2026-11");
        assert_eq!(
            Period::parse("p", "2026-12").map(|p| p.next().to_string()),
            Ok("2027-01".to_owned())
        );
        assert_eq!(
            p.last_day(),
            NaiveDate::from_ymd_opt(2026, 10, 31).expect("date")
        );
        assert!(p.contains(NaiveDate::from_ymd_opt(2026, 10, 31).expect("date")));
        assert!(!p.contains(NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")));
        for bad in [
            "2026-13", "2026-1", "26-10", "2026/10", "", "2026-00", "abcd-ef",
        ] {
            assert!(Period::parse("period", bad).is_err(), "{bad}");
        }
    }
}
