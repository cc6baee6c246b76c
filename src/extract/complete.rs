//! Completing an item from its own article page: fill what the list lacked (date, updated, summary,
//! content, authors, image, categories) from the site's `[article]` fields first, then from what the
//! page declares (JSON-LD, OpenGraph, meta; see [`super::article`]). Never overwrites what the list
//! gave, and sanitizes content last.
//!
//! **Invariant:** pure, like the rest of extract: page text in, item and warnings out.

use chrono::{DateTime, FixedOffset};
use scraper::Html;
use url::Url;

use super::article::{extract_article_from_document, sanitize_html};
use super::date::{DateContext, parse_date};
use super::field::absolute_url;
use super::text::{collapse_whitespace, strip_tags};
use super::{ExtractContext, ItemValues, Warning, read_item_fields};
use crate::config::{FieldName, Fields};
use crate::item::Item;

/// Fill `item`'s empty fields from its article page. `position` names the item in warnings.
pub fn complete_item(
    item: &Item,
    html: &str,
    page_url: &Url,
    article_fields: &Fields,
    date_formats: &[String],
    context: &ExtractContext,
    position: usize,
) -> (Item, Vec<Warning>) {
    let document = Html::parse_document(html);
    let configured = read_item_fields(document.root_element(), article_fields, page_url, item.rank);
    let declared = extract_article_from_document(&document, page_url, context);
    let mut warnings = Vec::new();
    let first = |values: &ItemValues, name: FieldName| values.values.get(&name).and_then(|values| values.first()).cloned();
    let all = |values: &ItemValues, name: FieldName| values.values.get(&name).cloned().unwrap_or_default();

    let mut date = |name: FieldName| -> Option<DateTime<FixedOffset>> {
        let text = first(&configured, name)?;
        let mut formats = article_fields.get(name).map(|field| field.formats.clone()).unwrap_or_default();
        formats.extend(date_formats.iter().cloned());
        match parse_date(&text, &DateContext { formats: &formats, timezone: context.timezone, now: context.now }) {
            Ok(date) => Some(date),
            Err(error) => {
                warnings.push(Warning::BadDate { item: position, field: format!("article.{}", name.as_str()), text, error: error.to_string() });
                None
            }
        }
    };
    let configured_published = date(FieldName::Date);
    let configured_updated = date(FieldName::Updated);

    let mut completed = item.clone();
    if completed.published.is_none() {
        completed.published = configured_published.or(declared.published);
    }
    if completed.updated.is_none() {
        completed.updated = configured_updated.or(declared.updated);
    }
    if completed.summary.is_none() {
        completed.summary = first(&configured, FieldName::Summary).map(|summary| strip_tags(&summary)).filter(|summary| !summary.is_empty()).or(declared.summary);
    }
    if completed.content_html.is_none() {
        // Configured content is raw page HTML: sanitize it here, last. Declared content comes sanitized.
        completed.content_html = first(&configured, FieldName::Content)
            .map(|content| sanitize_html(&content, page_url))
            .filter(|content| !content.trim().is_empty())
            .or(declared.content_html);
    }
    if completed.authors.is_empty() {
        let configured_authors: Vec<String> = all(&configured, FieldName::Author).iter().map(|author| collapse_whitespace(author)).filter(|author| !author.is_empty()).collect();
        completed.authors = if configured_authors.is_empty() { declared.authors } else { configured_authors };
    }
    if completed.image.is_none() {
        completed.image = first(&configured, FieldName::Image).and_then(|image| absolute_url(&image, page_url)).or(declared.image);
    }
    if completed.categories.is_empty() {
        let configured_categories = all(&configured, FieldName::Categories);
        completed.categories = if configured_categories.is_empty() { declared.categories } else { configured_categories };
    }
    (completed, warnings)
}
