//! Distribution: delivering releases to streaming platforms. A distribution is one release to
//! one platform; it is created here (checked ready, one live per platform), delivered by the
//! [`delivery`] job (now, or when the scheduler finds it due: [`due`]), cancelled before
//! delivery or taken down after ([`takedown`]), retried after a failure; [`bulk`] does all of
//! it for many releases and platforms at once.

pub mod acknowledgements;
pub mod bulk;
pub mod delivery;
pub mod due;
pub mod platforms;
pub mod readiness;
pub mod release;
pub mod send;
pub mod takedown;
pub mod test_deliveries;
pub mod updates;

use backbeat_db::distributions::{
    self, Change, Distribution, Event, Filter, LIVE_EXISTS, NewDistribution,
};
use backbeat_db::{AsyncPgConnection, albums};
use backbeat_domain::Actor;
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::{AlbumId, DistributionId, JobId, PlatformId};
use backbeat_domain::paging::{Cursor, Page};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::catalog::albums::{not_found as album_not_found, writable};
use crate::jobs::{self, Origin};
use crate::{Context, Error, Result};

pub use delivery::DeliverDistribution;

/// A distribution with its history, as clients see it.
pub struct WithHistory {
    pub distribution: Distribution,
    pub history: Vec<Event>,
}

/// A distribution's messages are numbered: the first delivers it, the second (kept for it, so
/// that a takedown job run again sends the same message) takes it down, and updates go on from
/// [`FIRST_UPDATE`]. The number is in the message id and so in the package's name.
pub fn message_id(id: &DistributionId, sequence: u32) -> String {
    format!("{id}.{sequence}")
}

pub const FIRST_UPDATE: u32 = 3;

pub fn delivery_message_id(id: &DistributionId) -> String {
    message_id(id, 1)
}

pub fn takedown_message_id(id: &DistributionId) -> String {
    message_id(id, 2)
}

fn not_found() -> Error {
    Error::not_found("distribution")
}

/// The new distribution and the job delivering it (`None` while scheduled).
pub struct Created {
    pub distribution: Distribution,
    pub job_id: Option<JobId>,
}

