//! Streaming platforms: anyone signed in lists them; admins add and change them.

use backbeat_db::platforms::{self, CODE_TAKEN, Platform, PlatformPatch};
use backbeat_domain::ids::PlatformId;
use backbeat_domain::{Actor, FieldError};

use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::{Context, Error, Result};

fn admins_only(actor: &Actor) -> Result<()> {
    crate::admin::require_session(actor, "manage platforms")
}

/// Where a platform's packages go (its SFTP server, account and folder) is for admins' eyes.
pub fn sees_delivery_settings(actor: &Actor) -> bool {
    admins_only(actor).is_ok()
}

pub async fn list(ctx: &Context) -> Result<Vec<Platform>> {
    Ok(platforms::all(&mut *ctx.conn().await?).await?)
}

pub struct NewPlatform {
    pub code: String,
    pub name: String,
    pub party_id: String,
    /// `folder` or `sftp`.
    pub delivery_method: String,
    pub delivery_folder: Option<String>,
    pub sftp_host: Option<String>,
    /// 22 when absent.
    pub sftp_port: Option<i32>,
    pub sftp_username: Option<String>,
    pub sftp_host_key: Option<String>,
    /// `release_by_release` (the default) or `batch`.
    pub delivery_profile: Option<String>,
    /// 100 when absent.
    pub batch_max_releases: Option<i32>,
    /// `acknowledgements` when absent.
    pub acknowledgement_folder: Option<String>,
    /// `false` (live) when absent.
    pub onboarding: Option<bool>,
}

/// SFTP delivery needs the whole server description; the fields at fault are named.
fn check_delivery(platform: &Platform) -> Result<()> {
    if platform.delivery_method != "sftp" {
        return Ok(());
    }
    let missing: Vec<FieldError> = [
        ("sftpHost", platform.sftp_host.is_none()),
        ("sftpUsername", platform.sftp_username.is_none()),
        ("sftpHostKey", platform.sftp_host_key.is_none()),
    ]
    .into_iter()
    .filter(|(_, missing)| *missing)
    .map(|(field, _)| FieldError::new(field, "is required for SFTP delivery"))
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(missing))
    }
}

pub async fn create(ctx: &Context, actor: &Actor, input: NewPlatform) -> Result<Platform> {
    admins_only(actor)?;
    let platform = Platform {
        id: PlatformId::generate(),
        code: input.code,
        name: input.name,
        party_id: input.party_id,
        active: true,
        delivery_method: input.delivery_method,
        delivery_folder: input.delivery_folder,
        fee_bps: None,
        sftp_port: input.sftp_port.unwrap_or(22),
        sftp_host: input.sftp_host,
        sftp_username: input.sftp_username,
        sftp_host_key: input.sftp_host_key,
        delivery_profile: input
            .delivery_profile
            .unwrap_or_else(|| "release_by_release".to_owned()),
        batch_max_releases: input.batch_max_releases.unwrap_or(100),
        acknowledgement_folder: input
            .acknowledgement_folder
            .unwrap_or_else(|| "acknowledgements".to_owned()),
        onboarding: input.onboarding.unwrap_or(false),
    };
    check_delivery(&platform)?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        match platforms::insert(conn, &platform).await {
            Err(e) if e.is_unique_violation(CODE_TAKEN) => {
                return Err(Error::taken("code", "is already used by another platform"));
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
        // Checked on the platform as it would be (the database refuses it too, less clearly).
        check_delivery(&Platform {
            delivery_method: patch
                .delivery_method
                .clone()
                .unwrap_or_else(|| before.delivery_method.clone()),
            sftp_host: patch.sftp_host.clone().or_else(|| before.sftp_host.clone()),
            sftp_username: patch
                .sftp_username
                .clone()
                .or_else(|| before.sftp_username.clone()),
            sftp_host_key: patch
                .sftp_host_key
                .clone()
                .or_else(|| before.sftp_host_key.clone()),
            ..before.clone()
        })?;
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
