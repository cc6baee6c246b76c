//! One refresh of one feed into the store: scrape, turn an empty result into a failure, keep the items,
//! record the outcome. Used by the refresh loop, `feedwright refresh` and the admin route alike.
//!
//! **Invariant:** a failure never touches stored items; it is recorded in the feed's state only.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tracing::Instrument;

use chrono::{DateTime, Utc};

use super::scrape::{ScrapeError, ScrapeHints, ScrapeOutcome, request_options, scrape_feed};
use crate::config::{Feed, Settings, Site};
use crate::extract::complete::complete_item;
use crate::extract::{ExtractContext, Warning};
use crate::item::Item;
use crate::fetch::{FetchError, Fetcher, Validators};
use crate::store::{FeedKey, Store, StoreError};

/// What one refresh did, for logs and the `refresh` command's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshReport {
    /// Items were read and stored.
    Updated { n_items: usize, n_new: usize, n_updated: usize, n_warnings: usize },
    /// The page answered 304: nothing to do.
    NotModified,
    /// The refresh failed; the message is what the status shows. `retry_after` is set when the site
    /// asked us to wait (HTTP 429/503 with Retry-After) longer than a retry could.
    Failed { message: String, retry_after: Option<std::time::Duration> },
}

/// Everything a refresh needs besides the feed.
#[derive(Clone)]
pub struct RefreshContext {
    pub fetcher: Fetcher,
    pub store: Store,
    /// Article pages fetched at once across all refreshes (`limits.article_concurrency`).
    pub article_slots: Arc<Semaphore>,
}

impl RefreshContext {
    pub fn new(fetcher: Fetcher, store: Store, settings: &Settings) -> Self {
        RefreshContext { fetcher, store, article_slots: Arc::new(Semaphore::new(settings.article_concurrency)) }
    }
}

/// Refresh one feed now. Store errors are returned (they are ours, not the site's); everything that
/// goes wrong with the site becomes `RefreshReport::Failed` and is recorded.
pub async fn refresh_feed(context: &RefreshContext, settings: &Settings, site: &Site, feed: &Feed, now: DateTime<Utc>) -> Result<RefreshReport, StoreError> {
    let span = tracing::info_span!("refresh", site = %site.id, feed = %feed.id);
    refresh_feed_in_span(context, settings, site, feed, now).instrument(span).await
}

/// Where a feed's HTTP validators are kept: per feed (two feeds may read the same page and must not
/// answer each other's conditional requests) and per version of the feed's config (an edited
/// selector must be applied to the page even when the page itself has not changed).
fn validators_key(feed: &Feed) -> String {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(format!("{feed:?}").as_bytes());
    format!("{} #{:016x}", feed.url, hasher.finish())
}

