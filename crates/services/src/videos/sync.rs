//! Syncing the catalog from Wistia, as a job: on demand (`PATCH /videos/sync`) and on a schedule,
//! one at a time (a request while a sync is in flight joins it).
//!
//! A sync works through one *pass*, in phases, each step committed before the next:
//! 1. **pages**: every page of the media list, oldest first; new and changed medias (by
//!    `updated`) are written with Wistia's tags, unchanged ones only marked as listed by the pass.
//!    The page reached is committed with the page's writes, so a failed sync resumes after the
//!    last page it finished.
//! 2. **stats**: plays of ready videos not yet refreshed by this pass, those refreshed longest ago
//!    first, up to `videos.stats_per_sync`.
//! 3. **removals**, only once the list was read to its end: a video the pass did not list (or
//!    whose stats answered 404 after it was listed) is asked for by its stats. Wistia answers 404 for a media it no longer has: the video becomes a
//!    tombstone (hidden, kept). Any other answer means it exists (it moved to an earlier page
//!    while the list was read, as a removal shifts every later media back by one) and it stays.
//!
//! Wistia's rate limit is the client's business (`backbeat_wistia`): every request waits for its
//! turn under the account's limit.

use std::collections::HashMap;

use backbeat_db::video_syncs::{self, PageCounts, Pass};
use backbeat_db::videos::{self, Listed};
use backbeat_db::{AsyncPgConnection, tags};
use backbeat_domain::Actor;
use backbeat_domain::ids::{JobId, TagId, VideoId};
use backbeat_domain::video::{MediaStatus, TagSource};
use backbeat_wistia::{Media, Wistia};
use chrono::Utc;
use diesel_async::AsyncConnection;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::videos::may_manage;
use crate::{Context, Error, Result};

/// Rows checked per transaction in the stats and removal phases.
const BATCH: i64 = 100;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SyncVideos {}

/// A sync job: the one in flight, or a new one.
pub struct Requested {
    pub job_id: JobId,
    /// `false`: a sync was already queued or running; this is its job.
    pub queued: bool,
}

fn not_configured() -> Error {
    Error::Conflict(
        "video sync is not configured: no Wistia token (wistia.token / APP_WISTIA__TOKEN)"
            .to_owned(),
    )
}

/// `PATCH /videos/sync`.
pub async fn request(ctx: &Context, actor: &Actor, request_id: Option<&str>) -> Result<Requested> {
    may_manage(actor)?;
    if ctx.wistia.is_none() {
        return Err(not_configured());
    }
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        queue(
            ctx,
            conn,
            Origin {
                user: Some(&actor.user_id),
                request_id,
            },
        )
        .await
    })
    .await
}

/// The scheduler's tick: a sync unless one is in flight; idle without a token.
pub async fn queue_scheduled(ctx: &Context, conn: &mut AsyncPgConnection) -> Result<String> {
    if ctx.wistia.is_none() {
        return Ok("idle: no Wistia token configured".to_owned());
    }
    let requested = queue(ctx, conn, Origin::default()).await?;
    Ok(if requested.queued {
        format!("video sync {} queued", requested.job_id)
    } else {
        format!("video sync {} still in flight", requested.job_id)
    })
}

async fn queue(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    origin: Origin<'_>,
) -> Result<Requested> {
    if let Some(job_id) = video_syncs::lock_in_flight(conn).await? {
        return Ok(Requested {
            job_id,
            queued: false,
        });
    }
    let job_id = jobs::enqueue(ctx, conn, &SyncVideos {}, origin).await?;
    video_syncs::set_in_flight(conn, &job_id).await?;
    Ok(Requested {
        job_id,
        queued: true,
    })
}

