//! Config problems are reported all at once, each with file, line and key path, before anything runs.

use std::path::Path;

use feedwright::config::{self, ConfigError};

const GOOD_SITE: &str = r#"
title = "Example"
home = "https://example.com/"
timezone = "Europe/Berlin"

[fields]
title = "h2"
link = "a@href"

[[feed]]
id = "latest"
url = "/news/"
items = "article"
"#;

fn site_errors(text: &str) -> Vec<ConfigError> {
    let (site, errors) = config::parse_site(Path::new("config/sites/example.toml"), text);
    if errors.is_empty() {
        assert!(site.is_some(), "no errors but no site");
    }
    errors
}

/// Every expected (line, key path, message fragment) must be reported, and nothing else.
fn check(text: &str, expected: &[(usize, &str, &str)]) {
    let errors = site_errors(text);
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), expected.len(), "got:\n{}", rendered.join("\n"));
    for (line, key_path, fragment) in expected {
        assert!(
            errors.iter().any(|error| error.line == Some(*line) && error.key_path == *key_path && error.message.contains(fragment)),
            "expected line {line}, key {key_path}, message with {fragment:?}; got:\n{}",
            rendered.join("\n")
        );
    }
}

#[test]
fn a_good_site_has_no_errors() {
    check(GOOD_SITE, &[]);
}

#[test]
fn unknown_keys_are_all_reported_with_a_suggestion() {
    let text = GOOD_SITE.replace("timezone = \"Europe/Berlin\"", "timezone = \"Europe/Berlin\"\ntitel = \"x\"")
        .replace("link = \"a@href\"", "link = \"a@href\"\nsumary = \"p\"")
        .replace("items = \"article\"", "items = \"article\"\nrankking = true");
    check(
        &text,
        &[
            (5, "titel", "did you mean `title`?"),
            (10, "fields.sumary", "did you mean `summary`?"),
            (16, "feed[0].rankking", "did you mean `ranking`?"),
        ],
    );
}

#[test]
fn unknown_key_inside_a_field_table_is_named() {
    let text = GOOD_SITE.replace("title = \"h2\"", "title = { select = \"h2\", atr = \"title\" }");
    check(&text, &[(7, "fields.title.atr", "did you mean `attr`?")]);
}

#[test]
fn bad_values_are_all_reported_at_once() {
    let text = r#"
title = "Example"
home = "not a url"
timezone = "Mars/Olympus"
date_formats = ["%Q %d"]

[fields]
title = "h2[["
link = { select = "a", attr = "href", regex = "(unclosed" }
date = { select = "time", format = "%Y-%m-%d" }

[[feed]]
id = "latest"
url = "/news/"
items = "article"
limit = 0

[[feed]]
id = "latest"
url = "https://example.com/other/"
items = "div >> p"
refresh = "soon"
"#;
    let errors = site_errors(text);
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let joined = rendered.join("\n");
    for fragment in [
        "config/sites/example.toml:3: home: \"not a url\" is not a valid URL",
        "config/sites/example.toml:4: timezone: \"Mars/Olympus\" is not an IANA time zone",
        "config/sites/example.toml:5: date_formats[0]: invalid date format \"%Q %d\"",
        "config/sites/example.toml:8: fields.title: invalid CSS selector \"h2[[\"",
        "config/sites/example.toml:9: fields.link.regex: invalid regex \"(unclosed\"",
        "config/sites/example.toml:16: feed[0].limit: a limit of 0",
        "config/sites/example.toml:21: feed[1].items: invalid CSS selector \"div >> p\"",
        "config/sites/example.toml:22: feed[1].refresh: \"soon\" is not a duration",
    ] {
        assert!(joined.contains(fragment), "missing {fragment:?} in:\n{joined}");
    }
}

#[test]
fn duplicate_feed_ids_are_reported() {
    let text = format!("{GOOD_SITE}\n[[feed]]\nid = \"latest\"\nurl = \"/other/\"\nitems = \"li\"\n");
    check(&text, &[(16, "feed[1].id", "duplicate feed id \"latest\"")]);
}

