//! Where a PostgreSQL state is: the connection settings (a connection string over the libpq
//! `PG*` variables, as libpq combines them), the schema and the workspace; and opening a
//! connection with them, through rustls when `sslmode` asks for TLS.
//!
//! The password is kept only inside the driver's settings (whose `Debug` redacts it) and as the
//! one string every message is scrubbed of: [`PgLocation`]'s `Display` is
//! `pg://user@host:port/db (schema s, workspace w)`.

use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config, NoTls};

use super::super::Error;

/// The libpq variables read when the connection string does not say (the caller passes a lookup:
/// the library reads no environment).
pub const PG_VARS: &[&str] = &[
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

/// How long a connection attempt may take unless the settings say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether to speak TLS: libpq's `sslmode`, as sgform honours it. `require`, `verify-ca` and
/// `verify-full` all verify the server's certificate against the web PKI roots (rustls has no
/// unverified mode); `disable` and `prefer` connect in the clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Off,
    Verified,
}

/// A PostgreSQL state: connection settings, schema, workspace.
#[derive(Clone, PartialEq, Eq)]
pub struct PgLocation {
    config: Config,
    tls: Tls,
    schema: String,
    workspace: String,
}

impl std::fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Display` names no password; the driver's `Debug` would show its bytes redacted, but
        // this way nothing depends on it.
        write!(f, "PgLocation({self})")
    }
}

impl std::fmt::Display for PgLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self.config.get_user().unwrap_or("");
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self.config.get_dbname().unwrap_or(user);
        let at = if user.is_empty() {
            String::new()
        } else {
            format!("{user}@")
        };
        write!(
            f,
            "pg://{at}{host}:{port}/{db} (schema {}, workspace {})",
            self.schema, self.workspace
        )
    }
}

impl PgLocation {
    /// The settings of `conn_str` (a URL `postgres://…` or `key=value …`), each one it leaves out
    /// taken from the libpq variable `var` finds (`PGHOST`, `PGPASSWORD`, …); `schema` and
    /// `workspace` as checked by the configuration. An invalid string is an error that does not
    /// quote it.
    pub fn new(
        conn_str: Option<&str>,
        var: &dyn Fn(&str) -> Option<String>,
        schema: &str,
        workspace: &str,
    ) -> Result<Self, Error> {
        let text = conn_str.unwrap_or("");
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        // `sslmode` as given, or `PGSSLMODE`; the driver knows only disable/prefer/require, so
        // the verifying modes are read here and handed to it as `require`.
        let given_mode = ssl_mode_in(text);
        let mode = given_mode.clone().or_else(|| var("PGSSLMODE"));
        let (tls, driver_mode) = match mode.as_deref() {
            None | Some("disable" | "allow" | "prefer") => (Tls::Off, SslMode::Disable),
            Some("require" | "verify-ca" | "verify-full") => (Tls::Verified, SslMode::Require),
            Some(_) => {
                // Not quoted: a mistyped string may have put anything there.
                return Err(Error::PgSettings {
                    reason: "`sslmode` has a value sgform does not know; it knows `disable`, `prefer`, `require`, `verify-ca` and `verify-full`".to_owned(),
                });
            }
        };
        let stripped = match &given_mode {
            Some(m) => text.replacen(&format!("sslmode={m}"), "sslmode=disable", 1),
            None => text.to_owned(),
        };
        let mut config = if stripped.trim().is_empty() {
            Config::new()
        } else {
            stripped.parse::<Config>().map_err(|e| Error::PgSettings {
                // The driver's parse errors name the option, never the value.
                reason: format!("the connection string does not parse: {e}"),
            })?
        };
        config.ssl_mode(driver_mode);
        if config.get_hosts().is_empty() {
            let hosts = var("PGHOST").unwrap_or_else(|| "localhost".to_owned());
            for host in hosts.split(',') {
                if host.starts_with('/') {
                    config.host_path(host);
                } else {
                    config.host(host);
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = var("PGPORT")
        {
            let port = port.parse::<u16>().map_err(|_| Error::PgSettings {
                reason: "`PGPORT` is not a port number".to_owned(),
            })?;
            config.port(port);
        }
        if config.get_user().is_none()
            && let Some(user) = var("PGUSER")
        {
            config.user(user);
        }
        if config.get_password().is_none()
            && let Some(password) = var("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_dbname().is_none()
            && let Some(db) = var("PGDATABASE")
        {
            config.dbname(db);
        }
        if config.get_options().is_none()
            && let Some(options) = var("PGOPTIONS")
        {
            config.options(options);
        }
        if config.get_application_name().is_none() {
            config.application_name(var("PGAPPNAME").unwrap_or_else(|| "sgform".to_owned()));
        }
        if config.get_connect_timeout().is_none() {
            let secs = var("PGCONNECT_TIMEOUT").and_then(|s| s.parse::<u64>().ok());
            config.connect_timeout(secs.map_or(CONNECT_TIMEOUT, Duration::from_secs));
        }
        Ok(Self {
            config,
            tls,
            schema: schema.to_owned(),
            workspace: workspace.to_owned(),
        })
    }

    /// The schema that holds the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The workspace: one state among those in the schema.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// Whether TLS is used.
    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// `text` with the password, if any, replaced by `***`.
    pub(super) fn scrub(&self, text: String) -> String {
        match self.config.get_password() {
            Some(p) if p.len() >= 2 => {
                let password = String::from_utf8_lossy(p);
                text.replace(password.as_ref(), "***")
            }
            _ => text,
        }
    }

    /// Opens a connection and spawns its driver on the current runtime.
    pub(super) async fn connect(&self) -> Result<Client, tokio_postgres::Error> {
        match self.tls {
            Tls::Off => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(drive(connection));
                Ok(client)
            }
            Tls::Verified => {
                let (client, connection) = self.config.connect(rustls_connector()).await?;
                tokio::spawn(drive(connection));
                Ok(client)
            }
        }
    }
}

/// Runs a connection until it closes (the driver reports its failures to the client's calls).
async fn drive<F: std::future::Future>(connection: F) {
    let _ = connection.await;
}

/// The TLS connector: rustls (ring) with the web PKI roots.
fn rustls_connector() -> tokio_postgres_rustls::MakeRustlsConnect {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|e| unreachable!("ring supports the default protocol versions: {e}"));
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// The value of `sslmode` in a connection string (`sslmode=x` in either form), if given.
fn ssl_mode_in(text: &str) -> Option<String> {
    let at = text.find("sslmode=")?;
    let rest = &text[at + "sslmode=".len()..];
    let end = rest.find(['&', ' ', '#']).unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}
