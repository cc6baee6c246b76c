//! Generic article metadata from one article page, without a site config: title, canonical URL,
//! dates, authors, summary, lead image, language, categories and the sanitized body.
//!
//! **Invariant:** pure and infallible, like the rest of `extract`: page text, page URL and the
//! [`ExtractContext`] in, an [`Article`] out. No IO, no clock, no panic on any input. A field the page
//! does not state is `None` or empty; nothing is invented (no date from the fetch time, no author
//! from a wire-service credit in the text, no canonical URL from the page URL).
//!
//! # Sources, most specific first
//! Each field takes the first source in its list that yields a usable value, except dates (below).
//!
//! - **title**: `og:title`, JSON-LD `headline`, microdata `headline`, `twitter:title`, the first `h1`
//!   (of the body, else of the page), JSON-LD `name`, `<title>`. Every candidate loses a site-name
//!   suffix or prefix (` - Site`, ` | Site`, ` – Site`, ` :: Site`, `｜サイト`): the text before a
//!   separator is kept when another title candidate equals it (the `h1` agrees with the rest), else
//!   the part after the last separator goes when it is a site name (`og:site_name`,
//!   `application-name`, the JSON-LD publisher or WebSite, `twitter:site`, the host). Entities are
//!   decoded (`&#045;` is `-`); a title that is only the site name is skipped.
//! - **url** (canonical): `<link rel=canonical>`, `og:url`, JSON-LD `url` / `mainEntityOfPage`;
//!   `None` when the page names none (the caller has the page URL).
//! - **published** / **updated**: every machine date is a candidate, in this order:
//!   `article:published_time` (`article:modified_time`), JSON-LD `datePublished` (`dateModified`),
//!   microdata `datePublished` (`dateModified`), preferred `<time>` elements (`pubdate`, class
//!   containing "publish" / "update", inside `article` or `header`; `datetime` first, then the text),
//!   Dublin Core and other meta names (`DC.date.issued`, `dcterms.created`, `dc.date`,
//!   `parsely-pub-date`, `sailthru.date`, `pubdate`, `publish-date`, `date`, ...). The most specific
//!   parsed candidate wins (time and offset > time without offset > date only); among equally
//!   specific ones the earlier source wins. So The Japan News gives `article:published_time`
//!   (`09:05:00+09:00`, the instant of the visible dateline) rather than JSON-LD's `09:05:37+09:00`.
//!   Only when none of these parses: any `<time>` element, then a dateline in the first 2 KB of the
//!   article text (published only).
//! - **authors**: one entry per person, in this order of sources: JSON-LD `author` persons, microdata
//!   `author`, byline elements (`.byline`, `.c-byline`, class containing "byline"), author meta
//!   (`article:author` when not a URL, `parsely-author`, `author`, `byl`, `DC.creator`,
//!   `cXenseParse:author`, ...), `[rel=author]` / `.author` elements, then JSON-LD Organization
//!   authors. Account-like values (a CMS account such as "admin" or "ウェブ編集", "Staff", an email,
//!   a URL, the site or publisher name, a CJK name on a page not in Japanese, Chinese or Korean) are
//!   dropped everywhere, so a CMS account in JSON-LD gives way to the visible byline, and a wire story
//!   without a byline has no author. JSON-LD people that the visible byline does not name also give
//!   way to it (the metadata then names whoever posted the page).
//!   Bylines are split on commas, "and", "&", "und", "et", "y", "、"; "By"/"Von"/"Par"/"Por", role
//!   suffixes (after " / ", or a ", Staff Writer" segment), emails, dates and "and more" are removed.
//! - **summary**: `og:description`, JSON-LD `description`, `description`, `twitter:description`,
//!   `DC.description`, microdata `description`; literal markup stripped, entities decoded.
//! - **image**: `og:image`, JSON-LD `image` (string, `ImageObject`, array; then `thumbnailUrl`),
//!   `twitter:image`, microdata `image`, `<link rel=image_src>`, the first large `img` of the body.
//! - **language**: `<html lang>`, `og:locale` (`en_US` becomes `en-US`), JSON-LD `inLanguage`,
//!   `content-language` / `language` meta.
//! - **categories**: `article:section`, JSON-LD `articleSection`, microdata `articleSection`,
//!   `article:tag`; only when all are empty, the weak ones: JSON-LD `keywords`, `keywords` and
//!   `news_keywords` meta. Deduplicated without regard to case.
//! - **content_html**: the body element: `[itemprop=articleBody]`, the `article` with the most text
//!   (or the body-like element inside it), an element whose id or class contains "article-body",
//!   "article-block", "entry-content", "post-content", "story-body", "article__body" (and a few
//!   more), `main`, and else the element whose direct `<p>` children hold the most text. Its `h1`,
//!   `header` and byline elements are dropped (they are the other fields), and the rest goes through
//!   [`sanitize_html`].
//!
//! JSON-LD: every `script[type="application/ld+json"]` is read; arrays, `@graph` and `mainEntity` are
//! flattened and `{"@id": ...}` references resolved. Scripts that are not JSON even after removing
//! trailing commas and raw control characters are skipped. The article node is the one of an article
//! type (`NewsArticle`, `Article`, `BlogPosting`, ...) whose URL is the page's, else the first with a
//! headline; a `WebPage` node is the fallback for each field.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use ego_tree::NodeId;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use super::ExtractContext;
use super::date::{DateContext, parse_date};
use super::field::{absolute_url, text_of};
use super::html::{escape_into, push_start_tag, write_children};
use super::text::{collapse_whitespace, strip_tags};

/// What a page says about the article it holds. Empty fields mean the page did not say.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Article {
    pub title: Option<String>,
    /// The canonical URL the page declares (absolute), `None` when it declares none.
    pub url: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    /// Real bylines, one entry per person (or credited organization), never CMS accounts.
    pub authors: Vec<String>,
    /// Plain text.
    pub summary: Option<String>,
    /// Absolute URL of the lead image.
    pub image: Option<String>,
    /// A language tag such as `en` or `en-US`.
    pub language: Option<String>,
    pub categories: Vec<String>,
    /// The article body, sanitized by [`sanitize_html`].
    pub content_html: Option<String>,
}

/// Read an article page. Never fails: what the page does not state stays empty.
pub fn extract_article(html: &str, page_url: &Url, context: &ExtractContext) -> Article {
    extract_article_from_document(&Html::parse_document(html), page_url, context)
}

/// [`extract_article`] on a page already parsed (completion parses once for config and metadata).
pub fn extract_article_from_document(document: &Html, page_url: &Url, context: &ExtractContext) -> Article {
    let page = Page::read(document, page_url);
    let content = find_content(document);
    let published = page.published(content, context);
    let updated = page.updated(context);
    Article {
        title: page.title(content),
        url: page.canonical_url(),
        published,
        updated,
        authors: page.authors(),
        summary: page.summary(),
        image: page.image(content),
        language: page.language(),
        categories: page.categories(),
        content_html: content.map(|element| clean_html(&prepare_html(element, ARTICLE_CHROME), &page.base_url)).filter(|html| has_content(html)),
    }
}

/// Make an HTML fragment safe to put in a feed: a conservative allow-list of tags and attributes
/// (no scripts, styles, event handlers, iframes, forms or comments), links with
/// `rel="noopener noreferrer"`, relative URLs made absolute against `base_url`, and lazy images
/// (`data-src`, `data-lazy-src`, `data-original`, `data-srcset`, `srcset`) given their real `src`
/// before sanitizing; an image with no usable source is dropped.
pub fn sanitize_html(html: &str, base_url: &Url) -> String {
    let fragment = Html::parse_fragment(html);
    clean_html(&prepare_html(fragment.root_element(), &[]), base_url)
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

/// A selector written in this file; they are constants, checked by `selectors_parse`.
fn selector(css: &'static str) -> Selector {
    Selector::parse(css).unwrap_or_else(|error| panic!("built-in selector {css:?}: {error}"))
}

/// A regex written in this file; they are constants, each run by the unit tests.
fn built_in_regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|error| panic!("built-in regex {pattern:?}: {error}"))
}

macro_rules! selectors {
    ($($name:ident = $css:expr;)*) => {
        $(static $name: LazyLock<Selector> = LazyLock::new(|| selector($css));)*
        #[cfg(test)]
        fn all_selectors() -> Vec<&'static Selector> { vec![$(&*$name),*] }
    };
}