impl Job for SyncVideos {
    /// Each attempt resumes where the last one stopped; Wistia being down for a while is
    /// outlasted by the queue's back-off.
    const MAX_ATTEMPTS: Option<u32> = Some(8);
    /// One pass at a time, and one limiter's budget.
    const CONCURRENCY: Option<u16> = Some(1);

    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let Some(wistia) = ctx.wistia.as_ref() else {
            return Err(JobError::Permanent(
                "no Wistia token configured (wistia.token)".to_owned(),
            ));
        };
        let before = wistia.counts();
        let pass = {
            let mut conn = ctx.conn().await?;
            conn.transaction::<_, backbeat_db::DbError, _>(async |conn| {
                video_syncs::open(conn, &job.id).await
            })
            .await?
        };
        tracing::info!(pass = pass.id, phase = %pass.phase, next_page = pass.next_page, "video sync pass");
        let run = Run { ctx, wistia, job };
        let outcome = run.pass(pass).await;
        let after = wistia.counts();
        let requests = json!({
            "requests": after.requests - before.requests,
            "throttled": after.throttled - before.throttled,
            "retries": after.retries - before.retries,
        });
        match outcome {
            Ok(pass) => Ok(json!({
                "pass": pass.id,
                "listed": pass.listed,
                "added": pass.added,
                "changed": pass.changed,
                "unchanged": pass.unchanged,
                "statsRefreshed": pass.stats_refreshed,
                "removed": pass.removed,
                "wistia": requests,
            })),
            Err(Failed::Wistia(error)) => {
                tracing::warn!(%error, wistia = %requests, "video sync stopped; the next attempt resumes");
                Err(match error {
                    backbeat_wistia::Error::Unauthorized(_) => {
                        JobError::Permanent(error.to_string())
                    }
                    _ => JobError::Retry(error.to_string()),
                })
            }
            Err(Failed::Job(error)) => Err(error),
        }
    }
}

enum Failed {
    Wistia(backbeat_wistia::Error),
    Job(JobError),
}

impl<E: Into<JobError>> From<E> for Failed {
    fn from(error: E) -> Self {
        Failed::Job(error.into())
    }
}

struct Run<'a> {
    ctx: &'a Context,
    wistia: &'a Wistia,
    job: &'a JobRun,
}

