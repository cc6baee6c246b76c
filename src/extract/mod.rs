//! Extraction: page text to feed items, by a feed's compiled config.
//!
//! **Invariant:** pure and infallible. Page text, page URL and "now" in; items and warnings out.
//! No IO, no clock, no panics on hostile or broken HTML: a field that matched nothing, a date that did
//! not parse or an item without title or link becomes a [`Warning`], and the caller decides what is fatal.

pub mod article;
pub mod complete;
pub mod date;
pub mod field;
pub mod html;
pub mod item_id;
pub mod text;

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html};
use url::Url;

use crate::config::{Feed, Field, FieldName, Fields, Filter, Take};
use crate::item::Item;
use date::{DateContext, parse_date};
use field::{RawValues, TemplateVariables, absolute_url, apply_steps, read_raw};
use text::{collapse_whitespace, strip_tags, strip_xml_forbidden};

/// What extraction needs besides the page: the clock and the site's zone, passed in to stay pure.
#[derive(Debug, Clone, Copy)]
pub struct ExtractContext {
    pub now: DateTime<Utc>,
    pub timezone: chrono_tz::Tz,
}

/// Something a person writing or maintaining a config should know about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// The item selector matched nothing: the layout may have changed, or the page is not the list.
    NoItems { selector: String, page_bytes: usize },
    /// A field's selector matched nothing on some or all items.
    FieldMissing { field: String, selector: String, n_missing: usize, n_items: usize, first_missing_item: usize },
    /// An item was dropped because it lacks a title or a usable link.
    ItemDropped { item: usize, reason: String },
    /// A date field's text did not parse.
    BadDate { item: usize, field: String, text: String, error: String },
    /// A URL field's value did not resolve to an http(s) URL.
    BadUrl { item: usize, field: String, value: String },
    /// `follow` found no link to follow.
    FollowFailed { selector: String },
    /// The page's `check` failed: it is not the page the feed expects, so no item was read.
    CheckFailed { selector: String, expected: String, found: Option<String> },
    /// A field's step could not apply (a regex without a match, a URL that does not resolve), so the
    /// value was dropped.
    StepFailed { item: usize, field: String, reason: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoItems { selector, page_bytes } => write!(
                formatter,
                "the item selector `{selector}` matched nothing on the page ({page_bytes} bytes); the layout may have changed or the page is not the list"
            ),
            Warning::FieldMissing { field, selector, n_missing, n_items, first_missing_item } if n_missing == n_items => write!(
                formatter,
                "field `{field}` (`{selector}`) matched nothing in any of the {n_items} items (first: item {first_missing_item})"
            ),
            Warning::FieldMissing { field, selector, n_missing, n_items, first_missing_item } => write!(
                formatter,
                "field `{field}` (`{selector}`) matched nothing in {n_missing} of {n_items} items (first: item {first_missing_item})"
            ),
            Warning::ItemDropped { item, reason } => write!(formatter, "item {item} dropped: {reason}"),
            Warning::BadDate { item, field, error, .. } => write!(formatter, "item {item}: field `{field}`: {error}"),
            Warning::BadUrl { item, field, value } => {
                write!(formatter, "item {item}: field `{field}`: {value:?} is not an http(s) URL")
            }
            Warning::StepFailed { item, field, reason } => write!(formatter, "item {item}: field `{field}`: {reason}, so the value was dropped"),
            Warning::CheckFailed { selector, expected, found: Some(found) } => write!(
                formatter,
                "the page check failed: `{selector}` reads {found:?}, which does not contain {expected:?}; this is not the page the feed expects"
            ),
            Warning::CheckFailed { selector, expected, found: None } => write!(
                formatter,
                "the page check failed: `{selector}` matched nothing (expected it to contain {expected:?}); the layout may have changed"
            ),
            Warning::FollowFailed { selector } => {
                write!(formatter, "`follow` (`{selector}`) found no link on the page; the layout may have changed")
            }
        }
    }
}

/// How one field fared across the items of a page, for the preview table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldStats {
    pub field: String,
    pub selector: String,
    pub n_found: usize,
    pub n_items: usize,
}