#[test]
fn toml_syntax_and_type_errors_name_the_line() {
    let errors = site_errors("title = \"Example\"\nhome = \"https://example.com/\"\n[[feed]]\nid = \"x\"\nurl = \"/\nitems = \"li\"\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, Some(5));

    let errors = site_errors("title = \"Example\"\nhome = \"https://example.com/\"\n[[feed]]\nid = \"x\"\nurl = \"/\"\nitems = \"li\"\nranking = \"yes\"\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, Some(7));
    assert_eq!(errors[0].key_path, "feed[0].ranking");
}

#[test]
fn each_expands_and_names_unknown_variables() {
    let text = r#"
title = "Example"
home = "https://example.com/"

[lists]
sections = [{ section = "a", name = "A" }, { section = "b", name = "B" }]

[fields]
title = "h2"
link = "a@href"

[[feed]]
each = "sections"
id = "{section}"
title = "{name}"
url = "/{section}/"
items = "li"

[[feed]]
each = ["x", "y"]
id = "v-{value}"
url = "/v/{value}/"
items = "li"
"#;
    let (site, errors) = config::parse_site(Path::new("example.toml"), text);
    assert!(errors.is_empty(), "{errors:?}");
    let site = site.expect("site");
    let ids: Vec<&str> = site.feeds.iter().map(|feed| feed.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "v-x", "v-y"]);
    assert_eq!(site.feeds[1].title, "B");
    assert_eq!(site.feeds[3].url.as_str(), "https://example.com/v/y/");

    let broken = text.replace("url = \"/{section}/\"", "url = \"/{sektion}/\"");
    let errors = site_errors(&broken);
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|error| error.key_path == "feed[0].url" && error.line == Some(16)), "{errors:?}");
    assert!(errors[0].message.contains("`{sektion}` is not a key of `each`"), "{}", errors[0]);

    let missing_list = text.replace("each = \"sections\"", "each = \"sektions\"");
    check(&missing_list, &[(13, "feed[0].each", "no list named `sektions` (known lists: sections)")]);
}

#[test]
fn missing_title_or_link_field_is_an_error() {
    let text = GOOD_SITE.replace("link = \"a@href\"", "");
    check(&text, &[(10, "feed[0].fields", "no `link` field")]);
}

#[test]
fn templates_must_name_known_fields_and_not_loop() {
    let text = GOOD_SITE.replace("link = \"a@href\"", "link = \"a@href\"\nsummary = { template = \"{titel}\" }");
    check(&text, &[(9, "fields.summary.template", "unknown template variable `{titel}`")]);

    let looping = GOOD_SITE.replace(
        "title = \"h2\"\nlink = \"a@href\"",
        "title = { select = \"h2\", template = \"{summary}\" }\nlink = \"a@href\"\nsummary = { select = \"p\", template = \"{title}\" }",
    );
    let errors = site_errors(&looping);
    assert!(errors.iter().any(|error| error.message.contains("refers back to itself")), "{errors:?}");
}

#[test]
fn load_dir_reports_every_file_and_duplicate_site_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sites = dir.path().join("sites");
    std::fs::create_dir_all(&sites).expect("mkdir");
    std::fs::write(sites.join("one.toml"), GOOD_SITE).expect("write");
    std::fs::write(sites.join("two.toml"), format!("id = \"one\"\n{GOOD_SITE}")).expect("write");
    std::fs::write(sites.join("three.toml"), "title = 5\n").expect("write");
    std::fs::write(dir.path().join("feedwright.toml"), "listen = \"nowhere\"\n[limits]\nmax_items_per_feed = 0\n").expect("write");
    let errors = config::load_dir(dir.path()).expect_err("invalid");
    let joined = errors.to_string();
    assert!(joined.contains("feedwright.toml:1: listen:"), "{joined}");
    assert!(joined.contains("feedwright.toml:3: limits.max_items_per_feed: must be at least 1"), "{joined}");
    assert!(joined.contains("three.toml:1: title:"), "{joined}");
    assert!(joined.contains("two.toml: id: site id \"one\" is already used by"), "{joined}");
}

#[test]
fn empty_settings_file_gives_defaults() {
    let (settings, errors) = config::parse_settings(Path::new("feedwright.toml"), "");
    assert!(errors.is_empty());
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.refresh.as_secs(), 1800);
}

