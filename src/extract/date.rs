//! Date parsing for scraped text.
//!
//! This module owns one job: turning the date text a page shows ("17:41 JST, October 13,
//! 2024", "2024年10月13日（日）17時41分", "Sun, 13 Oct 2024 08:41:00 GMT", "2 hours ago")
//! into a [`DateTime<FixedOffset>`]. It owns the normalization of that text (Unicode spaces,
//! zero-width characters, full-width digits), the site's configured strftime formats, the
//! automatic recognizers, zone abbreviations and relative dates. (Configured formats are checked
//! at load time by `config::compile::check_format`.)
//!
//! What it never does:
//! - it never reads the clock: "now" is the fetch time the caller passes in [`DateContext::now`],
//!   so results are reproducible and testable;
//! - it never invents a date: the whole text must be accounted for by one recognizer, a missing
//!   day or month is never defaulted, and implausible years (before 1900 or after 2200, such as
//!   the `0001-01-01` placeholder) are rejected. The only filled-in part is the year of a
//!   month-and-day text ("Oct 13", "10月13日"), taken from `now`;
//! - it does no IO and never panics, whatever the input.
//!
//! Order of attempts: the configured formats in order, then the automatic recognizers:
//! relative dates, RFC 3339, compact ISO 8601, Unix timestamps, then a general pipeline that
//! strips labels and weekdays, takes out the time of day (with its zone), and requires the rest
//! to be exactly one known date shape.
//!
//! Behaviour choices:
//! - Slashed or dashed numeric dates `a/b/yyyy` are read month first (US) and day first only
//!   when that is the one valid reading (`13/10/2024`); dotted ones (`13.10.2024`) are read day
//!   first. A site that writes `05/06/2024` day first should configure `%d/%m/%Y`.
//! - Two-digit years are never guessed automatically (configure `%y` if a site uses them).
//! - Unix timestamps are accepted only as exactly ten digits starting with `1` (seconds,
//!   2001-09-09 to 2033-05-18); shorter or longer digit runs are too ambiguous (ids, counts).
//! - Zone abbreviations have one fixed meaning (`IST` is India, `CST` is US Central); `ET`,
//!   `CT`, `MT` and `PT` follow their region's daylight saving time.
//! - Times without a zone are local to [`DateContext::timezone`]. A local time that falls twice
//!   (autumn DST overlap) takes the earlier instant; one that does not exist (spring DST gap) is
//!   moved forward by an hour.
//! - Relative dates ("3 days ago") subtract exactly from `now`; "today" and "yesterday" are
//!   midnight (or the given time) of that calendar day in the site's zone.
//! - Weekday names are skipped, not checked against the date.
//! - The automatic recognizers skip one leading label ("Updated:", "Published on", "更新日：");
//!   configured formats see the text with its label, so a format may include it.
//! - English month names only; relative phrases in English, Japanese, German, French and Spanish.

use std::sync::LazyLock;

use chrono::format::{Fixed, Item, Parsed, StrftimeItems};
use chrono::{
    DateTime, Datelike, Days, FixedOffset, LocalResult, Months, NaiveDate, NaiveDateTime,
    NaiveTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;
use regex::{Captures, Regex};

/// Longest text (in characters, after normalization) worth trying: real dates are short, and
/// the cap keeps a page-sized mistake in a selector from costing anything.
const MAX_DATE_CHARS: usize = 256;

/// Earliest plausible year; older results are placeholders like `0001-01-01`.
const MIN_YEAR: i32 = 1900;

/// Latest plausible year; later results are placeholders like `9999-12-31`.
const MAX_YEAR: i32 = 2200;

/// How far in the future a year-less date may land before it is taken as last year's.
const FUTURE_SLACK_DAYS: i64 = 2;

/// What a date is parsed against: the site's formats and zone, and the fetch time.
#[derive(Debug, Clone, Copy)]
pub struct DateContext<'a> {
    /// Site/field formats (strftime style, chrono syntax) tried in order before the automatic ones.
    pub formats: &'a [String],
    /// The site's zone, for times that name none.
    pub timezone: Tz,
    /// The fetch time, for relative dates ("2 hours ago").
    pub now: DateTime<Utc>,
}

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DateError {
    /// Nothing but whitespace (or zero-width characters).
    #[error("empty date text")]
    Empty,
    /// Longer than any date after normalization; `start` is its beginning, for the message.
    #[error("date text {start:?}… is too long (over {max} characters)")]
    TooLong { start: String, max: usize },
    /// No configured format and no automatic recognizer accounted for the whole text.
    #[error("could not parse date {text:?} with {}", describe_formats(.formats))]
    Unparsed { text: String, formats: Vec<String> },
}

/// The "tried" part of [`DateError::Unparsed`]'s message.
fn describe_formats(formats: &[String]) -> String {
    if formats.is_empty() {
        "the automatic formats".to_string()
    } else {
        format!("formats {formats:?} or the automatic ones")
    }
}

/// Parses the date text of a page.
///
/// Tries `ctx.formats` in order, then the automatic recognizers (see the module doc). Returns
/// an error rather than a guess when nothing accounts for the whole text.
pub fn parse_date(text: &str, ctx: &DateContext) -> Result<DateTime<FixedOffset>, DateError> {
    let text = normalize(text)?;
    ctx.formats
        .iter()
        .find_map(|format| {
            parse_with_format(&text, &normalize_format(format), ctx).filter(plausible)
        })
        .or_else(|| parse_automatic(&text, ctx))
        .ok_or_else(|| DateError::Unparsed {
            text: text.clone(),
            formats: ctx.formats.to_vec(),
        })
}

// ---------------------------------------------------------------------------------------------
// Normalization
// ---------------------------------------------------------------------------------------------

/// Folds the many ways pages write the same text into one: every Unicode space becomes one
/// ASCII space (runs collapsed, ends trimmed), zero-width characters vanish, and full-width
/// ASCII ("２０２４／１０／１３", "１７：４１") becomes ASCII. Stops as soon as the text is
/// longer than [`MAX_DATE_CHARS`], so a huge input costs nothing.
fn normalize(raw: &str) -> Result<String, DateError> {
    let mut out = String::new();
    let mut chars = 0usize;
    let mut pending_space = false;
    for c in raw.chars().filter_map(fold_char) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
        if chars > MAX_DATE_CHARS {
            return Err(DateError::TooLong {
                start: out.chars().take(40).collect(),
                max: MAX_DATE_CHARS,
            });
        }
    }
    if out.is_empty() {
        Err(DateError::Empty)
    } else {
        Ok(out)
    }
}

/// Normalizes a configured format the same way (without the length cap), so a format written
/// with a non-breaking space still matches the normalized text.
fn normalize_format(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    for c in format.chars().filter_map(fold_char) {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

/// One character of [`normalize`]: `None` drops it.
fn fold_char(c: char) -> Option<char> {
    match c {
        // Zero-width space/joiners, word joiner, byte order mark, soft hyphen.
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => None,
        // Full-width ASCII block: "２０２４", "：", "／", "（日）".
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0),
        '\u{2212}' | '\u{2010}' | '\u{2011}' => Some('-'),
        '\u{2018}' | '\u{2019}' => Some('\''),
        c => Some(c),
    }
}

// ---------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------

/// A zone named by the text: a fixed offset, or a region with daylight saving time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    Fixed(FixedOffset),
    Region(Tz),
}

/// Abbreviations with one fixed offset, in minutes east of UTC. `IST` is India, `CST` is US
/// Central: each abbreviation gets the meaning feeds most often use.
const FIXED_ABBREVIATIONS: &[(&str, i32)] = &[
    ("UTC", 0),
    ("UT", 0),
    ("GMT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("IST", 330),
    ("SGT", 480),
    ("HKT", 480),
    ("AWST", 480),
    ("JST", 540),
    ("KST", 540),
    ("ACST", 570),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("NZDT", 780),
    ("HST", -600),
    ("AKST", -540),
    ("AKDT", -480),
    ("PST", -480),
    ("PDT", -420),
    ("MST", -420),
    ("MDT", -360),
    ("CST", -360),
    ("CDT", -300),
    ("EST", -300),
    ("EDT", -240),
];

/// Generic North American abbreviations, which follow daylight saving time.
const REGION_ABBREVIATIONS: &[(&str, Tz)] = &[
    ("ET", Tz::America__New_York),
    ("CT", Tz::America__Chicago),
    ("MT", Tz::America__Denver),
    ("PT", Tz::America__Los_Angeles),
];

/// The zone an abbreviation stands for (case-sensitive: "est" is a word, "EST" a zone).
fn zone_for_abbreviation(name: &str) -> Option<Zone> {
    if let Some(&(_, minutes)) = FIXED_ABBREVIATIONS.iter().find(|(n, _)| *n == name) {
        return FixedOffset::east_opt(minutes * 60).map(Zone::Fixed);
    }
    REGION_ABBREVIATIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, tz)| Zone::Region(tz))
}

