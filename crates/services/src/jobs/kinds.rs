//! The registry: every kind of job, one line each. The consumer subscribes to these, the queue
//! topology declares their queues, `GET /jobs/{id}` and the `dead` commands read their names.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::Context;
use crate::jobs::{Job, JobError, JobRun};

/// A registered job type knows its kind; only [`kinds!`] implements this.
pub trait Registered: Job {
    const KIND: JobKind;
}

pub type JobFuture = Pin<Box<dyn Future<Output = Result<Value, JobError>> + Send>>;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident($name:literal) => $job:ty, )+) => {
        /// What a job does. The name is its queue's (`{prefix}.{name}`) and the `kind` shown by
        /// `GET /jobs/{id}`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum JobKind {
            $( $(#[$doc])* $variant, )+
        }

        $( impl Registered for $job {
            const KIND: JobKind = JobKind::$variant;
        } )+

        impl JobKind {
            pub const ALL: &'static [JobKind] = &[$(JobKind::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $( JobKind::$variant => $name, )+
                }
            }

            pub(super) fn declared_max_attempts(self) -> Option<u32> {
                match self {
                    $( JobKind::$variant => <$job as Job>::MAX_ATTEMPTS, )+
                }
            }

            pub(super) fn declared_concurrency(self) -> Option<u16> {
                match self {
                    $( JobKind::$variant => <$job as Job>::CONCURRENCY, )+
                }
            }

            /// Reads the payload as this kind's type and runs its handler. A payload the type
            /// cannot read is a permanent failure.
            pub fn run(self, ctx: Arc<Context>, job: JobRun, payload: Value) -> JobFuture {
                match self {
                    $( JobKind::$variant => Box::pin(async move {
                        let payload: $job = serde_json::from_value(payload)
                            .map_err(|e| JobError::Permanent(format!("bad payload: {e}")))?;
                        payload.run(&ctx, &job).await
                    }), )+
                }
            }
        }
    };
}

kinds! {
    /// Email a playlist as `playlist.json` (openMusic's export).
    PlaylistExport("playlist_export") => crate::playlists::export::ExportPlaylist,
    /// Deliver a release to a platform (DDEX ERN package in its drop folder).
    DistributionDelivery("distribution_delivery") => crate::distribution::delivery::DeliverDistribution,
    /// Send a platform the message that ends a release's deals.
    DistributionTakedown("distribution_takedown") => crate::distribution::takedown::TakeDown,
    /// A delivered release's changed metadata, sent again to every platform where it is live.
    DistributionUpdate("distribution_update") => crate::distribution::updates::SendUpdates,
    /// Distribute many releases to many platforms: plan, follow the chunks, email a summary.
    BulkDistribution("bulk_distribution") => crate::distribution::bulk::BulkDistribute,
    /// One chunk of a bulk distribution.
    BulkDistributionChunk("bulk_distribution_chunk") => crate::distribution::bulk::BulkChunk,
    /// Read the platforms' acknowledgement files and record what they say.
    AcknowledgementCollection("acknowledgement_collection") => crate::distribution::acknowledgements::CollectAcknowledgements,
    /// Email a release's owner that a platform rejected it.
    PlatformRejectionEmail("platform_rejection_email") => crate::distribution::acknowledgements::EmailRejection,
    /// Import a platform's usage report into the period's usage lines.
    UsageImport("usage_import") => crate::usage::import::ImportUsageReport,
    /// Turn a period's usage into royalty statements.
    RoyaltyRun("royalty_run") => crate::royalties::runs::RoyaltyRun,
    /// Email a payee their statement with its CSV.
    RoyaltyStatementEmail("royalty_statement_email") => crate::royalties::statements::EmailStatement,
    /// Look for an artist's verification code on their profile page.
    VerificationCheck("verification_check") => crate::verification::crawl::CheckProfile,
    /// Email an artist's owner that the artist is verified.
    VerificationApprovedEmail("verification_approved_email") => crate::verification::review::EmailApproval,
    /// Sync the video catalog from Wistia (one pass, resumed after a failure).
    VideoSync("video_sync") => crate::videos::sync::SyncVideos,
    /// Delete finished work older than its retention age.
    Retention("retention") => crate::retention::PurgeExpired,
}

impl JobKind {
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_unique_name_that_parses_back() {
        let mut names = std::collections::HashSet::new();
        for kind in JobKind::ALL {
            assert!(names.insert(kind.as_str()), "{kind} registered twice");
            assert_eq!(JobKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(JobKind::parse("no_such_kind"), None);
    }
}