impl Run<'_> {
    async fn pass(&self, mut pass: Pass) -> Result<Pass, Failed> {
        while pass.phase == "pages" {
            pass = self.page(&pass).await?;
        }
        if pass.phase == "stats" {
            self.stats(&pass).await?;
            pass = self.set_phase(pass.id, "removals").await?;
        }
        if pass.phase == "removals" {
            self.removals(&pass).await?;
            pass = self.set_phase(pass.id, "done").await?;
        }
        let done = pass.listed + pass.stats_refreshed;
        self.job.progress(self.ctx, done, done).await?;
        self.ctx.video_playlist.invalidate().await;
        Ok(pass)
    }

    async fn set_phase(&self, pass: i64, phase: &str) -> Result<Pass, Failed> {
        Ok(video_syncs::set_phase(&mut *self.ctx.conn().await?, pass, phase).await?)
    }

    /// Reads the pass's next page and commits what it changes with the page reached.
    async fn page(&self, pass: &Pass) -> Result<Pass, Failed> {
        let number = u32::try_from(pass.next_page).unwrap_or(1);
        let mut medias = self.wistia.medias(number).await.map_err(Failed::Wistia)?;
        let last = medias.len() < self.wistia.per_page() as usize;
        // A media listed twice on one page (Wistia reordering under us) is written once.
        let mut seen = std::collections::HashSet::new();
        medias.retain(|m| {
            !m.hashed_id.is_empty()
                && !m.hashed_id.contains('\0')
                && seen.insert(m.hashed_id.clone())
        });
        let mut conn = self.ctx.conn().await?;
        let (pass, counts) = conn
            .transaction::<_, backbeat_db::DbError, _>(async |conn| {
                let counts = write_page(conn, pass.id, &medias).await?;
                let next = pass.next_page + 1;
                let pass = video_syncs::page_done(conn, pass.id, next, last, counts).await?;
                Ok((pass, counts))
            })
            .await?;
        drop(conn);
        if counts.added + counts.changed > 0 {
            self.ctx.video_playlist.invalidate().await;
        }
        let total = if last {
            pass.listed
        } else {
            pass.listed + self.wistia.per_page() as i32
        };
        self.job.progress(self.ctx, pass.listed, total).await?;
        tracing::debug!(
            page = number,
            listed = counts.listed,
            added = counts.added,
            changed = counts.changed,
            "video page synced"
        );
        Ok(pass)
    }

    /// Refreshes the plays of ready videos this pass has not refreshed yet, within the budget.
    async fn stats(&self, pass: &Pass) -> Result<(), Failed> {
        let budget = i64::from(self.ctx.settings.videos.stats_per_sync);
        let mut refreshed = i64::from(pass.stats_refreshed);
        while refreshed < budget {
            let due = videos::stats_due(
                &mut *self.ctx.conn().await?,
                pass.started_at,
                BATCH.min(budget - refreshed),
            )
            .await?;
            if due.is_empty() {
                break;
            }
            let checked = self.ask_stats(due).await;
            let mut conn = self.ctx.conn().await?;
            let now = Utc::now();
            let written = conn
                .transaction::<_, backbeat_db::DbError, _>(async |conn| {
                    let mut written = 0;
                    for (id, answer) in &checked {
                        let stats = match answer {
                            Ok(stats) => Some((stats.plays, stats.visitors)),
                            // Gone since it was listed: the removal phase checks it again.
                            Err(backbeat_wistia::Error::NotFound) => {
                                videos::mark_unseen(conn, id).await?;
                                None
                            }
                            Err(_) => continue,
                        };
                        videos::set_stats(conn, id, stats, now).await?;
                        written += i32::from(stats.is_some());
                    }
                    video_syncs::add_stats(conn, pass.id, written).await?;
                    Ok(written)
                })
                .await?;
            refreshed += i64::from(written);
            if let Some(error) = failure(checked) {
                return Err(Failed::Wistia(error));
            }
            // How many remain is not counted: one more batch is what is known to be left.
            let done = pass.listed + i32::try_from(refreshed).unwrap_or(i32::MAX);
            self.job
                .progress(self.ctx, done, done.saturating_add(BATCH as i32))
                .await?;
        }
        Ok(())
    }

    /// After a complete list: videos the pass did not list are removed if Wistia says so.
    async fn removals(&self, pass: &Pass) -> Result<(), Failed> {
        loop {
            let unseen = videos::unseen_since(&mut *self.ctx.conn().await?, pass.id, BATCH).await?;
            if unseen.is_empty() {
                return Ok(());
            }
            let checked = self.ask_stats(unseen).await;
            let mut conn = self.ctx.conn().await?;
            let now = Utc::now();
            conn.transaction::<_, backbeat_db::DbError, _>(async |conn| {
                let mut removed = 0;
                for (id, answer) in &checked {
                    match answer {
                        Err(backbeat_wistia::Error::NotFound) => {
                            if videos::mark_removed(conn, id, now).await? {
                                removed += 1;
                            }
                        }
                        Ok(stats) => {
                            videos::confirm_seen(conn, id, pass.id).await?;
                            videos::set_stats(conn, id, Some((stats.plays, stats.visitors)), now)
                                .await?;
                        }
                        Err(_) => {}
                    }
                }
                video_syncs::add_removed(conn, pass.id, removed).await
            })
            .await?;
            if let Some(error) = failure(checked) {
                return Err(Failed::Wistia(error));
            }
        }
    }

    /// Each video's stats, `wistia.concurrency` requests in flight.
    async fn ask_stats(
        &self,
        videos: Vec<(VideoId, String)>,
    ) -> Vec<(
        VideoId,
        Result<backbeat_wistia::Stats, backbeat_wistia::Error>,
    )> {
        let wistia = self.wistia;
        futures_util::stream::iter(videos)
            .map(|(id, hashed_id)| async move { (id, wistia.stats(&hashed_id).await) })
            .buffer_unordered(self.ctx.settings.wistia.concurrency.max(1))
            .collect()
            .await
    }
}

