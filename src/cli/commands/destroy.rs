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
//! memberships? ... Only 'yes' will be accepted:`, or with `--target` `... the managed
//! memberships of `ADDR`?`), the execution, the state writes and the summary (`Destroy
//! complete! N left, M forgotten ...`) are apply's.

use super::apply;
use crate::cli::args::ChangeArgs;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory: its providers say where the memberships are; only the
    /// state says which to leave.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub change: ChangeArgs,
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
    let run = apply::Run {
        path: &args.dir,
        refresh_only: false,
        json: args.json,
        change: &args.change,
    };
    apply::run_with(&run, true)
}