/// A regex alternation of every known abbreviation, longest first.
fn abbreviation_alternation() -> String {
    let mut names: Vec<&str> = FIXED_ABBREVIATIONS
        .iter()
        .map(|(n, _)| *n)
        .chain(REGION_ABBREVIATIONS.iter().map(|(n, _)| *n))
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.join("|")
}

/// Parses the zone text captured after a time: "Z", "+09:00", "+0900", "UTC+9", "JST", "(JST)".
fn parse_zone(text: &str) -> Option<Zone> {
    let text = text.trim().trim_start_matches('(').trim_end_matches(')');
    if text.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0).map(Zone::Fixed);
    }
    if let Some(offset) = text
        .strip_prefix("UTC")
        .or_else(|| text.strip_prefix("GMT"))
        .filter(|rest| !rest.is_empty())
    {
        return parse_numeric_offset(offset).map(Zone::Fixed);
    }
    if text.starts_with(['+', '-']) {
        return parse_numeric_offset(text).map(Zone::Fixed);
    }
    zone_for_abbreviation(text)
}

/// Parses "+09:00", "+0900", "+09", "+9", "-5:30" (real offsets are within ±14 hours).
fn parse_numeric_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = if let Some(rest) = text.strip_prefix('+') {
        (1, rest)
    } else {
        (-1, text.strip_prefix('-')?)
    };
    let digits: String = rest.chars().filter(|&c| c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 | 4 => {
            let (h, m) = digits.split_at(digits.len() - 2);
            (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
        }
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Runs of ASCII letters, with their byte ranges: the candidates for zone abbreviations.
static LETTER_RUN: LazyLock<Regex> = LazyLock::new(|| compile("[A-Za-z]+"));

/// The first known zone abbreviation in `text`, with its byte range.
fn find_abbreviation(text: &str) -> Option<(&str, Zone, std::ops::Range<usize>)> {
    LETTER_RUN
        .find_iter(text)
        .find_map(|m| zone_for_abbreviation(m.as_str()).map(|zone| (m.as_str(), zone, m.range())))
}

/// Turns a local date and time into an instant in `zone`, without failing on daylight saving
/// time: an ambiguous time takes the earlier instant, a skipped one moves forward an hour.
fn resolve(datetime: NaiveDateTime, zone: Zone) -> Option<DateTime<FixedOffset>> {
    match zone {
        Zone::Fixed(offset) => offset.from_local_datetime(&datetime).single(),
        Zone::Region(tz) => match tz.from_local_datetime(&datetime) {
            LocalResult::Single(dt) => Some(dt.fixed_offset()),
            LocalResult::Ambiguous(a, b) => Some(a.min(b).fixed_offset()),
            LocalResult::None => {
                let later = datetime.checked_add_signed(TimeDelta::hours(1))?;
                tz.from_local_datetime(&later)
                    .earliest()
                    .map(|dt| dt.fixed_offset())
            }
        },
    }
}

/// Fills in the year of a month-and-day date: this year (in the site's zone), unless that is
/// more than [`FUTURE_SLACK_DAYS`] after `now` (or does not exist, like February 29), in which
/// case last year. A listing's "Dec 30" seen on January 2 is last December's.
fn with_inferred_year(
    ctx: &DateContext,
    build: impl Fn(i32) -> Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    let year = ctx.now.with_timezone(&ctx.timezone).year();
    let latest = ctx
        .now
        .checked_add_signed(TimeDelta::days(FUTURE_SLACK_DAYS))?;
    match build(year) {
        Some(dt) if dt <= latest => Some(dt),
        _ => build(year.checked_sub(1)?),
    }
}

/// Whether a result is a real publication date rather than a placeholder.
fn plausible(dt: &DateTime<FixedOffset>) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&dt.year())
}

/// Expresses an instant in the site's zone (for relative dates, which name no zone).
fn in_site_zone(instant: DateTime<Utc>, ctx: &DateContext) -> DateTime<FixedOffset> {
    instant.with_timezone(&ctx.timezone).fixed_offset()
}

// ---------------------------------------------------------------------------------------------
// Configured formats
// ---------------------------------------------------------------------------------------------

/// Parses `text` with one configured strftime format.
///
/// Zones: an offset field (`%z`, `%:z`) wins; otherwise a known abbreviation written literally
/// in the format ("%H:%M JST, …") applies; `%Z`, which chrono cannot parse, is replaced by the
/// abbreviation found in the text; and an abbreviation in the text that the format does not
/// mention is taken out of the text and applied. Anything else is local to the site's zone.
fn parse_with_format(text: &str, format: &str, ctx: &DateContext) -> Option<DateTime<FixedOffset>> {
    let found = find_abbreviation(text);
    if format_has_zone_name(format) {
        let (name, zone, _) = found?;
        let format = replace_zone_name(format, name);
        return parse_fields(text, &format).and_then(|p| finish_parsed(&p, Some(zone), ctx));
    }
    let literal_zone = abbreviation_in_format_literals(format);
    if let Some(dt) = parse_fields(text, format).and_then(|p| finish_parsed(&p, literal_zone, ctx))
    {
        return Some(dt);
    }
    if literal_zone.is_some() {
        return None;
    }
    let (_, zone, range) = found?;
    let without_zone = remove_range(text, range);
    parse_fields(&without_zone, format).and_then(|p| finish_parsed(&p, Some(zone), ctx))
}

/// Runs chrono's parser; `None` unless the format accounts for the whole text.
fn parse_fields(text: &str, format: &str) -> Option<Parsed> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, StrftimeItems::new(format)).ok()?;
    Some(parsed)
}

/// Whether the format has `%Z`, which chrono parses by skipping a word (punctuation included).
fn format_has_zone_name(format: &str) -> bool {
    StrftimeItems::new(format).any(|item| matches!(item, Item::Fixed(Fixed::TimezoneName)))
}

/// Replaces each `%Z` (but not `%%Z`) by the literal abbreviation.
fn replace_zone_name(format: &str, name: &str) -> String {
    let mut out = String::with_capacity(format.len() + name.len());
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Z') => out.push_str(name),
            Some(next) => {
                out.push('%');
                out.push(next);
            }
            None => out.push('%'),
        }
    }
    out
}

/// A known zone abbreviation written literally in the format ("%H:%M JST", "%SZ").
fn abbreviation_in_format_literals(format: &str) -> Option<Zone> {
    let mut literals = String::new();
    for item in StrftimeItems::new(format) {
        match item {
            Item::Literal(s) => literals.push_str(s),
            Item::OwnedLiteral(s) => literals.push_str(&s),
            _ => literals.push(' '),
        }
    }
    find_abbreviation(&literals).map(|(_, zone, _)| zone)
}

/// Removes a byte range (a whole abbreviation) from the text, mending the spacing around it:
/// "17:41 JST, October 13" becomes "17:41, October 13".
fn remove_range(text: &str, range: std::ops::Range<usize>) -> String {
    let before = text.get(..range.start).unwrap_or("").trim_end();
    let after = text.get(range.end..).unwrap_or("").trim_start();
    let glue = if !before.is_empty() && after.starts_with(|c: char| c.is_alphanumeric()) {
        " "
    } else {
        ""
    };
    format!("{before}{glue}{after}")
}

/// Builds the instant from chrono's parsed fields: timestamp if any; otherwise the date (with
/// the year inferred if the format has none), the time (midnight if the format has none; minute
/// 0 if only an hour), and the zone.
fn finish_parsed(
    parsed: &Parsed,
    zone: Option<Zone>,
    ctx: &DateContext,
) -> Option<DateTime<FixedOffset>> {
    if parsed.timestamp().is_some() {
        return parsed
            .to_datetime_with_timezone(&ctx.timezone)
            .ok()
            .map(|dt| dt.fixed_offset());
    }
    let has_year = parsed.year().is_some()
        || parsed.year_div_100().is_some()
        || parsed.year_mod_100().is_some()
        || parsed.isoyear().is_some()
        || parsed.isoyear_div_100().is_some()
        || parsed.isoyear_mod_100().is_some();
    if has_year {
        return finish_dated(parsed, zone, ctx);
    }
    with_inferred_year(ctx, |year| {
        let mut with_year = parsed.clone();
        with_year.set_year(i64::from(year)).ok()?;
        finish_dated(&with_year, zone, ctx)
    })
}

