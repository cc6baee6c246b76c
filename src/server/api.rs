//! Machine routes: `/healthz`, `/metrics`, `/api/status` and the admin refresh.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AppState, base_url, error_page};
use crate::config::Config;
use crate::schedule::policy;
use crate::store::{FeedKey, FeedState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/api/status", get(status))
        .route("/api/feeds/{site}/{feed}/refresh", post(refresh_now))
}

/// What a person (index page) or a tool (`/api/status`) wants to know about one feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedStatus {
    pub site: String,
    pub feed: String,
    pub title: String,
    pub site_title: String,
    pub source_url: String,
    pub ranking: bool,
    pub urls: FeedUrls,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub item_count: u32,
    pub next_refresh: Option<DateTime<Utc>>,
    pub broken: bool,
    /// Set when `broken`: what happened since when, and what to do.
    pub broken_message: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedUrls {
    pub rss: String,
    pub atom: String,
    pub json: String,
}

/// The status of every configured feed, in config order.
pub fn feed_statuses(config: &Config, states: &[(FeedKey, FeedState)], base: &str, now: DateTime<Utc>) -> Vec<FeedStatus> {
    let mut out = Vec::new();
    for site in &config.sites {
        for feed in &site.feeds {
            let state = states.iter().find(|(key, _)| key.site == site.id && key.feed == feed.id).map(|(_, state)| state);
            let interval = policy::refresh_interval(&config.settings, site, feed);
            let broken = state.is_some_and(|state| policy::is_broken(state, config.settings.broken_after));
            let url = |extension: &str| format!("{base}/feeds/{}/{}.{extension}", site.id, feed.id);
            out.push(FeedStatus {
                site: site.id.clone(),
                feed: feed.id.clone(),
                title: feed.title.clone(),
                site_title: site.title.clone(),
                source_url: feed.url.to_string(),
                ranking: feed.ranking,
                urls: FeedUrls { rss: url("rss"), atom: url("atom"), json: url("json") },
                last_attempt: state.and_then(|state| state.last_attempt),
                last_success: state.and_then(|state| state.last_success),
                consecutive_failures: state.map(|state| state.consecutive_failures).unwrap_or(0),
                last_error: state.and_then(|state| state.last_error.clone()),
                item_count: state.map(|state| state.item_count).unwrap_or(0),
                next_refresh: Some(policy::next_refresh_at(state, interval, now)),
                broken,
                broken_message: state.filter(|_| broken).map(policy::broken_message),
            });
        }
    }
    out
}

/// Read the states and build the statuses (used by the index page too).
pub async fn load_statuses(state: &AppState, headers: &HeaderMap) -> Result<Vec<FeedStatus>, String> {
    let store = state.store.clone();
    let states = tokio::task::spawn_blocking(move || store.all_feed_states())
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;
    let config = state.config();
    Ok(feed_statuses(&config, &states, &base_url(&config, headers), Utc::now()))
}

async fn status(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match load_statuses(&state, &headers).await {
        Ok(feeds) => {
            let config_error = state.live_config.last_error();
            axum::Json(serde_json::json!({ "feeds": feeds, "config_error": config_error })).into_response()
        }
        Err(error) => error_page(StatusCode::SERVICE_UNAVAILABLE, &format!("the store cannot be read: {error}")),
    }
}

/// 200 when the config is loaded and the store is writable; 503 with the reason otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.health_check()).await {
        Ok(Ok(())) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok\n").into_response(),
        Ok(Err(error)) => error_page(StatusCode::SERVICE_UNAVAILABLE, &format!("store not writable: {error}")),
        Err(_) => error_page(StatusCode::SERVICE_UNAVAILABLE, "health check failed"),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response(),
        None => error_page(StatusCode::NOT_FOUND, "metrics are not enabled in this process"),
    }
}

/// `POST /api/feeds/{site}/{feed}/refresh` with `Authorization: Bearer TOKEN`. Off (404) without a token configured.
async fn refresh_now(State(state): State<AppState>, Path((site_id, feed_id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(expected) = state.admin_token.as_deref() else {
        return error_page(StatusCode::NOT_FOUND, "the admin routes are off: set admin_token in feedwright.toml or FEEDWRIGHT_ADMIN_TOKEN to enable them");
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return error_page(StatusCode::UNAUTHORIZED, "missing or wrong admin token (send `Authorization: Bearer TOKEN`)");
    }
    if state.config().feed(&site_id, &feed_id).is_none() {
        return error_page(StatusCode::NOT_FOUND, &format!("no feed `{site_id}/{feed_id}`"));
    }
    let Some(sender) = &state.refresh_requests else {
        return error_page(StatusCode::SERVICE_UNAVAILABLE, "no scheduler is running in this process");
    };
    match sender.try_send(FeedKey::new(&site_id, &feed_id)) {
        Ok(()) => (StatusCode::ACCEPTED, axum::Json(serde_json::json!({ "queued": format!("{site_id}/{feed_id}") }))).into_response(),
        Err(_) => error_page(StatusCode::SERVICE_UNAVAILABLE, "too many refreshes queued; try again shortly"),
    }
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}
