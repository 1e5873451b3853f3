//! The clients a command talks to the cloud with: one per provider, for real Alibaba Cloud
//! (credential, region and endpoint chains of `cloud::credentials`) or for the embedded sandbox.
//!
//! The sandbox is the emulator in-process: `provider "alicloud" { sandbox = "world.json" }`
//! (relative to the configuration directory) or `--sandbox FILE` (relative to the working
//! directory) serves a world on `127.0.0.1:0` and points the providers at it, with the world's
//! first account's first access key, through the same `cloud::Client`, signer and HTTP path as
//! the real cloud. The checked-in world is never written: the first use copies it to
//! `.sgform/sandbox-world.json` beside the configuration (with a `.gitignore` of `*`), and the
//! emulator runs on that copy and persists every change to it, so plan → apply → plan converges
//! across runs. The sandbox has its own state too, `.sgform/sandbox.state.json` by default
//! ([`state_location`]; `--state` wins), so a sandbox run never touches `sgform.state.json`.
//! [`reset`] (`sgform sandbox reset`) starts both over from the checked-in world. What
//! `.sgform/` records about the world (`sandbox-source`) is relative to the configuration
//! directory, so a copied or moved directory keeps working.
//!
//! A command that uses the sandbox says so in exactly one line on stderr,
//! `using local sandbox (no cloud calls): <world as given>, changes go to <copy>`: [`connect`]
//! reports it as [`Notice::Sandbox`] for the caller to print.
//!
//! The environment (credential chains, home directory) comes in as an [`Environment`]; nothing
//! here reads it.

use std::path::{Path, PathBuf};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Context as _, Environment, Error, Notice, Notify, Result};
use crate::cloud::credentials::{self, CredentialSource, Origin, ProviderSettings};
use crate::cloud::{Client, ClientConfig, Credentials, Secret};
use crate::config::{self, Config, Inputs, Provider};
use crate::emulator::{self, EmulatorError, Options, World};
use crate::fsutil;
use crate::ids::RegionId;
use crate::plan::refresh::Clients;
use crate::state::Location;

/// The directory beside the configuration that holds sgform's local files.
pub const LOCAL_DIR: &str = ".sgform";
/// The sandbox's working copy of the world, inside [`LOCAL_DIR`].
pub const COPY_FILE: &str = "sandbox-world.json";
/// Which checked-in world the copy came from (relative to the configuration directory), inside
/// [`LOCAL_DIR`].
const SOURCE_FILE: &str = "sandbox-source";
/// The sandbox's own state, inside [`LOCAL_DIR`].
pub const STATE_FILE: &str = "sandbox.state.json";

/// The region a sandbox provider without `region` uses when the world has no resources.
const FALLBACK_REGION: &str = "cn-hangzhou";

/// Where the sandbox world comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxWorld {
    /// The checked-in world, as a path that can be opened.
    pub path: PathBuf,
    /// The same path as the user gave it (for the one stderr line).
    pub shown: String,
}

/// The clients of every provider, and the sandbox when they point at one. Keep it alive while
/// the clients are in use; dropping it stops the sandbox.
#[derive(Debug)]
pub struct Connection {
    pub clients: Clients,
    pub sandbox: Option<Sandbox>,
}

impl Connection {
    /// Stops the sandbox, if any, after the requests in flight (every change is already on disk).
    pub async fn shutdown(self) -> Result<()> {
        match self.sandbox {
            Some(s) => s.shutdown().await,
            None => Ok(()),
        }
    }
}

/// How to reach the API: `--sandbox`, `--rate-limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connect {
    /// Run on the embedded sandbox seeded from this world (relative to the working directory)
    /// instead of what the providers say.
    pub sandbox: Option<PathBuf>,
    /// Cap every client at this many requests per second, over any provider `rate_limit`.
    pub rate_limit: Option<u32>,
}