/// [`finish_parsed`] once the year is known.
fn finish_dated(
    parsed: &Parsed,
    zone: Option<Zone>,
    ctx: &DateContext,
) -> Option<DateTime<FixedOffset>> {
    let date = parsed.to_naive_date().ok()?;
    let has_time = parsed.hour_div_12().is_some()
        || parsed.hour_mod_12().is_some()
        || parsed.minute().is_some();
    let time = if has_time {
        let mut fields = parsed.clone();
        if fields.minute().is_none() {
            fields.set_minute(0).ok()?;
        }
        fields.to_naive_time().ok()?
    } else {
        NaiveTime::MIN
    };
    let datetime = date.and_time(time);
    match parsed.offset() {
        Some(seconds) => FixedOffset::east_opt(seconds)?
            .from_local_datetime(&datetime)
            .single(),
        None => resolve(datetime, zone.unwrap_or(Zone::Region(ctx.timezone))),
    }
}

// ---------------------------------------------------------------------------------------------
// Automatic recognizers
// ---------------------------------------------------------------------------------------------

/// Compiles a constant pattern (a bug in the pattern is a bug here, not in the input).
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant date regex compiles")
}

/// The automatic recognizers, most specific first; implausible years are refused.
fn parse_automatic(text: &str, ctx: &DateContext) -> Option<DateTime<FixedOffset>> {
    let text = strip_label(text);
    parse_relative(text, ctx)
        .or_else(|| DateTime::parse_from_rfc3339(text).ok())
        .or_else(|| parse_compact_iso(text, ctx))
        .or_else(|| parse_unix_seconds(text, ctx))
        .or_else(|| parse_general(text, ctx))
        .filter(plausible)
}

/// A leading "Updated:", "Published on", "更新日：" label, which says nothing about the date.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:(?i:last updated|last modified|updated|published|posted)(?i: on| at)?(?: ?: ?| )|(?:更新|公開|投稿|配信|掲載)(?:日時|日)? ?:? ?)",
    )
});

/// Removes a [`LABEL`], if any.
fn strip_label(text: &str) -> &str {
    match LABEL.find(text) {
        Some(m) if m.end() < text.len() => &text[m.end()..],
        _ => text,
    }
}

/// Compact ISO 8601 ("20241013T174100+0900"); only with the `T`, since eight bare digits are
/// as likely an id as a date.
static COMPACT_ISO: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?P<y>[0-9]{4})(?P<mo>[0-9]{2})(?P<d>[0-9]{2})[Tt](?P<h>[0-9]{2})(?P<m>[0-9]{2})(?P<s>[0-9]{2})?(?:[.,](?P<frac>[0-9]+))?(?P<zone>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$",
    )
});

/// Parses [`COMPACT_ISO`].
fn parse_compact_iso(text: &str, ctx: &DateContext) -> Option<DateTime<FixedOffset>> {
    let caps = COMPACT_ISO.captures(text)?;
    let date = NaiveDate::from_ymd_opt(
        number(&caps, "y")?.try_into().ok()?,
        number(&caps, "mo")?,
        number(&caps, "d")?,
    )?;
    let time = time_from_captures(&caps)?;
    assemble(DateSpec::Full(date), Some(time), ctx)
}

/// Ten digits starting with 1: Unix seconds between 2001 and 2033 (see the module doc).
static UNIX_SECONDS: LazyLock<Regex> = LazyLock::new(|| compile(r"^1[0-9]{9}$"));

/// Parses [`UNIX_SECONDS`], in the site's zone.
fn parse_unix_seconds(text: &str, ctx: &DateContext) -> Option<DateTime<FixedOffset>> {
    if !UNIX_SECONDS.is_match(text) {
        return None;
    }
    let seconds: i64 = text.parse().ok()?;
    let instant = Utc.timestamp_opt(seconds, 0).single()?;
    Some(in_site_zone(instant, ctx))
}

/// The general pipeline: skip weekdays, take out the time of day (with its zone), and require
/// what is left to be exactly one date shape.
fn parse_general(text: &str, ctx: &DateContext) -> Option<DateTime<FixedOffset>> {
    let text = strip_weekdays(text);
    let (time, rest) = match find_time(&text) {
        Some((time, range)) => (Some(time), residue_around(&text, range)),
        None => (None, trim_separators(&text).to_string()),
    };
    let date = match_date(&rest)?;
    assemble(date, time, ctx)
}

/// Puts a date shape, a time and a zone together.
fn assemble(
    date: DateSpec,
    time: Option<TimeParts>,
    ctx: &DateContext,
) -> Option<DateTime<FixedOffset>> {
    let clock = match &time {
        Some(time) => time.to_naive()?,
        None => NaiveTime::MIN,
    };
    let zone = time
        .and_then(|t| t.zone)
        .unwrap_or(Zone::Region(ctx.timezone));
    let at = |day: NaiveDate| resolve(day.and_time(clock), zone);
    match date {
        DateSpec::Full(day) => at(day),
        DateSpec::YearLess { month, day } => {
            with_inferred_year(ctx, |year| at(NaiveDate::from_ymd_opt(year, month, day)?))
        }
        DateSpec::DaysBack(days) => {
            let today = ctx.now.with_timezone(&ctx.timezone).date_naive();
            at(today.checked_sub_days(Days::new(days))?)
        }
    }
}

/// Parses a named group of ASCII digits (the patterns only capture `[0-9]`).
fn number(caps: &Captures, name: &str) -> Option<u32> {
    caps.name(name)?.as_str().parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Weekdays and separators
// ---------------------------------------------------------------------------------------------

/// A leading English weekday ("Sunday, ", "Sun, ", "Tues. ").
static LEADING_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\b\.?,? ?",
    )
});

/// A weekday anywhere in parentheses ("（日）", "(Sun)") or a Japanese one ("日曜日").
static OTHER_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r" ?\((?:[日月火水木金土](?:曜日?)?|(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?)\)|[日月火水木金土]曜日?",
    )
});

/// Removes weekday names, which add nothing once the date is known.
fn strip_weekdays(text: &str) -> String {
    let text = match LEADING_WEEKDAY.find(text) {
        Some(m) => &text[m.end()..],
        None => text,
    };
    OTHER_WEEKDAY.replace_all(text, " ").trim().to_string()
}

/// Punctuation that only separates a date from its time.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '|' | '@' | '·' | '•' | '-' | '–' | '—' | '/')
}

/// Trims [`is_separator`] characters from both ends.
fn trim_separators(text: &str) -> &str {
    text.trim_matches(is_separator)
}

/// Words that join a date to its time ("today at 9:00", "hier à 17:41", "gestern um 17:41").
const CONNECTOR_WORDS: &[&str] = &["at", "um", "à", "a las", "a la", "alle", "le", "on"];

/// Words that may follow a time ("17:41 Uhr") or introduce the date after it ("9:00 on …").
const LEADING_WORDS: &[&str] = &["uhr", "on", "le", "el", "am"];

/// What is left of the text once the time in `range` is taken out: the part before (minus a
/// trailing connector or ISO `T`) joined to the part after (minus a leading connector).
fn residue_around(text: &str, range: std::ops::Range<usize>) -> String {
    let before = trim_trailing_connectors(text.get(..range.start).unwrap_or(""));
    let after = trim_leading_connectors(text.get(range.end..).unwrap_or(""));
    match (before.is_empty(), after.is_empty()) {
        (true, _) => after.to_string(),
        (_, true) => before.to_string(),
        _ => format!("{before} {after}"),
    }
}

/// Repeatedly trims separators, connector words and an ISO `T` from the end.
fn trim_trailing_connectors(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_end_matches(is_separator);
        let trimmed = CONNECTOR_WORDS
            .iter()
            .find_map(|word| strip_word_suffix(trimmed, word))
            .unwrap_or(trimmed);
        let trimmed = strip_iso_t(trimmed).unwrap_or(trimmed);
        if trimmed.len() == text.len() {
            return trimmed;
        }
        text = trimmed;
    }
}

/// Repeatedly trims separators and leading words from the start.
fn trim_leading_connectors(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start_matches(is_separator);
        let trimmed = LEADING_WORDS
            .iter()
            .find_map(|word| strip_word_prefix(trimmed, word))
            .unwrap_or(trimmed);
        if trimmed.len() == text.len() {
            return trimmed;
        }
        text = trimmed;
    }
}

