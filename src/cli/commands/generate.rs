//! `sgform generate [DIR] --out FILE`: write the configuration that declares the memberships
//! that exist now, so that an account sgform does not manage yet can be taken over without a
//! single change: `sgform plan` right after shows only adoptions, and `apply` records them.
//!
//! The inputs are `plan`'s: DIR's providers, credentials and sandbox (`cli::sandbox::connect`),
//! its data sources and declarations (`refresh::declarations`, so pairs DIR declares already
//! are left out), and a batched listing of the chosen targets (`refresh::list_targets`). The
//! pure part, what to declare and the HCL text, is `config::generate`. Before anything is
//! written, DIR's files and the new one are loaded together, with the data sources' results,
//! and any error diagnostic stops the command: the file always validates beside DIR.
//!
//! The file is written once, whole: a temporary file beside it, flushed, then linked into
//! place only if the name is still free, so an existing file is never replaced and a failure
//! leaves no partial file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::args::{ConfigArgs, ConnectionArgs};
use crate::cli::{printer, sandbox};
use crate::cloud::api::Tag;
use crate::config::generate::{
    self, Existing, Observed, ObservedGroup, ObservedTarget, Request, Stats, Style,
};
use crate::config::{self, Config};
use crate::diag;
use crate::ids::{SecurityGroupId, Target, VpcId};
use crate::plan::refresh::{self, Listing, RefreshStats, Selection};
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

fn exists_error(out: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "`{}` already exists; `sgform generate` never overwrites a file\n  hint: choose another `--out`, or move the file away first",
        out.display()
    )
}

