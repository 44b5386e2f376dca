//! The units of work of a job that has many (bulk distribution: one per release and platform),
//! each with its outcome once done.

use backbeat_domain::ids::{AlbumId, DistributionId, JobId, PlatformId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Jsonb, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::DbError;
use crate::schema::job_items;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = job_items)]
pub struct NewItem {
    pub job_id: JobId,
    pub seq: i32,
    pub chunk: i32,
    pub album_id: AlbumId,
    pub platform_id: PlatformId,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = job_items)]
pub struct Item {
    pub seq: i32,
    pub chunk: i32,
    pub album_id: AlbumId,
    pub platform_id: PlatformId,
    /// `delivered`, `failed` or `skipped`; `None` while pending.
    pub outcome: Option<String>,
    pub distribution_id: Option<DistributionId>,
    pub message: Option<String>,
    pub problems: Option<Value>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What became of one item.
#[derive(Debug, Clone)]
pub struct Finished {
    pub seq: i32,
    pub outcome: &'static str,
    pub distribution_id: Option<DistributionId>,
    pub message: Option<String>,
    pub problems: Option<Value>,
}

/// Writes the items once: a job that starts again finds them there.
pub async fn insert(conn: &mut AsyncPgConnection, items: &[NewItem]) -> Result<(), DbError> {
    // Five parameters a row, well under PostgreSQL's 65535.
    for batch in items.chunks(5000) {
        diesel::insert_into(job_items::table)
            .values(batch)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn count(conn: &mut AsyncPgConnection, job: &JobId) -> Result<i64, DbError> {
    Ok(job_items::table
        .filter(job_items::job_id.eq(job))
        .count()
        .get_result(conn)
        .await?)
}

/// The chunks that still have pending items.
pub async fn pending_chunks(
    conn: &mut AsyncPgConnection,
    job: &JobId,
) -> Result<Vec<i32>, DbError> {
    Ok(job_items::table
        .filter(job_items::job_id.eq(job))
        .filter(job_items::outcome.is_null())
        .select(job_items::chunk)
        .distinct()
        .order(job_items::chunk)
        .load(conn)
        .await?)
}

/// The items of a chunk not done yet, in order.
pub async fn pending(
    conn: &mut AsyncPgConnection,
    job: &JobId,
    chunk: i32,
) -> Result<Vec<Item>, DbError> {
    Ok(job_items::table
        .filter(job_items::job_id.eq(job))
        .filter(job_items::chunk.eq(chunk))
        .filter(job_items::outcome.is_null())
        .order(job_items::seq)
        .select(Item::as_select())
        .load(conn)
        .await?)
}

/// Records outcomes in one statement; an item already finished keeps its first outcome.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    job: &JobId,
    done: &[Finished],
) -> Result<usize, DbError> {
    if done.is_empty() {
        return Ok(0);
    }
    let seqs: Vec<i32> = done.iter().map(|d| d.seq).collect();
    let outcomes: Vec<&str> = done.iter().map(|d| d.outcome).collect();
    let distributions: Vec<Option<String>> = done
        .iter()
        .map(|d| d.distribution_id.as_ref().map(ToString::to_string))
        .collect();
    let messages: Vec<Option<String>> = done.iter().map(|d| d.message.clone()).collect();
    let problems: Vec<Option<Value>> = done.iter().map(|d| d.problems.clone()).collect();
    Ok(diesel::sql_query(
        "UPDATE job_items AS i SET outcome = u.outcome, distribution_id = u.distribution_id, \
             message = u.message, problems = u.problems, finished_at = now() \
         FROM unnest($2::int4[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) \
             AS u(seq, outcome, distribution_id, message, problems) \
         WHERE i.job_id = $1 AND i.seq = u.seq AND i.outcome IS NULL",
    )
    .bind::<Text, _>(job)
    .bind::<Array<Int4>, _>(seqs)
    .bind::<Array<Text>, _>(outcomes)
    .bind::<Array<Nullable<Text>>, _>(distributions)
    .bind::<Array<Nullable<Text>>, _>(messages)
    .bind::<Array<Nullable<Jsonb>>, _>(problems)
    .execute(conn)
    .await?)
}

/// How many items have each outcome (`None`: pending).
pub async fn tally(
    conn: &mut AsyncPgConnection,
    job: &JobId,
) -> Result<Vec<(Option<String>, i64)>, DbError> {
    Ok(job_items::table
        .filter(job_items::job_id.eq(job))
        .group_by(job_items::outcome)
        .select((job_items::outcome, diesel::dsl::count_star()))
        .load(conn)
        .await?)
}

/// Up to `limit` items after `after_seq`, in order.
pub async fn page(
    conn: &mut AsyncPgConnection,
    job: &JobId,
    after_seq: i32,
    limit: i64,
) -> Result<Vec<Item>, DbError> {
    Ok(job_items::table
        .filter(job_items::job_id.eq(job))
        .filter(job_items::seq.gt(after_seq))
        .order(job_items::seq)
        .limit(limit)
        .select(Item::as_select())
        .load(conn)
        .await?)
}

/// Notes the distribution created for each item before it is delivered, so that a chunk that
/// starts again delivers that one instead of finding it "already distributed".
pub async fn assign(
    conn: &mut AsyncPgConnection,
    job: &JobId,
    assigned: &[(i32, DistributionId)],
) -> Result<(), DbError> {
    if assigned.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i32> = assigned.iter().map(|(seq, _)| *seq).collect();
    let ids: Vec<String> = assigned.iter().map(|(_, id)| id.to_string()).collect();
    diesel::sql_query(
        "UPDATE job_items AS i SET distribution_id = u.distribution_id \
         FROM unnest($2::int4[], $3::text[]) AS u(seq, distribution_id) \
         WHERE i.job_id = $1 AND i.seq = u.seq",
    )
    .bind::<Text, _>(job)
    .bind::<Array<Int4>, _>(seqs)
    .bind::<Array<Text>, _>(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Fails every pending item of a chunk (its job gave up).
pub async fn fail_chunk(
    conn: &mut AsyncPgConnection,
    job: &JobId,
    chunk: i32,
    message: &str,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        job_items::table
            .filter(job_items::job_id.eq(job))
            .filter(job_items::chunk.eq(chunk))
            .filter(job_items::outcome.is_null()),
    )
    .set((
        job_items::outcome.eq(Some("failed")),
        job_items::message.eq(Some(message)),
        job_items::finished_at.eq(Some(chrono::Utc::now())),
    ))
    .execute(conn)
    .await?)
}
