//! Bulk distribution: many releases to many platforms in one job.
//!
//! The [`BulkDistribute`] job writes one item per release and platform (once), splits them into
//! chunks of releases and enqueues one [`BulkChunk`] job per chunk, which any worker runs: with
//! more workers, more chunks run at once. Each chunk checks its releases (a release that is not
//! ready fails its pairs with its problems; the rest go on), creates the distributions, delivers
//! the packages, and records every pair's outcome. The coordinator follows the items' outcomes
//! as the job's progress and, when none is left, emails the requester a summary with a CSV of
//! every pair.
//!
//! A worker killed at any point loses nothing and delivers nothing twice: items that have an
//! outcome are skipped by the chunk that runs again; an item whose distribution was created but
//! not yet recorded as delivered is delivered again under the same package name, which the drop
//! folder recognises; sub-jobs and the email carry fixed ids and keys.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use backbeat_db::distributions::{self, Change, NewDistribution};
use backbeat_db::job_items::{self, Finished, Item, NewItem};
use backbeat_db::platforms::{self, Platform};
use backbeat_db::{albums, jobs as job_rows, users};
use backbeat_delivery::{DeliveryError, Outcome};
use backbeat_domain::Actor;
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::{AlbumId, DistributionId, JobId, PlatformId};
use backbeat_domain::paging::{Cursor, Page};
use backbeat_mail::templates::BulkDistribution;
use backbeat_mail::{Attachment, Email};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::csv_export::{CsvError, CsvExport, Kind::Text};
use crate::distribution::delivery::{Failure, Purpose, outgoing};
use crate::distribution::release::{self, Snapshot};
use crate::distribution::send::{Outgoing, send};
use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::mail::send_once;
use crate::{Context, Error, Result};

/// How often the coordinator reads the items' outcomes.
const POLL: Duration = Duration::from_millis(250);
/// Platforms a chunk delivers to at once (each as one batch of packages).
const PLATFORMS_IN_FLIGHT: usize = 1;

pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";
pub const SKIPPED: &str = "skipped";

/// Checks the request and queues the job: every release must be the actor's (or the actor an
/// admin), every platform known and active.
pub async fn request(
    ctx: &Context,
    actor: &Actor,
    album_ids: Vec<AlbumId>,
    platform_ids: Vec<PlatformId>,
    request_id: &str,
) -> Result<JobId> {
    let max = ctx.settings.distribution.bulk_max_releases;
    if album_ids.len() > max {
        return Err(Error::field(
            "albumIds",
            format!("must name at most {max} releases"),
        ));
    }
    super::platforms::active(ctx, &platform_ids, "platformIds").await?;
    let mut conn = ctx.conn().await?;
    let owners: BTreeMap<AlbumId, Option<backbeat_domain::ids::UserId>> =
        albums::owners(&mut conn, &album_ids)
            .await?
            .into_iter()
            .collect();
    let unknown: Vec<&str> = album_ids
        .iter()
        .filter(|id| {
            !owners
                .get(*id)
                .is_some_and(|owner| actor.may_act_on(owner.as_ref()))
        })
        .map(AlbumId::as_str)
        .collect();
    if !unknown.is_empty() {
        let shown: Vec<&str> = unknown.iter().take(10).copied().collect();
        return Err(Error::NotFound(format!(
            "{} releases not found: {}{}",
            unknown.len(),
            shown.join(", "),
            if unknown.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        )));
    }
    let job = BulkDistribute {
        album_ids,
        platform_ids,
    };
    conn.transaction::<_, Error, _>(async |conn| {
        jobs::enqueue(
            ctx,
            conn,
            &job,
            Origin {
                user: Some(&actor.user_id),
                request_id: Some(request_id),
            },
        )
        .await
    })
    .await
}

/// The coordinator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkDistribute {
    pub album_ids: Vec<AlbumId>,
    pub platform_ids: Vec<PlatformId>,
}

/// One chunk of a bulk distribution's items.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkChunk {
    pub bulk_job_id: JobId,
    pub chunk: i32,
}

fn chunk_job_id(bulk: &JobId, chunk: i32) -> JobId {
    JobId::from(format!("{bulk}.{chunk}"))
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    pending: i64,
    delivered: i64,
    failed: i64,
    skipped: i64,
}

impl Tally {
    fn total(&self) -> i64 {
        self.pending + self.delivered + self.failed + self.skipped
    }
}

