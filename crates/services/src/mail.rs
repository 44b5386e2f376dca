//! Sending an email at most once per idempotency key, whatever the redeliveries.

use backbeat_db::sent_emails;
use backbeat_mail::Email;

use crate::Context;
use crate::jobs::JobError;

/// Sends `email` unless its key was sent before; returns the Message-ID either way.
///
/// The record is written after the server accepted the message: a crash in between can still
/// send twice (at-least-once), but then both copies carry the same Message-ID, which mail
/// clients deduplicate.
pub async fn send_once(ctx: &Context, email: Email) -> Result<String, JobError> {
    let key = email.idempotency_key.clone();
    let recipient = email.to.clone();
    if let Some(message_id) = sent_emails::find(&mut *ctx.conn().await?, &key).await? {
        tracing::info!(%message_id, idempotency_key = %key, "email already sent; not sending again");
        return Ok(message_id);
    }
    let message_id = ctx.mailer.send(email).await?;
    sent_emails::record(&mut *ctx.conn().await?, &key, &message_id, &recipient).await?;
    Ok(message_id)
}
