//! The DDEX messages sent about distributions, and the batches that carry them to platforms on
//! ECHO's batch profile. A message is assigned to its batch before its package is written, and a
//! batch is complete once its manifest is in place: what acknowledgements are matched against.

use backbeat_domain::ids::{DistributionId, PlatformId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{delivery_batches, distribution_messages};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = distribution_messages)]
pub struct Message {
    pub message_id: String,
    pub distribution_id: DistributionId,
    pub platform_id: PlatformId,
    /// `new`, `update` or `takedown`.
    pub kind: String,
    /// The package's folder at the platform (`{batchId}/{name}` in a batch).
    pub package: String,
    pub release_icpn: String,
    /// The XML file, within the package.
    pub xml_path: String,
    pub xml_sha256: String,
    pub batch_id: Option<String>,
    /// The message's own creation time (its `MessageCreatedDateTime`).
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The message without its header (see the update job): equal checksums say the same.
    pub content_sha256: Option<String>,
    pub test: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_batches)]
pub struct Batch {
    pub platform_id: PlatformId,
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Records the messages not recorded yet; returns every one of them as stored (a message
/// recorded by an earlier attempt keeps its batch).
pub async fn record(
    conn: &mut AsyncPgConnection,
    messages: &[Message],
) -> Result<Vec<Message>, DbError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(distribution_messages::table)
        .values(messages)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    find_many(conn, &ids).await
}

pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[&str],
) -> Result<Vec<Message>, DbError> {
    Ok(distribution_messages::table
        .filter(distribution_messages::message_id.eq_any(ids))
        .select(Message::as_select())
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<Message>, DbError> {
    Ok(distribution_messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The messages of a batch, in the order they were assigned.
pub async fn of_batch(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
    batch: &str,
) -> Result<Vec<Message>, DbError> {
    Ok(distribution_messages::table
        .filter(distribution_messages::platform_id.eq(platform))
        .filter(distribution_messages::batch_id.eq(batch))
        .order((
            distribution_messages::created_at,
            distribution_messages::message_id,
        ))
        .select(Message::as_select())
        .load(conn)
        .await?)
}

/// A new batch of the platform, named by its creation time (`YYYYMMDDhhmmssnnn`); a name
/// another batch took in the same millisecond moves on by a millisecond.
pub async fn create_batch(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
    now: DateTime<Utc>,
) -> Result<Batch, DbError> {
    let mut at = now;
    loop {
        let id = at.format("%Y%m%d%H%M%S%3f").to_string();
        let inserted: Option<Batch> = diesel::insert_into(delivery_batches::table)
            .values((
                delivery_batches::platform_id.eq(platform),
                delivery_batches::id.eq(&id),
                delivery_batches::created_at.eq(at),
            ))
            .on_conflict_do_nothing()
            .returning(Batch::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        if let Some(batch) = inserted {
            return Ok(batch);
        }
        at += chrono::Duration::milliseconds(1);
    }
}

pub async fn batches(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
    ids: &[&str],
) -> Result<Vec<Batch>, DbError> {
    Ok(delivery_batches::table
        .filter(delivery_batches::platform_id.eq(platform))
        .filter(delivery_batches::id.eq_any(ids))
        .select(Batch::as_select())
        .load(conn)
        .await?)
}

/// Puts the messages that have no batch yet into `batch`.
pub async fn assign(
    conn: &mut AsyncPgConnection,
    batch: &Batch,
    messages: &[&str],
) -> Result<usize, DbError> {
    Ok(diesel::update(
        distribution_messages::table
            .filter(distribution_messages::message_id.eq_any(messages))
            .filter(distribution_messages::batch_id.is_null()),
    )
    .set((
        distribution_messages::batch_id.eq(&batch.id),
        distribution_messages::package.eq(diesel::dsl::sql::<diesel::sql_types::Text>("")
            .bind::<diesel::sql_types::Text, _>(format!("{}/", batch.id))
            .sql(" || package")),
    ))
    .execute(conn)
    .await?)
}

/// Takes messages out of their (incomplete) batch: their delivery failed for good.
pub async fn leave_batch(conn: &mut AsyncPgConnection, messages: &[&str]) -> Result<(), DbError> {
    diesel::update(
        distribution_messages::table
            .filter(distribution_messages::message_id.eq_any(messages))
            .filter(distribution_messages::delivered_at.is_null()),
    )
    .set((
        distribution_messages::batch_id.eq(None::<String>),
        distribution_messages::package.eq(diesel::dsl::sql::<diesel::sql_types::Text>(
            "regexp_replace(package, '^[^/]*/', '')",
        )),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// The XML written this time (the release may have changed since an earlier attempt built it).
pub async fn set_checksum(
    conn: &mut AsyncPgConnection,
    message: &str,
    sha256: &str,
) -> Result<(), DbError> {
    diesel::update(distribution_messages::table.find(message))
        .set(distribution_messages::xml_sha256.eq(sha256))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_delivered(
    conn: &mut AsyncPgConnection,
    messages: &[&str],
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(
        distribution_messages::table
            .filter(distribution_messages::message_id.eq_any(messages))
            .filter(distribution_messages::delivered_at.is_null()),
    )
    .set(distribution_messages::delivered_at.eq(at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn complete_batch(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
    batch: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(
        delivery_batches::table
            .filter(delivery_batches::platform_id.eq(platform))
            .filter(delivery_batches::id.eq(batch))
            .filter(delivery_batches::completed_at.is_null()),
    )
    .set(delivery_batches::completed_at.eq(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The messages about a distribution, oldest first.
pub async fn of_distribution(
    conn: &mut AsyncPgConnection,
    id: &DistributionId,
) -> Result<Vec<Message>, DbError> {
    Ok(distribution_messages::table
        .filter(distribution_messages::distribution_id.eq(id))
        .order((
            distribution_messages::created_at,
            distribution_messages::message_id,
        ))
        .select(Message::as_select())
        .load(conn)
        .await?)
}
