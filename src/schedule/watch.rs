//! Config reload triggers: a file watch on the config folder and SIGHUP both send one message on the
//! reload channel. Bursts of file events (an editor's save is several) are folded into one reload.

use std::path::Path;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// Quiet time after the last file event before a reload is asked for.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Keeps the file watcher alive; dropping it stops watching.
pub struct ConfigWatch {
    _watcher: Option<notify::RecommendedWatcher>,
}

/// Watch `config_dir` and listen for SIGHUP; each burst of changes sends one `()` on `reloads`.
/// A folder that cannot be watched is logged, and SIGHUP still works.
pub fn watch_config(config_dir: &Path, reloads: mpsc::Sender<()>) -> ConfigWatch {
    let (events_sender, mut events) = mpsc::unbounded_channel::<()>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let relevant = event.paths.iter().any(|path| path.extension().is_some_and(|extension| extension == "toml"));
            if relevant && !matches!(event.kind, notify::EventKind::Access(_)) {
                let _ = events_sender.send(());
            }
        }
    })
    .and_then(|mut watcher| watcher.watch(config_dir, RecursiveMode::Recursive).map(|()| watcher));
    let watcher = match watcher {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!(dir = %config_dir.display(), error = %error, "cannot watch the config folder; send SIGHUP to reload");
            None
        }
    };

    let file_reloads = reloads.clone();
    tokio::spawn(async move {
        while events.recv().await.is_some() {
            // Fold the burst: wait until the folder has been quiet for a moment.
            while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, events.recv()).await {}
            if file_reloads.send(()).await.is_err() {
                break;
            }
        }
    });

    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the config");
            if reloads.send(()).await.is_err() {
                break;
            }
        }
    });

    ConfigWatch { _watcher: watcher }
}