type Checked = Vec<(
    VideoId,
    Result<backbeat_wistia::Stats, backbeat_wistia::Error>,
)>;

/// What stops a batch once its answers are written: an error other than a 404 (which is an answer:
/// the media is gone).
fn failure(checked: Checked) -> Option<backbeat_wistia::Error> {
    checked
        .into_iter()
        .filter_map(|(_, answer)| answer.err())
        .find(|error| !matches!(error, backbeat_wistia::Error::NotFound))
}

/// Writes one page: new and changed medias with Wistia's tags; the rest only marked as listed.
async fn write_page(
    conn: &mut AsyncPgConnection,
    pass: i64,
    medias: &[Media],
) -> Result<PageCounts, backbeat_db::DbError> {
    let hashed: Vec<&str> = medias.iter().map(|m| m.hashed_id.as_str()).collect();
    let known: HashMap<String, videos::Known> = videos::known(conn, &hashed)
        .await?
        .into_iter()
        .map(|k| (k.hashed_id.clone(), k))
        .collect();
    let mut counts = PageCounts {
        listed: i32::try_from(medias.len()).unwrap_or(i32::MAX),
        ..PageCounts::default()
    };
    let mut writes = Vec::new();
    let mut written = Vec::new();
    for media in medias {
        match known.get(&media.hashed_id) {
            Some(k) if k.wistia_updated_at == media.updated && !k.removed => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.changed += 1,
            None => counts.added += 1,
        }
        writes.push(listed(media, pass));
        written.push(media);
    }
    let ids: HashMap<String, VideoId> = videos::upsert(conn, &writes).await?.into_iter().collect();
    videos::mark_seen(conn, &hashed, pass).await?;
    let names: Vec<&str> = written
        .iter()
        .flat_map(|m| m.tags.iter().map(|t| t.name.as_str()))
        .collect();
    let tag_ids = tags::ensure_wistia(conn, &names).await?;
    for media in written {
        let Some(video) = ids.get(&media.hashed_id) else {
            continue;
        };
        let mut on_video: Vec<TagId> = media
            .tags
            .iter()
            .filter_map(|t| {
                tag_ids
                    .get(&backbeat_domain::video::fold_tag(&t.name))
                    .cloned()
            })
            .collect();
        on_video.sort();
        on_video.dedup();
        videos::replace_tags(conn, video, TagSource::Wistia, &on_video).await?;
    }
    Ok(counts)
}

/// A media as the catalog stores it. Text PostgreSQL cannot hold (NUL) is dropped; a status this
/// version does not know is kept from the public as `processing`.
fn listed(media: &Media, pass: i64) -> Listed {
    let clean = |s: &str| s.replace('\0', "");
    let status = MediaStatus::parse(&media.status).unwrap_or_else(|| {
        tracing::warn!(hashed_id = %media.hashed_id, status = %media.status, "unknown Wistia media status");
        MediaStatus::Processing
    });
    Listed {
        id: VideoId::generate(),
        hashed_id: media.hashed_id.clone(),
        name: clean(&media.name),
        description: clean(media.description.as_deref().unwrap_or_default()),
        duration_seconds: media.duration.filter(|d| d.is_finite() && *d >= 0.0),
        status,
        archived: media.archived,
        thumbnail_url: media.thumbnail.as_ref().map(|t| clean(&t.url)),
        thumbnail_width: media.thumbnail.as_ref().and_then(|t| t.width),
        thumbnail_height: media.thumbnail.as_ref().and_then(|t| t.height),
        project_name: media.project.as_ref().map(|p| clean(&p.name)),
        project_hashed_id: media
            .project
            .as_ref()
            .and_then(|p| p.hashed_id.as_deref().map(clean)),
        wistia_created_at: media.created,
        wistia_updated_at: media.updated,
        seen_pass: pass,
    }
}
