//! Sending messages to a platform on its delivery profile (DDEX ECHO): release by release, where
//! each package is announced by appearing whole, or in batches, where packages go into a batch
//! folder that a `BatchComplete_{batchId}.xml` manifest closes once every one of them is in
//! place and flushed.
//!
//! Every message is recorded before its package is written, and on the batch profile assigned
//! to its batch first, so a worker killed at any point fills the same batch again on the next
//! attempt: a package lands in one batch only, and a manifest is written only after all of the
//! packages it lists (a package that failed for good leaves the batch before it is closed).

use std::collections::BTreeMap;
use std::time::Duration;

use backbeat_db::distribution_messages::{self, Message};
use backbeat_db::platforms::Platform;
use backbeat_delivery::{Content, DeliveryError, Outcome, Package};
use backbeat_domain::ddex::manifest::{self, BatchMessage, DeliveryType, Manifest};
use backbeat_domain::ids::DistributionId;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::distribution::release;
use crate::jobs::JobError;
use crate::{Context, Error};

pub const BATCH_PROFILE: &str = "batch";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    New,
    Update,
    Takedown,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::New => "new",
            Kind::Update => "update",
            Kind::Takedown => "takedown",
        }
    }

    fn delivery_type(kind: &str) -> DeliveryType {
        match kind {
            "takedown" => DeliveryType::TakeDown,
            "update" => DeliveryType::ReDelivery,
            _ => DeliveryType::NewReleaseDelivery,
        }
    }
}

/// One message on its way to a platform, with its package.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub distribution_id: DistributionId,
    pub kind: Kind,
    pub message_id: String,
    /// The release's ICPN (UPC), as the message names it.
    pub icpn: String,
    pub package: Package,
    /// See [`crate::distribution::delivery::content_sha256`].
    pub content_sha256: String,
    pub test: bool,
    pub created_at: DateTime<Utc>,
}

impl Outgoing {
    /// The message's XML file in the package and its checksum.
    fn xml(&self) -> (String, String) {
        self.package
            .files
            .iter()
            .find(|f| matches!(f.content, Content::Bytes(_)) && f.path.ends_with(".xml"))
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .unwrap_or_default()
    }

    fn record(&self, platform: &Platform) -> Message {
        let (xml_path, xml_sha256) = self.xml();
        Message {
            message_id: self.message_id.clone(),
            distribution_id: self.distribution_id.clone(),
            platform_id: platform.id.clone(),
            kind: self.kind.as_str().to_owned(),
            package: self.package.name.clone(),
            release_icpn: self.icpn.clone(),
            xml_path,
            xml_sha256,
            batch_id: None,
            created_at: self.created_at,
            delivered_at: None,
            content_sha256: Some(self.content_sha256.clone()),
            test: self.test,
        }
    }
}

fn temporary(message: String) -> DeliveryError {
    DeliveryError::Io(std::io::Error::other(message))
}

/// Sends the messages, one outcome per message in order. On the batch profile a message is
/// delivered only once its batch is closed; a temporary failure of one package keeps its whole
/// batch open for the next attempt (`last_attempt`: the failed packages leave it instead, so that
/// the rest is closed).
pub async fn send(
    ctx: &Context,
    platform: &Platform,
    outgoing: Vec<Outgoing>,
    spacing: Option<Duration>,
    last_attempt: bool,
) -> Result<Vec<Result<Outcome, DeliveryError>>, JobError> {
    let delivery = release::delivery(ctx, platform, spacing);
    let records: Vec<Message> = outgoing.iter().map(|o| o.record(platform)).collect();
    let mut conn = ctx.conn().await?;
    if platform.delivery_profile != BATCH_PROFILE {
        distribution_messages::record(&mut conn, &records).await?;
        drop(conn);
        let packages: Vec<Package> = outgoing.iter().map(|o| o.package.clone()).collect();
        let outcomes = delivery.deliver_many(&packages).await;
        let mut conn = ctx.conn().await?;
        let delivered: Vec<&str> = outgoing
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| outcome.is_ok())
            .map(|(o, _)| o.message_id.as_str())
            .collect();
        distribution_messages::mark_delivered(&mut conn, &delivered, Utc::now()).await?;
        return Ok(outcomes);
    }

    // Batches are assigned, in the database, before anything is written.
    let max = usize::try_from(platform.batch_max_releases.max(1)).unwrap_or(1);
    conn.transaction::<_, Error, _>(async |conn| {
        let stored = distribution_messages::record(conn, &records).await?;
        let unassigned: Vec<&str> = records
            .iter()
            .filter(|r| {
                stored.iter().any(|s| {
                    s.message_id == r.message_id && s.batch_id.is_none() && s.delivered_at.is_none()
                })
            })
            .map(|r| r.message_id.as_str())
            .collect();
        for members in unassigned.chunks(max) {
            let batch = distribution_messages::create_batch(conn, &platform.id, Utc::now()).await?;
            distribution_messages::assign(conn, &batch, members).await?;
        }
        Ok(())
    })
    .await?;
    let ids: Vec<&str> = records.iter().map(|r| r.message_id.as_str()).collect();
    let stored: BTreeMap<String, Message> = distribution_messages::find_many(&mut conn, &ids)
        .await?
        .into_iter()
        .map(|m| (m.message_id.clone(), m))
        .collect();
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut outcomes: Vec<Option<Result<Outcome, DeliveryError>>> =
        (0..outgoing.len()).map(|_| None).collect();
    for (index, message) in outgoing.iter().enumerate() {
        match stored.get(&message.message_id) {
            // Sent before as a message of its own (the platform was release by release then).
            Some(m) if m.batch_id.is_none() && m.delivered_at.is_some() => {
                outcomes[index] = Some(Ok(Outcome::AlreadyDelivered));
            }
            Some(Message {
                batch_id: Some(batch),
                ..
            }) => members.entry(batch.clone()).or_default().push(index),
            _ => {
                outcomes[index] = Some(Err(temporary(format!(
                    "message {} has no batch",
                    message.message_id
                ))))
            }
        }
    }
    let batch_ids: Vec<&str> = members.keys().map(String::as_str).collect();
    let batches = distribution_messages::batches(&mut conn, &platform.id, &batch_ids).await?;
    drop(conn);
    for batch in batches {
        let indexes = &members[&batch.id];
        if batch.completed_at.is_some() {
            for &index in indexes {
                outcomes[index] = Some(Ok(Outcome::AlreadyDelivered));
            }
            continue;
        }
        let packages: Vec<Package> = indexes
            .iter()
            .map(|&index| {
                let mut package = outgoing[index].package.clone();
                package.name = stored[&outgoing[index].message_id].package.clone();
                package
            })
            .collect();
        let written = delivery.deliver_many(&packages).await;
        let closed = close(
            ctx,
            platform,
            &*delivery,
            &batch,
            indexes,
            &outgoing,
            written,
            last_attempt,
        )
        .await?;
        for (index, outcome) in closed {
            outcomes[index] = Some(outcome);
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(temporary("the message was not sent".to_owned()))))
        .collect())
}

