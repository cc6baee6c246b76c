//! Raw -> compiled: checks every value and builds selectors, regexes, URLs, zones and durations.
//! Reports every problem it finds through the [`Reporter`] and keeps going, so one run of
//! `feedwright check` lists them all. Never reads files; [`super::load`] does that.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::format::{Fixed, Item, Numeric, StrftimeItems};
use regex::Regex;
use scraper::Selector;
use url::Url;

use super::compiled::{
    CompiledSelector, Feed, Field, FieldName, Fields, Filter, PageCheck, Settings, Site, Step, Take, Template,
};
use super::diagnostics::{KeyPath, Reporter};
use super::raw::{RawEach, RawFeed, RawField, RawFields, RawFilter, RawSettings, RawSite, RawStep};

/// Ids appear in URL paths and file names: keep them to a safe alphabet.
fn check_id(reporter: &mut Reporter, path: &KeyPath, id: &str) -> bool {
    let valid = !id.is_empty()
        && id.len() <= 100
        && id.chars().all(|character| character.is_ascii_alphanumeric() || character == '-' || character == '_')
        && !id.starts_with('-');
    if !valid {
        reporter.error(
            path,
            format!("id {id:?} may only use ASCII letters, digits, `-` and `_` (it becomes part of feed URLs)"),
        );
    }
    valid
}

pub fn compile_settings(reporter: &mut Reporter, raw: &RawSettings) -> Settings {
    let mut settings = Settings::default();
    let root = KeyPath::root();
    if let Some(listen) = &raw.listen {
        match listen.parse() {
            Ok(address) => settings.listen = address,
            Err(_) => reporter.error(&root.key("listen"), format!("{listen:?} is not an address like \"127.0.0.1:8080\"")),
        }
    }
    if let Some(public_url) = &raw.public_url {
        match Url::parse(public_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                settings.public_url = Some(public_url.trim_end_matches('/').to_owned());
            }
            _ => reporter.error(&root.key("public_url"), format!("{public_url:?} is not an http(s) URL like \"https://feeds.example.org\"")),
        }
    }
    if let Some(token) = &raw.admin_token {
        if token.len() < 16 {
            reporter.error(&root.key("admin_token"), "the admin token must be at least 16 characters");
        } else {
            settings.admin_token = Some(token.clone());
        }
    }
    if let Some(max_concurrent) = raw.max_concurrent_refreshes {
        if max_concurrent == 0 {
            reporter.error(&root.key("max_concurrent_refreshes"), "must be at least 1");
        } else {
            settings.max_concurrent_refreshes = max_concurrent as usize;
        }
    }
    if let Some(broken_after) = raw.broken_after {
        if broken_after == 0 {
            reporter.error(&root.key("broken_after"), "must be at least 1");
        } else {
            settings.broken_after = broken_after;
        }
    }
    if let Some(data_dir) = &raw.data_dir {
        settings.data_dir = data_dir.into();
    }
    if let Some(user_agent) = &raw.user_agent {
        if user_agent.trim().is_empty() {
            reporter.error(&root.key("user_agent"), "the user agent must not be empty");
        } else {
            settings.user_agent = user_agent.clone();
        }
    }
    if let Some(refresh) = compile_duration(reporter, &root.key("refresh"), raw.refresh.as_deref(), REFRESH_BOUNDS) {
        settings.refresh = refresh;
    }
    let limits = root.key("limits");
    if let Some(max_page_bytes) = raw.limits.max_page_bytes {
        if max_page_bytes < 1024 {
            reporter.error(&limits.key("max_page_bytes"), "must be at least 1024 bytes");
        } else {
            settings.max_page_bytes = max_page_bytes;
        }
    }
    if let Some(timeout) =
        compile_duration(reporter, &limits.key("request_timeout"), raw.limits.request_timeout.as_deref(), TIMEOUT_BOUNDS)
    {
        settings.request_timeout = timeout;
    }
    if let Some(max_items) = raw.limits.max_items_per_feed {
        if max_items == 0 {
            reporter.error(&limits.key("max_items_per_feed"), "must be at least 1");
        } else {
            settings.max_items_per_feed = max_items;
        }
    }
    if let Some(max_attempts) = raw.limits.max_attempts {
        if !(1..=10).contains(&max_attempts) {
            reporter.error(&limits.key("max_attempts"), "must be between 1 and 10");
        } else {
            settings.max_attempts = max_attempts;
        }
    }
    if let Some(concurrency) = raw.limits.per_host_concurrency {
        if concurrency == 0 {
            reporter.error(&limits.key("per_host_concurrency"), "must be at least 1");
        } else {
            settings.per_host_concurrency = concurrency as usize;
        }
    }
    if let Some(interval) = compile_duration(reporter, &limits.key("per_host_interval"), raw.limits.per_host_interval.as_deref(), INTERVAL_BOUNDS) {
        settings.per_host_interval = interval;
    }
    if let Some(concurrency) = raw.limits.article_concurrency {
        if concurrency == 0 {
            reporter.error(&limits.key("article_concurrency"), "must be at least 1");
        } else {
            settings.article_concurrency = concurrency as usize;
        }
    }
    settings
}

