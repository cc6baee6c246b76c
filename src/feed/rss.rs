//! RSS 2.0 writer, built on the `rss` crate: owns the mapping from [`FeedMeta`] and [`Item`] to a
//! channel and its items, and nothing else (no IO, no clock, no reordering).
//!
//! Choices the format forces on us:
//! - The lead image is written as `<media:content medium="image">` (Media RSS) and never as
//!   `<enclosure>`. RSS requires an enclosure's `length` in bytes, and we never download the image,
//!   so any length would be made up: `0` earns a W3C validator warning, `rss::Channel::validate`
//!   rejects it, and podcast-style readers may try to fetch it as an attachment. Media RSS needs no
//!   length and is what readers look for to show a thumbnail.
//! - `<description>` is HTML by convention (RSS Best Practices Profile), so a plain-text summary is
//!   HTML-escaped first; otherwise `a <b> c` in a summary would be read as markup.
//! - The rank of a ranking item has no standard RSS element, so it is not written: the item order
//!   carries it.

use chrono::{DateTime, FixedOffset};
use rss::extension::Extension;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid};

use super::{
    FeedMeta, GENERATOR, clean_item, clean_meta, feed_link, feed_title, image_media_type,
    item_date, item_title, strip_xml_forbidden,
};
use crate::item::Item;

/// Media RSS namespace, declared on `<rss>` when any item has an image.
const MEDIA_NAMESPACE: &str = "http://search.yahoo.com/mrss/";

/// Writes `items`, in the order given, as an RSS 2.0 document (UTF-8, indented).
///
/// `self_url` is where this document is served; it becomes `<atom:link rel="self">`, which the
/// W3C validator asks for so readers can find the feed's canonical address.
pub fn write_rss(meta: &FeedMeta, items: &[Item], self_url: &str) -> String {
    let channel = build_channel(meta, items, self_url);
    let buffer = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .expect("writing XML into a Vec cannot fail: only IO errors are possible");
    // The writer copies our `str`s and ASCII markup, so the buffer is UTF-8; lossy never triggers.
    String::from_utf8_lossy(&buffer).into_owned()
}

fn build_channel(meta: &FeedMeta, items: &[Item], self_url: &str) -> Channel {
    let meta = clean_meta(meta);
    let self_url = strip_xml_forbidden(self_url);
    let title = feed_title(&meta);
    let mut channel = Channel::default();
    channel.set_link(feed_link(&meta));
    // RSS requires a description; the title is the most honest stand-in.
    channel.set_description(meta.description.clone().unwrap_or_else(|| title.clone()));
    channel.set_title(title);
    channel.set_language(meta.language.clone());
    channel.set_last_build_date(meta.updated.to_rfc2822());
    channel.set_generator(GENERATOR.to_owned());
    if !self_url.trim().is_empty() {
        let self_link = Link {
            href: self_url,
            rel: "self".to_owned(),
            mime_type: Some("application/rss+xml".to_owned()),
            ..Link::default()
        };
        channel.set_atom_ext(AtomExtension {
            links: vec![self_link],
        });
    }
    let rss_items: Vec<rss::Item> = items
        .iter()
        .map(|item| build_item(&clean_item(item)))
        .collect();
    if rss_items
        .iter()
        .any(|rss_item| rss_item.extensions.contains_key("media"))
    {
        let mut namespaces = channel.namespaces().clone();
        namespaces.insert("media".to_owned(), MEDIA_NAMESPACE.to_owned());
        channel.set_namespaces(namespaces);
    }
    channel.set_items(rss_items);
    channel
}

/// Maps one already-cleaned item.
fn build_item(item: &Item) -> rss::Item {
    let mut rss_item = rss::Item::default();
    rss_item.set_title(item_title(item).to_owned());
    rss_item.set_link(item.url.clone());
    rss_item.set_guid(Guid {
        value: item.id.clone(),
        permalink: is_permalink(item),
    });
    rss_item.set_pub_date(item_date(item).map(rfc2822));
    // The validator wants a description before `content:encoded`, so content doubles as the
    // description when there is no summary.
    let description = match (&item.summary, &item.content_html) {
        (Some(summary), _) => Some(escape_html(summary)),
        (None, Some(content_html)) => Some(content_html.clone()),
        (None, None) => None,
    };
    rss_item.set_description(description);
    rss_item.set_content(item.content_html.clone());
    if !item.authors.is_empty() {
        // `dc:creator`, not `<author>`: RSS's own element must be an e-mail address.
        rss_item.set_dublin_core_ext(DublinCoreExtension {
            creators: item.authors.clone(),
            ..DublinCoreExtension::default()
        });
    }
    rss_item.set_categories(
        item.categories
            .iter()
            .map(|name| Category {
                name: name.clone(),
                domain: None,
            })
            .collect::<Vec<_>>(),
    );
    if let Some(image) = &item.image {
        // An empty value (not `None`) keeps the indenting writer from putting a newline inside.
        let mut media_content = Extension {
            name: "media:content".to_owned(),
            value: Some(String::new()),
            ..Extension::default()
        };
        media_content.attrs.insert("url".to_owned(), image.clone());
        media_content
            .attrs
            .insert("medium".to_owned(), "image".to_owned());
        if let Some(media_type) = image_media_type(image) {
            media_content
                .attrs
                .insert("type".to_owned(), media_type.to_owned());
        }
        rss_item
            .extensions
            .entry("media".to_owned())
            .or_default()
            .insert("content".to_owned(), vec![media_content]);
    }
    rss_item
}

