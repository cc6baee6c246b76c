//! The refresh loop: picks due feeds by next-refresh time (with jitter, and backoff after failures),
//! runs them under a global concurrency limit, takes "refresh now" requests, and follows config reloads.
//! It stops when the shutdown signal fires, letting refreshes in flight finish.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Semaphore, mpsc, watch};

use super::policy;
use super::refresh::{RefreshContext, RefreshReport, refresh_feed};
use crate::config::{Config, LiveConfig};
use crate::store::FeedKey;

/// How often the loop looks for due feeds.
const TICK: Duration = Duration::from_millis(500);
/// Feeds whose data is stale at start-up are spread out, so sites are not hit together: 100 ms apart
/// on average, over at most ten seconds.
const STARTUP_SPREAD_PER_FEED: Duration = Duration::from_millis(100);
const STARTUP_SPREAD_MAX: Duration = Duration::from_secs(10);

/// The refresh loop's inputs.
pub struct Runner {
    pub live_config: Arc<LiveConfig>,
    pub context: RefreshContext,
    pub refresh_requests: mpsc::Receiver<FeedKey>,
    /// Fires (true) when the process should stop.
    pub shutdown: watch::Receiver<bool>,
    /// Fires when the config folder changed (file watch or SIGHUP).
    pub reloads: mpsc::Receiver<()>,
}

impl Runner {
    /// Run until shutdown.
    pub async fn run(mut self) {
        let semaphore = Arc::new(Semaphore::new(self.live_config.current().settings.max_concurrent_refreshes));
        let next_due: Arc<Mutex<HashMap<FeedKey, DateTime<Utc>>>> = Arc::new(Mutex::new(HashMap::new()));
        let in_flight: Arc<Mutex<HashSet<FeedKey>>> = Arc::new(Mutex::new(HashSet::new()));
        self.plan_all(&next_due, true).await;
        let mut tasks = tokio::task::JoinSet::new();
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.shutdown.changed() => break,
                Some(key) = self.refresh_requests.recv() => {
                    lock(&next_due).insert(key, Utc::now());
                }
                Some(()) = self.reloads.recv() => {
                    match self.live_config.reload() {
                        Ok(config) => {
                            tracing::info!(n_sites = config.sites.len(), "config reloaded");
                            super::scrape::log_robots_opt_outs(&config);
                            self.plan_all(&next_due, false).await;
                        }
                        Err(errors) => tracing::error!(errors = %errors, "config reload failed; the previous config stays in force"),
                    }
                }
                _ = ticker.tick() => {
                    while tasks.try_join_next().is_some() {}
                    let config = self.live_config.current();
                    let now = Utc::now();
                    let due: Vec<FeedKey> = lock(&next_due)
                        .iter()
                        .filter(|(key, due)| **due <= now && !lock(&in_flight).contains(*key))
                        .map(|(key, _)| key.clone())
                        .collect();
                    for key in due {
                        let Some((site, feed)) = config.feed(&key.site, &key.feed) else {
                            // Removed from the config: forget it.
                            lock(&next_due).remove(&key);
                            continue;
                        };
                        let (site, feed) = (site.clone(), feed.clone());
                        lock(&in_flight).insert(key.clone());
                        // Not due again until this refresh has planned its successor.
                        lock(&next_due).insert(key.clone(), DateTime::<Utc>::MAX_UTC);
                        let semaphore = semaphore.clone();
                        let context = self.context.clone();
                        let config = config.clone();
                        let next_due = next_due.clone();
                        let in_flight = in_flight.clone();
                        tasks.spawn(async move {
                            let Ok(_permit) = semaphore.acquire_owned().await else { return };
                            let result = refresh_feed(&context, &config.settings, &site, &feed, Utc::now()).await;
                            if let Err(error) = &result {
                                tracing::error!(site = %site.id, feed = %feed.id, error = %error, "the store failed during a refresh");
                            }
                            let state = context.store.feed_state(&key).ok().flatten();
                            let interval = policy::refresh_interval(&config.settings, &site, &feed);
                            let mut due = policy::next_refresh_at(state.as_ref(), interval, Utc::now());
                            if matches!(result, Ok(RefreshReport::Updated { .. } | RefreshReport::NotModified)) {
                                due += jitter(interval);
                            }
                            lock(&next_due).insert(key.clone(), due);
                            lock(&in_flight).remove(&key);
                        });
                    }
                }
            }
        }
        tracing::info!(n_in_flight = tasks.len(), "refresh loop stopping; letting refreshes in flight finish");
        let _ = tokio::time::timeout(Duration::from_secs(20), async { while tasks.join_next().await.is_some() {} }).await;
    }

    /// Compute every configured feed's next refresh from the store. At start-up, stale feeds are
    /// spread over a few seconds; after a reload, new feeds are due at once and others keep their plan.
    async fn plan_all(&self, next_due: &Arc<Mutex<HashMap<FeedKey, DateTime<Utc>>>>, startup: bool) {
        let config: Arc<Config> = self.live_config.current();
        let store = self.context.store.clone();
        let states = tokio::task::spawn_blocking(move || store.all_feed_states()).await.ok().and_then(Result::ok).unwrap_or_default();
        let now = Utc::now();
        let n_feeds: usize = config.sites.iter().map(|site| site.feeds.len()).sum();
        let spread = STARTUP_SPREAD_PER_FEED.saturating_mul(n_feeds as u32).min(STARTUP_SPREAD_MAX);
        let mut plan = lock(next_due);
        let configured: HashSet<FeedKey> = config
            .sites
            .iter()
            .flat_map(|site| site.feeds.iter().map(move |feed| FeedKey::new(&site.id, &feed.id)))
            .collect();
        plan.retain(|key, _| configured.contains(key));
        for site in &config.sites {
            for feed in &site.feeds {
                let key = FeedKey::new(&site.id, &feed.id);
                if !startup && plan.contains_key(&key) {
                    continue;
                }
                let state = states.iter().find(|(state_key, _)| *state_key == key).map(|(_, state)| state);
                let interval = policy::refresh_interval(&config.settings, site, feed);
                let mut due = policy::next_refresh_at(state, interval, now);
                if due <= now {
                    let delay = rand::rng().random_range(0.0..=spread.as_secs_f64());
                    due = now + chrono::Duration::milliseconds((delay * 1000.0) as i64);
                }
                plan.insert(key, due);
            }
        }
    }
}

/// Up to a tenth of the interval (at most five minutes), so feeds of one site drift apart.
fn jitter(interval: Duration) -> chrono::Duration {
    let ceiling = (interval.as_secs_f64() / 10.0).min(300.0);
    let seconds = rand::rng().random_range(0.0..=ceiling.max(0.001));
    chrono::Duration::milliseconds((seconds * 1000.0) as i64)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