async fn refresh_feed_in_span(context: &RefreshContext, settings: &Settings, site: &Site, feed: &Feed, now: DateTime<Utc>) -> Result<RefreshReport, StoreError> {
    let started = Instant::now();
    let key = FeedKey::new(&site.id, &feed.id);
    let cache_key = format!("{key} {}", validators_key(feed));
    let (cached, state) = {
        let store = context.store.clone();
        let key = key.clone();
        let cache_key = cache_key.clone();
        run_blocking(move || Ok((store.http_cache(&cache_key)?, store.feed_state(&key)?))).await?
    };
    // Conditional requests only when there is something to keep serving: a feed with no items
    // yet must read the page, whatever the server says about it.
    let has_items = state.as_ref().is_some_and(|state| state.item_count > 0);
    let hints = ScrapeHints {
        validators: cached.filter(|_| has_items).map(|entry| Validators { etag: entry.etag, last_modified: entry.last_modified }),
        typical_bytes: state.as_ref().and_then(|state| state.page_bytes).map(|bytes| bytes as usize),
    };
    let outcome = scrape_feed(&context.fetcher, site, feed, now, &hints).await;

    let report = match outcome {
        Ok(ScrapeOutcome::NotModified) => {
            let store = context.store.clone();
            let key = key.clone();
            run_blocking(move || store.record_not_modified(&key, now)).await?;
            RefreshReport::NotModified
        }
        // Items were found, and the feed's own filters left none: the page is fine, the feed is just quiet.
        Ok(ScrapeOutcome::Scraped(scrape)) if scrape.extraction.items.is_empty() && scrape.extraction.n_filtered_out == 0 => {
            let message = empty_result_message(&scrape.extraction.warnings, scrape.page_url.as_str());
            record_failure(context, &key, now, &message).await?;
            RefreshReport::Failed { message, retry_after: None }
        }
        Ok(ScrapeOutcome::Scraped(scrape)) => {
            for warning in &scrape.extraction.warnings {
                tracing::warn!(warning = %warning, "extraction warning");
            }
            let n_items = scrape.extraction.items.len();
            let mut n_warnings = scrape.extraction.warnings.len();
            let mut items = scrape.extraction.items;
            let mut completed_ids = Vec::new();
            if feed.complete {
                let store = context.store.clone();
                let key_for_store = key.clone();
                let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
                let needing = run_blocking(move || store.ids_needing_completion(&key_for_store, &ids)).await?;
                let ((completed, ids), n_completion_warnings) = complete_items(context, site, items, &needing, now).await;
                items = completed;
                completed_ids = ids;
                n_warnings += n_completion_warnings;
            }
            let store = context.store.clone();
            let key_for_store = key.clone();
            let is_ranking = feed.ranking;
            let max_items = settings.max_items_per_feed;
            // Validators are kept only for feeds whose page is the list (see `scrape_feed`).
            let validators = Some(scrape.validators).filter(|validators| !validators.is_empty() && feed.follow.is_none());
            let page_bytes = scrape.page_bytes as u64;
            let outcome = run_blocking(move || {
                let outcome = store.apply_refresh(&key_for_store, &items, now, is_ranking, max_items)?;
                for id in &completed_ids {
                    store.mark_completed(&key_for_store, id, now)?;
                }
                store.set_page_bytes(&key_for_store, page_bytes)?;
                if let Some(state) = store.feed_state(&key_for_store)? {
                    metrics::gauge!("feedwright_items", "site" => key_for_store.site.clone(), "feed" => key_for_store.feed.clone()).set(f64::from(state.item_count));
                }
                if let Some(validators) = validators {
                    store.set_http_cache(&cache_key, validators.etag.as_deref(), validators.last_modified.as_deref())?;
                }
                Ok(outcome)
            })
            .await?;
            RefreshReport::Updated { n_items, n_new: outcome.n_new, n_updated: outcome.n_updated, n_warnings }
        }
        Err(error) => {
            let message = error.to_string();
            record_failure(context, &key, now, &message).await?;
            let retry_after = match error {
                ScrapeError::Fetch(FetchError::RetryLater { retry_after, .. }) => Some(retry_after),
                _ => None,
            };
            RefreshReport::Failed { message, retry_after }
        }
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &report {
        RefreshReport::Updated { n_items, n_new, .. } => {
            tracing::info!(n_items, n_new, elapsed_ms, "refreshed");
            metrics::counter!("feedwright_refreshes_total", "outcome" => "updated").increment(1);
        }
        RefreshReport::NotModified => {
            tracing::info!(elapsed_ms, "not modified");
            metrics::counter!("feedwright_refreshes_total", "outcome" => "not_modified").increment(1);
        }
        RefreshReport::Failed { message, .. } => {
            tracing::warn!(error = %message, elapsed_ms, "refresh failed");
            metrics::counter!("feedwright_refreshes_total", "outcome" => "failed").increment(1);
        }
    }
    metrics::histogram!("feedwright_refresh_seconds").record(started.elapsed().as_secs_f64());
    Ok(report)
}

/// Fetch the article page of every item in `needing` (a few at a time, within `article_slots`) and fill
/// what the list lacked. An article that cannot be fetched leaves its item as the list gave it; it is
/// tried again at the next refresh. Returns the items and the ids that were completed, and the number
/// of warnings.
pub async fn complete_items(
    context: &RefreshContext,
    site: &Site,
    items: Vec<Item>,
    needing: &HashSet<String>,
    now: DateTime<Utc>,
) -> ((Vec<Item>, Vec<String>), usize) {
    let extract_context = ExtractContext { now, timezone: site.timezone };
    let mut tasks = tokio::task::JoinSet::new();
    for (item_idx, item) in items.iter().enumerate() {
        if !needing.contains(&item.id) {
            continue;
        }
        let Ok(url) = url::Url::parse(&item.url) else { continue };
        let fetcher = context.fetcher.clone();
        let slots = context.article_slots.clone();
        let request = request_options(site, &url);
        let item = item.clone();
        let article_fields = site.article.clone();
        let date_formats = site.date_formats.clone();
        let id = item.id.clone();
        tasks.spawn(async move {
            let Ok(_permit) = slots.acquire_owned().await else { return (item_idx, id, Err(("shutting down".to_owned(), false))) };
            match fetcher.fetch_page(&url, &request).await {
                Ok(page) => {
                    // Parsing and sanitizing are CPU work: keep them off the async threads.
                    let completed = tokio::task::spawn_blocking(move || {
                        complete_item(&item, &page.text, &page.url, &article_fields, &date_formats, &extract_context, item_idx + 1)
                    })
                    .await;
                    (item_idx, id, completed.map_err(|error| (error.to_string(), false)))
                }
                Err(error) => {
                    let permanent = is_permanent(&error);
                    (item_idx, id, Err((error.to_string(), permanent)))
                }
            }
        });
    }
    let mut items = items;
    let mut completed_ids = Vec::new();
    let mut n_warnings = 0;
    while let Some(joined) = tasks.join_next().await {
        let Ok((item_idx, id, result)) = joined else { continue };
        match result {
            Ok((completed, warnings)) => {
                for warning in &warnings {
                    tracing::warn!(warning = %warning, url = %completed.url, "article warning");
                }
                n_warnings += warnings.len();
                completed_ids.push(completed.id.clone());
                if let Some(slot) = items.get_mut(item_idx) {
                    *slot = completed;
                }
            }
            Err((error, true)) => {
                // A 404, a robots.txt refusal, a page over the size cap: asking again will not help.
                n_warnings += 1;
                completed_ids.push(id);
                tracing::warn!(error = %error, item = item_idx + 1, "cannot complete the item from its article page; not trying again");
            }
            Err((error, false)) => {
                n_warnings += 1;
                tracing::warn!(error = %error, item = item_idx + 1, "cannot complete the item from its article page; will try again next refresh");
            }
        }
    }
    ((items, completed_ids), n_warnings)
}

/// Article fetch failures that another try will not mend.
fn is_permanent(error: &FetchError) -> bool {
    match error {
        FetchError::Status { status, .. } => (400..500).contains(status) && *status != 408 && *status != 429,
        FetchError::Robots { .. } | FetchError::TooLarge { .. } | FetchError::BadHeader { .. } => true,
        _ => false,
    }
}

/// A page that gave no items is a failure with a message a person can act on.
fn empty_result_message(warnings: &[Warning], page_url: &str) -> String {
    let first = warnings
        .iter()
        .find(|warning| matches!(warning, Warning::NoItems { .. } | Warning::CheckFailed { .. }))
        .or_else(|| warnings.first())
        .map(ToString::to_string)
        .unwrap_or_else(|| "no items were found".to_owned());
    format!("{first} (page {page_url})")
}

async fn record_failure(context: &RefreshContext, key: &FeedKey, now: DateTime<Utc>, message: &str) -> Result<(), StoreError> {
    let store = context.store.clone();
    let key = key.clone();
    let message = message.to_owned();
    run_blocking(move || store.record_failure(&key, now, &message).map(|_| ())).await
}

async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| StoreError::Task(error.to_string()))?
}
