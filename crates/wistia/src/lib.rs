//! The two Wistia calls backbeat makes: one page of the account's medias, and one media's stats.
//!
//! Every request waits its turn at a limiter set under the account's limit (Wistia allows 600 a
//! minute), so a sync spends its budget evenly instead of running into 429s. A 429 still gets its
//! `Retry-After` honoured, by every request of the client at once (they share one account), and a
//! 5xx, a timeout or a refused connection is retried with a doubling, jittered back-off, a capped
//! number of times. The token travels only in the `Authorization` header, marked sensitive, and
//! never appears in an error or a log line.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::RngExt;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

/// How the client treats Wistia (from `wistia.*` in the configuration).
#[derive(Debug, Clone)]
pub struct Rules {
    pub requests_per_minute: u32,
    pub burst: u32,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub retry_base: Duration,
    pub max_retry_wait: Duration,
    pub per_page: u32,
}

/// A media as Wistia lists it. Fields Wistia may leave out are optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Media {
    pub hashed_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// `queued`, `processing`, `ready` or `failed`.
    pub status: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub thumbnail: Option<Thumbnail>,
    #[serde(default)]
    pub project: Option<Project>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Thumbnail {
    pub url: String,
    #[serde(default)]
    pub width: Option<i32>,
    #[serde(default)]
    pub height: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: serde_json::Value,
    pub name: String,
    #[serde(default, alias = "hashed_id")]
    pub hashed_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tag {
    pub name: String,
}

/// A media's audience so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Stats {
    pub plays: i64,
    #[serde(default)]
    pub visitors: i64,
}

#[derive(Deserialize)]
struct StatsBody {
    stats: Stats,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token was refused (401/403): retrying cannot help until an operator fixes it.
    #[error("Wistia refused the token ({0})")]
    Unauthorized(StatusCode),
    /// No such media (any more).
    #[error("no such media on Wistia")]
    NotFound,
    /// Still failing after the retries, or asked to wait longer than allowed: try again later.
    #[error("Wistia unavailable: {0}")]
    Unavailable(String),
    /// An answer that is not what the API documents.
    #[error("unexpected answer from Wistia: {0}")]
    Invalid(String),
}

/// What the client did, for a job's result and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    /// 429 answers received.
    pub throttled: u64,
    pub retries: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

#[derive(Clone)]
pub struct Wistia {
    http: reqwest::Client,
    base: Url,
    authorization: HeaderValue,
    limiter: Arc<DefaultDirectRateLimiter>,
    /// Set by a 429: no request of this client leaves before it.
    paused_until: Arc<Mutex<Option<Instant>>>,
    counters: Arc<Counters>,
    rules: Rules,
}

