//! Cursors for lists sorted by `(time, id)` or by a number: a page resumes after the last item
//! shown, so paging never skips or repeats an item while rows are added. A cursor is a position
//! in the list's order, written plainly (`{micros}.{id}`, or the number), so that every string of
//! its documented form is a position the server can resume from, whether or not an item sits
//! there. Clients should still treat it as opaque.

use chrono::{DateTime, Utc};

use crate::validation::FieldError;

/// A cursor as clients see it.
pub trait PageCursor: Sized {
    /// The form every cursor of this kind has (the OpenAPI document's pattern, empty allowed).
    const PATTERN: &'static str;
    fn encode(&self) -> String;
    /// Reads a cursor of this kind; anything else is a validation error on `field`.
    fn decode(field: &str, raw: &str) -> Result<Self, FieldError>;
}

fn not_a_cursor(field: &str) -> FieldError {
    FieldError::new(
        field,
        "is not a cursor of this list (`meta.nextCursor` of its previous page)",
    )
}

/// Where the next page starts: the sort key of the last item of this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

/// Longest id a cursor carries (ids are at most this long).
const CURSOR_ID_MAX: usize = 64;

impl PageCursor for Cursor {
    const PATTERN: &'static str = r"^([0-9]{1,16}\.[A-Za-z0-9_-]{1,64})?$";

    fn encode(&self) -> String {
        format!("{}.{}", self.at.timestamp_micros().max(0), self.id)
    }

    fn decode(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || not_a_cursor(field);
        let (micros, id) = raw.split_once('.').ok_or_else(invalid)?;
        let digits = |s: &str, max: usize| {
            (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        let id_ok = (1..=CURSOR_ID_MAX).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !digits(micros, 16) || !id_ok {
            return Err(invalid());
        }
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
    const PATTERN: &'static str = "^([0-9]{1,18})?$";

    fn encode(&self) -> String {
        self.0.max(0).to_string()
    }

    fn decode(field: &str, raw: &str) -> Result<Self, FieldError> {
        if !(1..=18).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_cursor(field));
        }
        raw.parse().map(Self).map_err(|_| not_a_cursor(field))
    }
}

/// Reads `?cursor=`: absent or empty → the first page; otherwise a cursor this server issued.
pub fn cursor<C: PageCursor>(field: &str, raw: Option<&str>) -> Result<Option<C>, FieldError> {
    match raw.filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => C::decode(field, raw).map(Some),
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
        for bad in ["bm90LWEtY3Vyc29y", "-1", "1.5", "1234567890123456789"] {
            assert!(NumberCursor::decode("cursor", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        assert_eq!(super::cursor::<NumberCursor>("cursor", Some("")), Ok(None));
        assert_eq!(super::cursor::<NumberCursor>("cursor", None), Ok(None));
        let issued = NumberCursor(7).encode();
        assert_eq!(
            super::cursor::<NumberCursor>("cursor", Some(&issued)),
            Ok(Some(NumberCursor(7)))
        );
        assert!(super::cursor::<NumberCursor>("cursor", Some("nope")).is_err());
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = Cursor {
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("time"),
            id: "song-abc_D-ef".to_owned(),
        };
        assert_eq!(
            Cursor::decode("cursor", &cursor.encode()).ok(),
            Some(cursor)
        );
        for bad in [
            "",
            "!!!",
            "bm90LWEtY3Vyc29y",
            "x.song",
            "12.",
            ".song",
            "12.so:ng",
            "12345678901234567.song",
        ] {
            assert!(Cursor::decode("cursor", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_string_of_the_documented_form_is_a_position() {
        let pattern = |p: &str| p.trim_start_matches('^').trim_end_matches('$').to_owned();
        // The patterns' non-empty forms, checked by the decoders themselves.
        assert_eq!(
            pattern(Cursor::PATTERN),
            r"([0-9]{1,16}\.[A-Za-z0-9_-]{1,64})?"
        );
        for raw in [
            "0.a",
            "9999999999999999.A_-9",
            "1733443200000000.song-Qbax5Oy7L8WKf74l",
        ] {
            assert!(Cursor::decode("cursor", raw).is_ok(), "{raw}");
        }
        for raw in ["0", "999999999999999999"] {
            assert!(NumberCursor::decode("cursor", raw).is_ok(), "{raw}");
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
