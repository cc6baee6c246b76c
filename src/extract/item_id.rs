//! Item ids from links: the same article reached through a newsletter, a share button or a search
//! result must get the same id, or a feed shows it twice. Pure; no IO.

use url::Url;

/// Query parameters that only say where a click came from. Matched case-insensitively on the name.
/// Drawn from the lists browsers and privacy extensions strip (Firefox's query stripping, ClearURLs).
const TRACKING_PARAMS: &[&str] = &[
    // Ad click ids.
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "ysclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "igsh",
    "srsltid",
    "rb_clickid",
    "wickedid",
    // Analytics and mailing tools.
    "_ga",
    "_gl",
    "mc_cid",
    "mc_eid",
    "mkt_tok",
    "_hsenc",
    "_hsmi",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "vero_conv",
    "_openstat",
    "s_cid",
    "pk_campaign",
    "pk_kwd",
    "pk_keyword",
    "pk_source",
    "pk_medium",
    "pk_content",
    // Referral markers of social sites and portals.
    "ref_src",
    "ref_url",
    "cmpid",
    "ncid",
    "ocid",
];

/// Families of tracking parameters, matched as name prefixes (`utm_source`, `mtm_campaign`, `hsa_acc`).
const TRACKING_PREFIXES: &[&str] = &["utm_", "mtm_", "hsa_"];

/// The stable id of an item whose identity is its link: the URL without tracking parameters
/// (click ids such as `fbclid` and `gclid`, `utm_*` and kin) and without its fragment. The other parameters keep their
/// order and their exact spelling; the URL is otherwise normalized as the WHATWG URL standard does
/// (lower-case scheme and host, no default port, `.` and `..` resolved). Text that is not an absolute
/// URL (a `guid` like `article-123`) is returned trimmed and otherwise unchanged.
pub fn canonical_item_id(url: &str) -> String {
    let trimmed = url.trim();
    let Ok(mut parsed) = Url::parse(trimmed) else { return trimmed.to_string() };
    parsed.set_fragment(None);
    let kept_query = parsed.query().map(|query| {
        query.split('&').filter(|pair| !pair.is_empty() && !is_tracking_pair(pair)).collect::<Vec<_>>().join("&")
    });
    parsed.set_query(kept_query.as_deref().filter(|query| !query.is_empty()));
    parsed.into()
}

fn is_tracking_pair(pair: &str) -> bool {
    let name = pair.split_once('=').map_or(pair, |(name, _)| name).to_ascii_lowercase();
    TRACKING_PARAMS.contains(&name.as_str()) || TRACKING_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(canonical_item_id(input), expected, "input {input:?}");
    }

    #[test]
    fn canonical_item_id_cases() {
        // Unchanged.
        check("https://example.com/news/1", "https://example.com/news/1");
        check("https://example.com/a?id=3&page=2", "https://example.com/a?id=3&page=2");
        // Tracking parameters go, the rest keep their order and spelling.
        check("https://example.com/a?utm_source=rss&id=3&utm_medium=feed", "https://example.com/a?id=3");
        check("https://example.com/a?b=2&fbclid=XYZ&a=1", "https://example.com/a?b=2&a=1");
        check("https://example.com/a?q=a+b%20c&gclid=1", "https://example.com/a?q=a+b%20c");
        check("https://example.com/a?UTM_Source=x&Ref_Src=twsrc%5Etfw", "https://example.com/a");
        check(
            "https://example.com/a?dclid=1&msclkid=2&mc_cid=3&mc_eid=4&igshid=5&yclid=6&_ga=7&cmpid=8",
            "https://example.com/a",
        );
        check("https://example.com/a?mtm_campaign=x&hsa_acc=1&_hsenc=2&id=9", "https://example.com/a?id=9");
        // Look-alikes stay: only exact names and the listed prefixes are tracking.
        check("https://example.com/a?ref=main&utm=1&gclid_note=x", "https://example.com/a?ref=main&utm=1&gclid_note=x");
        // A query that becomes empty disappears, and so do empty pairs.
        check("https://example.com/a?utm_campaign=x", "https://example.com/a");
        check("https://example.com/a?", "https://example.com/a");
        check("https://example.com/a?&id=1&&", "https://example.com/a?id=1");
        // Fragments go.
        check("https://example.com/a#comments", "https://example.com/a");
        check("https://example.com/a?id=1&utm_term=x#top", "https://example.com/a?id=1");
        // Parameter names without a value.
        check("https://example.com/a?print&fbclid", "https://example.com/a?print");
        // WHATWG normalization.
        check("HTTPS://Example.COM:443/a/./b/../c", "https://example.com/a/c");
        check("  https://example.com/a  ", "https://example.com/a");
        // Not a URL: kept as the id it is.
        check("article-123", "article-123");
        check(" /relative/path?utm_source=x ", "/relative/path?utm_source=x");
        check("", "");
    }
}
