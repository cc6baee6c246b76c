//! Config problems as a person reads them: file, line, key path, message, and a suggestion.
//! Owns the mapping from key paths to lines (through the TOML parser's spans) and the
//! "did you mean" lookup (through the JSON Schema of the raw types). Never decides what is valid.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A key path such as `feed[2].fields.date.format`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<PathSegment>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_owned()));
        KeyPath(segments)
    }

    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Index(index));
        KeyPath(segments)
    }

    /// The path without its last segment.
    pub fn parent(&self) -> KeyPath {
        let mut segments = self.0.clone();
        segments.pop();
        KeyPath(segments)
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(PathSegment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.0 {
            match segment {
                PathSegment::Key(key) => {
                    if !first {
                        formatter.write_str(".")?;
                    }
                    formatter.write_str(key)?;
                }
                PathSegment::Index(index) => write!(formatter, "[{index}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// One problem in one config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when the problem can be pinned to one.
    pub line: Option<usize>,
    /// Where in the file, e.g. `feed[2].fields.date`; empty for whole-file problems.
    pub key_path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
        }
        formatter.write_str(": ")?;
        if !self.key_path.is_empty() {
            write!(formatter, "{}: ", self.key_path)?;
        }
        formatter.write_str(&self.message)
    }
}

/// Every problem found in a config folder, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (error_idx, error) in self.0.iter().enumerate() {
            if error_idx > 0 {
                formatter.write_str("\n")?;
            }
            write!(formatter, "{error}")?;
        }
        Ok(())
    }
}

/// Collects problems for one file, pinning each to a line through the parsed document's spans.
pub struct Reporter<'a> {
    file: PathBuf,
    text: &'a str,
    document: Option<DeTable<'a>>,
    pub errors: Vec<ConfigError>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &Path, text: &'a str) -> Self {
        let document = DeTable::parse(text).ok().map(|spanned| spanned.into_inner());
        Reporter { file: file.to_owned(), text, document, errors: Vec::new() }
    }

    /// Report a problem at a key path; the line is that of the key (or its nearest existing parent).
    /// The same problem found twice (a site's `[fields]` are checked once per feed that uses them)
    /// is reported once.
    pub fn error(&mut self, path: &KeyPath, message: impl Into<String>) {
        let error = ConfigError { file: self.file.clone(), line: self.line_of(path), key_path: path.to_string(), message: message.into() };
        if !self.errors.contains(&error) {
            self.errors.push(error);
        }
    }

    /// Report a problem at a byte offset (a TOML syntax or type error), naming the key around it.
    pub fn error_at_offset(&mut self, offset: Option<usize>, message: impl Into<String>) {
        let key_path = offset
            .and_then(|offset| self.document.as_ref().map(|document| path_at_offset(document, offset)))
            .map(|path| path.to_string())
            .unwrap_or_default();
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line: offset.map(|offset| line_of_offset(self.text, offset)),
            key_path,
            message: message.into(),
        });
    }

    fn line_of(&self, path: &KeyPath) -> Option<usize> {
        let document = self.document.as_ref()?;
        let mut path = path.clone();
        loop {
            if let Some(offset) = offset_of(document, &path) {
                return Some(line_of_offset(self.text, offset));
            }
            if path.0.is_empty() {
                return None;
            }
            path = path.parent();
        }
    }
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|&&byte| byte == b'\n').count() + 1
}

/// The byte offset where the key (or array element) at `path` is written.
fn offset_of(document: &DeTable<'_>, path: &KeyPath) -> Option<usize> {
    let mut table = document;
    let mut current: Option<&DeValue<'_>> = None;
    let mut offset = None;
    for segment in &path.0 {
        match segment {
            PathSegment::Key(key) => {
                if let Some(value) = current {
                    table = value.as_table()?;
                }
                let (spanned_key, value) = table.get_key_value(key.as_str())?;
                offset = Some(spanned_key.span().start);
                current = Some(value.get_ref());
            }
            PathSegment::Index(index) => {
                let array = current?.as_array()?;
                let element = array.get(*index)?;
                offset = Some(element.span().start);
                current = Some(element.get_ref());
            }
        }
    }
    offset
}

/// The deepest key path around `offset`: in each table the last key written before it, in each array
/// the last element starting before it. (Spans of `[[array]]` tables cover only their headers, so
/// "contains" would miss values written under the header.)
fn path_at_offset(document: &DeTable<'_>, offset: usize) -> KeyPath {
    fn descend_table(table: &DeTable<'_>, offset: usize, path: KeyPath) -> KeyPath {
        // An `[[array]]` header's `[[` comes before its key's span: count an entry from whichever starts first.
        let entry_start = |key: &toml::Spanned<std::borrow::Cow<'_, str>>, value: &toml::Spanned<DeValue<'_>>| {
            key.span().start.min(value.span().start)
        };
        let nearest = table
            .iter()
            .filter(|(key, value)| entry_start(key, value) <= offset)
            .max_by_key(|(key, value)| entry_start(key, value));
        match nearest {
            Some((key, value)) => descend_value(value.get_ref(), offset, path.key(key.get_ref())),
            None => path,
        }
    }
    fn descend_value(value: &DeValue<'_>, offset: usize, path: KeyPath) -> KeyPath {
        match value {
            DeValue::Table(table) => descend_table(table, offset, path),
            DeValue::Array(array) => {
                let nearest = array.iter().enumerate().rfind(|(_, element)| element.span().start <= offset);
                match nearest {
                    Some((element_idx, element)) => descend_value(element.get_ref(), offset, path.index(element_idx)),
                    None => path,
                }
            }
            _ => path,
        }
    }
    descend_table(document, offset, KeyPath::root())
}

/// The valid keys of the table at `path` according to a JSON Schema, for "did you mean" hints.
pub fn known_keys(schema: &serde_json::Value, path: &KeyPath) -> Vec<String> {
    let mut nodes = vec![schema.clone()];
    for segment in &path.0 {
        let mut next = Vec::new();
        for node in nodes {
            for node in expand(schema, &node) {
                match segment {
                    PathSegment::Key(key) => {
                        if let Some(child) = node.get("properties").and_then(|properties| properties.get(key)) {
                            next.push(child.clone());
                        }
                    }
                    PathSegment::Index(_) => {
                        if let Some(child) = node.get("items") {
                            next.push(child.clone());
                        }
                    }
                }
            }
        }
        nodes = next;
    }
    let mut keys: Vec<String> = nodes
        .iter()
        .flat_map(|node| expand(schema, node))
        .filter_map(|node| node.get("properties").and_then(|properties| properties.as_object()).cloned())
        .flat_map(|properties| properties.keys().cloned().collect::<Vec<_>>())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Follow `$ref`s and open `anyOf`/`oneOf`/`allOf` so that every alternative's properties are seen.
fn expand(root: &serde_json::Value, node: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut stack = vec![node.clone()];
    let mut steps = 0;
    while let Some(node) = stack.pop() {
        steps += 1;
        if steps > 64 {
            break;
        }
        if let Some(reference) = node.get("$ref").and_then(|reference| reference.as_str()) {
            let pointer = reference.trim_start_matches('#');
            if let Some(target) = root.pointer(pointer) {
                stack.push(target.clone());
            }
            continue;
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            if let Some(alternatives) = node.get(combinator).and_then(|alternatives| alternatives.as_array()) {
                stack.extend(alternatives.iter().cloned());
            }
        }
        out.push(node);
    }
    out
}

/// The nearest of `candidates` to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'c>(word: &str, candidates: &'c [String]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.as_str())
}
