//! Store behaviour through its public methods, on real SQLite (in memory, or a temp file where the test
//! is about the file). The clock is faked by passing `now`.

use std::collections::HashSet;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use rusqlite::Connection;

use super::migrations::{MIGRATIONS, schema_version};
use super::*;
use crate::item::Item;

const MAX_ITEMS: u32 = 100;

fn key() -> FeedKey {
    FeedKey::new("japannews", "latest")
}

/// `minute` minutes after a fixed instant.
fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 10, 13, 0, 0, 0).single().expect("valid date") + Duration::minutes(minute)
}

fn page_date(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("valid date")
}

fn item(id: &str) -> Item {
    Item { id: id.into(), title: format!("Title {id}"), url: format!("https://example.com/{id}"), ..Item::default() }
}

/// A ranking list: `ids` in rank order.
fn ranking(ids: &[&str]) -> Vec<Item> {
    ids.iter().enumerate().map(|(idx, id)| Item { rank: Some(idx as u32 + 1), ..item(id) }).collect()
}

fn refresh(store: &Store, ids: &[&str], now: DateTime<Utc>) -> RefreshOutcome {
    let items: Vec<Item> = ids.iter().map(|id| item(id)).collect();
    store.apply_refresh(&key(), &items, now, false, MAX_ITEMS).expect("refresh")
}

fn outcome(n_new: usize, n_updated: usize, n_unchanged: usize, n_pruned: usize) -> RefreshOutcome {
    RefreshOutcome { n_new, n_updated, n_unchanged, n_pruned }
}

fn ids(items: &[Item]) -> Vec<&str> {
    items.iter().map(|item| item.id.as_str()).collect()
}

fn stored(store: &Store, is_ranking: bool) -> Vec<Item> {
    store.items(&key(), None, is_ranking).expect("items")
}

fn find<'i>(items: &'i [Item], id: &str) -> &'i Item {
    items.iter().find(|item| item.id == id).expect("item is stored")
}

// ---- refresh ----

#[test]
fn first_seen_never_changes() {
    let store = Store::open_in_memory().expect("store");
    assert_eq!(refresh(&store, &["a", "b"], at(0)), outcome(2, 0, 0, 0));
    assert_eq!(refresh(&store, &["c", "a", "b"], at(60)), outcome(1, 0, 2, 0));
    assert_eq!(refresh(&store, &["c", "a"], at(120)), outcome(0, 0, 2, 0));
    let items = stored(&store, false);
    assert_eq!(find(&items, "a").first_seen, Some(at(0)));
    assert_eq!(find(&items, "b").first_seen, Some(at(0)));
    assert_eq!(find(&items, "c").first_seen, Some(at(60)));
}

#[test]
fn no_duplicates_after_many_refreshes() {
    let store = Store::open_in_memory().expect("store");
    for refresh_idx in 0..50 {
        let result = refresh(&store, &["a", "b", "c"], at(refresh_idx));
        let expected = if refresh_idx == 0 { outcome(3, 0, 0, 0) } else { outcome(0, 0, 3, 0) };
        assert_eq!(result, expected, "refresh {refresh_idx}");
    }
    assert_eq!(ids(&stored(&store, false)), ["a", "b", "c"]);
    assert_eq!(store.feed_state(&key()).expect("state").map(|state| state.item_count), Some(3));
}

#[test]
fn an_id_listed_twice_in_one_refresh_counts_once() {
    let store = Store::open_in_memory().expect("store");
    let items = vec![item("a"), Item { title: "Second copy".into(), ..item("a") }, item("b")];
    let result = store.apply_refresh(&key(), &items, at(0), false, MAX_ITEMS).expect("refresh");
    assert_eq!(result, outcome(2, 0, 0, 0));
    assert_eq!(find(&stored(&store, false), "a").title, "Title a");
}

#[test]
fn a_changed_title_updates_without_making_the_item_new() {
    let store = Store::open_in_memory().expect("store");
    refresh(&store, &["a", "b"], at(0));
    let renamed = vec![Item { title: "Corrected title".into(), ..item("a") }, item("b")];
    let result = store.apply_refresh(&key(), &renamed, at(30), false, MAX_ITEMS).expect("refresh");
    assert_eq!(result, outcome(0, 1, 1, 0));
    let items = stored(&store, false);
    assert_eq!(find(&items, "a").title, "Corrected title");
    assert_eq!(find(&items, "a").first_seen, Some(at(0)));
}

