//! Where credentials and the region come from, in a fixed order:
//!
//! 1. the provider block's settings (`access_key`, `secret_key`, `security_token`, `region`);
//! 2. the environment: `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` /
//!    `ALIBABA_CLOUD_SECURITY_TOKEN`, then the terraform provider's `ALICLOUD_ACCESS_KEY` /
//!    `ALICLOUD_SECRET_KEY` / `ALICLOUD_SECURITY_TOKEN`;
//! 3. the aliyun CLI profile file `~/.aliyun/config.json` (the profile named by the provider
//!    `profile` setting, else `ALIBABA_CLOUD_PROFILE`, else the file's `current`), modes `AK`
//!    and `StsToken`.
//!
//! Region: provider `region` → `ALIBABA_CLOUD_REGION_ID` → `ALICLOUD_REGION` → profile
//! `region_id`. Endpoint: an explicit override (`--endpoint`) → provider `endpoint` →
//! `ALIBABA_CLOUD_ENDPOINT_ECS` → `https://ecs.<region>.aliyuncs.com`.
//!
//! This module never reads the process environment: callers pass a lookup function (the CLI
//! passes `cli::env::get`, tests pass a map) and the home directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{Error, Looked};
use super::secret::Secret;
use crate::ids::RegionId;

/// Environment variable names the chain reads (the CLI documents the same names in `cli::env`).
pub mod vars {
    pub const ALIBABA_CLOUD_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
    pub const ALIBABA_CLOUD_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
    pub const ALIBABA_CLOUD_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
    pub const ALICLOUD_ACCESS_KEY: &str = "ALICLOUD_ACCESS_KEY";
    pub const ALICLOUD_SECRET_KEY: &str = "ALICLOUD_SECRET_KEY";
    pub const ALICLOUD_SECURITY_TOKEN: &str = "ALICLOUD_SECURITY_TOKEN";
    pub const ALIBABA_CLOUD_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
    pub const ALIBABA_CLOUD_REGION_ID: &str = "ALIBABA_CLOUD_REGION_ID";
    pub const ALICLOUD_REGION: &str = "ALICLOUD_REGION";
    pub const ALIBABA_CLOUD_ENDPOINT_ECS: &str = "ALIBABA_CLOUD_ENDPOINT_ECS";
}

/// An environment lookup: `None` when the variable is unset.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What the provider block says (`sgform api` fills it from `--region` and `--profile`); every
/// field is optional.
#[derive(Debug, Clone, Default)]
pub struct ProviderSettings {
    pub access_key: Option<String>,
    pub secret_key: Option<Secret>,
    pub security_token: Option<Secret>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    /// Where `region` and `profile` come from, so that messages name a place the user can edit.
    pub origin: Origin,
}

/// Who filled [`ProviderSettings`]: the flags of a command, or a provider block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Origin {
    /// A command's `--region` and `--profile` flags (`sgform api`).
    #[default]
    Flags,
    /// A provider block, by the name a reference gives it (`alicloud`, `alicloud.west`);
    /// `declared` is false for the default provider the loader adds when there is no block.
    Provider { name: String, declared: bool },
}

impl Origin {
    /// The place that sets `region` (or `profile`), as a message names it.
    fn setting(&self, attribute: &str) -> String {
        match self {
            Origin::Flags => format!("`--{attribute}`"),
            Origin::Provider {
                name,
                declared: true,
            } => format!("`{attribute}` of provider `{name}`"),
            Origin::Provider { name, .. } => {
                format!(
                    "`{attribute}` of provider `{name}` (the configuration has no block for it)"
                )
            }
        }
    }

    /// How to set `attribute` to `example`, as a hint says it.
    fn how_to_set(&self, attribute: &str, example: &str) -> String {
        match self {
            Origin::Flags => format!("pass `--{attribute} {example}`"),
            Origin::Provider {
                name,
                declared: true,
            } => format!("set `{attribute} = \"{example}\"` in the block of provider `{name}`"),
            Origin::Provider { .. } => format!(
                "add `provider \"alicloud\" {{ {attribute} = \"{example}\" }}` to the configuration"
            ),
        }
    }
}

/// Where the credentials in use came from, for messages and `--debug` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    ProviderSettings,
    Environment { id_var: &'static str },
    Profile { path: PathBuf, name: String },
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSource::ProviderSettings => f.write_str("provider settings"),
            CredentialSource::Environment { id_var } => write!(f, "environment ({id_var})"),
            CredentialSource::Profile { path, name } => {
                write!(f, "profile `{name}` in {}", path.display())
            }
        }
    }
}

