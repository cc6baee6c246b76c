//! End to end: the real server on 127.0.0.1:0, the real refresh loop and store, and a local origin
//! serving Japan News style pages. What a feed reader and a person at the index page would see.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Origin, Page, japannews_page, start_origin};
use feedwright::config::{self, LiveConfig};
use feedwright::server::run::{RunningServer, start};
use reqwest::StatusCode;
use reqwest::header;

const TOKEN: &str = "test-admin-token-0123456789";

struct Service {
    origin: Origin,
    config_dir: tempfile::TempDir,
    data_dir: tempfile::TempDir,
    server: Option<RunningServer>,
    base: String,
    client: reqwest::Client,
}

fn japannews_origin() -> Origin {
    start_origin(vec![
        ("/latestnews/", japannews_page("latestnews.html")),
        ("/politics/", japannews_page("politics.html")),
        ("/business/companies/20261129-300222/", japannews_page("article-business-wire.html")),
        ("/politics/politics-government/20261128-300101/", japannews_page("article-politics.html")),
    ])
}

fn write_config(config_dir: &Path, origin: &Origin, data_dir: &Path) {
    let sites = config_dir.join("sites");
    std::fs::create_dir_all(&sites).expect("mkdir");
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sites/japannews.toml")).expect("read");
    std::fs::write(sites.join("japannews.toml"), shipped.replace("https://japannews.yomiuri.co.jp/", &origin.url("/"))).expect("write");
    std::fs::write(
        config_dir.join("feedwright.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nadmin_token = \"{TOKEN}\"\n\n[limits]\nper_host_interval = \"0s\"\nper_host_concurrency = 4\nmax_attempts = 1\n",
            data_dir.display()
        ),
    )
    .expect("write");
}

impl Service {
    async fn start() -> Service {
        let origin = japannews_origin();
        let config_dir = tempfile::tempdir().expect("tempdir");
        let data_dir = tempfile::tempdir().expect("tempdir");
        write_config(config_dir.path(), &origin, data_dir.path());
        feedwright::fetch::install_crypto_provider();
        let mut service = Service { origin, config_dir, data_dir, server: None, base: String::new(), client: reqwest::Client::new() };
        service.boot().await;
        service
    }

    async fn boot(&mut self) {
        let loaded = config::load_dir(self.config_dir.path()).expect("valid config");
        let live = Arc::new(LiveConfig::new(self.config_dir.path(), loaded));
        let server = start(live, false).await.expect("server starts");
        self.base = format!("http://{}", server.address);
        self.server = Some(server);
    }

