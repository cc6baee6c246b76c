//! Schedule: when and how feeds are refreshed. [`scrape`] runs one feed once (fetch, follow, extract);
//! the refresh loop builds on it.

pub mod scrape;
