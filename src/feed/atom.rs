//! Atom 1.0 (RFC 4287) writer, built on `atom_syndication`: owns the mapping from [`FeedMeta`] and
//! [`Item`] to a feed and its entries, and nothing else (no IO, no clock, no reordering).
//!
//! `atom_syndication` validates nothing, so this file enforces RFC 4287's musts itself:
//! - every id is an absolute URI (non-URI ids are wrapped in a `urn:feedwright:` URN);
//! - every entry has `updated` (falling back to published, first seen, then the feed's updated);
//! - the feed has an author whenever an entry has none (or there are no entries), named after
//!   the feed;
//! - every entry has an alternate link, so it may go without content.
//!
//! The lead image becomes `<link rel="enclosure">` when its extension names an image type, and
//! `<link rel="related">` otherwise: an enclosure without a type tells a reader nothing it can act
//! on, while a related link still carries the URL and validates. The rank of a ranking item has no
//! Atom element, so it is not written: the entry order carries it.

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Text, WriteConfig,
};

use super::{
    FeedMeta, GENERATOR, clean_item, clean_meta, feed_link, feed_title, host_of, image_media_type,
    item_title, item_updated, strip_xml_forbidden, uri_or_urn,
};
use crate::item::Item;

/// Writes `items`, in the order given, as an Atom 1.0 document (UTF-8, indented).
///
/// `self_url` is where this document is served; it becomes `<link rel="self">`, which RFC 4287
/// recommends and the W3C validator asks for.
pub fn write_atom(meta: &FeedMeta, items: &[Item], self_url: &str) -> String {
    let feed = build_feed(meta, items, self_url);
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let buffer = feed
        .write_with_config(Vec::new(), config)
        .expect("writing XML into a Vec cannot fail: only IO errors are possible");
    // The writer copies our `str`s and ASCII markup, so the buffer is UTF-8; lossy never triggers.
    String::from_utf8_lossy(&buffer).into_owned()
}

fn build_feed(meta: &FeedMeta, items: &[Item], self_url: &str) -> Feed {
    let meta = clean_meta(meta);
    let self_url = strip_xml_forbidden(self_url);
    let items: Vec<Item> = items.iter().map(clean_item).collect();
    let title = feed_title(&meta);

    let mut links = Vec::new();
    if !self_url.trim().is_empty() {
        links.push(Link {
            href: self_url,
            rel: "self".to_owned(),
            mime_type: Some("application/atom+xml".to_owned()),
            ..Link::default()
        });
    }
    links.push(Link {
        href: feed_link(&meta).to_owned(),
        rel: "alternate".to_owned(),
        ..Link::default()
    });

    // RFC 4287 4.1.1: a feed must have an author unless every entry has one.
    let needs_feed_author = items.is_empty() || items.iter().any(|item| item.authors.is_empty());
    let authors = if needs_feed_author {
        vec![person(title.clone())]
    } else {
        Vec::new()
    };

    let mut feed = Feed::default();
    feed.set_title(Text::plain(title));
    feed.set_id(uri_or_urn(&meta.id, "feed"));
    feed.set_updated(meta.updated.fixed_offset());
    feed.set_authors(authors);
    feed.set_generator(Generator {
        value: GENERATOR.to_owned(),
        uri: None,
        version: None,
    });
    feed.set_links(links);
    feed.set_subtitle(meta.description.clone().map(Text::plain));
    feed.set_lang(meta.language.clone());
    feed.set_entries(
        items
            .iter()
            .map(|item| build_entry(item, &meta))
            .collect::<Vec<_>>(),
    );
    feed
}

/// Maps one already-cleaned item.
fn build_entry(item: &Item, meta: &FeedMeta) -> Entry {
    let id_scope = host_of(&item.url).unwrap_or_else(|| "item".to_owned());
    let mut links = vec![Link {
        href: item.url.clone(),
        rel: "alternate".to_owned(),
        ..Link::default()
    }];
    if let Some(image) = &item.image {
        links.push(image_link(image));
    }

    let mut entry = Entry::default();
    entry.set_title(Text::plain(item_title(item)));
    entry.set_id(uri_or_urn(&item.id, &id_scope));
    entry.set_updated(item_updated(item, meta));
    entry.set_published(item.published);
    entry.set_authors(item.authors.iter().cloned().map(person).collect::<Vec<_>>());
    entry.set_categories(
        item.categories
            .iter()
            .map(|term| Category {
                term: term.clone(),
                scheme: None,
                label: None,
            })
            .collect::<Vec<_>>(),
    );
    entry.set_links(links);
    entry.set_summary(item.summary.clone().map(Text::plain));
    entry.set_content(item.content_html.clone().map(|content_html| Content {
        content_type: Some("html".to_owned()),
        value: Some(content_html),
        ..Content::default()
    }));
    entry
}

