//! The thread the PostgreSQL backend's connections live on.
//!
//! The [`Backend`](crate::state::Backend) trait is synchronous and is called from async code
//! (a tokio worker taking the lock) as well as from blocking threads (apply's commits). Calling
//! `block_on` on a tokio worker panics, and a connection's driver must be polled by the runtime
//! that made it; so the backend owns one thread with its own current-thread runtime, which runs
//! each request in turn (and the connections' drivers meanwhile). A caller hands it a future and
//! blocks on a channel for the answer, which is safe on any thread since the runtime is not the
//! caller's. The thread ends, closing every connection, when the last handle is dropped.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A handle on the connection thread; clones share it.
#[derive(Clone)]
pub(super) struct Worker {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Worker {
    /// Starts the thread and its runtime.
    pub(super) fn start() -> std::io::Result<Self> {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("sgform-pg".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = rx.recv().await {
                        job.await;
                    }
                });
            })?;
        Ok(Self { jobs })
    }

    /// Runs `work` on the connection thread and waits for its result; `None` if the thread is
    /// gone (it panicked).
    pub(super) fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.jobs
            .send(Box::pin(async move {
                let _ = tx.send(work.await);
            }))
            .ok()?;
        rx.recv().ok()
    }
}
