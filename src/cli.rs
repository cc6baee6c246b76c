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
use crate::extract::{ExtractContext, Extraction, charset::decode_html, extract_feed};
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
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// Run one feed's extraction once and print the result.
    Preview {
        /// SITE/FEED, e.g. japannews/latest.
        target: String,
        #[arg(long, default_value = "config")]
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
    /// Print the JSON Schema of site configs (or of feedwright.toml with --settings), for editors.
    Schema {
        #[arg(long)]
        settings: bool,
    },
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
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { config } => Ok(check(&config)),
        Command::Preview { target, config, input, base_url, format } => {
            preview(&target, &config, input.as_deref(), base_url.as_deref(), format)
        }
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
