//! HTTP validators: the `ETag` and `Last-Modified` an origin sent with a page, so the fetcher can ask
//! "has it changed?" next time. The fetcher decides what to store and how to use it; this only keeps it.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// The validators of the last full answer for one URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpCacheEntry {
    pub etag: Option<String>,
    /// The `Last-Modified` header as the origin wrote it (an HTTP date), sent back verbatim.
    pub last_modified: Option<String>,
}

impl Store {
    /// The validators stored for `url`, if any.
    pub fn http_cache(&self, url: &str) -> Result<Option<HttpCacheEntry>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached("SELECT etag, last_modified FROM http_cache WHERE url = ?1")?;
        let entry = statement
            .query_row(params![url], |row| {
                Ok(HttpCacheEntry { etag: row.get("etag")?, last_modified: row.get("last_modified")? })
            })
            .optional()?;
        Ok(entry)
    }

    /// Store the validators for `url`, replacing older ones. With neither, the entry is removed (the
    /// origin stopped sending them, so the next request must be unconditional).
    pub fn set_http_cache(&self, url: &str, etag: Option<&str>, last_modified: Option<&str>) -> Result<(), StoreError> {
        let connection = self.lock();
        if etag.is_none() && last_modified.is_none() {
            connection.prepare_cached("DELETE FROM http_cache WHERE url = ?1")?.execute(params![url])?;
        } else {
            connection
                .prepare_cached(
                    "INSERT INTO http_cache (url, etag, last_modified) VALUES (?1, ?2, ?3)
                     ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                )?
                .execute(params![url, etag, last_modified])?;
        }
        Ok(())
    }
}
