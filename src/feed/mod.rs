//! Feed writers: one item model written as RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//!
//! This module owns what the three formats share: [`FeedMeta`], [`FeedFormat`], the text cleaning
//! every writer applies first, the date fallbacks, identifier rules and image type guessing. Each
//! format submodule (`rss`, `atom`, `json_feed`) owns one format's mapping and nothing else;
//! `meta` builds a [`FeedMeta`] from the config.
//!
//! **Invariant:** the writers are pure functions of their arguments: no IO, no clock (the caller
//! passes `updated`), no hash-map iteration, so the same input gives byte-identical output.
//! **Invariant:** the writers never reorder, drop or merge items: the caller sorts, and a ranking
//! keeps its list order.

mod atom;
mod json_feed;
mod meta;
mod opml;
mod rss;

use chrono::{DateTime, FixedOffset, Utc};

use crate::item::Item;

pub use self::atom::write_atom;
pub use self::json_feed::write_json_feed;
pub use self::opml::{OpmlEntry, write_opml};
pub use self::rss::write_rss;

/// What a feed says about itself, independent of the format it is written in.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMeta {
    /// Stable identity of the feed (Atom `id`), e.g. `urn:feedwright:japannews:latest` or a URL.
    /// Anything that is not an absolute URI is wrapped in a `urn:feedwright:feed:` URN.
    pub id: String,
    /// Feed title as a reader shows it, e.g. "The Japan News: Latest news".
    pub title: String,
    pub description: Option<String>,
    /// The site's home page.
    pub home_page_url: Option<String>,
    /// The page the items were read from.
    pub source_url: String,
    /// BCP 47 language tag, e.g. "en".
    pub language: Option<String>,
    /// When the feed's content last changed (RSS lastBuildDate, Atom updated).
    pub updated: DateTime<Utc>,
    /// A ranking keeps its list order; writers must not re-sort it.
    pub is_ranking: bool,
}

/// The formats feedwright writes; callers (CLI, server) pick one by name or file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    Rss,
    Atom,
    JsonFeed,
}

impl FeedFormat {
    /// Every format, in the order a listing (CLI help, server index) should show them.
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Rss, FeedFormat::Atom, FeedFormat::JsonFeed];

    /// The `Content-Type` to serve the feed with. The specific types (not `application/xml`) let
    /// browsers and readers recognise the feed; the charset is explicit because every writer emits UTF-8.
    pub fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::JsonFeed => "application/feed+json; charset=utf-8",
        }
    }

    /// File extension (without the dot) for a feed written to disk or served at `feed.<ext>`.
    pub fn extension(self) -> &'static str {
        match self {
            FeedFormat::Rss => "rss",
            FeedFormat::Atom => "atom",
            FeedFormat::JsonFeed => "json",
        }
    }

    /// The format whose [`extension`](Self::extension) is `extension`, if any.
    pub fn from_extension(extension: &str) -> Option<FeedFormat> {
        FeedFormat::ALL
            .into_iter()
            .find(|format| format.extension() == extension)
    }

    /// Writes the feed in this format; see [`write_rss`], [`write_atom`] and [`write_json_feed`].
    pub fn write(self, meta: &FeedMeta, items: &[Item], self_url: &str) -> String {
        match self {
            FeedFormat::Rss => write_rss(meta, items, self_url),
            FeedFormat::Atom => write_atom(meta, items, self_url),
            FeedFormat::JsonFeed => write_json_feed(meta, items, self_url),
        }
    }
}

/// Written as the generator of every feed.
const GENERATOR: &str = "feedwright";

/// Returns `text` without the characters an XML 1.0 document cannot carry.
///
/// XML 1.0 (§2.2) forbids C0 controls other than tab, newline and carriage return, and U+FFFE and
/// U+FFFF; a document containing one is not well-formed, even escaped as `&#1;`, so strict parsers
/// reject the whole feed. We also drop DEL and the C1 controls (U+007F to U+009F): XML discourages
/// them, the W3C validator flags them, and in scraped text they are always mis-decoded bytes.
/// (Surrogates cannot occur in a Rust `str`.)
pub(crate) fn strip_xml_forbidden(text: &str) -> String {
    text.chars()
        .filter(|&character| is_xml_text_char(character))
        .collect()
}

