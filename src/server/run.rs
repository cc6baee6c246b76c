//! Running the whole service: open the store, start the refresh loop and the config watch, serve HTTP,
//! and stop all of it together on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, watch};

use super::{AppState, router};
use crate::config::LiveConfig;
use crate::fetch::{FetchOptions, Fetcher};
use crate::schedule::refresh::RefreshContext;
use crate::schedule::runner::Runner;
use crate::schedule::watch::watch_config;
use crate::store::Store;

/// Why the service could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// The listen address is taken or not allowed.
    #[error("cannot listen on {address}: {source} (choose another with --listen or `listen` in feedwright.toml)")]
    Bind { address: SocketAddr, source: std::io::Error },
    /// The HTTP server failed while running.
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// The file the store lives in, inside the data dir.
pub fn store_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("feedwright.sqlite3")
}

/// One Prometheus recorder per process (the `metrics` facade allows one global recorder).
pub fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|()| handle)
        })
        .clone()
}

/// A started service: its address, and a way to stop it.
pub struct RunningServer {
    pub address: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// Stop the refresh loop and the server, and wait for both.
    pub async fn stop(self) -> Result<(), ServeError> {
        let _ = self.shutdown.send(true);
        self.task.await.unwrap_or(Ok(()))
    }

    /// Wait until the service stops (on a signal).
    pub async fn wait(self) -> Result<(), ServeError> {
        self.task.await.unwrap_or(Ok(()))
    }
}

/// Start everything; the listener is bound before this returns, so the address is ready to use.
/// With `handle_signals`, SIGTERM and Ctrl-C stop the service.
pub async fn start(live_config: Arc<LiveConfig>, handle_signals: bool) -> Result<RunningServer, ServeError> {
    let config = live_config.current();
    crate::schedule::scrape::log_robots_opt_outs(&config);
    let store = Store::open(&store_path(&config.settings.data_dir))?;
    let fetcher = Fetcher::new(FetchOptions::from_settings(&config.settings))?;
    let address = config.settings.listen;
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|source| ServeError::Bind { address, source })?;
    let address = listener.local_addr().map_err(|source| ServeError::Bind { address, source })?;

    let (shutdown_sender, shutdown) = watch::channel(false);
    let (refresh_sender, refresh_requests) = mpsc::channel(64);
    let (reload_sender, reloads) = mpsc::channel(4);
    let config_watch = watch_config(live_config.dir(), reload_sender);

    let mut state = AppState::new(live_config.clone(), store.clone());
    state.refresh_requests = Some(refresh_sender);
    state.metrics = metrics_handle();
    let app = router(state);

    let runner = Runner { live_config, context: RefreshContext::new(fetcher, store, &config.settings), refresh_requests, shutdown: shutdown.clone(), reloads };
    let runner_task = tokio::spawn(runner.run());

    if handle_signals {
        let sender = shutdown_sender.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            let _ = sender.send(true);
        });
    }

    let mut server_shutdown = shutdown.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = server_shutdown.wait_for(|stop| *stop).await;
            })
            .await
            .map_err(ServeError::Serve);
        let _ = runner_task.await;
        drop(config_watch);
        served
    });
    Ok(RunningServer { address, shutdown: shutdown_sender, task })
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
