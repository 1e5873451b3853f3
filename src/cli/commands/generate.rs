//! `sgform generate [DIR] --out FILE`: write the configuration that declares the memberships
//! that exist now (`ops::generate`, whose docs say how), and say what was written and what
//! next.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::args::{ConfigArgs, ConnectionArgs};
use crate::cli::{env, notice, printer};
use crate::config::generate::Style;
use crate::ids::{SecurityGroupId, VpcId};
use crate::ops;
use crate::ops::generate::Outcome;
use crate::plan::render::text::thousands;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Selection: `--vpc` and `--tag` choose targets (instances and non-primary ENIs; a primary \
ENI's groups change through its instance), `--security-group` chooses groups. Several `--vpc` \
match any of them (OR), several `--tag` must all match (AND), several `--security-group` match \
any of them (OR), and the three kinds combine with AND. With `--style membership` or \
`membership_set`, `--security-group` keeps only the memberships in those groups (a \
`membership_set` lists the target's other groups under `ignore_security_group_ids`); with \
`--style group_members` it names the groups to declare, whole. With no selector, everything \
in the provider's region is read.

Memberships DIR already declares are left out (and counted); so are service-managed ENIs and \
pairs in service-managed groups. The blocks are named after the target's (or group's) ID, \
`_2`, `_3`, … when DIR uses that name already, so addresses stay the same from run to run.")]
pub struct Args {
    /// The configuration directory: its providers say where to read (as for `plan`), and what
    /// it declares already is left out.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The file to write, e.g. `DIR/imported.hcl`; refused if it exists.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only targets in this VPC (repeatable: any of them).
    #[arg(long = "vpc", value_name = "ID", value_parser = parse_vpc)]
    pub vpcs: Vec<VpcId>,
    /// Only targets with this tag (repeatable: all of them).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// Only memberships in this group; with `--style group_members`, a group to declare
    /// (repeatable: any of them).
    #[arg(long = "security-group", value_name = "ID", value_parser = parse_group)]
    pub groups: Vec<SecurityGroupId>,
    /// The declarations to write: additive `membership` blocks (one per target), authoritative
    /// `membership_set` blocks (one per target) or `group_members` blocks (one per group).
    #[arg(long, value_enum, default_value_t = StyleArg::Membership)]
    pub style: StyleArg,
    /// Read through this provider alias of DIR (default: the default provider); the blocks
    /// then say `provider = alicloud.ALIAS`.
    #[arg(long, value_name = "ALIAS")]
    pub provider: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub vars: ConfigArgs,
}

/// `--style`, spelled as the block types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StyleArg {
    #[value(name = "membership")]
    Membership,
    #[value(name = "membership_set")]
    MembershipSet,
    #[value(name = "group_members")]
    GroupMembers,
}

impl From<StyleArg> for Style {
    fn from(s: StyleArg) -> Style {
        match s {
            StyleArg::Membership => Style::Membership,
            StyleArg::MembershipSet => Style::MembershipSet,
            StyleArg::GroupMembers => Style::GroupMembers,
        }
    }
}

fn parse_vpc(s: &str) -> Result<VpcId, String> {
    VpcId::parse(s).map_err(|e| e.to_string())
}

fn parse_group(s: &str) -> Result<SecurityGroupId, String> {
    SecurityGroupId::parse(s).map_err(|e| e.to_string())
}

fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, like `role=web` (found `{s}`)")),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = ops::generate::Request {
        dir: args.dir.clone(),
        out: args.out.clone(),
        variables: args.vars.variables(),
        connect: args.connection.connect(),
        parallelism: args.connection.parallelism,
        vpcs: args.vpcs.clone(),
        tags: args.tags.clone(),
        groups: args.groups.clone(),
        style: args.style.into(),
        provider: args.provider.clone(),
    };
    let env = env::environment();
    let outcome = crate::cli::runtime()?.block_on(ops::generate::generate(
        &request,
        &env,
        &mut notice::show,
    ))?;
    let (stats, provider) = match outcome {
        Outcome::Written { stats, provider } => (stats, provider),
        Outcome::Refused {
            config,
            diagnostics,
        } => {
            printer::diagnostics(&diagnostics, config.sources());
            return Ok(ExitCode::FAILURE);
        }
        Outcome::Stopped => return Ok(ExitCode::FAILURE),
        Outcome::Nothing => {
            printer::status(&format!(
                "Nothing to declare: no selected membership is left to write; `{}` was not written.",
                args.out.display()
            ));
            return Ok(ExitCode::SUCCESS);
        }
        Outcome::Invalid {
            config,
            diagnostics,
        } => {
            printer::diagnostics(&diagnostics, config.sources());
            anyhow::bail!(
                "the generated configuration would not be valid beside `{}`, so `{}` was not written\n  hint: fix what the diagnostics name (or narrow the selection) and run `sgform generate` again",
                args.dir.display(),
                args.out.display()
            );
        }
    };
    let kind = request.style.kind();
    let n = |x: usize| thousands(x);
    let plural =
        |x: usize, one: &str, many: &str| format!("{} {}", n(x), if x == 1 { one } else { many });
    let provider_note = match &provider {
        Some(p) => format!(
            "a `provider \"alicloud\"` block (region `{}`{}) and ",
            p.region,
            p.sandbox
                .as_deref()
                .map(|w| format!(", sandbox `{w}`"))
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    printer::status(&format!(
        "Wrote `{}`: {provider_note}{} for {}, {}.",
        args.out.display(),
        plural(
            stats.blocks,
            &format!("`{kind}` block"),
            &format!("`{kind}` blocks")
        ),
        plural(stats.targets, "target", "targets"),
        plural(stats.pairs, "membership", "memberships"),
    ));
    // The plan to suggest reads where generate read: `--sandbox` again, unless the provider
    // block just written names the world.
    let dir = args.dir.display();
    let sandbox = match (&request.connect.sandbox, &provider) {
        (Some(world), None) => format!(" --sandbox {}", world.display()),
        _ => String::new(),
    };
    let plan = format!("`sgform plan {dir}{sandbox}`");
    let next = if ops::generate::in_dir(&args.out, &args.dir) {
        plan
    } else {
        format!("move it into `{dir}`; then {plan}")
    };
    printer::status(&format!(
        "Next: {next} shows them as adoptions; `sgform apply {dir}{sandbox}` records them in the state (no change in the cloud)."
    ));
    Ok(ExitCode::SUCCESS)
}