/// The result of extracting one page.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Extraction {
    pub items: Vec<Item>,
    pub warnings: Vec<Warning>,
    /// How many elements the item selector matched (before dropping and filtering).
    pub n_matched: usize,
    /// How many items `include`/`exclude` left out.
    pub n_filtered_out: usize,
    pub field_stats: Vec<FieldStats>,
}

/// Parse page text and extract a feed's items from it.
pub fn extract_feed(html: &str, page_url: &Url, feed: &Feed, context: &ExtractContext) -> Extraction {
    let document = Html::parse_document(html);
    extract_from_document(&document, html.len(), page_url, feed, context)
}

/// Extract from an already parsed document (lets callers that parse once, like benchmarks, reuse it).
pub fn extract_from_document(
    document: &Html,
    page_bytes: usize,
    page_url: &Url,
    feed: &Feed,
    context: &ExtractContext,
) -> Extraction {
    if let Some(check) = &feed.check {
        let found = document.select(&check.select.selector).next().map(|element| collapse_whitespace(&field::text_of(element, &Default::default())));
        if !found.as_deref().is_some_and(|text| text.contains(check.contains.as_str())) {
            let warning = Warning::CheckFailed { selector: check.select.text.clone(), expected: check.contains.clone(), found };
            return Extraction { warnings: vec![warning], ..Default::default() };
        }
    }
    let elements: Vec<ElementRef<'_>> = document.select(&feed.items.selector).collect();
    let mut extraction = Extraction { n_matched: elements.len(), ..Default::default() };
    if elements.is_empty() {
        extraction.warnings.push(Warning::NoItems { selector: feed.items.text.clone(), page_bytes });
        return extraction;
    }

    let mut missing: HashMap<FieldName, (usize, usize)> = HashMap::new();
    for (element_idx, element) in elements.iter().enumerate() {
        let position = element_idx + 1;
        let rank = feed.ranking.then_some(position as u32);
        let values = read_item_fields(*element, &feed.fields, page_url, rank);
        for field_name in &values.missing {
            let entry = missing.entry(*field_name).or_insert((0, position));
            entry.0 += 1;
        }
        for (field_name, reason) in &values.step_failures {
            extraction.warnings.push(Warning::StepFailed { item: position, field: field_name.as_str().to_owned(), reason: reason.clone() });
        }
        match build_item(&values, feed, page_url, context, position, rank, &mut extraction.warnings) {
            Some(item) => extraction.items.push(item),
            None => continue,
        }
    }

    for field_name in FieldName::ALL {
        let Some(field) = feed.fields.get(field_name) else { continue };
        if field.template_only {
            continue;
        }
        let (n_missing, first_missing_item) = missing.get(&field_name).copied().unwrap_or((0, 0));
        extraction.field_stats.push(FieldStats {
            field: field_name.as_str().to_owned(),
            selector: field.describe(),
            n_found: elements.len() - n_missing,
            n_items: elements.len(),
        });
        if n_missing > 0 && field.default.is_none() {
            extraction.warnings.push(Warning::FieldMissing {
                field: field_name.as_str().to_owned(),
                selector: field.describe(),
                n_missing,
                n_items: elements.len(),
                first_missing_item,
            });
        }
    }

    let n_before_filters = extraction.items.len();
    extraction.items.retain(|item| passes_filters(item, feed.include.as_ref(), feed.exclude.as_ref()));
    extraction.n_filtered_out = n_before_filters - extraction.items.len();
    if let Some(limit) = feed.limit {
        extraction.items.truncate(limit as usize);
    }
    // The "#1 " goes on last: filters must see the page's title, so `exclude = { title = "^PR" }`
    // still matches a ranked "PR: ..." item.
    if feed.show_rank {
        for item in &mut extraction.items {
            if let Some(rank) = item.rank {
                item.title = format!("#{rank} {}", item.title);
            }
        }
    }
    extraction
}