selectors! {
    META = "meta";
    JSON_LD = r#"script[type="application/ld+json" i]"#;
    BASE = "base[href]";
    HTML = "html";
    HEAD_TITLE = "head > title";
    ANY_TITLE = "title";
    H1 = "h1";
    CANONICAL = r#"link[rel~="canonical" i][href]"#;
    IMAGE_SRC_LINK = r#"link[rel~="image_src" i][href]"#;
    ITEMPROP_HEADLINE = r#"[itemprop~="headline"]"#;
    ITEMPROP_PUBLISHED = r#"[itemprop~="datePublished"]"#;
    ITEMPROP_MODIFIED = r#"[itemprop~="dateModified"]"#;
    ITEMPROP_AUTHOR = r#"[itemprop~="author"], [itemprop~="creator"]"#;
    ITEMPROP_NAME = r#"[itemprop~="name"]"#;
    ITEMPROP_DESCRIPTION = r#"[itemprop~="description"]"#;
    ITEMPROP_IMAGE = r#"[itemprop~="image"]"#;
    ITEMPROP_URL = r#"[itemprop~="url"], [itemprop~="contentUrl"]"#;
    ITEMPROP_SECTION = r#"[itemprop~="articleSection"]"#;
    ITEMPROP_BODY = r#"[itemprop~="articleBody"]"#;
    TIME_PUBLISHED = r#"time[pubdate], time[class*="publish" i], time[class*="posted" i], article header time, header time, article time"#;
    TIME_UPDATED = r#"time[class*="updated" i], time[class*="modified" i]"#;
    TIME_ANY = "time";
    BYLINE = r#".byline, .c-byline, [class*="byline" i]"#;
    AUTHOR_ELEMENT = r#"a[rel~="author" i], .author, .author-name, .c-author"#;
    TIME = "time";
    ARTICLE = "article";
    BODY_LIKE = concat!(
        r#"[id*="article-body" i], "#,
        r#"[class*="article-body" i], "#,
        r#"[id*="articlebody" i], "#,
        r#"[class*="articlebody" i], "#,
        r#"[id*="article_body" i], "#,
        r#"[class*="article_body" i], "#,
        r#"[class*="article__body" i], "#,
        r#"[id*="article-block" i], "#,
        r#"[class*="article-block" i], "#,
        r#"[id*="article-content" i], "#,
        r#"[class*="article-content" i], "#,
        r#"[class*="article__content" i], "#,
        r#"[class*="entry-content" i], "#,
        r#"[id*="entry-content" i], "#,
        r#"[class*="post-content" i], "#,
        r#"[id*="post-content" i], "#,
        r#"[class*="post-body" i], "#,
        r#"[class*="story-body" i], "#,
        r#"[id*="story-body" i], "#,
        r#"[class*="story-content" i]"#,
    );
    MAIN = "main";
    BODY = "body";
    PARAGRAPH = "p";
    IMG = "img";
}

// ---------------------------------------------------------------------------------------------
// The page: meta tags, JSON-LD and the helpers every field uses
// ---------------------------------------------------------------------------------------------

/// Everything read once from the document.
struct Page<'a> {
    document: &'a Html,
    page_url: Url,
    /// The page URL joined with `<base href>`: what relative URLs on the page resolve against.
    base_url: Url,
    /// Meta tags by lowercased `property`, `name` or `http-equiv`, values in document order.
    meta: HashMap<String, Vec<String>>,
    linked_data: LinkedData,
    /// Index in `linked_data.nodes` of the article node (see [`LinkedData::article`]).
    article_node: Option<usize>,
    /// Site and publisher names, normalized with [`comparable`].
    site_names: Vec<String>,
}

impl<'a> Page<'a> {
    fn read(document: &'a Html, page_url: &Url) -> Page<'a> {
        let base_url = document
            .select(&BASE)
            .next()
            .and_then(|base| base.value().attr("href"))
            .and_then(|href| page_url.join(href.trim()).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .unwrap_or_else(|| page_url.clone());
        let mut meta: HashMap<String, Vec<String>> = HashMap::new();
        for element in document.select(&META) {
            let attributes = element.value();
            let Some(key) = attributes.attr("property").or_else(|| attributes.attr("name")).or_else(|| attributes.attr("http-equiv")) else {
                continue;
            };
            let Some(value) = attributes.attr("content").map(collapse_whitespace).filter(|value| !value.is_empty()) else {
                continue;
            };
            meta.entry(key.trim().to_lowercase()).or_default().push(value);
        }
        let linked_data = LinkedData::read(document);
        let mut page_urls = vec![comparable_url(page_url.as_str())];
        page_urls.extend(document.select(&CANONICAL).filter_map(|link| link.value().attr("href")).map(comparable_url));
        let article_node = linked_data.article(&page_urls);
        let mut page = Page { document, page_url: page_url.clone(), base_url, meta, linked_data, article_node, site_names: Vec::new() };
        page.site_names = page.collect_site_names();
        page
    }

    /// The first non-empty value among meta keys (lowercase), in key order.
    fn meta_first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| self.meta.get(*key).and_then(|values| values.first()).cloned())
    }

    fn meta_all(&self, key: &str) -> Vec<String> {
        self.meta.get(key).cloned().unwrap_or_default()
    }

