//! The flag groups, each declared once and flattened (`#[command(flatten)]`) into every command
//! that takes it, so a flag has one name, one help text, one default (from the library's
//! constants) and one parser everywhere:
//!
//! - [`ConfigArgs`]: `--var`, `--var-file` (every command that loads a configuration);
//! - [`StateArgs`]: `--state` and [`LockArgs`]: `--lock`, `--lock-timeout` (every command that
//!   reads the state, and those that lock it);
//! - [`ConnectionArgs`]: `--sandbox`, `--parallelism`, `--rate-limit` (every command that calls
//!   the API);
//! - [`TargetArgs`]: `--target` (every command that plans);
//! - [`ApplyArgs`]: `--auto-approve`, `--wait-timeout`; with all the above, [`ChangeArgs`]
//!   (`apply`, `destroy`).
//!
//! Durations have one syntax everywhere: [`parse_duration`] (`30s`, `5m`, `1h30m`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::env;
use crate::config::Inputs;
use crate::ids::Address;
use crate::ops;
use crate::ops::connect::Connect;
use crate::ops::lock::Locking;
use crate::ops::plan::{Given, Variables};
use crate::state;

/// `--var` and `--var-file`, for every command that loads a configuration.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// Set a variable: `--var name=value` (repeatable; later `--var`/`--var-file` win, and both
    /// win over SGFORM_VAR_* and defaults).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = ordered)]
    pub vars: Vec<Ordered>,
    /// Read variables from an HCL file of `name = value` lines (repeatable).
    #[arg(long = "var-file", value_name = "FILE", value_parser = ordered)]
    pub var_files: Vec<Ordered>,
}

/// A command-line value with its position, so `--var` and `--var-file` apply in the order they
/// were given, as Terraform applies them (clap keeps each flag's values in separate lists).
#[derive(Debug, Clone)]
pub struct Ordered {
    pub position: usize,
    pub value: String,
}

static POSITION: AtomicUsize = AtomicUsize::new(0);

/// clap parses arguments left to right, so a counter bumped here records their order.
fn ordered(value: &str) -> Result<Ordered, String> {
    Ok(Ordered {
        position: POSITION.fetch_add(1, Ordering::Relaxed),
        value: value.to_owned(),
    })
}

impl ConfigArgs {
    /// The variables as given: the environment's `SGFORM_VAR_*`, then `--var-file` and `--var`
    /// in command-line order.
    pub fn variables(&self) -> Variables {
        let mut given: Vec<(usize, Given)> = self
            .var_files
            .iter()
            .map(|f| (f.position, Given::File(PathBuf::from(&f.value))))
            .chain(
                self.vars
                    .iter()
                    .map(|v| (v.position, Given::Var(v.value.clone()))),
            )
            .collect();
        given.sort_by_key(|(position, _)| *position);
        Variables {
            env: env::with_prefix(env::SGFORM_VAR_PREFIX),
            given: given.into_iter().map(|(_, g)| g).collect(),
        }
    }

    /// The loader's inputs: [`ConfigArgs::variables`] with the files read.
    pub fn inputs(&self) -> anyhow::Result<Inputs> {
        Ok(self.variables().inputs()?)
    }
}

/// `--state`: where the state lives, for every command that reads or writes it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StateArgs {
    /// The state file (default: `sgform.state.json` in the configuration directory;
    /// `.sgform/sandbox.state.json` there when the command runs on the sandbox).
    #[arg(long = "state", value_name = "PATH")]
    pub state: Option<PathBuf>,
}

impl StateArgs {
    /// The state of the configuration in `dir`, unless `--state` names another: the sandbox's
    /// own when its providers name a sandbox world.
    pub fn location(&self, dir: &Path) -> anyhow::Result<state::Location> {
        self.location_with(dir, None)
    }

    /// [`StateArgs::location`] for a command that only reads the state (`state list|show`,
    /// `show DIR`): an explicit `--state PATH` that does not exist is an error naming it (a
    /// typo must not read as "nothing is managed"), while a missing default state is the empty
    /// state. Commands that write (`apply --state new.json`) create it and use `location`.
    pub fn location_to_read(&self, dir: &Path) -> anyhow::Result<state::Location> {
        if let Some(path) = &self.state
            && std::fs::symlink_metadata(path).is_err()
        {
            anyhow::bail!(
                "state file `{}` does not exist\n  hint: `--state` names a state to read: check the path (without `--state`, the state is `sgform.state.json` in the configuration directory, and none there means nothing is managed yet)",
                path.display()
            );
        }
        self.location(dir)
    }

    /// [`StateArgs::location`] for a command run with `--sandbox` when `sandbox` is given.
    pub fn location_with(
        &self,
        dir: &Path,
        sandbox: Option<&Path>,
    ) -> anyhow::Result<state::Location> {
        let env = crate::cli::env::environment();
        Ok(ops::connect::state_location(
            dir,
            self.state.as_deref(),
            sandbox,
            &env,
        )?)
    }
}