/// Bounds of the durations in a config: a minimum keeps people from hammering sites by accident, a
/// maximum keeps date arithmetic far from overflow.
const REFRESH_BOUNDS: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(30 * 24 * 60 * 60));
const TIMEOUT_BOUNDS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(10 * 60));
const INTERVAL_BOUNDS: (Duration, Duration) = (Duration::ZERO, Duration::from_secs(60 * 60));

/// A duration like `"30m"`, within bounds.
fn compile_duration(reporter: &mut Reporter, path: &KeyPath, text: Option<&str>, (minimum, maximum): (Duration, Duration)) -> Option<Duration> {
    let text = text?;
    match humantime::parse_duration(text.trim()) {
        Ok(duration) if duration < minimum => {
            reporter.error(path, format!("{text:?} is too short; the minimum is {}", humantime::format_duration(minimum)));
            None
        }
        Ok(duration) if duration > maximum => {
            reporter.error(path, format!("{text:?} is too long; the maximum is {}", humantime::format_duration(maximum)));
            None
        }
        Ok(duration) => Some(duration),
        Err(error) => {
            reporter.error(path, format!("{text:?} is not a duration like \"30m\" or \"2h\": {error}"));
            None
        }
    }
}

pub fn compile_site(reporter: &mut Reporter, raw: &RawSite, default_id: &str, source_file: &std::path::Path) -> Option<Site> {
    let root = KeyPath::root();
    let id = raw.id.clone().unwrap_or_else(|| default_id.to_owned());
    let id_path = if raw.id.is_some() { root.key("id") } else { root.clone() };
    let id_valid = check_id(reporter, &id_path, &id);

    if raw.title.trim().is_empty() {
        reporter.error(&root.key("title"), "the site title must not be empty");
    }
    let home = compile_url(reporter, &root.key("home"), &raw.home, None);
    let timezone = match &raw.timezone {
        None => chrono_tz::UTC,
        Some(name) => match name.parse::<chrono_tz::Tz>() {
            Ok(timezone) => timezone,
            Err(_) => {
                reporter.error(&root.key("timezone"), format!("{name:?} is not an IANA time zone name like \"Asia/Tokyo\" or \"Europe/Berlin\""));
                chrono_tz::UTC
            }
        },
    };
    let refresh = compile_duration(reporter, &root.key("refresh"), raw.refresh.as_deref(), REFRESH_BOUNDS);
    if raw.user_agent.as_deref().is_some_and(|user_agent| user_agent.trim().is_empty()) {
        reporter.error(&root.key("user_agent"), "the user agent must not be empty (leave the key out to use the global one)");
    }
    for (format_idx, format) in raw.date_formats.iter().enumerate() {
        if let Err(message) = check_format(format) {
            reporter.error(&root.key("date_formats").index(format_idx), message);
        }
    }
    if raw.feed.is_empty() {
        reporter.error(&root, "the site has no [[feed]]: add at least one");
    }

    let mut feeds = Vec::new();
    let mut seen_ids: HashSet<String> = HashSet::new();
    for (feed_idx, raw_feed) in raw.feed.iter().enumerate() {
        let feed_path = root.key("feed").index(feed_idx);
        for (bindings, each_path) in each_rows(reporter, &feed_path, raw, raw_feed) {
            let Some(feed) = compile_feed(reporter, &feed_path, raw, raw_feed, &bindings, home.as_ref(), &each_path) else {
                continue;
            };
            if !seen_ids.insert(feed.id.clone()) {
                reporter.error(&feed_path.key("id"), format!("duplicate feed id {:?} in this site", feed.id));
                continue;
            }
            feeds.push(feed);
        }
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &raw.headers {
        let valid_name = !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte));
        if !valid_name {
            reporter.error(&root.key("headers").key(name), format!("{name:?} is not a valid HTTP header name"));
        } else if value.chars().any(|character| character.is_control()) {
            reporter.error(&root.key("headers").key(name), "header values may not contain control characters or newlines");
        } else {
            headers.push((name.clone(), value.clone()));
        }
    }
    if !raw.cookies.is_empty() {
        let cookie = raw.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ");
        if cookie.chars().any(|character| character.is_control()) {
            reporter.error(&root.key("cookies"), "cookies may not contain control characters or newlines");
        } else {
            headers.push(("Cookie".to_owned(), cookie));
        }
    }
    let article = match &raw.article {
        Some(article_fields) => compile_article_fields(reporter, article_fields),
        None => Fields::default(),
    };
    let obey_robots = raw.robots.unwrap_or(true);

    let home = home?;
    if !id_valid {
        return None;
    }
    Some(Site {
        id,
        title: raw.title.trim().to_owned(),
        home,
        language: raw.language.clone(),
        timezone,
        refresh,
        user_agent: raw.user_agent.clone(),
        headers,
        obey_robots,
        article,
        date_formats: raw.date_formats.clone(),
        feeds,
        source_file: source_file.to_owned(),
    })
}