#[test]
fn shipped_configs_are_valid() {
    let config = config::load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config"))).expect("shipped config is valid");
    let japannews = config.site("japannews").expect("japannews");
    let ids: Vec<&str> = japannews.feeds.iter().map(|feed| feed.id.as_str()).collect();
    for expected in ["latest", "politics", "society", "business", "world", "access-ranking", "popular-politics", "popular-sports"] {
        assert!(ids.contains(&expected), "missing {expected} in {ids:?}");
    }
    assert_eq!(ids.len(), 1 + 11 + 1 + 11);
}

#[test]
fn a_missing_key_in_a_feed_names_the_feed() {
    let text = GOOD_SITE.replace("items = \"article\"\n", "");
    let errors = site_errors(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].key_path.as_str()), (Some(10), "feed[0]"), "{}", errors[0]);
    assert!(errors[0].message.contains("missing field `items`"), "{}", errors[0]);
}

#[test]
fn a_problem_in_shared_fields_is_reported_once() {
    let text = format!("{}\n[[feed]]\nid = \"second\"\nurl = \"/other/\"\nitems = \"li\"\n", GOOD_SITE.replace("title = \"h2\"", "title = { select = \"h2\", template = \"{titel}\" }"));
    check(&text, &[(7, "fields.title.template", "unknown template variable `{titel}`")]);
}

#[test]
fn selector_errors_read_plainly() {
    for bad in ["div.", "div.1", "li >", ":nth-child(", "##x"] {
        let text = GOOD_SITE.replace("items = \"article\"", &format!("items = {bad:?}"));
        let errors = site_errors(&text);
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        let message = &errors[0].message;
        assert!(message.starts_with(&format!("invalid CSS selector {bad:?}: ")), "{message}");
        assert!(!message.contains("report this") && !message.contains('\n'), "{message}");
    }
}

#[test]
fn environment_variables_override_the_file_and_errors_name_them() {
    let environment = vec![
        ("FEEDWRIGHT_LISTEN".to_owned(), "0.0.0.0:9090".to_owned()),
        ("FEEDWRIGHT_DATA_DIR".to_owned(), "/data".to_owned()),
        ("FEEDWRIGHT_LIMITS_REQUEST_TIMEOUT".to_owned(), "10s".to_owned()),
    ];
    let (settings, errors) = config::parse_settings_with_env(Path::new("feedwright.toml"), "listen = \"127.0.0.1:1\"\n", &environment);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(settings.listen.to_string(), "0.0.0.0:9090");
    assert_eq!(settings.data_dir, Path::new("/data"));
    assert_eq!(settings.request_timeout.as_secs(), 10);

    let environment = vec![("FEEDWRIGHT_LISTEN".to_owned(), "nowhere".to_owned())];
    let (_, errors) = config::parse_settings_with_env(Path::new("feedwright.toml"), "listen = \"127.0.0.1:1\"\n", &environment);
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(rendered, ["environment: FEEDWRIGHT_LISTEN: \"nowhere\" is not an address like \"127.0.0.1:8080\""]);
}

#[test]
fn a_page_check_is_checked_and_substituted() {
    let text = GOOD_SITE.replace("items = \"article\"", "items = \"article\"\ncheck = { select = \"h1[\", contains = \"\" }");
    let errors = site_errors(&text);
    let keys: Vec<&str> = errors.iter().map(|error| error.key_path.as_str()).collect();
    assert_eq!(keys, ["feed[0].check.select", "feed[0].check.contains"], "{errors:?}");

    let text = r#"
title = "Example"
home = "https://example.com/"
[fields]
title = "h2"
link = "a@href"
[[feed]]
each = [{ section = "a", name = "Arts & Culture" }]
id = "{section}"
url = "/{section}/"
items = "li"
check = { select = "h1", contains = '"{name}"' }
"#;
    let (site, errors) = config::parse_site(Path::new("x.toml"), text);
    assert!(errors.is_empty(), "{errors:?}");
    let check = site.expect("site").feeds[0].check.clone().expect("check");
    assert_eq!(check.contains, "\"Arts & Culture\"");
}
