//! Items: applying a refresh (insert new items, merge changed ones, track ranks, prune), reading a
//! feed back in the order its readers expect, and merging what an article page adds.
//!
//! **Invariant:** `first_seen` is written once, on insert. A field is only ever replaced by a non-empty
//! value: a later scrape that lacks a summary (a list page, after the article page filled it) keeps
//! the old one.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::state::{count_items, ensure_feed_row};
use super::values::{
    columns_to_page_date, json_to_list, list_to_json, normalize_page_date, page_date_to_columns, text_to_time,
    time_to_text,
};
use super::{FeedKey, Store, StoreError};
use crate::item::Item;

/// What one refresh did to a feed's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefreshOutcome {
    /// Items the feed had never listed before.
    pub n_new: usize,
    /// Known items whose content changed (title, link, summary, dates, ...). A rank move alone is not
    /// a change.
    pub n_updated: usize,
    /// Known items listed again as they were.
    pub n_unchanged: usize,
    /// Items removed by retention (the oldest beyond `max_items`).
    pub n_pruned: usize,
}

/// The fields a scrape may fill and a later scrape may change, as stored.
#[derive(Debug, Clone, PartialEq)]
struct ItemFields {
    title: String,
    url: String,
    summary: Option<String>,
    content_html: Option<String>,
    published: Option<DateTime<FixedOffset>>,
    updated: Option<DateTime<FixedOffset>>,
    authors: Vec<String>,
    image: Option<String>,
    categories: Vec<String>,
}

impl ItemFields {
    /// A fresh item's fields, as the store would give them back.
    fn from_item(item: &Item) -> Self {
        ItemFields {
            title: item.title.clone(),
            url: item.url.clone(),
            summary: non_empty(&item.summary),
            content_html: non_empty(&item.content_html),
            published: normalize_page_date(item.published),
            updated: normalize_page_date(item.updated),
            authors: item.authors.clone(),
            image: non_empty(&item.image),
            categories: item.categories.clone(),
        }
    }

    /// These fields with every non-empty value of `newer` taken over; empty ones keep the old value.
    fn merged_with(&self, newer: &Item) -> Self {
        let newer = ItemFields::from_item(newer);
        let text = |new: String, old: &String| if new.trim().is_empty() { old.clone() } else { new };
        let list = |new: Vec<String>, old: &Vec<String>| if new.is_empty() { old.clone() } else { new };
        ItemFields {
            title: text(newer.title, &self.title),
            url: text(newer.url, &self.url),
            summary: newer.summary.or_else(|| self.summary.clone()),
            content_html: newer.content_html.or_else(|| self.content_html.clone()),
            published: newer.published.or(self.published),
            updated: newer.updated.or(self.updated),
            authors: list(newer.authors, &self.authors),
            image: newer.image.or_else(|| self.image.clone()),
            categories: list(newer.categories, &self.categories),
        }
    }
}

/// `None` for a missing or blank text, so that "the page said nothing" never overwrites a value.
fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_ref().filter(|text| !text.trim().is_empty()).cloned()
}

