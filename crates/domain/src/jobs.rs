//! The life of a background job. What each kind does lives with its area (see the services crate).

use serde::{Deserialize, Serialize};

/// `queued` → `running` → `succeeded`; a failed attempt with attempts left makes it `retrying`
/// until its next attempt is due; a permanent failure or the last failed attempt is `dead` (kept,
/// listed and replayed by operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    /// An attempt failed; another is scheduled (`next_attempt_at`).
    Retrying,
    /// Given up: a permanent error, or the last attempt failed. Operators may replay it.
    Dead,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        Self::Queued,
        Self::Running,
        Self::Retrying,
        Self::Succeeded,
        Self::Dead,
    ];

    /// Work is still to be done: an attempt will run (or is running) without an operator.
    pub const PENDING: [JobStatus; 3] = [Self::Queued, Self::Running, Self::Retrying];

    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Retrying => "retrying",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            // What the previous version stored for a pending retry (see the job_schedule
            // migration): a worker of that version may still write it during an upgrade.
            "failed" => Some(Self::Retrying),
            _ => Self::ALL.into_iter().find(|s| s.as_str() == value),
        }
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
        assert_eq!(JobStatus::parse("failed"), Some(JobStatus::Retrying));
        assert!(JobStatus::Dead.is_finished() && !JobStatus::Retrying.is_finished());
        for status in JobStatus::PENDING {
            assert!(!status.is_finished());
        }
    }
}