/// Scrape `first`, then `later` (same id), and compare what is stored with `expected`.
fn check_merge(first: Item, later: Item, expected: Item) {
    let store = Store::open_in_memory().expect("store");
    store.apply_refresh(&key(), &[first], at(0), false, MAX_ITEMS).expect("first refresh");
    store.apply_refresh(&key(), &[later], at(10), false, MAX_ITEMS).expect("later refresh");
    let items = stored(&store, false);
    let expected =
        Item { published: expected.published.or(Some(at(0).fixed_offset())), first_seen: Some(at(0)), ..expected };
    assert_eq!(items, [expected]);
}

#[test]
fn a_later_scrape_never_erases_a_value() {
    let full = Item {
        summary: Some("From the article page".into()),
        content_html: Some("<p>Body</p>".into()),
        published: Some(page_date("2024-10-13T17:41:00+09:00")),
        updated: Some(page_date("2024-10-13T18:00:00+09:00")),
        authors: vec!["Jane Doe".into()],
        image: Some("https://example.com/a.jpg".into()),
        categories: vec!["Politics".into()],
        ..item("a")
    };
    // A bare list entry keeps everything.
    check_merge(full.clone(), item("a"), full.clone());
    // Blank text counts as missing.
    check_merge(
        full.clone(),
        Item { summary: Some("  ".into()), image: Some(String::new()), title: " ".into(), ..item("a") },
        full.clone(),
    );
    // New non-empty values win, field by field.
    check_merge(
        full.clone(),
        Item { summary: Some("Shorter".into()), categories: vec!["World".into()], ..item("a") },
        Item { summary: Some("Shorter".into()), categories: vec!["World".into()], ..full.clone() },
    );
    // A later scrape fills what the first lacked.
    check_merge(item("a"), full.clone(), full.clone());
    // The page's offset survives the round trip.
    check_merge(
        item("a"),
        Item { published: Some(page_date("2024-10-13T08:00:00-05:00")), ..item("a") },
        Item { published: Some(page_date("2024-10-13T08:00:00-05:00")), ..item("a") },
    );
}

#[test]
fn an_unchanged_scrape_with_subsecond_dates_is_unchanged() {
    let store = Store::open_in_memory().expect("store");
    let precise = Item { published: Some(page_date("2024-10-13T08:00:00.123456789+09:00")), ..item("a") };
    store.apply_refresh(&key(), std::slice::from_ref(&precise), at(0), false, MAX_ITEMS).expect("refresh");
    let result = store.apply_refresh(&key(), &[precise], at(1), false, MAX_ITEMS).expect("refresh");
    assert_eq!(result, outcome(0, 0, 1, 0));
}

#[test]
fn an_item_with_an_empty_id_is_refused() {
    let store = Store::open_in_memory().expect("store");
    let error = store.apply_refresh(&key(), &[item("a"), item("")], at(0), false, MAX_ITEMS).unwrap_err();
    assert!(matches!(error, StoreError::EmptyItemId { item_idx: 1, .. }), "{error}");
    assert_eq!(stored(&store, false), []);
}

// ---- reading order ----

#[test]
fn ordinary_feeds_are_newest_first_by_published_else_first_seen() {
    let store = Store::open_in_memory().expect("store");
    let dated = |id: &str, published: &str| Item { published: Some(page_date(published)), ..item(id) };
    let first = vec![
        dated("old", "2024-10-12T00:00:00+09:00"),
        item("undated"),                           // first seen at(0) = 2024-10-13T00:00Z
        dated("new", "2024-10-13T10:00:00+09:00"), // 01:00Z
    ];
    store.apply_refresh(&key(), &first, at(0), false, MAX_ITEMS).expect("refresh");
    store.apply_refresh(&key(), &[item("later")], at(30), false, MAX_ITEMS).expect("refresh");
    let items = stored(&store, false);
    assert_eq!(ids(&items), ["new", "later", "undated", "old"]);
    assert_eq!(find(&items, "undated").published, Some(at(0).fixed_offset()));
    assert_eq!(find(&items, "new").published, Some(page_date("2024-10-13T10:00:00+09:00")));
    assert!(items.iter().all(|item| item.rank.is_none()));
    assert_eq!(ids(&store.items(&key(), Some(2), false).expect("items")), ["new", "later"]);
}