    fn collect_site_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for key in ["og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site", "twitter:app:name:iphone", "cxenseparse:recs:publication"] {
            names.extend(self.meta_all(key));
        }
        names.extend(self.linked_data.site_names());
        let mut normalized: Vec<String> = names.iter().map(|name| comparable(name)).filter(|name| !name.is_empty()).collect();
        if let Some(host) = self.page_url.host_str() {
            let host = host.trim_start_matches("www.");
            normalized.push(comparable(host));
            if let Some(label) = host.split('.').next() {
                normalized.push(comparable(label));
            }
        }
        normalized.sort();
        normalized.dedup();
        normalized
    }

    fn is_site_name(&self, text: &str) -> bool {
        let key = comparable(text);
        !key.is_empty() && self.site_names.iter().any(|name| *name == key || format!("the{key}") == *name || format!("the{name}") == key)
    }

    fn article_node(&self) -> Option<&Map<String, Value>> {
        self.article_node.and_then(|index| self.linked_data.nodes.get(index))
    }

    /// The article node's value for `key`, else the web page node's.
    fn json_field(&self, key: &str) -> Option<&Value> {
        self.article_node().and_then(|node| node.get(key)).or_else(|| self.linked_data.webpage().and_then(|node| node.get(key)))
    }

    fn absolute(&self, value: &str) -> Option<String> {
        absolute_url(value, &self.base_url)
    }

    // --- title -------------------------------------------------------------------------------

    fn title(&self, content: Option<ElementRef<'_>>) -> Option<String> {
        let h1 = content
            .and_then(|content| content.select(&H1).next())
            .into_iter()
            .chain(self.document.select(&H1))
            .map(|heading| collapse_whitespace(&text_of(heading, &HashSet::new())))
            .find(|text| !text.is_empty() && !self.is_site_name(text));
        let title_element = self
            .document
            .select(&HEAD_TITLE)
            .next()
            .or_else(|| self.document.select(&ANY_TITLE).next())
            .map(|title| collapse_whitespace(&title.text().collect::<String>()));
        let candidates: Vec<String> = [
            self.meta_first(&["og:title"]),
            self.json_field("headline").and_then(first_json_text),
            self.document.select(&ITEMPROP_HEADLINE).next().map(microdata_value),
            self.meta_first(&["twitter:title"]),
            h1,
            self.json_field("name").and_then(first_json_text),
            title_element,
        ]
        .into_iter()
        .flatten()
        .map(|title| strip_tags(&title))
        .filter(|title| !title.is_empty())
        .collect();
        let hints = TitleHints { site_names: self.site_names.clone(), titles: candidates.iter().map(|title| comparable(title)).collect() };
        candidates.iter().map(|title| strip_title_affixes(title, &hints)).find(|title| !title.is_empty() && !self.is_site_name(title))
    }

    // --- canonical URL -------------------------------------------------------------------------

    fn canonical_url(&self) -> Option<String> {
        let link = self.document.select(&CANONICAL).filter_map(|link| link.value().attr("href")).find_map(|href| self.absolute(href));
        link.or_else(|| self.meta_first(&["og:url"]).and_then(|url| self.absolute(&url))).or_else(|| {
            let node = self.article_node()?;
            ["url", "mainEntityOfPage", "@id"].iter().filter_map(|key| node.get(*key)).find_map(|value| {
                let text = match value {
                    Value::Object(object) => object.get("@id").or_else(|| object.get("url")).and_then(Value::as_str),
                    other => other.as_str(),
                }?;
                self.absolute(text).filter(|url| !url.contains('#'))
            })
        })
    }

    // --- dates ---------------------------------------------------------------------------------

    fn published(&self, content: Option<ElementRef<'_>>, context: &ExtractContext) -> Option<DateTime<FixedOffset>> {
        let mut strong = Vec::new();
        strong.extend(self.meta_first(&["article:published_time", "og:article:published_time", "article:published"]));
        strong.extend(self.json_field("datePublished").and_then(first_json_text));
        strong.extend(self.json_field("dateCreated").and_then(first_json_text));
        strong.extend(self.document.select(&ITEMPROP_PUBLISHED).map(microdata_value));
        strong.extend(time_values(self.document.select(&TIME_PUBLISHED)));
        strong.extend(self.meta_first(&[
            "dc.date.issued",
            "dcterms.issued",
            "dcterms.created",
            "dc.date.created",
            "dc.date",
            "dcterms.date",
            "parsely-pub-date",
            "sailthru.date",
            "article.published",
            "pubdate",
            "publish-date",
            "publish_date",
            "publication_date",
            "citation_publication_date",
            "date",
        ]));
        if let Some(date) = most_specific_date(&strong, context) {
            return Some(date);
        }
        let weak: Vec<String> = time_values(self.document.select(&TIME_ANY)).collect();
        most_specific_date(&weak, context).or_else(|| {
            let element = content.or_else(|| self.document.select(&BODY).next())?;
            find_dateline(&text_of(element, &HashSet::new()), context)
        })
    }

    fn updated(&self, context: &ExtractContext) -> Option<DateTime<FixedOffset>> {
        let mut strong = Vec::new();
        strong.extend(self.meta_first(&["article:modified_time", "og:article:modified_time", "og:updated_time", "article:updated_time"]));
        strong.extend(self.json_field("dateModified").and_then(first_json_text));
        strong.extend(self.document.select(&ITEMPROP_MODIFIED).map(microdata_value));
        strong.extend(time_values(self.document.select(&TIME_UPDATED)));
        strong.extend(self.meta_first(&["dcterms.modified", "dc.date.modified", "article.updated", "last-modified", "parsely-updated"]));
        most_specific_date(&strong, context)
    }

    // --- authors -------------------------------------------------------------------------------

    fn authors(&self) -> Vec<String> {
        let (json_people, json_organizations) = self.json_authors();
        let microdata: Vec<String> = self.document.select(&ITEMPROP_AUTHOR).flat_map(|element| split_byline(&microdata_name(element))).collect();
        let bylines: Vec<String> = self.document.select(&BYLINE).flat_map(|element| split_byline(&byline_text(element))).collect();
        let meta: Vec<String> = [
            "article:author",
            "parsely-author",
            "author",
            "byl",
            "dc.creator",
            "dcterms.creator",
            "cxenseparse:author",
            "sailthru.author",
        ]
        .iter()
        .flat_map(|key| self.meta_all(key))
        .filter(|value| !looks_like_url(value))
        .flat_map(|value| split_byline(&value))
        .collect();
        let author_elements: Vec<String> = self
            .document
            .select(&AUTHOR_ELEMENT)
            .map(byline_text)
            .filter(|text| text.chars().count() <= 120)
            .flat_map(|text| split_byline(&text))
            .collect();
        let language = self.language();
        let clean = |names: Vec<String>| unique(names.into_iter().filter(|name| !self.is_account_like(name, language.as_deref())).collect());
        let json_people = clean(json_people);
        let bylines = clean(bylines);
        // A visible byline that names none of the JSON-LD people wins: the metadata is then the
        // account that posted the page, not the writers.
        let byline_keys: Vec<String> = bylines.iter().map(|name| comparable(name)).collect();
        let json_agrees = json_people.iter().any(|name| byline_keys.contains(&comparable(name)));
        let json_people = if bylines.is_empty() || json_agrees { json_people } else { Vec::new() };
        [json_people, clean(microdata), bylines, clean(meta), clean(author_elements), clean(json_organizations)]
            .into_iter()
            .find(|names| !names.is_empty())
            .unwrap_or_default()
    }

    /// JSON-LD authors of the article node: (people and untyped names, organizations).
    fn json_authors(&self) -> (Vec<String>, Vec<String>) {
        let mut people = Vec::new();
        let mut organizations = Vec::new();
        let Some(value) = self.json_field("author").or_else(|| self.json_field("creator")) else { return (people, organizations) };
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            match item {
                Value::String(name) => people.extend(split_byline(&strip_tags(name))),
                Value::Object(object) => {
                    let Some(node) = self.linked_data.resolve(object) else { continue };
                    if node.get("url").and_then(Value::as_str).is_some_and(is_account_url) {
                        continue;
                    }
                    let name = node.get("name").and_then(first_json_text).or_else(|| {
                        let given = node.get("givenName").and_then(first_json_text).unwrap_or_default();
                        let family = node.get("familyName").and_then(first_json_text).unwrap_or_default();
                        Some(collapse_whitespace(&format!("{given} {family}"))).filter(|name| !name.is_empty())
                    });
                    let Some(name) = name else { continue };
                    if has_type(node, ORGANIZATION_TYPES) {
                        organizations.extend(split_byline(&name));
                    } else {
                        people.extend(split_byline(&name));
                    }
                }
                _ => {}
            }
        }
        (people, organizations)
    }

    /// An account, a desk, the site itself, or a name in a script the page is not written in
    /// (a Japanese account name on an English page).
    fn is_account_like(&self, name: &str, language: Option<&str>) -> bool {
        let page_uses_cjk = language.is_none_or(|language| ["ja", "zh", "ko"].iter().any(|cjk| language.starts_with(cjk)));
        is_account_name(name) || self.is_site_name(name) || (!page_uses_cjk && name.chars().any(is_cjk))
    }

    // --- summary, image, language, categories --------------------------------------------------

    fn summary(&self) -> Option<String> {
        [
            self.meta_first(&["og:description"]),
            self.json_field("description").and_then(first_json_text),
            self.meta_first(&["description"]),
            self.meta_first(&["twitter:description", "dc.description", "dcterms.description"]),
            self.document.select(&ITEMPROP_DESCRIPTION).next().map(microdata_value),
        ]
        .into_iter()
        .flatten()
        .map(|summary| strip_tags(&summary))
        .find(|summary| !summary.is_empty())
    }

    fn image(&self, content: Option<ElementRef<'_>>) -> Option<String> {
        let from_meta = self.meta_first(&["og:image", "og:image:secure_url", "og:image:url"]);
        let from_json = ["image", "primaryImageOfPage", "thumbnailUrl"]
            .iter()
            .filter_map(|key| self.json_field(key))
            .find_map(|value| self.linked_data.image_url(value));
        let from_twitter = self.meta_first(&["twitter:image", "twitter:image:src"]);
        let from_microdata = self.document.select(&ITEMPROP_IMAGE).find_map(|element| {
            let value = element.value();
            value
                .attr("content")
                .or_else(|| value.attr("src"))
                .or_else(|| value.attr("href"))
                .map(str::to_owned)
                .or_else(|| element.select(&ITEMPROP_URL).next().map(microdata_value))
        });
        let from_link = self.document.select(&IMAGE_SRC_LINK).next().and_then(|link| link.value().attr("href")).map(str::to_owned);
        [from_meta, from_json, from_twitter, from_microdata, from_link]
            .into_iter()
            .flatten()
            .find_map(|url| self.absolute(&url))
            .or_else(|| content.and_then(|content| self.first_large_image(content)))
    }

    fn first_large_image(&self, content: ElementRef<'_>) -> Option<String> {
        content.select(&IMG).find_map(|image| {
            let small = ["width", "height"]
                .iter()
                .filter_map(|name| image.value().attr(name))
                .filter_map(|value| value.trim().trim_end_matches("px").parse::<u32>().ok())
                .any(|size| size < 120);
            if small {
                return None;
            }
            let source = image_source(image.value())?;
            let lowered = source.to_lowercase();
            let decorative = ["logo", "icon", "avatar", "sprite", "spacer", "pixel", "badge"].iter().any(|word| lowered.contains(word))
                || lowered.split(['?', '#']).next().is_some_and(|path| path.ends_with(".svg"));
            if decorative { None } else { self.absolute(&source) }
        })
    }

    fn language(&self) -> Option<String> {
        let html_lang = self.document.select(&HTML).next().and_then(|html| html.value().attr("lang").or_else(|| html.value().attr("xml:lang"))).map(str::to_owned);
        [
            html_lang,
            self.meta_first(&["og:locale"]),
            self.json_field("inLanguage").and_then(first_json_text),
            self.meta_first(&["content-language", "language", "dc.language", "dcterms.language"]),
        ]
        .into_iter()
        .flatten()
        .find_map(|language| normalize_language(&language))
    }

    fn categories(&self) -> Vec<String> {
        let mut strong: Vec<String> = self.meta_all("article:section");
        strong.extend(self.json_field("articleSection").map(json_texts).unwrap_or_default());
        strong.extend(self.document.select(&ITEMPROP_SECTION).map(microdata_value));
        strong.extend(self.meta_all("article:tag"));
        let strong = unique(strong.iter().map(|category| strip_tags(category)).collect());
        if !strong.is_empty() {
            return strong;
        }
        let mut weak: Vec<String> = self.json_field("keywords").map(json_texts).unwrap_or_default().iter().flat_map(|keywords| split_keywords(keywords)).collect();
        for key in ["keywords", "news_keywords"] {
            weak.extend(self.meta_all(key).iter().flat_map(|keywords| split_keywords(keywords)));
        }
        unique(weak)
    }
}

fn split_keywords(keywords: &str) -> Vec<String> {
    keywords.split([',', '、', ';']).map(strip_tags).filter(|keyword| !keyword.is_empty()).collect()
}

