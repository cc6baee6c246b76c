//! The validated, compiled config: selectors, regexes, URLs, zones and durations already built.
//! Everything downstream (fetch, extract, schedule, server) works from these types only, so it never
//! meets an unchecked string from a config file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use scraper::Selector;
use url::Url;

/// Program settings from `feedwright.toml`, defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub admin_token: Option<String>,
    pub max_concurrent_refreshes: usize,
    pub broken_after: u32,
    pub data_dir: PathBuf,
    pub user_agent: String,
    pub refresh: Duration,
    pub max_page_bytes: u64,
    pub request_timeout: Duration,
    pub max_items_per_feed: u32,
    pub max_attempts: u32,
    pub per_host_concurrency: usize,
    pub per_host_interval: Duration,
    pub article_concurrency: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            admin_token: None,
            max_concurrent_refreshes: 4,
            broken_after: 3,
            data_dir: PathBuf::from("data"),
            user_agent: default_user_agent(),
            refresh: Duration::from_secs(30 * 60),
            max_page_bytes: 5_000_000,
            request_timeout: Duration::from_secs(30),
            max_items_per_feed: 500,
            max_attempts: 3,
            per_host_concurrency: 2,
            per_host_interval: Duration::from_secs(1),
            article_concurrency: 4,
        }
    }
}

pub fn default_user_agent() -> String {
    format!("feedwright/{} (+https://github.com/feedwright/feedwright)", env!("CARGO_PKG_VERSION"))
}

/// A whole config folder: settings and every site.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub settings: Settings,
    pub sites: Vec<Site>,
}

impl Config {
    pub fn site(&self, site_id: &str) -> Option<&Site> {
        self.sites.iter().find(|site| site.id == site_id)
    }

    /// Look up `SITE/FEED`.
    pub fn feed(&self, site_id: &str, feed_id: &str) -> Option<(&Site, &Feed)> {
        let site = self.site(site_id)?;
        let feed = site.feeds.iter().find(|feed| feed.id == feed_id)?;
        Some((site, feed))
    }
}

/// One site, from one file.
#[derive(Debug, Clone)]
pub struct Site {
    pub id: String,
    pub title: String,
    pub home: Url,
    pub language: Option<String>,
    pub timezone: chrono_tz::Tz,
    pub refresh: Option<Duration>,
    pub user_agent: Option<String>,
    /// Extra headers, cookies already folded into one `Cookie` header.
    pub headers: Vec<(String, String)>,
    pub obey_robots: bool,
    /// Selectors for article pages (fields relative to the whole page), for `complete` feeds.
    pub article: Fields,
    /// The site's `date_formats`, tried after a date field's own.
    pub date_formats: Vec<String>,
    pub feeds: Vec<Feed>,
    /// The file it came from, for messages.
    pub source_file: PathBuf,
}

/// One feed, after `each` expansion and with the site's shared fields merged in.
#[derive(Debug, Clone)]
pub struct Feed {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub url: Url,
    pub items: CompiledSelector,
    pub follow: Option<Field>,
    pub ranking: bool,
    pub show_rank: bool,
    pub limit: Option<u32>,
    /// The page must show this before its items are read.
    pub check: Option<PageCheck>,
    pub include: Option<Filter>,
    pub exclude: Option<Filter>,
    pub refresh: Option<Duration>,
    pub fields: Fields,
    /// Visit each new item's page to fill what the list lacked.
    pub complete: bool,
    /// The site's `date_formats`, tried after a date field's own formats.
    pub date_formats: Vec<String>,
}

/// A CSS selector with the text it was written as (for messages).
#[derive(Debug, Clone)]
pub struct CompiledSelector {
    pub text: String,
    pub selector: Selector,
}

/// The item fields a feed reads.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub title: Option<Field>,
    pub link: Option<Field>,
    pub summary: Option<Field>,
    pub content: Option<Field>,
    pub date: Option<Field>,
    pub updated: Option<Field>,
    pub author: Option<Field>,
    pub image: Option<Field>,
    pub categories: Option<Field>,
    pub guid: Option<Field>,
}

/// The names of item fields, in the order they are evaluated (templates may refer to any of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldName {
    Title,
    Link,
    Summary,
    Content,
    Date,
    Updated,
    Author,
    Image,
    Categories,
    Guid,
}

impl FieldName {
    pub const ALL: [FieldName; 10] = [
        FieldName::Title,
        FieldName::Link,
        FieldName::Summary,
        FieldName::Content,
        FieldName::Date,
        FieldName::Updated,
        FieldName::Author,
        FieldName::Image,
        FieldName::Categories,
        FieldName::Guid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldName::Title => "title",
            FieldName::Link => "link",
            FieldName::Summary => "summary",
            FieldName::Content => "content",
            FieldName::Date => "date",
            FieldName::Updated => "updated",
            FieldName::Author => "author",
            FieldName::Image => "image",
            FieldName::Categories => "categories",
            FieldName::Guid => "guid",
        }
    }

    pub fn parse(name: &str) -> Option<FieldName> {
        FieldName::ALL.into_iter().find(|field_name| field_name.as_str() == name)
    }

    /// Fields whose values are URLs, resolved against the page URL.
    pub fn is_url(self) -> bool {
        matches!(self, FieldName::Link | FieldName::Image)
    }

    /// Fields whose values are dates.
    pub fn is_date(self) -> bool {
        matches!(self, FieldName::Date | FieldName::Updated)
    }

    /// Fields that take every match by default.
    pub fn is_multi(self) -> bool {
        matches!(self, FieldName::Author | FieldName::Categories)
    }
}