/// An AccessKey pair, with an STS token for temporary credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
    pub source: CredentialSource,
}

impl Credentials {
    /// Plain AccessKey credentials (tests and callers that already hold them).
    pub fn new(access_key_id: impl Into<String>, access_key_secret: Secret) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret,
            security_token: None,
            source: CredentialSource::ProviderSettings,
        }
    }

    /// The same credentials with an STS token.
    pub fn with_security_token(mut self, token: Secret) -> Self {
        self.security_token = Some(token);
        self
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn not_set(place: impl Into<String>) -> Looked {
    Looked {
        place: place.into(),
        found: "not set".to_owned(),
    }
}

fn looked_at(place: impl Into<String>, found: impl Into<String>) -> Looked {
    Looked {
        place: place.into(),
        found: found.into(),
    }
}

/// Resolves credentials through the chain; the error lists what it found in the places that
/// exist (a variable set but empty, a token without a key, a profile file without a current
/// profile), not the places that are simply absent.
pub fn resolve_credentials(
    settings: &ProviderSettings,
    env: EnvLookup<'_>,
    home: Option<&Path>,
) -> Result<Credentials, Error> {
    let mut looked = Vec::new();

    // 1. Provider settings.
    let id = non_empty(settings.access_key.clone());
    let secret = settings.secret_key.clone().filter(|s| !s.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => {
            return Ok(Credentials {
                access_key_id: id,
                access_key_secret: secret,
                security_token: settings.security_token.clone().filter(|s| !s.is_empty()),
                source: CredentialSource::ProviderSettings,
            });
        }
        (Some(_), None) => {
            return Err(Error::IncompleteCredentials {
                place: "provider settings".to_owned(),
                detail: "`access_key` is set but `secret_key` is not".to_owned(),
            });
        }
        (None, Some(_)) => {
            return Err(Error::IncompleteCredentials {
                place: "provider settings".to_owned(),
                detail: "`secret_key` is set but `access_key` is not".to_owned(),
            });
        }
        (None, None) => {
            if settings
                .security_token
                .as_ref()
                .is_some_and(|t| !t.is_empty())
            {
                looked.push(looked_at(
                    "provider settings `security_token`",
                    "set, but `access_key` and `secret_key` are not",
                ));
            }
        }
    }

    // 2. Environment, SDK names first, then the terraform provider's.
    for (id_var, secret_var, token_var) in [
        (
            vars::ALIBABA_CLOUD_ACCESS_KEY_ID,
            vars::ALIBABA_CLOUD_ACCESS_KEY_SECRET,
            vars::ALIBABA_CLOUD_SECURITY_TOKEN,
        ),
        (
            vars::ALICLOUD_ACCESS_KEY,
            vars::ALICLOUD_SECRET_KEY,
            vars::ALICLOUD_SECURITY_TOKEN,
        ),
    ] {
        match (non_empty(env(id_var)), non_empty(env(secret_var))) {
            (Some(id), Some(secret)) => {
                return Ok(Credentials {
                    access_key_id: id,
                    access_key_secret: Secret::new(secret),
                    security_token: non_empty(env(token_var)).map(Secret::new),
                    source: CredentialSource::Environment { id_var },
                });
            }
            (Some(_), None) => {
                return Err(Error::IncompleteCredentials {
                    place: "the environment".to_owned(),
                    detail: format!("{id_var} is set but {secret_var} is not"),
                });
            }
            (None, Some(_)) => {
                return Err(Error::IncompleteCredentials {
                    place: "the environment".to_owned(),
                    detail: format!("{secret_var} is set but {id_var} is not"),
                });
            }
            (None, None) => {
                for var in [id_var, secret_var] {
                    if env(var).is_some() {
                        looked.push(looked_at(format!("environment {var}"), "set but empty"));
                    }
                }
                if non_empty(env(token_var)).is_some() {
                    looked.push(looked_at(
                        format!("environment {token_var}"),
                        format!("set, but {id_var} and {secret_var} are not"),
                    ));
                }
            }
        }
    }

    // 3. The aliyun CLI profile.
    match load_profile(settings, env, home)? {
        ProfileLookup::Found { path, profile } => {
            let name = profile.name.clone();
            let place = format!("profile `{name}` in {}", path.display());
            let creds = profile.credentials(&place)?;
            return Ok(Credentials {
                source: CredentialSource::Profile { path, name },
                ..creds
            });
        }
        ProfileLookup::Missing { entry, exists } => {
            if exists {
                looked.push(entry);
            }
        }
    }

    let mut hint = "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure` (it writes ~/.aliyun/config.json)".to_owned();
    if looked.iter().any(|l| l.found == NO_CURRENT_PROFILE) {
        hint = format!(
            "{}, set {}, or {hint}",
            settings.origin.how_to_set("profile", "NAME"),
            vars::ALIBABA_CLOUD_PROFILE
        );
    }
    Err(Error::NoCredentials { looked, hint })
}

/// Resolves the region through the chain; the error lists every place looked at.
pub fn resolve_region(
    settings: &ProviderSettings,
    env: EnvLookup<'_>,
    home: Option<&Path>,
) -> Result<RegionId, Error> {
    let parse = |place: &str, value: &str| {
        RegionId::parse(value.trim()).map_err(|error| Error::InvalidRegion {
            place: place.to_owned(),
            error,
        })
    };
    let mut looked = Vec::new();
    let setting = settings.origin.setting("region");
    if let Some(region) = non_empty(settings.region.clone()) {
        return parse(&setting, &region);
    }
    looked.push(not_set(setting));
    for var in [vars::ALIBABA_CLOUD_REGION_ID, vars::ALICLOUD_REGION] {
        if let Some(region) = non_empty(env(var)) {
            return parse(&format!("environment {var}"), &region);
        }
        looked.push(not_set(format!("environment {var}")));
    }
    match load_profile(settings, env, home)? {
        ProfileLookup::Found { path, profile } => {
            let place = format!(
                "`region_id` of profile `{}` in {}",
                profile.name,
                path.display()
            );
            match non_empty(profile.region_id.clone()) {
                Some(region) => return parse(&place, &region),
                None => looked.push(not_set(place)),
            }
        }
        ProfileLookup::Missing { entry, .. } => looked.push(entry),
    }
    let hint = format!(
        "{}, or set {}",
        settings.origin.how_to_set("region", "cn-hangzhou"),
        vars::ALIBABA_CLOUD_REGION_ID
    );
    Err(Error::NoRegion { looked, hint })
}

/// The endpoint: `override_` (the CLI's `--endpoint`) → provider `endpoint` →
/// `ALIBABA_CLOUD_ENDPOINT_ECS` → `https://ecs.<region>.aliyuncs.com`.
pub fn resolve_endpoint(
    override_: Option<&str>,
    settings: &ProviderSettings,
    env: EnvLookup<'_>,
    region: &RegionId,
) -> String {
    override_
        .map(str::to_owned)
        .or_else(|| non_empty(settings.endpoint.clone()))
        .or_else(|| non_empty(env(vars::ALIBABA_CLOUD_ENDPOINT_ECS)))
        .unwrap_or_else(|| default_endpoint(region))
}

/// `https://ecs.<region>.aliyuncs.com`, the regional endpoint.
pub fn default_endpoint(region: &RegionId) -> String {
    format!("https://ecs.{region}.aliyuncs.com")
}

/// Everything a [`super::Client`] needs from the chains.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub region: RegionId,
    pub credentials: Credentials,
    pub endpoint: String,
}