/// The substitution rows of a feed: one empty row without `each`.
fn each_rows(reporter: &mut Reporter, feed_path: &KeyPath, raw_site: &RawSite, raw_feed: &RawFeed) -> Vec<(BTreeMap<String, String>, KeyPath)> {
    let each_path = feed_path.key("each");
    match &raw_feed.each {
        None => vec![(BTreeMap::new(), feed_path.clone())],
        Some(RawEach::Values(values)) => {
            if values.is_empty() {
                reporter.error(&each_path, "`each` is empty: list at least one value");
            }
            values
                .iter()
                .enumerate()
                .map(|(row_idx, value)| (BTreeMap::from([("value".to_owned(), value.clone())]), each_path.index(row_idx)))
                .collect()
        }
        Some(RawEach::Named(name)) => match raw_site.lists.get(name) {
            Some(rows) => {
                let list_path = KeyPath::root().key("lists").key(name);
                if rows.is_empty() {
                    reporter.error(&list_path, format!("the list `{name}` is empty"));
                }
                rows.iter().enumerate().map(|(row_idx, row)| (row.clone(), list_path.index(row_idx))).collect()
            }
            None => {
                let known: Vec<&str> = raw_site.lists.keys().map(String::as_str).collect();
                let hint = if known.is_empty() { "the site has no [lists]".to_owned() } else { format!("known lists: {}", known.join(", ")) };
                reporter.error(&each_path, format!("no list named `{name}` ({hint})"));
                Vec::new()
            }
        },
        Some(RawEach::Rows(rows)) => {
            if rows.is_empty() {
                reporter.error(&each_path, "`each` is empty: list at least one row");
            }
            rows.iter().enumerate().map(|(row_idx, row)| (row.clone(), each_path.index(row_idx))).collect()
        }
    }
}

