//! Store: the item history and feed state, kept in one embedded SQLite file.
//!
//! This module owns the database: its schema and migrations (`migrations`), the items of every feed
//! with when each was first and last seen and, for rankings, its current and best rank (`items`), the
//! health of every feed (`state`), and the fetcher's HTTP validators (`http_cache`). Items are keyed
//! by the id extraction gave them ([`canonical_item_id`] makes it from the link when there is no guid).
//!
//! **Invariant:** this is the only module that runs SQL. Nothing outside it sees a connection, a row or
//! a column name.
//! **Invariant:** a refresh is all-or-nothing. [`Store::apply_refresh`] runs in one transaction: after
//! an error (or a crash) the items, ranks and feed state are exactly as they were before it.
//!
//! How values are stored:
//! - instants are RFC 3339 text in UTC, to the millisecond, fixed width (`2024-10-13T08:41:00.000Z`),
//!   so text order is time order and `sqlite3` shows them readably. A page's `published` and `updated`
//!   keep the offset the page gave in a second column (`published_offset`, seconds east of UTC);
//! - authors and categories are JSON arrays of strings;
//! - the schema version is `PRAGMA user_version`, the number of migrations applied.
//!
//! The connection runs in WAL mode with `synchronous=NORMAL`, a busy timeout and foreign keys on.

mod http_cache;
mod items;
mod migrations;
mod state;
mod values;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

pub use self::http_cache::HttpCacheEntry;
/// Item ids are made by extraction; re-exported here for callers that key items.
pub use crate::extract::item_id::canonical_item_id;
pub use self::items::RefreshOutcome;
pub use self::state::FeedState;

/// How long a statement waits for another connection's write lock before giving up with
/// [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A handle on the store.
///
/// `Store` is `Clone + Send + Sync`: clones share one connection behind a mutex, so hand a clone to
/// every task that needs one. Every method is synchronous and holds the lock only for its own
/// statements (a refresh of a few hundred items takes milliseconds), so calling it from async code
/// is fine for reads; a caller that wants to keep the runtime's threads free can wrap a refresh in
/// `tokio::task::spawn_blocking`.
#[derive(Debug, Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
    /// Per feed: a counter bumped (in memory) whenever its items change, and when. Readers that cache
    /// rendered feeds compare counters instead of querying the database on every request.
    changes: Arc<Mutex<ChangeCounters>>,
}

/// Per feed: how many times its items changed in this process, as an atomic a reader can hold and
/// poll without locking.
type ChangeCounters = HashMap<FeedKey, Arc<AtomicU64>>;

/// Which feed a row belongs to: the site id and the feed id from the config.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedKey {
    pub site: String,
    pub feed: String,
}

impl FeedKey {
    pub fn new(site: impl Into<String>, feed: impl Into<String>) -> Self {
        FeedKey { site: site.into(), feed: feed.into() }
    }
}

impl fmt::Display for FeedKey {
    /// `site/feed`, as the CLI and the logs name a feed.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.site, self.feed)
    }
}

