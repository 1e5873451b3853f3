//! `plan` (and `graph`, which plans the same way): load the configuration and the state,
//! refresh what they name, plan. The refresh → limits → plan pipeline is
//! [`refresh_and_plan`], the one place it is written; `apply`, the tests and the benches call
//! it too.

use std::path::{Path, PathBuf};

use super::connect;
use super::{Context as _, Environment, Error, Notice, Notify, Result, Source};
use crate::config::{self, Config, Declaration, Inputs, VarSource};
use crate::diag::{self, Diagnostic};
use crate::plan::planfile;
use crate::plan::refresh::{self, Clients, RefreshStats};
use crate::plan::{Inventory, Limits, Plan, PlanOptions};
use crate::state::{Backend, LockGuard, State};

/// The variable inputs as given: the environment's `SGFORM_VAR_*` (read by the caller), then
/// `--var` and `--var-file` in command-line order (the files are read by the op).
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// `SGFORM_VAR_name` values, name without the prefix.
    pub env: Vec<(String, String)>,
    /// `--var` and `--var-file`, in the order given (later wins).
    pub given: Vec<Given>,
}

/// The largest `--var-file` read (16 MiB): a variable file is a few lines, and a device or a
/// pipe such as `/dev/zero` must not be read until memory runs out.
pub const VAR_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// One `--var` or `--var-file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    /// `--var name=value`, as typed.
    Var(String),
    /// `--var-file FILE`.
    File(PathBuf),
}

impl Variables {
    /// The loader's inputs: the variable files read, each `--var` parsed.
    pub fn inputs(&self) -> Result<Inputs> {
        let mut sources = Vec::with_capacity(self.given.len());
        for given in &self.given {
            sources.push(match given {
                Given::File(path) => {
                    let text = crate::fsutil::read_to_string_capped(path, VAR_FILE_LIMIT)
                        .with_context(|| {
                            format!("failed to read variable file `{}`", path.display())
                        })?;
                    VarSource::File {
                        path: path.clone(),
                        text,
                    }
                }
                Given::Var(text) => Inputs::parse_var(text).map_err(Error::Refused)?,
            });
        }
        Ok(Inputs {
            env: self.env.clone(),
            sources,
            ..Inputs::default()
        })
    }
}

/// A plan to make: `sgform plan`, `sgform graph`.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: Source,
    pub options: PlanOptions,
}

/// One run of the stages that make a plan, kept whole even when they found errors, so that a
/// renderer can show why a plan failed.
pub struct Attempt {
    pub config: Config,
    /// Every stage's diagnostics, in the order they are shown: the loader's, the refresh's,
    /// the planner's (its checks over the finished plan last).
    pub diagnostics: Vec<Diagnostic>,
    /// The state and the plan; `None` when the configuration did not load.
    pub planned: Option<(State, Plan)>,
    /// The state lock, held until this is dropped (`None` with `--lock=false`).
    pub lock: Option<LockGuard>,
    /// What the plan was made from besides the configuration and the state (with the plan).
    pub recorded: Option<Recorded>,
}

/// What a plan file records of a plan's inputs besides the configuration and the state.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Everything the refresh read.
    pub inventory: Inventory,
    pub options: PlanOptions,
    /// What the clients talked to.
    pub connection: planfile::Connection,
}

/// A plan without errors and what it was made from.
pub struct Planned {
    pub config: Config,
    pub state: State,
    pub plan: Plan,
    /// The warnings of every stage.
    pub diagnostics: Vec<Diagnostic>,
    pub recorded: Recorded,
}

impl Attempt {
    /// Whether any stage found an error (then there is no plan to apply or save).
    pub fn has_errors(&self) -> bool {
        diag::has_errors(&self.diagnostics)
    }

    /// The plan, unless there was an error.
    pub fn into_planned(self) -> Option<Planned> {
        if self.has_errors() {
            return None;
        }
        let (state, plan) = self.planned?;
        Some(Planned {
            config: self.config,
            state,
            plan,
            diagnostics: self.diagnostics,
            recorded: self.recorded?,
        })
    }
}