/// Replace `{key}` by the row's values; unknown keys are reported.
fn substitute(reporter: &mut Reporter, path: &KeyPath, text: &str, bindings: &BTreeMap<String, String>) -> String {
    if bindings.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match bindings.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        let known: Vec<&str> = bindings.keys().map(String::as_str).collect();
                        reporter.error(path, format!("`{{{name}}}` is not a key of `each` (known: {})", known.join(", ")));
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn compile_feed(
    reporter: &mut Reporter,
    feed_path: &KeyPath,
    raw_site: &RawSite,
    raw: &RawFeed,
    bindings: &BTreeMap<String, String>,
    home: Option<&Url>,
    each_path: &KeyPath,
) -> Option<Feed> {
    let errors_before = reporter.errors.len();
    let id = substitute(reporter, &feed_path.key("id"), &raw.id, bindings);
    check_id(reporter, &feed_path.key("id"), &id);
    let title = raw
        .title
        .as_deref()
        .map(|title| substitute(reporter, &feed_path.key("title"), title, bindings))
        .unwrap_or_else(|| id.clone());
    let description = raw.description.as_deref().map(|text| substitute(reporter, &feed_path.key("description"), text, bindings));
    let url_text = substitute(reporter, &feed_path.key("url"), &raw.url, bindings);
    let url = compile_url(reporter, &feed_path.key("url"), &url_text, home);
    let items = compile_selector(reporter, &feed_path.key("items"), &raw.items);
    let follow = raw.follow.as_ref().and_then(|follow| compile_field(reporter, &feed_path.key("follow"), FieldName::Link, follow));
    let check = raw.check.as_ref().and_then(|check| {
        let check_path = feed_path.key("check");
        let select = compile_selector(reporter, &check_path.key("select"), &check.select);
        let contains = substitute(reporter, &check_path.key("contains"), &check.contains, bindings);
        if contains.trim().is_empty() {
            reporter.error(&check_path.key("contains"), "`contains` must not be empty");
        }
        select.map(|select| PageCheck { select, contains })
    });
    if raw.show_rank && !raw.ranking {
        reporter.error(&feed_path.key("show_rank"), "`show_rank` needs `ranking = true`");
    }
    if raw.limit == Some(0) {
        reporter.error(&feed_path.key("limit"), "a limit of 0 would keep no items");
    }
    let include = raw.include.as_ref().map(|filter| compile_filter(reporter, &feed_path.key("include"), filter));
    let exclude = raw.exclude.as_ref().map(|filter| compile_filter(reporter, &feed_path.key("exclude"), filter));
    let refresh = compile_duration(reporter, &feed_path.key("refresh"), raw.refresh.as_deref(), REFRESH_BOUNDS);
    let empty_fields = RawFields::default();
    let site_fields = if raw.inherit_fields.unwrap_or(true) { &raw_site.fields } else { &empty_fields };
    let fields = compile_fields(reporter, feed_path, site_fields, &raw.fields);
    // Only when the key is absent: a field that is present but broken was reported already.
    for required in [FieldName::Title, FieldName::Link] {
        if raw_field(&raw.fields, required).is_none() && raw_field(site_fields, required).is_none() {
            reporter.error(
                &feed_path.key("fields"),
                format!("no `{}` field: set it in the feed's `fields` or the site's `[fields]`", required.as_str()),
            );
        }
    }
    if reporter.errors.len() > errors_before {
        // Name the `each` row too, so a problem in the third stamped-out feed can be found.
        if each_path != feed_path {
            for error in &mut reporter.errors[errors_before..] {
                error.message.push_str(&format!(" (in the feed made from `{each_path}`)"));
            }
        }
        return None;
    }
    Some(Feed {
        id,
        title,
        description,
        url: url?,
        items: items?,
        follow,
        ranking: raw.ranking,
        show_rank: raw.show_rank,
        limit: raw.limit,
        check,
        include,
        exclude,
        refresh,
        fields,
        complete: raw.complete,
        date_formats: raw_site.date_formats.clone(),
    })
}

/// The site's `[fields]` with the feed's `fields` laid over them, key by key.
fn compile_fields(reporter: &mut Reporter, feed_path: &KeyPath, site_fields: &RawFields, feed_fields: &RawFields) -> Fields {
    let mut fields = Fields::default();
    for field_name in FieldName::ALL {
        let (raw_field, path) = match raw_field(feed_fields, field_name) {
            Some(raw_field) => (raw_field, feed_path.key("fields").key(field_name.as_str())),
            None => match raw_field(site_fields, field_name) {
                Some(raw_field) => (raw_field, KeyPath::root().key("fields").key(field_name.as_str())),
                None => continue,
            },
        };
        *fields.slot(field_name) = compile_field(reporter, &path, field_name, raw_field);
    }
    check_template_cycles(reporter, &feed_path.key("fields"), &fields);
    fields
}

/// The site's `[article]` fields: relative to the whole page, no title/link required.
fn compile_article_fields(reporter: &mut Reporter, raw: &RawFields) -> Fields {
    let mut fields = Fields::default();
    for field_name in FieldName::ALL {
        if let Some(raw_field) = raw_field(raw, field_name) {
            let path = KeyPath::root().key("article").key(field_name.as_str());
            *fields.slot(field_name) = compile_field(reporter, &path, field_name, raw_field);
        }
    }
    check_template_cycles(reporter, &KeyPath::root().key("article"), &fields);
    fields
}

fn raw_field(fields: &RawFields, name: FieldName) -> Option<&RawField> {
    match name {
        FieldName::Title => fields.title.as_ref(),
        FieldName::Link => fields.link.as_ref(),
        FieldName::Summary => fields.summary.as_ref(),
        FieldName::Content => fields.content.as_ref(),
        FieldName::Date => fields.date.as_ref(),
        FieldName::Updated => fields.updated.as_ref(),
        FieldName::Author => fields.author.as_ref(),
        FieldName::Image => fields.image.as_ref(),
        FieldName::Categories => fields.categories.as_ref(),
        FieldName::Guid => fields.guid.as_ref(),
    }
}

/// Templates may read other fields, but not in a circle (title -> summary -> title).
fn check_template_cycles(reporter: &mut Reporter, fields_path: &KeyPath, fields: &Fields) {
    fn references(fields: &Fields, name: FieldName) -> Vec<FieldName> {
        fields
            .get(name)
            .map(|field| {
                field
                    .steps
                    .iter()
                    .filter_map(|step| match step {
                        Step::Template(template) => Some(template.field_references().collect::<Vec<_>>()),
                        _ => None,
                    })
                    .flatten()
                    .collect()
            })
            .unwrap_or_default()
    }
    for start in FieldName::ALL {
        let direct = references(fields, start);
        if direct.contains(&start) {
            reporter.error(
                &fields_path.key(start.as_str()),
                format!("the template of `{0}` uses `{{{0}}}`; use `{{value}}` for the field's own value", start.as_str()),
            );
            continue;
        }
        let mut stack = direct;
        let mut visited = HashSet::new();
        while let Some(next) = stack.pop() {
            if next == start {
                reporter.error(
                    &fields_path.key(start.as_str()),
                    format!("the template of `{}` refers back to itself through other fields", start.as_str()),
                );
                break;
            }
            if visited.insert(next) {
                stack.extend(references(fields, next));
            }
        }
    }
}

/// Split the short form `"a h2@href"` into selector and attribute. The `@` must be outside
/// brackets and quotes (`a[href*="@"]` has none) and followed by an attribute name.
pub fn split_short_form(text: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut split_at = None;
    for (byte_idx, character) in text.char_indices() {
        match (quote, character) {
            (Some(open), _) if character == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(character),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, '@') if depth == 0 => split_at = Some(byte_idx),
            _ => {}
        }
    }
    match split_at {
        Some(byte_idx) => {
            let attr = text[byte_idx + 1..].trim();
            let is_attr_name = !attr.is_empty()
                && attr.chars().all(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | ':' | '.'));
            if is_attr_name { (text[..byte_idx].trim(), Some(attr)) } else { (text.trim(), None) }
        }
        None => (text.trim(), None),
    }
}

