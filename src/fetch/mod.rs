//! Fetch: the only module that talks HTTP to origins. It owns the client (User-Agent, timeouts, body
//! cap, redirects, gzip/brotli), politeness (robots.txt, per-host concurrency and gap), retries with
//! backoff, conditional requests, and turning bytes into text with the right charset.
//!
//! **Invariants:** a page that came back empty, much smaller than usual, or as a known bot wall is an
//! error, never an empty list (downstream it would read as "the site has no items now"). Fetch keeps no
//! state that outlives the process: validators (ETag / Last-Modified) come in and go out through the
//! caller, which stores them.

pub mod charset;
pub mod politeness;
pub mod robots;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use charset::decode_html;
use politeness::{Politeness, PolitenessOptions};
use robots::{RobotsCache, RobotsRules};

/// Client settings; one [`Fetcher`] serves every site.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub user_agent: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// Attempts per request, the first included (1 = no retries).
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with jitter.
    pub backoff_base: Duration,
    /// Longest wait between attempts; a Retry-After longer than this fails the request instead.
    pub backoff_cap: Duration,
    pub politeness: PolitenessOptions,
}

impl FetchOptions {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        FetchOptions {
            user_agent: settings.user_agent.clone(),
            timeout: settings.request_timeout,
            connect_timeout: Duration::from_secs(10).min(settings.request_timeout),
            max_body_bytes: settings.max_page_bytes,
            max_redirects: 5,
            max_attempts: settings.max_attempts,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            politeness: PolitenessOptions {
                max_in_flight_per_host: Some(settings.per_host_concurrency),
                min_gap_per_host: Some(settings.per_host_interval),
            },
        }
    }
}

/// Why a page could not be had. Each message says what happened and, where it can, what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// A configured header name or value is not valid HTTP.
    #[error("invalid header {name:?}: {message}")]
    BadHeader { name: String, message: String },
    /// Connection refused, DNS failure, TLS failure, timeout, redirect loop.
    #[error("request to {url} failed: {message}")]
    Transport { url: String, message: String, retryable: bool },
    /// A status other than 2xx or 304.
    #[error("{url} answered HTTP {status}{}", retry_hint(*status))]
    Status { url: String, status: u16 },
    /// The server asked us to come back later than we are willing to wait now.
    #[error("{url} answered HTTP {status} and asked to wait {} s before trying again", retry_after.as_secs())]
    RetryLater { url: String, status: u16, retry_after: Duration },
    /// The body was larger than the configured cap.
    #[error("{url} is larger than the {limit}-byte limit (raise limits.max_page_bytes if the page is really that big)")]
    TooLarge { url: String, limit: u64 },
    /// A 200 with nothing useful in it: empty, far smaller than usual, or a bot wall.
    #[error("{url} came back as a blocked or empty page ({reason}); the site may be refusing automated clients")]
    BlockedOrEmpty { url: String, reason: String },
    /// robots.txt forbids the URL (and the site config does not opt out).
    #[error("{url} is not fetched: {reason} (set `robots = false` in the site file only if you have the right to ignore it)")]
    Robots { url: String, reason: String },
}

fn retry_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (access refused: the site may block automated clients; check user_agent and headers)",
        404 | 410 => " (the page does not exist: check the URL)",
        _ => "",
    }
}