/// The datetime/content attribute of each element, else its text.
fn time_values<'a>(elements: impl Iterator<Item = ElementRef<'a>>) -> impl Iterator<Item = String> {
    elements.flat_map(|element| {
        let attribute = element.value().attr("datetime").or_else(|| element.value().attr("content")).map(collapse_whitespace).filter(|value| !value.is_empty());
        let text = collapse_whitespace(&element.text().collect::<String>());
        attribute.into_iter().chain((!text.is_empty()).then_some(text))
    })
}

/// A microdata property's value: `content`, `datetime` or the text.
fn microdata_value(element: ElementRef<'_>) -> String {
    let value = element.value();
    value
        .attr("content")
        .or_else(|| value.attr("datetime"))
        .map(collapse_whitespace)
        .unwrap_or_else(|| collapse_whitespace(&text_of(element, &HashSet::new())))
}

/// A microdata author: the nested `name` property when there is one, else the element's value.
fn microdata_name(element: ElementRef<'_>) -> String {
    element.select(&ITEMPROP_NAME).next().map(microdata_value).unwrap_or_else(|| microdata_value(element))
}

/// The text of a byline element without the `<time>` elements it may hold.
fn byline_text(element: ElementRef<'_>) -> String {
    let dropped: HashSet<NodeId> = element.select(&TIME).map(|time| time.id()).collect();
    collapse_whitespace(&text_of(element, &dropped))
}

fn unique(values: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.into_iter().map(|value| collapse_whitespace(&value)).filter(|value| !value.is_empty() && seen.insert(value.to_lowercase())).collect()
}

/// Lowercase letters and digits only: how titles and names are compared ("The Japan News",
/// "@The_Japan_News" and "thejapannews" are the same).
fn comparable(text: &str) -> String {
    text.chars().filter(|character| character.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn comparable_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    let url = url.split_once("://").map_or(url, |(_, rest)| rest);
    url.trim_start_matches("www.").trim_end_matches('/').to_lowercase()
}

fn looks_like_url(text: &str) -> bool {
    let text = text.trim();
    text.contains("://") || text.starts_with("www.") || text.starts_with('/')
}

/// `en_US`, `en-us` and `EN` become `en-US`, `en-US` and `en`; anything that is not a language tag is `None`.
fn normalize_language(raw: &str) -> Option<String> {
    static TAG: LazyLock<Regex> = LazyLock::new(|| built_in_regex(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"));
    let first = raw.split([',', ';']).next()?.trim().replace('_', "-");
    if !TAG.is_match(&first) {
        return None;
    }
    let mut parts = first.split('-');
    let mut out = parts.next()?.to_lowercase();
    for part in parts {
        out.push('-');
        if part.len() == 2 {
            out.push_str(&part.to_uppercase());
        } else {
            out.push_str(part);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// JSON-LD
// ---------------------------------------------------------------------------------------------

const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "AskPublicNewsArticle",
    "LiveBlogPosting",
    "SatiricalArticle",
    "ScholarlyArticle",
    "TechArticle",
    "Report",
];
const WEBPAGE_TYPES: &[&str] = &["WebPage", "ItemPage"];
const ORGANIZATION_TYPES: &[&str] = &["Organization", "NewsMediaOrganization", "Corporation", "WebSite"];

/// The JSON-LD nodes of a page, flattened.
#[derive(Default)]
struct LinkedData {
    nodes: Vec<Map<String, Value>>,
}

impl LinkedData {
    fn read(document: &Html) -> LinkedData {
        let mut linked_data = LinkedData::default();
        for script in document.select(&JSON_LD) {
            let raw: String = script.text().collect();
            if let Some(value) = parse_lenient_json(&raw) {
                collect_nodes(value, &mut linked_data.nodes, 0);
            }
        }
        linked_data
    }

    /// The index of the article node: of an article type, the one about this page, else the first
    /// with a headline, else the first.
    fn article(&self, page_urls: &[String]) -> Option<usize> {
        let articles: Vec<(usize, &Map<String, Value>)> = self.nodes.iter().enumerate().filter(|(_, node)| has_type(node, ARTICLE_TYPES)).collect();
        let about_page = |node: &Map<String, Value>| {
            ["url", "@id", "mainEntityOfPage"].iter().filter_map(|key| node.get(*key)).any(|value| {
                let text = match value {
                    Value::Object(object) => object.get("@id").and_then(Value::as_str),
                    other => other.as_str(),
                };
                text.is_some_and(|text| page_urls.contains(&comparable_url(text)))
            })
        };
        articles
            .iter()
            .find(|(_, node)| about_page(node) && node.contains_key("headline"))
            .or_else(|| articles.iter().find(|(_, node)| node.contains_key("headline")))
            .or_else(|| articles.first())
            .map(|(index, _)| *index)
    }

    fn webpage(&self) -> Option<&Map<String, Value>> {
        self.nodes.iter().find(|node| has_type(node, WEBPAGE_TYPES))
    }

    /// An object, or the node it references by `@id` when it is only a reference.
    fn resolve<'a>(&'a self, object: &'a Map<String, Value>) -> Option<&'a Map<String, Value>> {
        let is_reference = object.keys().all(|key| key == "@id" || key == "@type");
        match object.get("@id").and_then(Value::as_str) {
            Some(id) if is_reference => {
                self.nodes.iter().find(|node| node.get("@id").and_then(Value::as_str) == Some(id) && node.len() > object.len())
            }
            _ if is_reference => None,
            _ => Some(object),
        }
    }

    /// Names of the publisher and of the web site: the names a title suffix or a CMS author repeats.
    fn site_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for node in &self.nodes {
            if has_type(node, &["WebSite"]) {
                names.extend(node.get("name").and_then(first_json_text));
                names.extend(node.get("alternateName").map(json_texts).unwrap_or_default());
            }
            if let Some(Value::Object(publisher)) = node.get("publisher")
                && let Some(publisher) = self.resolve(publisher)
            {
                names.extend(publisher.get("name").and_then(first_json_text));
                names.extend(publisher.get("alternateName").map(json_texts).unwrap_or_default());
            }
        }
        names
    }

    /// An image URL from a string, an `ImageObject` (or a reference to one), or an array of either.
    fn image_url(&self, value: &Value) -> Option<String> {
        self.image_url_within(value, 0)
    }

    /// [`Self::image_url`] with a depth limit, as references may form a cycle.
    fn image_url_within(&self, value: &Value, depth: usize) -> Option<String> {
        if depth > 4 {
            return None;
        }
        match value {
            Value::String(url) => Some(url.trim().to_owned()).filter(|url| !url.is_empty()),
            Value::Array(items) => items.iter().find_map(|item| self.image_url_within(item, depth + 1)),
            Value::Object(object) => {
                let node = self.resolve(object)?;
                ["url", "contentUrl"].iter().filter_map(|key| node.get(*key)).find_map(|value| self.image_url_within(value, depth + 1))
            }
            _ => None,
        }
    }
}

/// Parse a JSON-LD script, repairing what pages commonly get wrong (comment or CDATA wrappers,
/// trailing commas, raw newlines inside strings); `None` when it is not JSON even then.
fn parse_lenient_json(raw: &str) -> Option<Value> {
    let mut text = raw.trim();
    for prefix in ["<!--", "//<![CDATA[", "/*<![CDATA[*/", "<![CDATA["] {
        text = text.strip_prefix(prefix).unwrap_or(text).trim();
    }
    for suffix in ["-->", "//]]>", "/*]]>*/", "]]>"] {
        text = text.strip_suffix(suffix).unwrap_or(text).trim();
    }
    if text.is_empty() {
        return None;
    }
    serde_json::from_str(text).ok().or_else(|| serde_json::from_str(&repair_json(text)).ok())
}

/// Drop commas before `}` or `]` and turn control characters inside strings into spaces.
fn repair_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let characters: Vec<char> = text.chars().collect();
    for (index, &character) in characters.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == '"' {
                in_string = false;
            }
            out.push(if character.is_control() { ' ' } else { character });
            continue;
        }
        match character {
            '"' => {
                in_string = true;
                out.push(character);
            }
            ',' if characters[index + 1..].iter().find(|next| !next.is_whitespace()).is_some_and(|next| matches!(next, '}' | ']')) => {}
            _ => out.push(character),
        }
    }
    out
}

/// Flatten arrays, `@graph` and `mainEntity` into a list of typed nodes.
fn collect_nodes(value: Value, nodes: &mut Vec<Map<String, Value>>, depth: usize) {
    if depth > 8 {
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                collect_nodes(item, nodes, depth + 1);
            }
        }
        Value::Object(mut object) => {
            if let Some(graph) = object.remove("@graph") {
                collect_nodes(graph, nodes, depth + 1);
            }
            if let Some(main_entity) = object.get("mainEntity").filter(|entity| entity.is_object() || entity.is_array()).cloned() {
                collect_nodes(main_entity, nodes, depth + 1);
            }
            if object.contains_key("@type") {
                nodes.push(object);
            }
        }
        _ => {}
    }
}

