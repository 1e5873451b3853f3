//! `sgform destroy [DIR]`: leave every membership the state manages, as `terraform destroy`
//! (= `apply -destroy`) does.
//!
//! It is `sgform apply` with a destroy plan (`plan::PlanOptions::destroy`, what
//! `sgform plan --destroy` shows): every managed pair in scope (`--target`) leaves, in an
//! order where each call is legal; nothing joins and nothing is adopted, whatever the
//! configuration declares (it still says where to connect and which values are sensitive); a
//! managed pair already gone from the cloud is only forgotten. A leave that would take a
//! target's last group is refused at plan time, naming the target and the address, and
//! nothing is sent. The preview, the prompt (`Do you really want to destroy all managed
//! memberships? ... Only 'yes' will be accepted:`), the execution, the state writes and the
//! summary are apply's.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::apply;
use super::plan::SourceArgs;
use super::validate::VarArgs;
use crate::cli::lock::{self, LockArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory: its providers say where the memberships are; only the
    /// state says which to leave.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Destroy without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Cap every client at N API requests per second (over any provider `rate_limit`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Destroy only the memberships of this address (repeatable); an address without key
    /// matches all its instances.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// How long to wait for a target in a transitional status or being created (`90s`, `10m`).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = lock::parse_duration)]
    pub wait_timeout: Duration,
    /// One JSON event per line on stdout instead of text (needs `--auto-approve`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.dir.is_file() {
        anyhow::bail!(
            "`{}` is a file: `sgform destroy` takes a configuration directory\n  hint: to apply a saved destroy plan (`sgform plan --destroy --out FILE`), run `sgform apply FILE`",
            args.dir.display()
        );
    }
    let Args {
        dir,
        auto_approve,
        rate_limit,
        targets,
        vars,
        source,
        lock,
        wait_timeout,
        json,
    } = args;
    apply::run_with(
        apply::Args {
            path: dir,
            auto_approve,
            rate_limit,
            targets,
            vars,
            source,
            lock,
            wait_timeout,
            refresh_only: false,
            json,
        },
        true,
    )
}
