//! `sgform plan [DIR]`: load the configuration and the state, refresh what they name from the
//! cloud, plan, and show the plan (`--format text|json|markdown`, `--json` for short) on
//! stdout; `--out FILE` saves it for `apply` and `show`.
//!
//! Exit codes as Terraform's: 0 success, 1 error (any error diagnostic), 2 with
//! `--detailed-exitcode` when the plan changes something (and 2 for a usage error, as clap's).
//! Diagnostics, the refresh cost and the time go to stderr; with `--format markdown` the
//! diagnostics are in the Markdown on stdout too, errors included, so a CI job can post why a
//! plan failed.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::args::{ConfigArgs, ConnectionArgs, LockArgs, StateArgs, TargetArgs};
use crate::cli::printer;
use crate::cli::sandbox;
use crate::config::{self, Config};
use crate::diag;
use crate::ids::Address;
use crate::plan::planfile::{ConfigDigest, PlanFile};
use crate::plan::refresh::{self, RefreshStats};
use crate::plan::render::{self, TextOptions};
use crate::plan::{Limits, Plan, PlanOptions};
use crate::state::{self, Backend, State};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Save the plan to FILE, for `sgform apply FILE` and `sgform show FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: FormatArgs,
    /// Exit 2 when the plan changes something (0: no changes, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub vars: ConfigArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// No joins or leaves: only bring the state in line with the cloud.
    #[arg(long)]
    pub refresh_only: bool,
    /// Plan to destroy: leave every membership the state manages (within `--target`), in a
    /// legal order; nothing joins and nothing is adopted. What `sgform destroy` runs; save it
    /// with `--out` and apply it with `sgform apply FILE`.
    #[arg(long, conflicts_with = "refresh_only")]
    pub destroy: bool,
    /// Add the API calls in execution order, with their parameters and what each waits for.
    #[arg(long)]
    pub verbose: bool,
}

/// A plan and what it was made from.
pub(crate) struct Planned {
    pub config: Config,
    pub state: State,
    pub plan: Plan,
    /// The warnings of every stage (a plan with errors is not `Planned`).
    pub diags: Vec<diag::Diagnostic>,
}

/// One run of the stages that make a plan, kept whole even when they found errors, so that
/// `--format markdown` can show them (text and JSON show errors on stderr only).
pub(crate) struct Attempt {
    pub config: Config,
    /// Every stage's diagnostics, in the order they are printed: the loader's, the refresh's,
    /// the planner's.
    pub diags: Vec<diag::Diagnostic>,
    /// The state and the plan; `None` when the configuration did not load.
    pub planned: Option<(State, Plan)>,
}

impl Attempt {
    /// Prints the diagnostics on stderr.
    pub fn print_diagnostics(&self) {
        printer::diagnostics(&self.diags, self.config.sources());
    }

    /// The plan, unless there was an error.
    pub fn into_planned(self) -> Option<Planned> {
        if diag::has_errors(&self.diags) {
            return None;
        }
        let (state, plan) = self.planned?;
        Some(Planned {
            config: self.config,
            state,
            plan,
            diags: self.diags,
        })
    }

    /// Prints the diagnostics; the plan unless there was an error.
    pub fn checked(self) -> Option<Planned> {
        self.print_diagnostics();
        self.into_planned()
    }

    /// The Markdown of the run, errors first; an empty plan when the configuration did not
    /// load.
    pub fn markdown(&self) -> String {
        let empty = Plan::default();
        let plan = self.planned.as_ref().map_or(&empty, |(_, plan)| plan);
        render::markdown::render(
            plan,
            Some(render::markdown::Diagnostics {
                list: &self.diags,
                sources: self.config.sources(),
            }),
        )
    }
}

/// Load, refresh and plan. Diagnostics are printed here; `None` when any is an error (the
/// command exits 1, and nothing is planned or saved).
pub(crate) fn make_plan(
    dir: &Path,
    vars: &ConfigArgs,
    backend: &dyn Backend,
    connection: &ConnectionArgs,
    options: &PlanOptions,
) -> anyhow::Result<Option<Planned>> {
    Ok(attempt(dir, vars, backend, connection, options)?.checked())
}

/// Load, refresh and plan, printing nothing but the refresh report: the diagnostics stay in
/// the [`Attempt`]. Stops after loading when the configuration has errors.
pub(crate) fn attempt(
    dir: &Path,
    vars: &ConfigArgs,
    backend: &dyn Backend,
    connection: &ConnectionArgs,
    options: &PlanOptions,
) -> anyhow::Result<Attempt> {
    let (config, diags) = load_config(dir, vars)?;
    if diag::has_errors(&diags) {
        return Ok(Attempt {
            config,
            diags,
            planned: None,
        });
    }
    let state = backend.load()?;
    let loaded = Loaded {
        config,
        diags,
        state,
    };
    crate::cli::runtime()?.block_on(async {
        let connected = sandbox::connect_with(
            &loaded.config,
            connection.sandbox.as_deref(),
            connection.rate_limit,
        )
        .await?;
        let attempt =
            attempt_with(&connected.clients, loaded, connection.parallelism, options).await;
        connected.shutdown().await?;
        attempt
    })
}

/// The configuration and state a plan starts from, with the loader's diagnostics (no errors).
pub(crate) struct Loaded {
    pub config: Config,
    pub diags: Vec<diag::Diagnostic>,
    pub state: State,
}

/// Loads the configuration and the state; `None` (diagnostics printed) on configuration errors.
pub(crate) fn load(
    dir: &Path,
    vars: &ConfigArgs,
    backend: &dyn Backend,
) -> anyhow::Result<Option<Loaded>> {
    let (config, diags) = load_config(dir, vars)?;
    if diag::has_errors(&diags) {
        printer::diagnostics(&diags, config.sources());
        return Ok(None);
    }
    let state = backend.load()?;
    Ok(Some(Loaded {
        config,
        diags,
        state,
    }))
}

/// The configuration in `dir` with `vars`, and the loader's diagnostics.
fn load_config(dir: &Path, vars: &ConfigArgs) -> anyhow::Result<(Config, Vec<diag::Diagnostic>)> {
    let inputs = vars.inputs()?;
    Ok(config::load(dir, &inputs)?)
}

/// Refreshes through `clients` and plans; diagnostics are printed here, `None` on errors.
pub(crate) async fn plan_with(
    clients: &refresh::Clients,
    loaded: Loaded,
    parallelism: u32,
    options: &PlanOptions,
) -> anyhow::Result<Option<Planned>> {
    Ok(attempt_with(clients, loaded, parallelism, options)
        .await?
        .checked())
}

/// Refreshes through `clients` and plans, keeping the diagnostics in the [`Attempt`].
async fn attempt_with(
    clients: &refresh::Clients,
    loaded: Loaded,
    parallelism: u32,
    options: &PlanOptions,
) -> anyhow::Result<Attempt> {
    let Loaded {
        config,
        mut diags,
        state,
    } = loaded;
    let refreshed = refresh::refresh(clients, &config, &state, parallelism as usize).await?;
    report(&refreshed.stats);
    let declarations = refreshed.declarations;
    diags.extend(refreshed.diagnostics);
    let inventory = refreshed.inventory;
    let limits = Limits::from_providers(config.providers());
    let (plan, plan_diags) = crate::plan::plan(&declarations, &state, &inventory, &limits, options);
    diags.extend(plan_diags);
    diags.extend(unmatched_targets(&options.targets, &plan));
    Ok(Attempt {
        config,
        diags,
        planned: Some((state, plan)),
    })
}

/// A warning for each `--target` that selects nothing, so a mistyped address does not pass for
/// "No changes". The plan's `resource_changes` hold every address in scope (declarations and
/// state entries), so a target that selects none of them selected nothing; the rule is the
/// planner's (`plan::diff::selected`): without a key, an address selects all its instances.
fn unmatched_targets(targets: &[Address], plan: &Plan) -> Vec<diag::Diagnostic> {
    targets
        .iter()
        .filter(|t| {
            !plan.resource_changes.iter().any(|c| {
                let a = &c.address;
                a.kind == t.kind && a.name == t.name && (t.key.is_none() || t.key == a.key)
            })
        })
        .map(|t| {
            diag::Diagnostic::warning(format!(
                "`--target {t}` selects nothing in the configuration or the state"
            ))
            .with_hint(
                "check the address: `sgform plan --json` lists every address under `resource_changes`",
            )
        })
        .collect()
}

/// The stderr line after the refresh: what it read, how many calls it made, how long it took.
fn report(stats: &RefreshStats) {
    let n = render::text::thousands;
    let retries = match stats.retries {
        0 => String::new(),
        1 => " (1 retry)".to_owned(),
        r => format!(" ({} retries)", n(r as usize)),
    };
    printer::status(&format!(
        "Refreshed {} targets and {} groups with {} API calls{retries} in {:.2} s",
        n(stats.targets),
        n(stats.groups),
        n(stats.calls as usize),
        stats.elapsed.as_secs_f64()
    ));
}

/// The digest of the configuration's own `*.hcl` files (not variable files given elsewhere),
/// by name relative to the configuration directory.
pub(crate) fn config_digest(config: &Config) -> ConfigDigest {
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
pub(crate) fn plan_file(planned: &Planned) -> PlanFile {
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

/// The plan as `plan` and `show` print it, in text or JSON.
pub(crate) fn rendered(plan: &Plan, json: bool, verbose: bool) -> String {
    let format = if json { Format::Json } else { Format::Text };
    rendered_as(plan, format, verbose, None)
}

/// The plan in `format`; `diagnostics` (the run's, with their sources) only show in Markdown.
pub(crate) fn rendered_as(
    plan: &Plan,
    format: Format,
    verbose: bool,
    diagnostics: Option<render::markdown::Diagnostics<'_>>,
) -> String {
    match format {
        Format::Json => render::json::render_string(plan),
        Format::Markdown => render::markdown::render(plan, diagnostics),
        Format::Text => {
            let color = printer::color() && std::io::stdout().is_terminal();
            render::text::render(plan, TextOptions { verbose, color })
        }
    }
}

/// How `plan` and `show` print a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The preview a reviewer reads in a terminal.
    Text,
    /// Terraform's plan JSON where it fits, with sgform's API calls, for policy tools.
    Json,
    /// GitHub-flavoured Markdown for a pull-request comment: a summary table, the errors and
    /// warnings, and the calls of each target in collapsible sections; safe to post publicly.
    Markdown,
}

/// `--format` and its short form `--json`, for `plan` and `show`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FormatArgs {
    /// How to print the plan: `text`, `json` (Terraform's plan JSON where it fits) or `markdown`
    /// (a pull-request comment; `--verbose` only changes the text) [default: text].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Short for `--format json`.
    #[arg(long)]
    pub json: bool,
}

impl FormatArgs {
    /// The format asked for; `--json` with a `--format` other than `json` is a usage error,
    /// returned as its message.
    pub fn format(&self) -> Result<Format, String> {
        match (self.json, self.format) {
            (false, format) => Ok(format.unwrap_or(Format::Text)),
            (true, None | Some(Format::Json)) => Ok(Format::Json),
            (true, Some(other)) => Err(format!(
                "`--json` is short for `--format json` and conflicts with `--format {}`; give one of them",
                clap::ValueEnum::to_possible_value(&other)
                    .map_or_else(String::new, |v| v.get_name().to_owned())
            )),
        }
    }
}

/// Prints `message` as a usage error of `sgform SUBCOMMAND`, the way clap prints its own
/// (with the usage line), and returns clap's exit code for it (2).
pub(crate) fn usage_error(subcommand: &str, message: &str) -> ExitCode {
    use clap::CommandFactory as _;
    let mut cli = crate::cli::Cli::command();
    cli.build();
    let kind = clap::error::ErrorKind::ArgumentConflict;
    let err = match cli.find_subcommand_mut(subcommand) {
        Some(command) => command.error(kind, message),
        None => cli.error(kind, message),
    };
    let _ = err.print();
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = match args.output.format() {
        Ok(format) => format,
        Err(message) => return Ok(usage_error("plan", &message)),
    };
    let options = PlanOptions {
        targets: args.targets.addresses()?,
        refresh_only: args.refresh_only,
        destroy: args.destroy,
    };
    // As Terraform's plan: the lock keeps an apply from changing the state while we read it.
    let backend = state::open(&args.state.location(&args.dir));
    let _lock = crate::cli::lock::acquire(&backend, "plan", &args.lock)?;
    let attempt = attempt(&args.dir, &args.vars, &backend, &args.connection, &options)?;
    attempt.print_diagnostics();
    if format == Format::Markdown && diag::has_errors(&attempt.diags) {
        // The comment says why the plan failed; nothing is saved.
        printer::data(&attempt.markdown())?;
    }
    let Some(planned) = attempt.into_planned() else {
        return Ok(ExitCode::FAILURE);
    };
    if let Some(out) = &args.out {
        std::fs::write(out, plan_file(&planned).to_bytes())
            .with_context(|| format!("failed to write plan file `{}`", out.display()))?;
    }
    let diagnostics = render::markdown::Diagnostics {
        list: &planned.diags,
        sources: planned.config.sources(),
    };
    printer::data(&rendered_as(
        &planned.plan,
        format,
        args.verbose,
        Some(diagnostics),
    ))?;
    // On stderr, so that stdout is the plan alone and `sgform show FILE` prints the same bytes.
    if let Some(out) = &args.out {
        printer::status(&format!(
            "Saved the plan to `{}`; `sgform show {}` shows it again.",
            out.display(),
            out.display()
        ));
    }
    Ok(exit_code(&planned.plan, args.detailed_exitcode))
}

/// 0, or 2 with `--detailed-exitcode` when the plan changes something.
pub(crate) fn exit_code(plan: &Plan, detailed: bool) -> ExitCode {
    if detailed && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests;