/// Builds one client per provider of `config`: against the sandbox when `how.sandbox` is given
/// or the providers name one (reported as [`Notice::Sandbox`]), else against Alibaba Cloud.
/// Must run inside the tokio runtime that will use the clients (the sandbox is served on it).
pub async fn connect(
    config: &Config,
    how: &Connect,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<Connection> {
    let rate_limit = how.rate_limit;
    let mut clients = Clients::new();
    match sandbox_world(config, how.sandbox.as_deref())? {
        Some(world) => {
            let sandbox = Sandbox::start(config.dir(), &world).await?;
            notify(Notice::Sandbox {
                world: &world.shown,
                copy: &shown_in(config.dir(), &copy_path(Path::new(""))),
            });
            for provider in config.providers() {
                clients.insert(
                    provider.alias.clone(),
                    sandbox.client_tuned(provider, rate_limit, config.sensitive_values())?,
                );
            }
            Ok(Connection {
                clients,
                sandbox: Some(sandbox),
            })
        }
        None => {
            let explicit = config.providers().iter().any(|p| !is_implicit(p));
            for provider in config.providers() {
                // The default provider the loader adds beside aliased ones may have nowhere to
                // go (no region anywhere); it only matters if a declaration uses it, and then
                // refresh reports that there is no client for it.
                if explicit && is_implicit(provider) {
                    match cloud_client_limited(provider, rate_limit, config.sensitive_values(), env)
                    {
                        Ok((client, _)) => clients.insert(None, client),
                        Err(e) => tracing::debug!("implicit default provider left out: {e}"),
                    }
                    continue;
                }
                let (client, credentials) =
                    cloud_client_limited(provider, rate_limit, config.sensitive_values(), env)
                        .with_context(|| {
                            format!("failed to set up provider `{}`", provider.name())
                        })?;
                notify(Notice::Provider {
                    name: &provider.name(),
                    region: client.region().as_str(),
                    credentials: &credentials,
                    endpoint: &shown_endpoint(client.endpoint()),
                });
                clients.insert(provider.alias.clone(), client);
            }
            Ok(Connection {
                clients,
                sandbox: None,
            })
        }
    }
}

/// The default provider the loader adds when the configuration declares none without `alias`.
fn is_implicit(provider: &Provider) -> bool {
    provider.alias.is_none() && provider.span.is_none()
}

/// Which sandbox world `config` runs on: `--sandbox` (relative to the working directory) wins;
/// else the providers' `sandbox` (relative to the configuration directory), which must all
/// name the same world, and then every provider must name it (the default provider the loader
/// adds beside aliased ones follows them): a configuration runs against the sandbox or against
/// the cloud, never half and half. `None`: the real cloud.
pub fn sandbox_world(config: &Config, sandbox_flag: Option<&Path>) -> Result<Option<SandboxWorld>> {
    if let Some(flag) = sandbox_flag {
        return Ok(Some(SandboxWorld {
            path: flag.to_path_buf(),
            shown: flag.display().to_string(),
        }));
    }
    let named: Vec<(&Provider, PathBuf)> = config
        .providers()
        .iter()
        .filter_map(|p| Some((p, config.dir().join(p.sandbox.as_ref()?))))
        .collect();
    let Some((first, path)) = named.first() else {
        return Ok(None);
    };
    if let Some((other, other_path)) = named.iter().find(|(_, p)| p != path) {
        return Err(Error::refused(format!(
            "providers `{}` and `{}` name different sandbox worlds (`{}`, `{}`); one configuration runs on one sandbox",
            first.name(),
            other.name(),
            path.display(),
            other_path.display()
        )));
    }
    // The implicit default provider follows the others onto the sandbox.
    if let Some(cloud) = config
        .providers()
        .iter()
        .find(|p| p.sandbox.is_none() && !is_implicit(p))
    {
        return Err(Error::refused(format!(
            "provider `{}` has no `sandbox` while `{}` runs on `{}`; a configuration runs against the sandbox or the cloud, not both (add `sandbox` to every provider, or pass `--sandbox FILE`)",
            cloud.name(),
            first.name(),
            path.display()
        )));
    }
    let shown = match &first.sandbox {
        Some(given) => shown_in(config.dir(), given),
        None => path.display().to_string(),
    };
    Ok(Some(SandboxWorld {
        shown,
        path: path.clone(),
    }))
}

/// `name` (relative to the configuration directory `dir`) as a path from the working directory:
/// `sgform plan` in the configuration directory shows `world.json`, not `./world.json`.
fn shown_in(dir: &Path, name: &Path) -> String {
    match dir.to_str() {
        Some("" | ".") => name.display().to_string(),
        _ => dir.join(name).display().to_string(),
    }
}

/// The sandbox's own state for the configuration in `config_dir`.
pub fn state_path(config_dir: &Path) -> PathBuf {
    config_dir.join(LOCAL_DIR).join(STATE_FILE)
}

/// Where the state of the configuration in `dir` lives: `explicit` (`--state`) when given; else,
/// when the command runs on the sandbox (`sandbox_flag`, or providers that name a world), the
/// sandbox's own state ([`state_path`]), so a sandbox run never touches the real state and a
/// switch to a real endpoint never plans the sandbox's pairs as drift; else
/// `sgform.state.json` in `dir`. A configuration that cannot be read counts as no sandbox (the
/// command reports the problem when it loads it).
pub fn state_location(
    dir: &Path,
    explicit: Option<&Path>,
    sandbox_flag: Option<&Path>,
) -> Location {
    if explicit.is_none() && (sandbox_flag.is_some() || names_sandbox(dir)) {
        return Location::Local(state_path(dir));
    }
    Location::for_dir(dir, explicit)
}

/// Whether the providers of the configuration in `dir` name a sandbox world.
fn names_sandbox(dir: &Path) -> bool {
    if config::check_dir(dir).is_err() {
        return false;
    }
    // Only the providers matter; variables and the rest are for the command's own load.
    config::load(dir, &Inputs::default())
        .is_ok_and(|(config, _)| config.providers().iter().any(|p| p.sandbox.is_some()))
}

/// Creates `.sgform/` beside the configuration in `config_dir`, with a `.gitignore` of `*` so
/// that nothing in it is ever committed.
pub fn ensure_local_dir(config_dir: &Path) -> Result<()> {
    let dir = config_dir.join(LOCAL_DIR);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create directory `{}`", dir.display()))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "*\n")
            .with_context(|| format!("failed to write `{}`", ignore.display()))?;
    }
    Ok(())
}