impl Store {
    /// Record one successful scrape of a feed, in one transaction.
    ///
    /// New items are inserted with `first_seen = last_seen = now`; known ones get their changed fields
    /// (never replacing a value with an empty one) and `last_seen = now`. An id listed twice counts
    /// once, at its first position. For a ranking (`is_ranking`), each item's `rank` (or, when missing,
    /// its 1-based position) becomes its current rank, its best rank is the lowest ever, and the feed's
    /// items not in this refresh go off the list (current rank `NULL`). Then only the `max_items` most
    /// recently seen items are kept (`0` keeps all; among items seen in the same refresh, the better
    /// ranked, then the more recently first seen, then the earlier on the page win), and the feed state
    /// records the success.
    ///
    /// On any error nothing is written.
    pub fn apply_refresh(
        &self,
        key: &FeedKey,
        items: &[Item],
        now: DateTime<Utc>,
        is_ranking: bool,
        max_items: u32,
    ) -> Result<RefreshOutcome, StoreError> {
        if let Some(item_idx) = items.iter().position(|item| item.id.is_empty()) {
            return Err(StoreError::EmptyItemId { feed: key.clone(), item_idx });
        }
        let now_text = time_to_text(now);
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_feed_row(&transaction, key)?;
        if is_ranking {
            transaction.execute(
                "UPDATE items SET current_rank = NULL WHERE site = ?1 AND feed = ?2",
                params![key.site, key.feed],
            )?;
        }

        let mut outcome = RefreshOutcome::default();
        let mut seen_ids = HashSet::new();
        for (item_idx, item) in items.iter().enumerate() {
            if !seen_ids.insert(item.id.as_str()) {
                continue;
            }
            let rank = is_ranking.then(|| item.rank.filter(|rank| *rank >= 1).unwrap_or(item_idx as u32 + 1));
            match load_fields(&transaction, key, &item.id)? {
                None => {
                    insert_item(&transaction, key, item, &now_text, rank)?;
                    outcome.n_new += 1;
                }
                Some((row_id, stored)) => {
                    let merged = stored.merged_with(item);
                    if merged != stored {
                        write_fields(&transaction, row_id, &merged)?;
                        outcome.n_updated += 1;
                    } else {
                        outcome.n_unchanged += 1;
                    }
                    transaction.execute(
                        "UPDATE items SET last_seen = ?2,
                             current_rank = ?3,
                             best_rank = CASE WHEN ?3 IS NULL THEN best_rank ELSE min(coalesce(best_rank, ?3), ?3) END,
                             last_rank = coalesce(?3, last_rank),
                             last_on_list = CASE WHEN ?3 IS NULL THEN last_on_list ELSE ?2 END
                         WHERE row_id = ?1",
                        params![row_id, now_text, rank],
                    )?;
                }
            }
        }

        if max_items > 0 {
            outcome.n_pruned = transaction.execute(
                "DELETE FROM items WHERE site = ?1 AND feed = ?2 AND row_id NOT IN (
                     SELECT row_id FROM items WHERE site = ?1 AND feed = ?2
                     ORDER BY last_seen DESC, current_rank ASC NULLS LAST, first_seen DESC, row_id ASC LIMIT ?3)",
                params![key.site, key.feed, max_items],
            )?;
        }
        let item_count = count_items(&transaction, key)?;
        transaction.execute(
            "UPDATE feeds SET last_attempt = ?3, last_success = ?3, consecutive_failures = 0, last_error = NULL,
                 first_failure_at = NULL, item_count = ?4,
                 last_nonempty_at = CASE WHEN ?5 THEN ?3 ELSE last_nonempty_at END
             WHERE site = ?1 AND feed = ?2",
            params![key.site, key.feed, now_text, item_count, !items.is_empty()],
        )?;
        transaction.commit()?;
        drop(connection);
        self.bump_generation(key);
        Ok(outcome)
    }

    /// A feed's items in reading order, each with `first_seen` filled and `published` falling back to
    /// `first_seen` when the page gave no date.
    ///
    /// An ordinary feed is newest first (by `published`, else `first_seen`). A ranking lists the items
    /// on the list now by rank, then the ones that dropped off, most recently listed first (and, among
    /// those that dropped off together, in their last order), so a reader who polls rarely still sees
    /// what passed through; `rank` is the current rank, `None` when off the list.
    pub fn items(&self, key: &FeedKey, limit: Option<usize>, is_ranking: bool) -> Result<Vec<Item>, StoreError> {
        let order = if is_ranking {
            "current_rank IS NULL, current_rank ASC, last_on_list DESC, last_rank ASC, first_seen DESC, row_id ASC"
        } else {
            "coalesce(published, first_seen) DESC, first_seen DESC, row_id ASC"
        };
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, first_seen, current_rank FROM items
             WHERE site = ?1 AND feed = ?2 ORDER BY {order} LIMIT ?3"
        );
        // SQLite reads a negative LIMIT as "no limit".
        let limit = limit.and_then(|limit| i64::try_from(limit).ok()).unwrap_or(-1);
        let connection = self.lock();
        let mut statement = connection.prepare_cached(&sql)?;
        let mut rows = statement.query(params![key.site, key.feed, limit])?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            let fields = read_fields(row)?;
            let first_seen = text_to_time(&row.get::<_, String>("first_seen")?)?;
            let rank: Option<u32> = row.get("current_rank")?;
            items.push(Item {
                id: row.get("item_id")?,
                title: fields.title,
                url: fields.url,
                summary: fields.summary,
                content_html: fields.content_html,
                published: Some(fields.published.unwrap_or_else(|| first_seen.fixed_offset())),
                updated: fields.updated,
                authors: fields.authors,
                image: fields.image,
                categories: fields.categories,
                rank: if is_ranking { rank } else { None },
                first_seen: Some(first_seen),
            });
        }
        Ok(items)
    }

    /// Which of `ids` still need their article page: not stored yet, or stored but never completed
    /// (the article fetch has not run or has failed so far).
    pub fn ids_needing_completion(&self, key: &FeedKey, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let connection = self.lock();
        let mut completed = connection.prepare_cached(
            "SELECT 1 FROM items WHERE site = ?1 AND feed = ?2 AND item_id = ?3 AND completed_at IS NOT NULL",
        )?;
        let mut needing = HashSet::new();
        for id in ids {
            if !completed.exists(params![key.site, key.feed, id])? {
                needing.insert(id.clone());
            }
        }
        Ok(needing)
    }

    /// Note that the item's article page has been merged in. Returns `false` when the feed no longer
    /// has the item (retention may remove it between the refresh and the article fetch).
    pub fn mark_completed(&self, key: &FeedKey, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n_rows = self.lock().execute(
            "UPDATE items SET completed_at = ?4 WHERE site = ?1 AND feed = ?2 AND item_id = ?3",
            params![key.site, key.feed, id, time_to_text(now)],
        )?;
        Ok(n_rows > 0)
    }
}

