//! Artist verification: the code an artist places on an external profile, and where a request
//! stands.

use rand::RngExt;

use crate::text_enum::text_enum;

/// No `0`/`O`, `1`/`I`/`L`, `5`/`S`, `2`/`Z`, `8`/`B`, `U`/`V`: read aloud, typed from a screen or
/// seen in any font, a code cannot be mistaken for another.
pub const CODE_ALPHABET: &[u8] = b"34679ACDEFGHJKMNPQRTWXY";
pub const CODE_LEN: usize = 8;

/// A fresh code (8 characters, about 36 bits: guessing one within its 7 days is hopeless).
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// Whether `page` shows `code`. Letter case is ignored: some profiles upper- or lower-case what
/// they display.
pub fn page_shows(page: &str, code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    page.to_ascii_lowercase().contains(&code)
}

text_enum! {
    /// Where a verification request stands.
    pub enum VerificationStatus {
        /// Code issued; the artist places it and asks for a check.
        Pending = "pending",
        /// A crawl is queued or running.
        Checking = "checking",
        /// The code was found; an admin decides.
        PendingReview = "pending_review",
        /// The code was not found (or the page could not be read): see `reason`; the artist may
        /// fix the page and check again while the code is valid.
        Failed = "failed",
        Approved = "approved",
        Rejected = "rejected",
        /// The code's 7 days passed before it was found.
        Expired = "expired",
    }
}

impl VerificationStatus {
    /// A check may be asked for.
    pub fn checkable(self) -> bool {
        matches!(self, Self::Pending | Self::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_only_the_unambiguous_alphabet() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
        }
        assert_ne!(new_code(), new_code());
        for ambiguous in b"0O1IL5S2Z8BUV" {
            assert!(!CODE_ALPHABET.contains(ambiguous));
        }
    }

    #[test]
    fn a_page_shows_the_code_in_any_case() {
        assert!(page_shows("<p>backbeat: 34CDEF7X</p>", "34CDEF7X"));
        assert!(page_shows("verify 34cdef7x", "34CDEF7X"));
        assert!(!page_shows("verify 34CDEF7", "34CDEF7X"));
    }
}
