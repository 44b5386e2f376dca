//! Admins' review of profiles where the code was found: approval verifies the artist and emails
//! its owner; both decisions are in the audit log.

use backbeat_db::verifications::{self, Verification};
use backbeat_db::{artists, users};
use backbeat_domain::Actor;
use backbeat_domain::ids::VerificationId;
use backbeat_domain::paging::{Cursor, Page};
use backbeat_domain::verification::VerificationStatus;
use backbeat_mail::Email;
use backbeat_mail::templates::ArtistVerified;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::{self, Target};
use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::mail::send_once;
use crate::verification::not_found;
use crate::{Context, Error, Result};

/// Requests in a status, oldest first (the review queue is `pending_review`).
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    status: Option<VerificationStatus>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Verification>> {
    crate::admin::require_session(actor, "review verifications")?;
    let rows = verifications::by_status(&mut *ctx.conn().await?, status, after, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |v| Cursor {
        at: v.created_at,
        id: v.id.to_string(),
    }))
}

/// Approves (`true`) or rejects a request awaiting review, and returns it as it now is.
pub async fn decide(
    ctx: &Context,
    actor: &Actor,
    id: &VerificationId,
    approve: bool,
    note: Option<&str>,
    request_id: Option<&str>,
) -> Result<Verification> {
    crate::admin::require_session(actor, "review verifications")?;
    let decision = if approve {
        VerificationStatus::Approved
    } else {
        VerificationStatus::Rejected
    };
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let (before, _) = verifications::find(conn, id).await?.ok_or_else(not_found)?;
        if !verifications::review(conn, id, decision, note, &actor.user_id).await? {
            return Err(Error::Conflict(format!(
                "the verification is {}; only one awaiting review (pending_review) can be decided",
                before.status
            )));
        }
        if approve {
            verifications::mark_artist_verified(conn, &before.artist_id).await?;
            jobs::enqueue(
                ctx,
                conn,
                &EmailApproval {
                    verification_id: id.clone(),
                },
                Origin {
                    user: Some(&actor.user_id),
                    request_id,
                },
            )
            .await?;
        }
        let (after, _) = verifications::find(conn, id).await?.ok_or_else(not_found)?;
        audit::record(
            conn,
            actor.user_id.as_str(),
            if approve {
                "verification.approve"
            } else {
                "verification.reject"
            },
            Target {
                kind: "verification",
                id: id.as_str(),
            },
            Some(json!({"status": before.status, "artistId": before.artist_id})),
            Some(json!({"status": after.status, "note": note, "artistId": after.artist_id})),
        )
        .await?;
        Ok(after)
    })
    .await
}

/// Emails the artist's owner that the artist is verified.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmailApproval {
    pub verification_id: VerificationId,
}

impl Job for EmailApproval {
    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let mut conn = ctx.conn().await?;
        let Some((verification, owner)) =
            verifications::find(&mut conn, &self.verification_id).await?
        else {
            return Ok(json!({"skipped": "the verification no longer exists"}));
        };
        let Some(artist) = artists::find(&mut conn, &verification.artist_id).await? else {
            return Ok(json!({"skipped": "the artist no longer exists"}));
        };
        let Some(recipient) = users::email_of(&mut conn, &owner).await? else {
            return Ok(json!({"skipped": "the artist's owner has no email address"}));
        };
        drop(conn);
        let rendered = ArtistVerified {
            artist_name: &artist.name,
            profile_url: &verification.profile_url,
            note: verification.review_note.as_deref(),
        }
        .render();
        let email = Email::new(
            &recipient,
            rendered,
            format!("verification-approved.{}", verification.id),
        );
        let message_id = send_once(ctx, email).await?;
        job.progress(ctx, 1, 1).await?;
        Ok(json!({"recipient": recipient, "messageId": message_id}))
    }
}
