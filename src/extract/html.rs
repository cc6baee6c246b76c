//! Writing HTML back out after walking a parsed tree: escaping, attributes, start and end tags. Shared
//! by the field reader (inner HTML with dropped parts) and the article reader (before sanitizing).

use scraper::{ElementRef, Node};

/// Write out the children of `root`. `open` is called for each node as the walk enters it: it writes
/// the node's start (text, a tag, or nothing) and returns `false` to leave the node and everything
/// inside it out. End tags of kept elements are written here. Walks iteratively, so deeply nested
/// hostile markup cannot overflow the stack.
pub fn write_children(root: ElementRef<'_>, mut open: impl FnMut(&mut String, ego_tree::NodeRef<'_, Node>) -> bool) -> String {
    let mut out = String::new();
    let mut skip_depth = 0usize;
    let root_id = root.id();
    for edge in root.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) if node.id() != root_id && (skip_depth > 0 || !open(&mut out, node)) => {
                skip_depth += 1;
            }
            ego_tree::iter::Edge::Close(node) if node.id() != root_id => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                } else if let Node::Element(element) = node.value() {
                    push_end_tag(&mut out, element.name());
                }
            }
            _ => {}
        }
    }
    out
}

/// Elements that have no end tag.
const VOID_ELEMENTS: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];

pub fn is_void(name: &str) -> bool {
    VOID_ELEMENTS.contains(&name)
}

/// Escape text (or an attribute value, which also escapes `"`), dropping characters XML forbids.
pub fn escape_into(out: &mut String, text: &str, in_attribute: bool) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            character if super::text::is_xml_char(character) => out.push(character),
            _ => {}
        }
    }
}

/// ` name="value"`, escaped.
pub fn push_attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value, true);
    out.push('"');
}

/// `<name a="b" ...>`.
pub fn push_start_tag<'a>(out: &mut String, name: &str, attributes: impl Iterator<Item = (&'a str, &'a str)>) {
    out.push('<');
    out.push_str(name);
    for (attribute, value) in attributes {
        push_attribute(out, attribute, value);
    }
    out.push('>');
}

/// `</name>`, unless the element is void.
pub fn push_end_tag(out: &mut String, name: &str) {
    if !is_void(name) {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_escaping() {
        let mut out = String::new();
        push_start_tag(&mut out, "a", [("href", "/x?a=1&b=\"2\"")].into_iter());
        escape_into(&mut out, "1 < 2 & \u{1}ok", false);
        push_end_tag(&mut out, "a");
        push_start_tag(&mut out, "br", std::iter::empty());
        push_end_tag(&mut out, "br");
        assert_eq!(out, "<a href=\"/x?a=1&amp;b=&quot;2&quot;\">1 &lt; 2 &amp; ok</a><br>");
    }
}
