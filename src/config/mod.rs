//! Configuration: HCL loading, evaluation and static checks (issue 4).
//!
//! A configuration is every `*.hcl` file of one directory, loaded in name order. Loading runs in
//! stages, each adding diagnostics and none stopping at the first problem:
//!
//! 1. [`load`] parses every file with `hcl_edit` (which keeps byte spans), decodes the blocks
//!    against the schema (`decode`), checks every reference (`refs`), resolves input variables
//!    (`variables`), evaluates locals and every block that does not depend on a data source
//!    (`eval`), and runs the cross-block checks (`checks`).
//! 2. Blocks whose values depend on `data.*` are *deferred*: the planner reads the data sources
//!    that [`Config::data_requests`] lists, then calls [`Config::expand`] with the results, which
//!    evaluates everything (known and deferred) into the final [`Declaration`]s.
//!
//! This is Terraform's two-phase order: references first, then evaluation with what is known.
//! `config` does no network I/O and reads only the files it is asked to read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, SourceMap, Span};
use crate::ids::{
    Address, InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target, VpcId,
};

mod arith;
pub mod backend;
mod checks;
mod cost;
mod decode;
mod eval;
mod expr;
mod feeds;
pub mod format;
mod functions;
pub mod generate;
mod load;
mod refs;
mod show;
mod syntax;
mod variables;

#[cfg(test)]
mod tests;

pub use crate::ids::{DataKind, DeclarationKind};
pub use feeds::EmptyFeed;
pub use load::{AUTO_VAR_FILE, check_dir, is_auto_var_file};
pub use variables::{Inputs, VarSource};

/// The default limit of security groups per target (the ECS default quota).
pub const DEFAULT_MAX_GROUPS_PER_TARGET: u32 = 5;

/// Failures that are not about the configuration's content (those are [`Diagnostic`]s).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration directory could not be listed.
    #[error("failed to read configuration directory `{path}`")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A configuration or variable file could not be read.
    #[error("failed to read `{path}`")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The configuration directory does not exist.
    #[error(
        "no configuration directory `{path}`: it does not exist\n  hint: pass the directory that holds the `*.hcl` files (default: the current directory)"
    )]
    NoDirectory { path: PathBuf },
    /// The configuration "directory" is a file.
    #[error(
        "`{path}` is a file, not a configuration directory (sgform reads every `*.hcl` file in a directory)\n  hint: pass the directory that holds it; a plan file goes to `sgform show FILE` or `sgform apply FILE`"
    )]
    NotADirectory { path: PathBuf },
    /// The configuration directory has no `*.hcl` file: never an empty configuration, which
    /// would plan to leave every managed membership.
    #[error(
        "no configuration in `{}`: it has no `*.hcl` files (sgform reads every `*.hcl` file in the directory, not recursively)\n  hint: pass the directory that holds the configuration; to leave every managed membership, use `sgform destroy` in it",
        load::shown_dir(path)
    )]
    NoConfiguration { path: PathBuf },
}

/// A `provider "alicloud"` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// `None` for the default provider, `Some("shanghai")` for `alias = "shanghai"`.
    pub alias: Option<String>,
    pub region: Option<RegionId>,
    /// A profile in `~/.aliyun/config.json`.
    pub profile: Option<String>,
    /// An endpoint override, e.g. an emulator's `http://127.0.0.1:PORT`.
    pub endpoint: Option<String>,
    /// A world file: run against an embedded local emulator seeded from it (relative to the
    /// configuration directory).
    pub sandbox: Option<PathBuf>,
    pub max_groups_per_target: u32,
    /// Requests per second budget.
    pub rate_limit: Option<u32>,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// A provider as a reference names it: `alicloud` for the default one, `alicloud.ALIAS`.
pub fn provider_name(alias: Option<&str>) -> String {
    match alias {
        None => "alicloud".to_owned(),
        Some(a) => format!("alicloud.{a}"),
    }
}

