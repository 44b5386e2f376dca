//! Who a request acts as, and whether it may go on: the credential it presents (an access token
//! or an API key), checked against the account's current state, and its rate limits.
//!
//! The request path costs no password hash and one Redis round trip ([`Gate::check`]): an access
//! token is verified in memory; an API key is hashed (HMAC) and found in a small in-process cache,
//! or else in PostgreSQL. What can change at any moment (a suspension, a role change, a revoked
//! key) comes from the Redis mirror in the same round trip that counts the rate limits; while
//! Redis is unreachable it comes from PostgreSQL instead, so a suspension is never ignored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backbeat_auth::TokenKind;
use backbeat_cache::Gate;
use backbeat_cache::access::{CredentialState, Limit, LimitOutcome, MirroredAccount};
use backbeat_db::{api_keys, users};
use backbeat_domain::access::{Scope, UserStatus};
use backbeat_domain::ids::{ApiKeyId, UserId};
use backbeat_domain::{Actor, Role};
use chrono::{DateTime, Utc};

use crate::{Context, Error, Result};

/// How long a key found in PostgreSQL is trusted before it is read again. Revocation and the
/// owner's suspension do not wait for this: they come from the mirror on every request.
const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
const KEY_CACHE_MAX: u64 = 100_000;

/// A credential as presented: `Authorization: Bearer ...` or `X-Api-Key: ...`.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    Bearer(&'a str),
    ApiKey(&'a str),
}

/// A key as the request path needs it.
#[derive(Debug, Clone)]
pub struct KeyGrant {
    pub id: ApiKeyId,
    pub scopes: Vec<Scope>,
    expires_at: Option<DateTime<Utc>>,
    revoked: bool,
}

impl KeyGrant {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A credential that is genuine, before its account's current state is checked.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: UserId,
    /// The role the token carries, or the key's owner's role when it was read.
    role: Role,
    /// When the access token was issued (seconds); `None` for a key.
    issued_at: Option<i64>,
    pub key: Option<KeyGrant>,
}

/// The per-process part: the key cache and the keys seen used since the last flush.
#[derive(Clone)]
pub struct Access {
    pub gate: Gate,
    keys: moka::sync::Cache<Vec<u8>, Arc<KeyGrantRow>>,
    used: Arc<Mutex<HashMap<ApiKeyId, DateTime<Utc>>>>,
}

/// A key as read from PostgreSQL, with its owner's role at that time. The owner's status is not
/// kept: a suspension and a reinstatement must hold at once, so it is read on every request.
#[derive(Debug)]
struct KeyGrantRow {
    grant: KeyGrant,
    user_id: UserId,
    role: Role,
}

impl Access {
    pub fn new(gate: Gate) -> Self {
        Self {
            gate,
            keys: moka::sync::Cache::builder()
                .max_capacity(KEY_CACHE_MAX)
                .time_to_live(KEY_CACHE_TTL)
                .build(),
            used: Arc::default(),
        }
    }

    fn note_use(&self, key: &ApiKeyId) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(key.clone(), Utc::now());
        }
    }

    /// Writes the `lastUsedAt` of every key used since the last flush, in one statement.
    pub async fn flush_key_use(&self, ctx: &Context) -> Result<usize> {
        let batch: Vec<(ApiKeyId, DateTime<Utc>)> = match self.used.lock() {
            Ok(mut used) => used.drain().collect(),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        match api_keys::record_use(&mut *ctx.conn().await?, &batch).await {
            Ok(n) => Ok(n),
            Err(error) => {
                // Kept for the next flush rather than lost.
                if let Ok(mut used) = self.used.lock() {
                    for (id, at) in batch {
                        used.entry(id).or_insert(at);
                    }
                }
                Err(error.into())
            }
        }
    }
}

fn invalid(message: &'static str) -> Error {
    Error::InvalidCredential(message)
}

/// Checks that the credential is genuine: the token's signature and expiry, or the key's hash.
pub async fn identify(ctx: &Context, presented: Presented<'_>) -> Result<Identity> {
    let secret = match presented {
        Presented::Bearer(token) if !backbeat_auth::api_keys::looks_like_key(token) => {
            let claims = ctx
                .tokens
                .verify(TokenKind::Access, token)
                .map_err(|_| invalid("access token is invalid or expired"))?;
            return Ok(Identity {
                user_id: UserId(claims.sub),
                role: claims.role,
                issued_at: Some(claims.iat),
                key: None,
            });
        }
        Presented::Bearer(key) | Presented::ApiKey(key) => key,
    };
    let hash = ctx
        .api_keys
        .hash(secret)
        .ok_or_else(|| invalid("API key is invalid"))?;
    let row = match ctx.access.keys.get(&hash) {
        Some(row) => row,
        None => {
            let holder = api_keys::holder_by_hash(&mut *ctx.conn().await?, &hash)
                .await?
                .ok_or_else(|| invalid("API key is invalid"))?;
            let row = Arc::new(KeyGrantRow {
                grant: KeyGrant {
                    id: holder.id,
                    scopes: holder
                        .scopes
                        .iter()
                        .filter_map(|s| Scope::parse(s))
                        .collect(),
                    expires_at: holder.expires_at,
                    revoked: holder.revoked_at.is_some(),
                },
                user_id: holder.user_id,
                role: holder.role,
            });
            ctx.access.keys.insert(hash, row.clone());
            row
        }
    };
    let grant = &row.grant;
    if grant.revoked {
        return Err(invalid("API key has been revoked"));
    }
    if grant.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(invalid("API key has expired"));
    }
    Ok(Identity {
        user_id: row.user_id.clone(),
        role: row.role,
        issued_at: None,
        key: Some(grant.clone()),
    })
}

