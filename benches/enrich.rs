//! Enrichment throughput: completing items from their article pages (fetch + parse + metadata +
//! sanitize), against a local origin serving 500 Japan-News-sized article pages (~58 KB each).
//!
//! Two modes, measured in the same run:
//! - limits off: no per-host limits, 16 article fetches at once, all pages on one host;
//! - limits on: the default politeness (2 requests in flight and 1 s between requests per host), with
//!   the pages spread over 100 loopback hosts (127.0.0.1 to 127.0.0.100), as a refresh of many sites would.
//!
//! Run: `cargo bench --bench enrich` (prints pages per second for each mode and their ratio).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use feedwright::config;
use feedwright::fetch::politeness::PolitenessOptions;
use feedwright::fetch::{FetchOptions, Fetcher};
use feedwright::item::Item;
use feedwright::schedule::refresh::{RefreshContext, complete_items};
use feedwright::store::Store;
use tokio::sync::Semaphore;

const N_PAGES: usize = 500;
const N_HOSTS: usize = 100;

async fn article(State(pages): State<Arc<Vec<String>>>, UrlPath(page_idx): UrlPath<usize>) -> impl IntoResponse {
    let body = pages.get(page_idx).cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/html; charset=UTF-8")], body)
}

fn router(pages: Arc<Vec<String>>) -> Router {
    Router::new().route("/article/{page_idx}/", get(article)).with_state(pages)
}

/// Serve the pages on 127.0.0.1 and on 127.0.0.2..=127.0.0.N_HOSTS at the same port, so that each
/// loopback address counts as its own host for the per-host limits. Loopback only.
async fn start_origin(pages: Arc<Vec<String>>) -> u16 {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(axum::serve(listener, router(pages.clone())).into_future());
    for host in 2..=N_HOSTS as u8 {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, host], port))).await.expect("bind another loopback address");
        tokio::spawn(axum::serve(listener, router(pages.clone())).into_future());
    }
    port
}

async fn run(mode: &str, politeness: PolitenessOptions, article_concurrency: usize, n_hosts: usize, port: u16) -> f64 {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = config::load_dir(&root.join("config")).expect("shipped config");
    let mut site = loaded.site("japannews").expect("site").clone();
    site.obey_robots = false;
    let items: Vec<Item> = (0..N_PAGES)
        .map(|page_idx| {
            let host = 1 + page_idx % n_hosts;
            let url = format!("http://127.0.0.{host}:{port}/article/{page_idx}/");
            Item { id: url.clone(), title: format!("Item {page_idx}"), url, ..Default::default() }
        })
        .collect();
    let needing: HashSet<String> = items.iter().map(|item| item.id.clone()).collect();
    let fetcher = Fetcher::new(FetchOptions {
        user_agent: "feedwright-bench".into(),
        timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(5),
        max_body_bytes: 5_000_000,
        max_redirects: 5,
        max_attempts: 1,
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_secs(1),
        politeness,
    })
    .expect("fetcher");
    let context = RefreshContext { fetcher, store: Store::open_in_memory().expect("store"), article_slots: Arc::new(Semaphore::new(article_concurrency)) };
    let started = Instant::now();
    let ((completed, completed_ids), n_warnings) = complete_items(&context, &site, items, &needing, Utc::now()).await;
    let elapsed = started.elapsed();
    assert_eq!(completed_ids.len(), N_PAGES, "every page completed ({n_warnings} warnings)");
    assert!(completed.iter().all(|item| item.published.is_some() && item.content_html.is_some()));
    let pages_per_second = N_PAGES as f64 / elapsed.as_secs_f64();
    println!("{mode:<44} {N_PAGES} pages in {:>7.2} s = {pages_per_second:>7.1} pages/s", elapsed.as_secs_f64());
    pages_per_second
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and wants a quick check.
    let quick = !std::env::args().any(|argument| argument == "--bench");
    let template = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/japannews/article-politics.html")).expect("fixture");
    let pages: Vec<String> = (0..N_PAGES).map(|page_idx| template.replace("300101", &format!("{}", 400_000 + page_idx))).collect();
    let pages = Arc::new(pages);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let port = start_origin(pages).await;
        if quick {
            run("limits off (quick check)", PolitenessOptions::OFF, 16, 1, port).await;
            return;
        }
        let mut off = Vec::new();
        for _ in 0..3 {
            off.push(run("limits off, 1 host, 16 at once", PolitenessOptions::OFF, 16, 1, port).await);
        }
        let defaults = PolitenessOptions { max_in_flight_per_host: Some(2), min_gap_per_host: Some(Duration::from_secs(1)) };
        let on = run(&format!("limits on (2/host, 1 s gap), {N_HOSTS} hosts"), defaults, 16, N_HOSTS, port).await;
        off.sort_by(f64::total_cmp);
        let median_off = off[1];
        println!("median limits off: {median_off:.1} pages/s; limits on: {on:.1} pages/s; on/off = {:.3}", on / median_off);
    });
}