/// `text` without a final whole `word` (ASCII case-insensitive).
fn strip_word_suffix<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let cut = text.len().checked_sub(word.len())?;
    let (head, tail) = (text.get(..cut)?, text.get(cut..)?);
    (tail.eq_ignore_ascii_case(word) && (head.is_empty() || head.ends_with(' '))).then_some(head)
}

/// `text` without a leading whole `word` (ASCII case-insensitive).
fn strip_word_prefix<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let (head, tail) = (text.get(..word.len())?, text.get(word.len()..)?);
    (head.eq_ignore_ascii_case(word) && (tail.is_empty() || tail.starts_with(' '))).then_some(tail)
}

/// `text` without the `T` of "2024-10-13T" (only right after a digit).
fn strip_iso_t(text: &str) -> Option<&str> {
    let head = text.strip_suffix(['T', 't'])?;
    head.ends_with(|c: char| c.is_ascii_digit()).then_some(head)
}

// ---------------------------------------------------------------------------------------------
// Times of day
// ---------------------------------------------------------------------------------------------

/// Morning or afternoon, from "AM"/"p.m." or "午前"/"午後".
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meridiem {
    Am,
    Pm,
}

/// A time of day as written, with its zone if the text names one.
#[derive(Debug, Clone, Copy)]
struct TimeParts {
    hour: u32,
    minute: u32,
    second: u32,
    nano: u32,
    meridiem: Option<Meridiem>,
    zone: Option<Zone>,
}

impl TimeParts {
    /// The 24-hour clock time; `None` for "13:00 PM", "25:00", "17:60".
    fn to_naive(self) -> Option<NaiveTime> {
        let hour = match self.meridiem {
            None => self.hour,
            Some(_) if self.hour > 12 => return None,
            Some(Meridiem::Am) => self.hour % 12,
            Some(Meridiem::Pm) => self.hour % 12 + 12,
        };
        NaiveTime::from_hms_nano_opt(hour, self.minute, self.second, self.nano)
    }
}

/// English AM/PM marker, with or without dots.
const AMPM_PATTERN: &str = r"(?i:[ap]\.m\.?|[ap]m\b)";

/// A zone after a time: "Z", "+09:00", "UTC+9", "JST", "(JST)".
fn zone_pattern() -> String {
    let names = abbreviation_alternation();
    format!(
        r"[Zz]\b|[+-][0-9]{{2}}(?::?[0-9]{{2}})?\b|(?:UTC|GMT)[+-][0-9]{{1,2}}(?::?[0-9]{{2}})?\b|\((?:{names})\)|(?:{names})\b"
    )
}

/// Fills the `{AMPM}` and `{ZONE}` placeholders of a time pattern and compiles it.
fn compile_time_pattern(pattern: &str) -> Regex {
    compile(
        &pattern
            .replace("{AMPM}", AMPM_PATTERN)
            .replace("{ZONE}", &zone_pattern()),
    )
}

/// "17:41", "5:41:09.5 p.m. JST", "午後5:41", "17:41:00+09:00". The leading non-digit keeps it
/// from starting inside a number; the `time` group is the part to take out.
static TIME_COLON: LazyLock<Regex> = LazyLock::new(|| {
    compile_time_pattern(
        r"(?:^|[^0-9])(?P<time>(?:(?P<jp>午前|午後) ?)?(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2})(?:[.,](?P<frac>[0-9]+))?)?(?: ?(?P<ampm>{AMPM}))?(?: ?(?P<zone>{ZONE}))?)",
    )
});

/// "17時41分", "午後5時41分30秒", "17時", "5時半".
static TIME_KANJI: LazyLock<Regex> = LazyLock::new(|| {
    compile_time_pattern(
        r"(?:^|[^0-9])(?P<time>(?:(?P<jp>午前|午後) ?)?(?P<h>[0-9]{1,2}) ?時 ?(?:(?P<half>半)|(?P<m>[0-9]{1,2}) ?分(?: ?(?P<s>[0-9]{1,2}) ?秒)?)?(?: ?(?P<zone>{ZONE}))?)",
    )
});

/// "5 PM", "5p.m. EST".
static TIME_HOUR_AMPM: LazyLock<Regex> = LazyLock::new(|| {
    compile_time_pattern(
        r"(?:^|[^0-9:.])(?P<time>(?P<h>[0-9]{1,2}) ?(?P<ampm>{AMPM})(?: ?(?P<zone>{ZONE}))?)",
    )
});

/// The first time of day in the text, with the byte range to take out.
fn find_time(text: &str) -> Option<(TimeParts, std::ops::Range<usize>)> {
    [&*TIME_COLON, &*TIME_KANJI, &*TIME_HOUR_AMPM]
        .into_iter()
        .find_map(|re| {
            let caps = re.captures(text)?;
            let range = caps.name("time")?.range();
            Some((time_from_captures(&caps)?, range))
        })
}

/// Reads the groups shared by the time patterns (h, m, s, frac, half, jp, ampm, zone); a
/// zone that does not parse fails the whole time rather than being ignored.
fn time_from_captures(caps: &Captures) -> Option<TimeParts> {
    let minute = if caps.name("half").is_some() {
        30
    } else {
        optional_number(caps, "m")?.unwrap_or(0)
    };
    let nano = match caps.name("frac") {
        Some(m) => fraction_to_nanos(m.as_str())?,
        None => 0,
    };
    let zone = match caps.name("zone") {
        Some(m) => Some(parse_zone(m.as_str())?),
        None => None,
    };
    Some(TimeParts {
        hour: number(caps, "h")?,
        minute,
        second: optional_number(caps, "s")?.unwrap_or(0),
        nano,
        meridiem: meridiem(caps)?,
        zone,
    })
}

/// `Some(None)` when the group is absent, `None` when it is present but not a number.
fn optional_number(caps: &Captures, name: &str) -> Option<Option<u32>> {
    match caps.name(name) {
        None => Some(None),
        Some(m) => m.as_str().parse().ok().map(Some),
    }
}

/// Fractional seconds to nanoseconds ("5" → 500 000 000); digits beyond the ninth are dropped.
fn fraction_to_nanos(digits: &str) -> Option<u32> {
    let mut padded: String = digits.chars().take(9).collect();
    while padded.len() < 9 {
        padded.push('0');
    }
    padded.parse().ok()
}

/// The meridiem from "午前/午後" or "AM/PM"; `None` (failure) if the two disagree.
fn meridiem(caps: &Captures) -> Option<Option<Meridiem>> {
    let japanese = caps.name("jp").map(|m| {
        if m.as_str() == "午前" {
            Meridiem::Am
        } else {
            Meridiem::Pm
        }
    });
    let english = caps.name("ampm").map(|m| {
        if m.as_str().starts_with(['a', 'A']) {
            Meridiem::Am
        } else {
            Meridiem::Pm
        }
    });
    match (japanese, english) {
        (Some(a), Some(b)) if a != b => None,
        (a, b) => Some(a.or(b)),
    }
}

// ---------------------------------------------------------------------------------------------
// Date shapes
// ---------------------------------------------------------------------------------------------

/// What the date part of the text says.
#[derive(Debug, Clone, Copy)]
enum DateSpec {
    /// A complete calendar date.
    Full(NaiveDate),
    /// Month and day; the year comes from [`with_inferred_year`].
    YearLess { month: u32, day: u32 },
    /// "today" (0), "yesterday" (1), "一昨日" (2), in the site's zone.
    DaysBack(u64),
}

/// "2024-10-13", "2024/10/13", "2024.10.13".
static YEAR_MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"^(?P<y>[0-9]{4})(?P<s1>[-/.])(?P<m>[0-9]{1,2})(?P<s2>[-/.])(?P<d>[0-9]{1,2})$")
});

/// "10/13/2024", "13/10/2024", "13.10.2024", "13-10-2024".
static NUMERIC_DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"^(?P<a>[0-9]{1,2})(?P<s1>[-/.])(?P<b>[0-9]{1,2})(?P<s2>[-/.])(?P<y>[0-9]{4})$")
});

/// "October 13, 2024", "Oct. 13 2024", "Sept 3rd, 2024", "Oct-13-2024", "Oct 13".
static MONTH_NAME_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i)^(?P<mon>[a-z]+)(?:\. ?|[ /-])(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?(?:(?:, ?|[ /-])(?P<y>[0-9]{4}))?$",
    )
});

/// "13 October 2024", "13th of Oct. 2024", "13-Oct-2024", "13 October".
static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i)^(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\.?(?: of)?[ /-](?P<mon>[a-z]+)\.?(?:(?:, ?|[ /-])(?P<y>[0-9]{4}))?$",
    )
});

