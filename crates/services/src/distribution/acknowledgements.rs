//! Hearing back from platforms (DDEX ECHO): the scheduler queues a [`CollectAcknowledgements`]
//! job, which reads every active platform's acknowledgement folder (its drop folder or SFTP
//! server), records each file with what came of it, and moves it into `processed/`.
//!
//! A file is applied whole or not at all, in one transaction with its record: every release
//! status it holds must name a message backbeat sent that platform, about that release (message
//! id and ICPN). A file that is not an acknowledgement, names an unknown message, or repeats one
//! already applied is recorded as a refusal an admin can list, with its content. A worker killed
//! after the record but before the move finds the same file (name and content) recorded and only
//! moves it. A rejection queues one email to the release's owner ([`EmailRejection`]).

use backbeat_db::acknowledgements::{self, NewFile};
use backbeat_db::distribution_messages::{self, Message};
use backbeat_db::distributions::{self, PlatformStatus};
use backbeat_db::platforms::{self, Platform};
use backbeat_db::{AsyncPgConnection, albums, users};
use backbeat_delivery::Inbox;
use backbeat_domain::Actor;
use backbeat_domain::ddex::acknowledgement::{self, Verdict};
use backbeat_domain::ids::{DistributionId, PlatformId};
use backbeat_domain::paging::{NumberCursor, Page};
use backbeat_mail::Email;
use backbeat_mail::templates::PlatformRejection;
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::distribution::release;
use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::mail::send_once;
use crate::{Context, Error, Result};

/// Larger files are refused unread (an acknowledgement is a few kilobytes).
const MAX_BYTES: u64 = 1024 * 1024;

pub const APPLIED: &str = "applied";
pub const REFUSED: &str = "refused";