impl std::fmt::Debug for Wistia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wistia")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl Wistia {
    pub fn new(base_url: &str, token: &SecretString, rules: Rules) -> Result<Self, Error> {
        let mut base =
            Url::parse(base_url).map_err(|e| Error::Invalid(format!("wistia.base_url: {e}")))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", token.expose_secret().trim()))
                .map_err(|_| Error::Invalid("wistia.token is not a valid header value".into()))?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(rules.connect_timeout)
            .timeout(rules.request_timeout)
            .user_agent(concat!("backbeat/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Invalid(format!("HTTP client: {e}")))?;
        let per_minute =
            NonZeroU32::new(rules.requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rules.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Ok(Self {
            http,
            base,
            authorization,
            limiter: Arc::new(RateLimiter::direct(quota)),
            paused_until: Arc::default(),
            counters: Arc::default(),
            rules,
        })
    }

    pub fn per_page(&self) -> u32 {
        self.rules.per_page
    }

    pub fn counts(&self) -> Counts {
        Counts {
            requests: self.counters.requests.load(Ordering::Relaxed),
            throttled: self.counters.throttled.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
        }
    }

    /// Page `page` (from 1) of every media, oldest first; a page shorter than [`Self::per_page`]
    /// is the last.
    pub async fn medias(&self, page: u32) -> Result<Vec<Media>, Error> {
        let mut url = self.url("v1/medias.json")?;
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &self.rules.per_page.to_string())
            .append_pair("sort_by", "created")
            .append_pair("sort_direction", "1");
        let body = self.get(url).await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Invalid(format!("medias page {page}: {e}")))
    }

    /// One media's stats; [`Error::NotFound`] when Wistia no longer has it.
    pub async fn stats(&self, hashed_id: &str) -> Result<Stats, Error> {
        let mut url = self.url("v1/medias/")?;
        url.path_segments_mut()
            .map_err(|()| Error::Invalid("wistia.base_url cannot have a path".into()))?
            .pop_if_empty()
            .push(hashed_id)
            .push("stats.json");
        let body = self.get(url).await?;
        serde_json::from_slice::<StatsBody>(&body)
            .map(|b| b.stats)
            .map_err(|e| Error::Invalid(format!("stats of {hashed_id}: {e}")))
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Invalid(format!("URL: {e}")))
    }

    /// The body of a 200, after waiting for the limiter and retrying what may pass later.
    #[tracing::instrument(target = "backbeat_calls", name = "wistia request", skip_all, fields(path = %url.path()))]
    async fn get(&self, url: Url) -> Result<Vec<u8>, Error> {
        let mut retries = 0;
        loop {
            self.wait_turn().await;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = self
                .http
                .get(url.clone())
                .header(AUTHORIZATION, self.authorization.clone())
                .send()
                .await;
            let wait = match outcome {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        match response.bytes().await {
                            Ok(body) => return Ok(body.to_vec()),
                            Err(e) => {
                                Failure::Transient(format!("reading the answer: {}", plain(&e)))
                            }
                        }
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                        Failure::Throttled(retry_after(response.headers()))
                    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                    {
                        return Err(Error::Unauthorized(status));
                    } else if status == StatusCode::NOT_FOUND {
                        return Err(Error::NotFound);
                    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                        Failure::Transient(format!("{status}"))
                    } else {
                        return Err(Error::Invalid(format!("{status} for {}", url.path())));
                    }
                }
                Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                    Failure::Transient(plain(&e))
                }
                Err(e) => return Err(Error::Invalid(plain(&e))),
            };
            if retries >= self.rules.max_retries {
                return Err(Error::Unavailable(format!(
                    "{} after {retries} retries ({})",
                    wait.describe(),
                    url.path()
                )));
            }
            let delay = match wait {
                Failure::Throttled(Some(after)) => after,
                Failure::Throttled(None) | Failure::Transient(_) => self.backoff(retries),
            };
            if delay > self.rules.max_retry_wait {
                return Err(Error::Unavailable(format!(
                    "asked to wait {}s ({})",
                    delay.as_secs(),
                    url.path()
                )));
            }
            if let Failure::Throttled(_) = wait {
                // The whole account is over its limit: every request of this client waits.
                let mut paused = self.paused_until.lock().await;
                let until = Instant::now() + delay;
                if paused.is_none_or(|p| p < until) {
                    *paused = Some(until);
                }
            }
            tracing::warn!(path = url.path(), retry = retries + 1, delay_ms = delay.as_millis() as u64, reason = %wait.describe(), "retrying a Wistia request");
            retries += 1;
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
    }

    async fn wait_turn(&self) {
        let paused = *self.paused_until.lock().await;
        if let Some(until) = paused {
            tokio::time::sleep_until(until).await;
        }
        self.limiter.until_ready().await;
    }

    /// `retry_base` doubled per retry, with full jitter on the upper half so clients that failed
    /// together do not come back together.
    fn backoff(&self, retries: u32) -> Duration {
        let ceiling = self
            .rules
            .retry_base
            .saturating_mul(1 << retries.min(16))
            .min(self.rules.max_retry_wait);
        let half = ceiling / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

enum Failure {
    Throttled(Option<Duration>),
    Transient(String),
}

impl Failure {
    fn describe(&self) -> String {
        match self {
            Failure::Throttled(_) => "429 Too Many Requests".to_owned(),
            Failure::Transient(reason) => reason.clone(),
        }
    }
}

/// A reqwest error without its URL (the query shows no secret, but keep error text short).
fn plain(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(error) {
        Some(source) => format!("{kind}: {source}"),
        None => kind.to_owned(),
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).expect("header"));
        let wait = retry_after(&headers).expect("a date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn a_media_reads_as_wistia_documents_it() {
        let media: Media = serde_json::from_str(
            r#"{"id": 1, "hashed_id": "abc123defg", "name": "Live at the Roundhouse",
                "description": "<p>Encore</p>", "duration": 241.37,
                "created": "2026-01-02T10:00:00+00:00", "updated": "2026-01-03T10:00:00+00:00",
                "status": "ready", "archived": false, "type": "Video",
                "thumbnail": {"url": "https://embed-ssl.wistia.com/t.jpg", "width": 200, "height": 120},
                "project": {"id": 42, "name": "Live", "hashedId": "prj42"},
                "tags": [{"name": "Live"}, {"name": "Encore"}]}"#,
        )
        .expect("parses");
        assert_eq!(media.hashed_id, "abc123defg");
        assert_eq!(media.duration, Some(241.37));
        assert_eq!(
            media.project.and_then(|p| p.hashed_id).as_deref(),
            Some("prj42")
        );
        assert_eq!(media.tags.len(), 2);
        let bare: Media = serde_json::from_str(
            r#"{"hashed_id": "x", "name": "n", "created": "2026-01-02T10:00:00Z",
                "updated": "2026-01-02T10:00:00Z", "status": "queued"}"#,
        )
        .expect("optional fields may be missing");
        assert!(!bare.archived && bare.tags.is_empty());
    }

    fn rules() -> Rules {
        Rules {
            requests_per_minute: 600,
            burst: 1,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_retries: 3,
            retry_base: Duration::from_millis(100),
            max_retry_wait: Duration::from_secs(5),
            per_page: 100,
        }
    }

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let client =
            Wistia::new("http://127.0.0.1:1", &SecretString::from("t"), rules()).expect("client");
        for retry in 0..10 {
            let ceiling = Duration::from_millis(100 * (1 << retry)).min(Duration::from_secs(5));
            let delay = client.backoff(retry);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{retry}: {delay:?}"
            );
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let client = Wistia::new(
            "http://127.0.0.1:1/api",
            &SecretString::from("s3cr3t"),
            rules(),
        )
        .expect("client");
        assert!(!format!("{client:?}").contains("s3cr3t"));
        assert_eq!(client.base.as_str(), "http://127.0.0.1:1/api/");
    }
}