/// "2024年10月13日", "令和6年10月13日", "令和元年5月1日", "10月13日".
static JAPANESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:(?:(?P<era>令和|平成|昭和) ?(?P<ey>[0-9]{1,2}|元)|(?P<y>[0-9]{4})) ?年 ?)?(?P<m>[0-9]{1,2}) ?月 ?(?P<d>[0-9]{1,2}) ?日$",
    )
});

/// English month names and abbreviations, lowercase.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// Words for "today", "yesterday" and "the day before", with how many days back they are.
const DAY_WORDS: &[(&str, u64)] = &[
    ("today", 0),
    ("今日", 0),
    ("本日", 0),
    ("heute", 0),
    ("aujourd'hui", 0),
    ("hoy", 0),
    ("yesterday", 1),
    ("昨日", 1),
    ("gestern", 1),
    ("hier", 1),
    ("ayer", 1),
    ("一昨日", 2),
    ("おととい", 2),
    ("vorgestern", 2),
    ("avant-hier", 2),
    ("anteayer", 2),
];

/// Japanese eras: the Gregorian year before each era's first year.
const ERAS: &[(&str, i32)] = &[("令和", 2018), ("平成", 1988), ("昭和", 1925)];

/// Matches the date left after the time was taken out; it must be the whole text.
fn match_date(text: &str) -> Option<DateSpec> {
    let lower = text.to_lowercase();
    if let Some(&(_, days)) = DAY_WORDS.iter().find(|(word, _)| *word == lower) {
        return Some(DateSpec::DaysBack(days));
    }
    year_month_day(text)
        .or_else(|| numeric_day_month(text))
        .or_else(|| month_name_date(text))
        .or_else(|| japanese_date(text))
}

/// Parses [`YEAR_MONTH_DAY`] (both separators must agree).
fn year_month_day(text: &str) -> Option<DateSpec> {
    let caps = YEAR_MONTH_DAY.captures(text)?;
    if caps.name("s1")?.as_str() != caps.name("s2")?.as_str() {
        return None;
    }
    let year = number(&caps, "y")?.try_into().ok()?;
    NaiveDate::from_ymd_opt(year, number(&caps, "m")?, number(&caps, "d")?).map(DateSpec::Full)
}

/// Parses [`NUMERIC_DAY_MONTH`]: dotted is day first, slashed or dashed month first; the other
/// order is used only when the preferred one is not a valid date.
fn numeric_day_month(text: &str) -> Option<DateSpec> {
    let caps = NUMERIC_DAY_MONTH.captures(text)?;
    let separator = caps.name("s1")?.as_str();
    if separator != caps.name("s2")?.as_str() {
        return None;
    }
    let (a, b) = (number(&caps, "a")?, number(&caps, "b")?);
    let year = number(&caps, "y")?.try_into().ok()?;
    let (preferred, other) = if separator == "." {
        ((b, a), (a, b))
    } else {
        ((a, b), (b, a))
    };
    NaiveDate::from_ymd_opt(year, preferred.0, preferred.1)
        .or_else(|| NaiveDate::from_ymd_opt(year, other.0, other.1))
        .map(DateSpec::Full)
}

/// Parses [`MONTH_NAME_FIRST`] and [`DAY_FIRST`].
fn month_name_date(text: &str) -> Option<DateSpec> {
    let caps = MONTH_NAME_FIRST
        .captures(text)
        .or_else(|| DAY_FIRST.captures(text))?;
    let name = caps.name("mon")?.as_str().to_lowercase();
    let &(_, month) = MONTHS.iter().find(|(n, _)| *n == name)?;
    let day = number(&caps, "d")?;
    match caps.name("y") {
        Some(y) => {
            let year = y.as_str().parse().ok()?;
            NaiveDate::from_ymd_opt(year, month, day).map(DateSpec::Full)
        }
        None => year_less(month, day),
    }
}

/// Parses [`JAPANESE_DATE`], converting era years.
fn japanese_date(text: &str) -> Option<DateSpec> {
    let caps = JAPANESE_DATE.captures(text)?;
    let (month, day) = (number(&caps, "m")?, number(&caps, "d")?);
    let year: i32 = if let Some(era) = caps.name("era") {
        let &(_, base) = ERAS.iter().find(|(name, _)| *name == era.as_str())?;
        let era_year = match caps.name("ey")?.as_str() {
            "元" => 1,
            digits => digits.parse::<i32>().ok().filter(|&n| n >= 1)?,
        };
        base.checked_add(era_year)?
    } else if let Some(y) = caps.name("y") {
        y.as_str().parse().ok()?
    } else {
        return year_less(month, day);
    };
    NaiveDate::from_ymd_opt(year, month, day).map(DateSpec::Full)
}

/// A month and day that could exist in some year (rejects "2月30日" before inferring a year).
fn year_less(month: u32, day: u32) -> Option<DateSpec> {
    NaiveDate::from_ymd_opt(2000, month, day)?;
    Some(DateSpec::YearLess { month, day })
}

// ---------------------------------------------------------------------------------------------
// Relative dates
// ---------------------------------------------------------------------------------------------

/// A unit of "… ago".
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

/// Unit words of every supported language, lowercase (one table, so the patterns stay short).
const UNIT_WORDS: &[(&str, Unit)] = &[
    ("s", Unit::Seconds),
    ("sec", Unit::Seconds),
    ("secs", Unit::Seconds),
    ("second", Unit::Seconds),
    ("seconds", Unit::Seconds),
    ("sekunde", Unit::Seconds),
    ("sekunden", Unit::Seconds),
    ("seconde", Unit::Seconds),
    ("secondes", Unit::Seconds),
    ("segundo", Unit::Seconds),
    ("segundos", Unit::Seconds),
    ("秒", Unit::Seconds),
    ("m", Unit::Minutes),
    ("min", Unit::Minutes),
    ("mins", Unit::Minutes),
    ("minute", Unit::Minutes),
    ("minutes", Unit::Minutes),
    ("minuten", Unit::Minutes),
    ("minuto", Unit::Minutes),
    ("minutos", Unit::Minutes),
    ("分", Unit::Minutes),
    ("h", Unit::Hours),
    ("hr", Unit::Hours),
    ("hrs", Unit::Hours),
    ("hour", Unit::Hours),
    ("hours", Unit::Hours),
    ("stunde", Unit::Hours),
    ("stunden", Unit::Hours),
    ("heure", Unit::Hours),
    ("heures", Unit::Hours),
    ("hora", Unit::Hours),
    ("horas", Unit::Hours),
    ("時間", Unit::Hours),
    ("d", Unit::Days),
    ("day", Unit::Days),
    ("days", Unit::Days),
    ("tag", Unit::Days),
    ("tage", Unit::Days),
    ("tagen", Unit::Days),
    ("jour", Unit::Days),
    ("jours", Unit::Days),
    ("día", Unit::Days),
    ("días", Unit::Days),
    ("dia", Unit::Days),
    ("dias", Unit::Days),
    ("日", Unit::Days),
    ("w", Unit::Weeks),
    ("wk", Unit::Weeks),
    ("wks", Unit::Weeks),
    ("week", Unit::Weeks),
    ("weeks", Unit::Weeks),
    ("woche", Unit::Weeks),
    ("wochen", Unit::Weeks),
    ("semaine", Unit::Weeks),
    ("semaines", Unit::Weeks),
    ("semana", Unit::Weeks),
    ("semanas", Unit::Weeks),
    ("週", Unit::Weeks),
    ("週間", Unit::Weeks),
    ("mo", Unit::Months),
    ("mos", Unit::Months),
    ("month", Unit::Months),
    ("months", Unit::Months),
    ("monat", Unit::Months),
    ("monate", Unit::Months),
    ("monaten", Unit::Months),
    ("mois", Unit::Months),
    ("mes", Unit::Months),
    ("meses", Unit::Months),
    ("か月", Unit::Months),
    ("ヶ月", Unit::Months),
    ("ケ月", Unit::Months),
    ("カ月", Unit::Months),
    ("ヵ月", Unit::Months),
    ("y", Unit::Years),
    ("yr", Unit::Years),
    ("yrs", Unit::Years),
    ("year", Unit::Years),
    ("years", Unit::Years),
    ("jahr", Unit::Years),
    ("jahre", Unit::Years),
    ("jahren", Unit::Years),
    ("an", Unit::Years),
    ("ans", Unit::Years),
    ("année", Unit::Years),
    ("années", Unit::Years),
    ("año", Unit::Years),
    ("años", Unit::Years),
    ("年", Unit::Years),
];

