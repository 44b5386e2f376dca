//! The life of a background job. What each kind does lives with its area (see the services crate).

use serde::{Deserialize, Serialize};

/// `queued` → `running` → `succeeded`; a failed attempt that will be retried is `failed`; a
/// permanent failure or the last failed attempt is `dead` (kept, listed and replayed by operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
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
    pub const ALL: [JobStatus; 5] = [
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Dead,
    ];

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
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// No attempt will follow without an operator.
    pub const fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Dead)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(JobStatus, |status| status.as_str(), |text| {
    JobStatus::parse(&text).ok_or_else(|| format!("unknown job status `{text}`").into())
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("zombie"), None);
        assert!(JobStatus::Dead.is_finished() && !JobStatus::Failed.is_finished());
    }
}
