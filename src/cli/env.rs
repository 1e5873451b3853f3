//! Every environment variable sgform reads, in one place, each documented.
//!
//! The rest of the crate never calls `std::env::var` (clippy's `disallowed-methods` enforces
//! it): library code takes what it needs as arguments, so tests can set "the environment" without
//! touching the process's.

#![allow(clippy::disallowed_methods)] // this module is the one allowed reader

/// Debug logging filter, e.g. `SGFORM_LOG=debug` (secrets and sensitive values are masked in every log line).
pub const SGFORM_LOG: &str = "SGFORM_LOG";
/// Disable colour when set to anything non-empty (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// AccessKey ID (Alibaba Cloud SDK convention).
pub const ALIBABA_CLOUD_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// AccessKey secret (Alibaba Cloud SDK convention).
pub const ALIBABA_CLOUD_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// STS security token (Alibaba Cloud SDK convention).
pub const ALIBABA_CLOUD_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// AccessKey ID (terraform provider convention).
pub const ALICLOUD_ACCESS_KEY: &str = "ALICLOUD_ACCESS_KEY";
/// AccessKey secret (terraform provider convention).
pub const ALICLOUD_SECRET_KEY: &str = "ALICLOUD_SECRET_KEY";
/// STS security token (terraform provider convention).
pub const ALICLOUD_SECURITY_TOKEN: &str = "ALICLOUD_SECURITY_TOKEN";
/// Profile name in `~/.aliyun/config.json`.
pub const ALIBABA_CLOUD_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// Region (aliyun CLI convention).
pub const ALIBABA_CLOUD_REGION_ID: &str = "ALIBABA_CLOUD_REGION_ID";
/// Region (terraform provider convention).
pub const ALICLOUD_REGION: &str = "ALICLOUD_REGION";
/// ECS endpoint override, e.g. an emulator's `http://127.0.0.1:PORT`.
pub const ALIBABA_CLOUD_ENDPOINT_ECS: &str = "ALIBABA_CLOUD_ENDPOINT_ECS";
/// Prefix of input variables: `SGFORM_VAR_region=cn-hangzhou` sets `var.region`.
pub const SGFORM_VAR_PREFIX: &str = "SGFORM_VAR_";
/// Home directory, to find `~/.aliyun/config.json`.
pub const HOME: &str = "HOME";
/// The user named in a state lock's holder info (`user@host`).
pub const USER: &str = "USER";
/// The user, when `USER` is unset (POSIX login name).
pub const LOGNAME: &str = "LOGNAME";
/// The terminal type; unset or `dumb` means no cursor movement, so `apply` shows no progress bar.
pub const TERM: &str = "TERM";

/// The PostgreSQL state backend's connection string (`postgres://user:password@host/db` or
/// `host=… user=…`) when the `backend "pg"` block has no `conn_str`; never shown.
pub const SGFORM_PG_CONN_STR: &str = "SGFORM_PG_CONN_STR";
/// The state backend's workspace, over the `backend` block's `workspace`.
pub const SGFORM_WORKSPACE: &str = "SGFORM_WORKSPACE";
/// The libpq variables the PostgreSQL backend reads for what its connection string leaves out
/// (`state::pg::PG_VARS` keeps the same list: `state` may not import `cli`).
pub const LIBPQ_VARS: &[&str] = &[
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
    "PGOPTIONS",
];

/// Shown at the end of `sgform --help`.
pub const HELP: &str = "\
Environment:
  ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN
  ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY, ALICLOUD_SECURITY_TOKEN   credentials
  ALIBABA_CLOUD_PROFILE        profile in ~/.aliyun/config.json
  ALIBABA_CLOUD_REGION_ID, ALICLOUD_REGION                           region
  ALIBABA_CLOUD_ENDPOINT_ECS   ECS endpoint override
  SGFORM_VAR_<name>            value of input variable <name>
  SGFORM_PG_CONN_STR           PostgreSQL state backend connection string (backend \"pg\")
  SGFORM_WORKSPACE             state backend workspace (over the block's `workspace`)
  PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, …      libpq defaults for it
  SGFORM_LOG                   log filter, e.g. `debug` (secrets and sensitive values masked)
  USER, LOGNAME                who holds a state lock (`user@host`)
  NO_COLOR                     disable colour
  TERM                         unset or `dumb`: no progress bar";

/// One variable, `None` when unset or not valid UTF-8.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// One variable, `None` when unset, empty or not valid UTF-8.
pub fn non_empty(name: &str) -> Option<String> {
    get(name).filter(|v| !v.is_empty())
}

/// Every variable whose name starts with `prefix`, with the prefix removed (for `SGFORM_VAR_*`).
pub fn with_prefix(prefix: &str) -> Vec<(String, String)> {
    let mut vars: Vec<_> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|name| (name.to_owned(), v)))
        .collect();
    vars.sort();
    vars
}

/// The user to name in a state lock: `USER`, else `LOGNAME`, else `unknown`.
pub fn user() -> String {
    non_empty(USER)
        .or_else(|| non_empty(LOGNAME))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// What the ops need from the environment, read here: the variable lookup of the credential
/// chains, the home directory, and who holds a lock this process takes.
pub fn environment() -> crate::ops::Environment {
    crate::ops::Environment {
        var: get,
        home: non_empty(HOME).map(std::path::PathBuf::from),
        user: user(),
        host: host(),
        pg_conn_str: non_empty(SGFORM_PG_CONN_STR),
        workspace: non_empty(SGFORM_WORKSPACE),
    }
}

/// This machine's name for a lock's holder info, read from the kernel (not the environment),
/// or `unknown`.
pub fn host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            let name = std::fs::read_to_string(p).ok()?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Installs the log subscriber on stderr, filtered by `SGFORM_LOG` (off when unset).
pub fn init_logging() {
    let Some(filter) = non_empty(SGFORM_LOG) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
    // Ignore the error: a subscriber may already be installed (tests).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