/// Words meaning "one" in "an hour ago", "vor einer Stunde", "il y a une heure", "hace un día".
const ONE_WORDS: &[&str] = &[
    "a", "an", "one", "ein", "eine", "einer", "einem", "un", "une", "una",
];

/// Phrases meaning "now".
const NOW_WORDS: &[&str] = &[
    "now",
    "just now",
    "right now",
    "moments ago",
    "a moment ago",
    "a few seconds ago",
    "たった今",
    "今",
    "jetzt",
    "gerade eben",
    "soeben",
    "à l'instant",
    "a l'instant",
    "maintenant",
    "ahora",
    "ahora mismo",
    "justo ahora",
    "hace un momento",
];

/// "… ago" in each language: a count (`n`) and a unit word (`unit`).
static RELATIVE: LazyLock<[Regex; 5]> = LazyLock::new(|| {
    [
        compile(
            r"(?i)^(?:about |around |over |almost |nearly |roughly )?(?P<n>[0-9]+|an?|one) ?(?P<unit>[a-z]+)\.? ago$",
        ),
        compile(
            r"(?i)^vor (?:etwa |ca\. |über |fast )?(?P<n>[0-9]+|einer|einem|eine|ein) ?(?P<unit>[a-zäöü]+)$",
        ),
        compile(
            r"(?i)^il y a (?:environ |plus de |presque )?(?P<n>[0-9]+|une|un) ?(?P<unit>[a-zéè]+)$",
        ),
        compile(
            r"(?i)^hace (?:unos |unas |aproximadamente |casi |más de )?(?P<n>[0-9]+|una|un) ?(?P<unit>[a-zíñ]+)$",
        ),
        compile(
            r"^(?:約 ?)?(?P<n>[0-9]+) ?(?P<unit>秒|分|時間|日|週間|週|か月|ヶ月|ケ月|カ月|ヵ月|年) ?前$",
        ),
    ]
});

/// "2 hours ago", "3日前", "vor 2 Stunden", "il y a 2 heures", "hace 2 horas", "just now":
/// exactly that long before `now`, in the site's zone.
fn parse_relative(text: &str, ctx: &DateContext) -> Option<DateTime<FixedOffset>> {
    let lower = text.to_lowercase();
    if NOW_WORDS.contains(&lower.as_str()) {
        return Some(in_site_zone(ctx.now, ctx));
    }
    let caps = RELATIVE.iter().find_map(|re| re.captures(&lower))?;
    let count = caps.name("n")?.as_str();
    let count: u32 = if ONE_WORDS.contains(&count) {
        1
    } else {
        count.parse().ok()?
    };
    let unit_word = caps.name("unit")?.as_str();
    let &(_, unit) = UNIT_WORDS.iter().find(|(word, _)| *word == unit_word)?;
    go_back(ctx.now, count, unit).map(|instant| in_site_zone(instant, ctx))
}

