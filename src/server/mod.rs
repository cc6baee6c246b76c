//! Server: the HTTP face of feedwright (axum). Serves stored items as feeds, an index page, OPML,
//! health, metrics and status. `router(state)` is composed from small route groups.
//!
//! **Invariant:** handlers read the store (through a render cache); they never fetch a site. No path,
//! query or header is used to open a file: nothing is served from disk.

mod api;
mod feeds;
mod index;
pub mod run;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::config::{Config, LiveConfig};
use crate::store::{FeedKey, Store};

pub use feeds::RenderCache;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The config in force and the last reload problem.
    pub live_config: Arc<LiveConfig>,
    pub store: Store,
    pub cache: Arc<RenderCache>,
    /// Asks the scheduler to refresh a feed now; `None` when no scheduler runs (tests of the router alone).
    pub refresh_requests: Option<mpsc::Sender<FeedKey>>,
    /// Bearer token for the admin routes; the routes are off without one.
    pub admin_token: Option<String>,
    /// Prometheus exposition.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

impl AppState {
    pub fn new(live_config: Arc<LiveConfig>, store: Store) -> Self {
        let admin_token = live_config.current().settings.admin_token.clone();
        AppState { live_config, store, cache: Arc::new(RenderCache::default()), refresh_requests: None, admin_token, metrics: None }
    }

    /// The config in force now.
    pub fn config(&self) -> Arc<Config> {
        self.live_config.current()
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    // Feed routes count their own requests (they are the hot path: a middleware there costs a tenth
    // of the throughput); every other route is counted by the middleware.
    let counted = Router::new().merge(index::routes()).merge(api::routes()).fallback(not_found).layer(axum::middleware::from_fn(count_requests));
    Router::new()
        .merge(feeds::routes())
        .merge(counted)
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Count every response by status class, and log it at debug level. Kept cheap: it runs on every poll.
async fn count_requests(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let details = tracing::enabled!(tracing::Level::DEBUG).then(|| (request.method().clone(), request.uri().path().to_owned()));
    let response = next.run(request).await;
    let status = response.status();
    count_response("other", status);
    if let Some((method, path)) = details {
        tracing::debug!(%method, path, status = status.as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "request");
    }
    response
}

/// Count one response in `feedwright_http_responses_total{route, class}`. The counter handles are
/// looked up once (the recorder is installed before the server starts), so counting is an atomic add.
pub(crate) fn count_response(route: &'static str, status: StatusCode) {
    use std::sync::OnceLock;
    const CLASSES: [&str; 5] = ["2xx", "304", "3xx", "4xx", "5xx"];
    static FEED: OnceLock<Vec<metrics::Counter>> = OnceLock::new();
    static OTHER: OnceLock<Vec<metrics::Counter>> = OnceLock::new();
    let cell = if route == "feed" { &FEED } else { &OTHER };
    let counters = cell.get_or_init(|| {
        CLASSES.iter().map(|class| metrics::counter!("feedwright_http_responses_total", "route" => route, "class" => *class)).collect()
    });
    let class_idx = match status.as_u16() {
        200..=299 => 0,
        304 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    };
    if let Some(counter) = counters.get(class_idx) {
        counter.increment(1);
    }
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "no such page. Feeds live at /feeds/SITE/FEED.rss (or .atom, .json); the list of all feeds is at /")
}

/// A plain-text error body that says what to do.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n")).into_response()
}

/// The base URL clients reached us at, for absolute feed links (self links, OPML, the index page).
/// A configured `public_url` wins; else the Host header (and X-Forwarded-Proto), checked so that a
/// hostile header cannot inject markup or another scheme.
pub(crate) fn base_url(config: &Config, headers: &HeaderMap) -> String {
    if let Some(public_url) = &config.settings.public_url {
        return public_url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty() && host.len() <= 255 && host.chars().all(|character| character.is_ascii_alphanumeric() || "-.:[]".contains(character)))
        .map(str::to_owned)
        .unwrap_or_else(|| config.settings.listen.to_string());
    let scheme = match headers.get("x-forwarded-proto").and_then(|value| value.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}
