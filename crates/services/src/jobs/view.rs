//! `GET /jobs/{id}`: a job as its owner (or an admin) sees it.

use backbeat_db::jobs::Job;
use backbeat_domain::Actor;
use backbeat_domain::ids::JobId;

use crate::{Context, Error, Result};

/// The job, when the actor started it or is an admin; otherwise not found (ids are not a way to
/// learn that someone else's job exists).
pub async fn find(ctx: &Context, actor: &Actor, id: &JobId) -> Result<Job> {
    backbeat_db::jobs::find(&mut *ctx.conn().await?, id)
        .await?
        .filter(|job| actor.may_act_on(job.user_id.as_ref()))
        .ok_or_else(|| Error::not_found("job"))
}
