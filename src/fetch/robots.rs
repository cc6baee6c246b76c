//! robots.txt: fetched once per origin, cached, and obeyed (RFC 9309). A 4xx means "no rules";
//! a 5xx or a network failure means "assume everything is disallowed for now", as the RFC says,
//! and is retried after a short while.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use texting_robots::Robot;

/// How long a robots.txt answer is trusted.
const RULES_TTL: Duration = Duration::from_secs(6 * 60 * 60);
/// How long an unreachable robots.txt blocks an origin before it is asked again.
const UNREACHABLE_TTL: Duration = Duration::from_secs(10 * 60);

/// What an origin's robots.txt said.
#[derive(Clone)]
pub enum RobotsRules {
    /// No robots.txt (or a 4xx): everything is allowed.
    AllowAll,
    /// The parsed rules.
    Rules(std::sync::Arc<Robot>),
    /// robots.txt could not be read (5xx, timeout): nothing is allowed until it can.
    Unreachable(String),
}

impl RobotsRules {
    /// Build the rules from a fetched robots.txt body for our user agent.
    pub fn parse(user_agent: &str, body: &[u8]) -> RobotsRules {
        // Robots rules name the product token, not the whole UA string ("feedwright/0.1 (+...)" -> "feedwright").
        let token = user_agent.split(['/', ' ']).next().unwrap_or(user_agent);
        match Robot::new(token, body) {
            Ok(robot) => RobotsRules::Rules(std::sync::Arc::new(robot)),
            // An unparsable file is treated like none at all, as crawlers do.
            Err(_) => RobotsRules::AllowAll,
        }
    }

    pub fn allows(&self, url: &str) -> Result<(), String> {
        match self {
            RobotsRules::AllowAll => Ok(()),
            RobotsRules::Rules(robot) if robot.allowed(url) => Ok(()),
            RobotsRules::Rules(_) => Err("robots.txt disallows this path".to_owned()),
            RobotsRules::Unreachable(reason) => Err(format!("robots.txt could not be read ({reason}), so nothing is fetched from this site for now")),
        }
    }

    fn ttl(&self) -> Duration {
        match self {
            RobotsRules::Unreachable(_) => UNREACHABLE_TTL,
            _ => RULES_TTL,
        }
    }
}

/// Cache of rules per origin (`scheme://host:port`).
#[derive(Default)]
pub struct RobotsCache {
    entries: Mutex<HashMap<String, (Instant, RobotsRules)>>,
}

impl RobotsCache {
    pub fn get(&self, origin: &str) -> Option<RobotsRules> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(origin).filter(|(fetched_at, rules)| fetched_at.elapsed() < rules.ttl()).map(|(_, rules)| rules.clone())
    }

    pub fn insert(&self, origin: &str, rules: RobotsRules) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(origin.to_owned(), (Instant::now(), rules));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(robots_txt: &str, path: &str, allowed: bool) {
        let rules = RobotsRules::parse("feedwright/0.1 (+https://example.com)", robots_txt.as_bytes());
        assert_eq!(rules.allows(&format!("https://example.com{path}")).is_ok(), allowed, "{robots_txt:?} {path}");
    }

    #[test]
    fn rules() {
        check("User-agent: *\nDisallow: /private/\n", "/private/x", false);
        check("User-agent: *\nDisallow: /private/\n", "/news/", true);
        check("User-agent: feedwright\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "/news/", false);
        check("User-agent: otherbot\nDisallow: /\n", "/news/", true);
        check("", "/anything", true);
        check("garbage \u{0} not robots", "/anything", true);
    }
}
