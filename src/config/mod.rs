//! Config: the schema of `feedwright.toml` and `sites/*.toml`, loading, and validation.
//!
//! Two stages, as in ripgrep: [`raw`] holds the files exactly as written (plain serde types, the JSON
//! Schema comes from them), [`compiled`] the checked form with selectors, regexes and URLs built.
//! **Invariant:** loading reports every problem of every file at once, each with file, line and key
//! path; it never stops at the first and never hands out a half-checked config.

pub mod compile;
pub mod compiled;
pub mod diagnostics;
pub mod env;
pub mod live;
pub mod raw;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use compiled::{CompiledSelector, Config, Feed, Field, FieldName, Fields, Filter, PageCheck, Settings, Site, Step, Take, Template, TemplatePart};
pub use diagnostics::{ConfigError, ConfigErrors, KeyPath, PathSegment};
pub use live::LiveConfig;

use diagnostics::Reporter;
use raw::{RawSettings, RawSite};

/// The settings file inside a config folder.
pub const SETTINGS_FILE: &str = "feedwright.toml";
/// The folder of site files inside a config folder.
pub const SITES_DIR: &str = "sites";

/// Load and check a config folder: `feedwright.toml` (optional) and every `sites/*.toml`.
pub fn load_dir(dir: &Path) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    if !dir.is_dir() {
        return Err(ConfigErrors(vec![ConfigError {
            file: dir.to_owned(),
            line: None,
            key_path: String::new(),
            message: "no such config folder (pass --config DIR, or run from the folder that has `config/`)".to_owned(),
        }]));
    }

    let settings_path = dir.join(SETTINGS_FILE);
    let settings_text = if settings_path.exists() {
        read_file(&settings_path).unwrap_or_else(|error| {
            errors.push(error);
            String::new()
        })
    } else {
        String::new()
    };
    let environment = environment_variables();
    let (settings, settings_errors) = parse_settings_with_env(&settings_path, &settings_text, &environment);
    errors.extend(settings_errors);

    let mut sites = Vec::new();
    let mut site_files: HashMap<String, PathBuf> = HashMap::new();
    for path in site_files_in(&dir.join(SITES_DIR), &mut errors) {
        let text = match read_file(&path) {
            Ok(text) => text,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let (site, site_errors) = parse_site(&path, &text);
        errors.extend(site_errors);
        let Some(site) = site else { continue };
        if let Some(other) = site_files.get(&site.id) {
            errors.push(ConfigError {
                file: path.clone(),
                line: None,
                key_path: "id".to_owned(),
                message: format!("site id {:?} is already used by {}", site.id, other.display()),
            });
            continue;
        }
        site_files.insert(site.id.clone(), path.clone());
        sites.push(site);
    }

    if errors.is_empty() { Ok(Config { settings, sites }) } else { Err(ConfigErrors(errors)) }
}

/// The `*.toml` files of the sites folder, sorted so that messages and ids come in a stable order.
fn site_files_in(sites_dir: &Path, errors: &mut Vec<ConfigError>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(sites_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(error) => {
            errors.push(ConfigError { file: sites_dir.to_owned(), line: None, key_path: String::new(), message: format!("cannot read the folder: {error}") });
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml") && path.is_file())
        .collect();
    paths.sort();
    paths
}

fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|error| ConfigError {
        file: path.to_owned(),
        line: None,
        key_path: String::new(),
        message: format!("cannot read the file: {error}"),
    })
}

/// The process environment. Variables that are not UTF-8 are passed on with their value replaced,
/// so a `FEEDWRIGHT_*` one is reported as invalid rather than panicking (as `std::env::vars` would).
fn environment_variables() -> Vec<(String, String)> {
    std::env::vars_os()
        .map(|(name, value)| {
            let value = value.into_string().unwrap_or_else(|value| value.to_string_lossy().into_owned());
            (name.to_string_lossy().into_owned(), value)
        })
        .collect()
}

/// Only the settings of a config folder (file and environment), without the sites: for commands such
/// as `health` that must not fail because a site file has a problem.
pub fn load_settings(dir: &Path) -> Result<Settings, ConfigErrors> {
    let path = dir.join(SETTINGS_FILE);
    let text = if path.exists() { read_file(&path).map_err(|error| ConfigErrors(vec![error]))? } else { String::new() };
    let environment = environment_variables();
    let (settings, errors) = parse_settings_with_env(&path, &text, &environment);
    if errors.is_empty() { Ok(settings) } else { Err(ConfigErrors(errors)) }
}

