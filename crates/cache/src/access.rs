//! What every limited request asks Redis, in one round trip (one Lua script): its rate limits
//! (GCRA, shared by every API process) and whether its credential still stands (the account's
//! mirrored role, status and last change; the API key's revocation). Admin changes write the
//! mirror as they commit, so a suspension or a revocation holds from the next request on, on every
//! replica.
//!
//! With Redis unreachable, nothing fails: limits are applied per process by an in-memory GCRA
//! (`governor`), and [`Gate::check`] says the credential state is unknown, so the caller asks the
//! database instead. A breaker keeps requests from waiting on a Redis that is down.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backbeat_config::{CacheSettings, RateRule};
use backbeat_domain::Role;
use backbeat_domain::access::UserStatus;
use backbeat_domain::ids::{ApiKeyId, UserId};
use chrono::{DateTime, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use redis::Script;

use crate::{Breaker, RedisPool};

const BREAKER_COOLDOWN: Duration = Duration::from_secs(5);

/// KEYS[1]: the account's mirror (a hash), KEYS[2]: the key's revocation flag, KEYS[3..]: one GCRA
/// key per rule; ARGV: each rule's limit and period in milliseconds. A request is counted against
/// every rule only when all allow it. Redis's clock is the only clock, so replicas cannot drift.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'status', 'role', 'changed_ms')
local revoked = redis.call('EXISTS', KEYS[2])
local allowed = 1
local out_limit, out_remaining, out_reset, retry = 0, -1, 0, 0
local updates = {}
for i = 3, #KEYS do
  local limit = tonumber(ARGV[(i - 3) * 2 + 1])
  local period = tonumber(ARGV[(i - 3) * 2 + 2])
  local interval = period / limit
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  local remaining, reset
  if now < allow_at then
    allowed = 0
    remaining = 0
    reset = tat - now
    if allow_at - now > retry then retry = allow_at - now end
  else
    remaining = math.floor((now - allow_at) / interval)
    reset = new_tat - now
    updates[#updates + 1] = {KEYS[i], new_tat}
  end
  if out_remaining < 0 or remaining < out_remaining then
    out_limit, out_remaining, out_reset = limit, remaining, reset
  end
end
if allowed == 1 then
  for _, u in ipairs(updates) do
    redis.call('SET', u[1], string.format('%.3f', u[2]), 'PX', math.ceil(u[2] - now) + 1)
  end
end
return {state[1], state[2], state[3], revoked, allowed, out_limit, math.max(out_remaining, 0),
        math.ceil(out_reset), math.ceil(retry)}
";

/// One rate rule applied to one subject (`login:address:203.0.113.7`).
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub rule: RateRule,
}

/// The tightest of the rules a request was checked against, for the `RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitOutcome {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Until the subject's full allowance is back.
    pub reset: Duration,
    /// Until a refused request would be allowed.
    pub retry_after: Duration,
}

impl LimitOutcome {
    /// Of two policies a request was counted against (the route's and the handler's own), the
    /// one a client should heed: the one that refused it (the longer wait, if both did), else
    /// the one with fewer requests left (the later reset on a tie).
    pub fn tighter(self, other: Self) -> Self {
        let other_wins = match (self.allowed, other.allowed) {
            (false, true) => false,
            (true, false) => true,
            (false, false) => other.retry_after > self.retry_after,
            (true, true) => {
                other.remaining < self.remaining
                    || (other.remaining == self.remaining && other.reset > self.reset)
            }
        };
        if other_wins { other } else { self }
    }
}

/// The account as the mirror knows it: present only once an admin changed its role or status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MirroredAccount {
    pub role: Role,
    pub status: UserStatus,
    pub changed_at: DateTime<Utc>,
}

/// What Redis said about the credential; `Unknown` when Redis could not be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialState {
    Known {
        account: Option<MirroredAccount>,
        key_revoked: bool,
    },
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub credential: CredentialState,
    /// `None` when no rule applied.
    pub limit: Option<LimitOutcome>,
}

type LocalLimiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Past this many subjects, the local limiters forget the ones whose allowance is full again.
const LOCAL_SUBJECTS_MAX: usize = 100_000;

#[derive(Clone)]
pub struct Gate {
    redis: RedisPool,
    prefix: String,
    script: Arc<Script>,
    breaker: Breaker,
    /// Per rule, the limiter used while Redis is unreachable.
    local: Arc<LocalLimiters>,
}

/// One in-memory limiter per distinct rule, created on first use.
#[derive(Default)]
struct LocalLimiters(Mutex<HashMap<(u32, u64), Arc<LocalLimiter>>>);

impl LocalLimiters {
    fn for_rule(&self, rule: RateRule) -> Option<Arc<LocalLimiter>> {
        let mut map = self.0.lock().ok()?;
        let limiter = map
            .entry((rule.limit, rule.period_secs))
            .or_insert_with(|| Arc::new(local_limiter(rule)));
        Some(limiter.clone())
    }
}

fn local_limiter(rule: RateRule) -> LocalLimiter {
    let burst = NonZeroU32::new(rule.limit).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(rule.period() / burst.get())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst);
    RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>()
}

impl Gate {
    pub fn new(redis: RedisPool, settings: &CacheSettings) -> Self {
        Self {
            redis,
            prefix: settings.prefix.clone(),
            script: Arc::new(Script::new(SCRIPT)),
            breaker: Breaker::new(
                BREAKER_COOLDOWN,
                "rate limiting per process and checking credentials in the database",
            ),
            local: Arc::new(LocalLimiters::default()),
        }
    }

    fn account_key(&self, user: &UserId) -> String {
        format!("{}access:user:{user}", self.prefix)
    }

    fn revoked_key(&self, key: &ApiKeyId) -> String {
        format!("{}access:key:{key}:revoked", self.prefix)
    }

    /// Checks `limits` (all or none are counted) and reads the credential's state.
    pub async fn check(
        &self,
        user: Option<&UserId>,
        api_key: Option<&ApiKeyId>,
        limits: &[Limit],
    ) -> Verdict {
        let limits: Vec<&Limit> = limits.iter().filter(|l| l.rule.is_on()).collect();
        if user.is_none() && api_key.is_none() && limits.is_empty() {
            return Verdict {
                credential: CredentialState::Known {
                    account: None,
                    key_revoked: false,
                },
                limit: None,
            };
        }
        if self.breaker.closed() {
            match self.ask_redis(user, api_key, &limits).await {
                Ok(verdict) => return verdict,
                Err(error) => self.breaker.trip(&error),
            }
        }
        Verdict {
            credential: CredentialState::Unknown,
            limit: self.check_locally(&limits),
        }
    }

    async fn ask_redis(
        &self,
        user: Option<&UserId>,
        api_key: Option<&ApiKeyId>,
        limits: &[&Limit],
    ) -> anyhow::Result<Verdict> {
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(user.map_or_else(
                || format!("{}access:none", self.prefix),
                |u| self.account_key(u),
            ))
            .key(api_key.map_or_else(
                || format!("{}access:none", self.prefix),
                |k| self.revoked_key(k),
            ));
        for limit in limits {
            invocation
                .key(format!("{}rate:{}", self.prefix, limit.key))
                .arg(limit.rule.limit)
                .arg(limit.rule.period().as_millis() as u64);
        }
        let mut conn = self.redis.get().await?;
        type Reply = (
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            i64,
            u32,
            u32,
            u64,
            u64,
        );
        let (status, role, changed_ms, revoked, allowed, limit, remaining, reset_ms, retry_ms): Reply =
            invocation.invoke_async(&mut conn).await?;
        let account = match (status, role, changed_ms) {
            (Some(status), Some(role), Some(changed_ms)) => Some(MirroredAccount {
                status: UserStatus::parse(&status)
                    .ok_or_else(|| anyhow::anyhow!("mirrored status `{status}`"))?,
                role: role.parse()?,
                changed_at: DateTime::from_timestamp_millis(changed_ms)
                    .ok_or_else(|| anyhow::anyhow!("mirrored change time {changed_ms}"))?,
            }),
            _ => None,
        };
        Ok(Verdict {
            credential: CredentialState::Known {
                account,
                key_revoked: revoked == 1,
            },
            limit: (!limits.is_empty()).then_some(LimitOutcome {
                allowed: allowed == 1,
                limit,
                remaining,
                reset: Duration::from_millis(reset_ms),
                retry_after: Duration::from_millis(retry_ms),
            }),
        })
    }

