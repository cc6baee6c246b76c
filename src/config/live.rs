//! The config in force while the server runs, and the outcome of the last reload. A reload that finds
//! problems leaves the previous config in force and records the problems for the status page.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::{Config, ConfigErrors, load_dir};

/// Shared by the scheduler and the server.
pub struct LiveConfig {
    dir: PathBuf,
    current: RwLock<Arc<Config>>,
    last_error: RwLock<Option<String>>,
    /// Bumped on every successful reload, so caches keyed on it go stale.
    generation: AtomicU64,
}

impl LiveConfig {
    pub fn new(dir: &Path, config: Config) -> Self {
        LiveConfig { dir: dir.to_owned(), current: RwLock::new(Arc::new(config)), last_error: RwLock::new(None), generation: AtomicU64::new(0) }
    }

    pub fn current(&self) -> Arc<Config> {
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Load the folder again. On success the new config replaces the old; on failure the old stays and
    /// the problems are kept for the status page. Settings that only take effect at start-up (listen,
    /// data_dir) are kept from the running config.
    pub fn reload(&self) -> Result<Arc<Config>, ConfigErrors> {
        match load_dir(&self.dir) {
            Ok(mut config) => {
                let running = self.current();
                config.settings.listen = running.settings.listen;
                config.settings.data_dir = running.settings.data_dir.clone();
                let config = Arc::new(config);
                *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = config.clone();
                *self.last_error.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
                self.generation.fetch_add(1, Ordering::AcqRel);
                Ok(config)
            }
            Err(errors) => {
                *self.last_error.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(errors.to_string());
                Err(errors)
            }
        }
    }
}
