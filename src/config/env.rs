//! Settings from the environment, as containers are configured: every key of `feedwright.toml` has a
//! `FEEDWRIGHT_*` variable that wins over the file. A variable with a typo is an error, not ignored.

use std::path::PathBuf;

use super::diagnostics::ConfigError;
use super::raw::RawSettings;

/// Every variable and the key it sets.
pub const ENV_VARIABLES: &[(&str, &str)] = &[
    ("FEEDWRIGHT_LISTEN", "listen"),
    ("FEEDWRIGHT_DATA_DIR", "data_dir"),
    ("FEEDWRIGHT_USER_AGENT", "user_agent"),
    ("FEEDWRIGHT_REFRESH", "refresh"),
    ("FEEDWRIGHT_PUBLIC_URL", "public_url"),
    ("FEEDWRIGHT_ADMIN_TOKEN", "admin_token"),
    ("FEEDWRIGHT_MAX_CONCURRENT_REFRESHES", "max_concurrent_refreshes"),
    ("FEEDWRIGHT_BROKEN_AFTER", "broken_after"),
    ("FEEDWRIGHT_LIMITS_MAX_PAGE_BYTES", "limits.max_page_bytes"),
    ("FEEDWRIGHT_LIMITS_REQUEST_TIMEOUT", "limits.request_timeout"),
    ("FEEDWRIGHT_LIMITS_MAX_ITEMS_PER_FEED", "limits.max_items_per_feed"),
    ("FEEDWRIGHT_LIMITS_MAX_ATTEMPTS", "limits.max_attempts"),
    ("FEEDWRIGHT_LIMITS_PER_HOST_CONCURRENCY", "limits.per_host_concurrency"),
    ("FEEDWRIGHT_LIMITS_PER_HOST_INTERVAL", "limits.per_host_interval"),
    ("FEEDWRIGHT_LIMITS_ARTICLE_CONCURRENCY", "limits.article_concurrency"),
];

/// Variables feedwright reads that are not settings (so they are not typos).
const OTHER_VARIABLES: &[&str] = &["FEEDWRIGHT_CONFIG"];

/// The variables that were set, with the key each set: later errors about those keys name the variable.
pub type Overrides = Vec<(&'static str, &'static str)>;

/// Lay the environment over the file's settings. `variables` is the whole environment (name, value).
pub fn apply_env(raw: &mut RawSettings, variables: &[(String, String)]) -> (Overrides, Vec<ConfigError>) {
    let mut overrides = Vec::new();
    let mut errors = Vec::new();
    let error = |variable: &str, message: String| ConfigError { file: PathBuf::from("environment"), line: None, key_path: variable.to_owned(), message };
    for (name, value) in variables {
        if !name.starts_with("FEEDWRIGHT_") || OTHER_VARIABLES.contains(&name.as_str()) {
            continue;
        }
        let Some(&(variable, key)) = ENV_VARIABLES.iter().find(|(variable, _)| variable == name) else {
            let names: Vec<String> = ENV_VARIABLES.iter().map(|(variable, _)| variable.to_string()).collect();
            let hint = super::diagnostics::did_you_mean(name, &names).map(|near| format!("; did you mean {near}?")).unwrap_or_default();
            errors.push(error(name, format!("unknown setting variable{hint}")));
            continue;
        };
        let number = |value: &str| value.trim().parse::<u64>().map_err(|_| format!("{value:?} is not a whole number"));
        let small_number = |value: &str| number(value).and_then(|number| u32::try_from(number).map_err(|_| format!("{value:?} is too large")));
        let text = Some(value.clone());
        let result: Result<(), String> = match key {
            "listen" => {
                raw.listen = text;
                Ok(())
            }
            "data_dir" => {
                raw.data_dir = text;
                Ok(())
            }
            "user_agent" => {
                raw.user_agent = text;
                Ok(())
            }
            "refresh" => {
                raw.refresh = text;
                Ok(())
            }
            "public_url" => {
                raw.public_url = text;
                Ok(())
            }
            "admin_token" => {
                raw.admin_token = text;
                Ok(())
            }
            "max_concurrent_refreshes" => small_number(value).map(|number| raw.max_concurrent_refreshes = Some(number)),
            "broken_after" => small_number(value).map(|number| raw.broken_after = Some(number)),
            "limits.max_page_bytes" => number(value).map(|number| raw.limits.max_page_bytes = Some(number)),
            "limits.request_timeout" => {
                raw.limits.request_timeout = text;
                Ok(())
            }
            "limits.max_items_per_feed" => small_number(value).map(|number| raw.limits.max_items_per_feed = Some(number)),
            "limits.max_attempts" => small_number(value).map(|number| raw.limits.max_attempts = Some(number)),
            "limits.per_host_concurrency" => small_number(value).map(|number| raw.limits.per_host_concurrency = Some(number)),
            "limits.per_host_interval" => {
                raw.limits.per_host_interval = text;
                Ok(())
            }
            "limits.article_concurrency" => small_number(value).map(|number| raw.limits.article_concurrency = Some(number)),
            _ => Err(format!("{variable} has no setting behind it (a feedwright bug)")),
        };
        match result {
            Ok(()) => overrides.push((variable, key)),
            Err(message) => errors.push(error(variable, message)),
        }
    }
    (overrides, errors)
}

/// Point errors about overridden keys at their variable instead of the file.
pub fn attribute_to_env(errors: &mut [ConfigError], overrides: &Overrides) {
    for error in errors {
        if let Some((variable, _)) = overrides.iter().find(|(_, key)| *key == error.key_path) {
            error.file = PathBuf::from("environment");
            error.line = None;
            error.key_path = (*variable).to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn every_key_of_the_settings_has_a_variable() {
        let schema = super::super::settings_schema();
        let mut keys: Vec<String> = schema["properties"].as_object().expect("properties").keys().filter(|key| *key != "limits").cloned().collect();
        let limits = super::super::diagnostics::known_keys(&schema, &super::super::KeyPath::root().key("limits"));
        keys.extend(limits.into_iter().map(|key| format!("limits.{key}")));
        for key in keys {
            assert!(ENV_VARIABLES.iter().any(|(_, known)| *known == key), "no variable for {key}");
        }
    }

    #[test]
    fn variables_override_and_typos_are_errors() {
        let mut raw = RawSettings::default();
        let (overrides, errors) = apply_env(
            &mut raw,
            &env(&[("FEEDWRIGHT_LISTEN", "0.0.0.0:8080"), ("FEEDWRIGHT_LIMITS_MAX_PAGE_BYTES", "123456"), ("FEEDWRIGHT_LISTN", "x"), ("FEEDWRIGHT_BROKEN_AFTER", "many"), ("PATH", "/bin")]),
        );
        assert_eq!(raw.listen.as_deref(), Some("0.0.0.0:8080"));
        assert_eq!(raw.limits.max_page_bytes, Some(123_456));
        assert_eq!(overrides.len(), 2);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages, ["environment: FEEDWRIGHT_LISTN: unknown setting variable; did you mean FEEDWRIGHT_LISTEN?", "environment: FEEDWRIGHT_BROKEN_AFTER: \"many\" is not a whole number"]);
    }
}
