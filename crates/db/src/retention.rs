//! Deleting what has served its purpose, a batch at a time: each call is one short statement
//! (its own transaction), so the hot tables are never locked for long.

use std::time::Duration;

use diesel::sql_types::{BigInt, Interval};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;

/// What can be purged, and the statement that deletes one batch of it older than `$1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purgeable {
    /// Outbox rows already handed to RabbitMQ.
    SentOutbox,
    /// Jobs that succeeded (their outbox rows and bulk items go with them).
    SucceededJobs,
    /// Dead jobs nobody replayed.
    DeadJobs,
    /// The record of emails sent (their idempotency keys).
    SentEmails,
}

impl Purgeable {
    pub const ALL: [Purgeable; 4] = [
        Purgeable::SentOutbox,
        Purgeable::SucceededJobs,
        Purgeable::DeadJobs,
        Purgeable::SentEmails,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Purgeable::SentOutbox => "sentOutbox",
            Purgeable::SucceededJobs => "succeededJobs",
            Purgeable::DeadJobs => "deadJobs",
            Purgeable::SentEmails => "sentEmails",
        }
    }

    fn statement(self) -> &'static str {
        match self {
            Purgeable::SentOutbox => {
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
                 WHERE sent_at IS NOT NULL AND sent_at < now() - $1 LIMIT $2)"
            }
            Purgeable::SucceededJobs => {
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs
                 WHERE status = 'succeeded' AND finished_at < now() - $1 LIMIT $2)"
            }
            Purgeable::DeadJobs => {
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs
                 WHERE status = 'dead' AND finished_at < now() - $1 LIMIT $2)"
            }
            Purgeable::SentEmails => {
                "DELETE FROM sent_emails WHERE idempotency_key IN (SELECT idempotency_key
                 FROM sent_emails WHERE sent_at < now() - $1 LIMIT $2)"
            }
        }
    }
}

/// Deletes at most `batch` rows of `what` older than `age`; returns how many went.
pub async fn purge_batch(
    conn: &mut AsyncPgConnection,
    what: Purgeable,
    age: Duration,
    batch: i64,
) -> Result<usize, DbError> {
    let age = diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(age.as_micros()).unwrap_or(i64::MAX),
    );
    Ok(diesel::sql_query(what.statement())
        .bind::<Interval, _>(age)
        .bind::<BigInt, _>(batch)
        .execute(conn)
        .await?)
}
