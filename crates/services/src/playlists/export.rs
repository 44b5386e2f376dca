//! Exporting a playlist by email (openMusic): the owner asks, the worker emails the playlist as
//! `playlist.json`.

use backbeat_db::playlists;
use backbeat_domain::Actor;
use backbeat_domain::email::EmailAddress;
use backbeat_domain::ids::{JobId, PlaylistId};
use backbeat_mail::templates::PlaylistExport;
use backbeat_mail::{Attachment, Email};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::mail::send_once;
use crate::playlists::access::{Need, authorize};
use crate::{Context, Error, Result};

/// Queues the export of a playlist the actor owns; returns the job's id.
pub async fn request(
    ctx: &Context,
    actor: &Actor,
    playlist_id: PlaylistId,
    target_email: EmailAddress,
    request_id: &str,
) -> Result<JobId> {
    let mut conn = ctx.conn().await?;
    authorize(&mut conn, &playlist_id, actor, Need::Owner).await?;
    let job = ExportPlaylist {
        playlist_id,
        target_email,
    };
    conn.transaction::<_, Error, _>(async |conn| {
        jobs::enqueue(
            ctx,
            conn,
            &job,
            Origin {
                user: Some(&actor.user_id),
                request_id: Some(request_id),
            },
        )
        .await
    })
    .await
}

/// The job: email the playlist as `playlist.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportPlaylist {
    pub playlist_id: PlaylistId,
    pub target_email: EmailAddress,
}

impl Job for ExportPlaylist {
    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let mut conn = ctx.conn().await?;
        let playlist = playlists::summary(&mut conn, &self.playlist_id)
            .await?
            .ok_or_else(|| {
                JobError::Permanent(format!("playlist {} no longer exists", self.playlist_id))
            })?;
        let songs = playlists::songs(&mut conn, &playlist.id).await?;
        drop(conn);
        job.progress(ctx, 0, 1).await?;

        let document = json!({
            "playlist": {
                "id": playlist.id,
                "name": playlist.name,
                "songs": songs.iter().map(|s| json!({"id": s.id, "title": s.title, "performer": s.performer})).collect::<Vec<_>>(),
            }
        });
        let attachment =
            serde_json::to_vec_pretty(&document).map_err(|e| JobError::Permanent(e.to_string()))?;
        let rendered = PlaylistExport {
            playlist_name: &playlist.name,
            songs: songs.len(),
        }
        .render();
        let recipient = self.target_email.to_string();
        let email =
            Email::new(&recipient, rendered, format!("job-email.{}", job.id)).attach(Attachment {
                filename: "playlist.json".to_owned(),
                content_type: "application/json".to_owned(),
                body: attachment,
            });
        let message_id = send_once(ctx, email).await?;
        job.progress(ctx, 1, 1).await?;
        Ok(json!({"recipient": recipient, "songs": songs.len(), "messageId": message_id}))
    }
}
