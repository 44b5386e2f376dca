//! Platforms' usage reports: an admin uploads one per platform and month ([`reports`]); a job
//! streams it into the period's usage lines, matching each line to a song ([`import`],
//! [`matching`]); the report then shows what was loaded, refused and left unmatched.
//!
//! Only admins manage reports until API keys bring the `royalties:write` scope.

pub mod import;
pub mod matching;
pub mod reports;