pub fn compile_field(reporter: &mut Reporter, path: &KeyPath, name: FieldName, raw: &RawField) -> Option<Field> {
    let errors_before = reporter.errors.len();
    let spec = match raw {
        RawField::Short(text) => super::raw::RawFieldSpec { select: Some(text.clone()), ..Default::default() },
        RawField::Full(spec) => spec.clone(),
    };
    let select_path = if matches!(raw, RawField::Short(_)) { path.clone() } else { path.key("select") };

    let (selector_text, short_attr) = match spec.select.as_deref() {
        Some(text) => split_short_form(text),
        None => ("", None),
    };
    if short_attr.is_some() && spec.attr.is_some() {
        reporter.error(path, "the attribute is given twice: in `select` (after `@`) and in `attr`");
    }
    let attr = spec.attr.as_deref().or(short_attr);
    let select = if selector_text.is_empty() { None } else { compile_selector(reporter, &select_path, selector_text) };
    let take = match (attr, spec.html) {
        (Some(_), Some(true)) => {
            reporter.error(path, "choose one of `attr` and `html = true`");
            Take::Text
        }
        (Some(attr), _) => Take::Attr(attr.to_owned()),
        (None, Some(true)) => Take::InnerHtml,
        (None, Some(false)) => Take::Text,
        (None, None) if name == FieldName::Content => Take::InnerHtml,
        (None, None) => Take::Text,
    };
    let template_only = spec.select.is_none() && spec.attr.is_none() && spec.template.is_some();

    let drop = spec
        .drop
        .iter()
        .enumerate()
        .filter_map(|(drop_idx, text)| compile_selector(reporter, &path.key("drop").index(drop_idx), text))
        .collect();

    let mut steps = Vec::new();
    if let Some(pattern) = &spec.regex
        && let Some(regex) = compile_regex(reporter, &path.key("regex"), pattern) {
            steps.push(Step::Regex(regex));
        }
    if let Some(replace) = &spec.replace
        && let Some(step) = compile_replace(reporter, &path.key("replace"), replace) {
            steps.push(step);
        }
    if let Some(template) = &spec.template {
        match Template::parse(template) {
            Ok(template) => steps.push(Step::Template(template)),
            Err(message) => reporter.error(&path.key("template"), message),
        }
    }
    for (step_idx, raw_step) in spec.steps.iter().enumerate() {
        let step_path = path.key("steps").index(step_idx);
        let step = match raw_step {
            RawStep::Collapse => Some(Step::Collapse),
            RawStep::Absolute => Some(Step::Absolute),
            RawStep::StripHtml => Some(Step::StripHtml),
            RawStep::Regex(pattern) => compile_regex(reporter, &step_path.key("regex"), pattern).map(Step::Regex),
            RawStep::Replace(replace) => compile_replace(reporter, &step_path.key("replace"), replace),
            RawStep::Template(template) => match Template::parse(template) {
                Ok(template) => Some(Step::Template(template)),
                Err(message) => {
                    reporter.error(&step_path.key("template"), message);
                    None
                }
            },
            RawStep::Prefix(text) => Some(Step::Prefix(text.clone())),
            RawStep::Suffix(text) => Some(Step::Suffix(text.clone())),
        };
        steps.extend(step);
    }

    let formats = spec.format.as_ref().map(|formats| formats.to_vec()).unwrap_or_default();
    if !formats.is_empty() && !name.is_date() {
        reporter.error(&path.key("format"), format!("`format` only applies to date fields, not `{}`", name.as_str()));
    }
    for (format_idx, format) in formats.iter().enumerate() {
        if let Err(message) = check_format(format) {
            let format_path = if formats.len() == 1 && matches!(spec.format, Some(super::raw::RawFormats::One(_))) {
                path.key("format")
            } else {
                path.key("format").index(format_idx)
            };
            reporter.error(&format_path, message);
        }
    }
    if let Some(split) = &spec.split
        && split.is_empty() {
            reporter.error(&path.key("split"), "`split` must not be empty");
        }
    if reporter.errors.len() > errors_before {
        return None;
    }
    Some(Field {
        select,
        take,
        template_only,
        drop,
        all: spec.all.unwrap_or(name.is_multi()),
        split: spec.split.clone(),
        steps,
        formats,
        default: spec.default.clone(),
    })
}

