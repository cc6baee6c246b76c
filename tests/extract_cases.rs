//! Extraction against the oddities real pages hold: table cases, each one a config fragment, a page
//! and what a reader of the feed would see. Configs go through the real parser (`config::parse_site`);
//! the clock is fixed; nothing here touches the network.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use feedwright::config::{Site, parse_site};
use feedwright::extract::{ExtractContext, Extraction, Warning, extract_feed};
use feedwright::fetch::charset::decode_html;
use url::Url;

/// The list page every case is read from; relative links resolve against it.
const PAGE_URL: &str = "https://example.com/news/list.html";

/// "Now" for relative dates: 2024-10-14 03:00 UTC, which is 12:00 in Tokyo.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 10, 14, 3, 0, 0).single().expect("valid date")
}

/// A site file around one feed. `site_keys` go at the top level (timezone, date_formats); the site's
/// `[fields]` read the title from `h2` and the link from `a@href`, and `feed_keys` (which must name
/// `items`) may override them with `fields.<name> = ...`.
fn site(site_keys: &str, feed_keys: &str) -> Site {
    let text = format!(
        "title = \"Example\"\nhome = \"https://example.com/\"\n{site_keys}\n\
         [fields]\ntitle = \"h2\"\nlink = \"a@href\"\n\n\
         [[feed]]\nid = \"news\"\nurl = \"{PAGE_URL}\"\n{feed_keys}\n"
    );
    let (site, errors) = parse_site(Path::new("t.toml"), &text);
    assert!(errors.is_empty(), "config errors: {errors:?}\n{text}");
    site.expect("a site without errors")
}

fn extract_with(site_keys: &str, feed_keys: &str, html: &str) -> Extraction {
    let site = site(site_keys, feed_keys);
    let context = ExtractContext { now: now(), timezone: site.timezone };
    extract_feed(html, &Url::parse(PAGE_URL).expect("page url"), &site.feeds[0], &context)
}

fn extract(feed_keys: &str, html: &str) -> Extraction {
    extract_with("", feed_keys, html)
}

/// What a feed reader would show, one `- title <url>` line per item with its other fields below, then
/// one `! message` line per warning. `id` appears only when it is not the link.
fn render(extraction: &Extraction) -> String {
    let mut out = String::new();
    for item in &extraction.items {
        let _ = writeln!(out, "- {} <{}>", item.title, item.url);
        let mut line = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                let _ = writeln!(out, "  {name}: {value}");
            }
        };
        line("id", (item.id != item.url).then(|| item.id.clone()));
        line("rank", item.rank.map(|rank| rank.to_string()));
        line("published", item.published.map(|date| date.to_rfc3339()));
        line("updated", item.updated.map(|date| date.to_rfc3339()));
        line("summary", item.summary.clone());
        line("content", item.content_html.clone());
        line("authors", (!item.authors.is_empty()).then(|| item.authors.join(" | ")));
        line("categories", (!item.categories.is_empty()).then(|| item.categories.join(" | ")));
        line("image", item.image.clone());
    }
    for warning in &extraction.warnings {
        let _ = writeln!(out, "! {warning}");
    }
    out
}

/// Lines trimmed, blank lines dropped: indentation in the expected text is only for the eye.
fn normalize(text: &str) -> String {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join("\n")
}

#[track_caller]
fn check_site(site_keys: &str, feed_keys: &str, html: &str, expected: &str) {
    let actual = normalize(&render(&extract_with(site_keys, feed_keys, html)));
    let expected = normalize(expected);
    assert!(actual == expected, "\n--- expected\n{expected}\n--- actual\n{actual}\n--- page\n{html}\n");
}

#[track_caller]
fn check(feed_keys: &str, html: &str, expected: &str) {
    check_site("", feed_keys, html, expected);
}

// Short forms: "sel", "sel@attr", "@attr" on the item itself, `@` inside brackets.

