//! What the engine tells the CLI while it runs (Terraform's hooks), and how each operation ends.

use std::time::Duration;

/// Why an operation failed: what a support ticket needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The API error code, when the API answered with one.
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub hint: Option<String>,
}

/// How one operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The API confirmed it (or a re-read after an unknown outcome showed it made).
    Done,
    /// The API answered that it was already in effect (`code`), or a re-read showed it was.
    AlreadyDone {
        code: Option<String>,
    },
    Failed(Failure),
    /// Not run: operation `because` (an index) failed or was itself skipped.
    Skipped {
        because: usize,
    },
    /// Not started: apply was cancelled, or the state could not be persisted.
    NotStarted,
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Done | Outcome::AlreadyDone { .. })
    }
}

/// One thing that happened during an apply. `index` is the operation's index in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The operation's first call is about to be sent.
    Started { index: usize },
    /// The target is in a transitional status (or being created); still waiting.
    Waiting {
        index: usize,
        status: String,
        elapsed: Duration,
    },
    /// An attempt's outcome is unknown; the target is being re-read before deciding.
    Rechecking { index: usize, detail: String },
    /// The operation ended (success or failure).
    Finished {
        index: usize,
        outcome: Outcome,
        elapsed: Duration,
    },
    /// The operation will not run because `because` failed.
    Skipped { index: usize, because: usize },
    /// The state was persisted after the operation (or, `None`, after the adoptions).
    Persisted { index: Option<usize> },
    /// Cancellation was requested: nothing new starts, what runs finishes.
    Cancelling { in_flight: usize },
}