/// A guid is a permalink only when it is the item's own http(s) address: readers open a
/// permalink guid as a page, so anything else (a site-local number, a URN) must say `false`.
fn is_permalink(item: &Item) -> bool {
    let lowercase_id = item.id.to_ascii_lowercase();
    let is_http = lowercase_id.starts_with("http://") || lowercase_id.starts_with("https://");
    is_http && item.id == item.url
}

/// The date as RFC 2822, in its own offset when that is a whole or half hour, else in UTC.
///
/// The instant is the same either way; the W3C validator only takes zones ending in `00` or `30`
/// as strict RFC 2822 and warns on the rest (Nepal's `+0545`), so those are written as `+0000`.
fn rfc2822(date: DateTime<FixedOffset>) -> String {
    if date.offset().local_minus_utc() % 1800 == 0 {
        date.to_rfc2822()
    } else {
        date.to_utc().to_rfc2822()
    }
}

/// Escapes plain text for a context read as HTML.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use rss::validation::Validate;

    use super::*;
    use crate::feed::fixtures::{self, SELF_URL, TITLES};

    fn write_fixture() -> String {
        write_rss(&fixtures::meta(), &fixtures::items(), SELF_URL)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(write_fixture());
    }

    #[test]
    fn feed_rs_reads_back_what_was_written() {
        let feed =
            feed_rs::parser::parse(write_fixture().as_bytes()).expect("feed-rs parses the RSS");
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
            let expected_date = item_date(item).map(|date| date.to_utc());
            assert_eq!(
                entry.published, expected_date,
                "pubDate falls back to updated, then first seen"
            );
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
        let media = &feed.entries[0].media;
        assert_eq!(media.len(), 1);
        let image_urls: Vec<String> = media[0]
            .content
            .iter()
            .filter_map(|content| content.url.as_ref())
            .map(|url| url.to_string())
            .collect();
        assert_eq!(
            image_urls,
            ["https://japannews.example.com/images/20240115-1.jpg?w=640&h=480"]
        );
    }

    #[test]
    fn rss_crate_reads_back_and_validates() {
        let channel = Channel::read_from(write_fixture().as_bytes()).expect("rss parses the RSS");
        channel
            .validate()
            .expect("the channel passes rss validation");
        assert_eq!(channel.items().len(), 3);
        let full = &channel.items()[0];
        assert_eq!(
            full.content(),
            fixtures::full_item().content_html.as_deref(),
            "content survives CDATA, including ]]>"
        );
        assert_eq!(
            full.description(),
            Some("Import prices rose 5% &amp; hit a “record” &lt;high&gt;.")
        );
        let atom_links = channel
            .atom_ext()
            .map(|atom| atom.links().to_vec())
            .unwrap_or_default();
        assert_eq!(atom_links.len(), 1);
        assert_eq!(
            (atom_links[0].rel.as_str(), atom_links[0].href.as_str()),
            ("self", SELF_URL)
        );
        assert_eq!(
            channel.namespaces().get("media").map(String::as_str),
            Some(MEDIA_NAMESPACE)
        );
    }

    #[test]
    fn guid_is_a_permalink_only_for_the_items_own_http_url() {
        let check = |id: &str, url: &str, expected: bool| {
            let item = Item {
                id: id.to_owned(),
                url: url.to_owned(),
                ..Item::default()
            };
            assert_eq!(is_permalink(&item), expected, "id {id:?} url {url:?}");
        };
        check("https://e.example/a", "https://e.example/a", true);
        check("HTTP://e.example/a", "HTTP://e.example/a", true);
        check("https://e.example/a", "https://e.example/b", false);
        check("article-42", "https://e.example/a", false);
        check("urn:x:1", "urn:x:1", false);
    }

    #[test]
    fn dates_keep_whole_and_half_hour_offsets_and_move_the_rest_to_utc() {
        let check =
            |rfc3339: &str, expected: &str| assert_eq!(rfc2822(fixtures::date(rfc3339)), expected);
        check(
            "2024-01-15T09:30:00+09:00",
            "Mon, 15 Jan 2024 09:30:00 +0900",
        );
        check(
            "2024-01-15T09:30:00+05:30",
            "Mon, 15 Jan 2024 09:30:00 +0530",
        );
        check(
            "2024-01-15T09:30:00-03:30",
            "Mon, 15 Jan 2024 09:30:00 -0330",
        );
        check(
            "2024-01-15T09:30:00+05:45",
            "Mon, 15 Jan 2024 03:45:00 +0000",
        );
        check("2024-01-05T00:00:00Z", "Fri, 5 Jan 2024 00:00:00 +0000");
    }

    #[test]
    fn permalink_guid_has_no_attribute_and_others_say_false() {
        let output = write_fixture();
        assert!(output.contains("<guid>https://japannews.example.com/news/20240115-1/</guid>"));
        assert!(output.contains("<guid isPermaLink=\"false\">article-42</guid>"));
    }

    #[test]
    fn description_is_the_escaped_summary_else_the_content() {
        let check = |summary: Option<&str>, content_html: Option<&str>, expected: Option<&str>| {
            let item = Item {
                summary: summary.map(str::to_owned),
                content_html: content_html.map(str::to_owned),
                ..fixtures::minimal_item()
            };
            assert_eq!(build_item(&item).description(), expected);
        };
        check(
            Some("a < b & c"),
            Some("<p>x</p>"),
            Some("a &lt; b &amp; c"),
        );
        check(None, Some("<p>x</p>"), Some("<p>x</p>"));
        check(None, None, None);
    }

    #[test]
    fn items_without_images_declare_no_media_namespace() {
        let output = write_rss(&fixtures::meta(), &[fixtures::minimal_item()], SELF_URL);
        assert!(!output.contains("xmlns:media"));
        assert!(!output.contains("xmlns:content"));
    }
}
