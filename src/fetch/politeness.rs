//! Per-host politeness: at most N requests in flight to one host and a minimum gap between request
//! starts to one host, whatever the global concurrency. Nothing here knows about HTTP.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{Quota, RateLimiter, clock::DefaultClock, state::keyed::HashMapStateStore};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits per host. `None` for both means no politeness at all (benchmarks, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolitenessOptions {
    pub max_in_flight_per_host: Option<usize>,
    pub min_gap_per_host: Option<Duration>,
}

impl PolitenessOptions {
    pub const OFF: PolitenessOptions = PolitenessOptions { max_in_flight_per_host: None, min_gap_per_host: None };
}

/// Shared by every request of one [`super::Fetcher`].
pub struct Politeness {
    options: PolitenessOptions,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
    rate_limiter: Option<RateLimiter<String, HashMapStateStore<String>, DefaultClock>>,
}

/// Held while a request to a host is in flight.
pub struct HostPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Politeness {
    pub fn new(options: PolitenessOptions) -> Self {
        let rate_limiter = options.min_gap_per_host.filter(|gap| !gap.is_zero()).and_then(|gap| {
            Quota::with_period(gap).map(|quota| RateLimiter::keyed(quota.allow_burst(NonZeroU32::MIN)))
        });
        Politeness { options, semaphores: Mutex::new(HashMap::new()), rate_limiter }
    }

    /// Wait until this host may be asked again, then hold a slot until the permit drops.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let permit = match self.options.max_in_flight_per_host {
            Some(limit) => {
                let semaphore = {
                    let mut semaphores = self.semaphores.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    semaphores.entry(host.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(limit.max(1)))).clone()
                };
                semaphore.acquire_owned().await.ok()
            }
            None => None,
        };
        if let Some(rate_limiter) = &self.rate_limiter {
            rate_limiter.until_key_ready(&host.to_owned()).await;
        }
        HostPermit { _permit: permit }
    }
}
