//! API keys: an account creates keys for its scripts and services, each limited to scopes, and
//! revokes them. Keys are managed from a login session only (a key cannot mint or revoke keys:
//! a leaked narrow key must not become a broad one). Creation and revocation are audited.

use backbeat_db::api_keys::{self, ApiKey, NewApiKey};
use backbeat_domain::access::Scope;
use backbeat_domain::ids::ApiKeyId;
use backbeat_domain::{Actor, FieldError};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::{Context, Error, Result};

pub const NAME_MAX: usize = 100;
/// Keys one account may hold that are neither revoked nor expired.
pub const LIVE_KEYS_MAX: usize = 50;

pub struct NewKey {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key just created: the only time its secret is shown.
pub struct Created {
    pub key: ApiKey,
    pub secret: String,
}

fn sessions_only(actor: &Actor, what: &str) -> Result<()> {
    if actor.api_key.is_some() {
        return Err(Error::Forbidden(format!(
            "API keys cannot {what}; use a login session"
        )));
    }
    Ok(())
}

/// What the log records of a key: never its secret or hash.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Logged<'a> {
    name: &'a str,
    prefix: &'a str,
    scopes: &'a [String],
    expires_at: Option<DateTime<Utc>>,
    revoked: bool,
}

impl<'a> Logged<'a> {
    fn of(key: &'a ApiKey) -> Self {
        Self {
            name: &key.name,
            prefix: &key.prefix,
            scopes: &key.scopes,
            expires_at: key.expires_at,
            revoked: key.revoked_at.is_some(),
        }
    }
}

pub async fn create(ctx: &Context, actor: &Actor, input: NewKey) -> Result<Created> {
    sessions_only(actor, "create API keys")?;
    if input.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(FieldError::new("expiresAt", "must be in the future").into());
    }
    let mut scopes: Vec<String> = input.scopes.iter().map(|s| s.as_str().to_owned()).collect();
    scopes.sort();
    scopes.dedup();
    let generated = ctx.api_keys.generate();
    let id = ApiKeyId::generate();
    let mut conn = ctx.conn().await?;
    let key = conn
        .transaction::<_, Error, _>(async |conn| {
            let live = api_keys::owned_by(conn, &actor.user_id)
                .await?
                .iter()
                .filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > Utc::now()))
                .count();
            if live >= LIVE_KEYS_MAX {
                return Err(Error::Conflict(format!(
                    "an account holds at most {LIVE_KEYS_MAX} live API keys; revoke one first"
                )));
            }
            api_keys::insert(
                conn,
                &NewApiKey {
                    id: &id,
                    user_id: &actor.user_id,
                    name: &input.name,
                    prefix: &generated.shown_prefix,
                    secret_hash: &generated.hash,
                    scopes: &scopes,
                    expires_at: input.expires_at,
                },
            )
            .await?;
            let key = api_keys::find(conn, &id)
                .await?
                .ok_or_else(|| Error::internal(anyhow::anyhow!("inserted key vanished")))?;
            audit::record(
                conn,
                actor.user_id.as_str(),
                "api_key.create",
                Target {
                    kind: "api_key",
                    id: id.as_str(),
                },
                None,
                audit::state(&Logged::of(&key))?,
            )
            .await?;
            Ok(key)
        })
        .await?;
    tracing::info!(api_key_id = %key.id, user_id = %actor.user_id, "API key created");
    Ok(Created {
        key,
        secret: generated.secret,
    })
}

/// The caller's keys, newest first, revoked and expired ones included.
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<ApiKey>> {
    sessions_only(actor, "list API keys")?;
    Ok(api_keys::owned_by(&mut *ctx.conn().await?, &actor.user_id).await?)
}

/// Revokes one of the caller's keys (admins: anyone's); it stops working on the next request on
/// every API process. Revoking a revoked key is a no-op.
pub async fn revoke(ctx: &Context, actor: &Actor, id: &ApiKeyId) -> Result<()> {
    sessions_only(actor, "revoke API keys")?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let before = api_keys::find(conn, id)
            .await?
            .filter(|key| actor.may_act_on(Some(&key.user_id)))
            .ok_or_else(|| Error::not_found("API key"))?;
        if !api_keys::revoke(conn, id).await? {
            return Ok(());
        }
        let after = ApiKey {
            revoked_at: Some(Utc::now()),
            ..before.clone()
        };
        audit::record(
            conn,
            actor.user_id.as_str(),
            "api_key.revoke",
            Target {
                kind: "api_key",
                id: id.as_str(),
            },
            audit::state(&Logged::of(&before))?,
            audit::state(&Logged::of(&after))?,
        )
        .await?;
        // Before the commit: a revocation Redis did not take is not made (the caller retries).
        crate::access::mirror_revoked_key(ctx, id, before.expires_at).await?;
        Ok(())
    })
    .await?;
    tracing::info!(api_key_id = %id, "API key revoked");
    Ok(())
}