fn has_type(node: &Map<String, Value>, types: &[&str]) -> bool {
    let matches = |value: &Value| {
        value.as_str().is_some_and(|name| {
            let name = name.rsplit(['/', ':']).next().unwrap_or(name);
            types.iter().any(|wanted| wanted.eq_ignore_ascii_case(name))
        })
    };
    match node.get("@type") {
        Some(Value::Array(items)) => items.iter().any(matches),
        Some(value) => matches(value),
        None => false,
    }
}

/// Every text in a JSON-LD value (strings, numbers, `@value`, `name`), markup stripped, entities decoded.
fn json_texts(value: &Value) -> Vec<String> {
    let raw: Vec<String> = match value {
        Value::String(text) => vec![text.clone()],
        Value::Number(number) => vec![number.to_string()],
        Value::Array(items) => return items.iter().flat_map(json_texts).collect(),
        Value::Object(object) => object.get("@value").or_else(|| object.get("name")).map(json_texts).unwrap_or_default(),
        _ => Vec::new(),
    };
    raw.iter().map(|text| strip_tags(text)).filter(|text| !text.is_empty()).collect()
}

fn first_json_text(value: &Value) -> Option<String> {
    json_texts(value).into_iter().next()
}

// ---------------------------------------------------------------------------------------------
// Titles
// ---------------------------------------------------------------------------------------------

/// What a title's affix is compared against, all normalized with [`comparable`].
struct TitleHints {
    site_names: Vec<String>,
    /// Every title candidate of the page: a prefix equal to one of them is the real title.
    titles: Vec<String>,
}

const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " ｜ ", "｜", " / ", "|"];

/// Remove a site-name suffix (or prefix) from a title; see the module doc.
fn strip_title_affixes(title: &str, hints: &TitleHints) -> String {
    let title = collapse_whitespace(title);
    let separators = separator_positions(&title);
    if separators.is_empty() {
        return title;
    }
    let whole = comparable(&title);
    let agrees = |text: &str| {
        let key = comparable(text);
        !key.is_empty() && key != whole && hints.titles.contains(&key)
    };
    // Another candidate (the h1, og:title) agrees with the part before a separator.
    if let Some(&(start, _)) = separators.iter().find(|&&(start, _)| agrees(&title[..start])) {
        return title[..start].trim().to_owned();
    }
    let is_site = |text: &str| {
        let key = comparable(text);
        !key.is_empty() && hints.site_names.iter().any(|name| *name == key || format!("the{key}") == *name || format!("the{name}") == key)
    };
    let mut current = title.clone();
    loop {
        let positions = separator_positions(&current);
        let Some(&(start, end)) = positions.last() else { break };
        if start > 0 && is_site(&current[end..]) {
            current = current[..start].trim().to_owned();
            continue;
        }
        if let Some(&(start, end)) = positions.first()
            && end < current.len()
            && is_site(&current[..start])
        {
            current = current[end..].trim().to_owned();
            continue;
        }
        break;
    }
    if current.is_empty() { title } else { current }
}

/// Byte ranges of separators in a title, in order, without overlaps (the longest wins).
fn separator_positions(title: &str) -> Vec<(usize, usize)> {
    let mut positions: Vec<(usize, usize)> = Vec::new();
    for separator in TITLE_SEPARATORS {
        for (start, matched) in title.match_indices(separator) {
            positions.push((start, start + matched.len()));
        }
    }
    positions.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for position in positions {
        if kept.last().is_none_or(|last| position.0 >= last.1) {
            kept.push(position);
        }
    }
    kept
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// How much a date text says: 2 = time and zone, 1 = time, 0 = date only.
fn date_specificity(text: &str, parsed: DateTime<FixedOffset>, context: &ExtractContext) -> u8 {
    static HAS_TIME: LazyLock<Regex> =
        LazyLock::new(|| built_in_regex(r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*時|T\d{2}|^\s*1\d{9}\s*$"));
    if !HAS_TIME.is_match(text) {
        return 0;
    }
    // A text that names its zone gives the same instant whatever zone it is read in.
    let other_zone = if context.timezone == chrono_tz::Tz::Etc__GMTMinus14 { chrono_tz::Tz::UTC } else { chrono_tz::Tz::Etc__GMTMinus14 };
    let other = parse_date(text, &DateContext { formats: &[], timezone: other_zone, now: context.now });
    match other {
        Ok(other) if other.timestamp() == parsed.timestamp() => 2,
        _ => 1,
    }
}

/// The most specific date among the texts that parse; the earlier text among equals.
fn most_specific_date(texts: &[String], context: &ExtractContext) -> Option<DateTime<FixedOffset>> {
    let date_context = DateContext { formats: &[], timezone: context.timezone, now: context.now };
    let mut best: Option<(u8, DateTime<FixedOffset>)> = None;
    for text in texts {
        let Ok(parsed) = parse_date(text, &date_context) else { continue };
        let specificity = date_specificity(text, parsed, context);
        if best.is_none_or(|(best_specificity, _)| specificity > best_specificity) {
            best = Some((specificity, parsed));
        }
    }
    best.map(|(_, date)| date)
}

/// A dateline in the first 2 KB of the article text: the first date-looking run that parses.
fn find_dateline(text: &str, context: &ExtractContext) -> Option<DateTime<FixedOffset>> {
    const MONTH: &str = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december)\.?";
    const ZONE: &str = r"(?:\s*\(?[A-Z]{1,4}T?\)?)?";
    static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?".to_owned(),
            r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日(?:\s*[（(][^）)]{1,3}[）)])?(?:\s*\d{1,2}\s*時(?:\s*\d{1,2}\s*分)?)?".to_owned(),
            format!(r"(?:\d{{1,2}}:\d{{2}}\s*(?i:[ap]\.?m\.?)?{ZONE},?\s*)?{MONTH}\s+\d{{1,2}},?\s+\d{{4}}(?:,?\s*(?:at\s+)?\d{{1,2}}:\d{{2}}\s*(?i:[ap]\.?m\.?)?{ZONE})?"),
            format!(r"\d{{1,2}}\s+{MONTH}\s+\d{{4}}(?:,?\s*\d{{1,2}}:\d{{2}}{ZONE})?"),
            r"\d{1,2}\.\s?\d{1,2}\.\s?\d{4}(?:,?\s*\d{1,2}:\d{2})?".to_owned(),
            r"\d{1,2}/\d{1,2}/\d{4}".to_owned(),
        ]
        .iter()
        .map(|pattern| built_in_regex(pattern))
        .collect()
    });
    let mut end = text.len().min(2048);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let date_context = DateContext { formats: &[], timezone: context.timezone, now: context.now };
    let mut found: Option<(usize, DateTime<FixedOffset>)> = None;
    for pattern in PATTERNS.iter() {
        for matched in pattern.find_iter(head) {
            if found.is_some_and(|(position, _)| position <= matched.start()) {
                break;
            }
            let candidate = matched.as_str().trim().trim_end_matches(',');
            // Try the whole run, then without a trailing word the zone pattern may have taken.
            let parsed = parse_date(candidate, &date_context)
                .ok()
                .or_else(|| candidate.rsplit_once(' ').and_then(|(shorter, _)| parse_date(shorter, &date_context).ok()));
            if let Some(parsed) = parsed {
                found = Some((matched.start(), parsed));
                break;
            }
        }
    }
    found.map(|(_, date)| date)
}

// ---------------------------------------------------------------------------------------------
// Authors
// ---------------------------------------------------------------------------------------------

/// Exact (lowercased) names that are accounts or desks, not people.
const ACCOUNT_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "editor",
    "editors",
    "the editors",
    "editorial",
    "editorial staff",
    "editorial team",
    "editorial board",
    "webdesk",
    "web desk",
    "web editor",
    "web team",
    "digital desk",
    "digital team",
    "newsdesk",
    "news desk",
    "newsroom",
    "staff",
    "staff writer",
    "staff writers",
    "staff reporter",
    "reporter",
    "correspondent",
    "guest",
    "guest author",
    "user",
    "root",
    "author",
    "anonymous",
    "unknown",
    "none",
    "null",
    "wordpress",
    "redaktion",
    "die redaktion",
    "rédaction",
    "la rédaction",
    "redacción",
    "la redacción",
    "equipo editorial",
    "編集部",
    "ウェブ編集",
    "web編集",
    "デジタル編集部",
];

/// Words that make a byline segment after the first a role or an agency credit, not a name.
const ROLE_WORDS: &[&str] = &[
    "staff", "writer", "writers", "correspondent", "correspondents", "reporter", "reporters", "editor", "editors", "contributor",
    "contributing", "columnist", "journalist", "bureau", "special", "reuters", "ap", "afp", "bloomberg", "press", "news", "agency",
    "photographer", "shimbun", "jiji", "kyodo", "dpa", "epd", "korrespondent", "korrespondentin", "redakteur", "redakteurin", "redaktion",
    "correspondant", "correspondante", "envoyé", "envoyée", "rédaction", "journaliste", "corresponsal", "redactor", "redactora", "enviado",
    "enviada", "efe", "europa",
];

