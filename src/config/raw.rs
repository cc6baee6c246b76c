//! The config files exactly as written: plain serde types, nothing checked beyond TOML types.
//! [`super::compile`] turns them into the validated form; the JSON Schema (`feedwright schema`) is
//! derived from these types, so every doc comment here is also what an editor shows.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `config/feedwright.toml`: settings of the program itself. Every key has a default.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(title = "feedwright settings")]
#[serde(default)]
pub struct RawSettings {
    /// Address the server listens on. Default `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// Folder for the item store. Default `./data`.
    pub data_dir: Option<String>,
    /// User-Agent sent to sites unless a site sets its own.
    pub user_agent: Option<String>,
    /// How often a feed is refreshed unless its site or feed says otherwise, e.g. `"30m"`, `"2h"`. Default `30m`.
    pub refresh: Option<String>,
    /// The address readers reach the server at, e.g. `https://feeds.example.org`, used in feed self
    /// links and OPML. Default: taken from each request's Host header.
    pub public_url: Option<String>,
    /// Token for `POST /api/feeds/{site}/{feed}/refresh` (sent as `Authorization: Bearer TOKEN`).
    /// Without one the admin routes are off.
    pub admin_token: Option<String>,
    /// Feeds refreshed at the same time at most (per-host limits come on top). Default 4.
    pub max_concurrent_refreshes: Option<u32>,
    /// Failures in a row after which a feed is shown as broken. Default 3.
    pub broken_after: Option<u32>,
    /// Limits that protect feedwright and the sites it reads.
    pub limits: RawLimits,
}

/// `[limits]` in `feedwright.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct RawLimits {
    /// Largest page body read, in bytes. Default 5000000.
    pub max_page_bytes: Option<u64>,
    /// Total time allowed for one request, e.g. `"30s"`. Default `30s`.
    pub request_timeout: Option<String>,
    /// Items kept per feed in the store. Default 500.
    pub max_items_per_feed: Option<u32>,
    /// Attempts per request on timeouts, connection errors, 429 and 5xx (1 = no retries). Default 3.
    pub max_attempts: Option<u32>,
    /// Requests in flight to one host at most. Default 2.
    pub per_host_concurrency: Option<u32>,
    /// Minimum gap between two requests to one host, e.g. `"1s"`. Default `1s`.
    pub per_host_interval: Option<String>,
    /// Article pages fetched at once when completing items (across all sites). Default 4.
    pub article_concurrency: Option<u32>,
}

/// `config/sites/<site>.toml`: one site and the feeds made from it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[schemars(title = "feedwright site config")]
pub struct RawSite {
    /// Site id used in feed URLs (`/feeds/<id>/<feed>.rss`). Defaults to the file name without `.toml`.
    pub id: Option<String>,
    /// The site's name, e.g. "The Japan News".
    pub title: String,
    /// The site's home page. Relative feed URLs resolve against it.
    pub home: String,
    /// Language of the site's text (BCP 47, e.g. `en`, `ja`).
    pub language: Option<String>,
    /// IANA time zone for dates that name none, e.g. `Asia/Tokyo`. Default `UTC`.
    pub timezone: Option<String>,
    /// Refresh interval for this site's feeds, e.g. `"30m"`.
    pub refresh: Option<String>,
    /// User-Agent for this site only.
    pub user_agent: Option<String>,
    /// Extra request headers for this site, e.g. `{ "Accept-Language" = "en" }`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Cookies sent to this site, e.g. `{ consent = "yes" }`.
    #[serde(default)]
    pub cookies: BTreeMap<String, String>,
    /// Obey the site's robots.txt. Default `true`; set `false` only if you have the right to ignore it.
    pub robots: Option<bool>,
    /// How this site's article pages read, for feeds with `complete = true`: the same field language,
    /// relative to the whole page. Fields left out (or matching nothing) fall back to what the page
    /// declares (JSON-LD, OpenGraph, meta tags).
    pub article: Option<RawFields>,
    /// Date formats (strftime, e.g. `"%B %d, %Y"`) tried by every date field of this site, after the field's own.
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// Named lists of rows for `each`, so several feeds can be stamped out over the same list:
    /// `[lists] sections = [{ section = "politics", name = "Politics" }, ...]` and `each = "sections"`.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<BTreeMap<String, String>>>,
    /// Fields shared by every feed of this site; a feed's own `fields` override them one by one.
    #[serde(default)]
    pub fields: RawFields,
    /// The feeds made from this site.
    #[serde(default)]
    pub feed: Vec<RawFeed>,
}

