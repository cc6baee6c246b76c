//! OPML 2.0: every feed in one file, so a reader can subscribe to all at once.
//! Pure: entries and the creation time in, XML out.

use chrono::{DateTime, Utc};

/// One subscription in the OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlEntry {
    /// Folder the entry sits in (the site title).
    pub group: String,
    pub title: String,
    pub xml_url: String,
    pub html_url: String,
}

/// Write OPML 2.0 with one outline per site holding its feeds, in the order given.
pub fn write_opml(title: &str, entries: &[OpmlEntry], created: DateTime<Utc>) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    out.push_str(&format!("    <title>{}</title>\n", escape(title)));
    out.push_str(&format!("    <dateCreated>{}</dateCreated>\n", created.to_rfc2822()));
    out.push_str("  </head>\n  <body>\n");
    let mut current_group: Option<&str> = None;
    for entry in entries {
        if current_group != Some(entry.group.as_str()) {
            if current_group.is_some() {
                out.push_str("    </outline>\n");
            }
            out.push_str(&format!("    <outline text=\"{0}\" title=\"{0}\">\n", escape(&entry.group)));
            current_group = Some(&entry.group);
        }
        out.push_str(&format!(
            "      <outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\" htmlUrl=\"{2}\"/>\n",
            escape(&entry.title),
            escape(&entry.xml_url),
            escape(&entry.html_url)
        ));
    }
    if current_group.is_some() {
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in super::strip_xml_forbidden(text).chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            _ => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_site_and_escapes() {
        let entries = vec![
            OpmlEntry { group: "The Japan News".into(), title: "Latest".into(), xml_url: "http://h/feeds/j/latest.rss".into(), html_url: "https://j/".into() },
            OpmlEntry { group: "The Japan News".into(), title: "Science & Nature".into(), xml_url: "http://h/feeds/j/s.rss?a=1&b=2".into(), html_url: "https://j/".into() },
            OpmlEntry { group: "Other \"site\"".into(), title: "News".into(), xml_url: "http://h/feeds/o/n.rss".into(), html_url: "https://o/".into() },
        ];
        let created = DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z").expect("date").with_timezone(&Utc);
        let opml = write_opml("feedwright", &entries, created);
        assert_eq!(opml.matches("<outline text=").count(), 2, "one folder per site");
        assert!(opml.contains("title=\"Science &amp; Nature\""));
        assert!(opml.contains("xmlUrl=\"http://h/feeds/j/s.rss?a=1&amp;b=2\""));
        assert!(opml.contains("<outline text=\"Other &quot;site&quot;\""));
        assert_eq!(opml.matches("type=\"rss\"").count(), 3);
        assert!(opml.contains("<dateCreated>Mon, 30 Nov 2026 00:00:00 +0000</dateCreated>"));
    }
}
