//! `plan` (and `graph`, which plans the same way): load the configuration and the state,
//! refresh what they name, plan. The refresh → limits → plan pipeline is
//! [`refresh_and_plan`], the one place it is written; `apply`, the tests and the benches call
//! it too.

use std::path::{Path, PathBuf};

use super::connect;
use super::{Context as _, Environment, Error, Notice, Notify, Result, Source};
use crate::config::{self, Config, Declaration, Inputs, VarSource};
use crate::diag::{self, Diagnostic};
use crate::fsutil::{self, Mode, OWNER_ONLY};
use crate::plan::planfile::{ConfigDigest, PlanFile};
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
                    let text = std::fs::read_to_string(path).with_context(|| {
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
}

/// A plan without errors and what it was made from.
pub struct Planned {
    pub config: Config,
    pub state: State,
    pub plan: Plan,
    /// The warnings of every stage.
    pub diagnostics: Vec<Diagnostic>,
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
    Ok(Attempt {
        config,
        diagnostics,
        planned: Some((state, run.plan)),
        lock: None,
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

/// The digest of the configuration's own `*.hcl` files (not variable files given elsewhere),
/// by name relative to the configuration directory.
pub fn config_digest(config: &Config) -> ConfigDigest {
    let dir = config.dir();
    let files: Vec<(String, &str)> = config
        .sources()
        .files()
        .filter(|(_, f)| f.path.extension().is_some_and(|e| e == "hcl"))
        .filter_map(|(_, f)| {
            let parent = f.path.parent().unwrap_or(Path::new(""));
            let in_dir = parent == dir || (parent.as_os_str().is_empty() && dir == Path::new("."));
            let name = f.path.file_name()?.to_string_lossy().into_owned();
            in_dir.then_some((name, f.text.as_str()))
        })
        .collect();
    ConfigDigest::of(files.iter().map(|(p, t)| (p.as_str(), *t)))
}

/// The saved form of `planned`.
pub fn plan_file(planned: &Planned) -> PlanFile {
    let variables = planned
        .config
        .variables()
        .values()
        .map(|v| (v.name.as_str(), v.display_value(), v.sensitive));
    PlanFile::new(
        planned.plan.clone(),
        config_digest(&planned.config),
        variables,
        &planned.state,
    )
}

/// Saves `planned` to `out` (`sgform plan --out`): written whole or not at all, owner-only
/// (`fsutil::write_atomic`), through a symbolic link to its target.
pub fn save(planned: &Planned, out: &Path) -> Result<()> {
    let bytes = plan_file(planned).to_bytes();
    fsutil::write_atomic(out, &bytes, Mode::Exactly(OWNER_ONLY))
        .with_context(|| format!("failed to write plan file `{}`", out.display()))
}

/// A plan file read back, with the planner's checks over its plan.
pub struct Saved {
    pub file: PlanFile,
    /// [`crate::plan::check`] over the saved plan.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the plan file at `path` (`sgform show`, `sgform apply FILE`).
pub fn read_saved(path: &Path) -> Result<Saved> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("failed to read plan file `{}`", path.display()))?;
    let file = PlanFile::from_bytes(path, &bytes)?;
    let options = PlanOptions {
        destroy: file.plan.destroy,
        ..PlanOptions::default()
    };
    let diagnostics = crate::plan::check(&file.plan, &options);
    Ok(Saved { file, diagnostics })
}

#[cfg(test)]
mod tests;
