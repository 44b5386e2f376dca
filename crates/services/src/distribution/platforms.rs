//! Streaming platforms: anyone signed in lists them; admins add and change them.

use backbeat_db::platforms::{self, CODE_TAKEN, Platform, PlatformPatch};
use backbeat_domain::Actor;
use backbeat_domain::ids::PlatformId;

use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::{Context, Error, Result};

fn admins_only(actor: &Actor) -> Result<()> {
    crate::admin::require_session(actor, "manage platforms")
}

pub async fn list(ctx: &Context) -> Result<Vec<Platform>> {
    Ok(platforms::all(&mut *ctx.conn().await?).await?)
}

pub struct NewPlatform {
    pub code: String,
    pub name: String,
    pub party_id: String,
    pub delivery_folder: Option<String>,
}

pub async fn create(ctx: &Context, actor: &Actor, input: NewPlatform) -> Result<Platform> {
    admins_only(actor)?;
    let platform = Platform {
        id: PlatformId::generate(),
        code: input.code,
        name: input.name,
        party_id: input.party_id,
        active: true,
        delivery_method: "folder".to_owned(),
        delivery_folder: input.delivery_folder,
        fee_bps: None,
    };
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        match platforms::insert(conn, &platform).await {
            Err(e) if e.is_unique_violation(CODE_TAKEN) => {
                return Err(Error::field("code", "is already used by another platform"));
            }
            other => other?,
        }
        audit::record(
            conn,
            actor.user_id.as_str(),
            "platform.create",
            Target {
                kind: "platform",
                id: platform.id.as_str(),
            },
            None,
            audit::state(&platform)?,
        )
        .await
    })
    .await?;
    Ok(platform)
}

pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: &PlatformId,
    patch: PlatformPatch,
) -> Result<Platform> {
    admins_only(actor)?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let before = platforms::find(conn, id)
            .await?
            .ok_or_else(|| Error::not_found("platform"))?;
        platforms::update(conn, id, &patch).await?;
        let after = platforms::find(conn, id)
            .await?
            .ok_or_else(|| Error::not_found("platform"))?;
        audit::record(
            conn,
            actor.user_id.as_str(),
            "platform.update",
            Target {
                kind: "platform",
                id: id.as_str(),
            },
            audit::state(&before)?,
            audit::state(&after)?,
        )
        .await?;
        Ok(after)
    })
    .await
}

/// The platforms named in a request, each known and active; otherwise a validation error on
/// `field` naming the ones that are not.
pub async fn active(ctx: &Context, ids: &[PlatformId], field: &str) -> Result<Vec<Platform>> {
    let found = platforms::find_many(&mut *ctx.conn().await?, ids).await?;
    let unusable: Vec<&str> = ids
        .iter()
        .filter(|id| !found.iter().any(|p| &p.id == *id && p.active))
        .map(PlatformId::as_str)
        .collect();
    if !unusable.is_empty() {
        return Err(Error::field(
            field,
            format!(
                "names unknown or inactive platforms: {}",
                unusable.join(", ")
            ),
        ));
    }
    // In the order asked.
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|p| &p.id == id).cloned())
        .collect())
}
