//! `GET /`: every site and feed with its status and its three feed URLs, with copy buttons and
//! `<link rel="alternate">` autodiscovery, so pasting the server's address into a reader finds them.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::api::{FeedStatus, load_statuses};
use super::{AppState, error_page};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index))
}

async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let statuses = match load_statuses(&state, &headers).await {
        Ok(statuses) => statuses,
        Err(error) => return error_page(StatusCode::SERVICE_UNAVAILABLE, &format!("the store cannot be read: {error}")),
    };
    let config_error = state.live_config.last_error();
    let body = render_index(&statuses, config_error.as_deref(), Utc::now());
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(character),
        }
    }
    out
}

/// "3 min ago", "in 12 min": times a person reads at a glance (the exact time is in the tooltip).
fn relative(date: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(date) = date else { return "never".to_owned() };
    let seconds = (now - date).num_seconds();
    let (amount, future) = if seconds >= 0 { (seconds, false) } else { (-seconds, true) };
    let text = match amount {
        0..=59 => return if future { "in under a minute".to_owned() } else { "just now".to_owned() },
        60..=3599 => format!("{} min", amount / 60),
        3600..=86_399 => format!("{} h", amount / 3600),
        _ => format!("{} d", amount / 86_400),
    };
    if future { format!("in {text}") } else { format!("{text} ago") }
}

fn time_tag(date: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match date {
        Some(date) => format!("<time datetime=\"{0}\" title=\"{0}\">{1}</time>", date.to_rfc3339(), relative(Some(date), now)),
        None => "never".to_owned(),
    }
}