/// Parse `feedwright.toml` text; problems come back with the defaults in their place.
pub fn parse_settings(path: &Path, text: &str) -> (Settings, Vec<ConfigError>) {
    parse_settings_with_env(path, text, &[])
}

/// Parse `feedwright.toml` text with `FEEDWRIGHT_*` variables laid over it (see [`env`]).
pub fn parse_settings_with_env(path: &Path, text: &str, environment: &[(String, String)]) -> (Settings, Vec<ConfigError>) {
    let mut reporter = Reporter::new(path, text);
    let raw: Option<RawSettings> = deserialize_reporting_unknown(&mut reporter, text, settings_schema);
    let Some(mut raw) = raw else { return (Settings::default(), reporter.errors) };
    let (overrides, env_errors) = env::apply_env(&mut raw, environment);
    let settings = compile::compile_settings(&mut reporter, &raw);
    let mut errors = reporter.errors;
    env::attribute_to_env(&mut errors, &overrides);
    errors.extend(env_errors);
    (settings, errors)
}

/// Parse one site file's text. The site id defaults to the file stem.
pub fn parse_site(path: &Path, text: &str) -> (Option<Site>, Vec<ConfigError>) {
    let mut reporter = Reporter::new(path, text);
    let raw: Option<RawSite> = deserialize_reporting_unknown(&mut reporter, text, site_schema);
    let default_id = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or("site");
    let site = raw.and_then(|raw| compile::compile_site(&mut reporter, &raw, default_id, path));
    let errors = reporter.errors;
    if errors.is_empty() { (site, errors) } else { (None, errors) }
}

/// Deserialize, reporting every unknown key (with a "did you mean") rather than stopping at the first.
/// The schema that gives the suggestions is built only when there is an unknown key.
fn deserialize_reporting_unknown<T: serde::de::DeserializeOwned>(
    reporter: &mut Reporter,
    text: &str,
    schema: fn() -> serde_json::Value,
) -> Option<T> {
    let deserializer = match toml::Deserializer::parse(text) {
        Ok(deserializer) => deserializer,
        Err(error) => {
            reporter.error_at_offset(error.span().map(|span| span.start), error.message().trim().to_owned());
            return None;
        }
    };
    let mut unknown_keys = Vec::new();
    let result: Result<T, _> = serde_ignored::deserialize(deserializer, |path| unknown_keys.push(key_path_of(&path)));
    match result {
        Ok(value) => {
            let schema = if unknown_keys.is_empty() { serde_json::Value::Null } else { schema() };
            for path in unknown_keys {
                let key = path.last_key().unwrap_or_default().to_owned();
                let known = diagnostics::known_keys(&schema, &path.parent());
                let message = match diagnostics::did_you_mean(&key, &known) {
                    Some(suggestion) => format!("unknown key `{key}`; did you mean `{suggestion}`?"),
                    None if known.is_empty() => format!("unknown key `{key}`"),
                    None => format!("unknown key `{key}`; expected one of: {}", known.join(", ")),
                };
                reporter.error(&path, message);
            }
            Some(value)
        }
        Err(error) => {
            reporter.error_at_offset(error.span().map(|span| span.start), error.message().trim().to_owned());
            None
        }
    }
}

fn key_path_of(path: &serde_ignored::Path<'_>) -> KeyPath {
    let mut segments = Vec::new();
    let mut current = Some(path);
    while let Some(path) = current {
        current = match path {
            serde_ignored::Path::Root => None,
            serde_ignored::Path::Seq { parent, index } => {
                segments.push(PathSegment::Index(*index));
                Some(*parent)
            }
            serde_ignored::Path::Map { parent, key } => {
                segments.push(PathSegment::Key(key.clone()));
                Some(*parent)
            }
            serde_ignored::Path::Some { parent }
            | serde_ignored::Path::NewtypeStruct { parent }
            | serde_ignored::Path::NewtypeVariant { parent } => Some(*parent),
        };
    }
    segments.reverse();
    KeyPath(segments)
}

/// JSON Schema of a site file, for editors (`feedwright schema`).
pub fn site_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RawSite)).unwrap_or_default()
}

/// JSON Schema of `feedwright.toml`.
pub fn settings_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RawSettings)).unwrap_or_default()
}
