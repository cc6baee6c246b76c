//! Feed routes: `/feeds/{site}/{feed}.{rss,atom,json}` and `/feeds.opml`. Bodies are rendered from the
//! store once per change and kept in memory with their ETag, so a poll costs a hash-map lookup, and a
//! conditional poll a header comparison.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
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

/// How long a rendered copy is trusted without asking the store again. Changes made by this process
/// are seen at once (the change counter); this bounds how long a change made by another process on
/// the same store (`feedwright refresh` from cron) takes to show.
const RECHECK_AFTER: Duration = Duration::from_secs(10);

/// One rendered feed body with its validators, and the response headers built once with it (a poll
/// then costs no formatting at all).
pub struct Rendered {
    pub body: Bytes,
    /// The opaque part of the (weak) ETag, without `W/` and quotes.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// The store generation it was rendered from, and the store's live counter for the feed: the copy
    /// is current while the two agree (and it is younger than [`RECHECK_AFTER`]).
    generation: u64,
    counter: Arc<AtomicU64>,
    rendered_at: Instant,
    /// When it was last served, in milliseconds since the cache's epoch: eviction keeps the recently used.
    last_used: AtomicU64,
    headers: HeaderMap,
}

impl Rendered {
    fn is_current(&self) -> bool {
        self.counter.load(Ordering::Acquire) == self.generation && self.rendered_at.elapsed() < RECHECK_AFTER
    }

    fn new(body: String, etag: String, last_modified: DateTime<Utc>, (generation, counter): (u64, Arc<AtomicU64>), format: FeedFormat, max_age: u64) -> Rendered {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        // Weak: the same representation is also sent gzip- or brotli-encoded under this tag (RFC 9110 8.8.3).
        if let Ok(value) = HeaderValue::from_str(&format!("W/\"{etag}\"")) {
            headers.insert(header::ETAG, value);
        }
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(last_modified.into())) {
            headers.insert(header::LAST_MODIFIED, value);
        }
        if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        Rendered { body: Bytes::from(body), etag, last_modified, generation, counter, rendered_at: Instant::now(), last_used: AtomicU64::new(0), headers }
    }
}

/// What makes two requests get the same bytes. Built from the parsed request (never raw query text),
/// so junk parameters cannot multiply entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    site: String,
    feed: String,
    format: FeedFormat,
    limit: Option<usize>,
    /// Self links are absolute, so the address the client used is part of the bytes.
    base_url: String,
    /// Titles and URLs come from the config: a reload makes old bodies stale.
    config_generation: u64,
}

/// Rendered bodies, bounded: at most [`MAX_BASE_URLS`] distinct addresses (client-chosen Host headers
/// beyond that are served uncached) and [`MAX_CACHE_BYTES`] of bodies (past that, the least recently
/// served half is dropped; a poll of a dropped feed renders it again from the store).
pub struct RenderCache {
    inner: RwLock<CacheEntries>,
    epoch: Instant,
}

impl Default for RenderCache {
    fn default() -> Self {
        RenderCache { inner: RwLock::default(), epoch: Instant::now() }
    }
}

#[derive(Default)]
struct CacheEntries {
    entries: HashMap<CacheKey, Arc<Rendered>>,
    n_bytes: usize,
    base_urls: HashSet<String>,
}

const MAX_CACHE_BYTES: usize = 32 * 1024 * 1024;
const MAX_BASE_URLS: usize = 16;

impl RenderCache {
    fn get(&self, key: &CacheKey) -> Option<Arc<Rendered>> {
        let rendered = self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner()).entries.get(key).cloned()?;
        rendered.last_used.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        Some(rendered)
    }

    fn put(&self, key: CacheKey, rendered: Arc<Rendered>) {
        let mut inner = self.inner.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !inner.base_urls.contains(&key.base_url) {
            if inner.base_urls.len() >= MAX_BASE_URLS {
                return;
            }
            inner.base_urls.insert(key.base_url.clone());
        }
        // Bodies of an older config are never asked for again.
        if inner.entries.keys().next().is_some_and(|old| old.config_generation != key.config_generation) {
            inner.entries.retain(|old, _| old.config_generation == key.config_generation);
            inner.n_bytes = inner.entries.values().map(|rendered| rendered.body.len()).sum();
        }
        if inner.n_bytes + rendered.body.len() > MAX_CACHE_BYTES {
            let mut last_used: Vec<u64> = inner.entries.values().map(|entry| entry.last_used.load(Ordering::Relaxed)).collect();
            last_used.sort_unstable();
            let median = last_used.get(last_used.len() / 2).copied().unwrap_or(0);
            inner.entries.retain(|_, entry| entry.last_used.load(Ordering::Relaxed) > median);
            inner.n_bytes = inner.entries.values().map(|entry| entry.body.len()).sum();
        }
        rendered.last_used.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        inner.n_bytes += rendered.body.len();
        if let Some(replaced) = inner.entries.insert(key, rendered) {
            inner.n_bytes = inner.n_bytes.saturating_sub(replaced.body.len());
        }
    }
}

/// `limit` from the query string, the only parameter a feed takes.
fn limit_parameter(request: &Request) -> Option<&str> {
    request.uri().query()?.split('&').find_map(|pair| pair.strip_prefix("limit="))
}

