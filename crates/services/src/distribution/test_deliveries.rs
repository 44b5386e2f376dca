//! Test deliveries: onboarding a platform, an admin sends it any ready release as a test
//! (`MessageControlType` TestMessage, a batch flagged `IsTestFlag`) to check that it ingests what
//! backbeat sends before anything goes on sale. A test delivery is a distribution of its own,
//! delivered and acknowledged like any other but never live: the release's distributions, their
//! one-live-per-platform rule and their owner's emails are left alone.

use backbeat_db::distributions::{self, Filter, NewDistribution};
use backbeat_db::{albums, platforms};
use backbeat_domain::Actor;
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::{AlbumId, DistributionId, PlatformId};
use backbeat_domain::paging::{Cursor, Page};
use chrono::Utc;
use diesel_async::AsyncConnection;

use crate::catalog::albums::not_found as album_not_found;
use crate::distribution::{
    Created, DeliverDistribution, WithHistory, delivery_message_id, paged, release,
};
use crate::jobs::{self, Origin};
use crate::{Context, Error, Result};

/// Asked before a body is read, so that nobody but an admin learns its rules.
pub fn admins_only(actor: &Actor) -> Result<()> {
    crate::admin::require_session(actor, "send test deliveries")
}

/// Sends the release to the platform as a test; the platform must be active and in onboarding
/// (a live platform would take a test message for a real one's replacement), the release ready.
pub async fn send(
    ctx: &Context,
    actor: &Actor,
    platform_id: &PlatformId,
    album_id: &AlbumId,
    request_id: &str,
) -> Result<Created> {
    admins_only(actor)?;
    let mut conn = ctx.conn().await?;
    let platform = platforms::find(&mut conn, platform_id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| Error::not_found("platform"))?;
    if !platform.onboarding {
        return Err(Error::Conflict(format!(
            "{} is live: test deliveries go to a platform in onboarding (PATCH it with \
             `onboarding: true`)",
            platform.name
        )));
    }
    let snapshot = release::load(&mut conn, std::slice::from_ref(album_id))
        .await?
        .remove(album_id)
        .ok_or_else(|| Error::field("albumId", "names no album"))?;
    let problems = snapshot.problems();
    if !problems.is_empty() {
        return Err(Error::NotReady(problems));
    }
    let origin = Origin {
        user: Some(&actor.user_id),
        request_id: Some(request_id),
    };
    let now = Utc::now();
    let created = conn
        .transaction::<_, Error, _>(async |conn| {
            albums::lock_shared(conn, album_id)
                .await?
                .ok_or_else(album_not_found)?;
            let id = DistributionId::generate();
            let job_id = jobs::enqueue(
                ctx,
                conn,
                &DeliverDistribution {
                    distribution_id: id.clone(),
                },
                origin,
            )
            .await?;
            let new = NewDistribution {
                message_id: Some(delivery_message_id(&id)),
                message_created_at: Some(now),
                id,
                album_id: album_id.clone(),
                platform_id: platform.id.clone(),
                // The admin's: it is theirs to follow, retry or cancel.
                owner_id: Some(actor.user_id.clone()),
                status: DistributionStatus::Queued,
                release_at: now,
                job_id: Some(job_id.clone()),
                test: true,
            };
            distributions::insert_new(conn, std::slice::from_ref(&new), Some("test delivery"))
                .await?;
            let distribution = distributions::find(conn, &new.id)
                .await?
                .ok_or_else(|| Error::not_found("distribution"))?;
            Ok(Created {
                distribution,
                job_id: Some(job_id),
            })
        })
        .await?;
    tracing::info!(platform = %platform.code, album_id = %album_id, "test delivery queued");
    Ok(created)
}

/// The platform's test deliveries, oldest first, with their history.
pub async fn page(
    ctx: &Context,
    actor: &Actor,
    platform_id: &PlatformId,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<WithHistory>> {
    admins_only(actor)?;
    let mut conn = ctx.conn().await?;
    platforms::find(&mut conn, platform_id)
        .await?
        .ok_or_else(|| Error::not_found("platform"))?;
    paged(
        &mut conn,
        Filter {
            owner: None,
            status: None,
            platform: Some(platform_id),
            test: true,
            after,
            limit,
        },
    )
    .await
}