pub fn compile_selector(reporter: &mut Reporter, path: &KeyPath, text: &str) -> Option<CompiledSelector> {
    if text.trim().is_empty() {
        reporter.error(path, "the CSS selector is empty");
        return None;
    }
    match Selector::parse(text) {
        Ok(selector) => Some(CompiledSelector { text: text.to_owned(), selector }),
        Err(error) => {
            reporter.error(path, format!("invalid CSS selector {text:?}: {}", describe_selector_error(&error.to_string())));
            None
        }
    }
}

/// The selector crate's messages read "Unexpected error occurred. Please report this to the
/// developer\nClassNeedsIdent": keep the part that says what is wrong, on one line.
fn describe_selector_error(message: &str) -> String {
    let cleaned = message.replace("Unexpected error occurred. Please report this to the developer", "");
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let readable = match cleaned.as_str() {
        "ClassNeedsIdent" => "a `.` must be followed by a class name",
        "EmptySelector" => "the selector is empty",
        "DanglingCombinator" => "a combinator (`>`, `+`, `~`) has nothing after it",
        "ExpectedBarInAttr" => "an attribute selector is malformed",
        "EmptyNegation" => "`:not()` is empty",
        _ => "",
    };
    match (readable.is_empty(), cleaned.is_empty()) {
        (false, _) => readable.to_owned(),
        (true, false) => cleaned,
        (true, true) => "it does not parse".to_owned(),
    }
}

fn compile_regex(reporter: &mut Reporter, path: &KeyPath, pattern: &str) -> Option<Regex> {
    // A size limit keeps a pathological pattern from eating memory at load time.
    match regex::RegexBuilder::new(pattern).size_limit(1 << 20).build() {
        Ok(regex) => Some(regex),
        Err(error) => {
            reporter.error(path, format!("invalid regex {pattern:?}: {error}"));
            None
        }
    }
}