#[test]
fn ranking_tracks_current_and_best_rank_and_keeps_what_dropped_off() {
    let store = Store::open_in_memory().expect("store");
    store.apply_refresh(&key(), &ranking(&["a", "b", "c"]), at(0), true, MAX_ITEMS).expect("refresh");
    store.apply_refresh(&key(), &ranking(&["c", "a"]), at(60), true, MAX_ITEMS).expect("refresh");

    let items = stored(&store, true);
    assert_eq!(ids(&items), ["c", "a", "b"]);
    let ranks: Vec<Option<u32>> = items.iter().map(|item| item.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2), None]);

    // Then the list changes completely: what dropped off stays, most recently listed first.
    store.apply_refresh(&key(), &ranking(&["d"]), at(120), true, MAX_ITEMS).expect("refresh");
    let items = stored(&store, true);
    assert_eq!(ids(&items), ["d", "c", "a", "b"]);
    assert_eq!(items.iter().map(|item| item.rank).collect::<Vec<_>>(), [Some(1), None, None, None]);

    let connection = store.lock();
    let best_rank = |id: &str| -> Option<u32> {
        connection.query_row("SELECT best_rank FROM items WHERE item_id = ?1", [id], |row| row.get(0)).expect("row")
    };
    assert_eq!([best_rank("a"), best_rank("b"), best_rank("c"), best_rank("d")], [Some(1), Some(2), Some(1), Some(1)]);
}

#[test]
fn a_ranking_item_without_a_rank_takes_its_position() {
    let store = Store::open_in_memory().expect("store");
    store.apply_refresh(&key(), &[item("a"), item("b")], at(0), true, MAX_ITEMS).expect("refresh");
    let ranks: Vec<Option<u32>> = stored(&store, true).iter().map(|item| item.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2)]);
}

#[test]
fn retention_keeps_the_most_recently_seen_items_per_feed() {
    let store = Store::open_in_memory().expect("store");
    let other = FeedKey::new("japannews", "politics");
    store.apply_refresh(&other, &[item("x")], at(0), false, 3).expect("refresh");

    let first: Vec<Item> = ["a", "b", "c", "d"].iter().map(|id| item(id)).collect();
    // Seen at the same time, the page's order decides: its last item goes.
    assert_eq!(store.apply_refresh(&key(), &first, at(0), false, 3).expect("refresh"), outcome(4, 0, 0, 1));
    assert_eq!(
        store.apply_refresh(&key(), &[item("e"), item("b")], at(10), false, 3).expect("refresh"),
        outcome(1, 0, 1, 1)
    );
    let mut kept = ids(&stored(&store, false)).into_iter().map(String::from).collect::<Vec<_>>();
    kept.sort();
    assert_eq!(kept, ["a", "b", "e"]);
    assert_eq!(store.feed_state(&key()).expect("state").map(|state| state.item_count), Some(3));
    assert_eq!(ids(&store.items(&other, None, false).expect("items")), ["x"]);
    // A ranking keeps its top when the list is longer than the limit, even if the top is older.
    let top = FeedKey::new("japannews", "ranking");
    store.apply_refresh(&top, &ranking(&["r1", "r2"]), at(0), true, 2).expect("refresh");
    store.apply_refresh(&top, &ranking(&["r2", "r1", "r3"]), at(10), true, 2).expect("refresh");
    assert_eq!(ids(&store.items(&top, None, true).expect("items")), ["r2", "r1"]);
    // 0 keeps everything.
    refresh(&store, &["f", "g"], at(20));
    store.apply_refresh(&key(), &[item("h")], at(30), false, 0).expect("refresh");
    assert_eq!(stored(&store, false).len(), 6);
}

// ---- feed state ----