/// Words that never name a person on their own ("and more", "Staff", "Writer").
const ROLE_ONLY_WORDS: &[&str] = &[
    "more", "others", "weitere", "autres", "más", "staff", "writer", "writers", "editor", "editors", "reporter", "reporters", "correspondent",
    "correspondents", "contributor", "contributors", "columnist",
];

/// Labels that open a byline.
const BYLINE_PREFIXES: &[&str] = &[
    "updated by", "written by", "reported by", "reporting by", "story by", "text by", "words by", "posted by", "published by", "by:", "by",
    "von", "text:", "texte :", "texte:", "par", "por", "door", "author:", "autor:", "autorin:", "auteur :", "auteur:", "文：", "文・",
];

/// Words after which a byline holds no more names (a date or an update note follows).
const BYLINE_STOPS: &[&str] = &[
    " Updated", " updated", " Published", " published", " Posted", " posted", " on ", " Aktualisiert", " aktualisiert", " am ",
    " Mis à jour", " mis à jour", " Publié", " publié", " le ", " Actualizado", " actualizado", " Publicado", " publicado", " el ",
];

/// Split a byline into one name per person; see the module doc.
fn split_byline(text: &str) -> Vec<String> {
    static BRACKETED: LazyLock<Regex> = LazyLock::new(|| built_in_regex(r"【[^】＝=]*[＝=]([^】]+)】"));
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| built_in_regex(r"\S+@\S+\.\S+"));
    static CONNECTORS: LazyLock<Regex> =
        LazyLock::new(|| built_in_regex(r"(?:\s+(?i:and|und|&)\s+|\s+(?:et|y|e)\s+)"));

    let mut text = collapse_whitespace(text);
    if let Some(captures) = BRACKETED.captures(&text) {
        text = captures[1].to_owned();
    }
    text = EMAIL.replace_all(&text, " ").into_owned();
    let mut text = text.trim().to_owned();
    // Outer parentheses: "（山田太郎、佐藤花子）".
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(inner) = text.strip_prefix(open).and_then(|rest| rest.strip_suffix(close)) {
            text = inner.trim().to_owned();
        }
    }
    // A role or a date follows these.
    for separator in [" / ", "／", " | ", "|", " — ", " – ", " - ", " · ", " • "] {
        if let Some((before, _)) = text.split_once(separator) {
            text = before.trim().to_owned();
        }
    }
    if let Some(position) = text.find(|character: char| character.is_numeric()) {
        text.truncate(position);
    }
    for stop in BYLINE_STOPS {
        if let Some(position) = text.find(stop) {
            text.truncate(position);
        }
    }
    let text = strip_byline_prefix(text.trim());

    let mut names = Vec::new();
    for (segment_index, segment) in text.split([',', '、', '，', ';', '；']).enumerate() {
        let segment = segment.trim();
        if segment.is_empty() || (segment_index > 0 && is_role(segment)) {
            continue;
        }
        for part in CONNECTORS.split(segment) {
            let name = strip_byline_prefix(part.trim());
            let name = strip_japanese_role(name.trim_matches(|character: char| character.is_whitespace() || ".:;·•*".contains(character)));
            if is_plausible_name(name) && !is_role_only(name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

fn strip_byline_prefix(text: &str) -> &str {
    let mut text = text.trim();
    loop {
        let Some(prefix) = BYLINE_PREFIXES.iter().find(|prefix| {
            text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
                && text[prefix.len()..].chars().next().is_none_or(|next| next.is_whitespace() || next == ':' || prefix.ends_with([':', '：', '・']))
        }) else {
            return text;
        };
        text = text[prefix.len()..].trim_start_matches([':', ' ']).trim();
    }
}

fn strip_japanese_role(name: &str) -> &str {
    let mut name = name;
    for suffix in ["記者", "特派員", "編集委員", "論説委員", "解説委員", "支局長", "撮影"] {
        if let Some(stripped) = name.strip_suffix(suffix)
            && !stripped.trim().is_empty()
        {
            name = stripped.trim();
        }
    }
    name
}

fn words_lowercase(text: &str) -> Vec<String> {
    text.split(|character: char| !character.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
}

/// A segment that names a role or an agency ("Staff Writer", "Reuters", "Special to The Japan News").
fn is_role(segment: &str) -> bool {
    words_lowercase(segment).iter().any(|word| ROLE_WORDS.contains(&word.as_str())) || is_account_name(segment)
}

fn is_role_only(name: &str) -> bool {
    let words = words_lowercase(name);
    !words.is_empty() && words.iter().all(|word| ROLE_ONLY_WORDS.contains(&word.as_str()))
}

fn is_plausible_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 80 && name.split_whitespace().count() <= 7 && name.chars().any(char::is_alphabetic)
}

/// A CMS account, a desk or a placeholder rather than a person's name.
fn is_account_name(name: &str) -> bool {
    let trimmed = name.trim();
    let lowered = trimmed.to_lowercase();
    if ACCOUNT_NAMES.contains(&lowered.as_str()) || looks_like_url(trimmed) || trimmed.contains('@') {
        return true;
    }
    if ["webdesk", "web desk", "web-desk", "admin", "ウェブ編集", "web編集"].iter().any(|word| lowered.contains(word))
        || ["編集部", "編集局", "編集"].iter().any(|suffix| trimmed.ends_with(suffix))
        || words_lowercase(trimmed).iter().any(|word| word == "staff")
    {
        return true;
    }
    // A user name: one token with an underscore or digits, or all lowercase ASCII letters.
    let single_token = !trimmed.contains(char::is_whitespace);
    single_token
        && (trimmed.contains('_') || trimmed.chars().any(|character| character.is_ascii_digit()) || (trimmed.chars().all(|character| character.is_ascii_lowercase())))
}

/// Han, kana and Hangul characters.
fn is_cjk(character: char) -> bool {
    matches!(character, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}')
}

/// An author page URL whose slug is an account ("/author/jn_webdesk02/", "/author/admin/").
fn is_account_url(url: &str) -> bool {
    let lowered = url.to_lowercase();
    let slug = lowered.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    lowered.contains("/author/") && ["webdesk", "admin", "editor", "staff", "desk"].iter().any(|word| slug.contains(word))
}

// ---------------------------------------------------------------------------------------------
// The body
// ---------------------------------------------------------------------------------------------

/// Less text than this is not an article body (a teaser card, a cookie notice).
const MIN_BODY_CHARS: usize = 80;

fn text_chars(element: ElementRef<'_>) -> usize {
    collapse_whitespace(&text_of(element, &HashSet::new())).chars().count()
}

fn paragraph_chars(element: ElementRef<'_>) -> usize {
    element.select(&PARAGRAPH).map(text_chars).sum()
}

/// Of several candidates, the one with the most paragraph text (then text), if it has enough text.
fn best_candidate<'a>(candidates: impl Iterator<Item = ElementRef<'a>>) -> Option<ElementRef<'a>> {
    let mut best: Option<((usize, usize), ElementRef<'a>)> = None;
    for candidate in candidates {
        let chars = text_chars(candidate);
        if chars < MIN_BODY_CHARS {
            continue;
        }
        let score = (paragraph_chars(candidate), chars);
        if best.is_none_or(|(best_score, _)| score > best_score) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, element)| element)
}

/// The element holding the article body; see the module doc for the order.
fn find_content(document: &Html) -> Option<ElementRef<'_>> {
    if let Some(body) = best_candidate(document.select(&ITEMPROP_BODY)) {
        return Some(body);
    }
    if let Some(article) = best_candidate(document.select(&ARTICLE)) {
        return Some(best_candidate(article.select(&ITEMPROP_BODY)).or_else(|| best_candidate(article.select(&BODY_LIKE))).unwrap_or(article));
    }
    best_candidate(document.select(&BODY_LIKE)).or_else(|| best_candidate(document.select(&MAIN))).or_else(|| densest_paragraph_parent(document))
}

/// The element whose direct `<p>` children hold the most text.
fn densest_paragraph_parent(document: &Html) -> Option<ElementRef<'_>> {
    let mut scores: HashMap<NodeId, usize> = HashMap::new();
    let mut order: Vec<NodeId> = Vec::new();
    for paragraph in document.select(&PARAGRAPH) {
        let Some(parent) = paragraph.parent() else { continue };
        let score = scores.entry(parent.id()).or_insert_with(|| {
            order.push(parent.id());
            0
        });
        *score += text_chars(paragraph);
    }
    let mut best: Option<(usize, NodeId)> = None;
    for id in order {
        let score = scores.get(&id).copied().unwrap_or(0);
        if score >= MIN_BODY_CHARS && best.is_none_or(|(best_score, _)| score > best_score) {
            best = Some((score, id));
        }
    }
    best.and_then(|(_, id)| document.tree.get(id)).and_then(ElementRef::wrap)
}