/// The selection, checked: one value per tag key, and no target filter for whole groups.
fn selection(args: &Args) -> anyhow::Result<Selection> {
    let mut tags: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in &args.tags {
        if let Some(other) = tags.insert(k, v)
            && other != v
        {
            anyhow::bail!(
                "`--tag {k}={other}` and `--tag {k}={v}` cannot both match: several `--tag` must all match, and a target has one value per key\n  hint: to read targets with either value, run `sgform generate` once per value"
            );
        }
    }
    if args.style == StyleArg::GroupMembers && (!args.vpcs.is_empty() || !args.tags.is_empty()) {
        anyhow::bail!(
            "`--style group_members` declares whole groups, so it takes no `--vpc` or `--tag`\n  hint: choose the groups with `--security-group`, or keep `--vpc`/`--tag` with `--style membership` to declare only those targets' memberships"
        );
    }
    let dedup = |v: &[VpcId]| {
        v.iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    Ok(Selection {
        vpcs: dedup(&args.vpcs),
        tags: tags
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        groups: args
            .groups
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Before any call: a file in the way is the cheapest mistake to report.
    if args.out.symlink_metadata().is_ok() {
        return Err(exists_error(&args.out));
    }
    let out_dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !out_dir.is_dir() {
        anyhow::bail!(
            "cannot write `{}`: the directory `{}` does not exist\n  hint: create it first, or choose another `--out`",
            args.out.display(),
            out_dir.display()
        );
    }
    let selection = selection(&args)?;
    let inputs = args.vars.inputs()?;
    let (config, diags) = config::load(&args.dir, &inputs)?;
    if diag::has_errors(&diags) {
        printer::diagnostics(&diags, config.sources());
        return Ok(ExitCode::FAILURE);
    }
    let alias = args.provider.clone();
    if config.provider(alias.as_deref()).is_none() {
        let declared: Vec<String> = config
            .providers()
            .iter()
            .map(|p| format!("`{}`", p.name()))
            .collect();
        anyhow::bail!(
            "`--provider {}`: `{}` declares no provider `{}`\n  hint: the providers it declares: {}",
            alias.as_deref().unwrap_or_default(),
            args.dir.display(),
            config::provider_name(alias.as_deref()),
            declared.join(", ")
        );
    }

    let parallelism = args.connection.parallelism as usize;
    let read = crate::cli::runtime()?.block_on(async {
        let connection = sandbox::connect_with(
            &config,
            args.connection.sandbox.as_deref(),
            args.connection.rate_limit,
        )
        .await?;
        let read = read(
            &connection.clients,
            &config,
            &alias,
            &selection,
            parallelism,
        )
        .await;
        connection.shutdown().await?;
        read
    })?;
    let Some(Read {
        declared,
        listing,
        region,
    }) = read
    else {
        return Ok(ExitCode::FAILURE);
    };
    report_read(&listing.stats, declared.calls);

    let provider = config::provider_name(alias.as_deref());
    if let Some(missing) = selection
        .groups
        .iter()
        .find(|g| !listing.groups.contains_key(*g))
    {
        anyhow::bail!(
            "security group `{missing}` does not exist in region `{region}` of provider `{provider}`\n  hint: check the ID and the provider (`--provider ALIAS`); `sgform api DescribeSecurityGroups` lists the groups"
        );
    }

    let request = Request {
        style: args.style.into(),
        provider: alias.clone(),
        groups: (!selection.groups.is_empty()).then(|| selection.groups.iter().cloned().collect()),
        header: header(&selection, &provider, &region),
    };
    let blocks = config.blocks();
    let existing = Existing {
        declarations: &declared.declarations,
        blocks: &blocks,
    };
    let (document, stats) = generate::generate(&observed(&listing), &request, &existing);
    report_left_out(&stats, &args.dir);
    if stats.blocks == 0 {
        printer::status(&format!(
            "Nothing to declare: no selected membership is left to write; `{}` was not written.",
            args.out.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let text = generate::render(&document);

    // The new file must load beside DIR's with no error, exactly as `plan` will load them.
    let mut files = own_files(&config);
    files.push((args.out.clone(), text.clone()));
    let (together, mut problems) = config::load_sources(files, &inputs);
    let (_, expand_diags) = together.expand(&declared.data);
    problems.extend(expand_diags);
    problems.retain(|d| d.severity == diag::Severity::Error);
    if !problems.is_empty() {
        printer::diagnostics(&problems, together.sources());
        anyhow::bail!(
            "the generated configuration would not be valid beside `{}`, so `{}` was not written\n  hint: fix what the diagnostics name (or narrow the selection) and run `sgform generate` again",
            args.dir.display(),
            args.out.display()
        );
    }

    write_new(&args.out, &text)?;
    let n = |x: usize| thousands(x);
    let plural =
        |x: usize, one: &str, many: &str| format!("{} {}", n(x), if x == 1 { one } else { many });
    printer::status(&format!(
        "Wrote `{}`: {} for {}, {}.",
        args.out.display(),
        plural(
            stats.blocks,
            &format!("`{}` block", request.style.kind()),
            &format!("`{}` blocks", request.style.kind())
        ),
        plural(stats.targets, "target", "targets"),
        plural(stats.pairs, "membership", "memberships"),
    ));
    let next = if in_dir(&args.out, &args.dir) {
        format!("`sgform plan {}`", args.dir.display())
    } else {
        format!(
            "move it into `{}`; then `sgform plan {}`",
            args.dir.display(),
            args.dir.display()
        )
    };
    printer::status(&format!(
        "Next: {next} adopts them into the state (no API call); `sgform apply` records them."
    ));
    Ok(ExitCode::SUCCESS)
}

/// What the command read from the cloud.
struct Read {
    declared: refresh::Declared,
    listing: Listing,
    region: String,
}

/// Reads DIR's data sources and the selection; `None` (diagnostics printed) when expanding DIR
/// gives an error.
async fn read(
    clients: &refresh::Clients,
    config: &Config,
    alias: &Option<String>,
    selection: &Selection,
    parallelism: usize,
) -> anyhow::Result<Option<Read>> {
    let provider = config::provider_name(alias.as_deref());
    let Some(client) = clients.get(alias) else {
        anyhow::bail!(
            "provider `{provider}` has nowhere to connect (no region)\n  hint: give it a `region`, or pass `--provider ALIAS` to read through another provider"
        );
    };
    let region = client.region().to_string();
    let declared = refresh::declarations(clients, config, parallelism).await?;
    printer::diagnostics(&declared.diagnostics, config.sources());
    if diag::has_errors(&declared.diagnostics) {
        return Ok(None);
    }
    if selection == &Selection::default() {
        printer::status(&format!(
            "No --vpc, --tag or --security-group: reading every instance and network interface in region `{region}` (provider `{provider}`)"
        ));
    }
    let listing = refresh::list_targets(client, alias, selection, parallelism).await?;
    Ok(Some(Read {
        declared,
        listing,
        region,
    }))
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// The listing as the plain facts `config::generate` reads.
fn observed(listing: &Listing) -> Observed {
    let mut observed = Observed::default();
    for (id, i) in &listing.instances {
        observed.targets.insert(
            Target::Instance(id.clone()),
            ObservedTarget {
                name: i.instance_name.clone(),
                tags: tag_map(&i.tags),
                groups: i.security_group_ids.clone(),
                service_managed: false,
                instance_id: None,
            },
        );
    }
    for (id, e) in &listing.network_interfaces {
        observed.targets.insert(
            Target::NetworkInterface(id.clone()),
            ObservedTarget {
                name: e.network_interface_name.clone(),
                tags: tag_map(&e.tags),
                groups: e.security_group_ids.clone(),
                service_managed: e.service_managed,
                instance_id: e.instance_id.clone(),
            },
        );
    }
    for (id, g) in &listing.groups {
        observed.groups.insert(
            id.clone(),
            ObservedGroup {
                name: g.security_group_name.clone(),
                service_managed: g.service_managed,
            },
        );
    }
    observed
}

/// The comment at the top of the file: where it came from and what it means. No time stamp,
/// so that the same cloud gives the same bytes.
fn header(selection: &Selection, provider: &str, region: &str) -> Vec<String> {
    let mut chosen = Vec::new();
    let any = |ids: Vec<String>| ids.join(" or ");
    if !selection.vpcs.is_empty() {
        chosen.push(format!(
            "in VPC {}",
            any(selection.vpcs.iter().map(|v| format!("`{v}`")).collect())
        ));
    }
    if !selection.tags.is_empty() {
        let tags: Vec<String> = selection
            .tags
            .iter()
            .map(|(k, v)| generate::tag(k, v))
            .collect();
        chosen.push(format!("tagged {}", tags.join(" and ")));
    }
    if !selection.groups.is_empty() {
        chosen.push(format!(
            "in security group {}",
            any(selection.groups.iter().map(|g| format!("`{g}`")).collect())
        ));
    }
    let scope = if chosen.is_empty() {
        "every instance and network interface".to_owned()
    } else {
        format!("the targets {}", chosen.join(", "))
    };
    vec![
        "Generated by `sgform generate`: the security-group memberships that existed when it ran,".to_owned(),
        format!("for {scope}, in region `{region}` (provider `{provider}`)."),
        "`sgform plan` adopts them into the state with no API call; edit them like any configuration.".to_owned(),
    ]
}

/// The one line after the reads, like `plan`'s.
fn report_read(stats: &RefreshStats, data_calls: u64) {
    let retries = match stats.retries {
        0 => String::new(),
        1 => " (1 retry)".to_owned(),
        r => format!(" ({} retries)", thousands(r as usize)),
    };
    printer::status(&format!(
        "Read {} targets and {} groups with {} API calls{retries} in {:.2} s",
        thousands(stats.targets),
        thousands(stats.groups),
        thousands((stats.calls + data_calls) as usize),
        stats.elapsed.as_secs_f64()
    ));
}

/// What was left out and why.
fn report_left_out(stats: &Stats, dir: &Path) {
    if stats.skipped_pairs > 0 {
        let mut line = format!(
            "Skipped {} already declared in `{}`",
            match stats.skipped_pairs {
                1 => "1 membership".to_owned(),
                n => format!("{} memberships", thousands(n)),
            },
            dir.display()
        );
        if !stats.skipped_blocks.is_empty() {
            const SHOWN: usize = 5;
            let mut names: Vec<String> = stats
                .skipped_blocks
                .iter()
                .take(SHOWN)
                .map(|s| format!("`{s}`"))
                .collect();
            if stats.skipped_blocks.len() > SHOWN {
                names.push(format!("and {} more", stats.skipped_blocks.len() - SHOWN));
            }
            line.push_str(&format!(
                " (no block for {}: `{}` already declares something about {})",
                names.join(", "),
                dir.display(),
                if stats.skipped_blocks.len() == 1 {
                    "it"
                } else {
                    "each"
                }
            ));
        }
        printer::status(&format!("{line}."));
    }
    if stats.service_managed_pairs > 0 {
        printer::status(&format!(
            "Left out {} of service-managed network interfaces or groups: their owning cloud service manages them.",
            match stats.service_managed_pairs {
                1 => "1 membership".to_owned(),
                n => format!("{} memberships", thousands(n)),
            }
        ));
    }
    if stats.renamed > 0 {
        printer::status(&format!(
            "{} named with a `_N` suffix: `{}` uses the plain name already.",
            match stats.renamed {
                1 => "1 block is".to_owned(),
                n => format!("{} blocks are", thousands(n)),
            },
            dir.display()
        ));
    }
}

/// The configuration's own `*.hcl` files (not variable files), as loaded.
fn own_files(config: &Config) -> Vec<(PathBuf, String)> {
    let dir = config.dir();
    config
        .sources()
        .files()
        .filter(|(_, f)| f.path.extension().is_some_and(|e| e == "hcl"))
        .filter(|(_, f)| {
            let parent = f.path.parent().unwrap_or(Path::new(""));
            parent == dir || (parent.as_os_str().is_empty() && dir == Path::new("."))
        })
        .map(|(_, f)| (f.path.clone(), f.text.clone()))
        .collect()
}

/// Whether `file` will be read as part of the configuration in `dir`.
fn in_dir(file: &Path, dir: &Path) -> bool {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    file.extension().is_some_and(|e| e == "hcl")
        && match (std::fs::canonicalize(parent), std::fs::canonicalize(dir)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// Writes `text` to `path`, which must not exist: to a temporary file beside it, flushed to
/// disk, then hard-linked to `path` (which fails if something took the name meanwhile) and the
/// temporary name removed. On a file system without hard links, renamed after a last check.
/// Either way `path` appears whole or not at all.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("`--out {}` names no file", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.sgform-generate-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| {
            format!(
                "failed to write `{}` (through the temporary file `{}`)",
                path.display(),
                tmp.display()
            )
        });
    }
    let placed = match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists_error(path)),
        Err(_) if path.symlink_metadata().is_ok() => Err(exists_error(path)),
        Err(_) => std::fs::rename(&tmp, path)
            .with_context(|| format!("failed to write `{}`", path.display())),
        Ok(()) => Ok(()),
    };
    let _ = std::fs::remove_file(&tmp);
    placed?;
    // Make the new name durable too; a failure here loses nothing already written.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
