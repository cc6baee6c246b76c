//! Shared test helpers: a local origin on 127.0.0.1 serving fixture pages, and config folders
//! pointed at it. Nothing here talks to any other address.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

pub fn fixture_bytes(site: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(site).join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A page the origin serves: body and Content-Type.
#[derive(Clone)]
pub struct Page {
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

/// What the origin answers for a path: a page, or an error status.
#[derive(Clone)]
pub enum Answer {
    Page(Page),
    Status(u16),
}

type Pages = Arc<RwLock<HashMap<String, Answer>>>;

/// A running origin; the thread lives as long as the test process. Pages can be changed while it runs.
pub struct Origin {
    pub address: SocketAddr,
    pages: Pages,
}

impl Origin {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Serve `page` at `path` from now on (`{origin}` replaced as at start).
    pub fn set_page(&self, path: &str, page: Page) {
        let page = rewrite(page, &self.url(""));
        self.pages.write().expect("pages lock").insert(path.to_owned(), Answer::Page(page));
    }

    /// Answer `path` with an error status from now on.
    pub fn set_status(&self, path: &str, status: u16) {
        self.pages.write().expect("pages lock").insert(path.to_owned(), Answer::Status(status));
    }
}

fn rewrite(page: Page, base: &str) -> Page {
    let body = match String::from_utf8(page.body.clone()) {
        Ok(text) => text.replace("{origin}", base).into_bytes(),
        Err(_) => page.body,
    };
    Page { body, content_type: page.content_type }
}

async fn serve_page(State(pages): State<Pages>, uri: Uri) -> Response {
    let answer = pages.read().expect("pages lock").get(uri.path()).cloned();
    match answer {
        Some(Answer::Page(page)) => ([(header::CONTENT_TYPE, page.content_type)], page.body).into_response(),
        Some(Answer::Status(status)) => (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "error").into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Start an origin on 127.0.0.1:0 serving `pages` (path -> page) on its own thread and runtime.
/// Pages may contain `{origin}`, replaced by the origin's base URL (so links point back at it).
pub fn start_origin(pages: Vec<(&str, Page)>) -> Origin {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("nonblocking");
    let address = listener.local_addr().expect("local addr");
    let base = format!("http://{address}");
    let pages: HashMap<String, Answer> =
        pages.into_iter().map(|(path, page)| (path.to_owned(), Answer::Page(rewrite(page, &base)))).collect();
    let pages: Pages = Arc::new(RwLock::new(pages));
    let router = Router::new().fallback(serve_page).with_state(pages.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, router).await.expect("serve");
        });
    });
    Origin { address, pages }
}

/// Japan News fixture with its absolute links rewritten to the origin.
pub fn japannews_page(name: &str) -> Page {
    let text = String::from_utf8(fixture_bytes("japannews", name)).expect("utf-8 fixture");
    Page { body: text.replace("https://japannews.yomiuri.co.jp", "{origin}").into_bytes(), content_type: "text/html; charset=UTF-8" }
}

/// A config folder holding the shipped Japan News config with `home` pointed at the origin.
pub fn japannews_config_for(origin: &Origin) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let sites = dir.path().join("sites");
    std::fs::create_dir_all(&sites).expect("mkdir");
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sites/japannews.toml")).expect("read");
    let pointed = shipped.replace("https://japannews.yomiuri.co.jp/", &origin.url("/"));
    assert_ne!(pointed, shipped, "the shipped config's home URL moved; update this helper");
    std::fs::write(sites.join("japannews.toml"), pointed).expect("write");
    dir
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_feedwright"))
}