/// Runs the region, credentials and endpoint chains in one go.
pub fn resolve(
    settings: &ProviderSettings,
    endpoint_override: Option<&str>,
    env: EnvLookup<'_>,
    home: Option<&Path>,
) -> Result<Resolved, Error> {
    let region = resolve_region(settings, env, home)?;
    let credentials = resolve_credentials(settings, env, home)?;
    let endpoint = resolve_endpoint(endpoint_override, settings, env, &region);
    Ok(Resolved {
        region,
        credentials,
        endpoint,
    })
}

/// The aliyun CLI config file (only the fields sgform uses; the rest is ignored).
#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Debug, Clone, Deserialize)]
struct Profile {
    name: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    access_key_secret: Option<Secret>,
    #[serde(default)]
    sts_token: Option<Secret>,
    #[serde(default)]
    region_id: Option<String>,
}

impl Profile {
    fn credentials(&self, place: &str) -> Result<Credentials, Error> {
        let token = self.sts_token.clone().filter(|t| !t.is_empty());
        // An empty mode is recognised from the fields, as the aliyun CLI does.
        let mode = match self.mode.as_deref().filter(|m| !m.is_empty()) {
            Some(mode) => mode.to_owned(),
            None if token.is_some() => "StsToken".to_owned(),
            None => "AK".to_owned(),
        };
        if mode != "AK" && mode != "StsToken" {
            return Err(Error::IncompleteCredentials {
                place: place.to_owned(),
                detail: format!(
                    "mode `{mode}` is not supported; sgform reads modes `AK` and `StsToken` (use environment variables for other kinds of credentials)"
                ),
            });
        }
        let id = non_empty(self.access_key_id.clone());
        let secret = self.access_key_secret.clone().filter(|s| !s.is_empty());
        let (Some(id), Some(secret)) = (id, secret) else {
            return Err(Error::IncompleteCredentials {
                place: place.to_owned(),
                detail: "`access_key_id` and `access_key_secret` must both be set".to_owned(),
            });
        };
        if mode == "StsToken" && token.is_none() {
            return Err(Error::IncompleteCredentials {
                place: place.to_owned(),
                detail: "mode `StsToken` needs `sts_token`".to_owned(),
            });
        }
        Ok(Credentials {
            access_key_id: id,
            access_key_secret: secret,
            security_token: if mode == "StsToken" { token } else { None },
            source: CredentialSource::ProviderSettings,
        })
    }
}