#[test]
fn short_forms() {
    check(r#"items = "li""#, r#"<li><h2>Hello</h2><a href="/a">more</a></li>"#, "- Hello <https://example.com/a>");
    check(
        r#"items = "a.card"
           fields.link = "@href""#,
        r#"<a class="card" href="/card"><h2>Card</h2></a>"#,
        "- Card <https://example.com/card>",
    );
    check(
        r#"items = "li"
           fields.guid = "@data-id""#,
        r#"<li data-id="42"><h2>Hello</h2><a href="/a">more</a></li>"#,
        "- Hello <https://example.com/a>
           id: 42",
    );
    // `@` inside brackets belongs to the selector; only the last one outside them names the attribute.
    check(
        r#"items = "li"
           fields.link = 'a[href*="/@"]@href'
           fields.author = 'a[href*="@"]'"#,
        r#"<li><h2>Toot</h2><a href="/about">About</a><a href="/@jane/1">Jane</a></li>"#,
        "- Toot <https://example.com/@jane/1>
           authors: Jane",
    );
    // "a@href" reads the first `a` that has an `href`: an anchor without one is not the link.
    let anchor_first = r#"<li><h2>T</h2><a name="top">x</a><a href="/a">a</a></li>"#;
    check(r#"items = "li""#, anchor_first, "- T <https://example.com/a>");
    check(
        r#"items = "li"
           fields.link = "a[href]@href""#,
        anchor_first,
        "- T <https://example.com/a>",
    );
    // A selector matching several elements takes the first for single-valued fields.
    check(
        r#"items = "li""#,
        r#"<li><h2>First</h2><h2>Second</h2><a href="/1">1</a><a href="/2">2</a></li>"#,
        "- First <https://example.com/1>",
    );
}

// The long form: attr, html, drop, all + split, regex, replace, template, steps, default.

#[test]
fn long_form_attr_and_html() {
    check(
        r#"items = "li"
           fields.image = { select = "img", attr = "data-src" }"#,
        r#"<li><h2>Lazy</h2><a href="/a">a</a><img src="data:image/gif;base64,R0lGOD" data-src="/img/1.jpg"></li>"#,
        "- Lazy <https://example.com/a>
           image: https://example.com/img/1.jpg",
    );
    // Inner HTML is re-serialized and sanitized: entities and quoting normalized, comments and
    // attributes outside the allow-list gone, URLs absolute.
    check(
        r#"items = "li"
           fields.content = { select = "div.body", html = true }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><div class="body"><p class=lead>Tom &amp; Jerry &#x27;99 &lt;3</p><!-- ad --><img src='/i.png'></div></li>"#,
        r#"- T <https://example.com/a>
           content: <p>Tom &amp; Jerry '99 &lt;3</p><img src="https://example.com/i.png">"#,
    );
    // `content` takes inner HTML without being told.
    check(
        r#"items = "li"
           fields.content = "div.body""#,
        r#"<li><h2>T</h2><a href="/a">a</a><div class="body"><b>bold</b> text</div></li>"#,
        "- T <https://example.com/a>
           content: <b>bold</b> text",
    );
}

#[test]
fn long_form_drop() {
    check(
        r#"items = "li"
           fields.title = { select = "h2", drop = ["span.label"] }"#,
        r#"<li><h2><span class="label">PR</span> Storm nears Tokyo</h2><a href="/a">a</a></li>"#,
        "- Storm nears Tokyo <https://example.com/a>",
    );
    check(
        r#"items = "li"
           fields.content = { select = "div", drop = ["p.byline", "aside"] }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><div><p class="byline">By Jane</p><p>Body</p><aside>Ad</aside></div></li>"#,
        "- T <https://example.com/a>
           content: <p>Body</p>",
    );
}

#[test]
fn long_form_all_and_split() {
    check(
        r#"items = "li"
           fields.categories = { select = "span.cats", split = "," }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><span class="cats">Politics, Economy</span></li>"#,
        "- T <https://example.com/a>
           categories: Politics | Economy",
    );
    // Categories and authors take every match by default; repeats (in any case) are kept once.
    check(
        r#"items = "li"
           fields.categories = "a[rel=tag]"
           fields.author = ".author""#,
        r#"<li><h2>T</h2><a href="/a">a</a><a rel="tag">Politics</a><a rel="tag"> Economy </a><a rel="tag">politics</a>
               <span class="author">Jane</span><span class="author">John</span></li>"#,
        "- T <https://example.com/a>
           authors: Jane | John
           categories: Politics | Economy",
    );
    check(
        r#"items = "li"
           fields.categories = { select = "a[rel=tag]", all = false }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><a rel="tag">Politics</a><a rel="tag">Economy</a></li>"#,
        "- T <https://example.com/a>
           categories: Politics",
    );
    // `all` and `split` together: every match, each split.
    check(
        r#"items = "li"
           fields.author = { select = ".by", split = " and " }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><span class="by">Jane and John</span><span class="by">Kei</span></li>"#,
        "- T <https://example.com/a>
           authors: Jane | John | Kei",
    );
}

#[test]
fn long_form_regex_replace_template() {
    // regex keeps the first capture group.
    check(
        r#"items = "li"
           fields.guid = { select = "a", attr = "href", regex = '/(\d+)\.html$' }"#,
        r#"<li><h2>T</h2><a href="/news/2024/1234.html">a</a></li>"#,
        "- T <https://example.com/news/2024/1234.html>
           id: 1234",
    );
    // Without a group, the whole match.
    check(
        r#"items = "li"
           fields.summary = { select = "p", regex = '\d+ comments' }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p>Read more (12 comments)</p></li>"#,
        "- T <https://example.com/a>
           summary: 12 comments",
    );
    // A regex that does not match leaves the field without a value (no date is invented) and says so.
    check(
        r#"items = "li"
           fields.date = { select = "p", regex = '^Posted (.+)$' }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p>Updated Oct 13, 2024</p></li>"#,
        "- T <https://example.com/a>
         ! item 1: field `date`: regex `^Posted (.+)$` did not match \"Updated Oct 13, 2024\", so the value was dropped",
    );
    check(
        r#"items = "li"
           fields.author = { select = ".byline", replace = ["^By ", ""] }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p class="byline">By Jane Doe</p></li>"#,
        "- T <https://example.com/a>
           authors: Jane Doe",
    );
    check(
        r#"items = "li"
           fields.summary = { template = "{title} ({categories})" }
           fields.categories = { select = ".cats", split = "," }"#,
        r#"<li><h2>Budget passes</h2><a href="/a">a</a><p class="cats">Politics,Economy</p></li>"#,
        "- Budget passes <https://example.com/a>
           summary: Budget passes (Politics, Economy)
           categories: Politics | Economy",
    );
    check(
        r#"items = "li"
           ranking = true
           fields.title = { select = "h2", template = "{value} #{rank}" }"#,
        r#"<li><h2>One</h2><a href="/1">a</a></li><li><h2>Two</h2><a href="/2">a</a></li>"#,
        "- One #1 <https://example.com/1>
           rank: 1
         - Two #2 <https://example.com/2>
           rank: 2",
    );
    // A template reading a field the item lacks leaves that part empty (and the space is folded).
    check(
        r#"items = "li"
           fields.summary = { template = "{author} {title}" }
           fields.author = { select = ".by", default = "" }"#,
        r#"<li><h2>T</h2><a href="/a">a</a></li>"#,
        "- T <https://example.com/a>
           summary: T",
    );
}

#[test]
fn long_form_steps() {
    // Steps run in the order written.
    check(
        r#"items = "li"
           fields.summary = { select = "p", attr = "data-teaser", steps = ["strip_html", "collapse", { prefix = "« " }, { suffix = " »" }] }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p data-teaser="&lt;b&gt;Big&lt;/b&gt;
               day"></p></li>"#,
        "- T <https://example.com/a>
           summary: « Big day »",
    );
    check(
        r#"items = "li"
           fields.summary = { select = "p", steps = [{ replace = ["^x", "y"] }, { prefix = "x" }] }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p>xa</p></li>"#,
        "- T <https://example.com/a>
           summary: xya",
    );
    check(
        r#"items = "li"
           fields.summary = { select = "p", steps = [{ prefix = "x" }, { replace = ["^x", "y"] }] }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p>xa</p></li>"#,
        "- T <https://example.com/a>
           summary: yxa",
    );
    // `absolute` resolves a value that is not a link field, here the guid.
    check(
        r#"items = "li"
           fields.guid = { select = "a", attr = "data-permalink", steps = ["absolute"] }"#,
        r#"<li><h2>T</h2><a href="/a?utm=x" data-permalink="../p/42">a</a></li>"#,
        "- T <https://example.com/a?utm=x>
           id: https://example.com/p/42",
    );
    // The shortcuts (regex, replace, template) run before `steps`.
    check(
        r#"items = "li"
           fields.title = { select = "h2", regex = '^(\w+)', template = "[{value}]", steps = [{ suffix = "!" }] }"#,
        r#"<li><h2>Breaking: news</h2><a href="/a">a</a></li>"#,
        "- [Breaking]! <https://example.com/a>",
    );
}

#[test]
fn long_form_default() {
    // A default stands in when the selector matches nothing, and then there is no warning.
    check(
        r#"items = "li"
           fields.author = { select = ".byline", default = "Staff" }"#,
        r#"<li><h2>T</h2><a href="/a">a</a></li><li><h2>U</h2><a href="/b">b</a><span class="byline">Jane</span></li>"#,
        "- T <https://example.com/a>
           authors: Staff
         - U <https://example.com/b>
           authors: Jane",
    );
    check(
        r#"items = "li"
           fields.image = { select = "img@src", default = "/logo.png" }"#,
        r#"<li><h2>T</h2><a href="/a">a</a></li>"#,
        "- T <https://example.com/a>
           image: https://example.com/logo.png",
    );
}

// URLs: every kind of relative link resolves against the page; non-http links drop the item.

#[test]
fn relative_links() {
    for (href, expected) in [
        ("../x", "https://example.com/x"),
        ("/x", "https://example.com/x"),
        ("x", "https://example.com/news/x"),
        ("./x/", "https://example.com/news/x/"),
        ("?page=2", "https://example.com/news/list.html?page=2"),
        ("//other.example/x", "https://other.example/x"),
        ("http://example.com/x", "http://example.com/x"),
        ("HTTPS://EXAMPLE.COM/X", "https://example.com/X"),
        ("\n   /x  \n", "https://example.com/x"),
        ("/s?a=1&amp;b=2", "https://example.com/s?a=1&b=2"),
        ("/news/東京?q=雨", "https://example.com/news/%E6%9D%B1%E4%BA%AC?q=%E9%9B%A8"),
        ("/already/%E6%9D%B1", "https://example.com/already/%E6%9D%B1"),
        ("/a b", "https://example.com/a%20b"),
        ("https://例え.jp/x", "https://xn--r8jz45g.jp/x"),
    ] {
        let html = format!(r#"<li><h2>T</h2><a href="{href}">a</a></li>"#);
        check(r#"items = "li""#, &html, &format!("- T <{expected}>"));
    }
    // A fragment stays in the link but not in the id.
    check(
        r#"items = "li""#,
        r##"<li><h2>T</h2><a href="#top">a</a></li>"##,
        "- T <https://example.com/news/list.html#top>
           id: https://example.com/news/list.html",
    );
    check(
        r#"items = "li"
           fields.image = "img@src""#,
        r#"<li><h2>T</h2><a href="/a">a</a><img src="//cdn.example/img.jpg"></li>"#,
        "- T <https://example.com/a>
           image: https://cdn.example/img.jpg",
    );
}

#[test]
fn links_that_are_not_http() {
    check(
        r#"items = "li""#,
        r#"<li><h2>JS</h2><a href="javascript:void(0)">a</a></li>
           <li><h2>Mail</h2><a href="mailto:desk@example.com">a</a></li>
           <li><h2>Ok</h2><a href="/ok">a</a></li>
           <li><h2>Empty</h2><a href="">a</a></li>"#,
        r#"- Ok <https://example.com/ok>
           ! item 1 dropped: the link "javascript:void(0)" is not an http(s) URL
           ! item 2 dropped: the link "mailto:desk@example.com" is not an http(s) URL
           ! item 4 dropped: no link (`a@href` found nothing)
           ! field `link` (`a@href`) matched nothing in 1 of 4 items (first: item 4)"#,
    );
    // A bad image keeps the item, without the image, and says so.
    check(
        r#"items = "li"
           fields.image = "img@src""#,
        r#"<li><h2>T</h2><a href="/a">a</a><img src="data:image/gif;base64,R0lGOD"></li>"#,
        r#"- T <https://example.com/a>
           ! item 1: field `image`: "data:image/gif;base64,R0lGOD" is not an http(s) URL"#,
    );
}

// Entities and text: what the browser shows, folded to one line, without characters XML forbids.

#[test]
fn entities_and_text() {
    for (title_html, expected) in [
        ("Hello&nbsp;world", "Hello world"),
        ("17:41 JST,&ensp;October", "17:41 JST, October"),
        ("COVID&#045;19", "COVID-19"),
        ("Japan&#x2019;s &quot;plan&quot;", "Japan’s \"plan\""),
        ("AT&amp;amp;T", "AT&amp;T"),
        ("&copy 2024", "© 2024"),
        ("Storm<br>nears<br/>Tokyo", "Storm nears Tokyo"),
        ("<span><b>Big</b> <i>news</i></span> <span><em>today</em></span>", "Big news today"),
        ("Big<b>news</b>", "Bignews"),
        ("Live<div>Storm nears</div>Tokyo", "Live Storm nears Tokyo"),
        ("Hi<script>var x = '<b>';</script><style>h2 { color: red }</style> there", "Hi there"),
        ("Hi<noscript>Enable JS</noscript><template><p>t</p></template> there<!-- c -->", "Hi there"),
        ("  \n\t Spaced \u{3000} out \n ", "Spaced out"),
        ("zero\u{200B}width", "zerowidth"),
        ("bell\u{0001}char&#1;s", "bellchars"),
        // HTML has no CDATA outside SVG and MathML: browsers read it as a comment and show nothing.
        ("<![CDATA[Hidden]]>Shown", "Shown"),
        ("<svg><text><![CDATA[In SVG]]></text></svg>", "In SVG"),
    ] {
        let html = format!(r#"<li><h2>{title_html}</h2><a href="/a">a</a></li>"#);
        check(r#"items = "li""#, &html, &format!("- {expected} <https://example.com/a>"));
    }
}

#[test]
fn summaries_are_the_text_the_page_shows() {
    // A page that writes markup as text (`&lt;b&gt;`) shows it; the summary keeps it.
    check(
        r#"items = "li"
           fields.summary = "p""#,
        r#"<li><h2>T</h2><a href="/a">a</a><p>Use &lt;b&gt; for bold, a&lt;b, and &amp;amp; for &amp;</p></li>"#,
        "- T <https://example.com/a>
           summary: Use <b> for bold, a<b, and &amp; for &",
    );
    // Markup taken as HTML (or held in an attribute) is reduced to its text.
    check(
        r#"items = "li"
           fields.summary = { select = "p", html = true }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><p>Big <b>day</b><br>for &amp; all</p></li>"#,
        "- T <https://example.com/a>
           summary: Big day for & all",
    );
    check(
        r#"items = "li"
           fields.summary = "p@data-html""#,
        r#"<li><h2>T</h2><a href="/a">a</a><p data-html="&lt;p&gt;Lead &amp;amp; more&lt;/p&gt;"></p></li>"#,
        "- T <https://example.com/a>
           summary: Lead & more",
    );
    // Text with characters XML forbids in content and summary is cleaned too.
    check(
        "items = \"li\"\nfields.summary = \"p\"\nfields.content = \"div\"",
        "<li><h2>T</h2><a href=\"/a\">a</a><p>a\u{1}b</p><div>c\u{1}d&#1;e</div></li>",
        "- T <https://example.com/a>
           summary: ab
           content: cde",
    );
}

// Dates through the field: site formats, <time datetime>, relative, Japanese, garbage, date only.

#[test]
fn dates() {
    let tokyo = r#"timezone = "Asia/Tokyo""#;
    let date_feed = r#"items = "li"
                       fields.date = "p.date""#;
    let item = |date_html: &str| format!(r#"<li><h2>T</h2><a href="/a">a</a><p class="date">{date_html}</p></li>"#);
    check_site(
        r#"date_formats = ["%H:%M JST, %B %d, %Y"]"#,
        date_feed,
        &item("17:41 JST,&ensp;October 13, 2024"),
        "- T <https://example.com/a>
           published: 2024-10-13T17:41:00+09:00",
    );
    check(
        r#"items = "li"
           fields.date = "time@datetime""#,
        r#"<li><h2>T</h2><a href="/a">a</a><time datetime="2024-10-13T08:41:00Z">Sunday</time></li>"#,
        "- T <https://example.com/a>
           published: 2024-10-13T08:41:00+00:00",
    );
    check(
        date_feed,
        &item("2 hours ago"),
        "- T <https://example.com/a>
           published: 2024-10-14T01:00:00+00:00",
    );
    check_site(
        tokyo,
        date_feed,
        &item("2 hours ago"),
        "- T <https://example.com/a>
           published: 2024-10-14T10:00:00+09:00",
    );
    check_site(
        tokyo,
        date_feed,
        &item("2024年10月13日 17時41分"),
        "- T <https://example.com/a>
           published: 2024-10-13T17:41:00+09:00",
    );
    // A date without a time is midnight in the site's zone.
    check_site(
        tokyo,
        date_feed,
        &item("2024-10-13"),
        "- T <https://example.com/a>
           published: 2024-10-13T00:00:00+09:00",
    );
    check_site(
        r#"timezone = "Europe/Berlin"
           date_formats = ["%B %d, %Y"]"#,
        date_feed,
        &item("October 13, 2024"),
        "- T <https://example.com/a>
           published: 2024-10-13T00:00:00+02:00",
    );
    // A field's own format comes first: day-first here, where the automatic reading is month-first.
    check(
        r#"items = "li"
           fields.date = { select = "p.date", format = "%d/%m/%Y" }"#,
        &item("05/06/2024"),
        "- T <https://example.com/a>
           published: 2024-06-05T00:00:00+00:00",
    );
    check(
        r#"items = "li"
           fields.updated = { select = "p.date", replace = ['^Updated:\s*', ""] }"#,
        &item("Updated: Sun, 13 Oct 2024 08:41:00 GMT"),
        "- T <https://example.com/a>
           updated: 2024-10-13T08:41:00+00:00",
    );
}

#[test]
fn bad_dates_warn_and_invent_nothing() {
    let date_feed = r#"items = "li"
                       fields.date = "p.date""#;
    check(
        date_feed,
        r#"<li><h2>T</h2><a href="/a">a</a><p class="date">Breaking</p></li>
           <li><h2>U</h2><a href="/b">b</a><p class="date">0001-01-01</p></li>"#,
        r#"- T <https://example.com/a>
           - U <https://example.com/b>
           ! item 1: field `date`: could not parse date "Breaking" with the automatic formats
           ! item 2: field `date`: could not parse date "0001-01-01" with the automatic formats"#,
    );
    let extraction = extract(date_feed, r#"<li><h2>T</h2><a href="/a">a</a><p class="date">Breaking</p></li>"#);
    assert_eq!(extraction.items[0].published, None);
    assert!(
        matches!(&extraction.warnings[..], [Warning::BadDate { item: 1, field, text, .. }] if field == "date" && text == "Breaking"),
        "{:?}",
        extraction.warnings
    );
}

// Items: which are dropped, which are kept, and how missing fields are counted.

#[test]
fn items_without_title_are_dropped() {
    check(
        r#"items = "li""#,
        r#"<li><h2>One</h2><a href="/1">a</a></li>
           <li><h3>No h2 here</h3><a href="/2">a</a></li>
           <li><h2>&nbsp;</h2><a href="/3">a</a></li>
           <li><h2>Four</h2><a href="/4">a</a></li>"#,
        "- One <https://example.com/1>
         - Four <https://example.com/4>
         ! item 2 dropped: no title (`h2` found nothing)
         ! item 3 dropped: no title (`h2` found nothing)
         ! field `title` (`h2`) matched nothing in 2 of 4 items (first: item 2)",
    );
}

#[test]
fn missing_optional_fields_are_counted() {
    let html: String = (1..=5)
        .map(|n| {
            let summary = if n == 3 || n == 5 { String::new() } else { format!("<p>S{n}</p>") };
            format!(r#"<li><h2>T{n}</h2><a href="/{n}">a</a>{summary}</li>"#)
        })
        .collect();
    let extraction = extract(
        r#"items = "li"
           fields.summary = "p"
           fields.image = "img@src""#,
        &html,
    );
    assert_eq!(extraction.items.len(), 5);
    let summaries: Vec<Option<&str>> = extraction.items.iter().map(|item| item.summary.as_deref()).collect();
    assert_eq!(summaries, [Some("S1"), Some("S2"), None, Some("S4"), None]);
    let messages: Vec<String> = extraction.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "field `summary` (`p`) matched nothing in 2 of 5 items (first: item 3)",
            "field `image` (`img@src`) matched nothing in any of the 5 items (first: item 1)",
        ]
    );
    let found: Vec<(&str, usize, usize)> =
        extraction.field_stats.iter().map(|stats| (stats.field.as_str(), stats.n_found, stats.n_items)).collect();
    assert_eq!(found, [("title", 5, 5), ("link", 5, 5), ("summary", 3, 5), ("image", 0, 5)]);
}

#[test]
fn no_items() {
    let html = "<ul><li class=\"old\"><h2>T</h2></li></ul>";
    check(
        r#"items = "li.story""#,
        html,
        &format!(
            "! the item selector `li.story` matched nothing on the page ({} bytes); the layout may have changed or the page is not the list",
            html.len()
        ),
    );
}

/// Duplicates are kept as the page has them: extraction reports the page, and the store (which keys
/// items by id) is where a repeated story collapses into one.
#[test]
fn duplicates_are_kept() {
    check(
        r#"items = "li""#,
        r#"<li><h2>Same</h2><a href="/a">a</a></li><li><h2>Same</h2><a href="/a">a</a></li>"#,
        "- Same <https://example.com/a>
         - Same <https://example.com/a>",
    );
}

#[test]
fn inherit_fields_false_uses_only_the_feed_fields() {
    check(
        r#"items = "li"
           inherit_fields = false
           fields = { title = "a", link = "a@href" }"#,
        r#"<li><h2>Site title</h2><a href="/a">Feed title</a></li>"#,
        "- Feed title <https://example.com/a>",
    );
}

// Ranking: ranks are page positions; filters and limit apply afterwards and keep them.

const FIVE_RANKED: &str = r#"<ol>
    <li><h2>Alpha</h2><a href="/politics/1">a</a><span class="cat">Politics</span></li>
    <li><h2>Sponsored: Beta</h2><a href="/ads/2">a</a><span class="cat">Ads</span></li>
    <li><h2>Gamma</h2><a href="/sports/3">a</a><span class="cat">Sports</span></li>
    <li><h2>Delta</h2><a href="/politics/4">a</a><span class="cat">Politics</span></li>
    <li><h2>Epsilon</h2><a href="/world/5">a</a><span class="cat">World</span></li>
</ol>"#;

#[test]
fn ranking() {
    check(
        r#"items = "li"
           ranking = true"#,
        r#"<li><h2>One</h2><a href="/1">a</a></li><li><a href="/2">no title</a></li><li><h2>Three</h2><a href="/3">a</a></li>"#,
        "- One <https://example.com/1>
           rank: 1
         - Three <https://example.com/3>
           rank: 3
         ! item 2 dropped: no title (`h2` found nothing)
         ! field `title` (`h2`) matched nothing in 1 of 3 items (first: item 2)",
    );
    check(
        r#"items = "li"
           ranking = true
           show_rank = true"#,
        r#"<li><h2>One</h2><a href="/1">a</a></li><li><h2>Two</h2><a href="/2">a</a></li>"#,
        "- #1 One <https://example.com/1>
           rank: 1
         - #2 Two <https://example.com/2>
           rank: 2",
    );
    // Without `ranking`, items carry no rank.
    check(r#"items = "li""#, r#"<li><h2>One</h2><a href="/1">a</a></li>"#, "- One <https://example.com/1>");
}

#[test]
fn filters_and_limit_keep_page_ranks() {
    let ranked = r#"items = "li"
                    ranking = true
                    show_rank = true
                    fields.categories = "span.cat""#;
    // Rules see the page's title, not the "#2 " that `show_rank` puts in front of it.
    check(
        &format!("{ranked}\nexclude = {{ title = '^Sponsored' }}\nlimit = 2"),
        FIVE_RANKED,
        "- #1 Alpha <https://example.com/politics/1>
           rank: 1
           categories: Politics
         - #3 Gamma <https://example.com/sports/3>
           rank: 3
           categories: Sports",
    );
    check(
        &format!("{ranked}\ninclude = {{ category = '^Politics$' }}"),
        FIVE_RANKED,
        "- #1 Alpha <https://example.com/politics/1>
           rank: 1
           categories: Politics
         - #4 Delta <https://example.com/politics/4>
           rank: 4
           categories: Politics",
    );
    // Include needs every rule to match; exclude drops on any.
    check(
        &format!("{ranked}\ninclude = {{ link = '/politics/|/world/', title = 'a$' }}\nexclude = {{ category = 'World' }}"),
        FIVE_RANKED,
        "- #1 Alpha <https://example.com/politics/1>
           rank: 1
           categories: Politics
         - #4 Delta <https://example.com/politics/4>
           rank: 4
           categories: Politics",
    );
    check(
        r#"items = "li"
           limit = 2"#,
        FIVE_RANKED,
        "- Alpha <https://example.com/politics/1>
         - Sponsored: Beta <https://example.com/ads/2>",
    );
}

// guid: the id comes from the guid field when set, else from the link.

#[test]
fn guid() {
    let html = r#"<li data-id="a-1"><h2>T</h2><a href="/a?utm=1">a</a></li>"#;
    let with_guid = extract(
        r#"items = "li"
           fields.guid = "@data-id""#,
        html,
    );
    assert_eq!(with_guid.items[0].id, "a-1");
    let without_guid = extract(r#"items = "li""#, html);
    assert_eq!(without_guid.items[0].id, "https://example.com/a?utm=1");
    // A guid selector that misses falls back to the link, and says so.
    check(
        r#"items = "li"
           fields.guid = "@data-uuid""#,
        html,
        "- T <https://example.com/a?utm=1>
         ! field `guid` (`@data-uuid`) matched nothing in any of the 1 items (first: item 1)",
    );
}

// Charsets: legacy bytes, declared only in a meta tag or the header, decoded and then extracted.

#[test]
fn legacy_charsets() {
    let feed = r#"items = "li""#;
    let page = |meta: &str, title: &str| {
        format!(r#"<html><head>{meta}</head><body><ul><li><h2>{title}</h2><a href="/a">a</a></li></ul></body></html>"#)
    };
    let cases: [(&'static encoding_rs::Encoding, String, Option<&str>, &str, &str); 4] = [
        (encoding_rs::SHIFT_JIS, page(r#"<meta charset="Shift_JIS">"#, "首相が会見、円安対策を表明"), None, "Shift_JIS", "首相が会見、円安対策を表明"),
        (
            encoding_rs::EUC_JP,
            page(r#"<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">"#, "東京で初雪　平年より早く"),
            None,
            "EUC-JP",
            "東京で初雪 平年より早く",
        ),
        (encoding_rs::WINDOWS_1252, page("", "Caf\u{e9} na\u{ef}ve \u{2019}quoted\u{2019}"), Some("text/html; charset=iso-8859-1"), "windows-1252", "Café naïve ’quoted’"),
        // The header wins over a meta tag that lies.
        (encoding_rs::WINDOWS_1252, page(r#"<meta charset="utf-8">"#, "M\u{fc}nchen"), Some("text/html; charset=windows-1252"), "windows-1252", "München"),
    ];
    for (encoding, text, content_type, expected_encoding, expected_title) in cases {
        let (bytes, _, unmappable) = encoding.encode(&text);
        assert!(!unmappable, "{text}");
        let (decoded, encoding_name) = decode_html(&bytes, content_type);
        assert_eq!(encoding_name, expected_encoding);
        let extraction = extract(feed, &decoded);
        let titles: Vec<&str> = extraction.items.iter().map(|item| item.title.as_str()).collect();
        assert_eq!(titles, [expected_title]);
    }
}

// Hostile input: none of it may panic, and each returns in bounded time with sensible items/warnings.

/// Run `extract` and fail if it takes longer than `budget` (generous: debug builds on a busy machine).
#[track_caller]
fn extract_within(budget: Duration, feed_keys: &str, html: &str) -> Extraction {
    let started = Instant::now();
    let extraction = extract(feed_keys, html);
    let elapsed = started.elapsed();
    assert!(elapsed < budget, "took {elapsed:?}, budget {budget:?}");
    extraction
}

/// 10,000 nested `div`s parse in about half a second in a debug build. Much deeper costs more than
/// its size: each block start tag makes html5ever walk the whole stack of open elements (the spec's
/// "p element in button scope" check), so parsing grows with depth squared (80,000: ~30 s in debug).
#[test]
fn deeply_nested_divs() {
    let depth = 10_000;
    let html = format!(
        "{}<ul><li><h2>Deep</h2><a href=\"/deep\">a</a></li></ul>{}",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let extraction = extract_within(Duration::from_secs(10), r#"items = "li""#, &html);
    assert_eq!(render(&extraction).trim(), "- Deep <https://example.com/deep>");
    // The item is the outermost element, and the title sits at the bottom of the nesting.
    let html = format!("<article>{}<h2>Bottom</h2><a href=\"/b\">a</a>{}</article>", "<span>".repeat(depth), "</span>".repeat(depth));
    let extraction = extract_within(Duration::from_secs(10), r#"items = "article""#, &html);
    assert_eq!(render(&extraction).trim(), "- Bottom <https://example.com/b>");
}

#[test]
fn nested_items_each_scan_their_subtree() {
    // Every `div` is an item holding all the others: the work grows with depth squared, so keep the
    // depth a page could plausibly have and check that it still ends quickly.
    let depth = 2_000;
    let html = format!("{}<h2>Inner</h2><a href=\"/i\">a</a>{}", "<div>".repeat(depth), "</div>".repeat(depth));
    let extraction = extract_within(Duration::from_secs(10), r#"items = "div""#, &html);
    assert_eq!(extraction.n_matched, depth);
    assert_eq!(extraction.items.len(), depth);
    assert!(extraction.items.iter().all(|item| item.title == "Inner" && item.url == "https://example.com/i"));
}

#[test]
fn large_page_with_many_items() {
    let n_items = 20_000;
    let padding = "x".repeat(150);
    let mut html = String::from("<html><body><ul>");
    for item_idx in 1..=n_items {
        let _ = write!(
            html,
            r#"<li class="story"><a href="/news/{item_idx}"><h2>Story {item_idx}</h2></a><p class="date">2024-10-13</p><p class="pad">{padding}</p></li>"#
        );
    }
    html.push_str("</ul></body></html>");
    assert!(html.len() > 5_000_000, "{} bytes", html.len());
    let extraction = extract_within(
        Duration::from_secs(30),
        r#"items = "li.story"
           fields.date = "p.date""#,
        &html,
    );
    assert_eq!(extraction.items.len(), n_items);
    assert!(extraction.warnings.is_empty(), "{:?}", &extraction.warnings[..extraction.warnings.len().min(3)]);
    let last = extraction.items.last().expect("items");
    assert_eq!((last.title.as_str(), last.url.as_str()), ("Story 20000", "https://example.com/news/20000"));
}

#[test]
fn unclosed_tags() {
    // Unclosed `li` and `p` end where the next `li` starts.
    check(
        r#"items = "li"
           fields.summary = "p""#,
        r#"<ul><li><h2>One</h2><a href="/1">a</a><p>First<li><h2>Two</h2><a href="/2">b</a><p>Second"#,
        "- One <https://example.com/1>
           summary: First
         - Two <https://example.com/2>
           summary: Second",
    );
    // An unclosed `<a>` is reopened in the items that follow, as in a browser (where clicking "Two"
    // opens /1 too); the item that has its own link then gets it from the spilled one first.
    check(
        r#"items = "li""#,
        r#"<ul><li><h2>One</h2><a href="/1">a<li><h2>Two</h2><p>Summary<a href="/2">b<li><h2>Three"#,
        "- One <https://example.com/1>
         - Two <https://example.com/1>
         - Three <https://example.com/2>",
    );
    // Stray end tags and a tag cut off at the end of the page.
    check(
        r#"items = "li""#,
        r#"</div></span><li><h2>One</b></h2></i><a href="/1">a</a></li></td><li><h2>Two</h2><a href="/2"#,
        "- One <https://example.com/1>
         ! item 2 dropped: no link (`a@href` found nothing)
         ! field `link` (`a@href`) matched nothing in 1 of 2 items (first: item 2)",
    );
}

#[test]
fn huge_title_and_huge_date() {
    let title = "word ".repeat(20_000);
    let html = format!(r#"<li><h2>{title}</h2><a href="/a">a</a><p>{title}</p></li>"#);
    let extraction = extract_within(
        Duration::from_secs(10),
        r#"items = "li"
           fields.date = "p""#,
        &html,
    );
    assert_eq!(extraction.items.len(), 1);
    assert_eq!(extraction.items[0].title, title.trim());
    assert_eq!(extraction.items[0].published, None);
    assert!(
        matches!(&extraction.warnings[..], [Warning::BadDate { error, .. }] if error.contains("too long")),
        "{:?}",
        extraction.warnings
    );
}

#[test]
fn garbage_and_empty_pages() {
    let feed = r#"items = "li""#;
    let no_items = |html: &str| {
        let extraction = extract_within(Duration::from_secs(5), feed, html);
        assert!(extraction.items.is_empty());
        assert!(matches!(&extraction.warnings[..], [Warning::NoItems { .. }]), "{:?}", extraction.warnings);
    };
    no_items("");
    no_items("<html>");
    no_items("</html></body><<<>>>&&&;;;");
    no_items("\0\0\0<\0li\0>");

    // Pseudo-random bytes, decoded as a fetched page would be.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    let (text, _) = decode_html(&bytes, None);
    let extraction = extract_within(Duration::from_secs(10), feed, &text);
    assert!(extraction.items.iter().all(|item| item.url.starts_with("http")));

    // Null bytes and invalid UTF-8 inside an otherwise good item.
    let mut bytes = b"<li><h2>Nul\0l \xFF\xFEbytes\xC3</h2><a href=\"/a\0b\">a</a><p>\x80\x81</p></li>".to_vec();
    bytes.extend_from_slice(&[0xF0, 0x9F, 0x92]);
    let (text, encoding_name) = decode_html(&bytes, Some("text/html; charset=utf-8"));
    assert_eq!(encoding_name, "UTF-8");
    let extraction = extract_within(
        Duration::from_secs(5),
        r#"items = "li"
           fields.summary = "p""#,
        &text,
    );
    assert_eq!(extraction.items.len(), 1, "{:?}", extraction.warnings);
    let item = &extraction.items[0];
    assert!(!item.title.contains('\0') && item.title.starts_with("Nul") && item.title.ends_with("bytes\u{FFFD}"), "{:?}", item.title);
    assert!(item.url.starts_with("https://example.com/a"), "{}", item.url);
    assert_eq!(item.summary.as_deref(), Some("\u{FFFD}\u{FFFD}"));
}

// Without a guid the id is the link without tracking parameters, so the same article shared with
// utm_* or fbclid tags is one item; the link itself stays as the page wrote it.
#[test]
fn ids_drop_tracking_parameters() {
    let extraction = extract(
        r#"items = "li""#,
        r#"<li><h2>T</h2><a href="/story?id=7&amp;utm_source=x&amp;fbclid=abc#top">a</a></li>"#,
    );
    assert_eq!(extraction.items.len(), 1);
    assert_eq!(extraction.items[0].url, "https://example.com/story?id=7&utm_source=x&fbclid=abc#top");
    assert_eq!(extraction.items[0].id, "https://example.com/story?id=7");
}

// Content read from a list page reaches feed readers only through the sanitizer.
#[test]
fn list_content_is_sanitized() {
    check(
        r#"items = "li"
           fields.content = { select = "div.body", html = true }"#,
        r#"<li><h2>T</h2><a href="/a">a</a><div class="body"><p onclick="steal()">Hi <a href="javascript:x()">x</a></p><script>alert(1)</script><iframe src="/ad"></iframe></div></li>"#,
        r#"- T <https://example.com/a>
           content: <p>Hi <a rel="noopener noreferrer">x</a></p>"#,
    );
}