    fn check_locally(&self, limits: &[&Limit]) -> Option<LimitOutcome> {
        let clock = DefaultClock::default();
        let mut outcome: Option<LimitOutcome> = None;
        for limit in limits {
            let Some(limiter) = self.local.for_rule(limit.rule) else {
                continue;
            };
            if limiter.len() > LOCAL_SUBJECTS_MAX {
                limiter.retain_recent();
            }
            let interval = limit.rule.period() / limit.rule.limit;
            let this = match limiter.check_key(&limit.key) {
                Ok(snapshot) => {
                    let remaining = snapshot.remaining_burst_capacity();
                    LimitOutcome {
                        allowed: true,
                        limit: limit.rule.limit,
                        remaining,
                        reset: interval * (limit.rule.limit - remaining),
                        retry_after: Duration::ZERO,
                    }
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now());
                    LimitOutcome {
                        allowed: false,
                        limit: limit.rule.limit,
                        remaining: 0,
                        reset: limit.rule.period(),
                        retry_after: wait,
                    }
                }
            };
            outcome = Some(match outcome {
                None => this,
                Some(previous) => LimitOutcome {
                    allowed: previous.allowed && this.allowed,
                    retry_after: previous.retry_after.max(this.retry_after),
                    ..if this.remaining < previous.remaining {
                        this
                    } else {
                        previous
                    }
                },
            });
        }
        outcome
    }

    /// Records an account's role and status as an admin just set them. Kept while the account is
    /// suspended; otherwise for `ttl` (the age of the oldest access token it can invalidate).
    pub async fn mirror_account(
        &self,
        user: &UserId,
        account: MirroredAccount,
        ttl: Duration,
    ) -> anyhow::Result<()> {
        let key = self.account_key(user);
        let mut conn = self.redis.get().await?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                &key,
                &[
                    ("status", account.status.as_str().to_owned()),
                    ("role", account.role.as_str().to_owned()),
                    (
                        "changed_ms",
                        account.changed_at.timestamp_millis().to_string(),
                    ),
                ],
            )
            .ignore();
        if account.status == UserStatus::Suspended {
            pipe.persist(&key).ignore();
        } else {
            pipe.expire(&key, ttl.as_secs().max(1) as i64).ignore();
        }
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// Records a revoked key, until it would have expired anyway.
    pub async fn mirror_revoked_key(
        &self,
        key: &ApiKeyId,
        expires_at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<()> {
        let mut conn = self.redis.get().await?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.revoked_key(key)).arg(1);
        if let Some(expires_at) = expires_at {
            let ms = (expires_at - Utc::now()).num_milliseconds().max(1);
            cmd.arg("PX").arg(ms);
        }
        cmd.query_async::<()>(&mut conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::LimitOutcome;
    use std::time::Duration;

    fn outcome(allowed: bool, limit: u32, remaining: u32, retry_secs: u64) -> LimitOutcome {
        LimitOutcome {
            allowed,
            limit,
            remaining,
            reset: Duration::from_secs(60),
            retry_after: Duration::from_secs(retry_secs),
        }
    }

    #[test]
    fn the_refusing_policy_wins_then_the_one_with_fewer_requests_left() {
        let address = outcome(true, 20, 9, 0);
        let username = outcome(false, 10, 0, 12);
        assert_eq!(address.tighter(username), username);
        assert_eq!(username.tighter(address), username);
        let nearly = outcome(true, 10, 1, 0);
        assert_eq!(address.tighter(nearly), nearly);
        assert_eq!(nearly.tighter(address), nearly);
        let longer = outcome(false, 20, 0, 30);
        assert_eq!(username.tighter(longer), longer);
    }
}
