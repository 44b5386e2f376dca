//! `playlist_export`: email the playlist as `playlist.json` (openMusic's export).

use backbeat_db::{jobs, playlists};
use backbeat_domain::jobs::PlaylistExport;
use backbeat_mail::{Attachment, Email};
use serde_json::{Value, json};

use crate::mail::send_once;
use crate::{JobContext, JobError};

pub async fn run(
    ctx: &JobContext,
    job_id: &str,
    payload: PlaylistExport,
) -> Result<Value, JobError> {
    let mut conn = ctx.conn().await?;
    let playlist = playlists::summary(&mut conn, &payload.playlist_id)
        .await?
        .ok_or_else(|| {
            JobError::Permanent(format!("playlist {} no longer exists", payload.playlist_id))
        })?;
    let songs = playlists::songs(&mut conn, &playlist.id).await?;
    jobs::set_progress(&mut conn, job_id, 0, 1).await?;
    drop(conn);

    let document = json!({
        "playlist": {
            "id": playlist.id,
            "name": playlist.name,
            "songs": songs.iter().map(|s| json!({"id": s.id, "title": s.title, "performer": s.performer})).collect::<Vec<_>>(),
        }
    });
    let attachment =
        serde_json::to_vec_pretty(&document).map_err(|e| JobError::Permanent(e.to_string()))?;
    let count = songs.len();
    let recipient = payload.target_email.to_string();
    let message_id = send_once(
        ctx,
        Email {
            to: recipient.clone(),
            subject: format!("Your playlist export: {}", playlist.name),
            text: format!(
                "Hello,\n\nAttached is the playlist \"{}\" ({count} songs) as playlist.json.\n\n-- backbeat\n",
                playlist.name
            ),
            html: format!(
                "<p>Hello,</p><p>Attached is the playlist <strong>{}</strong> ({count} songs) as \
                 <code>playlist.json</code>.</p><p>&mdash; backbeat</p>",
                escape_html(&playlist.name)
            ),
            attachments: vec![Attachment {
                filename: "playlist.json".to_owned(),
                content_type: "application/json".to_owned(),
                body: attachment,
            }],
            idempotency_key: format!("job-email.{job_id}"),
        },
    )
    .await?;
    jobs::set_progress(&mut *ctx.conn().await?, job_id, 1, 1).await?;
    Ok(json!({"recipient": recipient, "songs": count, "messageId": message_id}))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
