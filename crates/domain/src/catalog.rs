//! Catalog values: the limits albums, songs and playlists are held to.

use crate::validation::{FieldError, at_most, text};

pub const NAME_MAX: usize = 200;
pub const TITLE_MAX: usize = 200;
pub const PERFORMER_MAX: usize = 200;
pub const GENRE_MAX: usize = 100;
pub const SEARCH_TERM_MAX: usize = 200;
/// Ids are `prefix-` plus 16 characters; anything much longer cannot be one.
pub const ID_MAX: usize = 64;
pub const YEAR_MIN: i64 = 1000;
pub const YEAR_MAX: i64 = 9999;
/// A day: longer than any track, short enough to catch milliseconds sent as seconds.
pub const DURATION_MAX: i64 = 86_400;

pub fn name(field: &str, value: String) -> Result<String, FieldError> {
    text(field, value, NAME_MAX)
}

pub fn title(field: &str, value: String) -> Result<String, FieldError> {
    text(field, value, TITLE_MAX)
}

pub fn performer(field: &str, value: String) -> Result<String, FieldError> {
    text(field, value, PERFORMER_MAX)
}

pub fn genre(field: &str, value: String) -> Result<String, FieldError> {
    text(field, value, GENRE_MAX)
}

pub fn year(field: &str, value: i64) -> Result<i32, FieldError> {
    if !(YEAR_MIN..=YEAR_MAX).contains(&value) {
        return Err(FieldError::new(
            field,
            format!("must be between {YEAR_MIN} and {YEAR_MAX}"),
        ));
    }
    Ok(value as i32)
}

pub fn duration(field: &str, value: i64) -> Result<i32, FieldError> {
    if !(0..=DURATION_MAX).contains(&value) {
        return Err(FieldError::new(
            field,
            format!("must be between 0 and {DURATION_MAX} seconds"),
        ));
    }
    Ok(value as i32)
}

/// An id sent in a body (`songId`, `albumId`, ...): not blank and not absurdly long. Whether it
/// names something the caller may see is the handler's check.
pub fn reference(field: &str, value: String) -> Result<String, FieldError> {
    text(field, value, ID_MAX)
}

/// A search term may be empty (it then matches everything).
pub fn search_term(field: &str, value: String) -> Result<String, FieldError> {
    at_most(field, value, SEARCH_TERM_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_durations_are_bounded() {
        assert_eq!(year("year", 2008).ok(), Some(2008));
        assert!(year("year", 999).is_err() && year("year", 10_000).is_err());
        assert_eq!(duration("duration", 0).ok(), Some(0));
        assert!(duration("duration", -1).is_err() && duration("duration", 86_401).is_err());
        assert!(reference("songId", "x".repeat(65)).is_err());
        assert!(search_term("title", "x".repeat(201)).is_err());
    }
}
