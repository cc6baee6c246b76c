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
    Router::new()
        .merge(index::routes())
        .merge(feeds::routes())
        .merge(api::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(count_requests))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn count_requests(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics::counter!("feedwright_http_requests_total", "status" => status.to_string()).increment(1);
    tracing::debug!(%method, path, status, elapsed_us = started.elapsed().as_micros() as u64, "request");
    response
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
