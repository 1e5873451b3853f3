//! The command line: argument parsing (clap), wiring the library together, terminal output and
//! exit codes. This is the only module that prints or reads the environment (see the `env` submodule).
//!
//! Exit codes follow Terraform's: 0 success, 1 error, 2 "changes present" only where a command
//! documents `--detailed-exitcode`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod args;
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
#[command(name = "sgform", version = VERSION, about, long_about = None, after_help = env::HELP)]
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
    /// Show a plan file saved by `sgform plan --out FILE`.
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
    /// Read or edit the state without touching the cloud (`state list|show|rm`).
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

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
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
