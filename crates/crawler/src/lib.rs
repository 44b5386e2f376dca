//! Fetching a page named by a user (an artist's profile URL) without letting that URL reach
//! anything but the public web.
//!
//! A URL is a request made from inside the network: `http://169.254.169.254/` reads a cloud
//! instance's credentials, `http://localhost:6379/` talks to Redis. So:
//! - only `http` and `https`, no credentials in the URL;
//! - every address a name resolves to is checked, and the name is refused if **any** of them is
//!   private, loopback, link-local or otherwise not public; the connection can only go to the
//!   addresses checked, because the check is the client's resolver ([`GuardedResolver`]), not a
//!   lookup made beforehand that DNS could answer differently the second time;
//! - a URL whose host is an IP address is checked the same way (no resolver runs for it);
//! - redirects are followed here, one hop at a time, each hop checked again, at most
//!   `max_redirects`, and a loop is named as one;
//! - each request has a connect timeout and a total timeout, and at most `max_page_bytes` are
//!   read; no proxy from the environment is used.

mod address;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ACCEPT, LOCATION};
use reqwest::redirect::Policy;
use reqwest::{StatusCode, Url};

pub use address::refusal;

/// The rules a crawl follows.
#[derive(Debug, Clone)]
pub struct Rules {
    pub connect_timeout: Duration,
    /// Per request: a redirect chain may take up to `max_redirects + 1` of these.
    pub timeout: Duration,
    pub max_page_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Tests' own servers listen on loopback; nothing else may.
    pub allow_loopback: bool,
}

/// A page as fetched: where it ended up (after redirects) and its text.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub text: String,
}

/// Why a page could not be read, in words an artist can act on. [`FetchError::is_transient`]
/// tells the caller whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("`{0}` is not a valid URL")]
    InvalidUrl(String),
    #[error("only http and https URLs can be checked, not `{0}`")]
    Scheme(String),
    #[error("URLs with a user name or password are not fetched")]
    Credentials,
    #[error("`{host}` resolves to {address}, a {kind} address, which is never fetched")]
    Refused {
        host: String,
        address: IpAddr,
        kind: &'static str,
    },
    #[error("`{0}` could not be resolved")]
    Unresolved(String),
    #[error("the page redirects in a loop (back to {0})")]
    RedirectLoop(String),
    #[error("the page redirected more than {0} times")]
    TooManyRedirects(usize),
    #[error("a redirect had no usable Location header")]
    BadRedirect,
    #[error("the page is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the page did not answer within {0} s")]
    Timeout(u64),
    #[error("could not connect to {0}")]
    Connect(String),
    #[error("the page answered {0}")]
    Status(String),
    #[error("the page could not be read: {0}")]
    Read(String),
}

impl FetchError {
    /// A failure that may pass: a timeout, a connection failure, a server error or a 429.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_)
            | FetchError::Connect(_)
            | FetchError::Read(_)
            | FetchError::Unresolved(_) => true,
            FetchError::Status(status) => status.starts_with('5') || status.starts_with("429"),
            _ => false,
        }
    }
}

#[derive(Clone)]
pub struct Crawler {
    client: reqwest::Client,
    rules: Arc<Rules>,
}

impl Crawler {
    pub fn new(rules: Rules) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(rules.user_agent.clone())
            .connect_timeout(rules.connect_timeout)
            .timeout(rules.timeout)
            .redirect(Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_loopback: rules.allow_loopback,
            }))
            .build()?;
        Ok(Self {
            client,
            rules: Arc::new(rules),
        })
    }

    /// Fetches `url`, following redirects under the rules.
    #[tracing::instrument(target = "backbeat_calls", name = "crawler fetch", skip_all)]
    pub async fn fetch(&self, url: &str) -> Result<Page, FetchError> {
        let mut url = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_owned()))?;
        let mut seen = HashSet::new();
        for _ in 0..=self.rules.max_redirects {
            self.check(&url)?;
            if !seen.insert(url.clone()) {
                return Err(FetchError::RedirectLoop(url.to_string()));
            }
            let response = self
                .client
                .get(url.clone())
                .header(ACCEPT, "text/html, text/plain;q=0.9, */*;q=0.5")
                .send()
                .await
                .map_err(|e| self.failure(&url, &e))?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|location| url.join(location).ok())
                    .ok_or(FetchError::BadRedirect)?;
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.to_string()));
            }
            let text = self.read(&url, response).await?;
            return Ok(Page { url, text });
        }
        Err(FetchError::TooManyRedirects(self.rules.max_redirects))
    }

    /// The URL's own rules; its host's addresses are checked by the resolver.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Scheme(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::Credentials);
        }
        let host = match url.host() {
            Some(host) => host,
            None => return Err(FetchError::InvalidUrl(url.to_string())),
        };
        let literal = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        if let Some(address) = literal
            && let Some(kind) = refusal(address, self.rules.allow_loopback)
        {
            return Err(FetchError::Refused {
                host: host.to_string(),
                address,
                kind,
            });
        }
        Ok(())
    }

    /// Reads the body up to the size cap, without ever holding more than the cap.
    async fn read(&self, url: &Url, mut response: reqwest::Response) -> Result<String, FetchError> {
        let cap = self.rules.max_page_bytes;
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(FetchError::TooLarge(cap));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(url, &e))? {
            if body.len() + chunk.len() > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    fn failure(&self, url: &Url, error: &reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if let Some(refused) = cause.downcast_ref::<FetchError>() {
                return refused.clone();
            }
            source = cause.source();
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if error.is_timeout() {
            FetchError::Timeout(self.rules.timeout.as_secs_f64().ceil() as u64)
        } else if error.is_connect() {
            FetchError::Connect(host)
        } else {
            FetchError::Read(error.to_string())
        }
    }
}

/// The client's only resolver: a name resolves to its addresses only when every one of them may
/// be fetched.
struct GuardedResolver {
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| boxed(FetchError::Unresolved(host.clone())))?
                .collect();
            if addresses.is_empty() {
                return Err(boxed(FetchError::Unresolved(host)));
            }
            for address in &addresses {
                if let Some(kind) = refusal(address.ip(), allow_loopback) {
                    return Err(boxed(FetchError::Refused {
                        host,
                        address: address.ip(),
                        kind,
                    }));
                }
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The resolver's error as reqwest carries it, so [`Crawler::failure`] finds it again (a
/// `Box<FetchError>` passed through `From` would be boxed twice and hidden).
fn boxed(error: FetchError) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(error)
}
