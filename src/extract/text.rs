//! Text clean-up shared by extraction: whitespace folding and removal of characters XML forbids.
//! Pure string functions; nothing here knows about HTML or feeds.

/// True for characters XML 1.0 allows in a document (tab, newline, carriage return and the
/// ranges from U+0020 that are not U+FFFE/U+FFFF). A feed with any other character is not well-formed.
pub fn is_xml_char(character: char) -> bool {
    matches!(character, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Remove characters XML forbids, keeping everything else as it is.
pub fn strip_xml_forbidden(text: &str) -> String {
    if text.chars().all(is_xml_char) {
        return text.to_owned();
    }
    text.chars().filter(|&character| is_xml_char(character)).collect()
}

/// Fold every run of whitespace (including Unicode spaces such as U+2002 EN SPACE and U+3000) into
/// one ASCII space, drop zero-width characters, trim, and remove characters XML forbids.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for character in text.chars() {
        if matches!(character, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}') || !is_xml_char(character) {
            continue;
        }
        if character.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(character);
    }
    out
}

/// Remove HTML tags from a string that holds markup as text (e.g. `og:description` with `<p>` in it),
/// decoding the common entities, then collapse whitespace.
pub fn strip_tags(text: &str) -> String {
    if !text.contains('<') && !text.contains('&') {
        return collapse_whitespace(text);
    }
    let fragment = scraper::Html::parse_fragment(text);
    let mut out = String::with_capacity(text.len());
    for node in fragment.root_element().descendants() {
        if let Some(text_node) = node.value().as_text() {
            out.push_str(text_node);
        } else if let Some(element) = node.value().as_element()
            && matches!(element.name(), "br" | "p" | "div" | "li") {
                out.push(' ');
            }
    }
    collapse_whitespace(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_collapse(input: &str, expected: &str) {
        assert_eq!(collapse_whitespace(input), expected, "input {input:?}");
    }

    #[test]
    fn collapse_cases() {
        check_collapse("  a  b ", "a b");
        check_collapse("17:41 JST,\u{2002}October 13, 2024", "17:41 JST, October 13, 2024");
        check_collapse("\n\t title \u{3000} here\u{00A0}", "title here");
        check_collapse("zero\u{200B}width", "zerowidth");
        check_collapse("bell\u{0007}char", "bellchar");
        check_collapse("", "");
        check_collapse("   ", "");
    }

    #[test]
    fn strips_forbidden_characters_only() {
        assert_eq!(strip_xml_forbidden("a\u{0001}b\u{000B}c\u{FFFE}d\ne"), "abcd\ne");
        assert_eq!(strip_xml_forbidden("日本語％"), "日本語％");
    }

    #[test]
    fn strip_tags_cases() {
        assert_eq!(strip_tags("<p>Prime &amp; minister said.</p>\n"), "Prime & minister said.");
        assert_eq!(strip_tags("plain"), "plain");
        assert_eq!(strip_tags("a<br>b"), "a b");
    }
}
