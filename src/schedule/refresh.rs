//! One refresh of one feed into the store: scrape, turn an empty result into a failure, keep the items,
//! record the outcome. Used by the refresh loop, `feedwright refresh` and the admin route alike.
//!
//! **Invariant:** a failure never touches stored items; it is recorded in the feed's state only.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::scrape::{ScrapeHints, ScrapeOutcome, scrape_feed};
use crate::config::{Feed, Settings, Site};
use crate::extract::Warning;
use crate::fetch::{Fetcher, Validators};
use crate::store::{FeedKey, Store, StoreError};

/// What one refresh did, for logs and the `refresh` command's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshReport {
    /// Items were read and stored.
    Updated { n_items: usize, n_new: usize, n_updated: usize, n_warnings: usize },
    /// The page answered 304: nothing to do.
    NotModified,
    /// The refresh failed; the message is what the status shows.
    Failed { message: String },
}

/// Everything a refresh needs besides the feed.
#[derive(Clone)]
pub struct RefreshContext {
    pub fetcher: Fetcher,
    pub store: Store,
}

/// Refresh one feed now. Store errors are returned (they are ours, not the site's); everything that
/// goes wrong with the site becomes `RefreshReport::Failed` and is recorded.
pub async fn refresh_feed(context: &RefreshContext, settings: &Settings, site: &Site, feed: &Feed, now: DateTime<Utc>) -> Result<RefreshReport, StoreError> {
    let started = Instant::now();
    let key = FeedKey::new(&site.id, &feed.id);
    let span = tracing::info_span!("refresh", site = %site.id, feed = %feed.id);
    let _enter = span.enter();
    let store = context.store.clone();
    let feed_url = feed.url.to_string();
    let (cached, state) = {
        let key = key.clone();
        let feed_url = feed_url.clone();
        tokio::task::spawn_blocking(move || Ok::<_, StoreError>((store.http_cache(&feed_url)?, store.feed_state(&key)?)))
            .await
            .map_err(|error| StoreError::Task(error.to_string()))??
    };
    let hints = ScrapeHints {
        validators: cached.map(|entry| Validators { etag: entry.etag, last_modified: entry.last_modified }),
        typical_bytes: state.as_ref().and_then(|state| state.page_bytes).map(|bytes| bytes as usize),
    };
    drop(_enter);
    let outcome = scrape_feed(&context.fetcher, site, feed, now, &hints).await;
    let _enter = span.enter();

    let report = match outcome {
        Ok(ScrapeOutcome::NotModified) => {
            let store = context.store.clone();
            let key = key.clone();
            run_blocking(move || store.record_not_modified(&key, now)).await?;
            RefreshReport::NotModified
        }
        Ok(ScrapeOutcome::Scraped(scrape)) if scrape.extraction.items.is_empty() => {
            let message = empty_result_message(&scrape.extraction.warnings, scrape.page_url.as_str());
            record_failure(context, &key, now, &message).await?;
            RefreshReport::Failed { message }
        }
        Ok(ScrapeOutcome::Scraped(scrape)) => {
            for warning in &scrape.extraction.warnings {
                tracing::warn!(warning = %warning, "extraction warning");
            }
            let n_items = scrape.extraction.items.len();
            let n_warnings = scrape.extraction.warnings.len();
            let store = context.store.clone();
            let key_for_store = key.clone();
            let items = scrape.extraction.items;
            let is_ranking = feed.ranking;
            let max_items = settings.max_items_per_feed;
            let validators = scrape.validators;
            let page_bytes = scrape.page_bytes as u64;
            let outcome = run_blocking(move || {
                let outcome = store.apply_refresh(&key_for_store, &items, now, is_ranking, max_items)?;
                store.set_page_bytes(&key_for_store, page_bytes)?;
                if !validators.is_empty() {
                    store.set_http_cache(&feed_url, validators.etag.as_deref(), validators.last_modified.as_deref())?;
                }
                Ok(outcome)
            })
            .await?;
            RefreshReport::Updated { n_items, n_new: outcome.n_new, n_updated: outcome.n_updated, n_warnings }
        }
        Err(error) => {
            let message = error.to_string();
            record_failure(context, &key, now, &message).await?;
            RefreshReport::Failed { message }
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
        RefreshReport::Failed { message } => {
            tracing::warn!(error = %message, elapsed_ms, "refresh failed");
            metrics::counter!("feedwright_refreshes_total", "outcome" => "failed").increment(1);
        }
    }
    metrics::histogram!("feedwright_refresh_seconds").record(started.elapsed().as_secs_f64());
    Ok(report)
}

/// A page that gave no items is a failure with a message a person can act on.
fn empty_result_message(warnings: &[Warning], page_url: &str) -> String {
    let first = warnings
        .iter()
        .find(|warning| matches!(warning, Warning::NoItems { .. }))
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