/// Distributes a release the actor may change to the platforms: all of them or none. A release
/// that is not ready is refused with its problems; a platform that already has a live
/// distribution of it is a conflict. A `release_at` in the future keeps the distributions
/// scheduled until then.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    album_id: &AlbumId,
    platform_ids: &[PlatformId],
    release_at: Option<DateTime<Utc>>,
    request_id: &str,
) -> Result<Vec<Created>> {
    let mut conn = ctx.conn().await?;
    let album = writable(ctx, &mut conn, Some(actor), album_id).await?;
    let platforms = platforms::active(ctx, platform_ids, "platformIds").await?;
    let snapshot = release::load(&mut conn, std::slice::from_ref(album_id))
        .await?
        .remove(album_id)
        .ok_or_else(album_not_found)?;
    let problems = snapshot.problems();
    if !problems.is_empty() {
        return Err(Error::NotReady(problems));
    }
    let now = Utc::now();
    let release_at = release_at.unwrap_or(now);
    let status = if release_at > now {
        DistributionStatus::Scheduled
    } else {
        DistributionStatus::Queued
    };
    let origin = Origin {
        user: Some(&actor.user_id),
        request_id: Some(request_id),
    };
    let created = conn
        .transaction::<_, Error, _>(async |conn| {
            // No deletion of the album while its distributions are created.
            albums::lock_shared(conn, album_id)
                .await?
                .ok_or_else(album_not_found)?;
            let live = distributions::live_to(conn, album_id, platform_ids).await?;
            if !live.is_empty() {
                return Err(already_live(&live, &platforms));
            }
            let mut created = Vec::with_capacity(platforms.len());
            for platform in &platforms {
                let id = DistributionId::generate();
                let job_id = match status {
                    DistributionStatus::Queued => Some(
                        jobs::enqueue(
                            ctx,
                            conn,
                            &DeliverDistribution {
                                distribution_id: id.clone(),
                            },
                            origin,
                        )
                        .await?,
                    ),
                    _ => None,
                };
                let new = NewDistribution {
                    message_id: Some(delivery_message_id(&id)),
                    message_created_at: job_id.as_ref().map(|_| now),
                    id,
                    album_id: album_id.clone(),
                    platform_id: platform.id.clone(),
                    owner_id: album.owner_id.clone(),
                    status,
                    release_at,
                    job_id: job_id.clone(),
                    test: false,
                };
                match distributions::insert_new(conn, std::slice::from_ref(&new), None).await {
                    Ok(ids) if ids.len() == 1 => {}
                    // A concurrent request distributed it to this platform a moment ago.
                    Ok(_) => {
                        return Err(Error::Conflict(format!(
                            "the release already has a live distribution to {}",
                            platform.name
                        )));
                    }
                    Err(e) if e.is_unique_violation(LIVE_EXISTS) => {
                        return Err(Error::Conflict(format!(
                            "the release already has a live distribution to {}",
                            platform.name
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
                let distribution = distributions::find(conn, &new.id)
                    .await?
                    .ok_or_else(not_found)?;
                created.push(Created {
                    distribution,
                    job_id,
                });
            }
            Ok(created)
        })
        .await?;
    tracing::info!(album_id = %album_id, platforms = created.len(), %status, "distributions created");
    Ok(created)
}

fn already_live(live: &[Distribution], platforms: &[backbeat_db::platforms::Platform]) -> Error {
    let names: Vec<String> = live
        .iter()
        .map(|d| {
            platforms
                .iter()
                .find(|p| p.id == d.platform_id)
                .map_or_else(
                    || d.platform_id.to_string(),
                    |p| format!("{} ({})", p.name, d.id),
                )
        })
        .collect();
    Error::Conflict(format!(
        "the release already has a live distribution to {}",
        names.join(", ")
    ))
}

async fn with_history(
    conn: &mut AsyncPgConnection,
    list: Vec<Distribution>,
) -> Result<Vec<WithHistory>> {
    let ids: Vec<DistributionId> = list.iter().map(|d| d.id.clone()).collect();
    let mut events = distributions::events_of(conn, &ids).await?;
    Ok(list
        .into_iter()
        .map(|distribution| {
            let (mine, rest): (Vec<Event>, Vec<Event>) = events
                .drain(..)
                .partition(|e| e.distribution_id == distribution.id);
            events = rest;
            WithHistory {
                distribution,
                history: mine,
            }
        })
        .collect())
}

/// Every distribution of a release the actor may change, with its history.
pub async fn of_album(
    ctx: &Context,
    actor: &Actor,
    album_id: &AlbumId,
) -> Result<Vec<WithHistory>> {
    let mut conn = ctx.conn().await?;
    writable(ctx, &mut conn, Some(actor), album_id).await?;
    let list = distributions::of_album(&mut conn, album_id).await?;
    with_history(&mut conn, list).await
}

/// The actor's distributions (everyone's for an admin), filtered, a page at a time.
pub async fn page(
    ctx: &Context,
    actor: &Actor,
    status: Option<DistributionStatus>,
    platform: Option<&PlatformId>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<WithHistory>> {
    paged(
        &mut *ctx.conn().await?,
        Filter {
            owner: (!actor.role.is_admin()).then_some(&actor.user_id),
            status,
            platform,
            test: false,
            after,
            limit,
        },
    )
    .await
}

/// A page of the distributions `filter` picks (`limit` rows), with their history.
pub(crate) async fn paged(
    conn: &mut AsyncPgConnection,
    mut filter: Filter<'_>,
) -> Result<Page<WithHistory>> {
    let limit = filter.limit;
    filter.limit = limit + 1;
    let rows = distributions::page(conn, &filter).await?;
    let page = Page::from_rows(rows, limit, |d| Cursor {
        at: d.created_at,
        id: d.id.to_string(),
    });
    Ok(Page {
        items: with_history(conn, page.items).await?,
        next: page.next,
    })
}

/// The distribution, when it is the actor's (or the actor is an admin); not found otherwise.
async fn owned(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: &DistributionId,
) -> Result<Distribution> {
    distributions::find(conn, id)
        .await?
        .filter(|d| actor.may_act_on(d.owner_id.as_ref()))
        .ok_or_else(not_found)
}

pub async fn get(ctx: &Context, actor: &Actor, id: &DistributionId) -> Result<WithHistory> {
    let mut conn = ctx.conn().await?;
    let distribution = owned(&mut conn, actor, id).await?;
    Ok(with_history(&mut conn, vec![distribution]).await?.remove(0))
}

/// What `DELETE /distributions/{id}` did.
pub enum Withdrawn {
    /// It had not been delivered: it never will be.
    Cancelled(WithHistory),
    /// It had been delivered: this job sends the takedown.
    TakingDown(WithHistory, JobId),
}

/// Cancels a distribution not delivered yet, or starts the takedown of a delivered one (asking
/// twice gives the same takedown job).
pub async fn withdraw(
    ctx: &Context,
    actor: &Actor,
    id: &DistributionId,
    request_id: &str,
) -> Result<Withdrawn> {
    use DistributionStatus::*;
    let mut conn = ctx.conn().await?;
    let distribution = owned(&mut conn, actor, id).await?;
    let outcome = conn
        .transaction::<_, Error, _>(async |conn| match distribution.status {
            Scheduled | Queued | Failed => {
                let moved = distributions::transition(
                    conn,
                    std::slice::from_ref(id),
                    &[Scheduled, Queued, Failed],
                    Cancelled,
                    &Change::default(),
                    Some("cancelled by its owner"),
                )
                .await?;
                if moved.is_empty() {
                    return Err(Error::Conflict(
                        "the distribution changed meanwhile; try again".to_owned(),
                    ));
                }
                Ok(None)
            }
            Delivered if distribution.takedown_at.is_some() => Ok(distribution.job_id.clone()),
            Delivered => {
                let job = jobs::enqueue(
                    ctx,
                    conn,
                    &takedown::TakeDown {
                        distribution_id: id.clone(),
                    },
                    Origin {
                        user: Some(&actor.user_id),
                        request_id: Some(request_id),
                    },
                )
                .await?;
                if !distributions::request_takedown(conn, id, &job).await? {
                    return Err(Error::Conflict(
                        "the distribution changed meanwhile; try again".to_owned(),
                    ));
                }
                Ok(Some(job))
            }
            Delivering => Err(Error::Conflict(
                "the release is being delivered; take it down once it is delivered".to_owned(),
            )),
            TakenDown => Err(Error::Conflict(
                "the distribution was already taken down".to_owned(),
            )),
            Cancelled => Err(Error::Conflict(
                "the distribution was already cancelled".to_owned(),
            )),
        })
        .await?;
    let current = owned(&mut conn, actor, id).await?;
    let current = with_history(&mut conn, vec![current]).await?.remove(0);
    Ok(match outcome {
        None => Withdrawn::Cancelled(current),
        Some(job) => Withdrawn::TakingDown(current, job),
    })
}

/// Queues a failed distribution again, with a new delivery job.
pub async fn retry(
    ctx: &Context,
    actor: &Actor,
    id: &DistributionId,
    request_id: &str,
) -> Result<(WithHistory, JobId)> {
    let mut conn = ctx.conn().await?;
    let distribution = owned(&mut conn, actor, id).await?;
    if distribution.status != DistributionStatus::Failed {
        return Err(Error::Conflict(format!(
            "only a failed distribution can be retried; this one is {}",
            distribution.status
        )));
    }
    conn.transaction::<_, Error, _>(async |conn| {
        let job = jobs::enqueue(
            ctx,
            conn,
            &DeliverDistribution {
                distribution_id: id.clone(),
            },
            Origin {
                user: Some(&actor.user_id),
                request_id: Some(request_id),
            },
        )
        .await?;
        let moved = distributions::transition(
            conn,
            std::slice::from_ref(id),
            &[DistributionStatus::Failed],
            DistributionStatus::Queued,
            &Change {
                error: Some(None),
                job_id: Some(Some(job.clone())),
                message_created_at: Some(Some(Utc::now())),
                ..Change::default()
            },
            Some("retried by its owner"),
        )
        .await?;
        if moved.is_empty() {
            return Err(Error::Conflict(
                "the distribution changed meanwhile; try again".to_owned(),
            ));
        }
        // Read before the commit: once it commits, a worker may already be delivering it,
        // and the answer is what the retry did.
        let current = owned(conn, actor, id).await?;
        let current = with_history(conn, vec![current]).await?.remove(0);
        Ok((current, job))
    })
    .await
}