/// The locking flags of a command that reads or writes the state.
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// Take the state lock (`--lock=false` skips it: only when nothing else can run on this state).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub lock: bool,
    /// Wait this long for the state lock (`30s`, `2m`, `1h`, `1m30s`); without it, fail at once
    /// naming the holder.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

impl LockArgs {
    pub fn locking(&self) -> Locking {
        Locking {
            lock: self.lock,
            timeout: self.lock_timeout,
        }
    }
}

impl Default for LockArgs {
    fn default() -> Self {
        Self {
            lock: true,
            lock_timeout: None,
        }
    }
}

/// How a command reaches the API: for every command that calls it.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Run against a local emulator seeded from this world file instead of the cloud.
    #[arg(long, value_name = "FILE")]
    pub sandbox: Option<PathBuf>,
    /// API calls in flight at most.
    #[arg(long, value_name = "N", default_value_t = ops::DEFAULT_PARALLELISM, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: u32,
    /// Cap every client at N API requests per second (over any provider `rate_limit`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
}

impl ConnectionArgs {
    pub fn connect(&self) -> Connect {
        Connect {
            sandbox: self.sandbox.clone(),
            rate_limit: self.rate_limit,
        }
    }
}

impl Default for ConnectionArgs {
    fn default() -> Self {
        Self {
            sandbox: None,
            parallelism: ops::DEFAULT_PARALLELISM,
            rate_limit: None,
        }
    }
}

/// `--target`, for every command that plans.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Only this address (repeatable); an address without key matches all its instances. Not
    /// with a plan file.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
}

impl TargetArgs {
    /// The addresses, parsed.
    pub fn addresses(&self) -> anyhow::Result<Vec<Address>> {
        self.targets
            .iter()
            .map(|t| Address::parse(t).with_context(|| format!("invalid `--target {t}`")))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

/// `--auto-approve` and `--wait-timeout`, for the commands that carry out a plan.
#[derive(Debug, Clone, clap::Args)]
pub struct ApplyArgs {
    /// Carry out the plan without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How long to wait for a target in a transitional status or being created (`90s`, `10m`).
    #[arg(long, value_name = "DURATION", default_value_t = HumanDuration(ops::DEFAULT_WAIT_TIMEOUT), value_parser = parse_human_duration)]
    pub wait_timeout: HumanDuration,
}

/// The groups of every command that plans or writes the state: configuration, state, lock and
/// connection, flattened in that order.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    #[command(flatten)]
    pub vars: ConfigArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl SourceArgs {
    /// What an op starts from (`ops::Source`), for the configuration in `dir`.
    pub fn source(&self, dir: &Path) -> anyhow::Result<ops::Source> {
        Ok(ops::Source {
            dir: dir.to_path_buf(),
            variables: self.vars.variables(),
            state: self
                .state
                .location_with(dir, self.connection.sandbox.as_deref())?,
            locking: self.lock.locking(),
            connect: self.connection.connect(),
            parallelism: self.connection.parallelism,
        })
    }
}

/// The flags `apply` and `destroy` share: every group a command that changes the cloud takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub apply: ApplyArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// A duration that prints the way [`parse_duration`] reads it (`10m`, `1m30s`), so a default
/// shows in `--help` as it would be typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl std::fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
        let (m, rest) = (rest / 60_000, rest % 60_000);
        let (s, ms) = (rest / 1_000, rest % 1_000);
        for (n, unit) in [(h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
            if n > 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

fn parse_human_duration(text: &str) -> Result<HumanDuration, String> {
    parse_duration(text).map(HumanDuration)
}

/// [`parse_duration`], or a bare number of seconds (`30`), as `sgform api --timeout` took them
/// before durations had units.
pub fn parse_seconds_or_duration(text: &str) -> Result<HumanDuration, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: u64 = text
            .parse()
            .map_err(|_| format!("invalid duration `{text}`: number too large"))?;
        return Ok(HumanDuration(Duration::from_secs(seconds)));
    }
    parse_human_duration(text)
}

/// Parses a duration as Terraform writes one: one or more `<number><unit>` with units `ms`,
/// `s`, `m`, `h` (`30s`, `2m`, `1h30m`); a bare `0` is zero. A clap value parser.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("invalid duration `{text}`: {why} (e.g. `30s`, `2m`, `1h`)");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad("expected a number"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| bad("number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let per_unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "" => return Err(bad("missing unit")),
            _ => return Err(bad("unknown unit; use `ms`, `s`, `m` or `h`")),
        };
        rest = &rest[unit_len..];
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| per_unit.checked_mul(n))
            .ok_or_else(|| bad("too long"))?;
        total = total.checked_add(part).ok_or_else(|| bad("too long"))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
