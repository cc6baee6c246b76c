//! JSON Feed 1.1 writer (<https://jsonfeed.org/version/1.1>): owns the serde shapes of the format
//! and the mapping from [`FeedMeta`] and [`Item`] to them, and nothing else (no IO, no clock, no
//! reordering).
//!
//! The spec requires `content_html` or `content_text` on every item; an item with no HTML content
//! gets `content_text` from its summary, else its title. Empty and unknown fields are left out
//! rather than written as `null` or `[]`. The rank of a ranking item is kept in a `_feedwright`
//! extension object (the spec's way to add fields: readers ignore keys starting with `_`).

use serde::Serialize;

use super::{
    FeedMeta, clean_item, clean_meta, feed_link, feed_title, item_date, item_title,
    strip_xml_forbidden,
};
use crate::item::Item;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_page_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(rename = "_feedwright", skip_serializing_if = "Option::is_none")]
    feedwright: Option<FeedwrightExtension>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

/// feedwright's own item fields, which JSON Feed has no key for.
#[derive(Serialize)]
struct FeedwrightExtension {
    /// Position in a ranking, 1-based.
    rank: u32,
}

/// Writes `items`, in the order given, as a pretty-printed JSON Feed 1.1 document.
///
/// `self_url` is where this document is served; it becomes `feed_url`.
pub fn write_json_feed(meta: &FeedMeta, items: &[Item], self_url: &str) -> String {
    let feed = build_feed(meta, items, self_url);
    serde_json::to_string_pretty(&feed)
        .expect("serializing structs of strings and numbers cannot fail")
}

fn build_feed(meta: &FeedMeta, items: &[Item], self_url: &str) -> JsonFeed {
    let meta = clean_meta(meta);
    let self_url = strip_xml_forbidden(self_url);
    JsonFeed {
        version: VERSION,
        title: feed_title(&meta),
        home_page_url: Some(feed_link(&meta).to_owned()),
        feed_url: Some(self_url).filter(|url| !url.trim().is_empty()),
        description: meta.description.clone(),
        language: meta.language.clone(),
        items: items
            .iter()
            .map(|item| build_item(&clean_item(item)))
            .collect(),
    }
}

/// Maps one already-cleaned item.
fn build_item(item: &Item) -> JsonItem {
    let content_text = match &item.content_html {
        Some(_) => None,
        None => Some(
            item.summary
                .clone()
                .unwrap_or_else(|| item_title(item).to_owned()),
        ),
    };
    JsonItem {
        id: item.id.clone(),
        url: item.url.clone(),
        title: item_title(item).to_owned(),
        content_html: item.content_html.clone(),
        content_text,
        summary: item.summary.clone(),
        image: item.image.clone(),
        date_published: item_date(item).map(|date| date.to_rfc3339()),
        date_modified: item.updated.map(|date| date.to_rfc3339()),
        authors: item
            .authors
            .iter()
            .map(|name| JsonAuthor { name: name.clone() })
            .collect(),
        tags: item.categories.clone(),
        feedwright: item.rank.map(|rank| FeedwrightExtension { rank }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::feed::fixtures::{self, SELF_URL, TITLES};

    fn write_fixture() -> String {
        write_json_feed(&fixtures::meta(), &fixtures::items(), SELF_URL)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(write_fixture());
    }

    #[test]
    fn feed_rs_reads_back_what_was_written() {
        let feed = feed_rs::parser::parse(write_fixture().as_bytes())
            .expect("feed-rs parses the JSON Feed");
        let items = fixtures::items();
        assert_eq!(feed.entries.len(), 3);
        for ((entry, item), title) in feed.entries.iter().zip(&items).zip(TITLES) {
            assert_eq!(
                entry.title.as_ref().map(|text| text.content.as_str()),
                Some(title)
            );
            assert_eq!(entry.id, item.id);
            let links: Vec<&str> = entry.links.iter().map(|link| link.href.as_str()).collect();
            assert_eq!(links, [item.url.as_str()]);
            assert_eq!(entry.published, item_date(item).map(|date| date.to_utc()));
            let authors: Vec<&str> = entry
                .authors
                .iter()
                .filter_map(|person| person.name.as_deref())
                .collect();
            assert_eq!(authors, item.authors);
            let categories: Vec<&str> = entry
                .categories
                .iter()
                .map(|category| category.term.as_str())
                .collect();
            assert_eq!(categories, item.categories);
        }
    }

    #[test]
    fn required_keys_are_present() {
        let feed: Value = serde_json::from_str(&write_fixture()).expect("the output is JSON");
        assert_eq!(feed["version"], VERSION);
        assert_eq!(feed["title"], "The Japan News: Latest news");
        assert_eq!(feed["feed_url"], SELF_URL);
        assert_eq!(feed["home_page_url"], "https://japannews.example.com/");
        let items = feed["items"].as_array().expect("items is an array");
        assert_eq!(items.len(), 3);
        for item in items {
            assert!(item["id"].is_string(), "{item}");
            assert!(
                item["content_html"].is_string() || item["content_text"].is_string(),
                "{item}"
            );
            for (key, value) in item.as_object().expect("an item is an object") {
                assert!(!value.is_null(), "{key} is null in {item}");
                assert_ne!(value, &Value::Array(Vec::new()), "{key} is empty in {item}");
            }
        }
        assert_eq!(items[0]["_feedwright"]["rank"], 1);
        assert_eq!(items[0]["authors"][0]["name"], "山田 太郎");
        assert_eq!(items[1].get("_feedwright"), None);
    }

    #[test]
    fn content_text_falls_back_to_summary_then_title() {
        let check = |summary: Option<&str>, content_html: Option<&str>, expected: Option<&str>| {
            let item = Item {
                summary: summary.map(str::to_owned),
                content_html: content_html.map(str::to_owned),
                ..fixtures::minimal_item()
            };
            assert_eq!(build_item(&item).content_text.as_deref(), expected);
        };
        check(Some("sum"), Some("<p>x</p>"), None);
        check(Some("sum"), None, Some("sum"));
        check(None, None, Some("Minimal item"));
    }
}
