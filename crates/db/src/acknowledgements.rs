//! Acknowledgement files collected from platforms: each one recorded with its content and what
//! came of it (applied, or refused with a code and the reason).

use backbeat_domain::ids::PlatformId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::acknowledgement_files;

/// One acknowledgement (the platform's MessageId) is applied once.
pub const APPLIED_ONCE: &str = "acknowledgement_files_applied_key";
/// The same file (platform, name, content) is recorded once.
pub const SEEN: &str = "acknowledgement_files_seen_key";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = acknowledgement_files)]
pub struct NewFile<'a> {
    pub platform_id: &'a PlatformId,
    pub name: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub message_id: Option<&'a str>,
    pub outcome: &'a str,
    pub code: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub releases: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = acknowledgement_files)]
pub struct File {
    pub id: i64,
    pub platform_id: PlatformId,
    pub name: String,
    pub sha256: String,
    pub content: Vec<u8>,
    pub received_at: DateTime<Utc>,
    pub message_id: Option<String>,
    pub outcome: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub releases: i32,
}

/// Records the file; the database refuses a second record of the same file ([`SEEN`]) and a
/// second application of the same acknowledgement ([`APPLIED_ONCE`]).
pub async fn insert(conn: &mut AsyncPgConnection, file: &NewFile<'_>) -> Result<i64, DbError> {
    Ok(diesel::insert_into(acknowledgement_files::table)
        .values(file)
        .returning(acknowledgement_files::id)
        .get_result(conn)
        .await?)
}

/// Serialises the recording of one platform's files until the transaction ends: two workers
/// that read the same file (a collection retried while another runs) record it once, the second
/// finding it [`seen`]. Call inside a transaction.
pub async fn lock_platform(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
) -> Result<(), DbError> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('backbeat.acknowledgements.' || $1, 0))",
    )
    .bind::<diesel::sql_types::Text, _>(platform.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether this very file was recorded already.
pub async fn seen(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
    name: &str,
    sha256: &str,
) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        acknowledgement_files::table
            .filter(acknowledgement_files::platform_id.eq(platform))
            .filter(acknowledgement_files::name.eq(name))
            .filter(acknowledgement_files::sha256.eq(sha256)),
    ))
    .get_result(conn)
    .await?)
}

/// Whether the platform's acknowledgement `message_id` was applied already.
pub async fn applied(
    conn: &mut AsyncPgConnection,
    platform: &PlatformId,
    message_id: &str,
) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        acknowledgement_files::table
            .filter(acknowledgement_files::platform_id.eq(platform))
            .filter(acknowledgement_files::message_id.eq(message_id))
            .filter(acknowledgement_files::outcome.eq("applied")),
    ))
    .get_result(conn)
    .await?)
}

pub struct Filter<'a> {
    pub outcome: Option<&'a str>,
    pub platform: Option<&'a PlatformId>,
    /// The last id of the previous page.
    pub after: Option<i64>,
    pub limit: i64,
}

/// A page of files, newest first.
pub async fn page(conn: &mut AsyncPgConnection, filter: &Filter<'_>) -> Result<Vec<File>, DbError> {
    let mut query = acknowledgement_files::table.into_boxed();
    if let Some(outcome) = filter.outcome {
        query = query.filter(acknowledgement_files::outcome.eq(outcome));
    }
    if let Some(platform) = filter.platform {
        query = query.filter(acknowledgement_files::platform_id.eq(platform));
    }
    if let Some(after) = filter.after {
        query = query.filter(acknowledgement_files::id.lt(after));
    }
    Ok(query
        .order(acknowledgement_files::id.desc())
        .limit(filter.limit)
        .select(File::as_select())
        .load(conn)
        .await?)
}