/// Counts the request against `limits` and checks the credential against the account's current
/// state, giving the actor the request goes on as. A request over a limit is [`Error::RateLimited`]; the outcome is returned either way,
/// for the response's `RateLimit-*` headers.
pub async fn admit(
    ctx: &Context,
    identity: Option<Identity>,
    limits: &[Limit],
) -> (Result<Option<Actor>>, Option<LimitOutcome>) {
    let user = identity.as_ref().map(|i| &i.user_id);
    let key = identity
        .as_ref()
        .and_then(|i| i.key.as_ref())
        .map(|k| &k.id);
    let verdict = ctx.access.gate.check(user, key, limits).await;
    if let Some(limit) = verdict.limit.filter(|l| !l.allowed) {
        return (Err(Error::Throttled(limit)), Some(limit));
    }
    let Some(identity) = identity else {
        return (Ok(None), verdict.limit);
    };
    let admitted = settle(ctx, identity, verdict.credential).await;
    (admitted.map(Some), verdict.limit)
}

async fn settle(ctx: &Context, identity: Identity, state: CredentialState) -> Result<Actor> {
    let (account, key_revoked) = match state {
        CredentialState::Known {
            account,
            key_revoked,
        } => (account, key_revoked),
        CredentialState::Unknown => from_database(ctx, &identity).await?,
    };
    if key_revoked {
        return Err(invalid("API key has been revoked"));
    }
    let mut role = identity.role;
    if let Some(account) = account {
        if account.status == UserStatus::Suspended {
            return Err(invalid("the account is suspended"));
        }
        // A token from before the last change is stale; one from the same second is not, but
        // acts with the role as it now is.
        if identity
            .issued_at
            .is_some_and(|iat| iat < account.changed_at.timestamp())
        {
            return Err(invalid(
                "access token predates a change to the account; refresh it",
            ));
        }
        role = account.role;
    }
    let api_key = identity.key.map(|key| {
        ctx.access.note_use(&key.id);
        key.id
    });
    Ok(Actor {
        user_id: identity.user_id,
        role,
        api_key,
    })
}

/// The mirror's answer, from PostgreSQL (Redis is unreachable).
async fn from_database(
    ctx: &Context,
    identity: &Identity,
) -> Result<(Option<MirroredAccount>, bool)> {
    let mut conn = ctx.conn().await?;
    let state = users::access_state(&mut conn, &identity.user_id)
        .await?
        .ok_or_else(|| invalid("the account no longer exists"))?;
    let account = match (state.status, state.changed_at) {
        (UserStatus::Suspended, changed_at) => Some(MirroredAccount {
            role: state.role,
            status: state.status,
            changed_at: changed_at.unwrap_or_default(),
        }),
        (_, Some(changed_at)) => Some(MirroredAccount {
            role: state.role,
            status: state.status,
            changed_at,
        }),
        (_, None) => None,
    };
    let revoked = match &identity.key {
        Some(key) => api_keys::is_revoked(&mut conn, &key.id).await?,
        None => false,
    };
    Ok((account, revoked))
}

/// Mirrors an account's new role and status to Redis. Kept while the account is suspended, and
/// otherwise as long as an access token issued before the change could live.
pub async fn mirror_account(
    ctx: &Context,
    user: &UserId,
    role: Role,
    status: UserStatus,
    changed_at: DateTime<Utc>,
) -> Result<()> {
    ctx.access
        .gate
        .mirror_account(
            user,
            MirroredAccount {
                role,
                status,
                changed_at,
            },
            Duration::from_secs(ctx.settings.auth.access_token_age_secs),
        )
        .await
        .map_err(Error::Unavailable)
}

/// Mirrors a revoked key to Redis.
pub async fn mirror_revoked_key(
    ctx: &Context,
    key: &ApiKeyId,
    expires_at: Option<DateTime<Utc>>,
) -> Result<()> {
    ctx.access
        .gate
        .mirror_revoked_key(key, expires_at)
        .await
        .map_err(Error::Unavailable)
}

/// Rewrites the mirror from PostgreSQL (a scheduler task): after Redis lost its data, suspended
/// accounts and revoked keys are refused again within one period.
pub async fn rebuild_mirror(ctx: &Context) -> Result<String> {
    let token_age = Duration::from_secs(ctx.settings.auth.access_token_age_secs);
    let since = Utc::now() - token_age;
    let mut conn = ctx.conn().await?;
    let accounts = users::restricted(&mut conn, since).await?;
    let keys = api_keys::revoked_and_unexpired(&mut conn).await?;
    drop(conn);
    for (user, state) in &accounts {
        mirror_account(
            ctx,
            user,
            state.role,
            state.status,
            state.changed_at.unwrap_or_default(),
        )
        .await?;
    }
    for (key, expires_at) in &keys {
        mirror_revoked_key(ctx, key, *expires_at).await?;
    }
    Ok(format!(
        "{} accounts and {} revoked keys mirrored",
        accounts.len(),
        keys.len()
    ))
}
