//! Fetch: the only module that talks HTTP to origins. Owns the client (User-Agent, timeouts, body cap,
//! redirects, compression) and turns bytes into text with the right charset.
//!
//! **Invariant:** a page that came back empty, or as a known bot wall, is an error, never an empty list:
//! downstream an empty page would look like "the site has no items now".

use std::time::{Duration, Instant};

use url::Url;

use crate::extract::charset::decode_html;

/// Client settings; one [`Fetcher`] serves every site.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub user_agent: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
}

impl FetchOptions {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        FetchOptions {
            user_agent: settings.user_agent.clone(),
            timeout: settings.request_timeout,
            connect_timeout: Duration::from_secs(10).min(settings.request_timeout),
            max_body_bytes: settings.max_page_bytes,
            max_redirects: 5,
        }
    }
}

/// Why a page could not be had. Each message says what happened and, where it can, what to do.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// Connection refused, DNS failure, TLS failure, timeout, redirect loop.
    #[error("request to {url} failed: {message}")]
    Transport { url: String, message: String },
    /// A status other than 2xx.
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    /// The body was larger than the configured cap.
    #[error("{url} is larger than the {limit}-byte limit (raise limits.max_page_bytes if the page is really that big)")]
    TooLarge { url: String, limit: u64 },
    /// A 200 with nothing useful in it: empty, tiny, or a bot wall.
    #[error("{url} came back as a blocked or empty page ({reason})")]
    BlockedOrEmpty { url: String, reason: String },
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
}

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        // rustls needs a process-wide crypto provider; installing twice is harmless, so the error is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(options.max_redirects))
            .build()
            .map_err(|error| FetchError::Client(error.to_string()))?;
        Ok(Fetcher { client, options })
    }

    /// GET a page, read at most the body cap, decode it, and refuse empty or blocked pages.
    pub async fn fetch_page(&self, url: &Url, user_agent: Option<&str>) -> Result<FetchedPage, FetchError> {
        let started = Instant::now();
        let transport = |error: reqwest::Error| FetchError::Transport { url: url.to_string(), message: describe_reqwest_error(&error) };
        let mut request = self.client.get(url.clone());
        if let Some(user_agent) = user_agent {
            request = request.header(reqwest::header::USER_AGENT, user_agent);
        }
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let final_url = response.url().clone();
        if !response.status().is_success() {
            tracing::warn!(url = %url, status, elapsed_ms = started.elapsed().as_millis() as u64, "fetch failed");
            return Err(FetchError::Status { url: url.to_string(), status });
        }
        let limit = self.options.max_body_bytes;
        if response.content_length().is_some_and(|length| length > limit) {
            return Err(FetchError::TooLarge { url: url.to_string(), limit });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { url: url.to_string(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        let (text, encoding) = decode_html(&body, content_type.as_deref());
        let elapsed = started.elapsed();
        tracing::info!(url = %url, status, bytes = body.len(), elapsed_ms = elapsed.as_millis() as u64, "fetched");
        if let Some(reason) = blocked_or_empty(&text) {
            return Err(FetchError::BlockedOrEmpty { url: url.to_string(), reason });
        }
        Ok(FetchedPage { url: final_url, status, text, n_bytes: body.len(), encoding, elapsed })
    }
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

/// A page with no visible text and no links, or a known challenge page, is not a real page.
pub fn blocked_or_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Some("the body is empty".to_owned());
    }
    let lowercase = trimmed.chars().take(20_000).collect::<String>().to_lowercase();
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
    if let Some(marker) = BOT_WALLS.iter().find(|marker| lowercase.contains(*marker)) {
        return Some(format!("it looks like a bot wall (`{marker}`)"));
    }
    if trimmed.len() < 512 && !lowercase.contains("<a ") && !lowercase.contains("<item") && !lowercase.contains("<entry") {
        return Some(format!("only {} bytes and no links", trimmed.len()));
    }
    None
}