    async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("clean stop");
        }
        self.boot().await;
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("request")
    }

    async fn status(&self) -> serde_json::Value {
        json_of(self.get("/api/status").await).await
    }

    async fn feed_status(&self, feed: &str) -> serde_json::Value {
        let status = self.status().await;
        status["feeds"].as_array().expect("feeds").iter().find(|entry| entry["feed"] == feed).cloned().unwrap_or(serde_json::Value::Null)
    }

    /// Wait until `feed` has been attempted after `since` (or at all), up to 20 s.
    async fn wait_for_attempt(&self, feed: &str, since: Option<&str>) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = self.feed_status(feed).await;
            let attempt = status["last_attempt"].as_str().map(str::to_owned);
            if attempt.is_some() && attempt.as_deref() != since {
                return status;
            }
            assert!(Instant::now() < deadline, "feed {feed} was not refreshed in time: {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ask for a refresh now and wait for it.
    async fn refresh(&self, feed: &str) -> serde_json::Value {
        let before = self.feed_status(feed).await["last_attempt"].as_str().map(str::to_owned);
        let response = self
            .client
            .post(format!("{}/api/feeds/japannews/{feed}/refresh", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        self.wait_for_attempt(feed, before.as_deref()).await
    }

    async fn entries(&self, path: &str) -> Vec<feed_rs::model::Entry> {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let bytes = response.bytes().await.expect("body");
        feed_rs::parser::parse(&bytes[..]).expect("a valid feed").entries
    }
}

async fn json_of(response: reqwest::Response) -> serde_json::Value {
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

fn titles(entries: &[feed_rs::model::Entry]) -> Vec<String> {
    entries.iter().map(|entry| entry.title.as_ref().map(|title| title.content.clone()).unwrap_or_default()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_at_start_and_serves_every_format_with_caching_headers() {
    let service = Service::start().await;
    let status = service.wait_for_attempt("latest", None).await;
    assert_eq!(status["item_count"], 20, "{status}");
    assert_eq!(status["consecutive_failures"], 0);

    let response = service.get("/feeds/japannews/latest.rss").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/rss+xml; charset=utf-8");
    let etag = response.headers()[header::ETAG].to_str().expect("etag").to_owned();
    let last_modified = response.headers()[header::LAST_MODIFIED].to_str().expect("last-modified").to_owned();
    let cache_control = response.headers()[header::CACHE_CONTROL].to_str().expect("cache-control").to_owned();
    assert!(etag.starts_with("W/\"") && etag.len() > 6, "weak: the bytes may go gzip-encoded under it: {etag}");
    assert_eq!(cache_control, "public, max-age=450", "a quarter of the 30 min refresh interval");
    let body = response.bytes().await.expect("body");
    let feed = feed_rs::parser::parse(&body[..]).expect("valid RSS");
    assert_eq!(feed.entries.len(), 20);
    // Newest first. Item 14 of the page has no date, so its date is when feedwright first saw it: now.
    let feed_titles = titles(&feed.entries);
    assert_eq!(feed_titles[0], "European Parliament Backs Tougher Rules on Short-Term Rental Platforms");
    assert_eq!(feed_titles[1], "Kitaura Rail Systems to Raise Base Pay by 5.8％, Citing ‘Severe’ Shortage of Track Maintenance Workers");

    let conditional = service.client.get(format!("{}/feeds/japannews/latest.rss", service.base)).header(header::IF_NONE_MATCH, &etag).send().await.expect("request");
    assert_eq!(conditional.status(), StatusCode::NOT_MODIFIED);
    let conditional = service.client.get(format!("{}/feeds/japannews/latest.rss", service.base)).header(header::IF_MODIFIED_SINCE, &last_modified).send().await.expect("request");
    assert_eq!(conditional.status(), StatusCode::NOT_MODIFIED);

    let head = service.client.head(format!("{}/feeds/japannews/latest.rss", service.base)).send().await.expect("request");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::ETAG].to_str().expect("etag"), etag);
    assert!(head.bytes().await.expect("body").is_empty());

    assert_eq!(service.entries("/feeds/japannews/latest.rss?limit=5").await.len(), 5);
    let atom = service.get("/feeds/japannews/latest.atom").await;
    assert_eq!(atom.headers()[header::CONTENT_TYPE], "application/atom+xml; charset=utf-8");
    assert_eq!(feed_rs::parser::parse(&atom.bytes().await.expect("body")[..]).expect("valid Atom").entries.len(), 20);
    let json = service.get("/feeds/japannews/latest.json").await;
    assert_eq!(json.headers()[header::CONTENT_TYPE], "application/feed+json; charset=utf-8");
    let json: serde_json::Value = json_of(json).await;
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["items"].as_array().map(Vec::len), Some(20));

    // A client that does not decompress by itself, to see what goes over the wire.
    let raw_client = reqwest::Client::builder().no_gzip().no_brotli().build().expect("client");
    let compressed = raw_client.get(format!("{}/feeds/japannews/latest.rss", service.base)).header(header::ACCEPT_ENCODING, "gzip").send().await.expect("request");
    assert_eq!(compressed.headers().get(header::CONTENT_ENCODING).and_then(|value| value.to_str().ok()), Some("gzip"));

    // A refresh that finds the same items changes nothing a reader sees: same ETag, same Last-Modified.
    service.refresh("latest").await;
    let again = service.get("/feeds/japannews/latest.rss").await;
    assert_eq!(again.headers()[header::ETAG].to_str().expect("etag"), etag);
    assert_eq!(again.headers()[header::LAST_MODIFIED].to_str().expect("last-modified"), last_modified);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ranking_keeps_rank_order_and_history() {
    let service = Service::start().await;
    service.wait_for_attempt("access-ranking", None).await;
    // /latestnews/ leads to the wire article: its ranking.
    let first = titles(&service.entries("/feeds/japannews/access-ranking.rss").await);
    assert_eq!(first.len(), 5);
    assert_eq!(first[0], "Rice Prices Climb for 9th Straight Week as Retailers Warn of “Year-End Squeeze”");
    assert_eq!(first[2], "Government Panel Urges Lowering Diet Candidacy Age to 20; Ruling Bloc Divided Over ‘Youth Seat’ Proposal");

    // The newest article changes: now the politics article's ranking is read.
    let latest = String::from_utf8(common::fixture_bytes("japannews", "latestnews.html")).expect("utf-8");
    let reordered = latest.replacen("https://japannews.yomiuri.co.jp/business/companies/20261129-300222/", "https://japannews.yomiuri.co.jp/politics/politics-government/20261128-300101/", 1);
    service.origin.set_page("/latestnews/", Page { body: reordered.replace("https://japannews.yomiuri.co.jp", "{origin}").into_bytes(), content_type: "text/html; charset=UTF-8" });
    let status = service.refresh("access-ranking").await;
    assert_eq!(status["consecutive_failures"], 0, "{status}");
    let second = titles(&service.entries("/feeds/japannews/access-ranking.rss").await);
    // The five on the list now, in rank order, then the one that dropped off (kept as history).
    assert_eq!(second.len(), 6, "{second:#?}");
    assert_eq!(second[0], "Survey Finds 62％ of Foreign Visitors Plan Return Trip; Rural Inns Report ‘Unprecedented’ Winter Bookings");
    assert_eq!(second[2], "Deep-Sea Probe Recovers 3,000-Year-Old Coral Core off Ogasawara Islands");
    assert_eq!(second[5], "Government Panel Urges Lowering Diet Candidacy Age to 20; Ruling Bloc Divided Over ‘Youth Seat’ Proposal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_keep_items_and_show_in_the_status() {
    let service = Service::start().await;
    service.wait_for_attempt("politics", None).await;
    assert_eq!(service.entries("/feeds/japannews/politics.rss").await.len(), 12);

    // The origin fails: the status says so and the items stay.
    service.origin.set_status("/politics/", 500);
    let status = service.refresh("politics").await;
    assert_eq!(status["consecutive_failures"], 1, "{status}");
    assert!(status["last_error"].as_str().is_some_and(|error| error.contains("answered HTTP 500")), "{status}");
    assert_eq!(status["item_count"], 12);
    assert_eq!(service.entries("/feeds/japannews/politics.rss").await.len(), 12);

    // The layout changes: no items found is a failure too, never an emptied feed.
    let article = japannews_page("article-politics.html");
    service.origin.set_page("/politics/", article);
    service.refresh("politics").await;
    let status = service.refresh("politics").await;
    assert_eq!(status["consecutive_failures"], 3, "{status}");
    assert_eq!(status["broken"], true);
    let message = status["broken_message"].as_str().expect("message");
    assert!(message.contains("the item selector `li.clearfix` matched nothing"), "{message}");
    assert!(message.contains("3 failures in a row since"), "{message}");
    assert_eq!(service.entries("/feeds/japannews/politics.rss").await.len(), 12);

    let index = service.get("/").await.text().await.expect("index");
    assert!(index.contains("broken"), "the index page shows the broken feed");
    assert!(index.contains("matched nothing"));

    // It recovers.
    service.origin.set_page("/politics/", japannews_page("politics.html"));
    let status = service.refresh("politics").await;
    assert_eq!(status["consecutive_failures"], 0);
    assert_eq!(status["broken"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_survives_a_restart_without_duplicates() {
    let mut service = Service::start().await;
    service.wait_for_attempt("latest", None).await;
    let before: serde_json::Value = json_of(service.get("/feeds/japannews/latest.json").await).await;
    let first_item = before["items"][0].clone();

    // Many refreshes of the same list add nothing.
    for _ in 0..5 {
        service.refresh("latest").await;
    }
    assert_eq!(service.feed_status("latest").await["item_count"], 20);

    // The list moves on: the first five items fall off the page, two new ones appear.
    let latest = String::from_utf8(common::fixture_bytes("japannews", "latestnews.html")).expect("utf-8");
    let mut items: Vec<&str> = latest.split("<li class=\"clearfix\">").collect();
    let head = items.remove(0);
    let kept: Vec<String> = items[5..].iter().map(|item| item.to_string()).collect();
    let new_items: Vec<String> = (1..=2)
        .map(|n| {
            format!(
                "\n<a href=\"https://japannews.yomiuri.co.jp/society/general-news/20261130-30050{n}/\"><figure>\n<img src=\"https://japannews.yomiuri.co.jp/wp-content/uploads/2026/11/new-{n}-250x166.jpg\" alt=\"\">\n</figure>\n<div>\n<h2>A New Story Number {n}</h2>\n<h3>An invented excerpt for story {n}.</h3>\n<p>November 30, 2026</p>\n</div></a></li>\n"
            )
        })
        .collect();
    let moved = format!("{head}<li class=\"clearfix\">{}", new_items.iter().chain(kept.iter()).cloned().collect::<Vec<_>>().join("<li class=\"clearfix\">"));
    service.origin.set_page("/latestnews/", Page { body: moved.replace("https://japannews.yomiuri.co.jp", "{origin}").into_bytes(), content_type: "text/html; charset=UTF-8" });

    service.restart().await;
    service.refresh("latest").await;
    let after: serde_json::Value = json_of(service.get("/feeds/japannews/latest.json").await).await;
    let items = after["items"].as_array().expect("items");
    assert_eq!(items.len(), 22, "20 kept from before + 2 new");
    let ids: std::collections::HashSet<&str> = items.iter().filter_map(|item| item["id"].as_str()).collect();
    assert_eq!(ids.len(), 22, "no duplicates");
    let same = items.iter().find(|item| item["id"] == first_item["id"]).expect("the old first item is still there");
    assert_eq!(same["date_published"], first_item["date_published"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_opml_health_metrics_and_errors() {
    let service = Service::start().await;
    service.wait_for_attempt("latest", None).await;
    let index = service.get("/").await;
    assert_eq!(index.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let index = index.text().await.expect("html");
    assert_eq!(index.matches("<link rel=\"alternate\" type=\"application/rss+xml\"").count(), 24);
    assert_eq!(index.matches("<link rel=\"alternate\" type=\"application/atom+xml\"").count(), 24);
    assert!(index.contains(&format!("{}/feeds/japannews/popular-politics.atom", service.base)));
    assert!(index.contains("data-copy="), "copy buttons");

    let opml = service.get("/feeds.opml").await.text().await.expect("opml");
    assert_eq!(opml.matches("type=\"rss\"").count(), 24);
    assert!(opml.contains(&format!("xmlUrl=\"{}/feeds/japannews/access-ranking.rss\"", service.base)));

    assert_eq!(service.get("/healthz").await.status(), StatusCode::OK);
    let metrics = service.get("/metrics").await.text().await.expect("metrics");
    assert!(metrics.contains("feedwright_refreshes_total"), "{metrics}");

    let missing_site = service.get("/feeds/nope/latest.rss").await;
    assert_eq!(missing_site.status(), StatusCode::NOT_FOUND);
    assert!(missing_site.text().await.expect("body").contains("no site `nope`; the sites are: japannews"));
    let missing_feed = service.get("/feeds/japannews/nope.rss").await;
    assert_eq!(missing_feed.status(), StatusCode::NOT_FOUND);
    assert!(missing_feed.text().await.expect("body").contains("its feeds are: latest, politics"));
    assert_eq!(service.get("/feeds/japannews/latest.xml").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(service.get("/feeds/japannews/latest.rss?limit=abc").await.status(), StatusCode::BAD_REQUEST);
    for hostile in ["/feeds/..%2F..%2Fetc/passwd.rss", "/feeds/japannews/..%2F..%2Ffeedwright.sqlite3", "/../../etc/passwd", "/feeds/%00/%00.rss"] {
        let response = service.get(hostile).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{hostile}");
    }
    let hostile_host = service.client.get(format!("{}/feeds.opml", service.base)).header(header::HOST, "evil\"><script>").send().await.expect("request");
    assert!(!hostile_host.text().await.expect("body").contains("<script>"));

    let unauthorized = service.client.post(format!("{}/api/feeds/japannews/latest/refresh", service.base)).bearer_auth("wrong-token-wrong-token").send().await.expect("request");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_changes_are_picked_up_without_a_restart() {
    let service = Service::start().await;
    service.wait_for_attempt("latest", None).await;
    let sites = service.config_dir.path().join("sites");

    // A new site starts refreshing.
    std::fs::write(
        sites.join("extra.toml"),
        format!("title = \"Extra\"\nhome = \"{}\"\n[[feed]]\nid = \"news\"\nurl = \"/politics/\"\nitems = \"li.clearfix\"\nfields = {{ title = \"a h2\", link = \"a@href\" }}\n", service.origin.url("/")),
    )
    .expect("write");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if service.get("/feeds/extra/news.rss").await.status() == StatusCode::OK
            && service.status().await["feeds"].as_array().is_some_and(|feeds| feeds.iter().any(|feed| feed["site"] == "extra" && feed["item_count"] == 12))
        {
            break;
        }
        assert!(Instant::now() < deadline, "the new site was not picked up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // An invalid edit is reported and the previous config stays in force.
    std::fs::write(sites.join("extra.toml"), "title = \"Extra\"\nhome = \"not a url\"\n").expect("write");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = service.status().await;
        if let Some(error) = status["config_error"].as_str() {
            assert!(error.contains("extra.toml:2: home:"), "{error}");
            break;
        }
        assert!(Instant::now() < deadline, "the invalid edit was not reported");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(service.get("/feeds/extra/news.rss").await.status(), StatusCode::OK);

    // A removed site stops being served.
    std::fs::remove_file(sites.join("extra.toml")).expect("remove");
    let deadline = Instant::now() + Duration::from_secs(20);
    while service.get("/feeds/extra/news.rss").await.status() != StatusCode::NOT_FOUND {
        assert!(Instant::now() < deadline, "the removed site is still served");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(service.status().await["config_error"].is_null());
    let _ = &service.data_dir;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranking_items_are_completed_from_their_article_pages_once() {
    let service = Service::start().await;
    service.wait_for_attempt("access-ranking", None).await;
    // Item 3 of the wire article's ranking is the politics article, which the origin serves;
    // the others 404 and stay as the list gave them.
    let json = json_of(service.get("/feeds/japannews/access-ranking.json").await).await;
    let items = json["items"].as_array().expect("items");
    let politics = &items[2];
    assert_eq!(politics["url"], service.origin.url("/politics/politics-government/20261128-300101/"));
    assert_eq!(politics["date_published"], "2026-11-28T09:05:00+09:00", "{politics:#}");
    assert_eq!(politics["date_modified"], "2026-11-28T10:30:00+09:00");
    let authors: Vec<&str> = politics["authors"].as_array().expect("authors").iter().filter_map(|author| author["name"].as_str()).collect();
    assert_eq!(authors, ["Hanako Sato", "Ichiro Tanaka"]);
    assert!(politics["summary"].as_str().is_some_and(|summary| !summary.contains("<p>") && summary.len() > 40), "{politics:#}");
    assert!(politics["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == "Politics & Government")), "{politics:#}");
    let content = politics["content_html"].as_str().expect("content");
    assert!(content.contains("<p>") && !content.contains("<script") && !content.contains("class=\"byline\""), "{content}");
    // The item from the list keeps its thumbnail; the article's lead image does not replace it.
    assert_eq!(politics["image"], service.origin.url("/wp-content/uploads/2026/11/candidacy-age-panel-250x166.jpg"));
    // An item whose article page failed stays as the list gave it.
    assert!(items[0]["date_published"].is_string(), "falls back to first seen");
    assert!(items[0].get("authors").is_none());
}
