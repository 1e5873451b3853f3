//! `generate`: write the configuration that declares the memberships that exist now, so that
//! an account sgform does not manage yet can be taken over without a single change: `plan`
//! right after shows only adoptions, and `apply` records them.
//!
//! The inputs are `plan`'s: the directory's providers, credentials and sandbox
//! ([`connect::connect`]), its data sources and declarations (`refresh::declarations`, so pairs
//! it declares already are left out), and a batched listing of the chosen targets
//! (`refresh::list_targets`). The pure part, what to declare and the HCL text, is
//! `config::generate`. Before anything is written, the directory's files and the new one are
//! loaded together, with the data sources' results, and any error diagnostic stops the op: the
//! file always validates beside the directory.
//!
//! The file is written once, whole, through `fsutil::write_new`: a temporary file beside it,
//! flushed, then linked into place only if the name is still free, so an existing file is
//! never replaced and a failure leaves no partial file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::connect::{self, Connect};
use super::plan::Variables;
use super::{Environment, Error, Notice, Notify, Result};
use crate::cloud::api::Tag;
use crate::config::generate::{
    self, Existing, Observed, ObservedGroup, ObservedTarget, Request as GenerateRequest, Stats,
    Style,
};
use crate::config::{self, Config};
use crate::diag::{self, Diagnostic};
use crate::fsutil;
use crate::ids::{SecurityGroupId, Target, VpcId};
use crate::plan::refresh::{self, Listing, Selection};

/// The mode of a generated file: a configuration file like any other (read by others, written
/// by its owner).
const CONFIG_MODE: u32 = 0o644;

/// A `generate`: what to read, and where to write its declarations.
#[derive(Debug, Clone)]
pub struct Request {
    /// The configuration directory: its providers say where to read, and what it declares
    /// already is left out.
    pub dir: PathBuf,
    /// The file to write; refused if it exists.
    pub out: PathBuf,
    pub variables: Variables,
    pub connect: Connect,
    /// API calls in flight at most.
    pub parallelism: u32,
    /// Only targets in one of these VPCs.
    pub vpcs: Vec<VpcId>,
    /// Only targets with all these tags, in the order given (a key given twice with two values
    /// is refused: no target can match).
    pub tags: Vec<(String, String)>,
    /// Only memberships in one of these groups; with [`Style::GroupMembers`], the groups to
    /// declare.
    pub groups: Vec<SecurityGroupId>,
    pub style: Style,
    /// Read through this provider alias of `dir` (`None`: the default provider).
    pub provider: Option<String>,
}

/// What a `generate` came to (its failures apart).
pub enum Outcome {
    /// The configuration has errors: nothing was read or written.
    Refused {
        config: Config,
        diagnostics: Vec<Diagnostic>,
    },
    /// Reading the data sources found errors (reported as they were found): nothing written.
    Stopped,
    /// No selected membership is left to declare: nothing written.
    Nothing,
    /// The generated configuration would not load beside `dir`'s (the diagnostics say why,
    /// with `config`'s sources): nothing written.
    Invalid {
        config: Config,
        diagnostics: Vec<Diagnostic>,
    },
    /// The file was written.
    Written {
        stats: Stats,
        /// The `provider "alicloud"` block written with the declarations when DIR had none,
        /// so that `sgform plan DIR` reads where generate read.
        provider: Option<ProviderBlock>,
    },
}

/// The `provider "alicloud"` block `generate` writes into a directory that declares no
/// provider: the region it read in, and the sandbox world when it read one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderBlock {
    pub region: String,
    /// The world, relative to the configuration directory (as the `sandbox` attribute takes it).
    pub sandbox: Option<String>,
}

fn exists_error(out: &Path) -> Error {
    Error::refused(format!(
        "`{}` already exists; `sgform generate` never overwrites a file\n  hint: choose another `--out`, or move the file away first",
        out.display()
    ))
}