/// Creates `.sgform/` (see [`ensure_local_dir`]) when `location` is the sandbox's own state
/// ([`state_path`]), which lives there, before its lock is taken or it is written.
pub fn ensure_state_dir(location: &Location) -> Result<()> {
    let Location::Local(path) = location;
    let dir = path
        .parent()
        .filter(|d| d.file_name() == Some(LOCAL_DIR.as_ref()));
    match dir {
        Some(dir) if path.file_name() == Some(STATE_FILE.as_ref()) => {
            ensure_local_dir(dir.parent().unwrap_or(Path::new("")))
        }
        _ => Ok(()),
    }
}

/// A client for real Alibaba Cloud: the provider's `region`, `profile` and `endpoint`, then the
/// environment and `~/.aliyun/config.json`, exactly as `sgform api` resolves them
/// (`cloud::credentials::resolve`).
pub fn cloud_client(provider: &Provider, env: &Environment) -> Result<Client, crate::cloud::Error> {
    cloud_client_limited(provider, None, &[], env).map(|(client, _)| client)
}

/// A provider's client, and where its credentials came from as [`Notice::Provider`] says it.
fn cloud_client_limited(
    provider: &Provider,
    rate_limit: Option<u32>,
    masked: &[String],
    env: &Environment,
) -> Result<(Client, String), crate::cloud::Error> {
    let settings = ProviderSettings {
        region: provider.region.as_ref().map(ToString::to_string),
        profile: provider.profile.clone(),
        endpoint: provider.endpoint.clone(),
        origin: Origin::Provider {
            name: provider.name(),
            declared: provider.span.is_some(),
        },
        ..ProviderSettings::default()
    };
    let mut config = real_cloud_config(&settings, None, "provider client", env)?;
    tune(&mut config, provider, rate_limit, masked);
    let credentials = match &config.credentials.source {
        CredentialSource::Profile { name, .. } => format!("profile {name}"),
        CredentialSource::Environment { id_var } => format!("credentials from {id_var}"),
        CredentialSource::ProviderSettings => "credentials from the provider settings".to_owned(),
    };
    Ok((Client::new(config)?, credentials))
}

