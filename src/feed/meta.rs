//! Building a [`FeedMeta`] from a configured site and feed.

use chrono::{DateTime, Utc};

use super::FeedMeta;
use crate::config::{Feed, Site};

impl FeedMeta {
    /// The description of a configured feed. Its id is a URN made of the site and feed ids, so it stays
    /// the same wherever the server is reached from (a URL id would change with the host name).
    pub fn for_feed(site: &Site, feed: &Feed, updated: DateTime<Utc>) -> FeedMeta {
        FeedMeta {
            id: format!("urn:feedwright:{}:{}", site.id, feed.id),
            title: format!("{}: {}", site.title, feed.title),
            description: feed.description.clone(),
            home_page_url: Some(site.home.to_string()),
            source_url: feed.url.to_string(),
            language: site.language.clone(),
            updated,
            is_ranking: feed.ranking,
        }
    }
}