/// Why the store could not do what was asked. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the database file does not exist and cannot be created.
    #[error("cannot create the data directory {dir}: {source}; check that the data dir path is right and writable")]
    CreateDir { dir: PathBuf, source: std::io::Error },
    /// SQLite could not open or set up the database file (missing permissions, not a database).
    #[error(
        "cannot open the store at {path}: {source}; check that the data dir is writable and the file is a feedwright store"
    )]
    Open { path: PathBuf, source: rusqlite::Error },
    /// The file opened, but only for reading.
    #[error("the store at {path} is read-only; check the permissions of the file and of its directory")]
    ReadOnly { path: PathBuf },
    /// The file was written by a newer feedwright whose schema this one does not know.
    #[error(
        "the store at {path} has schema version {found}, newer than the {supported} this feedwright knows; \
         upgrade feedwright or point it at another data dir"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: usize },
    /// A migration failed; it was rolled back, so the file is still at the previous version.
    #[error(
        "cannot upgrade the store to schema version {version}: {source}; the store was left unchanged, fix the cause and restart"
    )]
    Migration { version: usize, source: rusqlite::Error },
    /// Another connection held the write lock for longer than the busy timeout.
    #[error("the store is locked by another writer: {source}; check that only one feedwright runs on this data dir")]
    Busy { source: rusqlite::Error },
    /// Any other SQLite failure (disk full, I/O error, a constraint).
    #[error("the store failed: {source}; check that the data dir is writable and the disk is not full")]
    Sqlite { source: rusqlite::Error },
    /// A stored value could not be read back (a date or list that does not parse).
    #[error(
        "the store holds an unreadable {what} ({value:?}); the database may be damaged: restore a backup or delete it to start over"
    )]
    Corrupt { what: &'static str, value: String },
    /// A blocking store call could not be run or finished abnormally (the runtime is shutting down).
    #[error("a store task did not finish: {0}")]
    Task(String),
    /// The caller passed an item the store cannot key.
    #[error("item {item_idx} of {feed} has an empty id; check the feed's `guid` or `link` field in its config")]
    EmptyItemId { feed: FeedKey, item_idx: usize },
}

impl From<rusqlite::Error> for StoreError {
    fn from(source: rusqlite::Error) -> Self {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy { source },
            _ => StoreError::Sqlite { source },
        }
    }
}

impl Store {
    /// Open the store at `path`, creating its directory and the file when missing, and bring the schema
    /// up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { dir: dir.to_path_buf(), source })?;
        }
        let open_error = |source| StoreError::Open { path: path.to_path_buf(), source };
        let connection = Connection::open(path).map_err(open_error)?;
        configure(&connection, true).map_err(open_error)?;
        if connection.is_readonly(rusqlite::MAIN_DB).map_err(open_error)? {
            return Err(StoreError::ReadOnly { path: path.to_path_buf() });
        }
        Store::from_connection(connection, path)
    }

    /// A store that lives in memory and vanishes when the last clone is dropped (tests, `preview`).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = Path::new(":memory:");
        let open_error = |source| StoreError::Open { path: path.to_path_buf(), source };
        let connection = Connection::open_in_memory().map_err(open_error)?;
        configure(&connection, false).map_err(open_error)?;
        Store::from_connection(connection, path)
    }

    /// Migrate an open, configured connection and wrap it. `path` only names the file in errors.
    fn from_connection(mut connection: Connection, path: &Path) -> Result<Store, StoreError> {
        migrations::migrate(&mut connection, path)?;
        Ok(Store { connection: Arc::new(Mutex::new(connection)), changes: Arc::new(Mutex::new(HashMap::new())) })
    }

    /// Prove the database is writable now: take the write lock, write a row, roll it back.
    /// For a readiness probe; it leaves the file unchanged.
    pub fn health_check(&self) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        transaction
            .execute("INSERT OR REPLACE INTO http_cache (url, etag) VALUES ('feedwright:health-check', 'probe')", ())?;
        transaction.rollback()?;
        Ok(())
    }

    /// The connection, for the duration of one call. A panic while the lock was held cannot leave a
    /// half-written refresh behind (the open transaction rolls back when dropped), so a poisoned lock
    /// is taken over rather than propagated.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The feed's change counter itself, to keep and poll with one atomic load (the server does, on
    /// every request, to know whether its rendered copy is still current).
    pub fn generation_counter(&self, key: &FeedKey) -> Arc<AtomicU64> {
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        changes.entry(key.clone()).or_insert_with(|| Arc::new(AtomicU64::new(0))).clone()
    }

    fn bump_generation(&self, key: &FeedKey) {
        self.generation_counter(key).fetch_add(1, Ordering::AcqRel);
    }
}

/// Connection settings, applied on every open (they are per connection, except WAL, which sticks).
fn configure(connection: &Connection, on_disk: bool) -> Result<(), rusqlite::Error> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    if on_disk {
        let journal_mode: String = connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(journal_mode, "the store could not switch to WAL mode; readers may wait for writers");
        }
    }
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}
