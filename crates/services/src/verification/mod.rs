//! Artist verification: an artist's owner asks for a code ([`request`]), places it on an
//! external profile and asks for a check ([`check`]); a crawl job looks for it ([`crawl`]); an
//! admin reviews what was found ([`review`]). Codes left unfound for their validity expire
//! ([`expire`], a scheduler task).

pub mod crawl;
pub mod review;

use std::time::Duration;

use backbeat_db::AsyncPgConnection;
use backbeat_db::verifications::{self, Verification};
use backbeat_domain::Actor;
use backbeat_domain::ids::{ArtistId, JobId, VerificationId};
use backbeat_domain::verification::{VerificationStatus, new_code};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::jobs::{self, Origin};
use crate::{Context, Error, Result};

/// The longest profile URL accepted.
pub const URL_MAX: usize = 2000;

pub fn not_found() -> Error {
    Error::not_found("verification")
}

/// A profile URL the crawler may be pointed at: absolute `http(s)`, with a host and without
/// credentials. Where its host leads is the crawler's to check, at every fetch.
pub fn profile_url(value: &str) -> Result<String> {
    let invalid = |why: &str| Error::field("profileUrl", why.to_owned());
    if value.len() > URL_MAX {
        return Err(invalid("must be at most 2000 characters"));
    }
    if !backbeat_domain::web::is_web_address(value) {
        return Err(invalid(
            "must be an http(s) URL with a host name, in printable ASCII without spaces or credentials",
        ));
    }
    let url = url::Url::parse(value).map_err(|_| invalid("must be an absolute http(s) URL"))?;
    Ok(url.to_string())
}

/// A new code for the artist, valid `verification.code_valid_hours`; at most
/// `verification.requests_per_artist_per_day` per artist in any 24 hours (then
/// [`Error::RateLimited`], until the oldest of them is a day old).
pub async fn request(
    ctx: &Context,
    actor: &Actor,
    artist: &ArtistId,
    profile_url: String,
) -> Result<Verification> {
    crate::artists::get(ctx, actor, artist).await?;
    let settings = &ctx.settings.verification;
    let now = Utc::now();
    let day = chrono::Duration::hours(24);
    let verification = Verification {
        id: VerificationId::generate(),
        artist_id: artist.clone(),
        requested_by: actor.user_id.clone(),
        profile_url,
        code: new_code(),
        status: VerificationStatus::Pending,
        reason: None,
        checked_at: None,
        review_note: None,
        reviewed_by: None,
        reviewed_at: None,
        expires_at: now + chrono::Duration::hours(settings.code_valid_hours as i64),
        created_at: now,
    };
    let limit = settings.requests_per_artist_per_day as usize;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        verifications::lock_artist(conn, artist).await?;
        let recent = verifications::requested_since(conn, artist, now - day).await?;
        if recent.len() >= limit {
            let frees_at = recent[recent.len() - limit] + day;
            let wait = (frees_at - now).to_std().unwrap_or(Duration::from_secs(1));
            return Err(Error::RateLimited(wait));
        }
        verifications::insert(conn, &verification).await?;
        Ok(())
    })
    .await?;
    Ok(verification)
}

/// The request, for its artist's owner and admins.
pub async fn get(ctx: &Context, actor: &Actor, id: &VerificationId) -> Result<Verification> {
    verifications::find(&mut *ctx.conn().await?, id)
        .await?
        .filter(|(_, owner)| actor.may_act_on(Some(owner)))
        .map(|(verification, _)| verification)
        .ok_or_else(not_found)
}

/// Queues a crawl of the profile: the request is `checking` until it ends.
pub async fn check(
    ctx: &Context,
    actor: &Actor,
    id: &VerificationId,
    request_id: Option<&str>,
) -> Result<JobId> {
    let current = get(ctx, actor, id).await?;
    let now = Utc::now();
    let mut conn = ctx.conn().await?;
    let job = conn
        .transaction::<_, Error, _>(async |conn| {
            if !verifications::start_check(conn, id, now).await? {
                return Ok(None);
            }
            let job = jobs::enqueue(
                ctx,
                conn,
                &crawl::CheckProfile {
                    verification_id: id.clone(),
                },
                Origin {
                    user: Some(&actor.user_id),
                    request_id,
                },
            )
            .await?;
            Ok(Some(job))
        })
        .await?;
    job.ok_or_else(|| Error::Conflict(not_checkable(&current, now)))
}

fn not_checkable(current: &Verification, now: DateTime<Utc>) -> String {
    match current.status {
        _ if current.expires_at <= now && current.status.checkable() => {
            "the code has expired; request a new one".to_owned()
        }
        VerificationStatus::Checking => "a check is already under way".to_owned(),
        VerificationStatus::Expired => "the code has expired; request a new one".to_owned(),
        status => format!("the verification is {status}; there is nothing to check"),
    }
}

/// Codes past their validity become `expired` (the scheduler's task).
pub async fn expire(conn: &mut AsyncPgConnection) -> Result<String> {
    let expired = verifications::expire_due(conn, Utc::now()).await?;
    Ok(format!("{expired} verification codes expired"))
}
