//! Videos hosted on Wistia, as the local catalog keeps them: who sees them and how they are tagged.

use crate::text_enum::text_enum;
use crate::validation::{FieldError, text};

text_enum! {
    /// Whether the public sees a video. Archived and removed videos are hidden whatever an admin
    /// chose.
    pub enum Visibility {
        Visible = "visible",
        Hidden = "hidden",
    }
}

text_enum! {
    /// A media's state on Wistia; only `ready` ones play.
    pub enum MediaStatus {
        Queued = "queued",
        Processing = "processing",
        Ready = "ready",
        Failed = "failed",
    }
}

text_enum! {
    /// Who tagged: Wistia (replaced by every sync) or backbeat's admins (never touched by a sync).
    pub enum TagSource {
        Local = "local",
        Wistia = "wistia",
    }
}

/// Longest tag name.
pub const TAG_NAME_MAX: usize = 50;
/// Most tags `PUT /videos/{id}/tags` sets at once.
pub const TAGS_PER_VIDEO_MAX: usize = 50;

/// A tag's name: trimmed, not blank, at most [`TAG_NAME_MAX`] characters, no control characters.
pub fn tag_name(field: &str, value: String) -> Result<String, FieldError> {
    // Counted as sent, as the documented `maxLength` is, then trimmed.
    let value = text(field, value, TAG_NAME_MAX)?.trim().to_owned();
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value)
}

/// The form tag names are compared in: two names that fold alike are the same tag.
pub fn fold_tag(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_fold_case_insensitively() {
        assert_eq!(fold_tag(" Live "), fold_tag("LIVE"));
        assert_eq!(fold_tag("Ärger"), fold_tag("ärger"));
        assert_ne!(fold_tag("live"), fold_tag("lives"));
    }

    #[test]
    fn tag_names_are_trimmed_and_bounded() {
        assert_eq!(tag_name("name", "  Live  ".into()).as_deref(), Ok("Live"));
        assert!(tag_name("name", "   ".into()).is_err());
        assert!(tag_name("name", "a".repeat(TAG_NAME_MAX + 1)).is_err());
        assert!(tag_name("name", "a".repeat(TAG_NAME_MAX)).is_ok());
        assert!(tag_name("name", format!(" {}", "a".repeat(TAG_NAME_MAX))).is_err());
        assert!(tag_name("name", "two\nlines".into()).is_err());
    }
}