#[test]
fn failures_keep_items_and_count_until_a_success() {
    let store = Store::open_in_memory().expect("store");
    assert_eq!(store.feed_state(&key()).expect("state"), None);
    refresh(&store, &["a", "b"], at(0));

    store.record_failure(&key(), at(10), "example.com answered HTTP 503").expect("failure");
    let state = store.record_failure(&key(), at(20), "request timed out").expect("failure");
    assert_eq!(
        state,
        FeedState {
            last_attempt: Some(at(20)),
            last_success: Some(at(0)),
            consecutive_failures: 2,
            last_error: Some("request timed out".into()),
            item_count: 2,
            first_failure_at: Some(at(10)),
            last_nonempty_at: Some(at(0)),
            page_bytes: None,
        }
    );
    assert_eq!(store.feed_state(&key()).expect("state"), Some(state));
    assert_eq!(ids(&stored(&store, false)), ["a", "b"]);

    refresh(&store, &["a", "b", "c"], at(30));
    let state = store.feed_state(&key()).expect("state");
    assert_eq!(
        state,
        Some(FeedState {
            last_attempt: Some(at(30)),
            last_success: Some(at(30)),
            consecutive_failures: 0,
            last_error: None,
            item_count: 3,
            first_failure_at: None,
            last_nonempty_at: Some(at(30)),
            page_bytes: None,
        })
    );

    // An empty success is still a success, but not a non-empty one.
    store.apply_refresh(&key(), &[], at(40), false, MAX_ITEMS).expect("refresh");
    let state = store.feed_state(&key()).expect("state").expect("known feed");
    assert_eq!((state.last_success, state.last_nonempty_at), (Some(at(40)), Some(at(30))));

    // A 304 is a success that touches no item; the page size is remembered for the next fetch.
    store.record_failure(&key(), at(50), "timed out").expect("failure");
    store.record_not_modified(&key(), at(60)).expect("not modified");
    store.set_page_bytes(&key(), 58_000).expect("page bytes");
    let state = store.feed_state(&key()).expect("state").expect("known feed");
    assert_eq!((state.last_success, state.consecutive_failures, state.first_failure_at), (Some(at(60)), 0, None));
    assert_eq!(state.page_bytes, Some(58_000));
    assert_eq!(state.item_count, 3);
}

#[test]
fn generation_moves_only_when_items_change() {
    let store = Store::open_in_memory().expect("store");
    let generation = |store: &Store| store.generation_counter(&key()).load(std::sync::atomic::Ordering::Acquire);
    assert_eq!(generation(&store), 0);
    let counter = store.generation_counter(&key());
    refresh(&store, &["a"], at(0));
    assert_eq!(generation(&store), 1);
    store.record_failure(&key(), at(10), "oops").expect("failure");
    assert_eq!(generation(&store), 1, "a failure changes no item");
    refresh(&store, &["a", "b"], at(20));
    assert_eq!(counter.load(std::sync::atomic::Ordering::Acquire), 2, "a counter handed out earlier sees later changes");
}

#[test]
fn a_feed_that_never_succeeded_has_a_failure_state() {
    let store = Store::open_in_memory().expect("store");
    let other = FeedKey::new("another", "feed");
    let state = store.record_failure(&other, at(5), "no items").expect("failure");
    assert_eq!((state.consecutive_failures, state.last_success, state.item_count), (1, None, 0));
    refresh(&store, &["a"], at(6));
    let keys: Vec<FeedKey> = store.all_feed_states().expect("states").into_iter().map(|(key, _)| key).collect();
    assert_eq!(keys, [other, key()]);
}

// ---- completion ----

#[test]
fn completion_merges_article_fields_and_is_remembered() {
    let store = Store::open_in_memory().expect("store");
    refresh(&store, &["a", "b"], at(0));
    let asked: Vec<String> = ["a", "b", "new"].iter().map(|id| id.to_string()).collect();
    assert_eq!(store.ids_needing_completion(&key(), &asked).expect("needing").len(), 3);

    // A refresh whose item "a" was completed from its article page, then marked.
    let completed = Item { summary: Some("Lead paragraph".into()), ..item("a") };
    store.apply_refresh(&key(), &[completed, item("b")], at(1), false, MAX_ITEMS).expect("refresh");
    assert!(store.mark_completed(&key(), "a", at(1)).expect("mark"));
    assert!(!store.mark_completed(&key(), "gone", at(1)).expect("mark"));

    let needing = store.ids_needing_completion(&key(), &asked).expect("needing");
    assert_eq!(needing, HashSet::from(["b".to_string(), "new".to_string()]));

    // The next list scrape neither erases the summary nor counts the item as changed.
    assert_eq!(refresh(&store, &["a", "b"], at(10)), outcome(0, 0, 2, 0));
    let items = stored(&store, false);
    assert_eq!(find(&items, "a").summary.as_deref(), Some("Lead paragraph"));
    assert_eq!(find(&items, "a").title, "Title a");
}

// ---- HTTP cache ----

#[test]
fn http_cache_round_trip() {
    let store = Store::open_in_memory().expect("store");
    let url = "https://example.com/list";
    assert_eq!(store.http_cache(url).expect("read"), None);
    store.set_http_cache(url, Some("\"v1\""), Some("Sun, 13 Oct 2024 08:41:00 GMT")).expect("write");
    store.set_http_cache(url, Some("\"v2\""), None).expect("write");
    assert_eq!(
        store.http_cache(url).expect("read"),
        Some(HttpCacheEntry { etag: Some("\"v2\"".into()), last_modified: None })
    );
    store.set_http_cache(url, None, None).expect("write");
    assert_eq!(store.http_cache(url).expect("read"), None);
}