fn is_xml_text_char(character: char) -> bool {
    match character {
        '\t' | '\n' | '\r' => true,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}' => false,
        _ => true,
    }
}

/// The item with [`strip_xml_forbidden`] applied to every string and blank authors and categories
/// dropped: every writer starts from this, so no format can leak a character another one strips.
pub(crate) fn clean_item(item: &Item) -> Item {
    // Destructured without `..` so that a new field fails to compile until it is cleaned here.
    let Item {
        id,
        title,
        url,
        summary,
        content_html,
        published,
        updated,
        authors,
        image,
        categories,
        rank,
        first_seen,
    } = item;
    Item {
        id: strip_xml_forbidden(id),
        title: strip_xml_forbidden(title),
        url: strip_xml_forbidden(url),
        summary: clean_optional(summary.as_deref()),
        content_html: clean_optional(content_html.as_deref()),
        published: *published,
        updated: *updated,
        authors: clean_list(authors),
        image: clean_optional(image.as_deref()),
        categories: clean_list(categories),
        rank: *rank,
        first_seen: *first_seen,
    }
}

/// The feed metadata with [`strip_xml_forbidden`] applied to every string; see [`clean_item`].
pub(crate) fn clean_meta(meta: &FeedMeta) -> FeedMeta {
    let FeedMeta {
        id,
        title,
        description,
        home_page_url,
        source_url,
        language,
        updated,
        is_ranking,
    } = meta;
    FeedMeta {
        id: strip_xml_forbidden(id),
        title: strip_xml_forbidden(title),
        description: clean_optional(description.as_deref()),
        home_page_url: clean_optional(home_page_url.as_deref()),
        source_url: strip_xml_forbidden(source_url),
        language: clean_optional(language.as_deref()),
        updated: *updated,
        is_ranking: *is_ranking,
    }
}

/// Cleans an optional string; a value that is blank once cleaned becomes `None`, because every
/// format treats an empty element as an error or noise, never as information.
fn clean_optional(text: Option<&str>) -> Option<String> {
    text.map(strip_xml_forbidden)
        .filter(|cleaned| !cleaned.trim().is_empty())
}

fn clean_list(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .map(|text| strip_xml_forbidden(text))
        .filter(|cleaned| !cleaned.trim().is_empty())
        .collect()
}

/// The page a feed stands for: the home page when known, else the page the items came from.
pub(crate) fn feed_link(meta: &FeedMeta) -> &str {
    meta.home_page_url.as_deref().unwrap_or(&meta.source_url)
}

/// The feed title, never blank (all three formats require one): the configured title, else the
/// host of the feed's page, else the page's URL.
pub(crate) fn feed_title(meta: &FeedMeta) -> String {
    if !meta.title.trim().is_empty() {
        return meta.title.clone();
    }
    let link = feed_link(meta);
    host_of(link).unwrap_or_else(|| link.to_owned())
}

/// The item title, never blank: RSS needs a title or a description and readers list items by
/// title, so a missing one falls back to the item's URL.
pub(crate) fn item_title(item: &Item) -> &str {
    if item.title.trim().is_empty() {
        &item.url
    } else {
        &item.title
    }
}

/// The date a reader should sort and show the item by (RSS `pubDate`, JSON Feed
/// `date_published`): published, else updated, else when feedwright first saw it.
pub(crate) fn item_date(item: &Item) -> Option<DateTime<FixedOffset>> {
    item.published
        .or(item.updated)
        .or(item.first_seen.map(|first_seen| first_seen.fixed_offset()))
}

/// The last change of the item (Atom `updated`, which Atom requires): updated, else published,
/// else first seen, else the feed's own `updated` as the last resort that always exists.
pub(crate) fn item_updated(item: &Item, meta: &FeedMeta) -> DateTime<FixedOffset> {
    item.updated
        .or(item.published)
        .or(item.first_seen.map(|first_seen| first_seen.fixed_offset()))
        .unwrap_or_else(|| meta.updated.fixed_offset())
}

/// Host name of an absolute URL, if it has one.
pub(crate) fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .host_str()
        .filter(|host| !host.is_empty())
        .map(str::to_owned)
}

