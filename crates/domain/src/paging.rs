//! Opaque cursors for lists sorted by `(time, id)`: a page resumes after the last item shown, so
//! paging never skips or repeats an item while rows are added.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use crate::validation::FieldError;

/// A cursor as clients see it: an opaque string.
pub trait PageCursor: Sized {
    fn encode(&self) -> String;
    /// Reads a cursor this server issued; anything else is a validation error on `field`.
    fn decode(field: &str, raw: &str) -> Result<Self, FieldError>;
}

/// Where the next page starts: the sort key of the last item of this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl PageCursor for Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.at.timestamp_micros(), self.id))
    }

    fn decode(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "is not a cursor this server issued");
        let decoded = URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(invalid)?;
        let (micros, id) = decoded.split_once(':').ok_or_else(invalid)?;
        let at = micros
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(invalid)?;
        Ok(Self {
            at,
            id: id.to_owned(),
        })
    }
}

/// Where the next page starts in a list sorted by a number (a line of a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberCursor(pub i64);

impl PageCursor for NumberCursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("n:{}", self.0))
    }

    fn decode(field: &str, raw: &str) -> Result<Self, FieldError> {
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.strip_prefix("n:")?.parse().ok())
            .map(Self)
            .ok_or_else(|| FieldError::new(field, "is not a cursor this server issued"))
    }
}

/// Reads `?limit=`: absent → `default`; otherwise an integer in `1..=max`.
pub fn limit(field: &str, raw: Option<&str>, default: i64, max: i64) -> Result<i64, FieldError> {
    match raw.map(str::parse::<i64>) {
        None => Ok(default),
        Some(Ok(limit)) if (1..=max).contains(&limit) => Ok(limit),
        Some(_) => Err(FieldError::new(
            field,
            format!("must be an integer between 1 and {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_cursors_round_trip() {
        let cursor = NumberCursor(42);
        assert_eq!(NumberCursor::decode("cursor", &cursor.encode()), Ok(cursor));
        assert!(NumberCursor::decode("cursor", "bm90LWEtY3Vyc29y").is_err());
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = Cursor {
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("time"),
            id: "song-abc:def".to_owned(),
        };
        assert_eq!(
            Cursor::decode("cursor", &cursor.encode()).ok(),
            Some(cursor)
        );
        for bad in [
            "",
            "!!!",
            "bm90LWEtY3Vyc29y",
            &URL_SAFE_NO_PAD.encode("x:song"),
        ] {
            assert!(Cursor::decode("cursor", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit("limit", None, 20, 100).ok(), Some(20));
        assert_eq!(limit("limit", Some("100"), 20, 100).ok(), Some(100));
        for bad in ["0", "101", "", "ten", "-1"] {
            assert!(limit("limit", Some(bad), 20, 100).is_err(), "{bad}");
        }
    }
}

/// One page of a list and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T, C = Cursor> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// From up to `limit + 1` rows in list order: the extra row only says that another page
    /// follows, which starts after the last row kept.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> C) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Self { items: rows, next }
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;

    #[test]
    fn an_extra_row_means_another_page() {
        let cursor = |n: &i64| Cursor {
            at: DateTime::from_timestamp(*n, 0).expect("time"),
            id: n.to_string(),
        };
        let page = Page::from_rows(vec![1, 2, 3], 2, cursor);
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next.map(|c| c.id).as_deref(), Some("2"));
        let last = Page::from_rows(vec![1, 2], 2, cursor);
        assert!(last.next.is_none());
    }
}
