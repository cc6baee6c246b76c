//! The CLI contract: `check`, `preview` and `schema` as other tools call them.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{binary, japannews_config_for, japannews_page, start_origin};

fn run(args: &[&str]) -> Output {
    Command::new(binary()).args(args).env("RUST_LOG", "off").output().expect("run feedwright")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn manifest_path(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative).display().to_string()
}

#[test]
fn check_accepts_the_shipped_config() {
    let output = run(&["check", "--config", &manifest_path("config")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("ok: 1 sites, 24 feeds"), "{}", stdout(&output));
}

#[test]
fn check_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("sites")).expect("mkdir");
    std::fs::write(
        dir.path().join("sites/bad.toml"),
        "title = \"Bad\"\nhome = \"https://example.com/\"\ntimezone = \"Nowhere/City\"\n\n[[feed]]\nid = \"x\"\nurl = \"/\"\nitems = \"li[\"\nfields = { title = \"h2\", link = \"a@href\", sumary = \"p\" }\n",
    )
    .expect("write");
    let output = run(&["check", "--config", &dir.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(errors.contains("bad.toml:3: timezone: \"Nowhere/City\" is not an IANA time zone"), "{errors}");
    assert!(errors.contains("bad.toml:8: feed[0].items: invalid CSS selector"), "{errors}");
    assert!(errors.contains("bad.toml:9: feed[0].fields.sumary: unknown key `sumary`; did you mean `summary`?"), "{errors}");
    assert!(errors.contains("3 problems found"), "{errors}");
}

#[test]
fn preview_json_from_a_file() {
    let output = run(&[
        "preview",
        "japannews/access-ranking",
        "--config",
        &manifest_path("config"),
        "--input",
        &manifest_path("tests/fixtures/japannews/article-politics.html"),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["title"], "Survey Finds 62％ of Foreign Visitors Plan Return Trip; Rural Inns Report ‘Unprecedented’ Winter Bookings");
    assert_eq!(items[0]["url"], "https://japannews.yomiuri.co.jp/society/general-news/20261125-299630/");
    assert_eq!(items[0]["rank"], 1);
    assert_eq!(items[4]["rank"], 5);
    for key in ["title", "url", "id", "published", "updated", "summary", "content_html", "authors", "image", "categories", "rank"] {
        assert!(items[0].get(key).is_some(), "missing key {key}");
    }
    assert_eq!(json["warnings"], serde_json::json!([]));
}

#[test]
fn preview_json_dates_are_rfc3339_and_base_url_resolves_links() {
    let output = run(&[
        "preview",
        "japannews/latest",
        "--config",
        &manifest_path("config"),
        "--input",
        &manifest_path("tests/fixtures/japannews/latestnews.html"),
        "--base-url",
        "https://mirror.example/latestnews/",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["items"][0]["published"], "2026-11-29T00:00:00+09:00");
    // Absolute links in the page stay as they are; the base only resolves relative ones.
    assert_eq!(json["items"][0]["url"], "https://japannews.yomiuri.co.jp/business/companies/20261129-300222/");
    let warnings = json["warnings"].as_array().expect("warnings");
    assert!(warnings.iter().any(|warning| warning.as_str().is_some_and(|text| text.contains("field `summary` (`a h3`) matched nothing in 1 of 20 items"))), "{warnings:?}");
}

#[test]
fn preview_table_shows_fields_and_warnings() {
    let output = run(&[
        "preview",
        "japannews/latest",
        "--config",
        &manifest_path("config"),
        "--input",
        &manifest_path("tests/fixtures/japannews/latestnews.html"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("items: `li.clearfix` matched 20 elements, 20 items kept"), "{table}");
    assert!(table.contains("summary     a h3"), "{table}");
    assert!(table.contains("19/20  <- missing in some"), "{table}");
    assert!(table.contains("warnings:"), "{table}");
}

#[test]
fn preview_rss_from_a_file_is_a_feed() {
    let output = run(&[
        "preview",
        "japannews/popular-politics",
        "--config",
        &manifest_path("config"),
        "--input",
        &manifest_path("tests/fixtures/japannews/article-politics.html"),
        "--format",
        "rss",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let feed = feed_rs::parser::parse(&output.stdout[..]).expect("valid feed");
    assert_eq!(feed.entries.len(), 5);
    assert_eq!(feed.entries[0].title.as_ref().map(|title| title.content.as_str()), Some("Defense Ministry to Deploy Long-Range Radar on Remote Island by 2028; Local Assembly Approves Plan by One Vote"));
}

#[test]
fn preview_fetches_and_follows_from_a_local_origin() {
    let origin = start_origin(vec![
        ("/latestnews/", japannews_page("latestnews.html")),
        ("/business/companies/20261129-300222/", japannews_page("article-business-wire.html")),
    ]);
    let config = japannews_config_for(&origin);
    let output = run(&["preview", "japannews/access-ranking", "--config", &config.path().display().to_string(), "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    // The wire article's ranking, not the politics article's: the follow went to the newest item.
    assert_eq!(items[2]["title"], "Government Panel Urges Lowering Diet Candidacy Age to 20; Ruling Bloc Divided Over ‘Youth Seat’ Proposal");
    assert_eq!(items[2]["url"], origin.url("/politics/politics-government/20261128-300101/"));
}

#[test]
fn preview_reports_an_unreachable_page() {
    let origin = start_origin(vec![]);
    let config = japannews_config_for(&origin);
    let output = run(&["preview", "japannews/latest", "--config", &config.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("answered HTTP 404"), "{}", stderr(&output));
}

#[test]
fn preview_names_unknown_feeds() {
    let output = run(&["preview", "japannews/nope", "--config", &manifest_path("config")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("site \"japannews\" has no feed \"nope\"; its feeds: latest, politics"), "{}", stderr(&output));
}

#[test]
fn schema_is_json_schema_of_the_site_config() {
    let output = run(&["schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(schema["title"], "feedwright site config");
    let properties = schema["properties"].as_object().expect("properties");
    for key in ["title", "home", "timezone", "feed", "fields", "lists", "date_formats"] {
        assert!(properties.contains_key(key), "missing {key}");
    }
}

#[test]
fn extract_reads_an_article_without_a_config() {
    let output = run(&[
        "extract",
        &manifest_path("tests/fixtures/japannews/article-politics.html"),
        "--base-url",
        "https://japannews.yomiuri.co.jp/politics/politics-government/20261128-300101/",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
    for key in ["title", "url", "published", "updated", "authors", "summary", "image", "language", "categories", "content_html"] {
        assert!(keys.contains(&key), "missing {key} in {keys:?}");
    }
    assert_eq!(json["title"], "Government Panel Urges Lowering Diet Candidacy Age to 20; Ruling Bloc Divided Over ‘Youth Seat’ Proposal");
    assert_eq!(json["published"], "2026-11-28T09:05:00+09:00");
    assert_eq!(json["authors"], serde_json::json!(["Hanako Sato", "Ichiro Tanaka"]));
    assert_eq!(json["language"], "en");
    assert_eq!(json["url"], "https://japannews.yomiuri.co.jp/politics/politics-government/20261128-300101/");
}

#[test]
fn extract_fetches_a_url_from_a_local_origin() {
    let origin = start_origin(vec![("/business/companies/20261129-300222/", japannews_page("article-business-wire.html"))]);
    let output = run(&["extract", &origin.url("/business/companies/20261129-300222/"), "--format", "table"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("published   2026-11-29T14:30:00+09:00"), "{table}");
    assert!(table.contains("authors     -"), "a wire story has no byline: {table}");
}

/// `serve` as a real process: `health` sees it up (address from the environment, as in a container),
/// SIGTERM stops it cleanly, and `health` then fails.
#[test]
fn serve_health_and_graceful_stop() {
    let origin = start_origin(vec![("/latestnews/", japannews_page("latestnews.html"))]);
    let config = japannews_config_for(&origin);
    let data = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(binary())
        .args(["serve", "--config", &config.path().display().to_string()])
        .env("FEEDWRIGHT_LISTEN", &listen)
        .env("FEEDWRIGHT_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start serve");
    let health = || {
        Command::new(binary())
            .args(["health", "--config", &config.path().display().to_string()])
            .env("FEEDWRIGHT_LISTEN", &listen)
            .output()
            .expect("run health")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !health().status.success() {
        assert!(std::time::Instant::now() < deadline, "the server did not become healthy");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(data.path().join("feedwright.sqlite3").exists(), "the store lives in the data dir");

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = server.wait().expect("wait");
    assert!(status.success(), "serve exits 0 on SIGTERM, got {status}");
    let output = server.stdout.take().map(|mut stdout| {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let printed = output.unwrap_or_default();
    assert!(printed.contains(&format!("index:  http://{listen}/")), "{printed}");
    assert!(printed.contains(&format!("feed:   http://{listen}/feeds/japannews/latest.rss")), "{printed}");

    let after = health();
    assert_eq!(after.status.code(), Some(1));
    assert!(stderr(&after).contains("unhealthy: cannot reach"), "{}", stderr(&after));
}