/// Closes a batch whose packages were just written (or found there): the packages that failed
/// for good leave it, and when none is left waiting the manifest is placed and the batch and its
/// messages are recorded as delivered.
#[allow(clippy::too_many_arguments)]
async fn close(
    ctx: &Context,
    platform: &Platform,
    delivery: &dyn backbeat_delivery::Delivery,
    batch: &distribution_messages::Batch,
    indexes: &[usize],
    outgoing: &[Outgoing],
    written: Vec<Result<Outcome, DeliveryError>>,
    last_attempt: bool,
) -> Result<Vec<(usize, Result<Outcome, DeliveryError>)>, JobError> {
    let results: Vec<(usize, Result<Outcome, DeliveryError>)> =
        indexes.iter().copied().zip(written).collect();
    let waiting = results
        .iter()
        .filter(|(_, r)| r.as_ref().is_err_and(|e| !e.is_permanent()))
        .count();
    if waiting > 0 && !last_attempt {
        let note = format!(
            "batch {} stays open: {waiting} of its packages could not be written yet",
            batch.id
        );
        return Ok(results
            .into_iter()
            .map(|(index, r)| (index, r.and(Err(temporary(note.clone())))))
            .collect());
    }
    let mut conn = ctx.conn().await?;
    let leaving: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(index, _)| outgoing[*index].message_id.as_str())
        .collect();
    distribution_messages::leave_batch(&mut conn, &leaving).await?;
    for (index, result) in &results {
        if let Ok(Outcome::Delivered) = result {
            let (_, sha256) = outgoing[*index].xml();
            distribution_messages::set_checksum(&mut conn, &outgoing[*index].message_id, &sha256)
                .await?;
        }
    }
    let listed = distribution_messages::of_batch(&mut conn, &platform.id, &batch.id).await?;
    let ours: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(index, _)| outgoing[*index].message_id.as_str())
        .collect();
    // Only what was written here is listed: anything else assigned to the batch leaves it.
    let strangers: Vec<&str> = listed
        .iter()
        .filter(|m| !ours.contains(&m.message_id.as_str()))
        .map(|m| m.message_id.as_str())
        .collect();
    distribution_messages::leave_batch(&mut conn, &strangers).await?;
    let listed: Vec<&Message> = listed
        .iter()
        .filter(|m| ours.contains(&m.message_id.as_str()))
        .collect();
    if listed.is_empty() {
        return Ok(results);
    }
    let messages: Vec<BatchMessage> = listed
        .iter()
        .map(|m| BatchMessage {
            message_id: m.message_id.clone(),
            url: format!(
                "{}/{}",
                m.package
                    .rsplit_once('/')
                    .map_or(m.package.as_str(), |(_, leaf)| leaf),
                m.xml_path
            ),
            release_icpn: m.release_icpn.clone(),
            delivery_type: Kind::delivery_type(&m.kind),
            sha256: m.xml_sha256.clone(),
        })
        .collect();
    let (sender, recipient) = (release::sender(ctx), release::recipient(platform));
    let xml = manifest::manifest_message(&Manifest {
        batch_id: &batch.id,
        created_at: batch.created_at,
        sender: &sender,
        recipient: &recipient,
        test: listed.iter().any(|m| m.test),
        messages: &messages,
    });
    drop(conn);
    let path = format!("{}/{}", batch.id, manifest::file_name(&batch.id));
    if let Err(error) = delivery.place(&path, &xml).await {
        let permanent = error.is_permanent();
        let note = format!("cannot close batch {}: {error}", batch.id);
        return Ok(results
            .into_iter()
            .map(|(index, r)| {
                let error = if permanent {
                    DeliveryError::Rejected(note.clone())
                } else {
                    temporary(note.clone())
                };
                (index, r.and(Err(error)))
            })
            .collect());
    }
    let now = Utc::now();
    ctx.conn()
        .await?
        .transaction::<_, Error, _>(async |conn| {
            distribution_messages::complete_batch(conn, &platform.id, &batch.id, now).await?;
            distribution_messages::mark_delivered(conn, &ours, now).await?;
            Ok(())
        })
        .await?;
    tracing::info!(platform = %platform.code, batch = %batch.id, messages = ours.len(), "batch complete");
    Ok(results)
}
