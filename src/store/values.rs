//! How Rust values become column values and back: instants as fixed-width RFC 3339 UTC text, page
//! dates as that text plus an offset column, lists as JSON arrays. Reading back never panics: a value
//! that does not parse is [`StoreError::Corrupt`].

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, SubsecRound, Utc};

use super::StoreError;

/// `2024-10-13T08:41:00.000Z`: millisecond precision, always 24 characters for years 1..=9999, so
/// comparing the text compares the instants.
pub(super) fn time_to_text(time: DateTime<Utc>) -> String {
    time.trunc_subsecs(3).to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) fn text_to_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt { what: "date", value: text.to_string() })
}

pub(super) fn optional_text_to_time(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.as_deref().map(text_to_time).transpose()
}

/// A page date as (UTC text, seconds east of UTC). Dates outside years 1..=9999 cannot keep the
/// fixed-width text order and come only from a misread page, so they are stored as absent.
pub(super) fn page_date_to_columns(date: Option<DateTime<FixedOffset>>) -> (Option<String>, Option<i32>) {
    match date.filter(|date| (1..=9999).contains(&date.year())) {
        Some(date) => (Some(time_to_text(date.with_timezone(&Utc))), Some(date.offset().local_minus_utc())),
        None => (None, None),
    }
}

pub(super) fn columns_to_page_date(
    text: Option<String>,
    offset_seconds: Option<i32>,
) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    let Some(time) = optional_text_to_time(text)? else { return Ok(None) };
    let offset_seconds = offset_seconds.unwrap_or(0);
    let offset = FixedOffset::east_opt(offset_seconds)
        .ok_or_else(|| StoreError::Corrupt { what: "utc offset", value: offset_seconds.to_string() })?;
    Ok(Some(time.with_timezone(&offset)))
}

/// A page date as the store will give it back (millisecond precision), so that comparing a fresh
/// scrape with a stored row does not see a change that storing would erase.
pub(super) fn normalize_page_date(date: Option<DateTime<FixedOffset>>) -> Option<DateTime<FixedOffset>> {
    match page_date_to_columns(date) {
        (Some(_), _) => date.map(|date| date.trunc_subsecs(3)),
        (None, _) => None,
    }
}

pub(super) fn list_to_json(list: &[String]) -> String {
    serde_json::Value::from(list.to_vec()).to_string()
}

pub(super) fn json_to_list(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt { what: "list", value: text.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_page_date(rfc3339: &str, expected_text: &str, expected_offset: i32) {
        let date = DateTime::parse_from_rfc3339(rfc3339).ok();
        let (text, offset) = page_date_to_columns(date);
        assert_eq!(text.as_deref(), Some(expected_text), "{rfc3339}");
        assert_eq!(offset, Some(expected_offset), "{rfc3339}");
        let back = columns_to_page_date(text, offset).expect("readable");
        assert_eq!(back, normalize_page_date(date), "{rfc3339}");
        assert_eq!(back.map(|date| date.offset().local_minus_utc()), Some(expected_offset));
    }

    #[test]
    fn page_date_cases() {
        check_page_date("2024-10-13T17:41:00+09:00", "2024-10-13T08:41:00.000Z", 32400);
        check_page_date("2024-10-13T08:41:00Z", "2024-10-13T08:41:00.000Z", 0);
        check_page_date("2024-10-12T23:00:00-05:30", "2024-10-13T04:30:00.000Z", -19800);
        check_page_date("2024-10-13T08:41:00.123456789Z", "2024-10-13T08:41:00.123Z", 0);
        check_page_date("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z", 0);
    }

    #[test]
    fn text_order_is_time_order() {
        let early = DateTime::parse_from_rfc3339("2024-10-13T17:41:00+09:00").expect("date");
        let late = DateTime::parse_from_rfc3339("2024-10-13T09:00:00+00:00").expect("date");
        let (early_text, _) = page_date_to_columns(Some(early));
        let (late_text, _) = page_date_to_columns(Some(late));
        assert!(early_text < late_text);
    }

    #[test]
    fn unreadable_values_are_errors_not_panics() {
        assert!(matches!(text_to_time("yesterday"), Err(StoreError::Corrupt { what: "date", .. })));
        assert!(matches!(json_to_list("[1, 2"), Err(StoreError::Corrupt { what: "list", .. })));
        assert!(matches!(
            columns_to_page_date(Some("2024-10-13T08:41:00.000Z".into()), Some(999_999)),
            Err(StoreError::Corrupt { what: "utc offset", .. })
        ));
        assert_eq!(
            json_to_list(&list_to_json(&["a \"b\"".into(), "日本".into()])).ok(),
            Some(vec!["a \"b\"".to_string(), "日本".to_string()])
        );
    }
}