/// `now` minus `count` units, or `None` on overflow. Months and years are calendar months.
fn go_back(now: DateTime<Utc>, count: u32, unit: Unit) -> Option<DateTime<Utc>> {
    let seconds_per_unit: i64 = match unit {
        Unit::Seconds => 1,
        Unit::Minutes => 60,
        Unit::Hours => 3_600,
        Unit::Days => 86_400,
        Unit::Weeks => 604_800,
        Unit::Months => return now.checked_sub_months(Months::new(count)),
        Unit::Years => return now.checked_sub_months(Months::new(count.checked_mul(12)?)),
    };
    let seconds = i64::from(count).checked_mul(seconds_per_unit)?;
    now.checked_sub_signed(TimeDelta::try_seconds(seconds)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fetch time for all tests: 2024-10-14 09:00 in Tokyo.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 10, 14, 0, 0, 0)
            .single()
            .expect("valid test time")
    }

    fn ctx_with<'a>(formats: &'a [String], timezone: Tz) -> DateContext<'a> {
        DateContext {
            formats,
            timezone,
            now: now(),
        }
    }

    fn parse(formats: &[&str], timezone: Tz, input: &str) -> Result<String, DateError> {
        let formats: Vec<String> = formats.iter().map(|f| f.to_string()).collect();
        parse_date(input, &ctx_with(&formats, timezone)).map(|dt| dt.to_rfc3339())
    }

    /// Automatic parsing in Tokyo.
    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(
            parse(&[], Tz::Asia__Tokyo, input).as_deref(),
            Ok(expected),
            "input {input:?}"
        );
    }

    /// Parsing with configured formats in Tokyo.
    #[track_caller]
    fn check_fmt(formats: &[&str], input: &str, expected: &str) {
        assert_eq!(
            parse(formats, Tz::Asia__Tokyo, input).as_deref(),
            Ok(expected),
            "input {input:?}"
        );
    }

    /// Parsing in another zone.
    #[track_caller]
    fn check_tz(timezone: Tz, input: &str, expected: &str) {
        assert_eq!(
            parse(&[], timezone, input).as_deref(),
            Ok(expected),
            "input {input:?}"
        );
    }

    #[track_caller]
    fn check_err(input: &str) {
        let result = parse(&[], Tz::Asia__Tokyo, input);
        assert!(result.is_err(), "input {input:?} gave {result:?}");
    }

    #[test]
    fn configured_formats() {
        let dateline = ["%H:%M JST, %B %d, %Y"];
        check_fmt(
            &dateline,
            "17:41 JST,\u{2002}October 13, 2024",
            "2024-10-13T17:41:00+09:00",
        );
        check_fmt(
            &dateline,
            "9:05 JST, October 3, 2024",
            "2024-10-03T09:05:00+09:00",
        );
        check_fmt(
            &dateline,
            " 9:05\u{00A0}JST,\tOctober 3,\n2024 ",
            "2024-10-03T09:05:00+09:00",
        );
        let named = ["%H:%M %Z, %B %d, %Y"];
        check_fmt(
            &named,
            "17:41 JST, October 13, 2024",
            "2024-10-13T17:41:00+09:00",
        );
        check_fmt(
            &named,
            "17:41 EST, October 13, 2024",
            "2024-10-13T17:41:00-05:00",
        );
        check_fmt(
            &named,
            "17:41 IST, October 13, 2024",
            "2024-10-13T17:41:00+05:30",
        );
        check_fmt(
            &["%H:%M, %B %d, %Y"],
            "17:41 CEST, October 13, 2024",
            "2024-10-13T17:41:00+02:00",
        );
        check_fmt(
            &["%B %d, %Y"],
            "October 13, 2024",
            "2024-10-13T00:00:00+09:00",
        );
        check_fmt(
            &["%B %d, %Y"],
            "OCTOBER 13, 2024",
            "2024-10-13T00:00:00+09:00",
        );
        check_fmt(&["%d/%m/%Y"], "05/06/2024", "2024-06-05T00:00:00+09:00");
        check_fmt(
            &["%Y-%m-%d %H:%M:%S %z"],
            "2024-10-13 17:41:00 +0200",
            "2024-10-13T17:41:00+02:00",
        );
        check_fmt(
            &["%Y-%m-%dT%H:%M:%SZ"],
            "2024-10-13T08:41:00Z",
            "2024-10-13T08:41:00+00:00",
        );
        check_fmt(
            &["%Y年%m月%d日 %H時"],
            "2024年10月13日 17時",
            "2024-10-13T17:00:00+09:00",
        );
        check_fmt(&["%m/%d %H:%M"], "10/13 17:41", "2024-10-13T17:41:00+09:00");
        check_fmt(&["%m/%d %H:%M"], "12/31 10:00", "2023-12-31T10:00:00+09:00");
        check_fmt(&["%s"], "1728808860", "2024-10-13T17:41:00+09:00");
        check_fmt(&["%d.%m.%y"], "13.10.24", "2024-10-13T00:00:00+09:00");
        // The first format that fits wins; a bad or non-matching one falls through.
        check_fmt(
            &["%Q", "%Y%m%d", "%B %d, %Y"],
            "October 13, 2024",
            "2024-10-13T00:00:00+09:00",
        );
        check_fmt(&["%d %B %Y"], "Oct 13, 2024", "2024-10-13T00:00:00+09:00");
        // A result in an implausible year is no match, with formats as without.
        assert!(parse(&["%B %d, %Y"], Tz::Asia__Tokyo, "October 13, 0024").is_err());
    }

    #[test]
    fn dst_in_the_site_zone() {
        let ny = Tz::America__New_York;
        // Spring gap: 02:30 does not exist, moved an hour forward.
        check_tz(ny, "2024-03-10 02:30", "2024-03-10T03:30:00-04:00");
        // Autumn overlap: 01:30 happens twice, the earlier one is taken.
        check_tz(ny, "2024-11-03 01:30", "2024-11-03T01:30:00-04:00");
        check_tz(ny, "2024-10-13 17:41", "2024-10-13T17:41:00-04:00");
        check_tz(ny, "2024-12-13 17:41", "2024-12-13T17:41:00-05:00");
        check_tz(Tz::UTC, "October 13, 2024", "2024-10-13T00:00:00+00:00");
        let formats = ["%Y-%m-%d %H:%M".to_string()];
        let ctx = ctx_with(&formats, ny);
        let got = parse_date("2024-03-10 02:00", &ctx).map(|d| d.to_rfc3339());
        assert_eq!(got.as_deref(), Ok("2024-03-10T03:00:00-04:00"));
    }

    #[test]
    fn machine_formats() {
        check("2024-10-13T17:41:00+09:00", "2024-10-13T17:41:00+09:00");
        check(
            "2024-10-13T17:41:00.123+09:00",
            "2024-10-13T17:41:00.123+09:00",
        );
        check("2024-10-13T08:41:00Z", "2024-10-13T08:41:00+00:00");
        check("2024-10-13t08:41:00z", "2024-10-13T08:41:00+00:00");
        check("2024-10-13T08:41:00.5Z", "2024-10-13T08:41:00.500+00:00");
        check("2024-10-13T17:41:00", "2024-10-13T17:41:00+09:00");
        check("2024-10-13 17:41", "2024-10-13T17:41:00+09:00");
        check("2024-10-13 17:41:00 +0200", "2024-10-13T17:41:00+02:00");
        check("2024-10-13T17:41Z", "2024-10-13T17:41:00+00:00");
        check("2024-10-13T17:41-05", "2024-10-13T17:41:00-05:00");
        check("2024-10-13", "2024-10-13T00:00:00+09:00");
        check("20241013T174100+0900", "2024-10-13T17:41:00+09:00");
        check("20241013T1741Z", "2024-10-13T17:41:00+00:00");
        check("Sun, 13 Oct 2024 08:41:00 GMT", "2024-10-13T08:41:00+00:00");
        check(
            "Sun, 13 Oct 2024 17:41:00 +0900",
            "2024-10-13T17:41:00+09:00",
        );
        check("13 Oct 2024 17:41:00 +0900", "2024-10-13T17:41:00+09:00");
        check("Sun, 13 Oct 2024 04:41:00 EDT", "2024-10-13T04:41:00-04:00");
        check("1728808860", "2024-10-13T17:41:00+09:00");
    }

    #[test]
    fn english_forms() {
        check("October 13, 2024", "2024-10-13T00:00:00+09:00");
        check("Oct 13, 2024", "2024-10-13T00:00:00+09:00");
        check("Oct. 13, 2024", "2024-10-13T00:00:00+09:00");
        check("Oct 13 2024", "2024-10-13T00:00:00+09:00");
        check("13 October 2024", "2024-10-13T00:00:00+09:00");
        check("13 Oct. 2024", "2024-10-13T00:00:00+09:00");
        check("13th of October, 2024", "2024-10-13T00:00:00+09:00");
        check("13-Oct-2024", "2024-10-13T00:00:00+09:00");
        check("Sept. 3, 2024", "2024-09-03T00:00:00+09:00");
        check("September 3rd, 2024", "2024-09-03T00:00:00+09:00");
        check("OCTOBER 13, 2024", "2024-10-13T00:00:00+09:00");
        check("october 13, 2024", "2024-10-13T00:00:00+09:00");
        check("Sunday, October 13, 2024", "2024-10-13T00:00:00+09:00");
        check("SUN, OCT 13, 2024", "2024-10-13T00:00:00+09:00");
        check("October 13, 2024 5:41 PM", "2024-10-13T17:41:00+09:00");
        check("October 13, 2024 at 5:41 pm", "2024-10-13T17:41:00+09:00");
        check("October 13, 2024, 5:41 a.m.", "2024-10-13T05:41:00+09:00");
        check("5:41 p.m. JST, Oct. 13, 2024", "2024-10-13T17:41:00+09:00");
        check(
            "17:41 JST,\u{2002}October 13, 2024",
            "2024-10-13T17:41:00+09:00",
        );
        check("12:00 AM, Oct 13, 2024", "2024-10-13T00:00:00+09:00");
        check("12:30 PM Oct 13 2024", "2024-10-13T12:30:00+09:00");
        check("Oct 13, 2024 5 PM", "2024-10-13T17:00:00+09:00");
        check("Oct 13, 2024 5:41 PM IST", "2024-10-13T17:41:00+05:30");
        check("Oct 13, 2024 5:41 PM (EDT)", "2024-10-13T17:41:00-04:00");
        check("Oct 13, 2024 17:41 ET", "2024-10-13T17:41:00-04:00");
        check("Oct 13, 2024 17:41 UTC+9", "2024-10-13T17:41:00+09:00");
        check("Oct 13, 2024 17:41 GMT-05:30", "2024-10-13T17:41:00-05:30");
        check("Updated: October 13, 2024", "2024-10-13T00:00:00+09:00");
        check(
            "Published on Oct 13, 2024 at 5:41 PM",
            "2024-10-13T17:41:00+09:00",
        );
    }

    #[test]
    fn numeric_forms() {
        check("2024/10/13 17:41", "2024-10-13T17:41:00+09:00");
        check("2024/10/13", "2024-10-13T00:00:00+09:00");
        check("2024.10.13", "2024-10-13T00:00:00+09:00");
        check("2024.10.13 17:41", "2024-10-13T17:41:00+09:00");
        check("13.10.2024", "2024-10-13T00:00:00+09:00");
        check("13.10.2024 17:41", "2024-10-13T17:41:00+09:00");
        check("05.06.2024", "2024-06-05T00:00:00+09:00");
        check("10/13/2024", "2024-10-13T00:00:00+09:00");
        check("13/10/2024", "2024-10-13T00:00:00+09:00");
        check("05/06/2024", "2024-05-06T00:00:00+09:00");
        check("5/6/2024 5:41 PM", "2024-05-06T17:41:00+09:00");
        check("10-13-2024", "2024-10-13T00:00:00+09:00");
    }

    #[test]
    fn year_less_dates() {
        check("Oct 13", "2024-10-13T00:00:00+09:00");
        check("13 October", "2024-10-13T00:00:00+09:00");
        check("Dec 25", "2023-12-25T00:00:00+09:00");
        // Within two days ahead of now is still this year; beyond is last year.
        check("Oct 16", "2024-10-16T00:00:00+09:00");
        check("Oct 17", "2023-10-17T00:00:00+09:00");
        check("10月13日 17:41", "2024-10-13T17:41:00+09:00");
        check("12月31日", "2023-12-31T00:00:00+09:00");
        check("2月29日", "2024-02-29T00:00:00+09:00");
    }

    #[test]
    fn japanese_forms() {
        check("2024年10月13日 17時41分", "2024-10-13T17:41:00+09:00");
        check("2024年10月13日17:41", "2024-10-13T17:41:00+09:00");
        check("2024年10月13日", "2024-10-13T00:00:00+09:00");
        check("2024年10月13日（日）17時41分", "2024-10-13T17:41:00+09:00");
        check("2024年10月13日(日) 17:41", "2024-10-13T17:41:00+09:00");
        check(
            "2024年10月13日（日曜日） 17:41",
            "2024-10-13T17:41:00+09:00",
        );
        check("2024年10月13日 日曜日 17:41", "2024-10-13T17:41:00+09:00");
        check("2024 年 10 月 13 日", "2024-10-13T00:00:00+09:00");
        check("令和6年10月13日", "2024-10-13T00:00:00+09:00");
        check("令和元年5月1日", "2019-05-01T00:00:00+09:00");
        check("平成31年4月30日", "2019-04-30T00:00:00+09:00");
        check("２０２４年１０月１３日", "2024-10-13T00:00:00+09:00");
        check(
            "２０２４年１０月１３日　１７：４１",
            "2024-10-13T17:41:00+09:00",
        );
        check("２０２４／１０／１３", "2024-10-13T00:00:00+09:00");
        check("2024年10月13日 午後5時41分", "2024-10-13T17:41:00+09:00");
        check("2024年10月13日 午前9時5分", "2024-10-13T09:05:00+09:00");
        check("2024年10月13日 午後0時", "2024-10-13T12:00:00+09:00");
        check("2024年10月13日 午後5:41", "2024-10-13T17:41:00+09:00");
        check("2024年10月13日 17時半", "2024-10-13T17:30:00+09:00");
        check("2024年10月13日 17時", "2024-10-13T17:00:00+09:00");
        check("更新日：2024年10月13日", "2024-10-13T00:00:00+09:00");
        check("2024年10\u{200B}月13日", "2024-10-13T00:00:00+09:00");
        check("\u{FEFF}2024-10-13", "2024-10-13T00:00:00+09:00");
    }

    #[test]
    fn relative_dates() {
        // now is 2024-10-14T09:00:00+09:00
        check("2 hours ago", "2024-10-14T07:00:00+09:00");
        check("1 hour ago", "2024-10-14T08:00:00+09:00");
        check("an hour ago", "2024-10-14T08:00:00+09:00");
        check("An Hour Ago", "2024-10-14T08:00:00+09:00");
        check("about 2 hours ago", "2024-10-14T07:00:00+09:00");
        check("a minute ago", "2024-10-14T08:59:00+09:00");
        check("5 mins ago", "2024-10-14T08:55:00+09:00");
        check("5m ago", "2024-10-14T08:55:00+09:00");
        check("2h ago", "2024-10-14T07:00:00+09:00");
        check("30 seconds ago", "2024-10-14T08:59:30+09:00");
        check("3 days ago", "2024-10-11T09:00:00+09:00");
        check("2 weeks ago", "2024-09-30T09:00:00+09:00");
        check("3 months ago", "2024-07-14T09:00:00+09:00");
        check("1 year ago", "2023-10-14T09:00:00+09:00");
        check("just now", "2024-10-14T09:00:00+09:00");
        check("now", "2024-10-14T09:00:00+09:00");
        check("Updated 2 hours ago", "2024-10-14T07:00:00+09:00");
        check("today", "2024-10-14T00:00:00+09:00");
        check("yesterday", "2024-10-13T00:00:00+09:00");
        check("Yesterday 17:41", "2024-10-13T17:41:00+09:00");
        check("today at 9:00", "2024-10-14T09:00:00+09:00");
        check("yesterday at 5:41 PM", "2024-10-13T17:41:00+09:00");
        check("3日前", "2024-10-11T09:00:00+09:00");
        check("2時間前", "2024-10-14T07:00:00+09:00");
        check("5分前", "2024-10-14T08:55:00+09:00");
        check("30秒前", "2024-10-14T08:59:30+09:00");
        check("1週間前", "2024-10-07T09:00:00+09:00");
        check("3ヶ月前", "2024-07-14T09:00:00+09:00");
        check("昨日", "2024-10-13T00:00:00+09:00");
        check("今日", "2024-10-14T00:00:00+09:00");
        check("昨日 17:41", "2024-10-13T17:41:00+09:00");
        check("vor 2 Stunden", "2024-10-14T07:00:00+09:00");
        check("vor einer Stunde", "2024-10-14T08:00:00+09:00");
        check("gestern", "2024-10-13T00:00:00+09:00");
        check("gestern um 17:41 Uhr", "2024-10-13T17:41:00+09:00");
        check("il y a 2 heures", "2024-10-14T07:00:00+09:00");
        check("hier", "2024-10-13T00:00:00+09:00");
        check("hier à 17:41", "2024-10-13T17:41:00+09:00");
        check("hace 2 horas", "2024-10-14T07:00:00+09:00");
        check("hace 3 días", "2024-10-11T09:00:00+09:00");
        check("ayer", "2024-10-13T00:00:00+09:00");
        // Relative results are in the site's zone.
        check_tz(Tz::UTC, "2 hours ago", "2024-10-13T22:00:00+00:00");
        check_tz(Tz::UTC, "yesterday", "2024-10-13T00:00:00+00:00");
        check_tz(
            Tz::America__Los_Angeles,
            "yesterday",
            "2024-10-12T00:00:00-07:00",
        );
    }

    #[test]
    fn garbage_is_an_error() {
        check_err("");
        check_err("   ");
        check_err("\u{200B}\u{3000}");
        check_err("tomorrow-ish");
        check_err("tomorrow");
        check_err("Octember 45, 2024");
        check_err("Octber 13");
        check_err("2024-13-45");
        check_err("2024-10-13T25:00");
        check_err("2024-10-13 17:60");
        check_err("99:99");
        check_err("17:41");
        check_err("by John Smith");
        check_err("123");
        check_err("20241013");
        check_err("0123456789");
        check_err("1234567890123");
        check_err("🎉🎉🎉");
        check_err("2024-10-13 🎉");
        check_err("🎉 October 13, 2024");
        check_err("0000-00-00");
        check_err("0001-01-01T00:00:00Z");
        check_err("9999-12-31");
        check_err("February 30, 2024");
        check_err("2月30日");
        check_err("31/02/2024");
        check_err("Oct 2024");
        check_err("October");
        check_err("Sun");
        check_err("13:00 PM, Oct 13 2024");
        check_err("2024-10-13 17:41 XYZ");
        check_err("2024/10-13");
        check_err("Posted by admin on October 13, 2024");
        check_err("2024年13月1日");
        check_err("令和0年1月1日");
        check_err("2024年10月13日 午前5:41 PM");
        check_err("10 minutes from now");
        check_err("in 2 hours");
        check_err("2 fortnights ago");
        check_err("99999999999 days ago");
        check_err("4294967295 years ago");
        check_err("200 years ago");
        check_err("17:41 +99:00, Oct 13, 2024");
        check_err("٢٠٢٤-١٠-١٣");
    }

    #[test]
    fn long_inputs_are_refused_quickly() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let alphabet: Vec<char> = "abcdefghij klmnopqrstuvwxyz0123456789:/-.,年月日時分前🎉"
            .chars()
            .collect();
        let random_text: String = (0..10_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        check_err(&random_text);

        let huge = "October 13, 2024 ".repeat(60_000);
        let started = std::time::Instant::now();
        let result = parse(&[], Tz::Asia__Tokyo, &huge);
        assert!(
            matches!(result, Err(DateError::TooLong { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }

    #[test]
    fn never_panics_on_near_dates() {
        // Mutations of real dates: every prefix, suffix and single-character deletion.
        let samples = [
            "17:41 JST,\u{2002}October 13, 2024",
            "2024年10月13日（日）午後5時41分",
            "Sun, 13 Oct 2024 08:41:00 +0900",
            "2024-10-13T17:41:00.123456789+09:00",
            "vor 2 Stunden",
            "令和元年5月1日 17時半",
        ];
        let formats = [
            "%H:%M %Z, %B %d, %Y".to_string(),
            "%Y年%m月%d日".to_string(),
        ];
        let ctx = ctx_with(&formats, Tz::Asia__Tokyo);
        for sample in samples {
            let chars: Vec<char> = sample.chars().collect();
            for i in 0..=chars.len() {
                let prefix: String = chars[..i].iter().collect();
                let suffix: String = chars[i..].iter().collect();
                let mut deleted = chars.clone();
                if i < deleted.len() {
                    deleted.remove(i);
                }
                let deleted: String = deleted.into_iter().collect();
                for text in [prefix, suffix, deleted] {
                    if let Ok(dt) = parse_date(&text, &ctx) {
                        assert!(plausible(&dt), "{text:?} gave {dt}");
                    }
                }
            }
        }
    }

    #[test]
    fn error_messages() {
        let formats = ["%B %d, %Y".to_string()];
        let err =
            parse_date("Octber 13", &ctx_with(&formats, Tz::Asia__Tokyo)).expect_err("not a date");
        assert_eq!(
            err.to_string(),
            r#"could not parse date "Octber 13" with formats ["%B %d, %Y"] or the automatic ones"#
        );
        let err = parse_date(" by\u{00A0}John ", &ctx_with(&[], Tz::Asia__Tokyo))
            .expect_err("not a date");
        assert_eq!(
            err.to_string(),
            r#"could not parse date "by John" with the automatic formats"#
        );
        assert_eq!(
            parse_date(" ", &ctx_with(&[], Tz::Asia__Tokyo)),
            Err(DateError::Empty)
        );
        let err =
            parse_date(&"x".repeat(1000), &ctx_with(&[], Tz::Asia__Tokyo)).expect_err("too long");
        assert!(err.to_string().starts_with("date text \"xxxx"), "{err}");
        assert!(
            err.to_string()
                .ends_with("is too long (over 256 characters)"),
            "{err}"
        );
    }

}
