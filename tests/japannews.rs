//! The shipped Japan News config against synthetic pages with the real markup
//! (tests/fixtures/japannews/, see its README for the facts asserted here).

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use feedwright::config::{self, Config, Feed, Site};
use feedwright::extract::{ExtractContext, Extraction, Warning, extract_feed};
use feedwright::fetch::charset::decode_html;
use url::Url;

const HOST: &str = "https://japannews.yomiuri.co.jp";

fn shipped_config() -> Config {
    config::load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config"))).expect("shipped config is valid")
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/japannews").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    decode_html(&bytes, None).0
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 7, 35, 0).single().expect("valid date")
}

fn extract(feed_id: &str, page: &str, page_url: &str) -> Extraction {
    let config = shipped_config();
    let (site, feed): (&Site, &Feed) = config.feed("japannews", feed_id).expect("feed exists");
    let context = ExtractContext { now: now(), timezone: site.timezone };
    extract_feed(&fixture(page), &Url::parse(page_url).expect("url"), feed, &context)
}

fn titles_and_links(extraction: &Extraction) -> Vec<(String, String)> {
    extraction.items.iter().map(|item| (item.title.clone(), item.url.clone())).collect()
}

fn expected(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(title, path)| (title.to_string(), format!("{HOST}{path}"))).collect()
}