impl FetchError {
    /// Worth another attempt: timeouts, connection failures, 429 and 5xx.
    fn is_retryable(&self) -> bool {
        match self {
            FetchError::Transport { retryable, .. } => *retryable,
            FetchError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// HTTP validators of a page, for conditional requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// Per-request settings that come from the site config and the store.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// Overrides the fetcher's User-Agent (a site's `user_agent`).
    pub user_agent: Option<String>,
    /// Extra headers (a site's `headers`), cookies included as a `Cookie` header.
    pub headers: Vec<(String, String)>,
    /// Send If-None-Match / If-Modified-Since from these.
    pub validators: Option<Validators>,
    /// The size this page usually has; a body under a tenth of it is treated as blocked.
    pub typical_bytes: Option<usize>,
    /// Obey robots.txt (the default; a site may opt out explicitly).
    pub obey_robots: bool,
}

/// A fetched page, decoded.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The URL after redirects; links resolve against it.
    pub url: Url,
    pub status: u16,
    pub text: String,
    pub n_bytes: usize,
    pub encoding: &'static str,
    pub elapsed: Duration,
    pub validators: Validators,
}

/// A conditional request either brings a page or says nothing changed.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per request, moved once; boxing buys nothing
pub enum FetchOutcome {
    Page(FetchedPage),
    NotModified,
}

/// The shared HTTP client. Cheap to clone; clones share politeness and the robots cache.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
    politeness: Arc<Politeness>,
    robots: Arc<RobotsCache>,
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(options.max_redirects))
            .build()
            .map_err(|error| FetchError::Client(error.to_string()))?;
        Ok(Fetcher {
            client,
            politeness: Arc::new(Politeness::new(options.politeness)),
            robots: Arc::new(RobotsCache::default()),
            options,
        })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// GET a page unconditionally (robots.txt obeyed).
    pub async fn fetch_page(&self, url: &Url, request: &RequestOptions) -> Result<FetchedPage, FetchError> {
        let request = RequestOptions { validators: None, ..request.clone() };
        match self.fetch(url, &request).await? {
            FetchOutcome::Page(page) => Ok(page),
            // Without validators a 304 is a server bug; report it as such rather than loop.
            FetchOutcome::NotModified => Err(FetchError::Status { url: url.to_string(), status: 304 }),
        }
    }

    /// GET a page with retries, politeness and, when validators are given, as a conditional request.
    pub async fn fetch(&self, url: &Url, request: &RequestOptions) -> Result<FetchOutcome, FetchError> {
        if request.obey_robots {
            self.check_robots(url, request).await?;
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut attempt = 1;
        loop {
            let permit = self.politeness.acquire(&host).await;
            let result = self.fetch_once(url, request).await;
            drop(permit);
            let error = match result {
                Err(error) if attempt < self.options.max_attempts => error,
                other => return other,
            };
            let delay = match &error {
                FetchError::RetryLater { retry_after, .. } if *retry_after <= self.options.backoff_cap => *retry_after,
                FetchError::RetryLater { .. } => return Err(error),
                _ if error.is_retryable() => self.backoff(attempt),
                _ => return Err(error),
            };
            tracing::warn!(url = %url, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Exponential backoff with full jitter: a random delay up to base * 2^(attempt-1), capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.options.backoff_base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exponential.min(self.options.backoff_cap);
        let jittered = rand::rng().random_range(0.5..=1.0) * ceiling.as_secs_f64();
        Duration::from_secs_f64(jittered)
    }

    async fn fetch_once(&self, url: &Url, request: &RequestOptions) -> Result<FetchOutcome, FetchError> {
        let started = Instant::now();
        let transport = |error: reqwest::Error| FetchError::Transport {
            url: url.to_string(),
            retryable: error.is_timeout() || error.is_connect() || error.is_request() && !error.is_redirect() || error.is_body(),
            message: describe_reqwest_error(&error),
        };
        let mut headers = build_headers(request)?;
        if let Some(validators) = &request.validators {
            if let Some(etag) = validators.etag.as_deref().and_then(|etag| HeaderValue::from_str(etag).ok()) {
                headers.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = validators.last_modified.as_deref().and_then(|date| HeaderValue::from_str(date).ok()) {
                headers.insert(header::IF_MODIFIED_SINCE, date);
            }
        }
        let mut response = self.client.get(url.clone()).headers(headers).send().await.map_err(transport)?;
        let status = response.status();
        let log_status = status.as_u16();
        if status == StatusCode::NOT_MODIFIED && request.validators.is_some() {
            tracing::info!(url = %url, status = log_status, bytes = 0, elapsed_ms = started.elapsed().as_millis() as u64, "not modified");
            return Ok(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            tracing::warn!(url = %url, status = log_status, elapsed_ms = started.elapsed().as_millis() as u64, "fetch failed");
            if (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE)
                && let Some(retry_after) = retry_after(response.headers()) {
                    return Err(FetchError::RetryLater { url: url.to_string(), status: log_status, retry_after });
                }
            return Err(FetchError::Status { url: url.to_string(), status: log_status });
        }
        let limit = self.options.max_body_bytes;
        if response.content_length().is_some_and(|length| length > limit) {
            return Err(FetchError::TooLarge { url: url.to_string(), limit });
        }
        let final_url = response.url().clone();
        let content_type = header_text(response.headers(), header::CONTENT_TYPE);
        let validators = Validators {
            etag: header_text(response.headers(), header::ETAG),
            last_modified: header_text(response.headers(), header::LAST_MODIFIED),
        };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { url: url.to_string(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        let (text, encoding) = decode_html(&body, content_type.as_deref());
        let elapsed = started.elapsed();
        metrics::histogram!("feedwright_fetch_seconds").record(elapsed.as_secs_f64());
        tracing::info!(url = %url, status = log_status, bytes = body.len(), elapsed_ms = elapsed.as_millis() as u64, "fetched");
        if let Some(reason) = blocked_or_empty(&text, request.typical_bytes) {
            return Err(FetchError::BlockedOrEmpty { url: url.to_string(), reason });
        }
        Ok(FetchOutcome::Page(FetchedPage { url: final_url, status: log_status, text, n_bytes: body.len(), encoding, elapsed, validators }))
    }

    /// Refuse URLs the origin's robots.txt disallows, fetching and caching it on first use. When the
    /// site cannot be reached at all, that is the error reported (not robots.txt), and nothing is cached.
    async fn check_robots(&self, url: &Url, request: &RequestOptions) -> Result<(), FetchError> {
        let origin = url.origin().ascii_serialization();
        let rules = match self.robots.get(&origin) {
            Some(rules) => rules,
            None => {
                let rules = self.fetch_robots(url, request).await?;
                self.robots.insert(&origin, rules.clone());
                rules
            }
        };
        rules.allows(url.as_str()).map_err(|reason| FetchError::Robots { url: url.to_string(), reason })
    }

    async fn fetch_robots(&self, url: &Url, request: &RequestOptions) -> Result<RobotsRules, FetchError> {
        let Ok(robots_url) = url.join("/robots.txt") else { return Ok(RobotsRules::AllowAll) };
        let user_agent = request.user_agent.clone().unwrap_or_else(|| self.options.user_agent.clone());
        let host = url.host_str().unwrap_or_default().to_owned();
        let permit = self.politeness.acquire(&host).await;
        let result = self.client.get(robots_url.clone()).header(header::USER_AGENT, &user_agent).send().await;
        drop(permit);
        let response = match result {
            Ok(response) => response,
            Err(error) if error.is_connect() || error.is_timeout() => {
                return Err(FetchError::Transport {
                    url: url.to_string(),
                    message: format!("cannot reach the site: {}", describe_reqwest_error(&error.without_url())),
                    retryable: true,
                });
            }
            Err(error) => return Ok(RobotsRules::Unreachable(describe_reqwest_error(&error))),
        };
        let status = response.status();
        let rules = if status.is_success() {
            // Crawlers read at most 500 KiB of robots.txt (RFC 9309); stop reading there.
            const MAX_ROBOTS_BYTES: usize = 512 * 1024;
            let mut response = response;
            let mut body = Vec::new();
            let mut read_error = None;
            while body.len() < MAX_ROBOTS_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(error) => {
                        read_error = Some(describe_reqwest_error(&error));
                        break;
                    }
                }
            }
            body.truncate(MAX_ROBOTS_BYTES);
            match read_error {
                Some(error) => RobotsRules::Unreachable(error),
                None => RobotsRules::parse(&user_agent, &body),
            }
        } else if status.is_client_error() {
            RobotsRules::AllowAll
        } else {
            RobotsRules::Unreachable(format!("HTTP {}", status.as_u16()))
        };
        tracing::debug!(url = %robots_url, status = status.as_u16(), "robots.txt read");
        Ok(rules)
    }
}

/// rustls needs a process-wide crypto provider (ring here: it builds faster than aws-lc) before any
/// HTTP client is built. Installing twice is harmless, so the "already installed" error is ignored.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn build_headers(request: &RequestOptions) -> Result<HeaderMap, FetchError> {
    let mut headers = HeaderMap::new();
    if let Some(user_agent) = &request.user_agent {
        let value = HeaderValue::from_str(user_agent)
            .map_err(|error| FetchError::BadHeader { name: "User-Agent".to_owned(), message: error.to_string() })?;
        headers.insert(header::USER_AGENT, value);
    }
    for (name, value) in &request.headers {
        let bad = |message: String| FetchError::BadHeader { name: name.clone(), message };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|error| bad(error.to_string()))?;
        let header_value = HeaderValue::from_str(value).map_err(|error| bad(error.to_string()))?;
        headers.append(header_name, header_value);
    }
    Ok(headers)
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// reqwest's Display hides the cause ("error sending request"); walk the source chain for it.
fn describe_reqwest_error(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() { "timed out".to_owned() } else { error.to_string() };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// A page with no text and no links, far smaller than usual, or a known challenge page, is not a real page.
pub fn blocked_or_empty(text: &str, typical_bytes: Option<usize>) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Some("the body is empty".to_owned());
    }
    let head: String = trimmed.chars().take(20_000).collect::<String>().to_lowercase();
    const BOT_WALLS: &[&str] = &[
        "cf-browser-verification",
        "challenge-platform",
        "<title>just a moment...</title>",
        "<title>attention required! | cloudflare</title>",
        "captcha-delivery.com",
        "px-captcha",
        "/_incapsula_resource",
        "<title>access denied</title>",
    ];
    if let Some(marker) = BOT_WALLS.iter().find(|marker| head.contains(*marker)) {
        return Some(format!("it looks like a bot wall (`{marker}`)"));
    }
    if trimmed.len() < 512 && !head.contains("<a ") && !head.contains("<item") && !head.contains("<entry") {
        return Some(format!("only {} bytes and no links", trimmed.len()));
    }
    if let Some(typical_bytes) = typical_bytes
        && typical_bytes >= 4096 && trimmed.len() < typical_bytes / 10 {
            return Some(format!("{} bytes where this page usually has about {typical_bytes}", trimmed.len()));
        }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_or_empty_cases() {
        assert!(blocked_or_empty("", None).is_some());
        assert!(blocked_or_empty("   \n ", None).is_some());
        assert!(blocked_or_empty("<html><body></body></html>", None).is_some());
        assert!(blocked_or_empty("<html><head><title>Just a moment...</title></head><body><a href=x>x</a></body></html>", None).is_some());
        let real = format!("<html><body>{}</body></html>", "<a href=\"/x\">story</a>".repeat(200));
        assert!(blocked_or_empty(&real, None).is_none());
        assert!(blocked_or_empty(&real, Some(60_000)).is_some());
        assert!(blocked_or_empty(&real, Some(5_000)).is_none());
    }
}