enum ProfileLookup {
    Found {
        path: PathBuf,
        profile: Profile,
    },
    /// No profile to read, and why; `exists`: the file is there (or cannot be looked for), so a
    /// credentials error names it.
    Missing {
        entry: Looked,
        exists: bool,
    },
}

/// What a profile file without a profile to read says (the hint then suggests naming one).
const NO_CURRENT_PROFILE: &str = "no profile requested and no `current` profile";

/// The aliyun CLI config path under `home`.
pub fn profile_path(home: &Path) -> PathBuf {
    home.join(".aliyun").join("config.json")
}

fn load_profile(
    settings: &ProviderSettings,
    env: EnvLookup<'_>,
    home: Option<&Path>,
) -> Result<ProfileLookup, Error> {
    let requested = non_empty(settings.profile.clone())
        .map(|p| (p, settings.origin.setting("profile")))
        .or_else(|| {
            non_empty(env(vars::ALIBABA_CLOUD_PROFILE))
                .map(|p| (p, format!("environment {}", vars::ALIBABA_CLOUD_PROFILE)))
        });
    let Some(home) = home else {
        let looked = Looked {
            place: "~/.aliyun/config.json".to_owned(),
            found: "no home directory (HOME is not set)".to_owned(),
        };
        return match requested {
            Some((name, from)) => Err(Error::ProfileFile {
                path: PathBuf::from("~/.aliyun/config.json"),
                detail: format!("profile `{name}` (from {from}) requested, but HOME is not set"),
            }),
            None => Ok(ProfileLookup::Missing {
                entry: looked,
                exists: true,
            }),
        };
    };
    let path = profile_path(home);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some((name, from)) = requested {
                return Err(Error::ProfileFile {
                    path,
                    detail: format!(
                        "profile `{name}` (from {from}) requested, but the file does not exist; run `aliyun configure --profile {name}`"
                    ),
                });
            }
            return Ok(ProfileLookup::Missing {
                entry: Looked {
                    place: path.display().to_string(),
                    found: "file does not exist".to_owned(),
                },
                exists: false,
            });
        }
        Err(e) => {
            return Err(Error::ProfileFile {
                path,
                detail: format!("cannot read it: {e}"),
            });
        }
    };
    let file: ConfigFile = serde_json::from_str(&text).map_err(|e| Error::ProfileFile {
        path: path.clone(),
        detail: format!("not valid JSON: {e}"),
    })?;
    let (name, from) = match requested {
        Some(r) => r,
        None => match non_empty(file.current.clone()) {
            Some(current) => (current, "the file's `current`".to_owned()),
            None => {
                return Ok(ProfileLookup::Missing {
                    entry: Looked {
                        place: path.display().to_string(),
                        found: NO_CURRENT_PROFILE.to_owned(),
                    },
                    exists: true,
                });
            }
        },
    };
    match file.profiles.into_iter().find(|p| p.name == name) {
        Some(profile) => Ok(ProfileLookup::Found { path, profile }),
        None => Err(Error::ProfileFile {
            path,
            detail: format!("profile `{name}` (from {from}) is not in the file"),
        }),
    }
}

#[cfg(test)]
mod tests;