#[test]
fn access_ranking_from_an_article_page() {
    let extraction = extract("access-ranking", "article-politics.html", &format!("{HOST}/politics/politics-government/20261128-300101/"));
    assert_eq!(
        titles_and_links(&extraction),
        expected(&[
            ("Survey Finds 62％ of Foreign Visitors Plan Return Trip; Rural Inns Report ‘Unprecedented’ Winter Bookings", "/society/general-news/20261125-299630/"),
            ("Rice Prices Climb for 9th Straight Week as Retailers Warn of “Year-End Squeeze”", "/business/economy/20261126-299741/"),
            ("Deep-Sea Probe Recovers 3,000-Year-Old Coral Core off Ogasawara Islands", "/science-nature/science/20261123-299418/"),
            ("Late-Season Typhoon Weakens Near Okinawa; Ferry Services Resume After 3-Day Halt", "/society/general-news/20261127-299910/"),
            ("Anime Film 「月光ステーション」 Tops Box Office for 4th Weekend, Drawing Fans to Rural Rail Line", "/culture/manga-anime/20261124-299560/"),
        ])
    );
    let ranks: Vec<Option<u32>> = extraction.items.iter().map(|item| item.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    assert!(extraction.items.iter().all(|item| item.image.as_deref().is_some_and(|image| image.starts_with(HOST) && image.ends_with(".jpg"))));
    assert!(extraction.warnings.is_empty(), "{:?}", extraction.warnings);
}

#[test]
fn popular_politics_from_a_politics_article_page() {
    let extraction = extract("popular-politics", "article-politics.html", &format!("{HOST}/politics/politics-government/20261128-300101/"));
    assert_eq!(
        titles_and_links(&extraction),
        expected(&[
            ("Defense Ministry to Deploy Long-Range Radar on Remote Island by 2028; Local Assembly Approves Plan by One Vote", "/politics/defense-security/20261121-299120/"),
            ("Upper House Passes Bill on Disaster Relief Funds & Volunteer Insurance", "/politics/politics-government/20261125-299655/"),
            ("Voter Turnout in Prefectural Assembly By-Election Falls to Record-Low 28.4％", "/politics/election/20261122-299301/"),
            ("Cabinet Approves Draft Guidelines on Use of Generative AI in Central Government Offices, Requiring Human Review of All Public-Facing Documents and Annual Audits by an Independent Panel", "/politics/politics-government/20261126-299788/"),
            ("‘Politics of Population Decline’ / Towns Merge Schools, Clinics as Councils Struggle to Fill Seats", "/politics/political-series/20261120-299044/"),
        ])
    );
    assert_eq!(extraction.items[4].rank, Some(5));
    assert!(extraction.warnings.is_empty(), "{:?}", extraction.warnings);
}

#[test]
fn popular_business_from_the_wire_article() {
    let extraction = extract("popular-business", "article-business-wire.html", &format!("{HOST}/business/companies/20261129-300222/"));
    let titles: Vec<&str> = extraction.items.iter().map(|item| item.title.as_str()).collect();
    assert_eq!(titles.len(), 5);
    assert_eq!(titles[0], "Regional Bank Merger Talks Stall Over Branch Closures & Staff Transfers");
    assert_eq!(titles[1], "Nikkei Ends Week Up 3.1％ as Chip Stocks Rally; Yen Weakens Past ¥158");
}

#[test]
fn latest_list_reads_every_item_and_reports_the_gaps() {
    let extraction = extract("latest", "latestnews.html", &format!("{HOST}/latestnews/"));
    assert_eq!(extraction.n_matched, 20);
    assert_eq!(extraction.items.len(), 20);
    let first = &extraction.items[0];
    assert_eq!(first.title, "Kitaura Rail Systems to Raise Base Pay by 5.8％, Citing ‘Severe’ Shortage of Track Maintenance Workers");
    assert_eq!(first.url, format!("{HOST}/business/companies/20261129-300222/"));
    assert_eq!(first.id, first.url);
    assert!(first.summary.as_deref().is_some_and(|summary| summary.starts_with("TOKYO (Jiji Press) — Kitaura Rail Systems Co. plans")));
    assert_eq!(first.published.map(|date| date.to_rfc3339()).as_deref(), Some("2026-11-29T00:00:00+09:00"));
    assert_eq!(first.image.as_deref(), Some("https://japannews.yomiuri.co.jp/wp-content/uploads/2026/11/20261129-kitaura-rail-250x167.jpg"));
    assert_eq!(first.rank, None);
    assert_eq!(extraction.items[2].title, "Ekiden: Shimane High School Breaks Course Record & Wins First Regional Title");

    // Item 7 has no excerpt, item 14 an empty date: kept, with a warning naming the selector.
    assert!(extraction.items[6].summary.is_none());
    assert!(extraction.items[13].published.is_none());
    assert!(extraction.warnings.contains(&Warning::FieldMissing {
        field: "summary".into(),
        selector: "a h3".into(),
        n_missing: 1,
        n_items: 20,
        first_missing_item: 7
    }));
    assert!(extraction.warnings.iter().any(|warning| matches!(warning, Warning::FieldMissing { field, first_missing_item: 14, .. } if field == "date")));
}

#[test]
fn section_list() {
    let extraction = extract("politics", "politics.html", &format!("{HOST}/politics/"));
    assert_eq!(extraction.items.len(), 12);
    assert!(extraction.items.iter().all(|item| item.url.starts_with(&format!("{HOST}/politics/"))));
    assert!(extraction.items.iter().all(|item| item.published.is_some() && item.summary.is_some()));
    assert!(extraction.warnings.is_empty(), "{:?}", extraction.warnings);
}

#[test]
fn a_list_feed_on_the_wrong_page_says_so() {
    // An article page has no `li.clearfix` list: the warning must point at the selector.
    let extraction = extract("latest", "article-politics.html", &format!("{HOST}/latestnews/"));
    assert!(extraction.items.is_empty());
    assert!(matches!(&extraction.warnings[..], [Warning::NoItems { selector, .. }] if selector == "li.clearfix"), "{:?}", extraction.warnings);
    assert!(extraction.warnings[0].to_string().contains("the layout may have changed"));
}

#[test]
fn a_section_ranking_read_on_another_sections_article_is_refused() {
    // The politics article's ranking is "Politics" POPULAR ARTICLE: not the business ranking.
    let extraction = extract("popular-business", "article-politics.html", &format!("{HOST}/politics/politics-government/20261128-300101/"));
    assert!(extraction.items.is_empty());
    let [Warning::CheckFailed { found, .. }] = &extraction.warnings[..] else { panic!("{:?}", extraction.warnings) };
    assert_eq!(found.as_deref(), Some("\"Politics\" POPULAR ARTICLE"));
    assert!(extraction.warnings[0].to_string().contains("this is not the page the feed expects"));
}
