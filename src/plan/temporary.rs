//! TEMPORARY, render branch only: stand-ins for the lead's `plan::plan` and the refresh, so
//! the `plan`, `show` and `graph` commands compile and run before those land. Delete this file
//! (and its `pub mod` line in `plan/mod.rs`) at merge, and point `cli::commands::plan` at the
//! real functions; the signatures here are the ones the commands call.

use std::path::PathBuf;

use crate::config::{Config, Declaration};
use crate::diag::Diagnostic;
use crate::plan::inventory::Inventory;
use crate::plan::model::{Limits, Plan, PlanOptions};
use crate::state::State;

/// Stand-in for `crate::plan::plan`: always the empty plan.
pub fn plan(
    _declarations: &[Declaration],
    _state: &State,
    _inventory: &Inventory,
    _limits: &Limits,
    _options: &PlanOptions,
) -> (Plan, Vec<Diagnostic>) {
    (Plan::default(), vec![])
}

/// What the refresh is asked to do.
#[derive(Debug, Clone, Default)]
pub struct RefreshOptions {
    /// `--parallelism`: calls in flight at most.
    pub parallelism: usize,
    /// `--sandbox FILE`: run against the embedded emulator seeded from this world.
    pub sandbox: Option<PathBuf>,
}

/// What the refresh cost, for the stderr line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    pub targets: usize,
    pub groups: usize,
    pub api_calls: u64,
    /// Set when the sandbox served the calls (the one-line notice names it).
    pub sandbox: Option<PathBuf>,
}

/// Stand-in for the refresh: reads nothing; every data source finds nothing.
pub async fn refresh(
    config: &Config,
    _state: &State,
    options: &RefreshOptions,
) -> anyhow::Result<(Inventory, RefreshReport)> {
    let mut inventory = Inventory::default();
    for request in config.data_requests() {
        inventory
            .data
            .insert(request.kind, request.name.clone(), Vec::new());
    }
    Ok((
        inventory,
        RefreshReport {
            sandbox: options.sandbox.clone(),
            ..RefreshReport::default()
        },
    ))
}