/// The columns [`read_fields`] needs, in a form that can follow `SELECT`.
const ITEM_COLUMNS: &str = "row_id, item_id, title, url, summary, content_html, published, published_offset, \
     updated, updated_offset, authors, image, categories";

fn read_fields(row: &Row<'_>) -> Result<ItemFields, StoreError> {
    Ok(ItemFields {
        title: row.get("title")?,
        url: row.get("url")?,
        summary: row.get("summary")?,
        content_html: row.get("content_html")?,
        published: columns_to_page_date(row.get("published")?, row.get("published_offset")?)?,
        updated: columns_to_page_date(row.get("updated")?, row.get("updated_offset")?)?,
        authors: json_to_list(&row.get::<_, String>("authors")?)?,
        image: row.get("image")?,
        categories: json_to_list(&row.get::<_, String>("categories")?)?,
    })
}

fn load_fields(
    transaction: &Transaction<'_>,
    key: &FeedKey,
    id: &str,
) -> Result<Option<(i64, ItemFields)>, StoreError> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE site = ?1 AND feed = ?2 AND item_id = ?3");
    let mut statement = transaction.prepare_cached(&sql)?;
    let found = statement
        .query_row(params![key.site, key.feed, id], |row| Ok((row.get::<_, i64>("row_id")?, read_fields(row))))
        .optional()?;
    found.map(|(row_id, fields)| fields.map(|fields| (row_id, fields))).transpose()
}

fn insert_item(
    transaction: &Transaction<'_>,
    key: &FeedKey,
    item: &Item,
    now_text: &str,
    rank: Option<u32>,
) -> Result<(), StoreError> {
    let fields = ItemFields::from_item(item);
    let (published, published_offset) = page_date_to_columns(fields.published);
    let (updated, updated_offset) = page_date_to_columns(fields.updated);
    let mut statement = transaction.prepare_cached(
        "INSERT INTO items (site, feed, item_id, title, url, summary, content_html, published, published_offset,
             updated, updated_offset, authors, image, categories, first_seen, last_seen,
             current_rank, best_rank, last_rank, last_on_list)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?16, ?16,
             CASE WHEN ?16 IS NULL THEN NULL ELSE ?15 END)",
    )?;
    statement.execute(params![
        key.site,
        key.feed,
        item.id,
        fields.title,
        fields.url,
        fields.summary,
        fields.content_html,
        published,
        published_offset,
        updated,
        updated_offset,
        list_to_json(&fields.authors),
        fields.image,
        list_to_json(&fields.categories),
        now_text,
        rank,
    ])?;
    Ok(())
}

fn write_fields(transaction: &Transaction<'_>, row_id: i64, fields: &ItemFields) -> Result<(), StoreError> {
    let (published, published_offset) = page_date_to_columns(fields.published);
    let (updated, updated_offset) = page_date_to_columns(fields.updated);
    let mut statement = transaction.prepare_cached(
        "UPDATE items SET title = ?2, url = ?3, summary = ?4, content_html = ?5, published = ?6,
             published_offset = ?7, updated = ?8, updated_offset = ?9, authors = ?10, image = ?11, categories = ?12
         WHERE row_id = ?1",
    )?;
    statement.execute(params![
        row_id,
        fields.title,
        fields.url,
        fields.summary,
        fields.content_html,
        published,
        published_offset,
        updated,
        updated_offset,
        list_to_json(&fields.authors),
        fields.image,
        list_to_json(&fields.categories),
    ])?;
    Ok(())
}
