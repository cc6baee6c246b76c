//! Feed routes: `/feeds/{site}/{feed}.{rss,atom,json}` and `/feeds.opml`. Bodies are rendered from the
//! store once per change and kept in memory with their ETag, so a poll costs a hash-map lookup, and a
//! conditional poll a header comparison.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::{AppState, base_url, count_response, error_page};
use crate::feed::{FeedFormat, FeedMeta, OpmlEntry, write_opml};
use crate::store::FeedKey;

pub fn routes() -> Router<AppState> {
    Router::new().route("/feeds/{site}/{file}", get(feed)).route("/feeds.opml", get(opml))
}

/// One rendered feed body with its validators, and the response headers built once with it (a poll
/// then costs no formatting at all).
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// The store generation it was rendered from, and the store's live counter for the feed: the copy
    /// is current while the two agree.
    pub generation: u64,
    counter: Arc<AtomicU64>,
    headers: HeaderMap,
}

impl Rendered {
    fn is_current(&self) -> bool {
        self.counter.load(Ordering::Acquire) == self.generation
    }

    fn new(body: String, last_modified: DateTime<Utc>, (generation, counter): (u64, Arc<AtomicU64>), format: FeedFormat, max_age: u64) -> Rendered {
        let etag = format!("\"{:016x}\"", stable_hash(body.as_bytes()));
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(last_modified.into())) {
            headers.insert(header::LAST_MODIFIED, value);
        }
        if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        Rendered { body: Bytes::from(body), etag, last_modified, generation, counter, headers }
    }
}

/// What makes two requests get the same bytes: the request's path and query (site, feed, format,
/// limit), the host it was addressed to (self links are absolute), and the config (titles, URLs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    path_and_query: String,
    host: String,
    forwarded_https: bool,
    config_generation: u64,
}

impl CacheKey {
    fn of(request: &Request, config_generation: u64) -> CacheKey {
        let headers = request.headers();
        CacheKey {
            path_and_query: request.uri().path_and_query().map(|path| path.as_str().to_owned()).unwrap_or_default(),
            host: headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned(),
            forwarded_https: headers.get("x-forwarded-proto").is_some_and(|value| value.as_bytes() == b"https"),
            config_generation,
        }
    }
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

/// `limit` from the query string, the only parameter a feed takes.
fn limit_parameter(request: &Request) -> Option<&str> {
    request.uri().query()?.split('&').find_map(|pair| pair.strip_prefix("limit="))
}

async fn feed(State(state): State<AppState>, Path((site_id, file)): Path<(String, String)>, request: Request) -> Response {
    // The fast path, taken by nearly every poll: a current rendered copy for exactly this request.
    let cache_key = CacheKey::of(&request, state.live_config.generation());
    if let Some(rendered) = state.cache.get(&cache_key).filter(|rendered| rendered.is_current()) {
        return respond(request.headers(), &rendered);
    }
    let headers = request.headers();
    let Some((feed_id, extension)) = file.rsplit_once('.') else {
        return feed_error(StatusCode::NOT_FOUND, &format!("feed URLs end in .rss, .atom or .json, e.g. /feeds/{site_id}/{file}.rss"));
    };
    let Some(format) = FeedFormat::from_extension(extension) else {
        return feed_error(StatusCode::NOT_FOUND, &format!("unknown feed format `.{extension}`: use .rss, .atom or .json"));
    };
    let config = state.config();
    let Some(site) = config.site(&site_id) else {
        let known: Vec<&str> = config.sites.iter().map(|site| site.id.as_str()).collect();
        return feed_error(StatusCode::NOT_FOUND, &format!("no site `{site_id}`; the sites are: {}. The list of all feeds is at /", known.join(", ")));
    };
    let Some(feed) = site.feeds.iter().find(|feed| feed.id == feed_id) else {
        let known: Vec<&str> = site.feeds.iter().map(|feed| feed.id.as_str()).collect();
        return feed_error(StatusCode::NOT_FOUND, &format!("site `{site_id}` has no feed `{feed_id}`; its feeds are: {}", known.join(", ")));
    };
    let max_items = config.settings.max_items_per_feed as usize;
    let limit = match limit_parameter(&request).map(str::parse::<usize>) {
        None => None,
        Some(Ok(limit)) if limit >= 1 => Some(limit.min(max_items)),
        Some(_) => return feed_error(StatusCode::BAD_REQUEST, "`limit` must be a whole number from 1 up"),
    };

    let refresh = feed.refresh.or(site.refresh).unwrap_or(config.settings.refresh);
    let max_age = (refresh.as_secs() / 4).clamp(60, 900);
    let key = FeedKey::new(&site.id, &feed.id);
    // The counter first, then the generation: a change landing in between makes the copy look stale
    // at once and be rendered again, never the other way round.
    let counter = state.store.generation_counter(&key);
    let (generation, changed_at) = state.store.generation(&key);
    let base = base_url(&config, headers);
    let previous = state.cache.get(&cache_key);
    let rendered = match previous.as_ref().filter(|rendered| rendered.generation == generation) {
        Some(rendered) => rendered.clone(),
        None => {
            let store = state.store.clone();
            let is_ranking = feed.ranking;
            let items = match tokio::task::spawn_blocking(move || store.items(&key, limit, is_ranking)).await {
                Ok(Ok(items)) => items,
                Ok(Err(error)) => return feed_error(StatusCode::SERVICE_UNAVAILABLE, &format!("the store cannot be read: {error}")),
                Err(_) => return feed_error(StatusCode::INTERNAL_SERVER_ERROR, "rendering the feed failed"),
            };
            let content_changed_at = items
                .iter()
                .filter_map(|item| item.updated.map(|date| date.with_timezone(&Utc)).or(item.first_seen))
                .max();
            let updated = changed_at.or(content_changed_at).unwrap_or_else(Utc::now);
            let meta = FeedMeta::for_feed(site, feed, updated);
            let self_url = format!("{base}/feeds/{}/{}.{}", site.id, feed.id, format.extension());
            let body = format.write(&meta, &items, &self_url);
            let mut rendered = Rendered::new(body, updated, (generation, counter.clone()), format, max_age);
            // Same bytes as before: keep the old Last-Modified, so If-Modified-Since keeps working.
            if let Some(previous) = previous.as_ref().filter(|previous| previous.etag == rendered.etag) {
                let body = String::from_utf8_lossy(&rendered.body).into_owned();
                rendered = Rendered::new(body, previous.last_modified, (generation, counter), format, max_age);
            }
            let rendered = Arc::new(rendered);
            state.cache.put(cache_key, rendered.clone());
            rendered
        }
    };

    respond(headers, &rendered)
}

fn feed_error(status: StatusCode, message: &str) -> Response {
    count_response("feed", status);
    error_page(status, message)
}

fn respond(request_headers: &HeaderMap, rendered: &Rendered) -> Response {
    if not_modified(request_headers, rendered) {
        count_response("feed", StatusCode::NOT_MODIFIED);
        return (StatusCode::NOT_MODIFIED, rendered.headers.clone()).into_response();
    }
    count_response("feed", StatusCode::OK);
    (StatusCode::OK, rendered.headers.clone(), rendered.body.clone()).into_response()
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