// ---- the file ----

#[test]
fn reopening_keeps_data_and_does_not_migrate_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feedwright.db");
    {
        let store = Store::open(&path).expect("first open");
        refresh(&store, &["a"], at(0));
    }
    let store = Store::open(&path).expect("second open");
    assert_eq!(ids(&stored(&store, false)), ["a"]);
    assert_eq!(schema_version(&store.lock()), MIGRATIONS.len() as i64);
    let journal_mode: String = store.lock().pragma_query_value(None, "journal_mode", |row| row.get(0)).expect("pragma");
    assert_eq!(journal_mode, "wal");
    let foreign_keys: bool = store.lock().pragma_query_value(None, "foreign_keys", |row| row.get(0)).expect("pragma");
    assert!(foreign_keys);
}

#[test]
fn a_store_from_a_newer_feedwright_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feedwright.db");
    drop(Store::open(&path).expect("open"));
    let newer = MIGRATIONS.len() as i64 + 1;
    Connection::open(&path).and_then(|raw| raw.pragma_update(None, "user_version", newer)).expect("bump version");

    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(error, StoreError::NewerSchema { found, supported, .. } if found == newer && supported == MIGRATIONS.len())
    );
    assert!(error.to_string().contains("upgrade feedwright"), "{error}");
}

#[test]
fn opening_creates_missing_directories() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data/nested/feedwright.db");
    let store = Store::open(&path).expect("open");
    store.health_check().expect("writable");
    assert!(path.is_file());
}

#[test]
fn an_unwritable_path_is_a_clear_error() {
    // A regular file where a directory should be: refused whatever the user's rights (tests may run as root).
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").expect("write file");
    let error = Store::open(&blocker.join("feedwright.db")).unwrap_err();
    assert!(matches!(error, StoreError::Open { .. } | StoreError::CreateDir { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("not-a-dir") && message.contains("writable"), "{message}");

    let error = Store::open(&blocker.join("sub/feedwright.db")).unwrap_err();
    assert!(matches!(error, StoreError::CreateDir { .. }), "{error:?}");

    let error = Store::open(dir.path()).unwrap_err();
    assert!(error.to_string().starts_with("cannot open the store at"), "{error}");
}

#[test]
fn health_check_fails_on_a_read_only_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feedwright.db");
    drop(Store::open(&path).expect("open"));
    let read_only = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let store = Store::from_connection(read_only, &path).expect("already migrated");
    assert!(store.health_check().is_err());
}

// ---- crash safety ----

#[test]
fn a_refresh_that_fails_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feedwright.db");
    let store = Store::open(&path).expect("open");
    store.apply_refresh(&key(), &ranking(&["a", "b"]), at(0), true, MAX_ITEMS).expect("refresh");
    let items_before = stored(&store, true);
    let state_before = store.feed_state(&key()).expect("state");

    // The write of the third item fails, after a new item was inserted, a known one renamed, ranks
    // cleared and the other ranks rewritten.
    store
        .lock()
        .execute_batch(
            "CREATE TEMP TRIGGER fail_midway BEFORE INSERT ON items WHEN NEW.item_id = 'poison'
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        )
        .expect("trigger");
    let mut next = ranking(&["new", "b", "poison", "after"]);
    next[1].title = "Renamed".into();
    let error = store.apply_refresh(&key(), &next, at(10), true, 1).unwrap_err();
    assert!(error.to_string().contains("simulated failure"), "{error}");

    assert_eq!(stored(&store, true), items_before);
    assert_eq!(store.feed_state(&key()).expect("state"), state_before);
    // And on disk, as a fresh process would see it.
    drop(store);
    let reopened = Store::open(&path).expect("reopen");
    assert_eq!(stored(&reopened, true), items_before);
    assert_eq!(reopened.feed_state(&key()).expect("state"), state_before);
}

#[test]
fn store_is_shareable_across_tasks() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<Store>();

    let store = Store::open_in_memory().expect("store");
    let handles: Vec<_> = (0..4)
        .map(|thread_idx| {
            let store = store.clone();
            std::thread::spawn(move || {
                let key = FeedKey::new("site", format!("feed{thread_idx}"));
                for minute in 0..10 {
                    store.apply_refresh(&key, &[item("a"), item("b")], at(minute), false, MAX_ITEMS).expect("refresh");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread");
    }
    assert_eq!(store.all_feed_states().expect("states").len(), 4);
}
