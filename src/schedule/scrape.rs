//! One scrape of one feed: fetch its page, follow to the page that holds the list if the feed says so,
//! and extract. The seam between IO (fetch) and the pure core (extract).

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::{Feed, Site};
use crate::extract::{ExtractContext, Extraction, extract_feed, follow_link};
use crate::fetch::{FetchError, Fetcher};

/// Why a scrape produced nothing usable. The feed's stored items stay; this is what the status shows.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    /// The page (or the followed page) could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// `follow` found no link on the first page.
    #[error("{0}")]
    Follow(String),
}

/// The outcome of a scrape: the page the items were read from and what extraction found.
#[derive(Debug, Clone)]
pub struct Scrape {
    pub page_url: Url,
    pub extraction: Extraction,
}

/// Fetch and extract one feed now.
pub async fn scrape_feed(fetcher: &Fetcher, site: &Site, feed: &Feed, now: DateTime<Utc>) -> Result<Scrape, ScrapeError> {
    let user_agent = site.user_agent.as_deref();
    let mut page = fetcher.fetch_page(&feed.url, user_agent).await?;
    if let Some(follow) = &feed.follow {
        let target = follow_link(&page.text, &page.url, follow).map_err(|warning| ScrapeError::Follow(warning.to_string()))?;
        tracing::debug!(site = %site.id, feed = %feed.id, url = %target, "following");
        page = fetcher.fetch_page(&target, user_agent).await?;
    }
    let context = ExtractContext { now, timezone: site.timezone };
    let extraction = extract_feed(&page.text, &page.url, feed, &context);
    Ok(Scrape { page_url: page.url, extraction })
}