/// Whether `text` is an absolute URI that feed validators accept as an identifier: a scheme, then
/// only ASCII URI characters, `http(s)` with an authority (`http://host...`), and `urn:` in RFC
/// 8141 shape. Non-ASCII IRIs are deliberately refused: the W3C validator rejects them in
/// `atom:id`, so such an id gets wrapped by [`uri_or_urn`] instead.
pub(crate) fn is_absolute_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    let scheme_is_valid = scheme_chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_is_valid || rest.is_empty() || !rest.chars().all(is_uri_char) {
        return false;
    }
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => rest
            .strip_prefix("//")
            .is_some_and(|after| !after.is_empty() && !after.starts_with('/')),
        "urn" => is_urn_body(rest),
        _ => true,
    }
}

/// ASCII characters allowed in a URI (RFC 3986 unreserved, reserved and `%`).
fn is_uri_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || ";/?:@&=+$.-_!~*'()%,#".contains(character)
}

/// `NID:NSS` of a URN as validators check it: a 2-32 character NID, then a non-empty NSS of URN
/// characters and percent escapes.
fn is_urn_body(body: &str) -> bool {
    let Some((namespace_id, specific)) = body.split_once(':') else {
        return false;
    };
    let namespace_id_is_valid = (2..=32).contains(&namespace_id.len())
        && namespace_id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && namespace_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    namespace_id_is_valid
        && !specific.is_empty()
        && specific.chars().all(|c| c == '%' || is_urn_char(c))
        && percent_escapes_are_complete(specific)
}

/// Characters a URN's namespace-specific string may carry unescaped (the validators' set: RFC
/// 8141 would also allow `/`, `~` and `&`, but the W3C validator rejects them).
fn is_urn_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || "()+,.:=@;$_!*'-".contains(character)
}