// ---------------------------------------------------------------------------------------------
// Sanitizing
// ---------------------------------------------------------------------------------------------

/// Elements dropped with everything inside them, before and during sanitizing.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "button", "select",
    "textarea", "input", "svg", "math", "canvas", "audio", "video", "nav", "aside", "footer", "dialog",
];

const ALLOWED_TAGS: &[&str] = &[
    "p", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure", "figcaption", "img", "a", "strong", "em", "b", "i", "u", "s",
    "sub", "sup", "code", "pre", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "span", "div", "hr", "dl",
    "dt", "dd", "cite", "q", "small", "mark",
];

/// What the body of an extracted article drops besides [`DROPPED_WITH_CONTENT`]: the headline, the
/// header and the byline, which [`Article`] carries in its own fields.
const ARTICLE_CHROME: &[&str] = &["h1", "header", ".byline"];

/// Inline elements dropped when they hold nothing but whitespace (icon fonts: `<i class="fa-pen">`).
const EMPTY_DROPPABLE: &[&str] = &["i", "span", "b", "em", "strong", "u", "s", "small", "mark"];

/// The source an image shows: `src`, unless it is missing or a placeholder and a lazy-loading
/// attribute holds the real one.
fn image_source(element: &scraper::node::Element) -> Option<String> {
    let attribute = |name: &str| element.attr(name).map(str::trim).filter(|value| !value.is_empty());
    let lazy = ["data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src"]
        .iter()
        .filter_map(|name| attribute(name))
        .find(|value| !value.starts_with("data:"))
        .map(str::to_owned)
        .or_else(|| ["data-srcset", "data-lazy-srcset", "srcset"].iter().filter_map(|name| attribute(name)).find_map(first_srcset_url));
    match attribute("src") {
        Some(src) if !is_placeholder_source(src) => Some(src.to_owned()),
        _ => lazy,
    }
}

fn first_srcset_url(srcset: &str) -> Option<String> {
    srcset
        .split(", ")
        .filter_map(|candidate| candidate.split_whitespace().next())
        .find(|url| !url.is_empty() && !url.starts_with("data:"))
        .map(|url| url.trim_end_matches(',').to_owned())
}

fn is_placeholder_source(src: &str) -> bool {
    let lowered = src.to_lowercase();
    lowered.starts_with("data:")
        || ["placeholder", "blank.gif", "spacer.gif", "pixel.gif", "transparent.gif", "transparent.png", "lazy.gif", "lazyload", "loading.gif", "grey.gif", "gray.gif", "1x1."]
            .iter()
            .any(|word| lowered.contains(word))
}

/// Serialize an element's children for the sanitizer: comments, [`DROPPED_WITH_CONTENT`] and the
/// `also_drop` elements (tag names, or `.word` for a class containing the word) gone, empty icon
/// elements gone, images given their real source (or dropped without one).
/// Walks iteratively, so deep nesting cannot overflow the stack.
fn prepare_html(root: ElementRef<'_>, also_drop: &[&str]) -> String {
    write_children(root, |out, node| {
        match node.value() {
            Node::Text(text) => escape_into(out, text, false),
            Node::Element(element) => {
                let name = element.name();
                let empty_inline = EMPTY_DROPPABLE.contains(&name)
                    && node.children().all(|child| child.value().as_text().is_some_and(|text| text.trim().is_empty()));
                let dropped_here = also_drop.iter().any(|drop| match drop.strip_prefix('.') {
                    Some(word) => element.attr("class").is_some_and(|class| class.to_ascii_lowercase().contains(word)),
                    None => *drop == name,
                });
                if DROPPED_WITH_CONTENT.contains(&name) || empty_inline || dropped_here {
                    return false;
                }
                if name == "img" {
                    // An image without a usable source is left out; `img` has no end tag to match.
                    if let Some(source) = image_source(element) {
                        let kept = ["alt", "width", "height", "title"].into_iter().filter_map(|attribute| element.attr(attribute).map(|value| (attribute, value)));
                        push_start_tag(out, "img", std::iter::once(("src", source.as_str())).chain(kept));
                    }
                    return true;
                }
                push_start_tag(out, name, element.attrs());
            }
            _ => {}
        }
        true
    })
}


/// The allow-list pass (ammonia); runs last.
fn clean_html(html: &str, base_url: &Url) -> String {
    let tag_attributes: HashMap<&str, HashSet<&str>> = [
        ("a", HashSet::from(["href", "title"])),
        ("img", HashSet::from(["src", "alt", "width", "height", "title"])),
        ("td", HashSet::from(["colspan", "rowspan"])),
        ("th", HashSet::from(["colspan", "rowspan", "scope"])),
        ("ol", HashSet::from(["start"])),
    ]
    .into_iter()
    .collect();
    let cleaned = ammonia::Builder::default()
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base_url.clone()))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .clean(html)
        .to_string();
    cleaned.trim().to_owned()
}