impl Provider {
    /// How a reference names it (see [`provider_name`]).
    pub fn name(&self) -> String {
        provider_name(self.alias.as_deref())
    }

    fn default_for(alias: Option<String>) -> Self {
        Self {
            alias,
            region: None,
            profile: None,
            endpoint: None,
            sandbox: None,
            max_groups_per_target: DEFAULT_MAX_GROUPS_PER_TARGET,
            rate_limit: None,
            span: None,
        }
    }
}

/// A data source the planner must read before [`Config::expand`]: the filters, evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataRequest {
    /// `data.instances.web`.
    pub address: Address,
    pub kind: DataKind,
    pub name: String,
    pub vpc_id: Option<VpcId>,
    pub tags: BTreeMap<String, String>,
    pub status: Option<String>,
    pub ids: Option<Vec<String>>,
    pub security_group_id: Option<SecurityGroupId>,
    pub instance_id: Option<InstanceId>,
    pub name_regex: Option<String>,
    /// The provider alias, `None` for the default provider.
    pub provider: Option<String>,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// One object a data source found (an instance or an ENI).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRecord {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub vpc_id: String,
    /// For an ENI: the instance it is attached to, if any.
    #[serde(default)]
    pub instance_id: Option<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// What the planner read for each data source, keyed by kind and name. Serialised (in a plan
/// file's inventory) as a list of `{kind, name, records}`: JSON keys are strings only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataResults {
    #[serde(with = "data_list")]
    pub results: BTreeMap<(DataKind, String), Vec<DataRecord>>,
}

mod data_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{DataKind, DataRecord};

    type Map = BTreeMap<(DataKind, String), Vec<DataRecord>>;

    #[derive(Serialize)]
    struct EntryRef<'a> {
        kind: DataKind,
        name: &'a str,
        records: &'a [DataRecord],
    }

    #[derive(Deserialize)]
    struct Entry {
        kind: DataKind,
        name: String,
        records: Vec<DataRecord>,
    }

    pub fn serialize<S: Serializer>(map: &Map, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|((kind, name), records)| EntryRef {
            kind: *kind,
            name,
            records,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        let entries = Vec::<Entry>::deserialize(d)?;
        Ok(entries
            .into_iter()
            .map(|e| ((e.kind, e.name), e.records))
            .collect())
    }
}

impl DataResults {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records what a data source returned.
    pub fn insert(&mut self, kind: DataKind, name: impl Into<String>, records: Vec<DataRecord>) {
        self.results.insert((kind, name.into()), records);
    }

    fn get(&self, kind: DataKind, name: &str) -> Option<&[DataRecord]> {
        self.results
            .get(&(kind, name.to_owned()))
            .map(Vec::as_slice)
    }
}

/// The things every kind of declaration shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Common {
    /// `membership.web["i-…"]`.
    pub address: Address,
    /// The provider alias, `None` for the default provider.
    pub provider: Option<String>,
    /// Blocks this one must wait for (`depends_on`), by address without key.
    pub depends_on: Vec<Address>,
    /// The attributes (by their HCL name: `security_group_id`, `instance_id`,
    /// `network_interface_id`, `security_group_ids`, `ignore_security_group_ids`, `instance_ids`,
    /// `network_interface_ids`) whose value was computed from a `sensitive` variable, directly or
    /// through `local.*` values. A renderer must show these as `(sensitive value)`; `Debug`
    /// already does. The address is never sensitive: `for_each` over a sensitive value is an
    /// error. Values that come only from data sources are not sensitive. `Serialize` writes the
    /// values as they are with this list beside them (as `terraform show -json` does): whoever
    /// prints that JSON to a person must honour the list.
    pub sensitive: BTreeSet<String>,
    /// The block header in the source.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Common {
    /// Whether the attribute `attr` (its HCL name) holds a sensitive value.
    pub fn is_sensitive(&self, attr: &str) -> bool {
        self.sensitive.contains(attr)
    }

    /// `value`, or `(sensitive value)` when `attr` is sensitive: for `Debug`.
    fn shown<'a>(&self, attr: &str, value: &'a dyn fmt::Debug) -> &'a dyn fmt::Debug {
        if self.is_sensitive(attr) {
            &Redacted
        } else {
            value
        }
    }
}

