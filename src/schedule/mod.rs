//! Schedule: when and how feeds are refreshed. [`scrape`] runs one feed once (fetch, follow, extract);
//! [`refresh`] stores the result or the failure; [`policy`] says when a feed is due or broken;
//! [`runner`] is the loop that drives them; [`watch`] turns config file changes and SIGHUP into reloads.

pub mod policy;
pub mod refresh;
pub mod runner;
pub mod scrape;
pub mod watch;