/// The link a feed's `follow` points to on this page: the list lives on that page.
pub fn follow_link(html: &str, page_url: &Url, follow: &Field) -> Result<Url, Warning> {
    let document = Html::parse_document(html);
    let failed = || Warning::FollowFailed { selector: follow.describe() };
    let values = read_raw(document.root_element(), follow).values;
    let no_variables = ItemValues::default();
    values
        .into_iter()
        .filter_map(|value| apply_steps(value, follow, page_url, &no_variables).ok())
        .find_map(|value| absolute_url(&value, page_url))
        .and_then(|url| Url::parse(&url).ok())
        .ok_or_else(failed)
}

/// The string values of one item's fields after steps, and which selectors matched nothing.
#[derive(Default)]
pub(crate) struct ItemValues {
    pub(crate) values: HashMap<FieldName, Vec<String>>,
    missing: Vec<FieldName>,
    /// Values a step dropped, with the reason.
    step_failures: Vec<(FieldName, String)>,
    rank: Option<u32>,
}

impl TemplateVariables for ItemValues {
    fn field_value(&self, name: FieldName) -> Option<String> {
        self.values.get(&name).filter(|values| !values.is_empty()).map(|values| values.join(", "))
    }
    fn rank(&self) -> Option<u32> {
        self.rank
    }
}

/// Evaluate every field of one item. Fields whose templates read other fields wait until those are
/// done; the config has already rejected cycles, so a few passes settle everything.
pub(crate) fn read_item_fields(element: ElementRef<'_>, fields: &Fields, page_url: &Url, rank: Option<u32>) -> ItemValues {
    let mut item_values = ItemValues { rank, ..Default::default() };
    let mut pending: Vec<FieldName> = FieldName::ALL.into_iter().filter(|name| fields.get(*name).is_some()).collect();
    for _pass in 0..=FieldName::ALL.len() {
        if pending.is_empty() {
            break;
        }
        let mut still_pending = Vec::new();
        for field_name in pending {
            let Some(field) = fields.get(field_name) else { continue };
            let waits_for_other = template_references(field)
                .any(|other| other != field_name && fields.get(other).is_some() && !item_values.values.contains_key(&other));
            if waits_for_other {
                still_pending.push(field_name);
                continue;
            }
            let RawValues { mut values, matched } = read_raw(element, field);
            if !matched || values.is_empty() {
                if !field.template_only {
                    item_values.missing.push(field_name);
                }
                values = field.default.iter().cloned().collect();
            }
            let mut processed = Vec::new();
            for value in values {
                match apply_steps(value, field, page_url, &item_values) {
                    Ok(value) if !value.trim().is_empty() => processed.push(value),
                    Ok(_) => {}
                    Err(reason) => item_values.step_failures.push((field_name, reason)),
                }
            }
            item_values.values.insert(field_name, processed);
        }
        pending = still_pending;
    }
    item_values
}

fn template_references(field: &Field) -> impl Iterator<Item = FieldName> + '_ {
    field.steps.iter().flat_map(|step| match step {
        crate::config::Step::Template(template) => template.field_references().collect::<Vec<_>>(),
        _ => Vec::new(),
    })
}

