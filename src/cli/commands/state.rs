//! `sgform state list|show|rm|pull|push`: read, edit or move the state without touching the cloud.
//!
//! - `state list` prints one line per managed membership, `ADDRESS<TAB>SG/TARGET`, sorted.
//! - `state show ADDR` prints the entries of one address (or of every instance of a block).
//! - `state rm ADDR...` forgets entries: under the state lock, all or nothing (an address that
//!   matches nothing is an error and nothing is removed), written atomically with a backup.
//! - `state pull` and `state push FILE` move the state document (`transfer`).
//!
//! `list` and `show` print an ID that holds the value of a sensitive variable of the
//! configuration in DIR as plans do, `(sensitive value)` ([`Sensitive`]).
//!
//! Each is argument parsing, one op of `ops::state`, and the rendering of its result.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::args::{ConfigArgs, LockArgs, StateArgs};
use crate::cli::{env, notice, printer};
use crate::ids::Address;
use crate::ops;

mod masked;
mod transfer;
pub use masked::Sensitive;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the managed memberships: one `ADDRESS<TAB>SG/TARGET` line each, sorted.
    List(ListArgs),
    /// Show the state entries of an address.
    Show(ShowArgs),
    /// Forget addresses (sgform stops managing them; the cloud is not touched).
    Rm(RmArgs),
    /// Print the state document as JSON on stdout.
    Pull(transfer::PullArgs),
    /// Write a state file into the configured state (another lineage or an older serial is
    /// refused without `--force`).
    Push(transfer::PushArgs),
    /// Take the state lock and hold it until stdin closes (for tests and maintenance scripts).
    #[command(hide = true)]
    HoldLock(HoldArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The address, e.g. `membership.web["i-bp1…"]`; without a key, every instance of the block.
    pub address: String,
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, clap::Args)]
#[command(override_usage = "sgform state rm [OPTIONS] <ADDR>... [DIR]")]
pub struct RmArgs {
    /// The addresses to forget (without a key: every instance of the block), then optionally
    /// the configuration directory: a last argument that is not an address is the DIR (write
    /// `./a.b` for a directory whose name looks like an address).
    #[arg(required = true, num_args = 1.., value_name = "ADDR")]
    pub args: Vec<String>,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print what would be removed, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct HoldArgs {
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::List(args) => list(&args),
        Command::Show(args) => show(&args),
        Command::Rm(args) => rm(&args),
        Command::Pull(args) => transfer::pull(&args),
        Command::Push(args) => transfer::push(&args),
        Command::HoldLock(args) => hold_lock(&args),
    }
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let state = ops::state::list(&args.state.location(&args.dir))?;
    let sensitive = Sensitive::of(&args.dir, &args.config)?;
    let text: String = state
        .memberships
        .iter()
        .map(|m| format!("{}\n", masked::line(m, &sensitive)))
        .collect();
    printer::data(&printer::safe_lines(&text))?;
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let location = args.state.location(&args.dir);
    let query = parse_address(&args.address)?;
    let entries = ops::state::show(&location, &query)?;
    let sensitive = Sensitive::of(&args.dir, &args.config)?;
    let text = masked::entries(&entries, &sensitive);
    printer::data(&printer::safe_lines(&text))?;
    Ok(ExitCode::SUCCESS)
}

impl RmArgs {
    /// The addresses and the directory.
    fn split(&self) -> anyhow::Result<(Vec<Address>, PathBuf)> {
        let (addresses, dir) = match self.args.split_last() {
            Some((last, rest)) if !rest.is_empty() && Address::parse(last).is_err() => {
                (rest, PathBuf::from(last))
            }
            _ => (&self.args[..], PathBuf::from(".")),
        };
        let addresses = addresses
            .iter()
            .map(|a| parse_address(a))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((addresses, dir))
    }
}

fn rm(args: &RmArgs) -> anyhow::Result<ExitCode> {
    let (queries, dir) = args.split()?;
    let request = ops::state::Remove {
        location: args.state.location(&dir),
        locking: args.lock.locking(),
        queries,
        dry_run: args.dry_run,
    };
    let removed = ops::state::remove(&request, &env::environment(), &mut notice::show)?;
    let verb = if args.dry_run {
        "Would remove"
    } else {
        "Removed"
    };
    let mut text: String = removed
        .entries
        .iter()
        .map(|m| {
            format!(
                "{verb} {} ({}/{})\n",
                m.address, m.security_group_id, m.target
            )
        })
        .collect();
    if let Some(serial) = removed.serial {
        text.push_str(&format!(
            "Successfully removed {} from the state (serial {serial}); the cloud was not changed.\n",
            crate::plan::render::text::count(removed.entries.len(), "membership", "memberships"),
        ));
    }
    // Report what was written before unlocking: the write stands even if the unlock fails.
    printer::data(&text)?;
    if let Some(guard) = removed.lock {
        guard.unlock()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn hold_lock(args: &HoldArgs) -> anyhow::Result<ExitCode> {
    let guard = ops::state::hold_lock(
        &args.state.location(&args.dir),
        args.lock.locking(),
        &env::environment(),
        &mut notice::show,
    )?;
    let info = serde_json::to_string(guard.info()).context("failed to print the lock info")?;
    printer::data(&format!("{info}\n"))?;
    // Hold until stdin reaches its end (the parent closes it, or the process is killed).
    std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink())
        .context("failed to read stdin")?;
    guard.unlock()?;
    Ok(ExitCode::SUCCESS)
}

fn parse_address(raw: &str) -> anyhow::Result<Address> {
    Address::parse(raw).with_context(|| format!("invalid address `{raw}`"))
}