/// Whether sanitized HTML shows anything: text or an image.
fn has_content(html: &str) -> bool {
    html.contains("<img") || !strip_tags(html).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse() {
        assert!(!all_selectors().is_empty());
    }

    fn check_byline(byline: &str, expected: &[&str]) {
        assert_eq!(split_byline(byline), expected, "byline {byline:?}");
    }

    #[test]
    fn byline_cases() {
        check_byline("By Hanako Sato and Ichiro Tanaka / Yomiuri Shimbun Staff Writers", &["Hanako Sato", "Ichiro Tanaka"]);
        check_byline("By Alice Mercer, Tomás Ruiz and Grace Obi", &["Alice Mercer", "Tomás Ruiz", "Grace Obi"]);
        check_byline("BY ALICE MERCER AND GRACE OBI", &["ALICE MERCER", "GRACE OBI"]);
        check_byline("By Alice Mercer & Grace Obi", &["Alice Mercer", "Grace Obi"]);
        check_byline("By Alice Mercer, Staff Writer", &["Alice Mercer"]);
        check_byline("Alice Mercer and Grace Obi, Special Correspondents", &["Alice Mercer", "Grace Obi"]);
        check_byline("By Alice Mercer, Reuters", &["Alice Mercer"]);
        check_byline("Alice Mercer / Correspondent", &["Alice Mercer"]);
        check_byline("Von Anna Schmidt und Peter Müller", &["Anna Schmidt", "Peter Müller"]);
        check_byline("Von Anna Schmidt, Korrespondentin", &["Anna Schmidt"]);
        check_byline("Par Jean Dupont et Marie Curie", &["Jean Dupont", "Marie Curie"]);
        check_byline("Por Ana García y Luis Pérez", &["Ana García", "Luis Pérez"]);
        check_byline("Por María de la Fuente", &["María de la Fuente"]);
        check_byline("（山田太郎、佐藤花子）", &["山田太郎", "佐藤花子"]);
        check_byline("(山田太郎)", &["山田太郎"]);
        check_byline("山田太郎記者", &["山田太郎"]);
        check_byline("【ワシントン＝山田太郎】", &["山田太郎"]);
        check_byline("Updated by Grace Obi", &["Grace Obi"]);
        check_byline("Written by: Grace Obi", &["Grace Obi"]);
        check_byline("By Grace Obi grace.obi@example.com", &["Grace Obi"]);
        check_byline("By Alice Mercer, Grace Obi and more", &["Alice Mercer", "Grace Obi"]);
        check_byline("By Alice Mercer | March 3, 2026", &["Alice Mercer"]);
        check_byline("By Alice Mercer Updated 5 hours ago", &["Alice Mercer"]);
        check_byline("By Alice Mercer on March 3, 2026", &["Alice Mercer"]);
        check_byline("Par Jean Dupont le 3 mars 2026", &["Jean Dupont"]);
        check_byline("Reuters", &["Reuters"]);
        check_byline("Staff Writer", &[] as &[&str]);
        check_byline("", &[] as &[&str]);
        check_byline("By", &[] as &[&str]);
        check_byline("Bywater Jones", &["Bywater Jones"]);
        check_byline("Jean-Luc Picard", &["Jean-Luc Picard"]);
        check_byline("Text: Anna Schmidt", &["Anna Schmidt"]);
    }

    #[test]
    fn account_names() {
        for account in ["ウェブ編集", "admin", "Editor", "webdesk", "jn_webdesk02", "https://example.com/author/x", "desk@example.com", "Staff", "Staff Writer", "Reuters Staff", "編集部", "user123", "jdoe"] {
            assert!(is_account_name(account), "{account:?} should be an account");
        }
        for person in ["Hanako Sato", "山田太郎", "Reuters", "Jean-Luc Picard", "María de la Fuente"] {
            assert!(!is_account_name(person), "{person:?} is a person");
        }
    }

    fn check_title(title: &str, site_names: &[&str], titles: &[&str], expected: &str) {
        let hints = TitleHints {
            site_names: site_names.iter().map(|name| comparable(name)).collect(),
            titles: titles.iter().map(|title| comparable(title)).chain([comparable(title)]).collect(),
        };
        assert_eq!(strip_title_affixes(title, &hints), expected, "title {title:?}");
    }

    #[test]
    fn title_affix_cases() {
        check_title("Panel Urges Change - The Japan News", &["The Japan News"], &[], "Panel Urges Change");
        check_title("Panel Urges Change - The Japan News", &[], &["Panel Urges Change"], "Panel Urges Change");
        check_title("Panel Urges Change - The Japan News", &["thejapannews"], &[], "Panel Urges Change");
        check_title("Panel Urges Change | Daily Example", &["Daily Example"], &[], "Panel Urges Change");
        check_title("Panel Urges Change – Daily Example", &["Daily Example"], &[], "Panel Urges Change");
        check_title("Panel Urges Change :: Daily Example", &["Daily Example"], &[], "Panel Urges Change");
        check_title("委員会が提言｜毎朝新報", &["毎朝新報"], &[], "委員会が提言");
        check_title("Daily Example | Panel Urges Change", &["Daily Example"], &[], "Panel Urges Change");
        check_title("Panel Urges Change - Politics - Daily Example", &["Daily Example"], &["Panel Urges Change"], "Panel Urges Change");
        check_title("Panel Urges Change - Politics - Daily Example", &["Daily Example"], &[], "Panel Urges Change - Politics");
        // A separator that belongs to the title stays.
        check_title("Jobs / Wages Rise - Daily Example", &["Daily Example"], &["Jobs / Wages Rise"], "Jobs / Wages Rise");
        check_title("Budget: Yes - or No?", &["Daily Example"], &["Budget: Yes - or No?"], "Budget: Yes - or No?");
        check_title("Budget: Yes - or No?", &[], &[], "Budget: Yes - or No?");
        check_title("Daily Example", &["Daily Example"], &[], "Daily Example");
    }

    fn tokyo() -> ExtractContext {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        ExtractContext { now, timezone: chrono_tz::Tz::Asia__Tokyo }
    }

    fn check_dateline(text: &str, expected: Option<&str>) {
        let found = find_dateline(text, &tokyo()).map(|date| date.to_rfc3339());
        assert_eq!(found.as_deref(), expected, "text {text:?}");
    }

    #[test]
    fn dateline_cases() {
        check_dateline("9:05 JST,\u{2002}November 28, 2026 A government panel said", Some("2026-11-28T09:05:00+09:00"));
        check_dateline("WASHINGTON, Jan. 5, 2026 (AP) — The Senate", Some("2026-01-05T00:00:00+09:00"));
        check_dateline("LONDON, 12 March 2026 — Shares fell", Some("2026-03-12T00:00:00+09:00"));
        check_dateline("Berlin, 20.11.2026 – Die Koalition", Some("2026-11-20T00:00:00+09:00"));
        check_dateline("2026年3月5日（木）14時20分 港町の春祭りが", Some("2026-03-05T14:20:00+09:00"));
        check_dateline("Posted 2026-03-05T10:00:00+01:00 by the desk", Some("2026-03-05T10:00:00+01:00"));
        check_dateline("First on March 3, 2026, then on 2026-04-01", Some("2026-03-03T00:00:00+09:00"));
        check_dateline("Updated 3 hours ago", None);
        check_dateline("Room 12, 4 floors, 2026 visitors", None);
        check_dateline("", None);
    }

    fn check_most_specific(texts: &[&str], expected: Option<&str>) {
        let texts: Vec<String> = texts.iter().map(|text| text.to_string()).collect();
        let found = most_specific_date(&texts, &tokyo()).map(|date| date.to_rfc3339());
        assert_eq!(found.as_deref(), expected, "texts {texts:?}");
    }

    #[test]
    fn most_specific_date_cases() {
        check_most_specific(&["2026-02-10", "2026-02-10T07:45", "2026-02-10T07:45:00+01:00"], Some("2026-02-10T07:45:00+01:00"));
        check_most_specific(&["2026-02-10", "2026-02-10T07:45"], Some("2026-02-10T07:45:00+09:00"));
        // Equally specific: the earlier source wins.
        check_most_specific(&["2026-11-28T09:05:00+09:00", "2026-11-28T09:05:37+09:00"], Some("2026-11-28T09:05:00+09:00"));
        check_most_specific(&["9:05 JST, November 28, 2026", "2026-11-28"], Some("2026-11-28T09:05:00+09:00"));
        check_most_specific(&["not a date", "2026-11-28"], Some("2026-11-28T00:00:00+09:00"));
        check_most_specific(&["0001-01-01T00:00:00Z"], None);
        check_most_specific(&[], None);
    }

    #[test]
    fn language_cases() {
        assert_eq!(normalize_language("en_US").as_deref(), Some("en-US"));
        assert_eq!(normalize_language("EN").as_deref(), Some("en"));
        assert_eq!(normalize_language("de-de").as_deref(), Some("de-DE"));
        assert_eq!(normalize_language("zh-Hant-TW").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalize_language("ja, en").as_deref(), Some("ja"));
        assert_eq!(normalize_language("not a language"), None);
        assert_eq!(normalize_language(""), None);
    }

    #[test]
    fn lenient_json_cases() {
        assert!(parse_lenient_json(r#"{"a": [1, 2,], "b": "x",}"#).is_some());
        assert!(parse_lenient_json("<!-- {\"a\": 1} -->").is_some());
        assert!(parse_lenient_json("{\"a\": \"line\nbreak\"}").is_some());
        assert_eq!(parse_lenient_json(r#"{"a": "keeps, } inside"}"#).and_then(|value| value["a"].as_str().map(str::to_owned)).as_deref(), Some("keeps, } inside"));
        assert!(parse_lenient_json("{not json").is_none());
        assert!(parse_lenient_json("").is_none());
    }

    #[test]
    fn srcset_cases() {
        assert_eq!(first_srcset_url("a.jpg 320w, b.jpg 640w").as_deref(), Some("a.jpg"));
        assert_eq!(first_srcset_url("/img/a.jpg 1x,/img/b.jpg 2x").as_deref(), Some("/img/a.jpg"));
        assert_eq!(first_srcset_url("data:image/gif;base64,R0lGOD 1x, real.jpg 2x").as_deref(), Some("real.jpg"));
        assert_eq!(first_srcset_url(""), None);
    }

    fn check_sanitize(input: &str, expected: &str) {
        let base = Url::parse("https://news.example/section/story.html").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(sanitize_html(input, &base), expected, "input {input:?}");
    }

    #[test]
    fn sanitize_cases() {
        check_sanitize("<p onclick=\"x()\">Hi <script>alert(1)</script><b>there</b></p>", "<p>Hi <b>there</b></p>");
        check_sanitize("<a href=\"/a\" target=\"_blank\">x</a>", "<a href=\"https://news.example/a\" rel=\"noopener noreferrer\">x</a>");
        check_sanitize("<a href=\"javascript:alert(1)\">x</a>", "<a rel=\"noopener noreferrer\">x</a>");
        check_sanitize("<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\" data-src=\"img/a.jpg\" alt=\"A\">", "<img src=\"https://news.example/section/img/a.jpg\" alt=\"A\">");
        check_sanitize("<img data-lazy-src=\"/b.jpg\">", "<img src=\"https://news.example/b.jpg\">");
        check_sanitize("<img src=\"/spacer.gif\" data-original=\"/c.jpg\">", "<img src=\"https://news.example/c.jpg\">");
        check_sanitize("<img srcset=\"/d-320.jpg 320w, /d-640.jpg 640w\">", "<img src=\"https://news.example/d-320.jpg\">");
        check_sanitize("<img src=\"/e.jpg\" srcset=\"/e-2x.jpg 2x\">", "<img src=\"https://news.example/e.jpg\">");
        check_sanitize("<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">", "");
        check_sanitize("<iframe src=\"https://evil.example\">fallback</iframe><p>ok</p>", "<p>ok</p>");
        check_sanitize("<form><input value=\"x\"><button>Go</button></form><p>ok</p>", "<p>ok</p>");
        check_sanitize("<style>p{}</style><!-- c --><p style=\"color:red\" class=\"x\">ok</p>", "<p>ok</p>");
        check_sanitize("<p><i class=\"fas fa-pen\"></i>By Jo</p>", "<p>By Jo</p>");
        check_sanitize("<h1>Title</h1><h2>Sub</h2>", "Title<h2>Sub</h2>");
        check_sanitize("<table><tr><td colspan=\"2\" onmouseover=\"x\">c</td></tr></table>", "<table><tbody><tr><td colspan=\"2\">c</td></tr></tbody></table>");
        check_sanitize("a &lt; b &amp; c", "a &lt; b &amp; c");
        check_sanitize("", "");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 5_000;
        let html = format!("{}text{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let base = Url::parse("https://news.example/").unwrap_or_else(|error| panic!("{error}"));
        let _ = sanitize_html(&html, &base);
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let context = ExtractContext { now, timezone: chrono_tz::Tz::UTC };
        let _ = extract_article(&html, &base, &context);
    }
}
