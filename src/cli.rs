//! The command line: `check`, `preview`, `schema` (and later `serve`, `refresh`). The command forms are
//! a contract other tools call. This is the edge: errors become messages and exit codes here (anyhow).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use url::Url;

use crate::config::{self, Config, Feed, Site};
use crate::extract::{ExtractContext, Extraction, extract_feed};
use crate::fetch::charset::decode_html;
use crate::feed::{FeedFormat, FeedMeta};
use crate::fetch::{FetchOptions, Fetcher};
use crate::item::Item;

#[derive(Debug, Parser)]
#[command(name = "feedwright", version, about = "Feeds for websites that have none")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every config; exit 0 when all are valid, else 1 with every problem listed.
    Check {
        /// The config folder (feedwright.toml and sites/*.toml).
        #[arg(long, default_value = "config", env = "FEEDWRIGHT_CONFIG")]
        config: PathBuf,
    },
    /// Run one feed's extraction once and print the result.
    Preview {
        /// SITE/FEED, e.g. japannews/latest.
        target: String,
        #[arg(long, default_value = "config", env = "FEEDWRIGHT_CONFIG")]
        config: PathBuf,
        /// Read the page from this file instead of fetching it (the page the items are on, after any `follow`).
        #[arg(long)]
        input: Option<PathBuf>,
        /// With --input: the URL links resolve against (default: the feed's URL).
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long, value_enum, default_value_t = PreviewFormat::Table)]
        format: PreviewFormat,
    },
    /// Read one article page without any site config: title, date, bylines, summary, image, text.
    Extract {
        /// A URL to fetch, or a saved HTML file.
        source: String,
        /// With a file: the URL the page was saved from (links resolve against it).
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long, value_enum, default_value_t = ExtractFormat::Json)]
        format: ExtractFormat,
        /// Time zone for dates the page gives without one (IANA name).
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
    /// Print the JSON Schema of site configs (or of feedwright.toml with --settings), for editors.
    Schema {
        #[arg(long)]
        settings: bool,
    },
    /// Serve every configured feed, refreshing them on their schedule (the main job).
    Serve {
        #[arg(long, default_value = "config", env = "FEEDWRIGHT_CONFIG")]
        config: PathBuf,
        /// Folder for the item store (overrides data_dir in feedwright.toml).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides listen in feedwright.toml).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Refresh every feed (or one site, or SITE/FEED) into the store once, print a summary, and exit.
    Refresh {
        /// SITE or SITE/FEED; every feed when left out.
        target: Option<String>,
        #[arg(long, default_value = "config", env = "FEEDWRIGHT_CONFIG")]
        config: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Exit 0 when the server answers its health check, else 1 (for container health checks).
    Health {
        /// The server's base URL; default: the listen address from the config.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value = "config", env = "FEEDWRIGHT_CONFIG")]
        config: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    Json,
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    Table,
    Json,
    Rss,
    Atom,
    Jsonfeed,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs each refresh; one-shot commands only say what went wrong.
    let default_level = match cli.command {
        Command::Serve { .. } | Command::Refresh { .. } => "info",
        _ => "warn",
    };
    init_logging(default_level);
    match run(cli) {
        Ok(code) => code,
        // `feedwright preview ... | head` closes the pipe early: that is not an error.
        Err(error) if error.downcast_ref::<std::io::Error>().is_some_and(|error| error.kind() == std::io::ErrorKind::BrokenPipe) => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(default_level: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default_level},hyper=warn,reqwest=warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { config } => Ok(check(&config)),
        Command::Preview { target, config, input, base_url, format } => {
            preview(&target, &config, input.as_deref(), base_url.as_deref(), format)
        }
        Command::Extract { source, base_url, format, timezone } => extract_command(&source, base_url.as_deref(), format, &timezone),
        Command::Serve { config, data, listen } => serve(&config, data, listen.as_deref()),
        Command::Refresh { target, config, data } => refresh(target.as_deref(), &config, data),
        Command::Health { url, config } => health(url.as_deref(), &config),
        Command::Schema { settings } => {
            let schema = if settings { config::settings_schema() } else { config::site_schema() };
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(config_dir: &Path) -> ExitCode {
    match config::load_dir(config_dir) {
        Ok(config) => {
            let n_feeds: usize = config.sites.iter().map(|site| site.feeds.len()).sum();
            println!("ok: {} sites, {n_feeds} feeds in {}", config.sites.len(), config_dir.display());
            for site in &config.sites {
                let feed_ids: Vec<&str> = site.feeds.iter().map(|feed| feed.id.as_str()).collect();
                println!("  {} ({}): {}", site.id, site.source_file.display(), feed_ids.join(", "));
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{error}");
            }
            eprintln!("{} problem{} found", errors.0.len(), if errors.0.len() == 1 { "" } else { "s" });
            ExitCode::FAILURE
        }
    }
}

/// The runtime of `serve` and `refresh`. Parsing and store calls run on the blocking pool; a few
/// threads are plenty for them, and every extra thread costs memory (each gets its own malloc arena).
fn service_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(4).build()
}

/// Load the config and apply the command line's overrides of `data_dir` and `listen`.
fn load_config_with(config_dir: &Path, data: Option<PathBuf>, listen: Option<&str>) -> anyhow::Result<Config> {
    let mut config = load_config(config_dir)?;
    if let Some(data) = data {
        config.settings.data_dir = data;
    }
    if let Some(listen) = listen {
        config.settings.listen = listen.parse().with_context(|| format!("--listen {listen:?} is not an address like 127.0.0.1:8080"))?;
    }
    Ok(config)
}

fn serve(config_dir: &Path, data: Option<PathBuf>, listen: Option<&str>) -> anyhow::Result<ExitCode> {
    let config = load_config_with(config_dir, data, listen)?;
    let runtime = service_runtime()?;
    runtime.block_on(async {
        let live_config = std::sync::Arc::new(crate::config::LiveConfig::new(config_dir, config.clone()));
        let server = crate::server::run::start(live_config, true).await?;
        let host = match server.address.ip() {
            ip if ip.is_unspecified() => format!("127.0.0.1:{}", server.address.port()),
            _ => server.address.to_string(),
        };
        let base = config.settings.public_url.clone().unwrap_or_else(|| format!("http://{host}"));
        println!("feedwright is serving {} feeds from {}", config.sites.iter().map(|site| site.feeds.len()).sum::<usize>(), config_dir.display());
        println!("index:  {base}/");
        println!("opml:   {base}/feeds.opml");
        for site in &config.sites {
            for feed in &site.feeds {
                println!("feed:   {base}/feeds/{}/{}.rss  (.atom, .json)", site.id, feed.id);
            }
        }
        println!("store:  {}", crate::server::run::store_path(&config.settings.data_dir).display());
        println!("Feeds are refreshed in the background; Ctrl-C stops.");
        server.wait().await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn refresh(target: Option<&str>, config_dir: &Path, data: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    use crate::schedule::refresh::{RefreshContext, RefreshReport, refresh_feed};
    let config = load_config_with(config_dir, data, None)?;
    let (site_filter, feed_filter) = match target {
        None => (None, None),
        Some(target) => match target.split_once('/') {
            Some((site, feed)) => (Some(site), Some(feed)),
            None => (Some(target), None),
        },
    };
    let selected: Vec<(&Site, &Feed)> = config
        .sites
        .iter()
        .filter(|site| site_filter.is_none_or(|wanted| site.id == wanted))
        .flat_map(|site| site.feeds.iter().map(move |feed| (site, feed)))
        .filter(|(_, feed)| feed_filter.is_none_or(|wanted| feed.id == wanted))
        .collect();
    if selected.is_empty() {
        let known: Vec<String> = config.sites.iter().flat_map(|site| site.feeds.iter().map(move |feed| format!("{}/{}", site.id, feed.id))).collect();
        bail!("nothing matches {:?}; the feeds are: {}", target.unwrap_or(""), known.join(", "));
    }
    crate::schedule::scrape::log_robots_opt_outs(&config);
    let store = crate::store::Store::open(&crate::server::run::store_path(&config.settings.data_dir))?;
    let fetcher = Fetcher::new(FetchOptions::from_settings(&config.settings))?;
    let context = RefreshContext::new(fetcher, store, &config.settings);
    let runtime = service_runtime()?;
    let reports = runtime.block_on(async {
        let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(config.settings.max_concurrent_refreshes));
        let mut tasks = tokio::task::JoinSet::new();
        for (feed_idx, (site, feed)) in selected.iter().enumerate() {
            let (site, feed) = ((*site).clone(), (*feed).clone());
            let context = context.clone();
            let settings = config.settings.clone();
            let semaphore = semaphore.clone();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                (feed_idx, refresh_feed(&context, &settings, &site, &feed, Utc::now()).await)
            });
        }
        let mut reports = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok(report) = joined {
                reports.push(report);
            }
        }
        reports.sort_by_key(|(feed_idx, _)| *feed_idx);
        reports
    });
    let mut n_failed = 0;
    for (feed_idx, report) in &reports {
        let (site, feed) = selected[*feed_idx];
        let line = match report {
            Ok(RefreshReport::Updated { n_items, n_new, n_updated, n_warnings }) => {
                format!("ok      {} items ({n_new} new, {n_updated} updated{})", n_items, if *n_warnings > 0 { format!(", {n_warnings} warnings") } else { String::new() })
            }
            Ok(RefreshReport::NotModified) => "ok      not modified since the last refresh".to_owned(),
            Ok(RefreshReport::Failed { message, .. }) => {
                n_failed += 1;
                format!("FAILED  {message}")
            }
            Err(error) => {
                n_failed += 1;
                format!("FAILED  store error: {error}")
            }
        };
        println!("{}/{}: {line}", site.id, feed.id);
    }
    println!("{} refreshed, {n_failed} failed", reports.len() - n_failed);
    Ok(if n_failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn health(url: Option<&str>, config_dir: &Path) -> anyhow::Result<ExitCode> {
    let base = match url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let settings = config::load_settings(config_dir).map_err(|errors| anyhow!("the settings are invalid:\n{errors}"))?;
            let address = settings.listen;
            let host = if address.ip().is_unspecified() { format!("127.0.0.1:{}", address.port()) } else { address.to_string() };
            format!("http://{host}")
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let result = runtime.block_on(async {
        crate::fetch::install_crypto_provider();
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build()?;
        let response = client.get(format!("{base}/healthz")).send().await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, body))
    });
    match result {
        Ok((status, _)) if status.is_success() => {
            println!("ok: {base} is healthy");
            Ok(ExitCode::SUCCESS)
        }
        Ok((status, body)) => {
            eprintln!("unhealthy: {base}/healthz answered {status}: {}", body.trim());
            Ok(ExitCode::FAILURE)
        }
        Err(error) => {
            eprintln!("unhealthy: cannot reach {base}/healthz: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn load_config(config_dir: &Path) -> anyhow::Result<Config> {
    config::load_dir(config_dir).map_err(|errors| anyhow!("the config is invalid:\n{errors}"))
}

fn find_feed<'c>(config: &'c Config, target: &str) -> anyhow::Result<(&'c Site, &'c Feed)> {
    let Some((site_id, feed_id)) = target.split_once('/') else {
        bail!("expected SITE/FEED (e.g. japannews/latest), got {target:?}");
    };
    let Some(site) = config.site(site_id) else {
        let known: Vec<&str> = config.sites.iter().map(|site| site.id.as_str()).collect();
        bail!("no site {site_id:?}; known sites: {}", known.join(", "));
    };
    let Some(feed) = site.feeds.iter().find(|feed| feed.id == feed_id) else {
        let known: Vec<&str> = site.feeds.iter().map(|feed| feed.id.as_str()).collect();
        bail!("site {site_id:?} has no feed {feed_id:?}; its feeds: {}", known.join(", "));
    };
    Ok((site, feed))
}

fn preview(
    target: &str,
    config_dir: &Path,
    input: Option<&Path>,
    base_url: Option<&str>,
    format: PreviewFormat,
) -> anyhow::Result<ExitCode> {
    let config = load_config(config_dir)?;
    let (site, feed) = find_feed(&config, target)?;
    let now = Utc::now();
    let (page_url, extraction) = match input {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let (text, _encoding) = decode_html(&bytes, None);
            let page_url = match base_url {
                Some(base_url) => Url::parse(base_url).with_context(|| format!("--base-url {base_url:?} is not a URL"))?,
                None => feed.url.clone(),
            };
            let context = ExtractContext { now, timezone: site.timezone };
            let extraction = extract_feed(&text, &page_url, feed, &context);
            (page_url, extraction)
        }
        None => {
            let fetcher = Fetcher::new(FetchOptions::from_settings(&config.settings))?;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let hints = crate::schedule::scrape::ScrapeHints::default();
            let outcome = runtime.block_on(crate::schedule::scrape::scrape_feed(&fetcher, site, feed, now, &hints))?;
            match outcome {
                crate::schedule::scrape::ScrapeOutcome::Scraped(scrape) => (scrape.page_url, scrape.extraction),
                crate::schedule::scrape::ScrapeOutcome::NotModified => bail!("the page answered 304 Not Modified to a request without validators"),
            }
        }
    };

    let mut stdout = std::io::stdout().lock();
    match format {
        PreviewFormat::Table => write_table(&mut stdout, site, feed, &page_url, &extraction)?,
        PreviewFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&preview_json(&extraction))?)?,
        PreviewFormat::Rss | PreviewFormat::Atom | PreviewFormat::Jsonfeed => {
            let feed_format = match format {
                PreviewFormat::Rss => FeedFormat::Rss,
                PreviewFormat::Atom => FeedFormat::Atom,
                _ => FeedFormat::JsonFeed,
            };
            let meta = FeedMeta::for_feed(site, feed, now);
            let self_url = format!("http://{}/feeds/{}/{}.{}", config.settings.listen, site.id, feed.id, feed_format.extension());
            write!(stdout, "{}", feed_format.write(&meta, &extraction.items, &self_url))?;
        }
    }
    for warning in &extraction.warnings {
        if format != PreviewFormat::Table && format != PreviewFormat::Json {
            eprintln!("warning: {warning}");
        }
    }
    Ok(if extraction.items.is_empty() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn extract_command(source: &str, base_url: Option<&str>, format: ExtractFormat, timezone: &str) -> anyhow::Result<ExitCode> {
    let timezone: chrono_tz::Tz = timezone.parse().map_err(|_| anyhow!("--timezone {timezone:?} is not an IANA time zone name like \"Asia/Tokyo\""))?;
    let now = Utc::now();
    let is_url = source.starts_with("http://") || source.starts_with("https://");
    let (text, page_url) = if is_url {
        let url = Url::parse(source).with_context(|| format!("{source:?} is not a URL"))?;
        let fetcher = Fetcher::new(FetchOptions::from_settings(&config::Settings::default()))?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let request = crate::fetch::RequestOptions { obey_robots: true, ..Default::default() };
        let page = runtime.block_on(fetcher.fetch_page(&url, &request))?;
        (page.text, page.url)
    } else {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
        let page_url = match base_url {
            Some(base_url) => Url::parse(base_url).with_context(|| format!("--base-url {base_url:?} is not a URL"))?,
            None => {
                let absolute = std::fs::canonicalize(source).with_context(|| format!("cannot resolve {source}"))?;
                Url::from_file_path(&absolute).map_err(|()| anyhow!("cannot make a URL of {}", absolute.display()))?
            }
        };
        (decode_html(&bytes, None).0, page_url)
    };
    let context = ExtractContext { now, timezone };
    let article = crate::extract::article::extract_article(&text, &page_url, &context);
    let url = article.url.clone().unwrap_or_else(|| page_url.to_string());
    let json = serde_json::json!({
        "title": article.title,
        "url": url,
        "published": article.published.map(|date| date.to_rfc3339()),
        "updated": article.updated.map(|date| date.to_rfc3339()),
        "authors": article.authors,
        "summary": article.summary,
        "image": article.image,
        "language": article.language,
        "categories": article.categories,
        "content_html": article.content_html,
    });
    let mut stdout = std::io::stdout().lock();
    match format {
        ExtractFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?,
        ExtractFormat::Table => {
            let show = |value: &serde_json::Value| match value {
                serde_json::Value::Null => "-".to_owned(),
                serde_json::Value::String(text) => truncate(text, 100),
                serde_json::Value::Array(values) if values.is_empty() => "-".to_owned(),
                serde_json::Value::Array(values) => values.iter().filter_map(|value| value.as_str()).collect::<Vec<_>>().join("; "),
                other => other.to_string(),
            };
            for key in ["title", "url", "published", "updated", "authors", "summary", "image", "language", "categories"] {
                writeln!(stdout, "{key:<11} {}", show(&json[key]))?;
            }
            let content_chars = article.content_html.as_deref().map(|content| content.chars().count()).unwrap_or(0);
            writeln!(stdout, "{:<11} {content_chars} chars of sanitized HTML", "content")?;
        }
    }
    Ok(if article.title.is_some() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The `--format json` contract: item keys in the JSON Feed spelling, dates in RFC 3339.
fn preview_json(extraction: &Extraction) -> serde_json::Value {
    let items: Vec<serde_json::Value> = extraction.items.iter().map(item_json).collect();
    let warnings: Vec<String> = extraction.warnings.iter().map(ToString::to_string).collect();
    serde_json::json!({ "items": items, "warnings": warnings })
}

fn item_json(item: &Item) -> serde_json::Value {
    serde_json::json!({
        "title": item.title,
        "url": item.url,
        "id": item.id,
        "published": item.published.map(|date| date.to_rfc3339()),
        "updated": item.updated.map(|date| date.to_rfc3339()),
        "summary": item.summary,
        "content_html": item.content_html,
        "authors": item.authors,
        "image": item.image,
        "categories": item.categories,
        "rank": item.rank,
    })
}

/// The table a person writing a config reads: what each field found, then the items, then warnings.
fn write_table(out: &mut impl Write, site: &Site, feed: &Feed, page_url: &Url, extraction: &Extraction) -> std::io::Result<()> {
    writeln!(out, "{}/{}: {} — {}", site.id, feed.id, site.title, feed.title)?;
    writeln!(out, "page:  {page_url}")?;
    writeln!(
        out,
        "items: `{}` matched {} element{}, {} item{} kept",
        feed.items.text,
        extraction.n_matched,
        if extraction.n_matched == 1 { "" } else { "s" },
        extraction.items.len(),
        if extraction.items.len() == 1 { "" } else { "s" },
    )?;
    writeln!(out)?;
    writeln!(out, "{:<11} {:<40} found", "field", "selector")?;
    for stats in &extraction.field_stats {
        let marker = if stats.n_found == 0 { "  <- matched nothing" } else if stats.n_found < stats.n_items { "  <- missing in some" } else { "" };
        writeln!(out, "{:<11} {:<40} {}/{}{marker}", stats.field, truncate(&stats.selector, 40), stats.n_found, stats.n_items)?;
    }
    for (item_idx, item) in extraction.items.iter().enumerate() {
        writeln!(out)?;
        let rank = item.rank.map(|rank| format!(" [rank {rank}]")).unwrap_or_default();
        writeln!(out, "{:>3}. {}{rank}", item_idx + 1, item.title)?;
        writeln!(out, "     url:        {}", item.url)?;
        if item.id != item.url {
            writeln!(out, "     id:         {}", item.id)?;
        }
        let show_date = |date: Option<chrono::DateTime<chrono::FixedOffset>>| date.map(|date| date.to_rfc3339()).unwrap_or_else(|| "-".to_owned());
        writeln!(out, "     published:  {}", show_date(item.published))?;
        if item.updated.is_some() {
            writeln!(out, "     updated:    {}", show_date(item.updated))?;
        }
        if let Some(summary) = &item.summary {
            writeln!(out, "     summary:    {}", truncate(summary, 100))?;
        }
        if let Some(content) = &item.content_html {
            writeln!(out, "     content:    {} chars of HTML", content.chars().count())?;
        }
        if !item.authors.is_empty() {
            writeln!(out, "     authors:    {}", item.authors.join("; "))?;
        }
        if let Some(image) = &item.image {
            writeln!(out, "     image:      {image}")?;
        }
        if !item.categories.is_empty() {
            writeln!(out, "     categories: {}", item.categories.join("; "))?;
        }
    }
    writeln!(out)?;
    if extraction.warnings.is_empty() {
        writeln!(out, "no warnings")?;
    } else {
        writeln!(out, "warnings:")?;
        for warning in &extraction.warnings {
            writeln!(out, "  - {warning}")?;
        }
    }
    Ok(())
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut truncated: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    truncated.push('…');
    truncated
}