/// Turn one item's string values into an [`Item`], or `None` (with a warning) without title or link.
fn build_item(
    item_values: &ItemValues,
    feed: &Feed,
    page_url: &Url,
    context: &ExtractContext,
    position: usize,
    rank: Option<u32>,
    warnings: &mut Vec<Warning>,
) -> Option<Item> {
    let first = |name: FieldName| item_values.values.get(&name).and_then(|values| values.first()).cloned();
    let all = |name: FieldName| item_values.values.get(&name).cloned().unwrap_or_default();
    let describe = |name: FieldName| feed.fields.get(name).map(Field::describe).unwrap_or_default();

    let Some(title) = first(FieldName::Title).map(|title| collapse_whitespace(&strip_xml_forbidden(&title))) else {
        warnings.push(Warning::ItemDropped { item: position, reason: format!("no title (`{}` found nothing)", describe(FieldName::Title)) });
        return None;
    };
    let Some(link_text) = first(FieldName::Link) else {
        warnings.push(Warning::ItemDropped { item: position, reason: format!("no link (`{}` found nothing)", describe(FieldName::Link)) });
        return None;
    };
    let Some(url) = absolute_url(&link_text, page_url) else {
        warnings.push(Warning::ItemDropped { item: position, reason: format!("the link {link_text:?} is not an http(s) URL") });
        return None;
    };

    let mut url_field = |name: FieldName| -> Option<String> {
        let value = first(name)?;
        let resolved = absolute_url(&value, page_url);
        if resolved.is_none() {
            warnings.push(Warning::BadUrl { item: position, field: name.as_str().to_owned(), value });
        }
        resolved
    };
    let image = url_field(FieldName::Image);

    let mut date_field = |name: FieldName| {
        let text = first(name)?;
        let mut formats = feed.fields.get(name).map(|field| field.formats.clone()).unwrap_or_default();
        formats.extend(feed.date_formats.iter().cloned());
        let date_context = DateContext { formats: &formats, timezone: context.timezone, now: context.now };
        match parse_date(&text, &date_context) {
            Ok(date) => Some(date),
            Err(error) => {
                warnings.push(Warning::BadDate { item: position, field: name.as_str().to_owned(), text, error: error.to_string() });
                None
            }
        }
    };
    let published = date_field(FieldName::Date);
    let updated = date_field(FieldName::Updated);

    // Text read as text is already what the page shows; stripping tags from it again would eat a
    // "<b>" the page wrote as `&lt;b&gt;` and decode `&amp;amp;` twice. Only markup is stripped: inner
    // HTML, an attribute (such as `og:description`) or a template that pulls in other fields.
    let summary_is_markup = feed
        .fields
        .summary
        .as_ref()
        .is_some_and(|field| field.take != Take::Text || template_references(field).next().is_some());
    let summary = first(FieldName::Summary)
        .map(|summary| if summary_is_markup { strip_tags(&summary) } else { collapse_whitespace(&summary) })
        .filter(|summary| !summary.is_empty());
    // Without a guid, the link is the identity, minus the tracking parameters that make one article
    // look like several (utm_*, fbclid, ...).
    let id = first(FieldName::Guid).map(|guid| strip_xml_forbidden(&guid)).unwrap_or_else(|| item_id::canonical_item_id(&url));
    Some(Item {
        id,
        title,
        url,
        summary,
        // Page HTML goes into readers: sanitized (no scripts, handlers, iframes; absolute URLs), last.
        content_html: first(FieldName::Content).map(|content| article::sanitize_html(&content, page_url)).filter(|content| !content.trim().is_empty()),
        published,
        updated,
        authors: unique_clean(all(FieldName::Author)),
        image,
        categories: unique_clean(all(FieldName::Categories)),
        rank,
        first_seen: None,
    })
}

/// Clean, drop empties and duplicates, keep the first occurrence's order.
fn unique_clean(values: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .map(|value| collapse_whitespace(&value))
        .filter(|value| !value.is_empty() && seen.insert(value.to_lowercase()))
        .collect()
}

fn passes_filters(item: &Item, include: Option<&Filter>, exclude: Option<&Filter>) -> bool {
    if let Some(include) = include {
        let every_rule_matches = include.title.as_ref().is_none_or(|regex| regex.is_match(&item.title))
            && include.link.as_ref().is_none_or(|regex| regex.is_match(&item.url))
            && include.category.as_ref().is_none_or(|regex| item.categories.iter().any(|category| regex.is_match(category)));
        if !every_rule_matches {
            return false;
        }
    }
    if let Some(exclude) = exclude {
        let any_rule_matches = exclude.title.as_ref().is_some_and(|regex| regex.is_match(&item.title))
            || exclude.link.as_ref().is_some_and(|regex| regex.is_match(&item.url))
            || exclude.category.as_ref().is_some_and(|regex| item.categories.iter().any(|category| regex.is_match(category)));
        if any_rule_matches {
            return false;
        }
    }
    true
}