/// One `[[feed]]`: a page, the items on it, and how to read each item.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct RawFeed {
    /// Feed id, unique within the site; used in URLs. May use `{var}` from `each`.
    pub id: String,
    /// Feed title as readers show it (the site title is put in front). May use `{var}` from `each`.
    pub title: Option<String>,
    /// A sentence describing the feed.
    pub description: Option<String>,
    /// The page the list is on, absolute or relative to the site's `home`. May use `{var}` from `each`.
    pub url: String,
    /// CSS selector matching each item on the page, e.g. `"li.clearfix"`.
    pub items: String,
    /// Reach the list through another page: a field (e.g. `"li.clearfix a@href"`) read on `url` whose
    /// first value is the link of the page that holds the list.
    pub follow: Option<RawField>,
    /// The list is a ranking: items keep the page's order and carry their position as `rank`.
    #[serde(default)]
    pub ranking: bool,
    /// With `ranking`, put the rank in front of each title ("#1 ...").
    #[serde(default)]
    pub show_rank: bool,
    /// At most this many items are taken from the page (after filters).
    pub limit: Option<u32>,
    /// Make sure the page is the right one before reading it: the text of the first element matching
    /// `select` must contain `contains` (may use `{var}` from `each`). A page that fails the check is a
    /// failed refresh, not a list of the wrong items.
    pub check: Option<RawCheck>,
    /// Keep only items matching every rule given here.
    pub include: Option<RawFilter>,
    /// Drop items matching any rule given here.
    pub exclude: Option<RawFilter>,
    /// Refresh interval for this feed, e.g. `"1h"`.
    pub refresh: Option<String>,
    /// Stamp this definition out once per row; each row's keys are substituted as `{key}` into
    /// `id`, `title`, `description` and `url`. A list of strings (`{value}`), a list of tables, or the
    /// name of one of the site's `[lists]`.
    pub each: Option<RawEach>,
    /// How to read each item; a key here replaces the same key of the site's `[fields]`.
    #[serde(default)]
    pub fields: RawFields,
    /// Visit each new item's own page once and fill what the list lacked (date, summary, content,
    /// author, image, categories), using the site's `[article]` fields and the page's metadata.
    #[serde(default)]
    pub complete: bool,
    /// Set to `false` when this feed's items look nothing like the site's usual list items (a ranking
    /// block, say): then only this feed's own `fields` apply. Default `true`.
    pub inherit_fields: Option<bool>,
}

/// A `check` on the page the items are read from.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct RawCheck {
    /// CSS selector of the element whose text is checked, e.g. `"div.ranking_1 h2"`.
    pub select: String,
    /// Text the element must contain, e.g. `"\"{name}\" POPULAR ARTICLE"`.
    pub contains: String,
}

/// Rows for `each`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RawEach {
    /// `each = "sections"`: the rows of the site's `[lists]` entry of that name.
    Named(String),
    /// `each = ["politics", "society"]`: substituted as `{value}`.
    Values(Vec<String>),
    /// `each = [{ section = "politics", name = "Politics" }]`: each key substituted as `{key}`.
    Rows(Vec<BTreeMap<String, String>>),
}

/// Regex rules on an item's title, link or categories.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct RawFilter {
    /// Regex matched against the title.
    pub title: Option<String>,
    /// Regex matched against the absolute link.
    pub link: Option<String>,
    /// Regex matched against each category; one match is enough.
    pub category: Option<String>,
}

