//! Background jobs: their kinds, payloads and statuses.

use serde::{Deserialize, Serialize};

use crate::email::EmailAddress;

/// What a job does. The string form names its queue (`{prefix}.{kind}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    PlaylistExport,
}

impl JobKind {
    pub const ALL: &'static [JobKind] = &[JobKind::PlaylistExport];

    pub const fn as_str(self) -> &'static str {
        match self {
            JobKind::PlaylistExport => "playlist_export",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == value)
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    /// An attempt failed; another is scheduled.
    Failed,
    /// Given up: a permanent error, or the last attempt failed. Operators may replay it.
    Dead,
}

impl JobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Running,
            Self::Succeeded,
            Self::Failed,
            Self::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// Email a playlist as `playlist.json` (openMusic export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaylistExport {
    pub playlist_id: String,
    pub target_email: EmailAddress,
}

/// The message body on the queue: only ids; the job row holds the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMessage {
    pub job_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(JobStatus::parse("dead"), Some(JobStatus::Dead));
        assert_eq!(JobStatus::parse("zombie"), None);
        let payload: PlaylistExport =
            serde_json::from_str(r#"{"playlistId":"playlist-1","targetEmail":"a@b.co"}"#)
                .expect("payload");
        assert_eq!(payload.target_email.as_str(), "a@b.co");
        assert!(
            serde_json::from_str::<PlaylistExport>(r#"{"playlistId":"p","targetEmail":"nope"}"#)
                .is_err()
        );
    }
}
