//! The plan file on disk (`plan --out FILE`, `show FILE`, `apply FILE`): what a plan records
//! of its inputs, where the configuration it was made from is found again, and re-deriving its
//! plan. The format and the checks are `plan::planfile`'s (pure); the file system is here.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use super::{Planned, connect};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::fsutil::{self, Mode, OWNER_ONLY};
use crate::ops::{Context as _, Error, Result};
use crate::plan::planfile::{self, ConfigDigest, Configuration, PlanFile, ProviderRef};
use crate::plan::{Limits, Plan, PlanOptions};
use crate::state::State;

/// The largest plan file `show` and `apply` read: a plan of 100,000 memberships is tens of
/// megabytes.
pub const PLAN_FILE_LIMIT: u64 = 1 << 30;

/// The digest of the configuration's own `*.hcl` files (not variable files given elsewhere),
/// by name relative to the configuration directory.
pub fn config_digest(config: &Config) -> ConfigDigest {
    let dir = config.dir();
    let files: Vec<(String, &str)> = config
        .sources()
        .files()
        .filter(|(_, f)| f.path.extension().is_some_and(|e| e == "hcl"))
        .filter_map(|(_, f)| {
            let parent = f.path.parent().unwrap_or(Path::new(""));
            let in_dir = parent == dir || (parent.as_os_str().is_empty() && dir == Path::new("."));
            let name = f.path.file_name()?.to_string_lossy().into_owned();
            in_dir.then_some((name, f.text.as_str()))
        })
        .collect();
    ConfigDigest::of(files.iter().map(|(p, t)| (p.as_str(), *t)))
}

/// The digest [`config_digest`] would give for the `*.hcl` files in `dir`, read directly
/// (without loading them); `None` when they cannot be read.
fn digest_of_dir(dir: &Path) -> Option<ConfigDigest> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.extension().is_some_and(|e| e == "hcl") && path.is_file() {
            let name = path.file_name()?.to_string_lossy().into_owned();
            files.push((name, std::fs::read_to_string(&path).ok()?));
        }
    }
    Some(ConfigDigest::of(
        files.iter().map(|(p, t)| (p.as_str(), t.as_str())),
    ))
}

/// Every variable of `config`: `(name, display value, sensitive)`.
pub fn variables_of(config: &Config) -> Vec<(String, String, bool)> {
    config
        .variables()
        .values()
        .map(|v| (v.name.clone(), v.display_value(), v.sensitive))
        .collect()
}

/// What `connection`'s clients talk to, as a plan file records it: the sandbox's world
/// (relative to the configuration directory), or each provider's endpoint; each provider's
/// region and access key ID.
pub fn connection_record(
    config: &Config,
    how: &connect::Connect,
    connection: &connect::Connection,
) -> planfile::Connection {
    let sandbox = connection.sandbox.as_ref().map(|_| {
        match connect::sandbox_world(config, how.sandbox.as_deref()) {
            Ok(Some(world)) => relative_to_config(config.dir(), &world.path),
            // The connection was made from it a moment ago: this does not happen.
            _ => "(unknown)".to_owned(),
        }
    });
    let providers = connection
        .clients
        .iter()
        .map(|(alias, client)| {
            (
                crate::config::provider_name(alias.as_deref()),
                ProviderRef {
                    endpoint: sandbox.is_none().then(|| client.endpoint().to_owned()),
                    region: client.region().to_string(),
                    access_key_id: client.access_key_id().to_owned(),
                },
            )
        })
        .collect();
    planfile::Connection { sandbox, providers }
}

/// `path` relative to the configuration directory `dir` (both resolved), `/`-separated; the
/// absolute path when one of them cannot be resolved.
pub(in crate::ops) fn relative_to_config(dir: &Path, path: &Path) -> String {
    match (std::fs::canonicalize(dir), std::fs::canonicalize(path)) {
        (Ok(dir), Ok(path)) => slashed(&relative(&dir, &path)),
        _ => std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
    }
}

/// The path that leads from the directory `from` to `to` (both absolute and resolved): `..`
/// for each component of `from` past their common prefix, then the rest of `to`; `.` for the
/// same directory.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The directory a file at `path` is in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Where the configuration of `planned` is, seen from a plan file written to `out`.
fn configuration(planned: &Planned, out: &Path) -> Result<Configuration> {
    let dir = planned.config.dir();
    let absolute = std::fs::canonicalize(dir).with_context(|| {
        format!(
            "failed to resolve the configuration directory `{}`",
            dir.display()
        )
    })?;
    let out_dir = parent_of(out);
    let out_dir = std::fs::canonicalize(out_dir)
        .with_context(|| format!("failed to resolve the directory `{}`", out_dir.display()))?;
    Ok(Configuration {
        directory: slashed(&relative(&out_dir, &absolute)),
        absolute: absolute.display().to_string(),
        files: config_digest(&planned.config),
    })
}