/// The fields of an item. Each is a CSS selector relative to the item.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct RawFields {
    /// Item title (required: an item without one is dropped).
    pub title: Option<RawField>,
    /// Item link (required); made absolute against the page URL.
    pub link: Option<RawField>,
    /// Plain-text summary.
    pub summary: Option<RawField>,
    /// HTML content; takes inner HTML unless told otherwise.
    pub content: Option<RawField>,
    /// Publication date.
    pub date: Option<RawField>,
    /// Last-update date.
    pub updated: Option<RawField>,
    /// Author names; every match is one author.
    pub author: Option<RawField>,
    /// Lead image URL; made absolute.
    pub image: Option<RawField>,
    /// Categories; every match is one category.
    pub categories: Option<RawField>,
    /// Stable identity of the item; defaults to the link.
    pub guid: Option<RawField>,
}

/// A field: either the short form `"selector"` / `"selector@attribute"` / `"@attribute"`, or a table.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)] // parsed once per field at load time; boxing buys nothing
pub enum RawField {
    /// `"a h2"` takes the text of the first match; `"a@href"` its attribute; `"@href"` the item's own.
    Short(String),
    /// The long form, for what the short form cannot say.
    Full(RawFieldSpec),
}

/// The long form of a field.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct RawFieldSpec {
    /// CSS selector relative to the item (the short form, `@attr` included, is accepted here too).
    /// Leave out to use the item element itself, or to build the value with `template` alone.
    pub select: Option<String>,
    /// Take this attribute instead of the text.
    pub attr: Option<String>,
    /// Take the inner HTML instead of the text.
    pub html: Option<bool>,
    /// Elements (CSS selectors) removed before taking the text or HTML, e.g. `["p.byline"]`.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Take every match, not only the first (the default for `author` and `categories`).
    pub all: Option<bool>,
    /// Split each value on this string (e.g. `","` for "a, b, c").
    pub split: Option<String>,
    /// Keep only the first capture group (or the whole match) of this regex.
    pub regex: Option<String>,
    /// Replace regex matches: `[pattern, replacement]` (`$1` refers to groups).
    pub replace: Option<Vec<String>>,
    /// Build the value from other fields: `"{title} ({value})"`; `{value}` is this field's own value.
    pub template: Option<String>,
    /// Date formats tried first for this field (a single string or a list).
    pub format: Option<RawFormats>,
    /// Steps applied in order, after the shortcuts above: `"collapse"`, `"absolute"`, `"strip_html"`,
    /// `{ regex = "..." }`, `{ replace = ["pattern", "with"] }`, `{ template = "..." }`, `{ prefix = "..." }`, `{ suffix = "..." }`.
    #[serde(default)]
    pub steps: Vec<RawStep>,
    /// Value used when the selector matches nothing.
    pub default: Option<String>,
}

/// One or several date formats.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RawFormats {
    One(String),
    Many(Vec<String>),
}

impl RawFormats {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            RawFormats::One(format) => vec![format.clone()],
            RawFormats::Many(formats) => formats.clone(),
        }
    }
}

/// A processing step of a field, applied in the order written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawStep {
    /// Fold runs of whitespace into one space and trim.
    Collapse,
    /// Resolve the value as a URL against the page URL.
    Absolute,
    /// Remove HTML tags, keeping the text.
    StripHtml,
    /// Keep the first capture group (or the whole match).
    Regex(String),
    /// `[pattern, replacement]`.
    Replace(Vec<String>),
    /// `"{title} - {value}"`.
    Template(String),
    /// Put this text in front.
    Prefix(String),
    /// Put this text after.
    Suffix(String),
}

/// A field is a string or a table. Written by hand rather than `#[serde(untagged)]` so that an unknown
/// key inside the table is reported by name (untagged enums only say "did not match any variant").
impl<'de> Deserialize<'de> for RawField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> serde::de::Visitor<'de> for FieldVisitor {
            type Value = RawField;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a selector string like \"a@href\" or a table like { select = \"a\", attr = \"href\" }")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<RawField, E> {
                Ok(RawField::Short(value.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawField, A::Error> {
                RawFieldSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(RawField::Full)
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}