/// An endpoint as the provider banner shows it: scheme, host, port and path (none for the root),
/// without user info (which could hold a password), query or fragment; the client refuses
/// those already, so this only makes sure.
fn shown_endpoint(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    // The client keeps a root path as `/`; the banner shows the endpoint as configured.
    let path = if path == "/" { "" } else { path };
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// The client configuration for real Alibaba Cloud from `settings` (and an endpoint override):
/// the region, endpoint and credential chains of `cloud::credentials::resolve`, fed from the
/// environment and `~/.aliyun/config.json`. Shared by `sgform api` and every provider client.
pub fn real_cloud_config(
    settings: &ProviderSettings,
    endpoint: Option<&str>,
    who: &str,
    env: &Environment,
) -> Result<ClientConfig, crate::cloud::Error> {
    let lookup = |name: &str| (env.var)(name);
    let resolved = credentials::resolve(settings, endpoint, &lookup, env.home.as_deref())?;
    tracing::debug!(
        region = %resolved.region,
        endpoint = %resolved.endpoint,
        credentials = %resolved.credentials.source,
        "{who}"
    );
    Ok(ClientConfig::new(
        resolved.endpoint,
        resolved.region,
        resolved.credentials,
    ))
}

/// What a provider block (and `--rate-limit`, which wins) says about pacing.
/// `masked`: the configuration's sensitive values, which the client's log lines must not show.
fn tune(
    config: &mut ClientConfig,
    provider: &Provider,
    rate_limit: Option<u32>,
    masked: &[String],
) {
    config.masked_in_logs = masked.iter().map(|v| Secret::new(v.clone())).collect();
    if let Some(rate) = rate_limit.or(provider.rate_limit) {
        config.rate_limit = Some(f64::from(rate.max(1)));
    }
}

/// The copy the sandbox of the configuration in `config_dir` runs on.
pub fn copy_path(config_dir: &Path) -> PathBuf {
    config_dir.join(LOCAL_DIR).join(COPY_FILE)
}

/// What [`reset`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    /// The fresh copy.
    pub copy: PathBuf,
    /// Whether an earlier copy (with whatever changed in it) was replaced.
    pub replaced: bool,
    /// The sandbox's state, when there was one to remove (with its backup and journal).
    pub state: Option<PathBuf>,
}

/// Starts the sandbox of the configuration in `config_dir` over: the copy becomes the
/// checked-in world again and the sandbox's own state ([`state_path`]) is removed with its
/// backup and journal, taking its lock first (a run in progress is not pulled from under).
/// The checked-in world is only read.
pub fn reset(config_dir: &Path, world: &SandboxWorld, env: &Environment) -> Result<Reset> {
    // Refuse a broken world before anything is removed.
    World::load(&world.path)?;
    let state = state_path(config_dir);
    let existed = state.exists();
    let journal = fsutil::with_suffix(&state, ".journal");
    if existed || journal.exists() {
        let backend = crate::state::open(&Location::Local(state.clone()));
        let guard = backend.lock(super::lock::info("sandbox reset", env), None)?;
        for path in [
            state.clone(),
            fsutil::with_suffix(&state, ".backup"),
            journal,
        ] {
            remove_if_there(&path)?;
        }
        // The lock file stays: a process waiting on it must find the inode it waits on.
        guard.unlock()?;
    }
    let copy = copy_path(config_dir);
    let replaced = copy.exists();
    make_copy(config_dir, world)?;
    Ok(Reset {
        copy,
        replaced,
        state: existed.then_some(state),
    })
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// Validates the checked-in world and copies it to [`copy_path`], creating `.sgform/` with its
/// `.gitignore`; records where the copy came from.
fn make_copy(config_dir: &Path, world: &SandboxWorld) -> Result<()> {
    // Refuse a broken world before anything is written, naming the checked-in file.
    World::load(&world.path)?;
    ensure_local_dir(config_dir)?;
    let dir = config_dir.join(LOCAL_DIR);
    let copy = copy_path(config_dir);
    // Written whole (a crash never leaves half a world for the next run), owner-only.
    let bytes = std::fs::read(&world.path)
        .with_context(|| format!("failed to read `{}`", world.path.display()))?;
    fsutil::write_atomic(&copy, &bytes, fsutil::Mode::Exactly(fsutil::OWNER_ONLY))?;
    let source = dir.join(SOURCE_FILE);
    std::fs::write(
        &source,
        format!("{}\n", source_key(config_dir, &world.path)),
    )
    .with_context(|| format!("failed to write `{}`", source.display()))?;
    Ok(())
}

/// The world's identity for the source record: its path relative to the configuration
/// directory (so a copied or moved directory keeps working), `/`-separated.
fn source_key(config_dir: &Path, path: &Path) -> String {
    super::plan::file::relative_to_config(config_dir, path)
}

/// Whether the `recorded` source names the world at `path`: relative to the configuration
/// directory, or (as records made before they were relative) its canonical path.
fn same_source(recorded: &str, config_dir: &Path, path: &Path) -> bool {
    recorded == source_key(config_dir, path)
        || std::fs::canonicalize(path).is_ok_and(|p| Path::new(recorded) == p)
}

/// The embedded emulator serving the sandbox copy. Dropping it stops the server (requests in
/// flight finish; every change was persisted when it was answered).
#[derive(Debug)]
pub struct Sandbox {
    endpoint: String,
    copy: PathBuf,
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    region: RegionId,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), EmulatorError>>>,
}

