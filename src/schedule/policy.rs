//! When to refresh and when to call a feed broken: pure functions of the stored state, shared by the
//! refresh loop and the status pages so that both tell the same story.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{Feed, Settings, Site};
use crate::store::FeedState;

/// The longest a failing feed waits before the next attempt.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 60 * 60);
/// The first retry after a failure.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(2 * 60);

/// A feed's refresh interval: its own, else its site's, else the global default.
pub fn refresh_interval(settings: &Settings, site: &Site, feed: &Feed) -> Duration {
    feed.refresh.or(site.refresh).unwrap_or(settings.refresh)
}

/// After `failures` failures in a row: 2 min, 4 min, 8 min... up to six hours.
pub fn backoff(failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(12);
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// `start + wait`, saturating at the end of time instead of overflowing.
pub fn after(start: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| start.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// When a feed is due: now when it never ran or its data is stale, after the backoff when it is
/// failing, else one interval after the last success.
pub fn next_refresh_at(state: Option<&FeedState>, interval: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(state) = state else { return now };
    if let Some(last_attempt) = state.last_attempt.filter(|_| state.consecutive_failures > 0) {
        return after(last_attempt, backoff(state.consecutive_failures));
    }
    match state.last_success {
        Some(last_success) => after(last_success, interval),
        None => now,
    }
}

/// After a failed refresh: the backoff, or later when the site asked us to wait longer (Retry-After
/// beyond what a retry within the refresh would wait).
pub fn next_refresh_after_failure(state: &FeedState, interval: Duration, now: DateTime<Utc>, retry_after: Option<Duration>) -> DateTime<Utc> {
    let backoff = next_refresh_at(Some(state), interval, now);
    match retry_after {
        Some(wait) => backoff.max(after(now, wait)),
        None => backoff,
    }
}

/// Broken: failed `broken_after` times in a row.
pub fn is_broken(state: &FeedState, broken_after: u32) -> bool {
    state.consecutive_failures >= broken_after
}

/// What a person reads for a broken feed: the last error, since when, and what to do.
pub fn broken_message(state: &FeedState) -> String {
    let since = state.first_failure_at.map(|date| format!(" since {}", date.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_default();
    let error = state.last_error.as_deref().unwrap_or("unknown error");
    format!(
        "{error} ({} failures in a row{since}); stored items are still served. Run `feedwright preview` on this feed to see what the page gives now",
        state.consecutive_failures
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(failures: u32, last_attempt: Option<&str>, last_success: Option<&str>) -> FeedState {
        let date = |text: &str| DateTime::parse_from_rfc3339(text).map(|date| date.with_timezone(&Utc)).ok();
        FeedState {
            consecutive_failures: failures,
            last_attempt: last_attempt.and_then(date),
            last_success: last_success.and_then(date),
            ..Default::default()
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(120));
        assert_eq!(backoff(2), Duration::from_secs(240));
        assert_eq!(backoff(5), Duration::from_secs(1920));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }

    #[test]
    fn due_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z").expect("date").with_timezone(&Utc);
        let interval = Duration::from_secs(1800);
        assert_eq!(next_refresh_at(None, interval, now), now);
        let fresh = state(0, Some("2026-11-30T11:50:00Z"), Some("2026-11-30T11:50:00Z"));
        assert_eq!(next_refresh_at(Some(&fresh), interval, now).to_rfc3339(), "2026-11-30T12:20:00+00:00");
        let stale = state(0, Some("2026-11-29T11:50:00Z"), Some("2026-11-29T11:50:00Z"));
        assert!(next_refresh_at(Some(&stale), interval, now) < now);
        let failing = state(3, Some("2026-11-30T11:58:00Z"), Some("2026-11-30T10:00:00Z"));
        assert_eq!(next_refresh_at(Some(&failing), interval, now).to_rfc3339(), "2026-11-30T12:06:00+00:00");
    }

    #[test]
    fn a_site_that_asks_to_wait_is_left_alone_that_long() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z").expect("date").with_timezone(&Utc);
        let failing = state(1, Some("2026-11-30T12:00:00Z"), Some("2026-11-30T10:00:00Z"));
        let interval = Duration::from_secs(1800);
        assert_eq!(next_refresh_after_failure(&failing, interval, now, None).to_rfc3339(), "2026-11-30T12:02:00+00:00");
        let asked = Some(Duration::from_secs(3600));
        assert_eq!(next_refresh_after_failure(&failing, interval, now, asked).to_rfc3339(), "2026-11-30T13:00:00+00:00");
        let short = Some(Duration::from_secs(10));
        assert_eq!(next_refresh_after_failure(&failing, interval, now, short).to_rfc3339(), "2026-11-30T12:02:00+00:00");
    }

    #[test]
    fn huge_intervals_saturate_instead_of_overflowing() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z").expect("date").with_timezone(&Utc);
        let fresh = state(0, Some("2026-11-30T11:50:00Z"), Some("2026-11-30T11:50:00Z"));
        assert_eq!(next_refresh_at(Some(&fresh), Duration::from_secs(u64::MAX), now), DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn broken_after_three() {
        let mut failing = state(2, None, None);
        assert!(!is_broken(&failing, 3));
        failing.consecutive_failures = 3;
        failing.last_error = Some("the item selector `li.clearfix` matched nothing".into());
        failing.first_failure_at = DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").map(|date| date.with_timezone(&Utc)).ok();
        assert!(is_broken(&failing, 3));
        let message = broken_message(&failing);
        assert!(message.starts_with("the item selector `li.clearfix` matched nothing (3 failures in a row since 2026-11-30 09:00 UTC)"), "{message}");
    }
}
