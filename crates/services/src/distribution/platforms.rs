//! Streaming platforms: anyone signed in lists them; admins add and change them.

use backbeat_db::platforms::{self, CODE_TAKEN, Platform, PlatformPatch};
use backbeat_domain::Actor;
use backbeat_domain::ids::PlatformId;

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
    match platforms::insert(&mut *ctx.conn().await?, &platform).await {
        Err(e) if e.is_unique_violation(CODE_TAKEN) => {
            Err(Error::field("code", "is already used by another platform"))
        }
        other => other.map(|()| platform).map_err(Error::from),
    }
}

pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: &PlatformId,
    patch: PlatformPatch,
) -> Result<Platform> {
    admins_only(actor)?;
    let mut conn = ctx.conn().await?;
    if !platforms::update(&mut conn, id, &patch).await? {
        return Err(Error::not_found("platform"));
    }
    platforms::find(&mut conn, id)
        .await?
        .ok_or_else(|| Error::not_found("platform"))
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
