//! The fetcher against a local origin that misbehaves on purpose: slow answers, timeouts, 500 then
//! recovery, 429 with Retry-After, redirects and a loop, a body over the cap, Shift_JIS and EUC-JP
//! pages, robots.txt, 304s, an empty 200, a bot wall. Each gets its behaviour and a clear message.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use feedwright::fetch::politeness::PolitenessOptions;
use feedwright::fetch::{FetchError, FetchOptions, FetchOutcome, Fetcher, RequestOptions, Validators};
use url::Url;

const PAGE: &str = "<html><head><title>ok</title></head><body><ul><li><a href=\"/a\">A story with a long enough title</a></li></ul></body></html>";

fn page_body() -> String {
    // Large enough not to look like an empty page.
    format!("{PAGE}{}", "<!-- padding -->".repeat(40))
}

#[derive(Default)]
struct Counters {
    flaky: AtomicUsize,
    rate_limited: AtomicUsize,
    forbidden: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    robots: AtomicUsize,
}

async fn start(counters: Arc<Counters>) -> String {
    let flaky = counters.clone();
    let rate_limited = counters.clone();
    let forbidden = counters.clone();
    let polite = counters.clone();
    let robots = counters.clone();
    let router = Router::new()
        .route("/robots.txt", get(move || {
            let robots = robots.clone();
            async move {
                robots.robots.fetch_add(1, Ordering::SeqCst);
                "User-agent: *\nDisallow: /private/\n"
            }
        }))
        .route("/page", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page_body()) }))
        .route("/private/page", get(|| async { page_body() }))
        .route("/slow", get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            page_body()
        }))
        .route("/flaky", get(move || {
            let flaky = flaky.clone();
            async move {
                if flaky.flaky.fetch_add(1, Ordering::SeqCst) < 2 {
                    (StatusCode::INTERNAL_SERVER_ERROR, "oops".to_owned()).into_response()
                } else {
                    page_body().into_response()
                }
            }
        }))
        .route("/always-500", get(|| async { StatusCode::BAD_GATEWAY }))
        .route("/rate-limited", get(move || {
            let rate_limited = rate_limited.clone();
            async move {
                if rate_limited.rate_limited.fetch_add(1, Ordering::SeqCst) == 0 {
                    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "slow down").into_response()
                } else {
                    page_body().into_response()
                }
            }
        }))
        .route("/come-back-tomorrow", get(|| async {
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "86400")], "slow down")
        }))
        .route("/forbidden", get(move || {
            let forbidden = forbidden.clone();
            async move {
                forbidden.forbidden.fetch_add(1, Ordering::SeqCst);
                StatusCode::FORBIDDEN
            }
        }))
        .route("/redirect", get(|| async { Redirect::temporary("/page") }))
        .route("/loop-a", get(|| async { Redirect::temporary("/loop-b") }))
        .route("/loop-b", get(|| async { Redirect::temporary("/loop-a") }))
        .route("/huge", get(|| async { "x".repeat(300_000) }))
        .route("/empty", get(|| async { "" }))
        .route("/bot-wall", get(|| async {
            "<html><head><title>Just a moment...</title></head><body><a href=\"/\">x</a><script src=\"/cdn-cgi/challenge-platform/x.js\"></script></body></html>"
        }))
        .route("/shift-jis", get(|| async {
            let text = format!("<html><head><meta charset=\"Shift_JIS\"></head><body><a href=\"/x\">東京の記事</a>{}</body></html>", "<!-- 詰め物 -->".repeat(40));
            let bytes = encoding_rs::SHIFT_JIS.encode(&text).0.into_owned();
            ([(header::CONTENT_TYPE, "text/html")], bytes)
        }))
        .route("/euc-jp", get(|| async {
            let text = format!("<html><body><a href=\"/x\">大阪の記事</a>{}</body></html>", "<!-- 詰め物 -->".repeat(40));
            let bytes = encoding_rs::EUC_JP.encode(&text).0.into_owned();
            ([(header::CONTENT_TYPE, "text/html; charset=EUC-JP")], bytes)
        }))
        .route("/etag", get(|headers: HeaderMap| async move {
            let matches = headers.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) == Some("\"v1\"");
            if matches {
                (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"v1\"")], String::new()).into_response()
            } else {
                (StatusCode::OK, [(header::ETAG, "\"v1\""), (header::LAST_MODIFIED, "Sun, 29 Nov 2026 07:00:00 GMT")], page_body()).into_response()
            }
        }))
        .route("/headers", get(|headers: HeaderMap| async move {
            let echo = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or("-").to_owned();
            format!("{}<p id=ua>{}</p><p id=lang>{}</p><p id=cookie>{}</p>", page_body(), echo("user-agent"), echo("accept-language"), echo("cookie"))
        }))
        .route("/polite", get(move || {
            let polite = polite.clone();
            async move {
                let now = polite.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                polite.max_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                polite.in_flight.fetch_sub(1, Ordering::SeqCst);
                page_body()
            }
        }))
        .layer(tower_http::compression::CompressionLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

fn options() -> FetchOptions {
    FetchOptions {
        user_agent: "feedwright-test/1.0".to_owned(),
        timeout: Duration::from_millis(1500),
        connect_timeout: Duration::from_millis(1000),
        max_body_bytes: 100_000,
        max_redirects: 5,
        max_attempts: 3,
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_secs(5),
        politeness: PolitenessOptions::OFF,
    }
}

fn request() -> RequestOptions {
    RequestOptions { obey_robots: true, ..Default::default() }
}

async fn setup() -> (String, Fetcher, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let base = start(counters.clone()).await;
    (base, Fetcher::new(options()).expect("fetcher"), counters)
}

fn url(base: &str, path: &str) -> Url {
    Url::parse(&format!("{base}{path}")).expect("url")
}

#[tokio::test]
async fn a_normal_page_with_gzip() {
    let (base, fetcher, _) = setup().await;
    let page = fetcher.fetch_page(&url(&base, "/page"), &request()).await.expect("page");
    assert!(page.text.contains("A story with a long enough title"));
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn a_slow_answer_times_out_with_a_clear_message() {
    let (base, _, _) = setup().await;
    let fetcher = Fetcher::new(FetchOptions { max_attempts: 1, ..options() }).expect("fetcher");
    let started = Instant::now();
    let error = fetcher.fetch_page(&url(&base, "/slow"), &request()).await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn server_errors_are_retried_until_recovery() {
    let (base, fetcher, counters) = setup().await;
    let page = fetcher.fetch_page(&url(&base, "/flaky"), &request()).await.expect("recovered");
    assert!(page.text.contains("A story"));
    assert_eq!(counters.flaky.load(Ordering::SeqCst), 3);

    let error = fetcher.fetch_page(&url(&base, "/always-500"), &request()).await.expect_err("fails");
    assert!(matches!(error, FetchError::Status { status: 502, .. }), "{error}");
    assert!(error.to_string().ends_with("answered HTTP 502"), "{error}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (base, fetcher, counters) = setup().await;
    let started = Instant::now();
    fetcher.fetch_page(&url(&base, "/rate-limited"), &request()).await.expect("second try succeeds");
    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
    assert_eq!(counters.rate_limited.load(Ordering::SeqCst), 2);

    let started = Instant::now();
    let error = fetcher.fetch_page(&url(&base, "/come-back-tomorrow"), &request()).await.expect_err("gives up");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(error.to_string().contains("asked to wait 86400 s"), "{error}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (base, fetcher, counters) = setup().await;
    let error = fetcher.fetch_page(&url(&base, "/forbidden"), &request()).await.expect_err("403");
    assert_eq!(counters.forbidden.load(Ordering::SeqCst), 1);
    assert!(error.to_string().contains("HTTP 403 (access refused"), "{error}");
}

#[tokio::test]
async fn redirects_are_followed_and_loops_stop() {
    let (base, fetcher, _) = setup().await;
    let page = fetcher.fetch_page(&url(&base, "/redirect"), &request()).await.expect("redirected");
    assert_eq!(page.url.path(), "/page");
    let error = fetcher.fetch_page(&url(&base, "/loop-a"), &request()).await.expect_err("loop");
    assert!(error.to_string().contains("redirect"), "{error}");
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused() {
    let (base, fetcher, _) = setup().await;
    let error = fetcher.fetch_page(&url(&base, "/huge"), &request()).await.expect_err("too large");
    assert!(matches!(error, FetchError::TooLarge { limit: 100_000, .. }), "{error}");
    assert!(error.to_string().contains("raise limits.max_page_bytes"));
}

#[tokio::test]
async fn japanese_charsets_come_out_as_utf8() {
    let (base, fetcher, _) = setup().await;
    let page = fetcher.fetch_page(&url(&base, "/shift-jis"), &request()).await.expect("page");
    assert_eq!(page.encoding, "Shift_JIS");
    assert!(page.text.contains("東京の記事"));
    let page = fetcher.fetch_page(&url(&base, "/euc-jp"), &request()).await.expect("page");
    assert_eq!(page.encoding, "EUC-JP");
    assert!(page.text.contains("大阪の記事"));
}

#[tokio::test]
async fn robots_txt_is_obeyed_and_cached_unless_the_site_opts_out() {
    let (base, fetcher, counters) = setup().await;
    let error = fetcher.fetch_page(&url(&base, "/private/page"), &request()).await.expect_err("disallowed");
    assert!(matches!(error, FetchError::Robots { .. }), "{error}");
    assert!(error.to_string().contains("robots.txt disallows this path"), "{error}");
    fetcher.fetch_page(&url(&base, "/page"), &request()).await.expect("allowed");
    assert_eq!(counters.robots.load(Ordering::SeqCst), 1, "robots.txt is fetched once per origin");
    let opted_out = RequestOptions { obey_robots: false, ..request() };
    fetcher.fetch_page(&url(&base, "/private/page"), &opted_out).await.expect("site opted out");
}

#[tokio::test]
async fn conditional_requests_answer_not_modified() {
    let (base, fetcher, _) = setup().await;
    let first = fetcher.fetch_page(&url(&base, "/etag"), &request()).await.expect("page");
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.validators.last_modified.as_deref(), Some("Sun, 29 Nov 2026 07:00:00 GMT"));
    let conditional = RequestOptions { validators: Some(first.validators.clone()), ..request() };
    let outcome = fetcher.fetch(&url(&base, "/etag"), &conditional).await.expect("304");
    assert!(matches!(outcome, FetchOutcome::NotModified));
    let stale = RequestOptions { validators: Some(Validators { etag: Some("\"v0\"".into()), last_modified: None }), ..request() };
    assert!(matches!(fetcher.fetch(&url(&base, "/etag"), &stale).await.expect("200"), FetchOutcome::Page(_)));
}

#[tokio::test]
async fn empty_and_blocked_pages_are_errors_not_empty_lists() {
    let (base, fetcher, _) = setup().await;
    let error = fetcher.fetch_page(&url(&base, "/empty"), &request()).await.expect_err("empty");
    assert!(error.to_string().contains("blocked or empty page (the body is empty)"), "{error}");
    let error = fetcher.fetch_page(&url(&base, "/bot-wall"), &request()).await.expect_err("wall");
    assert!(error.to_string().contains("bot wall"), "{error}");
    let usually_big = RequestOptions { typical_bytes: Some(60_000), ..request() };
    let error = fetcher.fetch_page(&url(&base, "/page"), &usually_big).await.expect_err("too small");
    assert!(error.to_string().contains("where this page usually has about 60000"), "{error}");
}

#[tokio::test]
async fn site_headers_cookies_and_user_agent_are_sent() {
    let (base, fetcher, _) = setup().await;
    let site_request = RequestOptions {
        user_agent: Some("SiteAgent/2.0".into()),
        headers: vec![("Accept-Language".into(), "ja".into()), ("Cookie".into(), "consent=yes".into())],
        ..request()
    };
    let page = fetcher.fetch_page(&url(&base, "/headers"), &site_request).await.expect("page");
    assert!(page.text.contains("<p id=ua>SiteAgent/2.0</p>"), "{}", page.text);
    assert!(page.text.contains("<p id=lang>ja</p>"));
    assert!(page.text.contains("<p id=cookie>consent=yes</p>"));
    let page = fetcher.fetch_page(&url(&base, "/headers"), &request()).await.expect("page");
    assert!(page.text.contains("<p id=ua>feedwright-test/1.0</p>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_limits_hold_under_concurrency() {
    let (base, _, counters) = setup().await;
    let polite = Fetcher::new(FetchOptions {
        politeness: PolitenessOptions { max_in_flight_per_host: Some(1), min_gap_per_host: Some(Duration::from_millis(100)) },
        ..options()
    })
    .expect("fetcher");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let polite = polite.clone();
        let target = url(&base, "/polite");
        tasks.push(tokio::spawn(async move { polite.fetch_page(&target, &RequestOptions::default()).await.map(|_| ()) }));
    }
    for task in tasks {
        task.await.expect("join").expect("fetch");
    }
    assert_eq!(counters.max_in_flight.load(Ordering::SeqCst), 1);
    // Five requests, 100 ms apart at least: the last starts 400 ms after the first.
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_unreachable_site_is_reported_as_such_not_as_robots() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
    let fetcher = Fetcher::new(FetchOptions { max_attempts: 1, ..options() }).expect("fetcher");
    let error = fetcher.fetch_page(&url(&format!("http://127.0.0.1:{port}"), "/page"), &request()).await.expect_err("unreachable");
    let message = error.to_string();
    assert!(message.contains("cannot reach the site"), "{message}");
    assert!(!message.contains("robots"), "{message}");
}
