//! Feed state: when each feed was last tried and last refreshed, how many times in a row it failed and
//! why, and how many items it keeps. The scheduler reads it for back-off, the server for a status page.
//!
//! **Invariant:** a failure never touches a feed's items; only a successful refresh
//! ([`Store::apply_refresh`], which writes its part of the state) resets the failure streak.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::values::{optional_text_to_time, time_to_text};
use super::{FeedKey, Store, StoreError};

/// The health of one feed. A feed that was never refreshed has no state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedState {
    /// The last refresh, successful or not.
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Failures since the last success; 0 when the last attempt succeeded.
    pub consecutive_failures: u32,
    /// The last failure's message; `None` once a refresh succeeds.
    pub last_error: Option<String>,
    /// Items the feed keeps now.
    pub item_count: u32,
    /// When the current failure streak started; `None` when the last attempt succeeded.
    pub first_failure_at: Option<DateTime<Utc>>,
    /// The last successful refresh that listed at least one item.
    pub last_nonempty_at: Option<DateTime<Utc>>,
    /// Size in bytes of the feed's page at the last success.
    pub page_bytes: Option<u64>,
}

const STATE_COLUMNS: &str = "site, feed, last_attempt, last_success, consecutive_failures, last_error, item_count, \
     first_failure_at, last_nonempty_at, page_bytes";

impl Store {
    /// Record a failed refresh: one more consecutive failure, `last_attempt = now`, the error message
    /// kept for the status page. The feed's items stay as they are. Returns the new state.
    pub fn record_failure(&self, key: &FeedKey, now: DateTime<Utc>, error: &str) -> Result<FeedState, StoreError> {
        let now_text = time_to_text(now);
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_feed_row(&transaction, key)?;
        transaction.execute(
            "UPDATE feeds SET last_attempt = ?3, last_error = ?4, consecutive_failures = consecutive_failures + 1,
                 first_failure_at = coalesce(first_failure_at, ?3)
             WHERE site = ?1 AND feed = ?2",
            params![key.site, key.feed, now_text, error],
        )?;
        let state = read_state(&transaction, key)?.unwrap_or_default();
        transaction.commit()?;
        Ok(state)
    }

    /// Record a refresh whose page had not changed (HTTP 304): a success that touches no item.
    pub fn record_not_modified(&self, key: &FeedKey, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_feed_row(&transaction, key)?;
        transaction.execute(
            "UPDATE feeds SET last_attempt = ?3, last_success = ?3, consecutive_failures = 0, last_error = NULL,
                 first_failure_at = NULL
             WHERE site = ?1 AND feed = ?2",
            params![key.site, key.feed, time_to_text(now)],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Remember the size of the feed's page at its last success.
    pub fn set_page_bytes(&self, key: &FeedKey, page_bytes: u64) -> Result<(), StoreError> {
        let connection = self.lock();
        ensure_feed_row(&connection, key)?;
        connection
            .prepare_cached("UPDATE feeds SET page_bytes = ?3 WHERE site = ?1 AND feed = ?2")?
            .execute(params![key.site, key.feed, page_bytes as i64])?;
        Ok(())
    }

    /// The state of one feed, `None` when it was never refreshed.
    pub fn feed_state(&self, key: &FeedKey) -> Result<Option<FeedState>, StoreError> {
        read_state(&self.lock(), key)
    }

    /// Every feed's state, ordered by site then feed.
    pub fn all_feed_states(&self) -> Result<Vec<(FeedKey, FeedState)>, StoreError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare_cached(&format!("SELECT {STATE_COLUMNS} FROM feeds ORDER BY site, feed"))?;
        let mut rows = statement.query(())?;
        let mut states = Vec::new();
        while let Some(row) = rows.next()? {
            let key = FeedKey { site: row.get("site")?, feed: row.get("feed")? };
            states.push((key, state_from_row(row)?));
        }
        Ok(states)
    }
}

/// Create the feed's state row if this is its first refresh (items reference it).
pub(super) fn ensure_feed_row(connection: &Connection, key: &FeedKey) -> Result<(), StoreError> {
    connection
        .prepare_cached("INSERT INTO feeds (site, feed) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?
        .execute(params![key.site, key.feed])?;
    Ok(())
}

pub(super) fn count_items(connection: &Connection, key: &FeedKey) -> Result<u32, StoreError> {
    Ok(connection
        .prepare_cached("SELECT count(*) FROM items WHERE site = ?1 AND feed = ?2")?
        .query_row(params![key.site, key.feed], |row| row.get(0))?)
}

fn read_state(connection: &Connection, key: &FeedKey) -> Result<Option<FeedState>, StoreError> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {STATE_COLUMNS} FROM feeds WHERE site = ?1 AND feed = ?2"))?;
    let row_state = statement.query_row(params![key.site, key.feed], |row| Ok(state_from_row(row))).optional()?;
    row_state.transpose()
}

fn state_from_row(row: &Row<'_>) -> Result<FeedState, StoreError> {
    Ok(FeedState {
        last_attempt: optional_text_to_time(row.get("last_attempt")?)?,
        last_success: optional_text_to_time(row.get("last_success")?)?,
        consecutive_failures: row.get("consecutive_failures")?,
        last_error: row.get("last_error")?,
        item_count: row.get("item_count")?,
        first_failure_at: optional_text_to_time(row.get("first_failure_at")?)?,
        last_nonempty_at: optional_text_to_time(row.get("last_nonempty_at")?)?,
        page_bytes: row.get::<_, Option<i64>>("page_bytes")?.and_then(|bytes| u64::try_from(bytes).ok()),
    })
}
