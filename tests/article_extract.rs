//! Generic article extraction (`extract::article`) against synthetic pages that mark up metadata the
//! way real publishers do (tests/fixtures/articles/, invented text) and the Japan News fixtures.
//!
//! Each case names a fixture and the subset of the result it pins down. A fixture's first line,
//! `<!-- page: URL -->`, is the URL it is read as (`@page_url` in the expectation overrides it).

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use feedwright::extract::ExtractContext;
use feedwright::extract::article::{Article, extract_article, sanitize_html};
use serde_json::{Value, json};
use url::Url;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 15, 0, 0, 0).single().expect("valid date")
}

fn read_fixture(file: &str) -> String {
    let relative = if file.contains('/') { file.to_owned() } else { format!("articles/{file}") };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn declared_page_url(html: &str) -> Option<String> {
    let first_line = html.lines().next()?;
    let url = first_line.trim().strip_prefix("<!-- page:")?.strip_suffix("-->")?;
    Some(url.trim().to_owned())
}

fn extract(file: &str, page_url: Option<&str>, timezone: chrono_tz::Tz) -> Article {
    let html = read_fixture(file);
    let page_url = page_url.map(str::to_owned).or_else(|| declared_page_url(&html)).unwrap_or_else(|| panic!("{file}: no page URL"));
    let context = ExtractContext { now: now(), timezone };
    extract_article(&html, &Url::parse(&page_url).expect("page URL"), &context)
}

/// Extract `file` and compare the keys of `expected` with the result.
///
/// Plain keys (`title`, `published`, `authors`, ...) must equal the serialized field (`null` for none).
/// `KEY~contains` takes a list: each string must be a substring of the field (or an element of a
/// list field); `KEY~excludes` the opposite. `@page_url` and `@timezone` (default UTC) set the input.
fn check(file: &str, expected: Value) {
    let Value::Object(expected) = expected else { panic!("expectation must be an object") };
    let page_url = expected.get("@page_url").and_then(Value::as_str);
    let timezone = expected.get("@timezone").and_then(Value::as_str).map_or(chrono_tz::Tz::UTC, |name| name.parse().expect("zone"));
    let article = extract(file, page_url, timezone);
    let actual = serde_json::to_value(&article).expect("article serializes");
    for (key, wanted) in &expected {
        if key.starts_with('@') {
            continue;
        }
        let (field, operator) = key.split_once('~').unwrap_or((key.as_str(), ""));
        let got = actual.get(field).unwrap_or_else(|| panic!("{file}: no field {field:?}"));
        match operator {
            "" => assert_eq!(got, wanted, "{file}: {field}\nwhole result: {actual:#}"),
            "contains" | "excludes" => {
                for needle in wanted.as_array().expect("a list of needles") {
                    let found = match got {
                        Value::String(text) => text.contains(needle.as_str().expect("string needle")),
                        Value::Array(items) => items.contains(needle),
                        _ => false,
                    };
                    let want_found = operator == "contains";
                    assert_eq!(found, want_found, "{file}: {field} {operator} {needle}\nwhole result: {actual:#}");
                }
            }
            other => panic!("unknown operator {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Japan News (synthetic pages with the real markup)
// ---------------------------------------------------------------------------------------------

const JAPAN_NEWS_POLITICS: &str = "https://japannews.yomiuri.co.jp/politics/politics-government/20261128-300101/";
const JAPAN_NEWS_WIRE: &str = "https://japannews.yomiuri.co.jp/business/companies/20261129-300222/";

#[test]
fn japan_news_politics_article() {
    check(
        "japannews/article-politics.html",
        json!({
            "@page_url": JAPAN_NEWS_POLITICS,
            "@timezone": "Asia/Tokyo",
            "title": "Government Panel Urges Lowering Diet Candidacy Age to 20; Ruling Bloc Divided Over ‘Youth Seat’ Proposal",
            "url": JAPAN_NEWS_POLITICS,
            // article:published_time (the visible dateline's instant) beats JSON-LD's 09:05:37 at equal specificity.
            "published": "2026-11-28T09:05:00+09:00",
            "updated": "2026-11-28T10:30:00+09:00",
            // The JSON-LD author is the web editor's account (ウェブ編集); the byline names the writers.
            "authors": ["Hanako Sato", "Ichiro Tanaka"],
            "summary": "A government advisory panel on electoral reform on Friday recommended lowering the minimum age for running in House of Representatives elections to 20 from the current 25, a move that has exposed a rift within the ruling coalition over how far to go in drawing younger people into politics.",
            "image": "https://japannews.yomiuri.co.jp/wp-content/uploads/2026/11/candidacy-age-panel.jpg",
            "language": "en",
            "categories~contains": ["Politics & Government"],
            "content_html~contains": [
                "<h2>Concerns over ‘quota’</h2>",
                "<img src=\"https://japannews.yomiuri.co.jp/wp-content/uploads/2026/11/candidacy-age-panel.jpg\"",
                "<figcaption><span>The Yomiuri Shimbun</span><br>",
                "If a revision to the Public Offices Election Law is enacted",
            ],
            "content_html~excludes": ["By Hanako Sato", "ranking", "<script", "onClick", "<i>", "Google News"],
        }),
    );
}

#[test]
fn japan_news_wire_story_has_no_author() {
    check(
        "japannews/article-business-wire.html",
        json!({
            "@page_url": JAPAN_NEWS_WIRE,
            "@timezone": "Asia/Tokyo",
            "title": "Kitaura Rail Systems to Raise Base Pay by 5.8％, Citing ‘Severe’ Shortage of Track Maintenance Workers",
            "url": JAPAN_NEWS_WIRE,
            "published": "2026-11-29T14:30:00+09:00",
            "updated": "2026-11-29T14:30:00+09:00",
            "authors": [],
            "language": "en",
            "categories": ["Companies"],
            "content_html~contains": ["TOKYO (Jiji Press) — Kitaura Rail Systems Co."],
        }),
    );
}

#[test]
fn japan_news_summary_has_no_markup() {
    let article = extract("japannews/article-politics.html", Some(JAPAN_NEWS_POLITICS), chrono_tz::Tz::Asia__Tokyo);
    let summary = article.summary.expect("summary");
    assert!(!summary.contains('<') && !summary.contains("&lt;") && !summary.ends_with('\n'), "{summary:?}");
}

// ---------------------------------------------------------------------------------------------
// One source at a time
// ---------------------------------------------------------------------------------------------

#[test]
fn json_ld_only() {
    check(
        "jsonld-only.html",
        json!({
            "title": "Island Ferry Adds Night Crossings After Commuter Petition",
            "url": "https://harborpost.example/news/2026/03/02/ferry-timetable/",
            "published": "2026-03-02T06:15:00-05:00",
            "updated": "2026-03-02T09:40:00-05:00",
            "authors": ["Maren Lindqvist"],
            "summary": "The operator will run two extra crossings each weeknight from April, after 1,200 commuters signed a petition.",
            "image": "https://cdn.harborpost.example/2026/03/ferry-night.jpg",
            "language": "en-US",
            "categories": ["Local"],
            "content_html~contains": ["<p>The island ferry operator said on Monday", "<p>The new crossings will depart"],
            "content_html~excludes": ["Harbor Post"],
        }),
    );
}

#[test]
fn opengraph_only_in_french() {
    check(
        "opengraph-only.html",
        json!({
            "title": "La bibliothèque municipale ouvrira la nuit dès mai",
            "url": "https://quotidien-du-lac.example/societe/2026/04/09/bibliotheque-nuit",
            "published": "2026-04-09T08:00:00+02:00",
            "updated": "2026-04-09T12:30:00+02:00",
            // article:author is a URL (a profile page), so the byline gives the names.
            "authors": ["Jean Dufresne", "Claire Moreau"],
            "summary": "Deux soirs par semaine, les salles de lecture resteront ouvertes jusqu'à minuit pour les étudiants.",
            "image": "https://quotidien-du-lac.example/images/2026/04/bibliotheque.jpg",
            "language": "fr-FR",
            // article:section then the tags, without the case-insensitive duplicate.
            "categories": ["Société", "Culture", "Étudiants"],
            "content_html~excludes": ["Par Jean Dufresne", "<h1>", "ouvrira la nuit dès mai"],
        }),
    );
}

#[test]
fn microdata_only_in_german() {
    check(
        "microdata-only.html",
        json!({
            "title": "Stadtrat beschließt neue Radwege",
            "url": null,
            "published": "2026-05-14T17:20:00+02:00",
            "updated": "2026-05-15T08:05:00+02:00",
            "authors": ["Anna Vogt"],
            "image": "https://tagesblatt-nord.example/bilder/radweg-gross.jpg",
            "language": "de",
            "categories": ["Region"],
            "content_html~contains": ["<p>Der Stadtrat hat am Donnerstagabend"],
            "content_html~excludes": ["Von Anna Vogt"],
        }),
    );
}

#[test]
fn time_element_only_in_spanish() {
    check(
        "time-only.html",
        json!({
            "title": "El mercado central reabre tras dos años de obras",
            // The <time> in the article's header, not the one in the aside.
            "published": "2026-06-20T10:30:00+02:00",
            "updated": null,
            "authors": ["Lucía Navarro", "Diego Ferrer"],
            "language": "es",
            "content_html~excludes": ["Otra noticia", "Por Lucía", "20 de junio"],
        }),
    );
}

#[test]
fn dateline_in_the_text_only() {
    check(
        "dateline-only.html",
        json!({
            "title": "Volunteers Finish Restoring 140-Year-Old Lighthouse",
            // A date without a time: midnight in the site's zone, never the fetch time.
            "published": "2026-03-04T00:00:00Z",
            "authors": [],
            "language": null,
            "summary": null,
            "content_html~contains": ["<p>PORTO, March 4, 2026 — A group of volunteers"],
            "content_html~excludes": ["Home", "World"],
        }),
    );
    check("dateline-only.html", json!({ "@timezone": "Europe/Lisbon", "published": "2026-03-04T00:00:00Z" }));
    check("dateline-only.html", json!({ "@timezone": "Asia/Tokyo", "published": "2026-03-04T00:00:00+09:00" }));
}

#[test]
fn japanese_dateline_and_parenthesized_bylines() {
    check(
        "dateline-japanese.html",
        json!({
            "@timezone": "Asia/Tokyo",
            "title": "港町で春祭り、３年ぶりに神輿巡行",
            "published": "2026-03-05T14:20:00+09:00",
            "authors": ["山中健太", "小川美咲"],
            "language": "ja",
        }),
    );
}

#[test]
fn dublin_core_meta() {
    check(
        "dublin-core.html",
        json!({
            "title": "Relevé des sols agricoles 2026",
            // DC.date.issued has a time and an offset; dcterms.created is later in the list anyway.
            "published": "2026-11-02T09:00:00+01:00",
            "authors": ["Sophie Lambert"],
            "summary": "Synthèse des prélèvements réalisés dans quarante exploitations.",
            "language": "fr",
        }),
    );
}

#[test]
fn parsely_and_other_meta_names() {
    check(
        "parsely-meta.html",
        json!({
            "title": "Giant Mural Unveiled on Grain Elevator",
            // parsely-pub-date (with zone) is first in the meta list; sailthru.date has no zone.
            "published": "2026-10-12T15:30:00Z",
            "authors": ["Hélène Tremblay"],
            "summary": "The 40-metre artwork took four painters a month to finish.",
            "language": "en-CA",
            // No section or tag: the keywords are the (weak) categories.
            "categories": ["Arts", "Murals", "Waterfront"],
        }),
    );
}

#[test]
fn rel_author_link_and_paragraph_density() {
    check(
        "rel-author.html",
        json!({
            "title": "Snow Day Diary",
            "authors": ["Nora Whitfield"],
            "published": null,
            "content_html~contains": ["<p>The schools closed", "<p>We finished the day"],
            "content_html~excludes": ["Links"],
        }),
    );
}

#[test]
fn web_page_node_is_a_weak_fallback() {
    check(
        "webpage-fallback.html",
        json!({
            "title": "Residential Parking Permits Move Online",
            "summary": "Applications and renewals can now be made on the council website.",
            "published": "2026-04-01T00:00:00Z",
            "language": "en",
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------------

#[test]
fn the_most_specific_date_wins() {
    // article:published_time and DC.date.issued are dates only, the <time> has no offset,
    // JSON-LD has time and offset: JSON-LD wins although it comes later in the order.
    check(
        "contradicting-dates.html",
        json!({
            "title": "Dam Inspection Finds Cracks in Spillway",
            "published": "2026-02-10T07:45:00Z",
            "updated": "2026-02-10T00:00:00Z",
            "authors": ["Owen Pritchard"],
            "language": "en-GB",
        }),
    );
    // Read in another zone, the zone-less <time> would mean another instant; JSON-LD still wins.
    check("contradicting-dates.html", json!({ "@timezone": "America/New_York", "published": "2026-02-10T07:45:00Z" }));
}

#[test]
fn yoast_graph_with_references() {
    check(
        "yoast-graph.html",
        json!({
            "title": "Tomato Blight Arrives Early This Year",
            "url": "https://gardenalmanac.example/2026/05/tomato-blight-early/",
            "published": "2026-05-21T13:02:11Z",
            "updated": "2026-05-22T08:15:40Z",
            "authors": ["Priya Raman"],
            // Only the WebPage node has a description; it beats the meta description.
            "summary": "Warm, wet weeks have brought late blight to allotments a month ahead of schedule. Here is what to look for.",
            // The Article's image is an @id reference to the ImageObject.
            "image": "https://gardenalmanac.example/wp-content/uploads/2026/05/blight.jpg",
            "language": "en-US",
            "categories": ["Vegetables", "Pests & Diseases"],
            "content_html~contains": ["<p>Gardeners across the region"],
            "content_html~excludes": ["Posted in", "entry-title", "by Priya"],
        }),
    );
}

#[test]
fn several_authors_in_json_ld() {
    check(
        "nyt-multiple-authors.html",
        json!({
            "title": "Sky Survey Spots Three New Comets",
            "url": "https://www.metrotimes.example/2026/07/03/science/comet-survey.html",
            "published": "2026-07-03T14:00:08Z",
            "updated": "2026-07-03T18:21:44Z",
            "authors": ["Ruth Okafor", "Daniel Brandt", "Mei Tanaka"],
            "image": "https://static.metrotimes.example/images/2026/07/03/comets-facebookJumbo.jpg",
            "categories": ["Science", "Comets", "Astronomy"],
            "content_html~contains": ["<p>An automated survey telescope"],
        }),
    );
}

#[test]
fn cms_account_in_json_ld_gives_way_to_the_byline() {
    check(
        "cms-account-author.html",
        json!({
            "title": "Old Mill Bridge to Close for Six Weeks",
            "published": "2026-08-11T16:05:22-07:00",
            "authors": ["Jolene Harper", "Marcus Webb"],
            "content_html~excludes": ["Staff Writers"],
        }),
    );
}

#[test]
fn organization_account_and_dpa_suffix_in_german() {
    check(
        "german-byline.html",
        json!({
            "title": "Koalition einigt sich auf Haushalt 2027",
            "published": "2026-11-20T18:45:00+01:00",
            "authors": ["Katrin Albers", "Jonas Reiter"],
            "language": "de",
            "categories": ["Politik"],
            "content_html~contains": ["<p>Nach wochenlangen Verhandlungen"],
            "content_html~excludes": ["Katrin", "18:45"],
        }),
    );
}

#[test]
fn japanese_kisha_byline_and_editorial_account() {
    check(
        "japanese-kisha.html",
        json!({
            "@timezone": "Asia/Tokyo",
            "title": "雪国の駅舎、改修終え再開",
            "published": "2026-12-01T11:30:00+09:00",
            "authors": ["木村直樹"],
            "image": "https://hokuriku-nippo.example/images/20261201/station.jpg",
            "language": "ja",
            "categories": ["地域"],
        }),
    );
}

#[test]
fn wire_story_without_byline_has_no_author() {
    check(
        "wire-no-byline.html",
        json!({
            "title": "Rail Workers Begin 48-Hour Strike Over Pay",
            "published": "2026-09-01T05:12:00Z",
            // The JSON-LD author is the publisher itself; "(Reuters)" in the text is not a byline.
            "authors": [],
            "summary": "Commuter and freight services were cancelled across the country.",
            "content_html~contains": ["BERLIN (Reuters) — Rail workers"],
        }),
    );
}

#[test]
fn site_name_suffixes_and_prefixes() {
    check(
        "title-suffix.html",
        json!({
            "title": "Coffee Prices Hit a Ten-Year High",
            "summary": "Roasters say shoppers will feel it by summer.",
            "image": "https://img.morningledger.example/coffee-beans.jpg",
            "content_html~contains": ["<p>Wholesale coffee prices rose"],
            "content_html~excludes": ["Subscribe"],
        }),
    );
    check(
        "title-prefix.html",
        json!({
            "title": "Freibad öffnet früher als geplant",
            "language": "de-DE",
            "categories": ["Freibad", "Sommer", "Lokales"],
            "published": null,
        }),
    );
}

#[test]
fn broken_json_ld_is_skipped_or_repaired() {
    check(
        "broken-jsonld.html",
        json!({
            // The first script is cut off and skipped; the second has a trailing comma, a raw
            // newline in a string, an entity and an array @type.
            "title": "Folk Festival Draws Record Crowd & Raises Funds for Boathouse",
            "published": "2026-08-03T21:10:00+01:00",
            "authors": ["Fiona Gallagher", "Sean Byrne"],
            "summary": "Organisers counted 18,000 visitors over the weekend.",
            "image": "https://lakesidetribune.example/media/festival-crowd.jpg",
            "categories": ["music", "festivals", "boathouse"],
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// Body and sanitizing
// ---------------------------------------------------------------------------------------------

#[test]
fn lazy_images_get_their_real_source() {
    check(
        "lazy-images.html",
        json!({
            // No og:image: the first large image of the body, not the 24px icon.
            "image": "https://photodesk.example/uploads/2026/10/pumpkins.jpg",
            "content_html~contains": [
                "<img src=\"https://photodesk.example/uploads/2026/10/pumpkins.jpg\" alt=\"Pumpkins stacked at a stall\" width=\"1200\" height=\"800\">",
                "<img src=\"https://photodesk.example/galleries/autumn-markets/uploads/2026/10/cider.jpg\" alt=\"Cider press\">",
                "<img src=\"https://photodesk.example/uploads/2026/10/apples-480.jpg\" alt=\"Apples\">",
                "<img src=\"https://cdn.photodesk.example/2026/10/honey.jpg\" alt=\"Honey jars\">",
                "<figcaption>Pumpkins at the Saturday market.</figcaption>",
            ],
            "content_html~excludes": ["data:", "srcset", "data-src", "lazyload", "placeholder", "Nothing to load", "class="],
        }),
    );
}

#[test]
fn scripts_frames_and_handlers_are_removed() {
    check(
        "hostile-body.html",
        json!({
            "content_html~contains": [
                "<p>About sixty neighbours spent Sunday morning",
                "<a href=\"https://forum-news.example/volunteer\" rel=\"noopener noreferrer\">Volunteer next time</a>",
                "<img src=\"https://forum-news.example/photos/bags.jpg\" alt=\"Bags\">",
            ],
            "content_html~excludes": [
                "<script", "injected", "<style", "color: red", "<iframe", "frame fallback", "<form", "<input", "Subscribe", "onclick",
                "onmouseover", "onerror", "javascript:", "editor note", "style=", "class=", "id=", "target=", "<object", "<svg",
            ],
        }),
    );
}

#[test]
fn sanitize_html_is_usable_on_its_own() {
    let base = Url::parse("https://news.example/a/b.html").expect("url");
    let cleaned = sanitize_html(
        "<div class=\"x\"><p>One <a href=\"c.html\" onclick=\"x()\">link</a></p><img data-src=\"/i.jpg\" src=\"data:image/gif;base64,AAAA\"></div>",
        &base,
    );
    assert_eq!(cleaned, "<div><p>One <a href=\"https://news.example/a/c.html\" rel=\"noopener noreferrer\">link</a></p><img src=\"https://news.example/i.jpg\"></div>");
}

// ---------------------------------------------------------------------------------------------
// Never invents, never panics
// ---------------------------------------------------------------------------------------------

fn extract_text(html: &str) -> Article {
    let context = ExtractContext { now: now(), timezone: chrono_tz::Tz::UTC };
    extract_article(html, &Url::parse("https://blank.example/page").expect("url"), &context)
}

#[test]
fn an_empty_page_is_an_empty_article() {
    assert_eq!(extract_text(""), Article::default());
    assert_eq!(extract_text("<html><body></body></html>"), Article::default());
}

#[test]
fn no_date_is_invented() {
    let article = extract_text("<html><head><title>Plain</title></head><body><p>No dates anywhere on this page, only words that go on for a while to look like an article.</p></body></html>");
    assert_eq!(article.title.as_deref(), Some("Plain"));
    assert_eq!((article.published, article.updated), (None, None));
    let placeholder = extract_text(r#"<html><head><meta property="article:published_time" content="0001-01-01T00:00:00Z"></head></html>"#);
    assert_eq!(placeholder.published, None);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let inputs = [
        "<script type=\"application/ld+json\">[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[</script>",
        "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"author\":{\"@id\":\"#me\"},\"image\":{\"@id\":\"#me\"}}</script><script type=\"application/ld+json\">{\"@id\":\"#me\",\"@type\":\"Person\",\"image\":{\"@id\":\"#me\"}}</script>",
        "<script type=\"application/ld+json\">{\"@graph\":[{\"@type\":\"Article\",\"image\":{\"@id\":\"#x\"}},{\"@type\":\"ImageObject\",\"@id\":\"#x\",\"url\":{\"@id\":\"#x\"}}]}</script>",
        "<script type=\"application/ld+json\">{\"@type\":[1,null,{}],\"headline\":{\"a\":[]},\"datePublished\":12,\"author\":[null,7,[\"x\"]]}</script>",
        "<meta property=\"og:title\" content=\"\u{0}\u{1}\"><title>\u{FFFE}</title><h1>  </h1>",
        "<p class=\"byline\">By , , and and &amp; / / ,</p><p class=\"byline\">By</p><div class=\"author\">@</div>",
        "<html lang=\"💥\"><meta property=\"og:locale\" content=\"x_\"><time datetime=\"9999-99-99\">yesterday at 25:61</time></html>",
        "<img src=\"http://[::1\"><img data-srcset=\",,, ,\"><link rel=canonical href=\"javascript:alert(1)\"><base href=\"data:text/html,x\">",
    ];
    for html in inputs {
        let _ = extract_text(html);
    }
    let article = extract_text(inputs[7]);
    assert_eq!(article.url, None, "a javascript: canonical is not a URL");
}