async fn tally(ctx: &Context, job: &JobId) -> Result<Tally, JobError> {
    let mut tally = Tally::default();
    for (outcome, count) in job_items::tally(&mut *ctx.conn().await?, job).await? {
        match outcome.as_deref() {
            None => tally.pending += count,
            Some(DELIVERED) => tally.delivered += count,
            Some(SKIPPED) => tally.skipped += count,
            Some(_) => tally.failed += count,
        }
    }
    Ok(tally)
}

impl Job for BulkDistribute {
    /// It mostly waits for its chunks.
    const CONCURRENCY: Option<u16> = Some(4);

    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let chunk_size = ctx.settings.distribution.bulk_chunk_releases.max(1);
        let mut conn = ctx.conn().await?;
        // Written once; a run after a crash finds them and carries on.
        if job_items::count(&mut conn, &job.id).await? == 0 {
            let platforms = self.platform_ids.len();
            let items: Vec<NewItem> = self
                .album_ids
                .iter()
                .enumerate()
                .flat_map(|(a, album)| {
                    self.platform_ids
                        .iter()
                        .enumerate()
                        .map(move |(p, platform)| NewItem {
                            job_id: job.id.clone(),
                            seq: i32::try_from(a * platforms + p).unwrap_or(i32::MAX),
                            chunk: i32::try_from(a / chunk_size).unwrap_or(i32::MAX),
                            album_id: album.clone(),
                            platform_id: platform.clone(),
                        })
                })
                .collect();
            job_items::insert(&mut conn, &items).await?;
        }
        let chunks = job_items::pending_chunks(&mut conn, &job.id).await?;
        let origin = Origin {
            user: job.user_id.as_ref(),
            request_id: job.request_id.as_deref(),
        };
        conn.transaction::<_, Error, _>(async |conn| {
            for chunk in &chunks {
                let sub = BulkChunk {
                    bulk_job_id: job.id.clone(),
                    chunk: *chunk,
                };
                jobs::enqueue_once(ctx, conn, &chunk_job_id(&job.id, *chunk), &sub, origin).await?;
            }
            Ok(())
        })
        .await?;
        drop(conn);
        let chunk_jobs: Vec<JobId> = chunks.iter().map(|c| chunk_job_id(&job.id, *c)).collect();
        let tally = loop {
            let tally = tally(ctx, &job.id).await?;
            let total = i32::try_from(tally.total()).unwrap_or(i32::MAX);
            let done = i32::try_from(tally.total() - tally.pending).unwrap_or(i32::MAX);
            job.progress(ctx, done, total).await?;
            if tally.pending == 0 {
                break tally;
            }
            // A chunk whose job gave up will not finish its items: they failed with it.
            let mut conn = ctx.conn().await?;
            for (dead, error) in job_rows::dead_among(&mut conn, &chunk_jobs).await? {
                let chunk = chunks[chunk_jobs.iter().position(|id| *id == dead).unwrap_or(0)];
                let message = format!("the chunk failed: {}", error.unwrap_or_default());
                job_items::fail_chunk(&mut conn, &job.id, chunk, &message).await?;
            }
            drop(conn);
            tokio::time::sleep(POLL).await;
        };
        let email = summary_email(ctx, job, &self, tally).await?;
        Ok(json!({
            "total": tally.total(),
            "delivered": tally.delivered,
            "failed": tally.failed,
            "skipped": tally.skipped,
            "items": format!("{}/jobs/{}/items", ctx.settings.server.base_path, job.id),
            "email": email,
        }))
    }
}

/// Emails the requester the summary with the CSV; a requester without an address is noted in the
/// result instead.
async fn summary_email(
    ctx: &Context,
    job: &JobRun,
    bulk: &BulkDistribute,
    tally: Tally,
) -> Result<Value, JobError> {
    let mut conn = ctx.conn().await?;
    let recipient = match &job.user_id {
        Some(user) => users::email_of(&mut conn, user).await?,
        None => None,
    };
    let Some(recipient) = recipient else {
        return Ok(json!({"sent": false, "reason": "the requester has no email address"}));
    };
    let csv = csv_report(&mut conn, &job.id).await?;
    drop(conn);
    let rendered = BulkDistribution {
        job_id: job.id.as_str(),
        releases: bulk.album_ids.len(),
        platforms: bulk.platform_ids.len(),
        delivered: tally.delivered,
        failed: tally.failed,
        skipped: tally.skipped,
    }
    .render();
    let email =
        Email::new(&recipient, rendered, format!("bulk-summary.{}", job.id)).attach(Attachment {
            filename: format!("distribution-{}.csv", job.id),
            content_type: "text/csv".to_owned(),
            body: csv,
        });
    let message_id = send_once(ctx, email).await?;
    Ok(json!({"sent": true, "recipient": recipient, "messageId": message_id}))
}

