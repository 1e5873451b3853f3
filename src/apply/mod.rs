//! Apply: runs a [`Plan`](crate::plan::Plan)'s operations against the cloud in the order its DAG allows, and
//! records every completed operation through a [`StateSink`] at once.
//!
//! The engine never prints: it emits [`Event`]s on a channel and returns a [`Report`]; the CLI
//! renders both. It reads the `Plan` value only (never the configuration), sends each operation
//! as a typed `cloud::api::Mutation` in the operation's region with `cloud::Client::mutate`
//! (which hands unknown outcomes and wait-and-retry answers back here), re-reads targets with
//! `cloud::Client::read_targets`, and persists through the sink, so the state store can change
//! beneath it. The plan's `Operation::api_params` are for display; a test checks that they are
//! what is sent.
//!
//! **Architecture Invariant:** an operation whose effect was confirmed (an answer, an
//! already-done answer, or a re-read after an unknown outcome) is never sent again.

mod events;
mod executor;

pub use events::{Event, Failure, Outcome};
pub use executor::{Cancel, execute};

use std::time::Duration;

use crate::state::ManagedMembership;

/// What the engine persists through, after every completed operation (and once at the start
/// for the plan's adoptions and forgotten entries). The CLI's implementation writes the state
/// file; tests keep a `State` in memory. `execute` owns the sink while it runs and calls
/// `record` on a blocking thread, so an implementation may block (file writes, fsync, a remote
/// store) without stalling the operations in flight; it hands the sink back at the end.
pub trait StateSink: Send {
    fn record(
        &mut self,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), SinkError>;
}

/// Why the sink could not persist; apply starts nothing new after it.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// How `execute` runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Operations in flight at most (`--parallelism`).
    pub parallelism: usize,
    /// How long to wait for a target in a transitional status or being created, and for a
    /// replacement to become visible (`--wait-timeout`).
    pub wait_timeout: Duration,
    /// Between two reads of a target that is not ready yet.
    pub poll_interval: Duration,
    /// Unknown outcomes of one operation before it fails (each followed by a re-read).
    pub max_unknown: u32,
}

/// How long apply waits for a target in a transitional status or being created, unless told
/// otherwise (`--wait-timeout`).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: crate::plan::refresh::DEFAULT_PARALLELISM,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            poll_interval: Duration::from_secs(5),
            max_unknown: 5,
        }
    }
}

/// What one operation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationReport {
    /// Its index in `Plan::operations`.
    pub index: usize,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// The result of an apply.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One per operation of the plan, in plan order.
    pub operations: Vec<OperationReport>,
    pub joined: usize,
    pub left: usize,
    pub replaced: usize,
    /// State entries the plan adopted (pairs already in the cloud, now managed), once persisted.
    pub adopted: usize,
    /// State entries the plan forgot (pairs proven gone), once persisted.
    pub forgotten: usize,
    pub failed: usize,
    /// Skipped because something they depend on failed.
    pub skipped: usize,
    /// Not started because apply was cancelled or could not persist.
    pub not_started: usize,
    /// HTTP requests and retries by the clients during the apply.
    pub calls: u64,
    pub retries: u64,
    pub throttled: u64,
    pub elapsed: Duration,
    pub cancelled: bool,
    /// The sink failed; nothing was started after it.
    pub persist_error: Option<String>,
}

impl Report {
    /// Whether every operation succeeded and everything was persisted.
    pub fn succeeded(&self) -> bool {
        self.failed == 0
            && self.skipped == 0
            && self.not_started == 0
            && self.persist_error.is_none()
            && !self.cancelled
    }
}

#[cfg(test)]
mod tests;
