//! Reading one field from one element: select, drop, take text / inner HTML / an attribute, then
//! run the field's steps. Knows nothing of items or feeds; templates get their variables from the caller.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::{ElementRef, Node};
use url::Url;

use super::html::{escape_into, push_start_tag, write_children};
use super::text::{collapse_whitespace, strip_tags};
use crate::config::{Field, Step, Take, Template, TemplatePart};

/// What a template may read besides the field's own value.
pub trait TemplateVariables {
    fn field_value(&self, name: crate::config::FieldName) -> Option<String>;
    fn rank(&self) -> Option<u32>;
}

/// Raw values of a field on one element, before steps: one per match (only the first unless `all`),
/// each split on `split`. Empty values are dropped. `matched` says whether the selector matched at all.
pub struct RawValues {
    pub values: Vec<String>,
    pub matched: bool,
}

pub fn read_raw(element: ElementRef<'_>, field: &Field) -> RawValues {
    if field.template_only {
        return RawValues { values: vec![String::new()], matched: true };
    }
    let nodes: Vec<ElementRef<'_>> = match &field.select {
        None => vec![element],
        Some(select) if field.all => element.select(&select.selector).collect(),
        // `a@href` means "the first `a` that has an href": an anchor without one is not the link.
        Some(select) => match &field.take {
            Take::Attr(attr) => element.select(&select.selector).filter(|node| node.value().attr(attr).is_some()).take(1).collect(),
            _ => element.select(&select.selector).take(1).collect(),
        },
    };
    let matched = !nodes.is_empty();
    let mut values = Vec::new();
    for node in nodes {
        let value = match &field.take {
            Take::Attr(attr) => node.value().attr(attr).map(str::to_owned),
            Take::Text => Some(text_of(node, &dropped_nodes(node, field))),
            Take::InnerHtml => Some(inner_html_of(node, &dropped_nodes(node, field))),
        };
        let Some(value) = value else { continue };
        match &field.split {
            Some(separator) => values.extend(value.split(separator.as_str()).map(str::to_owned)),
            None => values.push(value),
        }
    }
    if field.take != Take::InnerHtml {
        values = values.iter().map(|value| collapse_whitespace(value)).collect();
    }
    values.retain(|value| !value.trim().is_empty());
    RawValues { values, matched }
}

fn dropped_nodes(node: ElementRef<'_>, field: &Field) -> HashSet<NodeId> {
    field.drop.iter().flat_map(|drop| node.select(&drop.selector).map(|dropped| dropped.id())).collect()
}

/// The text of an element, skipping dropped subtrees, scripts and styles. `<br>` and both the start and
/// the end of a block count as spaces, as a browser breaks the line there: `Live<div>Storm</div>` reads
/// "Live Storm", not "LiveStorm". Walks iteratively, so deeply nested hostile markup cannot overflow the stack.
pub fn text_of(element: ElementRef<'_>, dropped: &HashSet<NodeId>) -> String {
    let mut out = String::new();
    let mut skip_depth = 0usize;
    for edge in element.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => {
                if skip_depth > 0 || dropped.contains(&node.id()) || is_invisible(node.value()) {
                    skip_depth += 1;
                    continue;
                }
                match node.value() {
                    Node::Text(text) => out.push_str(text),
                    Node::Element(element) if element.name() == "br" || is_block(element.name()) => out.push(' '),
                    _ => {}
                }
            }
            ego_tree::iter::Edge::Close(node) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                if let Node::Element(element) = node.value()
                    && is_block(element.name()) {
                        out.push(' ');
                    }
            }
        }
    }
    out
}

fn is_invisible(node: &Node) -> bool {
    matches!(node, Node::Element(element) if matches!(element.name(), "script" | "style" | "noscript" | "template"))
        || matches!(node, Node::Comment(_))
}

fn is_block(name: &str) -> bool {
    matches!(name, "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "figure" | "figcaption" | "section" | "article" | "tr" | "td" | "th" | "blockquote" | "ul" | "ol")
}

/// The inner HTML of an element without the dropped subtrees and comments, re-serialized
/// (so entities and quoting are normalized).
pub fn inner_html_of(element: ElementRef<'_>, dropped: &HashSet<NodeId>) -> String {
    let html = write_children(element, |out, node| {
        if dropped.contains(&node.id()) || matches!(node.value(), Node::Comment(_)) {
            return false;
        }
        match node.value() {
            Node::Text(text) => escape_into(out, text, false),
            Node::Element(element) => push_start_tag(out, element.name(), element.attrs()),
            _ => {}
        }
        true
    });
    html.trim().to_owned()
}

/// Run a field's steps on one value. A step that cannot apply (a regex without a match, a URL that
/// does not resolve) drops the value and says why, for the caller to report as a warning.
pub fn apply_steps(value: String, field: &Field, page_url: &Url, variables: &dyn TemplateVariables) -> Result<String, String> {
    let mut value = value;
    for step in &field.steps {
        value = match step {
            Step::Collapse => collapse_whitespace(&value),
            Step::Absolute => absolute_url(&value, page_url).ok_or_else(|| format!("{value:?} does not resolve to an http(s) URL"))?,
            Step::StripHtml => strip_tags(&value),
            Step::Regex(regex) => {
                let captures = regex.captures(&value).ok_or_else(|| format!("regex `{}` did not match {value:?}", regex.as_str()))?;
                captures.get(1).or_else(|| captures.get(0)).map(|found| found.as_str().to_owned()).unwrap_or_default()
            }
            Step::Replace(regex, replacement) => regex.replace_all(&value, replacement.as_str()).into_owned(),
            Step::Template(template) => render_template(template, &value, variables),
            Step::Prefix(prefix) => format!("{prefix}{value}"),
            Step::Suffix(suffix) => format!("{value}{suffix}"),
        };
    }
    Ok(value)
}

fn render_template(template: &Template, value: &str, variables: &dyn TemplateVariables) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Literal(text) => out.push_str(text),
            TemplatePart::Value => out.push_str(value),
            TemplatePart::Rank => {
                if let Some(rank) = variables.rank() {
                    out.push_str(&rank.to_string());
                }
            }
            TemplatePart::Field(name) => out.push_str(&variables.field_value(*name).unwrap_or_default()),
        }
    }
    collapse_whitespace(&out)
}

/// Resolve a link against the page URL; only http(s) results count (no `javascript:`, `mailto:`, `data:`).
pub fn absolute_url(value: &str, page_url: &Url) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return None;
    }
    let url = page_url.join(trimmed).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}