/// Stands in for a sensitive value in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive value)")
    }
}

/// The attribute a target came from (`instance_id` or `network_interface_id`).
fn target_attr(target: &Target) -> &'static str {
    match target {
        Target::Instance(_) => "instance_id",
        Target::NetworkInterface(_) => "network_interface_id",
    }
}

/// `membership`: this pair must exist; other memberships of the target are left alone.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    #[serde(flatten)]
    pub common: Common,
    pub security_group_id: SecurityGroupId,
    pub target: Target,
}

/// `membership_set`: authoritative for one target; exactly these groups (plus ignored ones).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct MembershipSet {
    #[serde(flatten)]
    pub common: Common,
    pub target: Target,
    pub security_group_ids: BTreeSet<SecurityGroupId>,
    /// Groups never added or removed by this declaration.
    pub ignore_security_group_ids: BTreeSet<SecurityGroupId>,
}

/// `group_members`: authoritative for one group; exactly these members.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct GroupMembers {
    #[serde(flatten)]
    pub common: Common,
    pub security_group_id: SecurityGroupId,
    pub instance_ids: BTreeSet<InstanceId>,
    pub network_interface_ids: BTreeSet<NetworkInterfaceId>,
}

// `Debug` of a declaration shows `(sensitive value)` for every sensitive attribute.

impl fmt::Debug for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.common;
        f.debug_struct("Membership")
            .field("common", c)
            .field(
                "security_group_id",
                c.shown("security_group_id", &self.security_group_id),
            )
            .field("target", c.shown(target_attr(&self.target), &self.target))
            .finish()
    }
}

impl fmt::Debug for MembershipSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.common;
        f.debug_struct("MembershipSet")
            .field("common", c)
            .field("target", c.shown(target_attr(&self.target), &self.target))
            .field(
                "security_group_ids",
                c.shown("security_group_ids", &self.security_group_ids),
            )
            .field(
                "ignore_security_group_ids",
                c.shown("ignore_security_group_ids", &self.ignore_security_group_ids),
            )
            .finish()
    }
}

impl fmt::Debug for GroupMembers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.common;
        f.debug_struct("GroupMembers")
            .field("common", c)
            .field(
                "security_group_id",
                c.shown("security_group_id", &self.security_group_id),
            )
            .field("instance_ids", c.shown("instance_ids", &self.instance_ids))
            .field(
                "network_interface_ids",
                c.shown("network_interface_ids", &self.network_interface_ids),
            )
            .finish()
    }
}

impl GroupMembers {
    /// Every member as a [`Target`]: instances, then ENIs, each sorted.
    pub fn members(&self) -> impl Iterator<Item = Target> + '_ {
        self.instance_ids
            .iter()
            .cloned()
            .map(Target::Instance)
            .chain(
                self.network_interface_ids
                    .iter()
                    .cloned()
                    .map(Target::NetworkInterface),
            )
    }

    /// Every member as a [`Target`].
    pub fn targets(&self) -> BTreeSet<Target> {
        self.members().collect()
    }
}

/// One evaluated declaration (one `for_each` instance of a block).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Declaration {
    Membership(Membership),
    MembershipSet(MembershipSet),
    GroupMembers(GroupMembers),
}

impl Declaration {
    pub fn common(&self) -> &Common {
        match self {
            Declaration::Membership(m) => &m.common,
            Declaration::MembershipSet(m) => &m.common,
            Declaration::GroupMembers(m) => &m.common,
        }
    }

    pub fn address(&self) -> &Address {
        &self.common().address
    }

    /// The kind of block that declares it.
    pub fn kind(&self) -> DeclarationKind {
        match self {
            Declaration::Membership(_) => DeclarationKind::Membership,
            Declaration::MembershipSet(_) => DeclarationKind::MembershipSet,
            Declaration::GroupMembers(_) => DeclarationKind::GroupMembers,
        }
    }

