//! `backbeat-worker dead list|replay`: what operators do with dead jobs.

use backbeat_db::jobs;
use backbeat_domain::ids::JobId;
use backbeat_queue::{Broker, Topology};
use backbeat_services::Context;
use lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

/// Prints dead jobs, most recent first.
pub async fn list(ctx: &Context, limit: i64) -> anyhow::Result<()> {
    let dead = jobs::dead(&mut *ctx.conn().await?, limit).await?;
    if dead.is_empty() {
        println!("no dead jobs");
        return Ok(());
    }
    println!(
        "{:<22} {:<18} {:>8}  {:<25} error",
        "id", "kind", "attempts", "died at"
    );
    for job in dead {
        println!(
            "{:<22} {:<18} {:>8}  {:<25} {}",
            job.id,
            job.kind,
            job.attempts,
            job.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            job.last_error.unwrap_or_default().replace('\n', " ")
        );
    }
    Ok(())
}

/// Requeues dead jobs (one, or all when `job_id` is `None`) with fresh attempts, and removes
/// their copies from the dead-letter queues. Returns how many were replayed.
pub async fn replay(
    ctx: &Context,
    broker: &Broker,
    topology: &Topology,
    job_id: Option<&JobId>,
) -> anyhow::Result<usize> {
    let ids: Vec<JobId> = match job_id {
        Some(id) => vec![id.clone()],
        None => jobs::dead(&mut *ctx.conn().await?, i64::MAX)
            .await?
            .into_iter()
            .map(|j| j.id)
            .collect(),
    };
    let mut replayed = Vec::new();
    for id in &ids {
        if jobs::replay(&mut *ctx.conn().await?, id).await? {
            replayed.push(id.to_string());
        } else if job_id.is_some() {
            anyhow::bail!("job {id} is not dead (or does not exist)");
        }
    }
    // The relay publishes the outbox rows written by `jobs::replay`; the dead-letter copies are
    // now stale and are removed so the queue shows only what is still dead.
    let connection = broker.connection().await?;
    topology.declare(&connection).await?;
    let channel = connection.create_channel().await?;
    for kind in topology.kinds() {
        let queue = topology.dead_queue(kind);
        let depth = channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?
            .message_count();
        for _ in 0..depth {
            let Some(message) = channel
                .basic_get(queue.as_str().into(), BasicGetOptions::default())
                .await?
            else {
                break;
            };
            let id = message
                .delivery
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.to_string());
            if id.is_some_and(|id| replayed.contains(&id)) {
                message.delivery.ack(BasicAckOptions::default()).await?;
            } else {
                message
                    .delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..Default::default()
                    })
                    .await?;
            }
        }
    }
    let _ = channel.close(200, "replay done".into()).await;
    Ok(replayed.len())
}
