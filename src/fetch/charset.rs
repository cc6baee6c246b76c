//! Page bytes to text: finds the charset (BOM, the Content-Type header, the page's `<meta>`, then
//! detection) and decodes. Never fails: undecodable bytes become U+FFFD.

use encoding_rs::Encoding;

/// Decode page bytes. `content_type` is the HTTP header, when the page came over HTTP.
/// Returns the text and the name of the encoding used.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let encoding = detect_encoding(bytes, content_type);
    let (text, _, _) = encoding.decode(bytes);
    (text.into_owned(), encoding.name())
}

/// The encoding of a page, by the order browsers use: BOM, header, meta prescan, then a guess.
pub fn detect_encoding(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    if let Some(encoding) = content_type.and_then(charset_from_content_type) {
        return encoding;
    }
    if let Some(encoding) = charset_from_meta(bytes) {
        return encoding;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes[..bytes.len().min(64 * 1024)], bytes.len() <= 64 * 1024);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        label_to_encoding(value.trim().trim_matches(|character| character == '"' || character == '\''))
    })
}

/// `<meta charset="...">` or `<meta http-equiv="Content-Type" content="...; charset=...">` in the
/// first 4 KB, read as ASCII (every charset a page may declare is ASCII-compatible there).
fn charset_from_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut search_from = 0;
    while let Some(found) = head[search_from..].find("<meta") {
        let tag_start = search_from + found;
        let tag_end = head[tag_start..].find('>').map(|end| tag_start + end).unwrap_or(head.len());
        let tag = &head[tag_start..tag_end];
        if let Some(position) = tag.find("charset") {
            let rest = tag[position + "charset".len()..].trim_start();
            if let Some(rest) = rest.strip_prefix('=') {
                let value: String = rest
                    .trim_start()
                    .trim_start_matches(['"', '\''])
                    .chars()
                    .take_while(|character| !matches!(character, '"' | '\'' | ';' | ' ' | '/' | '>'))
                    .collect();
                if let Some(encoding) = label_to_encoding(&value) {
                    return Some(encoding);
                }
            }
        }
        search_from = tag_end;
    }
    None
}

/// A charset label to an encoding. A page that says UTF-16 in its meta tag is really ASCII-compatible
/// (the meta could not be read otherwise), so browsers treat it as UTF-8; so do we.
fn label_to_encoding(label: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.as_bytes())?;
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return Some(encoding_rs::UTF_8);
    }
    Some(encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], content_type: Option<&str>, expected_encoding: &str, expected_text_part: &str) {
        let (text, encoding) = decode_html(bytes, content_type);
        assert_eq!(encoding, expected_encoding);
        assert!(text.contains(expected_text_part), "{text:?} should contain {expected_text_part:?}");
    }

    #[test]
    fn encodings() {
        let (shift_jis, _, _) = encoding_rs::SHIFT_JIS.encode("<html><head><meta charset=\"Shift_JIS\"></head><body>日本語のニュース</body></html>");
        check(&shift_jis, None, "Shift_JIS", "日本語のニュース");
        let (euc_jp, _, _) = encoding_rs::EUC_JP.encode("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=EUC-JP\"></head><body>東京の天気</body></html>");
        check(&euc_jp, None, "EUC-JP", "東京の天気");
        // The header wins over the meta tag.
        check(&euc_jp, Some("text/html; charset=euc-jp"), "EUC-JP", "東京の天気");
        check("<p>café</p>".as_bytes(), None, "UTF-8", "café");
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("<p>caf\u{e9} na\u{ef}ve \u{2019}quoted\u{2019}</p>");
        check(&latin, Some("text/html; charset=iso-8859-1"), "windows-1252", "café naïve ’quoted’");
        // A BOM wins over everything.
        check(b"\xEF\xBB\xBF<meta charset=\"shift_jis\"><p>ok</p>", None, "UTF-8", "ok");
        // No declaration, Shift_JIS bytes: detection.
        let (undeclared, _, _) = encoding_rs::SHIFT_JIS.encode("<html><body><p>これは日本語で書かれた記事の本文です。東京都内で行われた会議について報告します。</p></body></html>");
        check(&undeclared, None, "Shift_JIS", "日本語で書かれた記事");
        // Garbage charset names fall through to the next source.
        check(b"<meta charset=\"no-such-charset\"><p>plain</p>", Some("text/html; charset=bogus"), "UTF-8", "plain");
        check(b"", None, "UTF-8", "");
    }
}
