//! Metadata updates: a change to a delivered release (its title, artists, genre, dates,
//! territories, artwork, a track's audio) is sent again to every platform where it is live, as
//! the same release under a new message id (`{distribution}.{n}`, the next number, which the
//! package's name carries too) and `ReDelivery` in a batch's manifest.
//!
//! What each message said is kept as a checksum of the message without its header: a release
//! whose message would say what the last one said is not sent again, so an edit that changes
//! nothing a platform sees (or a job run twice) sends nothing. A release that a change made not
//! ready is not sent, and each of its distributions' history says why.

use std::collections::BTreeMap;

use backbeat_db::distribution_messages::{self, Message};
use backbeat_db::distributions::{self, Distribution};
use backbeat_db::platforms::{self, Platform};
use backbeat_db::{AsyncPgConnection, albums};
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::{AlbumId, JobId, PlatformId};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::distribution::delivery::{Failure, Purpose, outgoing};
use crate::distribution::release::{self, Snapshot};
use crate::distribution::send::{Outgoing, send};
use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::{Context, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendUpdates {
    pub album_id: AlbumId,
}

/// Queues the update job after a change to the album's release, when it is (or is about to be)
/// live anywhere. Call in the change's transaction, so that both commit or neither does.
pub async fn queue(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    album_id: &AlbumId,
    origin: Origin<'_>,
) -> Result<Option<JobId>> {
    if !distributions::has_live(conn, album_id).await? {
        return Ok(None);
    }
    let job = SendUpdates {
        album_id: album_id.clone(),
    };
    Ok(Some(jobs::enqueue(ctx, conn, &job, origin).await?))
}

/// [`queue`] for each album named (a song moved between two has two), once each.
pub async fn queue_each(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    albums: &[Option<&AlbumId>],
) -> Result<()> {
    let mut seen: Vec<&AlbumId> = Vec::new();
    for album in albums.iter().flatten() {
        if !seen.contains(album) {
            seen.push(album);
            queue(ctx, conn, album, Origin::default()).await?;
        }
    }
    Ok(())
}

/// The number in a message id (`{distribution}.{n}`).
fn sequence(message_id: &str) -> u32 {
    message_id
        .rsplit_once('.')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// What to do for one distribution.
enum Plan {
    Unchanged,
    Refused(String),
    Send(Purpose, Option<String>),
}

/// Compares what the release says now with the distribution's last message: nothing to send,
/// a refusal, or the update to send (an earlier run's, unsent, when it says the same; a
/// superseded unsent one is named, to leave its batch).
fn plan(current: &Outgoing, messages: &[Message]) -> Plan {
    let last = messages.iter().rev().find(|m| m.kind != "takedown");
    if let Some(last) = last
        && last.release_icpn != current.icpn
    {
        return Plan::Refused(format!(
            "update not sent: the release was delivered as UPC {}, and a platform knows a \
             release by its UPC: take it down and distribute it as a new release",
            last.release_icpn
        ));
    }
    let same = last.is_some_and(|m| m.content_sha256.as_deref() == Some(&current.content_sha256));
    match last {
        Some(last) if same && last.delivered_at.is_some() => Plan::Unchanged,
        Some(last) if same && last.kind == "update" => Plan::Send(
            Purpose::Update {
                sequence: sequence(&last.message_id),
                created_at: last.created_at,
            },
            None,
        ),
        _ => {
            let superseded = last
                .filter(|m| m.kind == "update" && m.delivered_at.is_none())
                .map(|m| m.message_id.clone());
            let next = messages
                .iter()
                .map(|m| sequence(&m.message_id) + 1)
                .max()
                .unwrap_or(0)
                .max(super::FIRST_UPDATE);
            Plan::Send(
                Purpose::Update {
                    sequence: next,
                    created_at: Utc::now(),
                },
                superseded,
            )
        }
    }
}

impl Job for SendUpdates {
    async fn run(self, ctx: &Context, job: &JobRun) -> std::result::Result<Value, JobError> {
        let album_id = &self.album_id;
        let mut conn = ctx.conn().await?;
        if albums::find(&mut conn, album_id).await?.is_none() {
            return Ok(json!({"albumId": album_id, "skipped": true}));
        }
        let distributions = distributions::of_album(&mut conn, album_id).await?;
        // A delivery in flight may carry the release as it was: the update follows it.
        let pending = distributions
            .iter()
            .filter(|d| {
                matches!(
                    d.status,
                    DistributionStatus::Queued | DistributionStatus::Delivering
                )
            })
            .count();
        if pending > 0 {
            return Err(JobError::Retry(format!(
                "{pending} deliveries of the release are in flight; the update follows them"
            )));
        }
        // Delivered and still live (no takedown asked for); test deliveries are not listed.
        let targets: Vec<Distribution> = distributions
            .into_iter()
            .filter(|d| d.status == DistributionStatus::Delivered && d.takedown_at.is_none())
            .collect();
        if targets.is_empty() {
            return Ok(json!({"albumId": album_id, "sent": 0}));
        }
        let snapshot: Snapshot = release::load(&mut conn, std::slice::from_ref(album_id))
            .await?
            .remove(album_id)
            .ok_or_else(|| JobError::Permanent("the release no longer exists".to_owned()))?;
        let ids: Vec<PlatformId> = targets.iter().map(|d| d.platform_id.clone()).collect();
        let platforms: BTreeMap<PlatformId, Platform> = platforms::find_many(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();

        let mut refused: Vec<(Distribution, String)> = Vec::new();
        let mut unchanged = 0;
        let mut to_send: BTreeMap<PlatformId, Vec<(Distribution, Outgoing)>> = BTreeMap::new();
        for distribution in targets {
            let Some(platform) = platforms.get(&distribution.platform_id) else {
                continue;
            };
            let current = match outgoing(ctx, &distribution, &snapshot, platform, Purpose::Delivery)
            {
                Ok(current) => current,
                Err(failure @ Failure::NotReady(_)) => {
                    let note = format!("update not sent: {}", failure.message());
                    refused.push((distribution, note));
                    continue;
                }
                Err(failure) => return Err(JobError::Permanent(failure.message())),
            };
            let messages =
                distribution_messages::of_distribution(&mut conn, &distribution.id).await?;
            match plan(&current, &messages) {
                Plan::Unchanged => unchanged += 1,
                Plan::Refused(note) => refused.push((distribution, note)),
                Plan::Send(purpose, superseded) => {
                    if let Some(old) = superseded {
                        distribution_messages::leave_batch(&mut conn, &[old.as_str()]).await?;
                    }
                    let message = outgoing(ctx, &distribution, &snapshot, platform, purpose)
                        .map_err(|f| JobError::Permanent(f.message()))?;
                    to_send
                        .entry(platform.id.clone())
                        .or_default()
                        .push((distribution, message));
                }
            }
        }
        for (distribution, note) in &refused {
            distributions::note(
                &mut conn,
                std::slice::from_ref(&distribution.id),
                DistributionStatus::Delivered,
                note,
            )
            .await?;
        }
        drop(conn);

        let mut sent = Vec::new();
        let mut failed = Vec::new();
        let mut waiting = Vec::new();
        for (platform_id, batch) in to_send {
            let platform = &platforms[&platform_id];
            let (targets, messages): (Vec<Distribution>, Vec<Outgoing>) = batch.into_iter().unzip();
            let message_ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
            let outcomes = send(ctx, platform, messages, None, job.is_last_attempt()).await?;
            let mut conn = ctx.conn().await?;
            for ((distribution, message_id), outcome) in
                targets.iter().zip(message_ids).zip(outcomes)
            {
                let note = match &outcome {
                    Ok(_) => {
                        sent.push(message_id.clone());
                        format!("update {message_id} sent to {}", platform.name)
                    }
                    Err(error) if error.is_permanent() || job.is_last_attempt() => {
                        failed.push(message_id.clone());
                        format!("update {message_id} not delivered: {error}")
                    }
                    Err(error) => {
                        waiting.push(format!("{message_id}: {error}"));
                        continue;
                    }
                };
                distributions::note(
                    &mut conn,
                    std::slice::from_ref(&distribution.id),
                    DistributionStatus::Delivered,
                    &note,
                )
                .await?;
            }
        }
        if !waiting.is_empty() {
            return Err(JobError::Retry(waiting.join("; ")));
        }
        Ok(json!({
            "albumId": album_id,
            "sent": sent,
            "unchanged": unchanged,
            "failed": failed,
            "refused": refused.iter().map(|(d, note)| json!({"distributionId": d.id, "reason": note})).collect::<Vec<_>>(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backbeat_delivery::Package;
    use backbeat_domain::ids::DistributionId;

    fn current(content: &str, icpn: &str) -> Outgoing {
        Outgoing {
            distribution_id: DistributionId::generate(),
            kind: crate::distribution::send::Kind::New,
            message_id: "d.1".to_owned(),
            icpn: icpn.to_owned(),
            package: Package::new("p"),
            content_sha256: content.to_owned(),
            test: false,
            created_at: Utc::now(),
        }
    }

    fn sent(id: &str, kind: &str, content: Option<&str>, delivered: bool) -> Message {
        Message {
            message_id: id.to_owned(),
            distribution_id: DistributionId::generate(),
            platform_id: PlatformId::generate(),
            kind: kind.to_owned(),
            package: format!("0000000000017_{id}"),
            release_icpn: "0000000000017".to_owned(),
            xml_path: "0000000000017.xml".to_owned(),
            xml_sha256: String::new(),
            batch_id: None,
            created_at: Utc::now(),
            delivered_at: delivered.then(Utc::now),
            content_sha256: content.map(str::to_owned),
            test: false,
        }
    }

    fn next(plan: Plan) -> (u32, Option<String>) {
        match plan {
            Plan::Send(Purpose::Update { sequence, .. }, superseded) => (sequence, superseded),
            _ => panic!("expected an update"),
        }
    }

    #[test]
    fn an_unchanged_release_sends_nothing_and_a_change_takes_the_next_number() {
        let delivered = [sent("d.1", "new", Some("a"), true)];
        assert!(matches!(
            plan(&current("a", "0000000000017"), &delivered),
            Plan::Unchanged
        ));
        assert_eq!(
            next(plan(&current("b", "0000000000017"), &delivered)),
            (3, None)
        );
        // Numbers go on past every message, the takedown's included.
        let more = [
            sent("d.1", "new", Some("a"), true),
            sent("d.3", "update", Some("b"), true),
            sent("d.4", "update", Some("c"), true),
        ];
        assert_eq!(next(plan(&current("d", "0000000000017"), &more)), (5, None));
        assert!(matches!(
            plan(&current("c", "0000000000017"), &more),
            Plan::Unchanged
        ));
        // Recorded before checksums were kept: sent whatever it is.
        assert_eq!(
            next(plan(
                &current("a", "0000000000017"),
                &[sent("d.1", "new", None, true)]
            )),
            (3, None)
        );
    }

    #[test]
    fn an_unsent_update_is_sent_again_or_superseded() {
        let unsent = [
            sent("d.1", "new", Some("a"), true),
            sent("d.3", "update", Some("b"), false),
        ];
        assert_eq!(
            next(plan(&current("b", "0000000000017"), &unsent)),
            (3, None)
        );
        assert_eq!(
            next(plan(&current("c", "0000000000017"), &unsent)),
            (4, Some("d.3".to_owned()))
        );
    }

    #[test]
    fn a_new_upc_is_refused() {
        let delivered = [sent("d.1", "new", Some("a"), true)];
        assert!(matches!(
            plan(&current("b", "0000000000024"), &delivered),
            Plan::Refused(note) if note.contains("0000000000017")
        ));
    }
}
