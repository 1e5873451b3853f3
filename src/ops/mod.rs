//! The operations every front end runs: `plan`, `apply`, `destroy`, `import`, `generate` and
//! the state commands, as functions over typed requests (plain structs) that return values for
//! the caller to render. The CLI is one such caller: it parses arguments into a request, runs
//! one op and renders its result; tests and benches call the same ops, so the refresh → limits
//! → plan pipeline exists once ([`plan::refresh_and_plan`]).
//!
//! - [`connect`]: the clients an op talks through (the cloud, or the embedded sandbox);
//! - [`lock`]: taking the state lock as a request says;
//! - [`plan`], [`apply`], [`import`], [`generate`], [`state`]: the ops.
//!
//! **Architecture Invariant:** ops never print and never read the process environment: what
//! they would say while they run is reported through a callback as a [`Notice`], and what they
//! need from the environment comes in as an [`Environment`] value (`cli::env` reads it).

use std::path::PathBuf;
use std::time::Duration;

use crate::diag::{Diagnostic, SourceMap};
use crate::ids::Address;
use crate::plan::refresh::RefreshStats;

pub mod apply;
pub mod connect;
pub mod generate;
pub mod import;
pub mod lock;
pub mod plan;
pub mod state;

/// API calls in flight at most, unless `--parallelism` says otherwise (refresh, apply, import,
/// generate).
pub const DEFAULT_PARALLELISM: u32 = crate::plan::refresh::DEFAULT_PARALLELISM as u32;

/// How long apply waits for a target in a transitional status or being created, unless
/// `--wait-timeout` says otherwise.
pub const DEFAULT_WAIT_TIMEOUT: Duration = crate::apply::DEFAULT_WAIT_TIMEOUT;

/// How long `sgform api` waits for each attempt's answer, unless `--timeout` says otherwise.
pub const DEFAULT_API_TIMEOUT: Duration = Duration::from_secs(30);

/// What an op that reads the configuration, the state and the cloud starts from (`plan`,
/// `apply`, `destroy`, `import`): the flag groups of those commands, as values.
#[derive(Debug, Clone)]
pub struct Source {
    /// The configuration directory.
    pub dir: PathBuf,
    pub variables: plan::Variables,
    /// Where the state lives.
    pub state: crate::state::Location,
    pub locking: lock::Locking,
    pub connect: connect::Connect,
    /// API calls in flight at most.
    pub parallelism: u32,
}

impl Source {
    /// Checks that the configuration directory holds a configuration ([`config::check_dir`]),
    /// and that no local state was left behind a remote one
    /// ([`state::refuse_local_state_left_behind`]), then opens the state's backend (the one
    /// that will also do every write) and takes its lock for `operation`: nothing is locked or
    /// created beside a directory that is missing, a file, or has no `*.hcl` file.
    ///
    /// [`config::check_dir`]: crate::config::check_dir
    pub fn lock(
        &self,
        operation: &str,
        env: &Environment,
        notify: &mut Notify<'_>,
    ) -> Result<(
        Box<dyn crate::state::Backend>,
        Option<crate::state::LockGuard>,
    )> {
        crate::config::check_dir(&self.dir)?;
        state::refuse_local_state_left_behind(&self.dir, &self.state)?;
        connect::ensure_state_dir(&self.state)?;
        let backend = crate::state::open(&self.state);
        let lock = lock::acquire(&backend, operation, self.locking, env, notify)?;
        Ok((backend, lock))
    }
}

/// What an op needs from the process environment, read by the caller.
#[derive(Debug, Clone)]
pub struct Environment {
    /// One environment variable (credentials, region, endpoint, profile chains).
    pub var: fn(&str) -> Option<String>,
    /// The home directory (`~/.aliyun/config.json`).
    pub home: Option<PathBuf>,
    /// Who holds a lock this process takes: the user and the host.
    pub user: String,
    pub host: String,
}

impl Environment {
    /// No variables, no home: only what a request and the configuration say (tests, benches).
    pub fn empty() -> Self {
        Self {
            var: |_| None,
            home: None,
            user: "unknown".to_owned(),
            host: "unknown".to_owned(),
        }
    }
}

/// What an op says while it runs, for the caller to show as it comes (the CLI prints each on
/// stderr, except [`Notice::Importing`], which is `import`'s first line on stdout).
#[derive(Debug)]
pub enum Notice<'a> {
    /// The clients point at the embedded sandbox running this world (as the user named it),
    /// whose changes go to `copy` (the working copy in `.sgform/`, as a path from the working
    /// directory).
    Sandbox { world: &'a str, copy: &'a str },
    /// A provider's client talks to Alibaba Cloud (not the sandbox): which region, where its
    /// credentials come from (`profile NAME`, `environment ALIBABA_CLOUD_ACCESS_KEY_ID`; never a
    /// key or a secret) and the endpoint (without any user info or query). Once per provider.
    Provider {
        /// `alicloud` or `alicloud.ALIAS`.
        name: &'a str,
        region: &'a str,
        credentials: &'a str,
        endpoint: &'a str,
    },
    /// The state lock is held by `holder`; waiting up to `timeout` for it.
    WaitingForLock { timeout: Duration, holder: &'a str },
    /// The refresh read this much.
    Refreshed(&'a RefreshStats),
    /// Diagnostics found along the way (the op goes on unless one is an error).
    Diagnostics {
        list: &'a [Diagnostic],
        sources: &'a SourceMap,
    },
    /// `generate` with no selector reads every target of the provider's region.
    ReadingEverything { region: &'a str, provider: &'a str },
    /// `generate` read the selection: the listing's figures, and the data sources' calls.
    Read {
        stats: &'a RefreshStats,
        data_calls: u64,
    },
    /// `generate` left these out of what it declares (`dir`: the configuration directory).
    LeftOut {
        stats: &'a crate::config::generate::Stats,
        dir: &'a std::path::Path,
    },
    /// `import` is about to read the pair `id` (as it may be shown) for `address`.
    Importing { address: &'a Address, id: &'a str },
}

/// Where an op reports its [`Notice`]s.
pub type Notify<'n> = dyn FnMut(Notice<'_>) + 'n;

/// Why an op failed (as opposed to a refusal with diagnostics, which ops return as values).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be carried out as asked: the message says why, and how to go on.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    State(#[from] crate::state::Error),
    #[error(transparent)]
    Config(#[from] crate::config::Error),
    #[error(transparent)]
    Refresh(#[from] crate::plan::refresh::Error),
    #[error(transparent)]
    Cloud(#[from] crate::cloud::Error),
    #[error(transparent)]
    PlanFile(#[from] crate::plan::planfile::Error),
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    #[error(transparent)]
    Write(#[from] crate::fsutil::WriteError),
    /// A step failed: what was being done, and (as the source) why.
    #[error("{context}")]
    Failed {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl Error {
    /// [`Error::Refused`] with this message.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused(message.into())
    }
}

/// `Result<T, ops::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Says what was being done when an error happened: the error becomes the source of an
/// [`Error::Failed`] with that context.
pub trait Context<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Failed {
            context: context.into(),
            source: Box::new(e),
        })
    }

    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::Failed {
            context: context().into(),
            source: Box::new(e),
        })
    }
}
