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
        let requested_again: Arc<Mutex<HashSet<FeedKey>>> = Arc::new(Mutex::new(HashSet::new()));
        self.plan_all(&next_due, true).await;
        let mut tasks = tokio::task::JoinSet::new();
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.shutdown.changed() => break,
                Some(key) = self.refresh_requests.recv() => {
                    if lock(&in_flight).contains(&key) {
                        // Running now: run it again as soon as this one is done.
                        lock(&requested_again).insert(key);
                    } else {
                        lock(&next_due).insert(key, Utc::now());
                    }
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
                    while let Some(joined) = tasks.try_join_next() {
                        if let Err(error) = joined {
                            tracing::error!(error = %error, "a refresh task ended abnormally");
                        }
                    }
                    for key in lock(&requested_again).drain().collect::<Vec<_>>() {
                        if lock(&in_flight).contains(&key) {
                            lock(&requested_again).insert(key);
                        } else {
                            lock(&next_due).insert(key, Utc::now());
                        }
                    }
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
                        let guard = PlanGuard { key: key.clone(), next_due: next_due.clone(), in_flight: in_flight.clone(), due: None };
                        tasks.spawn(async move {
                            let mut guard = guard;
                            let Ok(_permit) = semaphore.acquire_owned().await else { return };
                            let result = refresh_feed(&context, &config.settings, &site, &feed, Utc::now()).await;
                            let interval = policy::refresh_interval(&config.settings, &site, &feed);
                            let state = context.store.feed_state(&guard.key).ok().flatten();
                            let now = Utc::now();
                            guard.due = Some(match (&result, &state) {
                                (Ok(RefreshReport::Updated { .. } | RefreshReport::NotModified), Some(state)) => {
                                    policy::after(policy::next_refresh_at(Some(state), interval, now), jitter(interval))
                                }
                                // Failing: the backoff, or later if the site asked us to wait longer.
                                (Ok(RefreshReport::Failed { retry_after, .. }), Some(state)) => {
                                    policy::next_refresh_after_failure(state, interval, now, *retry_after)
                                }
                                // The store failed (or cannot say how the feed is): back off as for a failure,
                                // rather than refreshing again at the next tick.
                                _ => {
                                    if let Err(error) = &result {
                                        tracing::error!(site = %site.id, feed = %feed.id, error = %error, "the store failed during a refresh");
                                    }
                                    let failures = state.map(|state| state.consecutive_failures).unwrap_or(0) + 1;
                                    policy::after(now, policy::backoff(failures))
                                }
                            });
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
                    due = policy::after(now, Duration::from_secs_f64(delay));
                }
                plan.insert(key, due);
            }
        }
    }
}

/// Plans a feed's next refresh when its refresh task ends, however it ends: normally (with the due time
/// it set), by a panic, or by being dropped at shutdown (then: after the first backoff). Without it a
/// task that died would leave its feed "in flight" and never refreshed again.
struct PlanGuard {
    key: FeedKey,
    next_due: Arc<Mutex<HashMap<FeedKey, DateTime<Utc>>>>,
    in_flight: Arc<Mutex<HashSet<FeedKey>>>,
    due: Option<DateTime<Utc>>,
}

impl Drop for PlanGuard {
    fn drop(&mut self) {
        let due = self.due.unwrap_or_else(|| policy::after(Utc::now(), policy::FIRST_BACKOFF));
        lock(&self.next_due).insert(self.key.clone(), due);
        lock(&self.in_flight).remove(&self.key);
    }
}

/// Up to a tenth of the interval (at most five minutes), so feeds of one site drift apart.
fn jitter(interval: Duration) -> Duration {
    let ceiling = (interval.as_secs_f64() / 10.0).min(300.0);
    Duration::from_secs_f64(rand::rng().random_range(0.0..=ceiling.max(0.001)))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
