//! The command line: argument parsing (clap), wiring the library together, terminal output and
//! exit codes. This is the only module that prints or reads the environment (see the `env` submodule).
//!
//! Exit codes ([`exit`]): 0 success, 1 error (usage errors included: clap's own 2 would read as
//! "changes present" to a CI script), 2 "changes present" only under `--detailed-exitcode`, and
//! 128 + the signal's number when an apply or destroy was cancelled by SIGHUP, SIGINT or SIGTERM.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

pub mod args;
pub mod argv;
pub mod commands;
pub mod env;
pub mod notice;
pub mod printer;
pub mod progress;

/// `sgform --version`: the crate version and the git commit it was built from (`build.rs`;
/// `unknown` when built outside a git checkout).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SGFORM_GIT_COMMIT"),
    ")"
);

/// Manage Alibaba Cloud ECS security-group membership the way Terraform manages infrastructure.
#[derive(Debug, Parser)]
#[command(name = "sgform", version = VERSION, about, long_about = None, after_help = after_help())]
pub struct Cli {
    /// Disable colour in output (also honoured: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a configuration directory offline (no credentials needed).
    Validate(commands::validate::Args),
    /// Rewrite configuration files in the canonical style.
    Fmt(commands::fmt::Args),
    /// Show what apply would change: refresh, check every rule, order the API calls.
    Plan(commands::plan::Args),
    /// Show a plan file saved by `sgform plan --out FILE`, or (given a directory) the state.
    Show(commands::show::Args),
    /// Carry out a plan: make it (or read a saved one), confirm, call the API, save the state.
    Apply(commands::apply::Args),
    /// Leave every membership the state manages (a destroy plan, confirmed, then applied).
    Destroy(commands::destroy::Args),
    /// Adopt an existing membership (`sg-…/i-…`, `sg-…/eni-…`) into the state under ADDR.
    Import(commands::import::Args),
    /// Print the planned API calls and their order as a Graphviz DOT graph.
    Graph(commands::graph::Args),
    /// Write the HCL that declares the memberships that exist now (onboarding an account).
    Generate(commands::generate::Args),
    /// Read or edit the state without touching the cloud (`state list|show|rm|pull|push`).
    #[command(subcommand)]
    State(commands::state::Command),
    /// Remove a state lock whose holder is gone, by its id.
    ForceUnlock(commands::force_unlock::Args),
    /// Manage the embedded local sandbox (`sandbox reset`).
    #[command(subcommand)]
    Sandbox(commands::sandbox::Command),
    /// Sign and send one ECS API request and print the JSON response.
    Api(commands::api::Args),
    /// Run or generate worlds for the local ECS API emulator.
    #[command(subcommand)]
    Emulator(commands::emulator::Command),
    /// Print a shell completion script (`completions bash|zsh|fish`).
    Completions(commands::completions::Args),
}

/// `sgform --help`'s closing text: the exit codes, then the environment variables.
fn after_help() -> String {
    format!("{}\n\n{}", exit::HELP, env::HELP)
}

/// The exit codes, one table for every command (README "Exit codes" says the same).
pub mod exit {
    use std::process::ExitCode;

    /// A usage error or any other error: nothing was changed, or the output says what was.
    pub const ERROR: u8 = 1;
    /// `--detailed-exitcode` only: a valid plan that changes something.
    pub const CHANGES: u8 = 2;
    /// An apply or destroy cancelled by SIGHUP (128 + 1).
    pub const SIGHUP: u8 = 129;
    /// An apply or destroy cancelled by SIGINT, Ctrl-C (128 + 2).
    pub const SIGINT: u8 = 130;
    /// An apply or destroy cancelled by SIGTERM (128 + 15).
    pub const SIGTERM: u8 = 143;

    /// The table as `sgform --help` prints it.
    pub const HELP: &str = "\
Exit codes:
  0    success (with `--detailed-exitcode`: and no changes)
  1    error, usage errors included; nothing changed that the output does not report
  2    `plan --detailed-exitcode` only: a valid plan with changes
  129  apply/destroy cancelled by SIGHUP; 130 by SIGINT (Ctrl-C); 143 by SIGTERM";

    /// Prints a clap error (a usage error, or `--help`/`--version`'s text) and returns its exit
    /// code: 0 for help and version, 1 for every usage error (clap's default 2 is the code
    /// `--detailed-exitcode` gives "changes present").
    pub fn clap(err: &clap::Error) -> ExitCode {
        let _ = err.print();
        if err.use_stderr() {
            ExitCode::from(ERROR)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // Terraform's single-dash spellings (`-var`, `-out=FILE`, ...) as the double-dash flags.
    let args = argv::terraform_style(&Cli::command(), std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return exit::clap(&err),
    };
    printer::init(cli.no_color);
    env::init_logging();
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Show(args) => commands::show::run(args),
        Command::Graph(args) => commands::graph::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Api(args) => commands::api::run(args),
        Command::Emulator(cmd) => commands::emulator::run(cmd),
        Command::Sandbox(cmd) => commands::sandbox::run(cmd),
        Command::Destroy(args) => commands::destroy::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::State(cmd) => commands::state::run(cmd),
        Command::ForceUnlock(args) => commands::force_unlock::run(args),
        Command::Completions(args) => commands::completions::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            printer::error_chain(&err);
            ExitCode::FAILURE
        }
    }
}

/// A multi-threaded tokio runtime for commands that do I/O.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("failed to start the async runtime: {e}"))
}
