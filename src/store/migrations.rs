//! The schema, as an append-only list of migrations. The schema version is `PRAGMA user_version`: the
//! number of migrations applied. Each migration runs in its own transaction with the version bump, so
//! a failed one leaves the file at the previous version.
//!
//! **Invariant:** never edit or reorder a migration that has shipped; add a new one at the end.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Every migration, oldest first. `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: feeds, items, HTTP validators.
    "
    -- One row per feed that was ever refreshed: its health, for the scheduler and the status page.
    CREATE TABLE feeds (
        site                 TEXT NOT NULL,
        feed                 TEXT NOT NULL,
        last_attempt         TEXT,
        last_success         TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        last_error           TEXT,
        item_count           INTEGER NOT NULL DEFAULT 0,
        first_failure_at     TEXT,     -- when the current failure streak started; NULL after a success
        last_nonempty_at     TEXT,     -- last success that returned at least one item
        PRIMARY KEY (site, feed)
    ) STRICT;

    -- One row per item a feed ever listed, until retention removes it.
    CREATE TABLE items (
        row_id           INTEGER PRIMARY KEY,  -- insertion order: the last tie-break when sorting
        site             TEXT NOT NULL,
        feed             TEXT NOT NULL,
        item_id          TEXT NOT NULL CHECK (item_id <> ''),
        title            TEXT NOT NULL,
        url              TEXT NOT NULL,
        summary          TEXT,
        content_html     TEXT,
        published        TEXT,                 -- UTC; the page's offset is in published_offset
        published_offset INTEGER,              -- seconds east of UTC
        updated          TEXT,
        updated_offset   INTEGER,
        authors          TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
        image            TEXT,
        categories       TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
        first_seen       TEXT NOT NULL,        -- set on insert, never rewritten
        last_seen        TEXT NOT NULL,
        current_rank     INTEGER CHECK (current_rank >= 1),  -- rankings only; NULL when off the list
        best_rank        INTEGER CHECK (best_rank >= 1),
        last_rank        INTEGER CHECK (last_rank >= 1),     -- rank at last_on_list, kept after drop-off
        last_on_list     TEXT,                 -- rankings only: last refresh that listed the item
        completed_at     TEXT,                 -- when the article page's fields were merged in
        UNIQUE (site, feed, item_id),
        FOREIGN KEY (site, feed) REFERENCES feeds (site, feed) ON DELETE CASCADE
    ) STRICT;

    CREATE INDEX items_by_last_seen ON items (site, feed, last_seen DESC, first_seen DESC);

    -- ETag and Last-Modified of the last 200 answer for a URL, for conditional requests.
    CREATE TABLE http_cache (
        url           TEXT PRIMARY KEY,
        etag          TEXT,
        last_modified TEXT
    ) STRICT;
    ",
    // 2: the size of the feed's page at the last success, to recognise a suspiciously small answer.
    "
    ALTER TABLE feeds ADD COLUMN page_bytes INTEGER CHECK (page_bytes >= 0);
    ",
];

/// Apply the migrations the file does not have yet; refuse a file from a newer feedwright.
/// Safe against another process migrating at the same time: each step takes the write lock first
/// and re-reads the version under it.
pub(super) fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    loop {
        let open_error = |source| StoreError::Open { path: path.to_path_buf(), source };
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(open_error)?;
        let version: i64 =
            transaction.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(open_error)?;
        let n_applied = usize::try_from(version).map_err(|_| StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: MIGRATIONS.len(),
        })?;
        let Some(migration) = MIGRATIONS.get(n_applied) else {
            if n_applied > MIGRATIONS.len() {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found: version,
                    supported: MIGRATIONS.len(),
                });
            }
            return Ok(());
        };
        let new_version = n_applied + 1;
        let migration_error = |source| StoreError::Migration { version: new_version, source };
        transaction.execute_batch(migration).map_err(migration_error)?;
        transaction.pragma_update(None, "user_version", new_version as i64).map_err(migration_error)?;
        transaction.commit().map_err(migration_error)?;
        tracing::info!(schema_version = new_version, "store migrated");
    }
}

/// The schema version of an open connection (tests).
#[cfg(test)]
pub(super) fn schema_version(connection: &Connection) -> i64 {
    connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap_or(-1)
}
