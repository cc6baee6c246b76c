//! One scrape of one feed: fetch its page (conditionally, when validators are known), follow to the
//! page that holds the list if the feed says so, and extract. The seam between IO (fetch) and the
//! pure core (extract).

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::{Feed, Site};
use crate::extract::{ExtractContext, Extraction, extract_feed, follow_link};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, RequestOptions, Validators};

/// Why a scrape produced nothing usable. The feed's stored items stay; this is what the status shows.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ScrapeError {
    /// The page (or the followed page) could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// `follow` found no link on the first page.
    #[error("{0}")]
    Follow(String),
    /// The extraction task did not finish (the process is shutting down).
    #[error("extraction did not finish: {0}")]
    Interrupted(String),
}

/// The outcome of a scrape that brought a page.
#[derive(Debug, Clone)]
pub struct Scrape {
    /// The page the items were read from (after redirects and `follow`).
    pub page_url: Url,
    /// Size of the feed's own page (before any `follow`).
    pub page_bytes: usize,
    /// Validators of the feed's own URL, to store for the next conditional request.
    pub validators: Validators,
    pub extraction: Extraction,
}

/// A conditional scrape may learn that nothing changed.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per refresh, moved once
pub enum ScrapeOutcome {
    Scraped(Scrape),
    /// The feed's page answered 304: the stored items are still current.
    NotModified,
}

/// What the caller knows from earlier refreshes.
#[derive(Debug, Clone, Default)]
pub struct ScrapeHints {
    pub validators: Option<Validators>,
    /// The size of the page last time, to recognise a suspiciously small answer.
    pub typical_bytes: Option<usize>,
}

/// Say in the log which sites ignore robots.txt: opting out is allowed, but never silent.
pub fn log_robots_opt_outs(config: &crate::config::Config) {
    for site in config.sites.iter().filter(|site| !site.obey_robots) {
        tracing::warn!(site = %site.id, file = %site.source_file.display(), "robots.txt is not obeyed for this site: its config says `robots = false`");
    }
}

/// Request options for a URL of a site: its User-Agent and robots policy, and its headers and cookies
/// only when the URL is on one of the site's own hosts (a followed or article link may lead elsewhere,
/// and a site's cookies must not go with it).
pub fn request_options(site: &Site, url: &Url) -> RequestOptions {
    let own_host = url.host_str().is_some_and(|host| {
        site.home.host_str() == Some(host) || site.feeds.iter().any(|feed| feed.url.host_str() == Some(host))
    });
    RequestOptions {
        user_agent: site.user_agent.clone(),
        headers: if own_host { site.headers.clone() } else { Vec::new() },
        validators: None,
        typical_bytes: None,
        obey_robots: site.obey_robots,
    }
}

/// Fetch and extract one feed now. A conditional request is made only for feeds without `follow`:
/// for those, the followed page can change while the first page does not.
pub async fn scrape_feed(
    fetcher: &Fetcher,
    site: &Site,
    feed: &Feed,
    now: DateTime<Utc>,
    hints: &ScrapeHints,
) -> Result<ScrapeOutcome, ScrapeError> {
    let mut request = request_options(site, &feed.url);
    request.typical_bytes = hints.typical_bytes;
    if feed.follow.is_none() {
        request.validators = hints.validators.clone().filter(|validators| !validators.is_empty());
    }
    let mut page = match fetcher.fetch(&feed.url, &request).await? {
        FetchOutcome::Page(page) => page,
        FetchOutcome::NotModified => return Ok(ScrapeOutcome::NotModified),
    };
    let validators = page.validators.clone();
    // The size of the feed's own page: `typical_bytes` next time is compared with this page, not the followed one.
    let page_bytes = page.n_bytes;
    if let Some(follow) = &feed.follow {
        let (text, page_url, follow) = (page.text.clone(), page.url.clone(), follow.clone());
        let target = off_the_runtime(move || follow_link(&text, &page_url, &follow))
            .await?
            .map_err(|warning| ScrapeError::Follow(warning.to_string()))?;
        tracing::debug!(site = %site.id, feed = %feed.id, url = %target, "following");
        let follow_request = request_options(site, &target);
        page = fetcher.fetch_page(&target, &follow_request).await?;
    }
    let context = ExtractContext { now, timezone: site.timezone };
    let (text, page_url, owned_feed) = (page.text, page.url.clone(), feed.clone());
    let extraction = off_the_runtime(move || extract_feed(&text, &page_url, &owned_feed, &context)).await?;
    Ok(ScrapeOutcome::Scraped(Scrape { page_url: page.url, page_bytes, validators, extraction }))
}

/// Parsing is CPU work whose cost the page decides (a hostile page with deep nesting can take
/// seconds): run it on the blocking pool, so the server and other refreshes never wait for it.
async fn off_the_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ScrapeError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| ScrapeError::Interrupted(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_headers_and_cookies_stay_on_the_site() {
        let text = "title = \"S\"\nhome = \"https://news.example/\"\nheaders = { \"Accept-Language\" = \"ja\" }\ncookies = { consent = \"yes\" }\n\
                    [[feed]]\nid = \"f\"\nurl = \"https://lists.news.example/top/\"\nitems = \"li\"\nfields = { title = \"a\", link = \"a@href\" }\n";
        let (site, errors) = crate::config::parse_site(std::path::Path::new("s.toml"), text);
        assert!(errors.is_empty(), "{errors:?}");
        let site = site.expect("site");
        let headers_for = |url: &str| request_options(&site, &Url::parse(url).expect("url")).headers;
        assert_eq!(headers_for("https://news.example/a/1").len(), 2, "the home host");
        assert_eq!(headers_for("https://lists.news.example/top/").len(), 2, "a feed's host");
        assert!(headers_for("https://elsewhere.example/story").is_empty(), "another site's host");
    }
}