impl Sandbox {
    /// Copies the world on first use (see the module docs), then serves the copy on
    /// `127.0.0.1:0` on the current tokio runtime.
    pub async fn start(config_dir: &Path, world: &SandboxWorld) -> Result<Sandbox> {
        let copy = copy_path(config_dir);
        if copy.exists() {
            let recorded = std::fs::read_to_string(config_dir.join(LOCAL_DIR).join(SOURCE_FILE))
                .ok()
                .map(|s| s.trim().to_owned());
            if let Some(recorded) = recorded
                && !same_source(&recorded, config_dir, &world.path)
            {
                return Err(Error::refused(format!(
                    "the sandbox copy `{}` was made from `{recorded}`, not `{}`; run `sgform sandbox reset {}` to start over from `{}`",
                    copy.display(),
                    world.shown,
                    config_dir.display(),
                    world.shown
                )));
            }
        } else {
            make_copy(config_dir, world)?;
        }
        let loaded = World::load(&copy).with_context(|| {
            format!(
                "the sandbox copy is unusable; `sgform sandbox reset {}` starts over from `{}`",
                config_dir.display(),
                world.shown
            )
        })?;
        let file = loaded.to_file();
        let key = file
            .accounts
            .iter()
            .find_map(|a| a.access_keys.first())
            .ok_or_else(|| {
                Error::refused(format!(
                    "the sandbox world `{}` has no access key; add one under `accounts[0].access_keys`",
                    world.shown
                ))
            })?;
        let region = file
            .vpcs
            .iter()
            .map(|v| v.region.as_str())
            .chain(file.instances.iter().map(|i| i.region.as_str()))
            .chain(file.security_groups.iter().map(|g| g.region.as_str()))
            .find_map(|r| RegionId::parse(r).ok())
            .unwrap_or_else(|| {
                RegionId::parse(FALLBACK_REGION).expect("the fallback region is a valid region id")
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("failed to bind the sandbox to 127.0.0.1")?;
        let addr = listener
            .local_addr()
            .context("failed to read the sandbox's address")?;
        let (stop, stopped) = oneshot::channel::<()>();
        let options = Options {
            persist: Some(copy.clone()),
            ..Options::default()
        };
        let task = tokio::spawn(emulator::serve(listener, loaded, options, async {
            let _ = stopped.await;
        }));
        Ok(Sandbox {
            endpoint: format!("http://{addr}"),
            copy,
            access_key_id: key.id.clone(),
            access_key_secret: Secret::new(key.secret.clone()),
            security_token: key.security_token.clone().map(Secret::new),
            region,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The copy it serves and persists to.
    pub fn copy(&self) -> &Path {
        &self.copy
    }

    /// The world's first access key.
    pub fn credentials(&self) -> Credentials {
        let c = Credentials::new(self.access_key_id.clone(), self.access_key_secret.clone());
        match &self.security_token {
            Some(token) => c.with_security_token(token.clone()),
            None => c,
        }
    }

    /// A client for `provider` against the sandbox: its region (or the world's first), the
    /// world's key, its rate limit.
    pub fn client(&self, provider: &Provider) -> Result<Client> {
        self.client_tuned(provider, None, &[])
    }

    /// [`Sandbox::client`] capped at `rate_limit` requests per second when given, its log
    /// lines masking the `masked` values (the configuration's sensitive values).
    pub fn client_tuned(
        &self,
        provider: &Provider,
        rate_limit: Option<u32>,
        masked: &[String],
    ) -> Result<Client> {
        let region = provider
            .region
            .clone()
            .unwrap_or_else(|| self.region.clone());
        let mut config = ClientConfig::new(self.endpoint.clone(), region, self.credentials());
        tune(&mut config, provider, rate_limit, masked);
        Ok(Client::new(config)?)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .context("the sandbox task failed")?
                .context("the sandbox stopped with an error")?;
        }
        Ok(())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests;
