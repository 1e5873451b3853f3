//! `sgform import ADDR ID [DIR]`: adopt a membership that already exists into the state, as
//! `terraform import` does (`ops::import`, whose docs list the checks, in order).
//!
//! ID is `sg-…/i-…` or `sg-…/eni-…`, parsed before anything else.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::args::SourceArgs;
use crate::cli::{env, notice, printer};
use crate::ids::{Address, SecurityGroupId, Target};
use crate::ops;
use crate::ops::import::Outcome;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to import into, as the configuration declares it, with its `for_each` key:
    /// `membership.web["i-bp1…"]`, `membership_set.app`, `group_members.db`.
    #[arg(value_name = "ADDR")]
    pub address: String,
    /// The existing membership: `sg-…/i-…` (an instance) or `sg-…/eni-…` (an ENI).
    #[arg(value_name = "ID")]
    pub id: String,
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Parses `sg-…/i-…` or `sg-…/eni-…`.
fn parse_id(raw: &str) -> anyhow::Result<(SecurityGroupId, Target)> {
    let usage = "the ID of a membership is `SECURITY_GROUP/TARGET`: `sg-…/i-…` for an instance, `sg-…/eni-…` for an ENI";
    let Some((group, target)) = raw.split_once('/') else {
        anyhow::bail!("invalid import ID `{raw}`: it has no `/`\n  hint: {usage}");
    };
    let invalid =
        |e: crate::ids::IdError| anyhow::anyhow!("invalid import ID `{raw}`: {e}\n  hint: {usage}");
    let group = SecurityGroupId::parse(group).map_err(invalid)?;
    let target = Target::parse(target).map_err(invalid)?;
    Ok((group, target))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let address = Address::parse(&args.address)
        .with_context(|| format!("invalid address `{}`", args.address))?;
    let (group, target) = parse_id(&args.id)?;
    let request = ops::import::Request {
        source: args.source.source(&args.dir)?,
        address,
        group,
        target,
    };
    let env = env::environment();
    let outcome =
        crate::cli::runtime()?.block_on(ops::import::import(&request, &env, &mut notice::show))?;
    let imported = match outcome {
        Outcome::Imported(imported) => imported,
        Outcome::Refused {
            config,
            diagnostics,
        } => {
            printer::diagnostics(&diagnostics, config.sources());
            return Ok(ExitCode::FAILURE);
        }
    };
    let address = &request.address;
    let (group, target) = (&imported.group, &imported.target);
    printer::data(&format!(
        "{address}: Import prepared! {target} is a member of {group}\n\nImport successful!\n\n\
         Imported {target} in {group} as `{address}` (state serial {}). sgform manages this membership from \
         now on: removing its declaration makes it leave.\n",
        imported.serial
    ))?;
    // Report what was written before unlocking: the write stands even if the unlock fails.
    if let Some(guard) = imported.lock {
        guard.unlock()?;
    }
    Ok(ExitCode::SUCCESS)
}
