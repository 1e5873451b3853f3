//! The operations every front end runs: `plan`, `apply`, `destroy`, `import`, `generate` and
//! the state commands, as functions over typed requests (plain structs) that return values for
//! the caller to render. The CLI is one such caller: it parses arguments into a request, runs
//! one op and renders its result; tests and benches call the same ops.
//!
//! **Architecture Invariant:** ops never print and never read the process environment: what
//! they would say while they run is reported through a callback as a [`Notice`], and what they
//! need from the environment comes in as values.

use std::time::Duration;

/// API calls in flight at most, unless `--parallelism` says otherwise (refresh, apply, import,
/// generate).
pub const DEFAULT_PARALLELISM: u32 = 10;

/// How long apply waits for a target in a transitional status or being created, unless
/// `--wait-timeout` says otherwise.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// How long `sgform api` waits for each attempt's answer, unless `--timeout` says otherwise.
pub const DEFAULT_API_TIMEOUT: Duration = Duration::from_secs(30);