pub fn render_index(statuses: &[FeedStatus], config_error: Option<&str>, now: DateTime<Utc>) -> String {
    let mut autodiscovery = String::new();
    for status in statuses {
        let title = escape(&format!("{}: {}", status.site_title, status.title));
        autodiscovery.push_str(&format!(
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"{title}\" href=\"{}\">\n<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{title} (Atom)\" href=\"{}\">\n<link rel=\"alternate\" type=\"application/feed+json\" title=\"{title} (JSON Feed)\" href=\"{}\">\n",
            escape(&status.urls.rss),
            escape(&status.urls.atom),
            escape(&status.urls.json)
        ));
    }
    let n_broken = statuses.iter().filter(|status| status.broken).count();
    let n_failing = statuses.iter().filter(|status| status.consecutive_failures > 0 && !status.broken).count();
    let mut body = String::new();
    if let Some(error) = config_error {
        body.push_str(&format!(
            "<div class=\"banner bad\"><strong>The last config change was not applied</strong> (the previous config stays in force):<pre>{}</pre></div>\n",
            escape(error)
        ));
    }
    let mut current_site: Option<&str> = None;
    for status in statuses {
        if current_site != Some(status.site.as_str()) {
            if current_site.is_some() {
                body.push_str("</tbody></table></section>\n");
            }
            body.push_str(&format!(
                "<section><h2>{} <span class=\"muted\">{}</span></h2>\n<table><thead><tr><th>Feed</th><th>Status</th><th>Items</th><th>Last refresh</th><th>Next</th><th>Subscribe</th></tr></thead><tbody>\n",
                escape(&status.site_title),
                escape(&status.site)
            ));
            current_site = Some(&status.site);
        }
        let (badge, badge_class) = if status.broken {
            ("broken", "bad")
        } else if status.consecutive_failures > 0 {
            ("failing", "warn")
        } else if status.last_success.is_some() {
            ("ok", "good")
        } else {
            ("waiting", "muted-badge")
        };
        let mut detail = String::new();
        if let Some(message) = status.broken_message.as_deref().or(status.last_error.as_deref()) {
            detail = format!("<div class=\"error\">{}</div>", escape(message));
        }
        let ranking = if status.ranking { " <span class=\"tag\">ranking</span>" } else { "" };
        let copy = |label: &str, url: &str| {
            format!(
                "<span class=\"url\"><a href=\"{0}\">{1}</a><button type=\"button\" data-copy=\"{0}\" title=\"Copy {1} URL\">Copy</button></span>",
                escape(url),
                label
            )
        };
        body.push_str(&format!(
            "<tr><td><strong>{title}</strong>{ranking}<div class=\"muted small\"><a href=\"{source}\" rel=\"noreferrer\">{source_text}</a></div>{detail}</td><td class=\"state\"><span class=\"badge {badge_class}\">{badge}</span></td><td class=\"num\">{items}</td><td class=\"when\">{last}</td><td class=\"when\">{next}</td><td class=\"urls\">{rss}{atom}{json}</td></tr>\n",
            title = escape(&status.title),
            source = escape(&status.source_url),
            source_text = escape(&status.source_url),
            items = status.item_count,
            last = time_tag(status.last_success.or(status.last_attempt), now),
            next = time_tag(status.next_refresh, now),
            rss = copy("RSS", &status.urls.rss),
            atom = copy("Atom", &status.urls.atom),
            json = copy("JSON", &status.urls.json),
        ));
    }
    if current_site.is_some() {
        body.push_str("</tbody></table></section>\n");
    }
    if statuses.is_empty() {
        body.push_str("<p class=\"empty\">No feeds are configured. Add a site file to <code>config/sites/</code>: it is picked up without a restart.</p>\n");
    }
    let summary = format!(
        "{} feeds{}{}",
        statuses.len(),
        if n_failing > 0 { format!(", {n_failing} failing") } else { String::new() },
        if n_broken > 0 { format!(", {n_broken} broken") } else { String::new() }
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>feedwright</title>
{autodiscovery}<link rel="alternate" type="text/x-opml" title="All feeds (OPML)" href="/feeds.opml">
<style>
:root {{ --fg:#1d1f23; --muted:#6b7280; --line:#e5e7eb; --bg:#fafafa; --card:#fff; --accent:#2563eb; }}
@media (prefers-color-scheme: dark) {{ :root {{ --fg:#e5e7eb; --muted:#9ca3af; --line:#374151; --bg:#111827; --card:#1f2937; --accent:#60a5fa; }} }}
* {{ box-sizing: border-box; }}
body {{ margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }}
header {{ padding:20px 28px; border-bottom:1px solid var(--line); background:var(--card); display:flex; gap:16px; align-items:baseline; flex-wrap:wrap; }}
header h1 {{ margin:0; font-size:22px; }}
header .summary {{ color:var(--muted); }}
header .actions {{ margin-left:auto; }}
main {{ padding:8px 28px 40px; max-width:1280px; }}
section {{ margin-top:24px; background:var(--card); border:1px solid var(--line); border-radius:10px; overflow-x:auto; }}
h2 {{ font-size:17px; margin:0; padding:14px 16px; border-bottom:1px solid var(--line); }}
table {{ border-collapse:collapse; width:100%; }}
th, td {{ text-align:left; padding:9px 12px; border-bottom:1px solid var(--line); vertical-align:top; }}
th {{ font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); font-weight:600; }}
tr:last-child td {{ border-bottom:none; }}
td.num {{ text-align:right; font-variant-numeric:tabular-nums; }}
td.when, td.state {{ white-space:nowrap; }}
a {{ color:var(--accent); text-decoration:none; }} a:hover {{ text-decoration:underline; }}
.muted {{ color:var(--muted); font-weight:normal; }} .small {{ font-size:12px; word-break:break-all; }}
.badge {{ display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; }}
.good {{ background:#dcfce7; color:#166534; }} .warn {{ background:#fef3c7; color:#92400e; }} .bad {{ background:#fee2e2; color:#991b1b; }}
.muted-badge {{ background:var(--line); color:var(--muted); }}
.tag {{ font-size:11px; border:1px solid var(--line); border-radius:4px; padding:0 5px; color:var(--muted); margin-left:4px; }}
.error {{ margin-top:4px; font-size:13px; color:#b91c1c; }}
.urls {{ white-space:nowrap; }}
.url {{ display:inline-flex; align-items:center; gap:4px; margin-right:10px; }}
button {{ font:inherit; font-size:12px; padding:2px 8px; border:1px solid var(--line); border-radius:6px; background:var(--bg); color:var(--fg); cursor:pointer; }}
button:hover {{ border-color:var(--accent); }}
button.copied {{ border-color:#16a34a; color:#16a34a; }}
.banner {{ margin-top:20px; padding:12px 16px; border-radius:8px; }} .banner pre {{ white-space:pre-wrap; margin:8px 0 0; }}
.empty {{ margin-top:24px; color:var(--muted); }}
footer {{ padding:0 28px 28px; color:var(--muted); font-size:13px; }}
</style>
</head>
<body>
<header><h1>feedwright</h1><span class="summary">{summary}</span><span class="actions"><a href="/feeds.opml">All feeds as OPML</a> · <a href="/api/status">Status JSON</a></span></header>
<main>
{body}</main>
<footer>Paste this page's address into your feed reader to find every feed, or copy one feed's URL. Feeds refresh on a schedule; this page shows the last result of each.</footer>
<script>
document.addEventListener("click", async (event) => {{
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = button.dataset.copy;
  try {{
    await navigator.clipboard.writeText(text);
  }} catch (error) {{
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); area.remove();
  }}
  button.textContent = "Copied"; button.classList.add("copied");
  setTimeout(() => {{ button.textContent = "Copy"; button.classList.remove("copied"); }}, 1500);
}});
</script>
</body>
</html>
"#
    )
}