/// `sgform plan`: lock (the lock keeps an apply from changing the state while it is read),
/// load, connect, refresh and plan. Stops after loading when the configuration has errors.
pub async fn plan(
    request: &Request,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<Attempt> {
    let source = &request.source;
    let (backend, lock) = source.lock("plan", env, notify)?;
    let (config, diagnostics) = load_config(&source.dir, &source.variables)?;
    if diag::has_errors(&diagnostics) {
        return Ok(Attempt {
            config,
            diagnostics,
            planned: None,
            lock,
            recorded: None,
        });
    }
    let state = backend.load()?;
    let loaded = Loaded {
        config,
        diagnostics,
        state,
    };
    let connection = connect::connect(&loaded.config, &source.connect, env, notify).await?;
    let attempt = attempt_with(
        &connection.clients,
        loaded,
        source.parallelism,
        &request.options,
        notify,
    )
    .await;
    let attempt = attempt.map(|mut attempt| {
        if let Some(recorded) = &mut attempt.recorded {
            recorded.connection = connection_record(&attempt.config, &source.connect, &connection);
        }
        attempt
    });
    connection.shutdown().await?;
    Ok(Attempt { lock, ..attempt? })
}

/// The configuration and state a plan starts from, with the loader's diagnostics (no errors).
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
    pub state: State,
}

/// The configuration in `dir`, and the loader's diagnostics.
pub fn load_config(dir: &Path, variables: &Variables) -> Result<(Config, Vec<Diagnostic>)> {
    let inputs = variables.inputs()?;
    Ok(config::load(dir, &inputs)?)
}

/// The configuration in `dir` and the state in `backend`; `Err` with the configuration and its
/// diagnostics when it has errors (the state is then not read).
pub fn load(
    dir: &Path,
    variables: &Variables,
    backend: &dyn Backend,
) -> Result<std::result::Result<Loaded, (Config, Vec<Diagnostic>)>> {
    let (config, diagnostics) = load_config(dir, variables)?;
    if diag::has_errors(&diagnostics) {
        return Ok(Err((config, diagnostics)));
    }
    let state = backend.load()?;
    Ok(Ok(Loaded {
        config,
        diagnostics,
        state,
    }))
}

/// Refreshes through `clients` and plans (the refresh's figures reported as
/// [`Notice::Refreshed`]), keeping every diagnostic in the [`Attempt`].
pub async fn attempt_with(
    clients: &Clients,
    loaded: Loaded,
    parallelism: u32,
    options: &PlanOptions,
    notify: &mut Notify<'_>,
) -> Result<Attempt> {
    let Loaded {
        config,
        mut diagnostics,
        state,
    } = loaded;
    let run = refresh_and_plan(clients, &config, &state, parallelism as usize, options).await?;
    notify(Notice::Refreshed(&run.stats));
    diagnostics.extend(run.diagnostics);
    let recorded = Recorded {
        inventory: run.inventory,
        options: options.clone(),
        // Filled in by the caller, which has the connection.
        connection: planfile::Connection::default(),
    };
    Ok(Attempt {
        config,
        diagnostics,
        planned: Some((state, run.plan)),
        lock: None,
        recorded: Some(recorded),
    })
}

/// What [`refresh_and_plan`] made.
#[derive(Debug)]
pub struct PlanRun {
    pub plan: Plan,
    /// The refresh's diagnostics, then the planner's (its checks over the plan last).
    pub diagnostics: Vec<Diagnostic>,
    /// What the refresh read and what it cost.
    pub stats: RefreshStats,
    /// The facts the plan was made from.
    pub inventory: Inventory,
    /// The declarations, expanded with the data sources' results, sorted by address.
    pub declarations: Vec<Declaration>,
}

/// The pipeline of every plan: refresh through `clients`, the limits of `config`'s providers,
/// then the pure planner.
pub async fn refresh_and_plan(
    clients: &Clients,
    config: &Config,
    state: &State,
    parallelism: usize,
    options: &PlanOptions,
) -> Result<PlanRun, refresh::Error> {
    let refreshed = refresh::refresh(clients, config, state, parallelism).await?;
    let mut diagnostics = refreshed.diagnostics;
    if !options.destroy && !options.refresh_only {
        diagnostics.extend(refreshed.empty_feeds);
        crate::diag::sort(&mut diagnostics);
    }
    let limits = Limits::from_providers(config.providers());
    let (plan, plan_diags) = crate::plan::plan(
        &refreshed.declarations,
        state,
        &refreshed.inventory,
        &limits,
        options,
    );
    diagnostics.extend(plan_diags);
    Ok(PlanRun {
        plan,
        diagnostics,
        stats: refreshed.stats,
        inventory: refreshed.inventory,
        declarations: refreshed.declarations,
    })
}

pub(super) mod file;

pub use file::{
    PLAN_FILE_LIMIT, Saved, check_out, config_digest, connection_record, locate, plan_file,
    read_saved, rederive, save, variables_of,
};

#[cfg(test)]
mod tests;
