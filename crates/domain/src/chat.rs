//! Chat rooms: who may be in them and what a message may hold.

use crate::text_enum::text_enum;
use crate::validation::FieldError;

text_enum! {
    /// Public rooms are open to every signed-in account; private ones to their members.
    pub enum RoomKind {
        Public = "public",
        Private = "private",
    }
}

text_enum! {
    /// A member's part in a room: moderators delete others' messages and add members.
    pub enum MemberRole {
        Member = "member",
        Moderator = "moderator",
    }
}

/// Longest `clientId` a client may choose.
pub const CLIENT_ID_MAX: usize = 64;
/// Longest reaction, in bytes: one emoji with its modifiers and joiners, or a short `:name:`.
pub const EMOJI_MAX_BYTES: usize = 32;

/// A message's text: not blank, at most `max_chars` characters, no NUL.
pub fn message_text(value: &str, max_chars: usize) -> Result<&str, FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new("text", "is not allowed to be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            "text",
            format!("must be at most {max_chars} characters"),
        ));
    }
    crate::validation::storable("text", value)?;
    Ok(value)
}

/// A client's id for its message: 1 to 64 printable ASCII characters.
pub fn client_id(value: &str) -> Result<&str, FieldError> {
    let valid = !value.is_empty()
        && value.len() <= CLIENT_ID_MAX
        && value.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(FieldError::new(
            "clientId",
            format!("must be 1 to {CLIENT_ID_MAX} printable ASCII characters"),
        ));
    }
    Ok(value)
}

/// A reaction: one emoji (with its modifiers) or a `:short_name:`; no spaces or control
/// characters.
pub fn emoji(value: &str) -> Result<&str, FieldError> {
    let valid = !value.is_empty()
        && value.len() <= EMOJI_MAX_BYTES
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(FieldError::new(
            "emoji",
            format!("must be one emoji or :name: of at most {EMOJI_MAX_BYTES} bytes"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_is_bounded_in_characters_not_bytes() {
        assert!(message_text("héllo", 5).is_ok());
        assert_eq!(
            message_text("héllo!", 5).expect_err("too long").field,
            "text".to_owned()
        );
        assert!(message_text("   ", 5).is_err());
        assert!(message_text("a\0b", 5).is_err());
    }

    #[test]
    fn reactions_are_one_short_token() {
        assert!(emoji("👍").is_ok());
        assert!(emoji("👍🏽").is_ok());
        assert!(emoji(":tada:").is_ok());
        assert!(emoji("").is_err());
        assert!(emoji("two words").is_err());
        assert!(emoji(&"x".repeat(33)).is_err());
    }

    #[test]
    fn client_ids_are_printable_ascii() {
        assert!(client_id("c-1").is_ok());
        assert!(client_id("").is_err());
        assert!(client_id("with space").is_err());
        assert!(client_id(&"a".repeat(65)).is_err());
    }
}
