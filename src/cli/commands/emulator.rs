//! `sgform emulator serve|generate`: run the local ECS API, or write a generated world.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::printer;
use crate::emulator::generate::{MAX_GROUPS, MAX_REGIONS, MAX_TARGETS, MAX_VPCS};
use crate::emulator::{self, Faults, GenerateOptions, Options, World};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the ECS API from a world file until interrupted (SIGINT/SIGTERM).
    Serve(ServeArgs),
    /// Write a realistic, valid world to stdout (for scale tests).
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The world file (JSON; see README "Emulator").
    #[arg(long, value_name = "FILE")]
    pub world: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Write every change back to the world file (atomically: temp file + rename).
    #[arg(long)]
    pub persist: bool,
    /// Delay every answer by this many milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Add up to this many milliseconds of random delay to every answer.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub jitter_ms: u64,
    /// Injected faults, e.g. "InternalError=0.05,Throttling=0.05,DropAfterCommit=0.02".
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Calls per account and action per second; the excess gets `Throttling.User`.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// How long a mutation keeps its target busy (concurrent mutations get 409 Conflict).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub op_ms: u64,
    /// Seed for faults, jitter and request IDs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Append one JSON line per request to this file (no secrets).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Instances, spread over the VPCs, in every status (0 to 200000).
    #[arg(long, value_name = "N", value_parser = range(0, MAX_TARGETS))]
    pub instances: usize,
    /// Secondary network interfaces, attached to an instance of their VPC or free (0 to 200000).
    #[arg(long, value_name = "N", value_parser = range(0, MAX_TARGETS))]
    pub enis: usize,
    /// Security groups, spread over the VPCs (1 to 20000, and at least one per VPC).
    #[arg(long, value_name = "N", value_parser = range(1, MAX_GROUPS))]
    pub groups: usize,
    /// VPCs, spread over the regions (1 to 1000, at most --groups) [default: one per region].
    #[arg(long, value_name = "N", value_parser = range(1, MAX_VPCS))]
    pub vpcs: Option<usize>,
    /// Regions: cn-hangzhou, cn-shanghai, cn-beijing, … in this order (1 to 8).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = range(1, MAX_REGIONS))]
    pub regions: usize,
    /// Seed of the random choices: the same sizes and seed give the same world.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

/// A `usize` flag value within `min..=max` (clap names the flag and the range when it is not).
fn range(min: usize, max: usize) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(min as u64..=max as u64)
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Serve(args) => serve(args),
        Command::Generate(args) => generate(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let world = World::load(&args.world)?;
    let faults = match &args.faults {
        Some(spec) => Faults::parse(spec)?,
        None => Faults::none(),
    };
    if args.persist_target_missing() {
        anyhow::bail!("--persist needs `{}` to be a file", args.world.display());
    }
    let options = Options {
        persist: args.persist.then(|| args.world.clone()),
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        faults,
        rate_limit: args.rate_limit,
        op_ms: args.op_ms,
        seed: args.seed,
        log: args.log.clone(),
        ..Options::default()
    };
    let runtime = super::super::runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("failed to listen on {}", args.listen))?;
        let addr = listener
            .local_addr()
            .context("failed to read the listening address")?;
        printer::data(&format!("listening on http://{addr}\n"))?;
        emulator::serve(listener, world, options, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

impl ServeArgs {
    fn persist_target_missing(&self) -> bool {
        self.persist && !self.world.is_file()
    }
}

/// Completes on SIGINT or SIGTERM (Ctrl-C elsewhere).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let world = emulator::generate(&GenerateOptions {
        instances: args.instances,
        enis: args.enis,
        groups: args.groups,
        vpcs: args.vpcs,
        regions: args.regions,
        seed: args.seed,
    })?;
    printer::data(&format!("{}\n", world.to_json()))?;
    Ok(ExitCode::SUCCESS)
}
