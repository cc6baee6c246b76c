//! The feed item: what extraction produces and every later stage (store, feed writers) consumes.
//! It holds plain values only; it never knows where it came from or how it will be written.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// One entry of a feed, already cleaned: absolute URLs, text without characters XML forbids,
/// dates with their offset. Optional fields are `None`/empty when the page did not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Item {
    /// Stable identity: the config's guid field when given, else the absolute link.
    pub id: String,
    pub title: String,
    /// Absolute URL of the item's page.
    pub url: String,
    /// Plain-text summary.
    pub summary: Option<String>,
    /// HTML content (escaped by the writers, never interpreted by them).
    pub content_html: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    pub authors: Vec<String>,
    /// Absolute URL of the lead image.
    pub image: Option<String>,
    pub categories: Vec<String>,
    /// Position in a ranking, 1-based; `None` for ordinary lists.
    pub rank: Option<u32>,
    /// When feedwright first saw the item (set by the store); writers use it when the page gave no date.
    pub first_seen: Option<DateTime<Utc>>,
}