fn percent_escapes_are_complete(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(byte_idx, &byte)| {
        byte != b'%'
            || (bytes.get(byte_idx + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(byte_idx + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// An identifier that is an absolute URI: `raw` itself when it already is one (see
/// [`is_absolute_uri`]), else `urn:feedwright:<scope>:<raw, percent-escaped>`.
///
/// Atom requires ids to be IRIs, but an item's id is often a bare site-local number from the
/// page; `scope` (the item's host, or `feed`) keeps equal numbers from different sites apart,
/// while the same article in two feeds of one site keeps one id.
pub(crate) fn uri_or_urn(raw: &str, scope: &str) -> String {
    let raw = raw.trim();
    if is_absolute_uri(raw) {
        return raw.to_owned();
    }
    format!("urn:feedwright:{}:{}", urn_escape(scope), urn_escape(raw))
}

/// Percent-escapes (UTF-8, upper-case hex) every byte that may not appear literally in a URN.
fn urn_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii() && is_urn_char(char::from(byte)) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

/// The image media type implied by the URL's path extension, if it is one we can name for sure.
/// Atom's enclosure link and RSS's `media:content` carry it so readers know the link is an image
/// without fetching it; an unknown extension gets no type rather than a guess.
pub(crate) fn image_media_type(image_url: &str) -> Option<&'static str> {
    let path = image_url.split(['?', '#']).next().unwrap_or(image_url);
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let (_, extension) = file_name.rsplit_once('.')?;
    match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        "gif" => Some("image/gif"),
        "avif" => Some("image/avif"),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The feed and items every writer's tests use: one item with every field (Japanese text,
    //! nasty HTML), one with only the required ones, one with characters XML forbids.

    use chrono::{DateTime, FixedOffset, Utc};

    use super::FeedMeta;
    use crate::item::Item;

    pub const SELF_URL: &str = "https://feeds.example.org/japannews/latest.xml";

    pub fn date(rfc3339: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(rfc3339).expect("fixture dates are valid RFC 3339")
    }

    pub fn utc(rfc3339: &str) -> DateTime<Utc> {
        date(rfc3339).with_timezone(&Utc)
    }

    pub fn meta() -> FeedMeta {
        FeedMeta {
            id: "urn:feedwright:japannews:latest".to_owned(),
            title: "The Japan News: Latest news".to_owned(),
            description: Some("Latest articles from The Japan News".to_owned()),
            home_page_url: Some("https://japannews.example.com/".to_owned()),
            source_url: "https://japannews.example.com/latest/".to_owned(),
            language: Some("ja".to_owned()),
            updated: utc("2024-01-15T04:00:00Z"),
            is_ranking: false,
        }
    }

    pub fn full_item() -> Item {
        Item {
            id: "https://japannews.example.com/news/20240115-1/".to_owned(),
            title: "輸入物価が前年比５％上昇、“過去最高”の水準に".to_owned(),
            url: "https://japannews.example.com/news/20240115-1/".to_owned(),
            summary: Some("Import prices rose 5% & hit a “record” <high>.".to_owned()),
            content_html: Some(
                "<p>Prices rose 5％ &amp; analysts were “surprised”.</p>\
                 <p>Not a tag: &lt;script&gt;alert(\"x\")&lt;/script&gt; and ]]> stays text.</p>"
                    .to_owned(),
            ),
            published: Some(date("2024-01-15T09:30:00+09:00")),
            updated: Some(date("2024-01-15T12:00:00+09:00")),
            authors: vec!["山田 太郎".to_owned(), "Jane Doe".to_owned()],
            image: Some(
                "https://japannews.example.com/images/20240115-1.jpg?w=640&h=480".to_owned(),
            ),
            categories: vec!["経済".to_owned()],
            rank: Some(1),
            first_seen: Some(utc("2024-01-15T01:00:00Z")),
        }
    }

    pub fn minimal_item() -> Item {
        Item {
            id: "https://japannews.example.com/news/20240115-2/".to_owned(),
            title: "Minimal item".to_owned(),
            url: "https://japannews.example.com/news/20240115-2/".to_owned(),
            first_seen: Some(utc("2024-01-15T02:00:00Z")),
            ..Item::default()
        }
    }

    pub fn forbidden_chars_item() -> Item {
        Item {
            id: "article-42".to_owned(),
            title: "Bad\u{0001}chars\u{000B} in the title".to_owned(),
            url: "https://japannews.example.com/news/article-42".to_owned(),
            summary: Some("Summary\u{0001} with\u{000B} control\u{0085} chars".to_owned()),
            published: Some(date("2024-01-14T18:00:00+00:00")),
            ..Item::default()
        }
    }

    pub fn items() -> Vec<Item> {
        vec![full_item(), minimal_item(), forbidden_chars_item()]
    }

    /// The three items' titles once cleaned, in order.
    pub const TITLES: [&str; 3] = [
        "輸入物価が前年比５％上昇、“過去最高”の水準に",
        "Minimal item",
        "Badchars in the title",
    ];

    /// A ranking: three items in rank order, deliberately not in date order.
    pub fn ranking_items() -> Vec<Item> {
        ["first", "second", "third"]
            .into_iter()
            .zip(1u32..)
            .map(|(name, rank)| Item {
                id: format!("https://japannews.example.com/ranking/{name}"),
                title: format!("Rank {rank}: {name}"),
                url: format!("https://japannews.example.com/ranking/{name}"),
                published: Some(date(&format!("2024-01-1{rank}T00:00:00+09:00"))),
                rank: Some(rank),
                ..Item::default()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{self, SELF_URL};
    use super::*;

    #[test]
    fn strip_xml_forbidden_keeps_text_and_drops_forbidden_characters() {
        let check = |input: &str, expected: &str| {
            assert_eq!(strip_xml_forbidden(input), expected, "input {input:?}")
        };
        check("plain", "plain");
        check("tab\tnewline\ncr\r", "tab\tnewline\ncr\r");
        check("a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{E}g\u{1F}h", "abcdefgh");
        check("del\u{7F} c1\u{80}\u{85}\u{9F}", "del c1");
        check("non\u{FFFE}char\u{FFFF}s", "nonchars");
        check(
            "５％ “引用” \u{FFFD} 😀 \u{10FFFF}",
            "５％ “引用” \u{FFFD} 😀 \u{10FFFF}",
        );
    }

    #[test]
    fn clean_item_cleans_every_string_and_drops_blank_list_entries() {
        let dirty = Item {
            id: "i\u{1}d".to_owned(),
            title: "t\u{1}".to_owned(),
            url: "https://e.example/\u{1}".to_owned(),
            summary: Some("\u{1}\u{2}".to_owned()),
            content_html: Some("<p>\u{B}</p>".to_owned()),
            authors: vec!["A\u{1}".to_owned(), " \u{1}".to_owned()],
            image: Some("https://e.example/i.png\u{1}".to_owned()),
            categories: vec!["".to_owned(), "c\u{1}".to_owned()],
            ..Item::default()
        };
        let clean = clean_item(&dirty);
        assert_eq!(clean.id, "id");
        assert_eq!(clean.title, "t");
        assert_eq!(clean.url, "https://e.example/");
        assert_eq!(
            clean.summary, None,
            "a summary blank once cleaned is dropped"
        );
        assert_eq!(clean.content_html.as_deref(), Some("<p></p>"));
        assert_eq!(clean.authors, ["A"]);
        assert_eq!(clean.image.as_deref(), Some("https://e.example/i.png"));
        assert_eq!(clean.categories, ["c"]);
    }

    #[test]
    fn is_absolute_uri_accepts_what_validators_accept() {
        let check = |input: &str, expected: bool| {
            assert_eq!(is_absolute_uri(input), expected, "input {input:?}")
        };
        check("https://example.com/a?b=1#c", true);
        check("HTTP://example.com", true);
        check("urn:feedwright:japannews:latest", true);
        check("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427", true);
        check("tag:example.com,2024:item-1", true);
        check("mailto:someone@example.com", true);
        check("12345", false);
        check("article-42", false);
        check("", false);
        check("http:example.com", false);
        check("https:///path", false);
        check("https://example.com/a b", false);
        check("https://example.com/日本", false);
        check("1http://example.com", false);
        check("urn:x:too-short-nid", false);
        check("urn:feedwright:", false);
        check("urn:feedwright:a/b", false);
        check("urn:feedwright:bad%2", false);
    }

    #[test]
    fn uri_or_urn_keeps_uris_and_wraps_the_rest() {
        let check =
            |raw: &str, scope: &str, expected: &str| assert_eq!(uri_or_urn(raw, scope), expected);
        check(
            "https://example.com/a",
            "example.com",
            "https://example.com/a",
        );
        check(
            " https://example.com/a ",
            "example.com",
            "https://example.com/a",
        );
        check("urn:isbn:0451450523", "feed", "urn:isbn:0451450523");
        check("12345", "example.com", "urn:feedwright:example.com:12345");
        check(
            "a/b c~&?",
            "example.com",
            "urn:feedwright:example.com:a%2Fb%20c%7E%26%3F",
        );
        check(
            "記事1",
            "example.com",
            "urn:feedwright:example.com:%E8%A8%98%E4%BA%8B1",
        );
        check(
            "https://example.com/日本",
            "example.com",
            "urn:feedwright:example.com:https:%2F%2Fexample.com%2F%E6%97%A5%E6%9C%AC",
        );
        // Every wrapped id is itself accepted as a URI.
        for raw in ["12345", "a/b c~&?", "記事1", "%zz", ""] {
            assert!(
                is_absolute_uri(&uri_or_urn(raw, "example.com")),
                "raw {raw:?}"
            );
        }
    }

    #[test]
    fn image_media_type_names_only_known_extensions() {
        let check = |url: &str, expected: Option<&str>| {
            assert_eq!(image_media_type(url), expected, "url {url:?}")
        };
        check("https://e.example/a.jpg", Some("image/jpeg"));
        check("https://e.example/a.JPEG?w=1", Some("image/jpeg"));
        check("https://e.example/a.png#frag", Some("image/png"));
        check("https://e.example/a.webp", Some("image/webp"));
        check("https://e.example/a.gif", Some("image/gif"));
        check("https://e.example/a.avif", Some("image/avif"));
        check("https://e.example/a.svg", None);
        check("https://e.example/image?id=3", None);
        check("https://e.example.jpg/image", None);
        check("https://e.example/a.php?f=x.jpg", None);
    }

    #[test]
    fn item_dates_fall_back_in_order() {
        let meta = fixtures::meta();
        let published = fixtures::date("2024-01-10T00:00:00+09:00");
        let updated = fixtures::date("2024-01-11T00:00:00+09:00");
        let first_seen = fixtures::utc("2024-01-12T00:00:00Z");
        let item = |published, updated, first_seen| Item {
            published,
            updated,
            first_seen,
            ..Item::default()
        };
        let check = |item: Item,
                     expected_date: Option<DateTime<FixedOffset>>,
                     expected_updated: DateTime<FixedOffset>| {
            assert_eq!(item_date(&item), expected_date);
            assert_eq!(item_updated(&item, &meta), expected_updated);
        };
        check(
            item(Some(published), Some(updated), Some(first_seen)),
            Some(published),
            updated,
        );
        check(
            item(Some(published), None, Some(first_seen)),
            Some(published),
            published,
        );
        check(
            item(None, Some(updated), Some(first_seen)),
            Some(updated),
            updated,
        );
        check(
            item(None, None, Some(first_seen)),
            Some(first_seen.fixed_offset()),
            first_seen.fixed_offset(),
        );
        check(item(None, None, None), None, meta.updated.fixed_offset());
    }

    #[test]
    fn titles_are_never_blank() {
        let mut meta = fixtures::meta();
        meta.title = " ".to_owned();
        assert_eq!(feed_title(&meta), "japannews.example.com");
        meta.home_page_url = None;
        meta.source_url = "not a url".to_owned();
        assert_eq!(feed_title(&meta), "not a url");
        let item = Item {
            url: "https://e.example/a".to_owned(),
            ..Item::default()
        };
        assert_eq!(item_title(&item), "https://e.example/a");
    }

    #[test]
    fn feed_format_names() {
        let check = |format: FeedFormat, content_type: &str, extension: &str| {
            assert_eq!(format.content_type(), content_type);
            assert_eq!(format.extension(), extension);
            assert_eq!(FeedFormat::from_extension(extension), Some(format));
        };
        check(FeedFormat::Rss, "application/rss+xml; charset=utf-8", "rss");
        check(
            FeedFormat::Atom,
            "application/atom+xml; charset=utf-8",
            "atom",
        );
        check(
            FeedFormat::JsonFeed,
            "application/feed+json; charset=utf-8",
            "json",
        );
        assert_eq!(FeedFormat::from_extension("xml"), None);
    }

    fn parse(output: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(output.as_bytes())
            .unwrap_or_else(|error| panic!("feed-rs rejects the output: {error}\n{output}"))
    }

    #[test]
    fn every_format_keeps_ranking_order() {
        let mut meta = fixtures::meta();
        meta.is_ranking = true;
        let items = fixtures::ranking_items();
        let expected: Vec<String> = items.iter().map(|item| item.title.clone()).collect();
        for format in FeedFormat::ALL {
            let feed = parse(&format.write(&meta, &items, SELF_URL));
            let titles: Vec<String> = feed
                .entries
                .iter()
                .filter_map(|entry| entry.title.as_ref())
                .map(|title| title.content.clone())
                .collect();
            assert_eq!(titles, expected, "{format:?}");
        }
    }

    #[test]
    fn every_format_drops_forbidden_characters() {
        for format in FeedFormat::ALL {
            let output = format.write(&fixtures::meta(), &fixtures::items(), SELF_URL);
            for forbidden in ['\u{1}', '\u{B}', '\u{85}'] {
                assert!(
                    !output.contains(forbidden),
                    "{format:?} contains {forbidden:?}"
                );
            }
            for escaped in ["\\u0001", "\\u000b", "\\u000B", "&#1;", "&#x1;"] {
                assert!(!output.contains(escaped), "{format:?} contains {escaped}");
            }
        }
    }

    #[test]
    fn every_format_is_byte_identical_for_the_same_input() {
        for format in FeedFormat::ALL {
            let first = format.write(&fixtures::meta(), &fixtures::items(), SELF_URL);
            let second = format.write(&fixtures::meta(), &fixtures::items(), SELF_URL);
            assert_eq!(first, second, "{format:?}");
        }
    }

    #[test]
    fn every_format_writes_an_empty_feed() {
        for format in FeedFormat::ALL {
            let feed = parse(&format.write(&fixtures::meta(), &[], SELF_URL));
            assert!(feed.entries.is_empty(), "{format:?}");
            assert_eq!(
                feed.title.map(|title| title.content).as_deref(),
                Some("The Japan News: Latest news"),
                "{format:?}"
            );
        }
    }
}