fn compile_replace(reporter: &mut Reporter, path: &KeyPath, replace: &[String]) -> Option<Step> {
    match replace {
        [pattern, replacement] => compile_regex(reporter, path, pattern).map(|regex| Step::Replace(regex, replacement.clone())),
        _ => {
            reporter.error(path, format!("`replace` takes two strings, [pattern, replacement]; got {}", replace.len()));
            None
        }
    }
}

fn compile_filter(reporter: &mut Reporter, path: &KeyPath, raw: &RawFilter) -> Filter {
    let mut compile = |key: &str, pattern: &Option<String>| {
        pattern.as_deref().and_then(|pattern| compile_regex(reporter, &path.key(key), pattern))
    };
    let filter = Filter { title: compile("title", &raw.title), link: compile("link", &raw.link), category: compile("category", &raw.category) };
    if raw.title.is_none() && raw.link.is_none() && raw.category.is_none() {
        reporter.error(path, "the filter has no rule: give `title`, `link` or `category`");
    }
    filter
}

/// An absolute http(s) URL, or one relative to `base`.
fn compile_url(reporter: &mut Reporter, path: &KeyPath, text: &str, base: Option<&Url>) -> Option<Url> {
    let parsed = match base {
        Some(base) => base.join(text.trim()),
        None => Url::parse(text.trim()),
    };
    match parsed {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(url) => {
            reporter.error(path, format!("{text:?} must be an http or https URL (got scheme `{}`)", url.scheme()));
            None
        }
        Err(error) => {
            let hint = if base.is_none() { " (write it in full, e.g. \"https://example.com/\")" } else { "" };
            reporter.error(path, format!("{text:?} is not a valid URL: {error}{hint}"));
            None
        }
    }
}

/// Validates a strftime format string at config load time (so that a bad format is a config
/// error). Returns `Err(message)` for formats chrono rejects (e.g. `%Q`) or that cannot pin
/// down a day (no date field at all, like `%H:%M`, or only a year).
pub fn check_format(format: &str) -> Result<(), String> {
    let (mut day, mut month, mut ordinal, mut week, mut weekday, mut complete) =
        (false, false, false, false, false, false);
    for item in StrftimeItems::new(format) {
        match item {
            Item::Error => {
                return Err(format!(
                    "invalid date format {format:?}: it has a specifier chrono does not know \
                     (see chrono's strftime documentation)"
                ));
            }
            Item::Numeric(Numeric::Day, _) => day = true,
            Item::Numeric(Numeric::Month, _)
            | Item::Fixed(Fixed::ShortMonthName | Fixed::LongMonthName) => month = true,
            Item::Numeric(Numeric::Ordinal, _) => ordinal = true,
            Item::Numeric(Numeric::IsoWeek | Numeric::WeekFromSun | Numeric::WeekFromMon, _) => {
                week = true;
            }
            Item::Numeric(Numeric::NumDaysFromSun | Numeric::WeekdayFromMon, _)
            | Item::Fixed(Fixed::ShortWeekdayName | Fixed::LongWeekdayName) => weekday = true,
            Item::Numeric(Numeric::Timestamp, _) | Item::Fixed(Fixed::RFC2822 | Fixed::RFC3339) => {
                complete = true;
            }
            _ => {}
        }
    }
    if complete || (day && month) || ordinal || (week && weekday) {
        Ok(())
    } else {
        Err(format!(
            "date format {format:?} does not name a day: it needs a day and a month \
             (like %d and %B), a day of the year (%j) or a timestamp (%s)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_checks() {
        for good in [
            "%B %d, %Y",
            "%H:%M JST, %B %d, %Y",
            "%H:%M %Z, %B %d, %Y",
            "%Y-%m-%dT%H:%M:%S%z",
            "%Y年%m月%d日 %H時%M分",
            "%m/%d",
            "%s",
            "%+",
            "%j %Y",
            "%a, %d %b %Y %H:%M:%S %z",
        ] {
            assert_eq!(check_format(good), Ok(()), "{good}");
        }
        for bad in [
            "%Q",
            "%B %d, %Y %Q",
            "%H:%M",
            "",
            "%Y",
            "%B %Y",
            "hello",
            "%",
        ] {
            assert!(check_format(bad).is_err(), "{bad}");
        }
        let message = check_format("%Q").expect_err("bad");
        assert!(message.contains("\"%Q\""), "{message}");
        let message = check_format("%H:%M").expect_err("bad");
        assert!(message.contains("does not name a day"), "{message}");
    }
}