impl Fields {
    pub fn get(&self, name: FieldName) -> Option<&Field> {
        match name {
            FieldName::Title => self.title.as_ref(),
            FieldName::Link => self.link.as_ref(),
            FieldName::Summary => self.summary.as_ref(),
            FieldName::Content => self.content.as_ref(),
            FieldName::Date => self.date.as_ref(),
            FieldName::Updated => self.updated.as_ref(),
            FieldName::Author => self.author.as_ref(),
            FieldName::Image => self.image.as_ref(),
            FieldName::Categories => self.categories.as_ref(),
            FieldName::Guid => self.guid.as_ref(),
        }
    }

    pub fn slot(&mut self, name: FieldName) -> &mut Option<Field> {
        match name {
            FieldName::Title => &mut self.title,
            FieldName::Link => &mut self.link,
            FieldName::Summary => &mut self.summary,
            FieldName::Content => &mut self.content,
            FieldName::Date => &mut self.date,
            FieldName::Updated => &mut self.updated,
            FieldName::Author => &mut self.author,
            FieldName::Image => &mut self.image,
            FieldName::Categories => &mut self.categories,
            FieldName::Guid => &mut self.guid,
        }
    }
}

/// What a field takes from the element it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    Text,
    InnerHtml,
    Attr(String),
}

/// One compiled field.
#[derive(Debug, Clone)]
pub struct Field {
    /// `None`: the item element itself (or, with no `take` source, the template alone).
    pub select: Option<CompiledSelector>,
    pub take: Take,
    /// True when the field has no selector and only a template: it reads nothing from the page.
    pub template_only: bool,
    pub drop: Vec<CompiledSelector>,
    pub all: bool,
    pub split: Option<String>,
    pub steps: Vec<Step>,
    pub formats: Vec<String>,
    pub default: Option<String>,
}

impl Field {
    /// How the field was written, for messages: `a h2`, `a@href`, `@href`, `(item)`.
    pub fn describe(&self) -> String {
        let selector = self.select.as_ref().map(|select| select.text.as_str()).unwrap_or("");
        match &self.take {
            Take::Attr(attr) => format!("{selector}@{attr}"),
            _ if selector.is_empty() => "(the item itself)".to_owned(),
            _ => selector.to_owned(),
        }
    }
}

/// A compiled processing step.
#[derive(Debug, Clone)]
pub enum Step {
    Collapse,
    Absolute,
    StripHtml,
    Regex(Regex),
    Replace(Regex, String),
    Template(Template),
    Prefix(String),
    Suffix(String),
}

/// A `{name}` template, split once at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Literal(String),
    /// `{value}`: the field's own value so far.
    Value,
    /// `{rank}`: the item's position in the list.
    Rank,
    Field(FieldName),
}

impl Template {
    /// Split `"{title} ({value})"`; `{{` and `}}` are literal braces. Errors name the unknown variable.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(character) = chars.next() {
            match character {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for inner in chars.by_ref() {
                        if inner == '}' {
                            closed = true;
                            break;
                        }
                        name.push(inner);
                    }
                    if !closed {
                        return Err(format!("unclosed `{{` in template {text:?}"));
                    }
                    if !literal.is_empty() {
                        parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
                    }
                    let name = name.trim();
                    let part = match name {
                        "value" => TemplatePart::Value,
                        "rank" => TemplatePart::Rank,
                        _ => match FieldName::parse(name) {
                            Some(field_name) => TemplatePart::Field(field_name),
                            None => {
                                return Err(format!(
                                    "unknown template variable `{{{name}}}`; use `{{value}}`, `{{rank}}` or a field name (title, link, summary, date, author, categories, ...)"
                                ));
                            }
                        },
                    };
                    parts.push(part);
                }
                _ => literal.push(character),
            }
        }
        if !literal.is_empty() {
            parts.push(TemplatePart::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// The fields this template reads.
    pub fn field_references(&self) -> impl Iterator<Item = FieldName> + '_ {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Field(field_name) => Some(*field_name),
            _ => None,
        })
    }
}

/// A compiled `check`: the first element matching `select` must contain `contains`.
#[derive(Debug, Clone)]
pub struct PageCheck {
    pub select: CompiledSelector,
    pub contains: String,
}

/// Compiled include/exclude rules.
#[derive(Debug, Clone)]
pub struct Filter {
    pub title: Option<Regex>,
    pub link: Option<Regex>,
    pub category: Option<Regex>,
}