/// The selection, checked: one value per tag key, and no target filter for whole groups.
fn selection(args: &Request) -> Result<Selection> {
    let mut tags: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in &args.tags {
        if let Some(other) = tags.insert(k, v)
            && other != v
        {
            return Err(Error::refused(format!(
                "`--tag {k}={other}` and `--tag {k}={v}` cannot both match: several `--tag` must all match, and a target has one value per key\n  hint: to read targets with either value, run `sgform generate` once per value"
            )));
        }
    }
    if args.style == Style::GroupMembers && (!args.vpcs.is_empty() || !args.tags.is_empty()) {
        return Err(Error::refused(
            "`--style group_members` declares whole groups, so it takes no `--vpc` or `--tag`\n  hint: choose the groups with `--security-group`, or keep `--vpc`/`--tag` with `--style membership` to declare only those targets' memberships",
        ));
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

/// `dir` with a trailing `/`, so it reads as a directory.
fn shown_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    if shown.ends_with('/') {
        shown
    } else {
        format!("{shown}/")
    }
}

/// Reads the selection and writes the declarations (see the module docs).
pub async fn generate(
    args: &Request,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<Outcome> {
    // Before any call: a file in the way is the cheapest mistake to report.
    if args.out.symlink_metadata().is_ok() {
        return Err(exists_error(&args.out));
    }
    let out_dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !out_dir.is_dir() {
        return Err(Error::refused(format!(
            "cannot write `{}`: the directory `{}` does not exist\n  hint: create it first, or choose another `--out`",
            args.out.display(),
            out_dir.display()
        )));
    }
    let selection = selection(args)?;
    let inputs = args.variables.inputs()?;
    let (config, diagnostics) = match config::load(&args.dir, &inputs) {
        // A directory without any `*.hcl` file: generate writes its first one when `--out` is
        // in it (with a provider block saying where it read); elsewhere nothing says where to
        // read, and DIR is more likely the wrong directory.
        Err(config::Error::NoConfiguration { .. }) if in_dir(&args.out, &args.dir) => {
            config::empty(&args.dir, &inputs)
        }
        Err(config::Error::NoConfiguration { path }) => {
            return Err(Error::refused(format!(
                "no configuration in `{}`: it has no `*.hcl` files, so no `provider \"alicloud\"` block says where to read (sgform reads every `*.hcl` file in the directory, not recursively)\n  hint: write one first, e.g. `{}` with `provider \"alicloud\" {{ region = \"cn-hangzhou\" }}`, then run `sgform generate` again",
                shown_dir(&path),
                path.join("main.hcl").display()
            )));
        }
        loaded => loaded?,
    };
    if diag::has_errors(&diagnostics) {
        return Ok(Outcome::Refused {
            config,
            diagnostics,
        });
    }
    let alias = args.provider.clone();
    if config.provider(alias.as_deref()).is_none() {
        let declared: Vec<String> = config
            .providers()
            .iter()
            .map(|p| format!("`{}`", p.name()))
            .collect();
        return Err(Error::refused(format!(
            "`--provider {}`: `{}` declares no provider `{}`\n  hint: the providers it declares: {}",
            alias.as_deref().unwrap_or_default(),
            args.dir.display(),
            config::provider_name(alias.as_deref()),
            declared.join(", ")
        )));
    }

    let parallelism = args.parallelism as usize;
    let world = connect::sandbox_world(&config, args.connect.sandbox.as_deref())?;
    let connection = connect::connect(&config, &args.connect, env, notify).await?;
    let read = read(
        &connection.clients,
        &config,
        &alias,
        &selection,
        parallelism,
        notify,
    )
    .await;
    connection.shutdown().await?;
    let Some(Read {
        declared,
        listing,
        region,
    }) = read?
    else {
        return Ok(Outcome::Stopped);
    };
    notify(Notice::Read {
        stats: &listing.stats,
        data_calls: declared.calls,
    });

    // No provider block at all: write one, so that `sgform plan DIR` reads where this did.
    let provider_block = (alias.is_none() && config.providers().iter().all(|p| p.span.is_none()))
        .then(|| ProviderBlock {
            region: region.clone(),
            sandbox: world.as_ref().map(|w| relative_to(&w.path, &args.dir)),
        });

    let provider = config::provider_name(alias.as_deref());
    if let Some(missing) = selection
        .groups
        .iter()
        .find(|g| !listing.groups.contains_key(*g))
    {
        return Err(Error::refused(format!(
            "security group `{missing}` does not exist in region `{region}` of provider `{provider}`\n  hint: check the ID and the provider (`--provider ALIAS`); `sgform api DescribeSecurityGroups` lists the groups"
        )));
    }

    let request = GenerateRequest {
        style: args.style,
        provider: alias.clone(),
        groups: (!selection.groups.is_empty()).then(|| selection.groups.iter().cloned().collect()),
        header: header(&selection, &provider, &region),
    };
    let blocks = config.blocks();
    let existing = Existing {
        declarations: &declared.declarations,
        blocks: &blocks,
    };
    let (mut document, stats) = generate::generate(&observed(&listing), &request, &existing);
    notify(Notice::LeftOut {
        stats: &stats,
        dir: &args.dir,
    });
    if stats.blocks == 0 {
        return Ok(Outcome::Nothing);
    }
    if let Some(block) = &provider_block {
        document.blocks.insert(0, block.to_block());
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
        return Ok(Outcome::Invalid {
            config: together,
            diagnostics: problems,
        });
    }

    write_new(&args.out, &text)?;
    Ok(Outcome::Written {
        stats,
        provider: provider_block,
    })
}

impl ProviderBlock {
    fn to_block(&self) -> generate::Block {
        let mut attributes = vec![("region", generate::Value::String(self.region.clone()))];
        let comment = match &self.sandbox {
            Some(world) => {
                attributes.push(("sandbox", generate::Value::String(world.clone())));
                "Where `sgform generate` read: the embedded local emulator seeded from this world."
            }
            None => {
                "Where `sgform generate` read; credentials come from the environment or ~/.aliyun/config.json."
            }
        };
        generate::Block {
            comment: vec![comment.to_owned()],
            kind: "provider",
            name: "alicloud".to_owned(),
            attributes,
        }
    }
}

/// Whether `file` will be read as part of the configuration in `dir`: a `*.hcl` file directly
/// in it.
pub fn in_dir(file: &Path, dir: &Path) -> bool {
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

/// `path` relative to the directory `base` (both as the working directory sees them), as a
/// provider's `sandbox` takes it; the absolute path when either cannot be resolved.
fn relative_to(path: &Path, base: &Path) -> String {
    let (Ok(path), Ok(base)) = (std::fs::canonicalize(path), std::fs::canonicalize(base)) else {
        return std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string();
    };
    let common = path
        .components()
        .zip(base.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in base.components().skip(common) {
        out.push("..");
    }
    for c in path.components().skip(common) {
        out.push(c);
    }
    out.display().to_string()
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
    notify: &mut Notify<'_>,
) -> Result<Option<Read>> {
    let provider = config::provider_name(alias.as_deref());
    let Some(client) = clients.get(alias) else {
        return Err(Error::refused(format!(
            "provider `{provider}` has nowhere to connect (no region)\n  hint: give it a `region`, or pass `--provider ALIAS` to read through another provider"
        )));
    };
    let region = client.region().to_string();
    let declared = refresh::declarations(clients, config, parallelism).await?;
    notify(Notice::Diagnostics {
        list: &declared.diagnostics,
        sources: config.sources(),
    });
    if diag::has_errors(&declared.diagnostics) {
        return Ok(None);
    }
    if selection == &Selection::default() {
        notify(Notice::ReadingEverything {
            region: &region,
            provider: &provider,
        });
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
        "`sgform plan` shows them as adoptions and `sgform apply` records them in the state, with no".to_owned(),
        "change in the cloud; edit them like any configuration.".to_owned(),
    ]
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

/// Writes `text` to `path`, which must not exist: whole or not at all, never replacing a file
/// that took the name meanwhile (`fsutil::write_new`).
fn write_new(path: &Path, text: &str) -> Result<()> {
    if path.file_name().is_none() {
        return Err(Error::refused(format!(
            "`--out {}` names no file",
            path.display()
        )));
    }
    match fsutil::write_new(path, text.as_bytes(), CONFIG_MODE) {
        Err(e) if e.already_exists() => Err(exists_error(path)),
        result => Ok(result?),
    }
}