/// The scheduler's tick: one collection job.
pub async fn queue_collection(ctx: &Context, conn: &mut AsyncPgConnection) -> Result<String> {
    let job = jobs::enqueue(ctx, conn, &CollectAcknowledgements {}, Origin::default()).await?;
    Ok(format!("acknowledgement collection {job} queued"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CollectAcknowledgements {}

/// What came of one file.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub applied: usize,
    pub refused: usize,
    /// Recorded by an earlier run that did not get to move it.
    pub seen: usize,
}

impl Job for CollectAcknowledgements {
    const CONCURRENCY: Option<u16> = Some(1);

    async fn run(self, ctx: &Context, _job: &JobRun) -> std::result::Result<Value, JobError> {
        let active: Vec<Platform> = platforms::all(&mut *ctx.conn().await?)
            .await?
            .into_iter()
            .filter(|p| p.active)
            .collect();
        let mut total = Tally::default();
        let mut unreachable = Vec::new();
        for platform in &active {
            match collect(ctx, platform).await {
                Ok(tally) => {
                    total.applied += tally.applied;
                    total.refused += tally.refused;
                    total.seen += tally.seen;
                }
                // One platform's server being down does not hold up the others.
                Err(CollectError::Delivery(error)) => {
                    tracing::warn!(platform = %platform.code, %error, "cannot read acknowledgements");
                    unreachable.push(json!({"platform": platform.code, "error": error}));
                }
                Err(CollectError::Job(error)) => return Err(error),
            }
        }
        Ok(json!({
            "platforms": active.len(),
            "applied": total.applied,
            "refused": total.refused,
            "alreadyRecorded": total.seen,
            "unreachable": unreachable,
        }))
    }
}

pub enum CollectError {
    Delivery(String),
    Job(JobError),
}

impl From<JobError> for CollectError {
    fn from(error: JobError) -> Self {
        CollectError::Job(error)
    }
}

impl From<backbeat_delivery::DeliveryError> for CollectError {
    fn from(error: backbeat_delivery::DeliveryError) -> Self {
        CollectError::Delivery(error.to_string())
    }
}

/// Reads one platform's acknowledgement folder.
pub async fn collect(
    ctx: &Context,
    platform: &Platform,
) -> std::result::Result<Tally, CollectError> {
    let delivery = release::delivery(ctx, platform, None);
    let mut inbox = delivery.inbox(&platform.acknowledgement_folder).await?;
    let read = read_all(ctx, platform, &mut *inbox).await;
    inbox.close().await;
    read
}

async fn read_all(
    ctx: &Context,
    platform: &Platform,
    inbox: &mut dyn Inbox,
) -> std::result::Result<Tally, CollectError> {
    let mut tally = Tally::default();
    for name in inbox.files().await? {
        let bytes = inbox.read(&name, MAX_BYTES).await?;
        match take(ctx, platform, &name, &bytes).await? {
            Taken::Applied => tally.applied += 1,
            Taken::Refused => tally.refused += 1,
            Taken::Seen => tally.seen += 1,
        }
        inbox.archive(&name).await?;
    }
    Ok(tally)
}

enum Taken {
    Applied,
    Refused,
    Seen,
}

/// One status to record, from one release status of the file.
struct Update {
    message: Message,
    verdict: Verdict,
    error_code: Option<String>,
    error: Option<String>,
}

/// Records the file and applies it, or records why not.
async fn take(
    ctx: &Context,
    platform: &Platform,
    name: &str,
    bytes: &[u8],
) -> std::result::Result<Taken, JobError> {
    let sha256: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = Utc::now();
    let taken = ctx
        .conn()
        .await?
        .transaction::<_, Error, _>(async |conn| {
            acknowledgements::lock_platform(conn, &platform.id).await?;
            if acknowledgements::seen(conn, &platform.id, name, &sha256).await? {
                return Ok(Taken::Seen);
            }
            let mut file = NewFile {
                platform_id: &platform.id,
                name,
                sha256: &sha256,
                content: bytes,
                message_id: None,
                outcome: REFUSED,
                code: None,
                reason: None,
                releases: 0,
            };
            if bytes.len() as u64 > MAX_BYTES {
                let reason = format!("the file is larger than {MAX_BYTES} bytes");
                file.content = &bytes[..usize::try_from(MAX_BYTES).unwrap_or(bytes.len())];
                return refuse(conn, file, "TOO_LARGE", &reason).await;
            }
            let message = match acknowledgement::parse(bytes) {
                Ok(message) => message,
                Err(error) => return refuse(conn, file, "MALFORMED", &error.to_string()).await,
            };
            file.message_id = Some(&message.message_id);
            file.releases = i32::try_from(message.releases.len()).unwrap_or(i32::MAX);
            if acknowledgements::applied(conn, &platform.id, &message.message_id).await? {
                let reason = format!(
                    "acknowledgement {} was applied before, from another file",
                    message.message_id
                );
                return refuse(conn, file, "DUPLICATE", &reason).await;
            }
            let (updates, unknown) = match_messages(conn, platform, &message).await?;
            if !unknown.is_empty() {
                return refuse(conn, file, "UNKNOWN_MESSAGE", &unknown.join("; ")).await;
            }
            for update in &updates {
                distributions::record_platform_status(
                    conn,
                    &update.message.distribution_id,
                    &PlatformStatus {
                        status: update.verdict.as_str(),
                        at: now,
                        error_code: update.error_code.as_deref(),
                        error: update.error.as_deref(),
                        file: name,
                    },
                )
                .await?;
                // A test message's rejection is for the admin onboarding the platform, who
                // sees it in the platform's test deliveries; the release's owner never asked.
                if update.verdict == Verdict::Rejected && !update.message.test {
                    jobs::enqueue(
                        ctx,
                        conn,
                        &EmailRejection {
                            distribution_id: update.message.distribution_id.clone(),
                            message_id: update.message.message_id.clone(),
                        },
                        Origin::default(),
                    )
                    .await?;
                }
            }
            file.outcome = APPLIED;
            acknowledgements::insert(conn, &file).await?;
            Ok(Taken::Applied)
        })
        .await?;
    if let Taken::Refused = taken {
        tracing::warn!(platform = %platform.code, file = name, "acknowledgement refused");
    }
    Ok(taken)
}

async fn refuse(
    conn: &mut AsyncPgConnection,
    mut file: NewFile<'_>,
    code: &str,
    reason: &str,
) -> Result<Taken> {
    file.outcome = REFUSED;
    file.code = Some(code);
    file.reason = Some(reason);
    acknowledgements::insert(conn, &file).await?;
    Ok(Taken::Refused)
}

/// Each message the file acknowledges, found among those sent to this platform about the
/// release it names; the problems with those that are not.
async fn match_messages(
    conn: &mut AsyncPgConnection,
    platform: &Platform,
    message: &acknowledgement::AcknowledgementMessage,
) -> Result<(Vec<Update>, Vec<String>)> {
    let mut updates = Vec::new();
    let mut unknown = Vec::new();
    for release in &message.releases {
        if release.acknowledgements.is_empty() {
            unknown.push(format!(
                "release {} names no message it acknowledges",
                release.release_id
            ));
        }
        for ack in &release.acknowledgements {
            let found = distribution_messages::find(conn, &ack.message_id)
                .await?
                .filter(|m| m.platform_id == platform.id);
            match found {
                None => unknown.push(format!(
                    "message {} was not sent to {}",
                    ack.message_id, platform.name
                )),
                Some(m) if m.release_icpn != release.release_id => unknown.push(format!(
                    "message {} is about release {}, not {}",
                    ack.message_id, m.release_icpn, release.release_id
                )),
                Some(m) => {
                    let verdict = release.verdict_for(ack);
                    let rejected = verdict == Verdict::Rejected;
                    updates.push(Update {
                        message: m,
                        verdict,
                        error_code: rejected.then(|| release.error_code(ack)),
                        error: if rejected {
                            release.error_message(ack)
                        } else {
                            None
                        },
                    });
                }
            }
        }
    }
    Ok((updates, unknown))
}

/// Emails the release's owner that a platform rejected it: once per rejected message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailRejection {
    pub distribution_id: DistributionId,
    pub message_id: String,
}

impl Job for EmailRejection {
    async fn run(self, ctx: &Context, _job: &JobRun) -> std::result::Result<Value, JobError> {
        let mut conn = ctx.conn().await?;
        let distribution = distributions::find(&mut conn, &self.distribution_id)
            .await?
            .ok_or_else(|| JobError::Permanent("the distribution no longer exists".to_owned()))?;
        let recipient = match &distribution.owner_id {
            Some(owner) => users::email_of(&mut conn, owner).await?,
            None => None,
        };
        let Some(recipient) = recipient else {
            return Ok(json!({"sent": false, "reason": "the owner has no email address"}));
        };
        let platform = platforms::find(&mut conn, &distribution.platform_id)
            .await?
            .map_or_else(|| distribution.platform_id.to_string(), |p| p.name);
        let (title, upc) = albums::titles(&mut conn, std::slice::from_ref(&distribution.album_id))
            .await?
            .pop()
            .map(|(_, title, upc)| (title, upc.unwrap_or_default()))
            .unwrap_or_default();
        drop(conn);
        let rendered = PlatformRejection {
            release: &title,
            upc: &upc,
            platform: &platform,
            error_code: distribution
                .platform_error_code
                .as_deref()
                .unwrap_or("Rejected"),
            error: distribution.platform_error.as_deref(),
            distribution_id: distribution.id.as_str(),
        }
        .render();
        let email = Email::new(
            &recipient,
            rendered,
            format!("platform-rejection.{}", self.message_id),
        );
        let message_id = send_once(ctx, email).await?;
        Ok(json!({"sent": true, "recipient": recipient, "messageId": message_id}))
    }
}

/// Acknowledgement files as an admin lists them, newest first.
pub async fn page(
    ctx: &Context,
    actor: &Actor,
    outcome: Option<&str>,
    platform: Option<&PlatformId>,
    after: Option<NumberCursor>,
    limit: i64,
) -> Result<Page<acknowledgements::File, NumberCursor>> {
    crate::admin::require_session(actor, "list acknowledgement files")?;
    let rows = acknowledgements::page(
        &mut *ctx.conn().await?,
        &acknowledgements::Filter {
            outcome,
            platform,
            after: after.map(|c| c.0),
            limit: limit + 1,
        },
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |file| NumberCursor(file.id)))
}