/// The image as an enclosure when we know its media type, else as a related link (see the
/// module docs for why an untyped enclosure is not written).
fn image_link(image: &str) -> Link {
    match image_media_type(image) {
        Some(media_type) => Link {
            href: image.to_owned(),
            rel: "enclosure".to_owned(),
            mime_type: Some(media_type.to_owned()),
            ..Link::default()
        },
        None => Link {
            href: image.to_owned(),
            rel: "related".to_owned(),
            ..Link::default()
        },
    }
}

fn person(name: String) -> Person {
    Person {
        name,
        ..Person::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::fixtures::{self, SELF_URL, TITLES};

    fn write_fixture() -> String {
        write_atom(&fixtures::meta(), &fixtures::items(), SELF_URL)
    }

    fn parse(output: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(output.as_bytes())
            .unwrap_or_else(|error| panic!("feed-rs rejects the Atom: {error}\n{output}"))
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(write_fixture());
    }

    #[test]
    fn feed_rs_reads_back_what_was_written() {
        let feed = parse(&write_fixture());
        let items = fixtures::items();
        assert_eq!(feed.id, "urn:feedwright:japannews:latest");
        assert_eq!(feed.entries.len(), 3);
        let expected_ids = [
            "https://japannews.example.com/news/20240115-1/",
            "https://japannews.example.com/news/20240115-2/",
            "urn:feedwright:japannews.example.com:article-42",
        ];
        for (((entry, item), title), expected_id) in feed
            .entries
            .iter()
            .zip(&items)
            .zip(TITLES)
            .zip(expected_ids)
        {
            assert_eq!(
                entry.title.as_ref().map(|text| text.content.as_str()),
                Some(title)
            );
            assert_eq!(entry.id, expected_id);
            let alternate: Vec<&str> = entry
                .links
                .iter()
                .filter(|link| link.rel.as_deref() == Some("alternate"))
                .map(|link| link.href.as_str())
                .collect();
            assert_eq!(alternate, [item.url.as_str()]);
            assert_eq!(
                entry.published,
                item.published.map(|date| date.to_utc()),
                "published only when known"
            );
            assert_eq!(
                entry.updated,
                Some(item_updated(item, &fixtures::meta()).to_utc())
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
        let full = &feed.entries[0];
        let enclosure: Vec<(&str, String)> = full
            .links
            .iter()
            .filter(|link| link.rel.as_deref() == Some("enclosure"))
            .map(|link| {
                (
                    link.href.as_str(),
                    link.media_type.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            enclosure,
            [(
                "https://japannews.example.com/images/20240115-1.jpg?w=640&h=480",
                "image/jpeg".to_owned()
            )]
        );
        assert_eq!(
            full.content
                .as_ref()
                .and_then(|content| content.body.as_deref()),
            fixtures::full_item().content_html.as_deref()
        );
    }

    #[test]
    fn feed_has_self_alternate_and_author_when_an_entry_lacks_one() {
        let feed = parse(&write_fixture());
        let links: Vec<(Option<&str>, &str)> = feed
            .links
            .iter()
            .map(|link| (link.rel.as_deref(), link.href.as_str()))
            .collect();
        assert_eq!(
            links,
            [
                (Some("self"), SELF_URL),
                (Some("alternate"), "https://japannews.example.com/")
            ]
        );
        let authors: Vec<&str> = feed
            .authors
            .iter()
            .filter_map(|person| person.name.as_deref())
            .collect();
        assert_eq!(authors, ["The Japan News: Latest news"]);
    }

    #[test]
    fn feed_author_is_needed_unless_every_entry_has_one() {
        let check = |items: &[Item], expected: bool| {
            let feed = build_feed(&fixtures::meta(), items, SELF_URL);
            assert_eq!(
                !feed.authors().is_empty(),
                expected,
                "{} items",
                items.len()
            );
        };
        check(&[], true);
        check(&[fixtures::full_item()], false);
        check(&[fixtures::full_item(), fixtures::minimal_item()], true);
    }

    #[test]
    fn image_link_is_a_typed_enclosure_or_a_related_link() {
        let check = |url: &str, rel: &str, mime_type: Option<&str>| {
            let link = image_link(url);
            assert_eq!(
                (link.rel.as_str(), link.mime_type.as_deref()),
                (rel, mime_type),
                "url {url:?}"
            );
        };
        check("https://e.example/a.png", "enclosure", Some("image/png"));
        check(
            "https://e.example/a.webp?x=1",
            "enclosure",
            Some("image/webp"),
        );
        check("https://e.example/image?id=3", "related", None);
    }

    #[test]
    fn feed_id_that_is_not_a_uri_is_wrapped() {
        let mut meta = fixtures::meta();
        meta.id = "japannews/latest".to_owned();
        assert_eq!(
            build_feed(&meta, &[], SELF_URL).id(),
            "urn:feedwright:feed:japannews%2Flatest"
        );
    }
}
