//! Feed routes: `/feeds/{site}/{feed}.{rss,atom,json}` and `/feeds.opml`. Bodies are rendered from the
//! store once per change and kept in memory with their ETag, so a poll costs a hash-map lookup, and a
//! conditional poll a header comparison.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::{AppState, base_url, error_page};
use crate::feed::{FeedFormat, FeedMeta, OpmlEntry, write_opml};
use crate::store::FeedKey;

pub fn routes() -> Router<AppState> {
    Router::new().route("/feeds/{site}/{file}", get(feed)).route("/feeds.opml", get(opml))
}

/// One rendered feed body with its validators.
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// The store generation it was rendered from.
    pub generation: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    site: String,
    feed: String,
    format: FeedFormat,
    limit: Option<usize>,
    base_url: String,
    /// Titles and URLs come from the config: a reload makes old bodies stale.
    config_generation: u64,
}

/// Rendered bodies by feed, format, limit and base URL. Entries are replaced when the store's
/// generation for the feed moves on; the number of entries is bounded by feeds x formats x the few
/// limits and host names clients use, and capped to stay small whatever clients send.
#[derive(Default)]
pub struct RenderCache {
    entries: RwLock<HashMap<CacheKey, Arc<Rendered>>>,
}

const MAX_CACHE_ENTRIES: usize = 20_000;

impl RenderCache {
    fn get(&self, key: &CacheKey) -> Option<Arc<Rendered>> {
        self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(key).cloned()
    }

    fn put(&self, key: CacheKey, rendered: Arc<Rendered>) {
        let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(key, rendered);
    }

    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

#[derive(serde::Deserialize)]
struct FeedQuery {
    limit: Option<String>,
}

async fn feed(
    State(state): State<AppState>,
    Path((site_id, file)): Path<(String, String)>,
    Query(query): Query<FeedQuery>,
    headers: HeaderMap,
) -> Response {
    let Some((feed_id, extension)) = file.rsplit_once('.') else {
        return error_page(StatusCode::NOT_FOUND, &format!("feed URLs end in .rss, .atom or .json, e.g. /feeds/{site_id}/{file}.rss"));
    };
    let Some(format) = FeedFormat::from_extension(extension) else {
        return error_page(StatusCode::NOT_FOUND, &format!("unknown feed format `.{extension}`: use .rss, .atom or .json"));
    };
    let config = state.config();
    let Some(site) = config.site(&site_id) else {
        let known: Vec<&str> = config.sites.iter().map(|site| site.id.as_str()).collect();
        return error_page(StatusCode::NOT_FOUND, &format!("no site `{site_id}`; the sites are: {}. The list of all feeds is at /", known.join(", ")));
    };
    let Some(feed) = site.feeds.iter().find(|feed| feed.id == feed_id) else {
        let known: Vec<&str> = site.feeds.iter().map(|feed| feed.id.as_str()).collect();
        return error_page(StatusCode::NOT_FOUND, &format!("site `{site_id}` has no feed `{feed_id}`; its feeds are: {}", known.join(", ")));
    };
    let max_items = config.settings.max_items_per_feed as usize;
    let limit = match query.limit.as_deref().map(str::parse::<usize>) {
        None => None,
        Some(Ok(limit)) if limit >= 1 => Some(limit.min(max_items)),
        Some(_) => return error_page(StatusCode::BAD_REQUEST, "`limit` must be a whole number from 1 up"),
    };

    let key = FeedKey::new(&site.id, &feed.id);
    let (generation, changed_at) = state.store.generation(&key);
    let cache_key = CacheKey {
        site: site.id.clone(),
        feed: feed.id.clone(),
        format,
        limit,
        base_url: base_url(&config, &headers),
        config_generation: state.live_config.generation(),
    };
    let previous = state.cache.get(&cache_key);
    let rendered = match previous.as_ref().filter(|rendered| rendered.generation == generation) {
        Some(rendered) => rendered.clone(),
        None => {
            let store = state.store.clone();
            let is_ranking = feed.ranking;
            let items = match tokio::task::spawn_blocking(move || store.items(&key, limit, is_ranking)).await {
                Ok(Ok(items)) => items,
                Ok(Err(error)) => return error_page(StatusCode::SERVICE_UNAVAILABLE, &format!("the store cannot be read: {error}")),
                Err(_) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "rendering the feed failed"),
            };
            let content_changed_at = items
                .iter()
                .filter_map(|item| item.updated.map(|date| date.with_timezone(&Utc)).or(item.first_seen))
                .max();
            let updated = changed_at.or(content_changed_at).unwrap_or_else(Utc::now);
            let meta = FeedMeta::for_feed(site, feed, updated);
            let self_url = format!("{}/feeds/{}/{}.{}", cache_key.base_url, site.id, feed.id, format.extension());
            let body = format.write(&meta, &items, &self_url);
            let etag = format!("\"{:016x}\"", stable_hash(body.as_bytes()));
            // Same bytes as before: keep the old Last-Modified, so If-Modified-Since keeps working.
            let last_modified = match &previous {
                Some(previous) if previous.etag == etag => previous.last_modified,
                _ => updated,
            };
            let rendered = Arc::new(Rendered { body: Bytes::from(body), etag, last_modified, generation });
            state.cache.put(cache_key, rendered.clone());
            rendered
        }
    };

    let refresh = feed.refresh.or(site.refresh).unwrap_or(config.settings.refresh);
    let max_age = (refresh.as_secs() / 4).clamp(60, 900);
    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(etag) = HeaderValue::from_str(&rendered.etag) {
        response_headers.insert(header::ETAG, etag);
    }
    let last_modified = httpdate::fmt_http_date(rendered.last_modified.into());
    if let Ok(last_modified) = HeaderValue::from_str(&last_modified) {
        response_headers.insert(header::LAST_MODIFIED, last_modified);
    }
    if let Ok(cache_control) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        response_headers.insert(header::CACHE_CONTROL, cache_control);
    }
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    metrics::counter!("feedwright_feed_requests_total", "format" => format.extension()).increment(1);
    if not_modified(&headers, &rendered) {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    (StatusCode::OK, response_headers, rendered.body.clone()).into_response()
}

/// RFC 9110: If-None-Match wins over If-Modified-Since; weak comparison for If-None-Match.
fn not_modified(headers: &HeaderMap, rendered: &Rendered) -> bool {
    if let Some(if_none_match) = headers.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) {
        return if_none_match
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag == rendered.etag);
    }
    if let Some(since) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| httpdate::parse_http_date(text).ok())
    {
        let since: DateTime<Utc> = since.into();
        return rendered.last_modified.timestamp() <= since.timestamp();
    }
    false
}

/// FNV-1a: a stable (across runs and builds) hash for ETags; not for security.
fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

async fn opml(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let config = state.config();
    let base = base_url(&config, &headers);
    let entries: Vec<OpmlEntry> = config
        .sites
        .iter()
        .flat_map(|site| {
            let base = base.clone();
            site.feeds.iter().map(move |feed| OpmlEntry {
                group: site.title.clone(),
                title: format!("{}: {}", site.title, feed.title),
                xml_url: format!("{base}/feeds/{}/{}.rss", site.id, feed.id),
                html_url: site.home.to_string(),
            })
        })
        .collect();
    let body = write_opml("feedwright feeds", &entries, Utc::now());
    ([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], body).into_response()
}