/// The saved form of `planned`, to be written to `out`.
pub fn plan_file(planned: &Planned, out: &Path) -> Result<PlanFile> {
    let recorded = &planned.recorded;
    let inputs = planfile::Inputs {
        configuration: configuration(planned, out)?,
        variables: variables_of(&planned.config),
        connection: recorded.connection.clone(),
        options: (&recorded.options).into(),
        inventory: recorded.inventory.clone(),
    };
    Ok(PlanFile::new(planned.plan.clone(), inputs, &planned.state))
}

/// Refuses `out` unless writing a plan file there replaces nothing but a plan file: it does
/// not exist, or it starts as a plan file does ([`planfile::looks_like_plan_file`]).
pub fn check_out(out: &Path) -> Result<()> {
    let meta = match std::fs::metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("failed to read `{}`", out.display()));
        }
    };
    if meta.is_dir() {
        return Err(Error::refused(format!(
            "`{}` is a directory; `--out` takes the path of a plan file",
            out.display()
        )));
    }
    let mut head = Vec::with_capacity(256);
    std::fs::File::open(out)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .with_context(|| format!("failed to read `{}`", out.display()))?;
    if planfile::looks_like_plan_file(&head) {
        Ok(())
    } else {
        Err(Error::refused(format!(
            "`{}` exists and is not an sgform plan file; `--out` replaces only a plan file: choose another path, or remove the file first",
            out.display()
        )))
    }
}

/// Saves `planned` to `out` (`sgform plan --out`): refused when `out` holds something other
/// than a plan file ([`check_out`]); written whole or not at all, owner-only
/// (`fsutil::write_atomic`), through a symbolic link to its target.
pub fn save(planned: &Planned, out: &Path) -> Result<()> {
    check_out(out)?;
    let bytes = plan_file(planned, out)?.to_bytes();
    fsutil::write_atomic(out, &bytes, Mode::Exactly(OWNER_ONLY))
        .with_context(|| format!("failed to write plan file `{}`", out.display()))
}

/// A plan file read back, with the planner's checks over its plan.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Where it was read from.
    pub path: PathBuf,
    pub file: PlanFile,
    /// [`crate::plan::check`] over the saved plan.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the plan file at `path` (`sgform show`, `sgform apply FILE`), up to
/// [`PLAN_FILE_LIMIT`] bytes.
pub fn read_saved(path: &Path) -> Result<Saved> {
    let text = fsutil::read_to_string_capped(path, PLAN_FILE_LIMIT)
        .with_context(|| format!("failed to read plan file `{}`", path.display()))?;
    let file = PlanFile::from_bytes(path, text.as_bytes())?;
    let options = PlanOptions::from(&file.options);
    let diagnostics = crate::plan::check(&file.plan, &options);
    Ok(Saved {
        path: path.to_path_buf(),
        file,
        diagnostics,
    })
}

/// The configuration directory `saved` was made from: its recorded `directory` relative to
/// the plan file's own directory, else its recorded absolute path; the first whose `*.hcl`
/// files have the recorded digests, else the first that holds any `*.hcl` file (the digest
/// check then names what changed). Refused, naming both, when neither holds one.
pub fn locate(saved: &Saved) -> Result<PathBuf> {
    let recorded = &saved.file.configuration;
    let plan_dir = parent_of(&saved.path);
    // `.`: the plan file's own directory, shown as such (not `dir/.`).
    let relative = if recorded.directory == "." {
        plan_dir.to_path_buf()
    } else {
        plan_dir.join(&recorded.directory)
    };
    let mut candidates = Vec::new();
    if !recorded.directory.is_empty() {
        candidates.push(relative.clone());
    }
    if !recorded.absolute.is_empty() {
        candidates.push(PathBuf::from(&recorded.absolute));
    }
    // A directory without any `*.hcl` file is not a configuration (the plan file's own
    // directory when the configuration was beside it, say).
    let found: Vec<(&PathBuf, ConfigDigest)> = candidates
        .iter()
        .filter_map(|d| Some((d, digest_of_dir(d)?)))
        .filter(|(_, digest)| !digest.files.is_empty())
        .collect();
    if let Some((same, _)) = found.iter().find(|(_, d)| *d == recorded.files) {
        return Ok((*same).clone());
    }
    if let Some((first, _)) = found.first() {
        return Ok((*first).clone());
    }
    Err(Error::refused(format!(
        "the configuration plan file `{}` was made from is neither at `{}` (`{}` from the plan file's directory) nor at `{}` (no `*.hcl` file in either); keep the plan file where it was relative to the configuration, or plan again",
        saved.path.display(),
        relative.display(),
        recorded.directory,
        recorded.absolute
    )))
}

/// The plan the planner gives from `file`'s recorded inventory and options, over `config` and
/// `state` (pure): what `apply FILE` compares the file's plan with. The diagnostics are
/// `Config::expand`'s and the planner's.
pub fn rederive(config: &Config, state: &State, file: &PlanFile) -> (Plan, Vec<Diagnostic>) {
    let (declarations, mut diagnostics) = config.expand(&file.inventory.data);
    let limits = Limits::from_providers(config.providers());
    let options = PlanOptions::from(&file.options);
    let (plan, plan_diags) =
        crate::plan::plan(&declarations, state, &file.inventory, &limits, &options);
    diagnostics.extend(plan_diags);
    (plan, diagnostics)
}