    /// Whether the attribute `attr` (its HCL name) holds a sensitive value; see
    /// [`Common::sensitive`].
    pub fn is_sensitive(&self, attr: &str) -> bool {
        self.common().is_sensitive(attr)
    }
}

/// A declared input variable with its resolved value.
#[derive(Clone)]
pub struct Variable {
    pub name: String,
    pub description: Option<String>,
    pub sensitive: bool,
    /// The value as HCL would print it; `None` when the variable has no value.
    value: Option<hcl::Value>,
}

impl Variable {
    /// The value for display: `(sensitive value)` when the variable is sensitive.
    pub fn display_value(&self) -> String {
        match (&self.value, self.sensitive) {
            (_, true) => "(sensitive value)".to_owned(),
            (None, false) => "(no value)".to_owned(),
            (Some(v), false) => show::show_value(v),
        }
    }
}

impl fmt::Debug for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Variable")
            .field("name", &self.name)
            .field("sensitive", &self.sensitive)
            .field("value", &self.display_value())
            .finish()
    }
}

/// A loaded configuration: providers, variables, data requests, the declarations known now and
/// the ones that wait for data sources.
#[derive(Debug, Clone, Default)]
pub struct Config {
    sources: SourceMap,
    dir: PathBuf,
    providers: Vec<Provider>,
    variables: BTreeMap<String, Variable>,
    data_requests: Vec<DataRequest>,
    model: eval::Model,
    known: Vec<Declaration>,
    deferred: Vec<Address>,
}

impl Config {
    /// Every file that was loaded, for rendering diagnostics.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The configuration directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every provider block; a default one (region unset) when the configuration has none.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// The provider for an alias (`None`: the default one).
    pub fn provider(&self, alias: Option<&str>) -> Option<&Provider> {
        self.providers.iter().find(|p| p.alias.as_deref() == alias)
    }

    /// The `backend` block: `None` without one; `Some(Err(header))` when it is wrong (the load
    /// reported why), so that nothing falls back to the local file.
    pub fn backend(&self) -> Option<Result<&backend::Backend, crate::diag::Span>> {
        let (decoded, header) = self.model.decoded.backend.as_ref()?;
        Some(decoded.as_ref().map_err(|()| *header))
    }

    /// Declared variables with their values (sensitive ones display redacted).
    pub fn variables(&self) -> &BTreeMap<String, Variable> {
        &self.variables
    }

    /// The sensitive variables' values (every string in them of 3 characters or more, longest
    /// first), as diagnostics mask them: what logs must not show either.
    pub fn sensitive_values(&self) -> &[String] {
        self.model.secrets()
    }

    /// The data sources to read before [`Config::expand`].
    pub fn data_requests(&self) -> &[DataRequest] {
        &self.data_requests
    }

    /// Declarations that did not need any data source, already evaluated and checked.
    pub fn declarations(&self) -> &[Declaration] {
        &self.known
    }

    /// Blocks whose evaluation waits for data sources (addresses without keys).
    pub fn deferred(&self) -> &[Address] {
        &self.deferred
    }

    /// Every `membership`, `membership_set` and `group_members` block (addresses without keys),
    /// whether or not its `for_each` yields anything: the names a new block must not take.
    pub fn blocks(&self) -> Vec<Address> {
        self.model
            .decoded
            .resources
            .values()
            .map(decode::Resource::address)
            .collect()
    }

    /// Finishes evaluation with the data sources' results: every declaration, sorted by address,
    /// and the problems found (unknown keys, malformed IDs, conflicts across all declarations).
    pub fn expand(&self, data: &DataResults) -> (Vec<Declaration>, Vec<Diagnostic>) {
        let (mut decls, mut diags) = eval::expand(&self.model, Some(data));
        diags.extend(checks::cross_check(&decls, &self.providers, &self.model));
        decls.sort_by(|a, b| a.address().cmp(b.address()));
        self.model.redact(&mut diags);
        finish(&mut diags);
        (decls, diags)
    }
}

