//! Extraction's overhead over bare HTML parsing, on a Japan-News-sized article page (~58 KB).
//!
//! `parse_only` parses the page with scraper and nothing else: the floor any extractor pays.
//! `extract/*` runs the whole of `extract_feed` (parse included) for a shipped feed. The ratio
//! extract / parse_only is the figure to watch; the target is at most 1.5.
//!
//! Run: `cargo bench --bench extract`

use std::hint::black_box;
use std::path::Path;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feedwright::config;
use feedwright::extract::{ExtractContext, extract_feed};
use url::Url;

fn bench_extract(criterion: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = config::load_dir(&root.join("config")).expect("shipped config is valid");
    let page = std::fs::read_to_string(root.join("tests/fixtures/japannews/article-politics.html")).expect("fixture");
    let page_url = Url::parse("https://japannews.yomiuri.co.jp/politics/politics-government/20261128-300101/").expect("url");

    let mut group = criterion.benchmark_group("japannews_article_page");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("parse_only", |bencher| {
        bencher.iter(|| black_box(scraper::Html::parse_document(black_box(&page))))
    });
    for feed_id in ["access-ranking", "popular-politics"] {
        let (site, feed) = config.feed("japannews", feed_id).expect("feed");
        let context = ExtractContext { now: Utc::now(), timezone: site.timezone };
        group.bench_function(format!("extract/{feed_id}"), |bencher| {
            bencher.iter(|| {
                let extraction = extract_feed(black_box(&page), &page_url, feed, &context);
                assert_eq!(extraction.items.len(), 5);
                black_box(extraction)
            })
        });
    }
    let (site, feed) = config.feed("japannews", "latest").expect("feed");
    let listing = std::fs::read_to_string(root.join("tests/fixtures/japannews/latestnews.html")).expect("fixture");
    let listing_url = Url::parse("https://japannews.yomiuri.co.jp/latestnews/").expect("url");
    let context = ExtractContext { now: Utc::now(), timezone: site.timezone };
    group.bench_function("parse_only_listing", |bencher| {
        bencher.iter(|| black_box(scraper::Html::parse_document(black_box(&listing))))
    });
    group.bench_function("extract/latest_listing", |bencher| {
        bencher.iter(|| black_box(extract_feed(black_box(&listing), &listing_url, feed, &context)))
    });
    group.finish();
}

criterion_group!(benches, bench_extract);
criterion_main!(benches);