async fn feed(State(state): State<AppState>, Path((site_id, file)): Path<(String, String)>, request: Request) -> Response {
    let headers = request.headers();
    let Some((feed_id, extension)) = file.rsplit_once('.') else {
        return feed_error(StatusCode::NOT_FOUND, &format!("feed URLs end in .rss, .atom or .json, e.g. /feeds/{site_id}/{file}.rss"));
    };
    let Some(format) = FeedFormat::from_extension(extension) else {
        return feed_error(StatusCode::NOT_FOUND, &format!("unknown feed format `.{extension}`: use .rss, .atom or .json"));
    };
    let config = state.config();
    let max_items = config.settings.max_items_per_feed as usize;
    let limit = match limit_parameter(&request).map(str::parse::<usize>) {
        None => None,
        Some(Ok(limit)) if limit >= 1 => Some(limit.min(max_items)),
        Some(_) => return feed_error(StatusCode::BAD_REQUEST, "`limit` must be a whole number from 1 up"),
    };
    let cache_key = CacheKey {
        site: site_id,
        feed: feed_id.to_owned(),
        format,
        limit,
        base_url: base_url(&config, headers),
        config_generation: state.live_config.generation(),
    };
    // The fast path, taken by nearly every poll: a current rendered copy for exactly this request.
    let previous = state.cache.get(&cache_key);
    if let Some(rendered) = previous.as_ref().filter(|rendered| rendered.is_current()) {
        return respond(headers, rendered);
    }

    let Some(site) = config.site(&cache_key.site) else {
        let known: Vec<&str> = config.sites.iter().map(|site| site.id.as_str()).collect();
        return feed_error(StatusCode::NOT_FOUND, &format!("no site `{}`; the sites are: {}. The list of all feeds is at /", cache_key.site, known.join(", ")));
    };
    let Some(feed) = site.feeds.iter().find(|feed| feed.id == cache_key.feed) else {
        let known: Vec<&str> = site.feeds.iter().map(|feed| feed.id.as_str()).collect();
        return feed_error(StatusCode::NOT_FOUND, &format!("site `{}` has no feed `{}`; its feeds are: {}", site.id, cache_key.feed, known.join(", ")));
    };
    let refresh = feed.refresh.or(site.refresh).unwrap_or(config.settings.refresh);
    let max_age = (refresh.as_secs() / 4).clamp(60, 900);
    let key = FeedKey::new(&site.id, &feed.id);
    // The counter before the read: a change landing in between makes the copy look stale at once and
    // be rendered again, never the other way round.
    let counter = state.store.generation_counter(&key);
    let generation = counter.load(Ordering::Acquire);
    let store = state.store.clone();
    let is_ranking = feed.ranking;
    let items = match tokio::task::spawn_blocking(move || store.items(&key, limit, is_ranking)).await {
        Ok(Ok(items)) => items,
        Ok(Err(error)) => return feed_error(StatusCode::SERVICE_UNAVAILABLE, &format!("the store cannot be read: {error}")),
        Err(_) => return feed_error(StatusCode::INTERNAL_SERVER_ERROR, "rendering the feed failed"),
    };
    // The feed's date comes from its items, not from when it was last refreshed: an unchanged feed
    // must give the same bytes (and the same ETag) after every refresh.
    let content_date = items
        .iter()
        .filter_map(|item| item.updated.map(|date| date.with_timezone(&Utc)).or(item.first_seen))
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let meta = FeedMeta::for_feed(site, feed, content_date);
    let self_url = format!("{}/feeds/{}/{}.{}", cache_key.base_url, site.id, feed.id, format.extension());
    let body = format.write(&meta, &items, &self_url);
    let etag = format!("{:016x}", stable_hash(body.as_bytes()));
    let last_modified = match &previous {
        // Same bytes as before: keep Last-Modified, so If-Modified-Since keeps answering 304.
        Some(previous) if previous.etag == etag => previous.last_modified,
        // Different bytes (a ranking may reorder without a newer item): now, so it moves forward.
        Some(_) => Utc::now(),
        None => content_date,
    };
    let rendered = Arc::new(Rendered::new(body, etag, last_modified, (generation, counter), format, max_age));
    state.cache.put(cache_key, rendered.clone());
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
            .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
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

/// A hash for ETags: `DefaultHasher::new()` has fixed keys, so the same bytes give the same tag across
/// restarts of one build (readers' conditional requests keep working); not for security.
fn stable_hash(bytes: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(feed: usize, base_url: &str) -> CacheKey {
        CacheKey { site: "s".into(), feed: format!("f{feed}"), format: FeedFormat::Rss, limit: None, base_url: base_url.into(), config_generation: 0 }
    }

    fn rendered(n_bytes: usize) -> Arc<Rendered> {
        let counter = Arc::new(AtomicU64::new(0));
        Arc::new(Rendered::new("x".repeat(n_bytes), "e".into(), DateTime::<Utc>::UNIX_EPOCH, (0, counter), FeedFormat::Rss, 60))
    }

    #[test]
    fn the_cache_stays_within_its_bounds() {
        let cache = RenderCache::default();
        for feed in 0..200 {
            cache.put(key(feed, "http://a"), rendered(1024 * 1024));
            let n_bytes = cache.inner.read().expect("lock").n_bytes;
            assert!(n_bytes <= MAX_CACHE_BYTES, "{n_bytes} bytes after {feed} puts");
        }
        assert!(cache.get(&key(199, "http://a")).is_some(), "the newest entry is kept");

        // Client-chosen hosts: only the first few get cached copies.
        for host in 0..100 {
            cache.put(key(0, &format!("http://h{host}")), rendered(10));
        }
        assert_eq!(cache.inner.read().expect("lock").base_urls.len(), MAX_BASE_URLS);
        assert!(cache.get(&key(0, "http://h99")).is_none());
    }
}