/// Loads every `*.hcl` file in `dir` (not recursive, in name order) and everything the loader can
/// check without the network. I/O failures are errors; everything about the content is a
/// diagnostic, all of them at once, sorted by position.
///
/// A `dir` that does not exist, is not a directory or has no `*.hcl` file is an error
/// ([`check_dir`]), never an empty configuration.
///
/// Variables files in `dir` apply without a flag, as Terraform's do: `sgform.tfvars`, then
/// `*.auto.tfvars` in lexical order, after `SGFORM_VAR_*` and before `--var-file` and `--var`.
pub fn load(dir: &Path, inputs: &Inputs) -> Result<(Config, Vec<Diagnostic>), Error> {
    let files = load::read_dir(dir)?;
    let (auto, json) = load::auto_var_files(dir)?;
    let inputs = inputs.after_files(auto);
    let (mut config, mut diags) = load_sources(files, &inputs);
    config.dir = dir.to_path_buf();
    for path in json {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let hcl = name.strip_suffix(".json").unwrap_or(&name);
        diags.push(
            Diagnostic::warning(format!("`{}` is not loaded", path.display()))
                .with_note("sgform reads variables files in HCL only, not JSON")
                .with_hint(format!("write it as `name = value` lines in `{hcl}`")),
        );
    }
    Ok((config, diags))
}

/// The configuration of a directory that has no `*.hcl` file yet (`sgform generate` writing
/// its first one): the default provider the loader adds, and `inputs` resolved against no
/// declarations.
pub fn empty(dir: &Path, inputs: &Inputs) -> (Config, Vec<Diagnostic>) {
    let (mut config, diags) = load_sources(Vec::new(), inputs);
    config.dir = dir.to_path_buf();
    (config, diags)
}

/// Like [`load`] but from in-memory files (`(display path, text)`), as tests and the fuzz target
/// use it. Never panics, whatever the text.
pub fn load_sources(files: Vec<(PathBuf, String)>, inputs: &Inputs) -> (Config, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    let mut bodies = Vec::new();
    for (path, text) in files {
        let id = sources.add(path, text);
        if let Some(file) = sources.get(id)
            && let Some(body) = load::parse(id, &file.text, &mut diags)
        {
            bodies.push((id, body));
        }
    }
    let decoded = decode::decode(&bodies, &sources, &mut diags);
    let poisoned = refs::check(&decoded, &mut diags);
    let variables = variables::resolve(&decoded, &poisoned, inputs, &mut sources, &mut diags);
    let mut model = eval::Model::new(decoded, poisoned, &variables, &mut diags);
    let providers = eval::providers(&mut model, &mut diags);
    let data_requests = eval::data_requests(&model, &mut diags);
    let (known, eval_diags) = eval::expand(&model, None);
    diags.extend(eval_diags);
    diags.extend(checks::cross_check(&known, &providers, &model));
    let deferred = model.deferred_blocks();
    model.redact(&mut diags);
    finish(&mut diags);
    let variables = variables
        .into_iter()
        .map(|(name, v)| {
            (
                name.clone(),
                Variable {
                    name,
                    description: v.description,
                    sensitive: v.sensitive,
                    value: v.value,
                },
            )
        })
        .collect();
    let mut known = known;
    known.sort_by(|a, b| a.address().cmp(b.address()));
    (
        Config {
            sources,
            dir: PathBuf::new(),
            providers,
            variables,
            data_requests,
            model,
            known,
            deferred,
        },
        diags,
    )
}

/// Sorts diagnostics and drops repeats: a static problem in a block with `for_each` is found
/// once per instance but reported once (same summary at the same place).
fn finish(diags: &mut Vec<Diagnostic>) {
    crate::diag::sort(diags);
    let mut seen = BTreeSet::new();
    diags.retain(|d| seen.insert((d.summary.clone(), d.primary)));
}

/// Did-you-mean: the candidate closest to `name`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}