/// Every pair, in the order requested.
async fn csv_report(
    conn: &mut backbeat_db::AsyncPgConnection,
    job: &JobId,
) -> Result<Vec<u8>, JobError> {
    let mut items = Vec::new();
    let mut after = -1;
    loop {
        let page = job_items::page(conn, job, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        items.extend(page);
    }
    let album_ids: Vec<AlbumId> = items
        .iter()
        .map(|i| i.album_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let titles: BTreeMap<AlbumId, (String, Option<String>)> = albums::titles(conn, &album_ids)
        .await?
        .into_iter()
        .map(|(id, title, upc)| (id, (title, upc)))
        .collect();
    let platforms: BTreeMap<PlatformId, Platform> = platforms::all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let row_error = |e: CsvError| JobError::Permanent(e.to_string());
    let mut writer = CsvExport::new(&[
        ("album_id", Text),
        ("upc", Text),
        ("title", Text),
        ("platform", Text),
        ("outcome", Text),
        ("distribution_id", Text),
        ("message", Text),
    ])
    .map_err(row_error)?;
    for item in &items {
        let (title, upc) = titles.get(&item.album_id).cloned().unwrap_or_default();
        let platform = platforms
            .get(&item.platform_id)
            .map_or_else(|| item.platform_id.to_string(), |p| p.code.clone());
        writer
            .row(&[
                item.album_id.as_str(),
                upc.as_deref().unwrap_or_default(),
                title.as_str(),
                platform.as_str(),
                item.outcome.as_deref().unwrap_or("pending"),
                item.distribution_id
                    .as_ref()
                    .map_or("", DistributionId::as_str),
                item.message.as_deref().unwrap_or_default(),
            ])
            .map_err(row_error)?;
    }
    writer.finish().map_err(row_error)
}

/// A pair and how its delivery went.
type Sent = (Pair, Result<Outcome, Failure>);

/// An item on its way to delivery.
struct Pair {
    seq: i32,
    distribution: backbeat_db::distributions::Distribution,
}

impl Job for BulkChunk {
    const CONCURRENCY: Option<u16> = Some(1);

    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let started = Instant::now();
        let bulk = &self.bulk_job_id;
        let mut conn = ctx.conn().await?;
        let items = job_items::pending(&mut conn, bulk, self.chunk).await?;
        if items.is_empty() {
            return Ok(json!({"chunk": self.chunk, "items": 0}));
        }
        let album_ids: Vec<AlbumId> = items
            .iter()
            .map(|i| i.album_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let platform_ids: Vec<PlatformId> = items
            .iter()
            .map(|i| i.platform_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let platforms: BTreeMap<PlatformId, Platform> =
            platforms::find_many(&mut conn, &platform_ids)
                .await?
                .into_iter()
                .map(|p| (p.id.clone(), p))
                .collect();
        let snapshots = release::load(&mut conn, &album_ids).await?;
        let problems: BTreeMap<&AlbumId, Vec<backbeat_domain::readiness::Problem>> =
            snapshots.iter().map(|(id, s)| (id, s.problems())).collect();

        let mut finished = Vec::new();
        let mut resumed = Vec::new();
        let mut to_create: Vec<(&Item, NewDistribution)> = Vec::new();
        let now = Utc::now();
        for item in &items {
            let Some(snapshot) = snapshots.get(&item.album_id) else {
                finished.push(failed(
                    item,
                    "the release no longer exists".to_owned(),
                    None,
                ));
                continue;
            };
            if let Some(id) = &item.distribution_id {
                resumed.push((item.seq, id.clone()));
                continue;
            }
            let album_problems = &problems[&item.album_id];
            if !album_problems.is_empty() {
                let message = format!(
                    "the release is not ready: {}",
                    album_problems
                        .iter()
                        .map(|p| p.code)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                finished.push(failed(item, message, Some(json!(album_problems))));
                continue;
            }
            if !platforms.get(&item.platform_id).is_some_and(|p| p.active) {
                finished.push(failed(
                    item,
                    "the platform is unknown or inactive".to_owned(),
                    None,
                ));
                continue;
            }
            let id = DistributionId::generate();
            to_create.push((
                item,
                NewDistribution {
                    message_id: Some(super::delivery_message_id(&id)),
                    message_created_at: Some(now),
                    id,
                    album_id: item.album_id.clone(),
                    platform_id: item.platform_id.clone(),
                    owner_id: snapshot.release.album.owner_id.clone(),
                    status: DistributionStatus::Delivering,
                    release_at: now,
                    job_id: Some(job.id.clone()),
                    test: false,
                },
            ));
        }

        // Distributions are created, and noted on their items, in one transaction: the pairs
        // that collide with a live distribution are skipped.
        let note = format!("bulk distribution {bulk}");
        let created = conn
            .transaction::<_, Error, _>(async |conn| {
                let new: Vec<NewDistribution> = to_create.iter().map(|(_, d)| d.clone()).collect();
                let inserted: BTreeSet<DistributionId> =
                    distributions::insert_new(conn, &new, Some(&note))
                        .await?
                        .into_iter()
                        .collect();
                let mut assigned = Vec::new();
                let mut skipped = Vec::new();
                for (item, distribution) in &to_create {
                    if inserted.contains(&distribution.id) {
                        assigned.push((item.seq, distribution.id.clone()));
                    } else {
                        let live = distributions::live_to(
                            conn,
                            &item.album_id,
                            std::slice::from_ref(&item.platform_id),
                        )
                        .await?;
                        let existing = live.first();
                        skipped.push(Finished {
                            seq: item.seq,
                            outcome: SKIPPED,
                            distribution_id: existing.map(|d| d.id.clone()),
                            message: Some(match existing {
                                Some(d) => format!("already distributed ({})", d.status),
                                None => "already distributed".to_owned(),
                            }),
                            problems: None,
                        });
                    }
                }
                job_items::assign(conn, bulk, &assigned).await?;
                job_items::finish(conn, bulk, &skipped).await?;
                job_items::finish(conn, bulk, &finished).await?;
                Ok(assigned)
            })
            .await?;

        // Every item with a distribution gets delivered now: the new ones and those a previous
        // run created but did not finish.
        let wanted: Vec<(i32, DistributionId)> = created.into_iter().chain(resumed).collect();
        let ids: Vec<DistributionId> = wanted.iter().map(|(_, id)| id.clone()).collect();
        let mut found: BTreeMap<DistributionId, backbeat_db::distributions::Distribution> =
            distributions::find_many(&mut conn, &ids)
                .await?
                .into_iter()
                .map(|d| (d.id.clone(), d))
                .collect();
        let pairs: Vec<Pair> = wanted
            .into_iter()
            .filter_map(|(seq, id)| {
                found
                    .remove(&id)
                    .map(|distribution| Pair { seq, distribution })
            })
            .collect();
        drop(conn);
        // Every package is built here; each platform's are then written as one batch, which
        // shares its flushes to disk.
        let mut results: Vec<(Pair, Result<Outcome, Failure>)> = Vec::new();
        let mut batches: BTreeMap<PlatformId, Vec<(Pair, Outgoing)>> = BTreeMap::new();
        for pair in pairs {
            match pair.distribution.status {
                // Finished by a previous run after all.
                DistributionStatus::Delivered => {
                    results.push((pair, Ok(Outcome::AlreadyDelivered)))
                }
                DistributionStatus::Delivering => {
                    let snapshot: &Snapshot = &snapshots[&pair.distribution.album_id];
                    let platform = &platforms[&pair.distribution.platform_id];
                    match outgoing(
                        ctx,
                        &pair.distribution,
                        snapshot,
                        platform,
                        Purpose::Delivery,
                    ) {
                        Ok(built) => batches
                            .entry(platform.id.clone())
                            .or_default()
                            .push((pair, built)),
                        Err(failure) => results.push((pair, Err(failure))),
                    }
                }
                other => {
                    let error = std::io::Error::other(format!("the distribution is {other}"));
                    results.push((pair, Err(Failure::Delivery(DeliveryError::Io(error)))));
                }
            }
        }
        let last_attempt = job.is_last_attempt();
        let delivered: Vec<Result<Vec<Sent>, JobError>> =
            futures_util::stream::iter(batches.into_iter().map(|(platform, batch)| {
                let platform = &platforms[&platform];
                async move {
                    let (pairs, messages): (Vec<Pair>, Vec<Outgoing>) = batch.into_iter().unzip();
                    let outcomes =
                        send(ctx, platform, messages, pair_time(ctx), last_attempt).await?;
                    Ok(pairs
                        .into_iter()
                        .zip(outcomes)
                        .map(|(pair, outcome)| (pair, outcome.map_err(Failure::Delivery)))
                        .collect())
                }
            }))
            .buffer_unordered(PLATFORMS_IN_FLIGHT)
            .collect()
            .await;
        let delivered: Vec<Vec<Sent>> = delivered.into_iter().collect::<Result<_, _>>()?;
        let written = delivered.iter().map(Vec::len).sum();
        results.extend(delivered.into_iter().flatten());
        let recorded = record(ctx, bulk, job, results).await;
        pace(ctx, written, started).await;
        recorded
    }
}

/// Holds the worker's chunk slot until `pairs` at `distribution.bulk_pairs_per_second` would
/// have taken (the packages were also written that far apart): the outcomes are already
/// committed, so a worker killed meanwhile loses nothing.
async fn pace(ctx: &Context, pairs: usize, started: Instant) {
    let Some(pair_time) = pair_time(ctx) else {
        return;
    };
    let due = pair_time * u32::try_from(pairs).unwrap_or(u32::MAX);
    if let Some(rest) = due.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
}

/// One pair's time at `distribution.bulk_pairs_per_second` (`None`: as fast as it can).
fn pair_time(ctx: &Context) -> Option<Duration> {
    match ctx.settings.distribution.bulk_pairs_per_second {
        0 => None,
        rate => Some(Duration::from_secs_f64(1.0 / f64::from(rate))),
    }
}

fn failed(item: &Item, message: String, problems: Option<Value>) -> Finished {
    Finished {
        seq: item.seq,
        outcome: FAILED,
        distribution_id: item.distribution_id.clone(),
        message: Some(message),
        problems,
    }
}

/// Records the deliveries in one transaction. Temporary failures stay pending for the chunk's
/// next attempt, unless this was its last.
async fn record(
    ctx: &Context,
    bulk: &JobId,
    job: &JobRun,
    results: Vec<(Pair, Result<Outcome, Failure>)>,
) -> Result<Value, JobError> {
    let delivered_at: DateTime<Utc> = Utc::now();
    let mut delivered_ids = Vec::new();
    let mut finished = Vec::new();
    let mut failures: BTreeMap<String, Vec<DistributionId>> = BTreeMap::new();
    let mut retry_later = 0;
    for (pair, result) in results {
        let id = pair.distribution.id.clone();
        match result {
            Ok(_) => {
                delivered_ids.push(id.clone());
                finished.push(Finished {
                    seq: pair.seq,
                    outcome: DELIVERED,
                    distribution_id: Some(id),
                    message: None,
                    problems: None,
                });
            }
            Err(failure) if failure.is_permanent() || job.is_last_attempt() => {
                let message = failure.message();
                failures
                    .entry(message.clone())
                    .or_default()
                    .push(id.clone());
                finished.push(Finished {
                    seq: pair.seq,
                    outcome: FAILED,
                    distribution_id: Some(id),
                    message: Some(message),
                    problems: match failure {
                        Failure::NotReady(problems) => Some(json!(problems)),
                        Failure::Delivery(_) => None,
                    },
                });
            }
            Err(failure) => {
                tracing::warn!(distribution_id = %id, error = %failure.message(), "delivery failed; the chunk will retry it");
                retry_later += 1;
            }
        }
    }
    let note = format!("bulk distribution {bulk}");
    let count = finished.len();
    ctx.conn()
        .await?
        .transaction::<_, Error, _>(async |conn| {
            distributions::transition(
                conn,
                &delivered_ids,
                &[DistributionStatus::Delivering],
                DistributionStatus::Delivered,
                &Change {
                    delivered_at: Some(Some(delivered_at)),
                    ..Change::default()
                },
                Some(&note),
            )
            .await?;
            for (message, ids) in &failures {
                distributions::transition(
                    conn,
                    ids,
                    &[DistributionStatus::Delivering],
                    DistributionStatus::Failed,
                    &Change {
                        error: Some(Some(message.clone())),
                        ..Change::default()
                    },
                    Some(message),
                )
                .await?;
            }
            job_items::finish(conn, bulk, &finished).await?;
            Ok(())
        })
        .await?;
    if retry_later > 0 {
        return Err(JobError::Retry(format!(
            "{retry_later} deliveries failed for now; retrying them"
        )));
    }
    Ok(json!({"delivered": delivered_ids.len(), "finished": count}))
}

/// A page of a bulk job's items, for its owner (or an admin).
pub async fn items(
    ctx: &Context,
    actor: &Actor,
    job_id: &JobId,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Item>> {
    crate::jobs::view::find(ctx, actor, job_id).await?;
    let after_seq = after.and_then(|c| c.id.parse().ok()).unwrap_or(-1);
    let rows = job_items::page(&mut *ctx.conn().await?, job_id, after_seq, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |item| Cursor {
        at: DateTime::UNIX_EPOCH,
        id: item.seq.to_string(),
    }))
}
