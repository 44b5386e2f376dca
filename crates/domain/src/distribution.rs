//! A release's delivery to one platform: its states and the moves between them.

use serde::{Deserialize, Serialize};

/// `scheduled` (waiting for its release time) → `queued` → `delivering` → `delivered` →
/// `taken_down`; `failed` after the delivery's retries (retry puts it back in `queued`);
/// `cancelled` before delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "snake_case")]
pub enum DistributionStatus {
    Scheduled,
    Queued,
    Delivering,
    Delivered,
    TakenDown,
    Failed,
    Cancelled,
}

impl DistributionStatus {
    pub const ALL: [DistributionStatus; 7] = [
        Self::Scheduled,
        Self::Queued,
        Self::Delivering,
        Self::Delivered,
        Self::TakenDown,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The statuses in which a release counts as distributed (or about to be) to a platform: a
    /// second distribution to the same platform is refused.
    pub const LIVE: [DistributionStatus; 5] = [
        Self::Scheduled,
        Self::Queued,
        Self::Delivering,
        Self::Delivered,
        Self::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::TakenDown => "taken_down",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }

    /// Whether the state machine allows moving from `self` to `next`.
    pub const fn may_become(self, next: DistributionStatus) -> bool {
        use DistributionStatus::*;
        matches!(
            (self, next),
            (Scheduled, Queued)
                | (Scheduled, Cancelled)
                | (Queued, Delivering)
                | (Queued, Cancelled)
                | (Queued, Failed)
                | (Delivering, Delivered)
                | (Delivering, Failed)
                // A worker died mid-delivery: the next attempt starts over.
                | (Delivering, Delivering)
                | (Delivered, TakenDown)
                | (Failed, Queued)
                | (Failed, Cancelled)
        )
    }
}

impl std::fmt::Display for DistributionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(DistributionStatus, |status| status.as_str(), |text| {
    DistributionStatus::parse(&text)
        .ok_or_else(|| format!("unknown distribution status `{text}`").into())
});

#[cfg(test)]
mod tests {
    use super::DistributionStatus::*;
    use super::*;

    #[test]
    fn the_state_machine_allows_only_its_moves() {
        for status in DistributionStatus::ALL {
            assert_eq!(DistributionStatus::parse(status.as_str()), Some(status));
        }
        assert!(Scheduled.may_become(Queued) && Queued.may_become(Delivering));
        assert!(Delivering.may_become(Delivered) && Delivered.may_become(TakenDown));
        assert!(Failed.may_become(Queued) && Queued.may_become(Cancelled));
        assert!(!Delivered.may_become(Cancelled));
        assert!(!Cancelled.may_become(Queued) && !TakenDown.may_become(Delivered));
        assert!(!Scheduled.may_become(Delivered));
        assert!(
            Delivered.is_live() && Failed.is_live() && !Cancelled.is_live() && !TakenDown.is_live()
        );
    }
}
