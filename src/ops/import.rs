//! `import`: adopt a membership that already exists into the state, as `terraform import`
//! does, so that sgform manages it from then on (removing its declaration later makes it
//! leave).
//!
//! Before anything is written, it checks, in this order: the state lock is free; no state
//! entry manages the pair yet (naming the one that does); ADDR is declared (with its
//! `for_each` key: `membership.web["i-…"]`; data sources are read only when the block's keys
//! come from one) and declares this very pair (else it says what ADDR declares); the pair
//! exists, by one Describe call of the target through the client `plan` uses (the sandbox
//! included) — when the target is not in the group, one more call tells a missing group from a
//! missing membership. Then the entry is written through the state backend (under the lock,
//! in one compare-and-swap write). The checks return what they found; nothing here prints.

use super::connect;
use super::plan as plan_op;
use super::{Context as _, Environment, Error, Notice, Notify, Result, Source};
use crate::cloud::Client;
use crate::cloud::api::TargetsById;
use crate::config::{Common, Config, Declaration, provider_name};
use crate::diag::{self, Diagnostic};
use crate::ids::{Address, SecurityGroupId, Target};
use crate::plan::refresh::{self, Clients};
use crate::plan::render::SENSITIVE;
use crate::state::{LockGuard, ManagedMembership};

/// An import: the pair to adopt and the address to adopt it under.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: Source,
    /// The address to import into, with its `for_each` key.
    pub address: Address,
    pub group: SecurityGroupId,
    pub target: Target,
}

/// What an import came to (its failures apart).
pub enum Outcome {
    /// The configuration has errors, or a check refused the import: nothing was written.
    Refused {
        config: Box<Config>,
        diagnostics: Vec<Diagnostic>,
    },
    Imported(Box<Imported>),
}

/// The entry written.
pub struct Imported {
    pub membership: ManagedMembership,
    /// The group and the target as they may be shown (`(sensitive value)` when they came from
    /// a sensitive attribute).
    pub group: String,
    pub target: String,
    /// The serial of the state written.
    pub serial: u64,
    /// The lock, still held: release it once the import is reported (the write stands even if
    /// the unlock fails).
    pub lock: Option<LockGuard>,
}

/// Checks the pair and writes it to the state (see the module docs).
pub async fn import(
    request: &Request,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<Outcome> {
    let source = &request.source;
    let (backend, lock) = source.lock("import", env, notify)?;
    let loaded = match plan_op::load(&source.dir, &source.variables, &backend)? {
        Ok(loaded) => loaded,
        Err((config, diagnostics)) => {
            return Ok(Outcome::Refused {
                config: Box::new(config),
                diagnostics,
            });
        }
    };
    if !loaded.diagnostics.is_empty() {
        notify(Notice::Diagnostics {
            list: &loaded.diagnostics,
            sources: loaded.config.sources(),
        });
    }
    let (address, group, target) = (&request.address, &request.group, &request.target);
    let state = loaded.state;
    if let Some(m) = state
        .memberships
        .iter()
        .find(|m| m.security_group_id == *group && m.target == *target)
    {
        let pair = format!("{}/{}", m.security_group_id, m.target);
        if m.address == *address {
            return Err(Error::refused(format!(
                "`{pair}` is already managed by `{address}`: there is nothing to import\n  hint: `sgform state show {}` shows the entry",
                shell_word(address)
            )));
        }
        return Err(Error::refused(format!(
            "`{pair}` is already managed, by `{}`\n  hint: a membership is imported once; to manage it under `{address}` instead, run `sgform state rm {}` first",
            m.address,
            shell_word(&m.address)
        )));
    }
    let config = loaded.config;

    let connection = connect::connect(&config, &source.connect, env, notify).await?;
    let checked = check(
        &connection.clients,
        &config,
        request,
        source.parallelism as usize,
        notify,
    )
    .await;
    connection.shutdown().await?;
    let entry = match checked {
        Ok(entry) => entry,
        Err(Refused::Diagnostics(diagnostics)) => {
            return Ok(Outcome::Refused {
                config: Box::new(config),
                diagnostics,
            });
        }
        Err(Refused::Error(e)) => return Err(e),
    };

    let mut next = state;
    next.memberships.insert(entry.membership.clone());
    let written = backend.write(&next)?;
    Ok(Outcome::Imported(Box::new(Imported {
        membership: entry.membership,
        group: entry.group,
        target: entry.target,
        serial: written.serial,
        lock,
    })))
}

/// What the checks found wrong: diagnostics (shown with the configuration's sources), or an
/// error of the import itself.
enum Refused {
    Diagnostics(Vec<Diagnostic>),
    Error(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Error(e)
    }
}

/// The entry to write, and how its IDs may be shown.
struct Checked {
    membership: ManagedMembership,
    group: String,
    target: String,
}

/// `'membership.web["i-…"]'` for a shell, as the user must type it.
fn shell_word(address: &Address) -> String {
    let text = address.to_string();
    if text.contains(['[', '"']) {
        format!("'{text}'")
    } else {
        text
    }
}

/// How an ID of `decl` prints: `(sensitive value)` when it came from a sensitive attribute.
fn shown(common: &Common, attrs: &[&str], id: &str) -> String {
    if attrs.iter().any(|a| common.is_sensitive(a)) {
        SENSITIVE.to_owned()
    } else {
        format!("`{id}`")
    }
}

fn target_attrs(decl: &Declaration, target: &Target) -> &'static [&'static str] {
    match (decl, target) {
        (Declaration::GroupMembers(_), Target::Instance(_)) => &["instance_ids"],
        (Declaration::GroupMembers(_), Target::NetworkInterface(_)) => &["network_interface_ids"],
        (_, Target::Instance(_)) => &["instance_id"],
        (_, Target::NetworkInterface(_)) => &["network_interface_id"],
    }
}

const GROUP_ATTRS: &[&str] = &["security_group_id", "security_group_ids"];

/// A diagnostic about `common`'s block, pointing at it.
fn at(common: &Common, d: Diagnostic) -> Diagnostic {
    let d = d.with_address(common.address.clone());
    match common.span {
        Some(span) => d.with_span_label(span, format!("declared by `{}`", common.address)),
        None => d,
    }
}

/// Checks that `address` declares the pair and that the pair exists; the entry to write.
async fn check(
    clients: &Clients,
    config: &Config,
    request: &Request,
    parallelism: usize,
    notify: &mut Notify<'_>,
) -> std::result::Result<Checked, Refused> {
    let (address, group, target) = (&request.address, &request.group, &request.target);
    // The declarations with their keys: data sources are read only when the block needs them.
    let read;
    let declarations: &[Declaration] = if config.deferred().contains(&address.block()) {
        let declared = refresh::declarations(clients, config, parallelism)
            .await
            .context("failed to read the data sources")?;
        if diag::has_errors(&declared.diagnostics) {
            return Err(Refused::Diagnostics(declared.diagnostics));
        }
        read = declared.declarations;
        &read
    } else {
        config.declarations()
    };
    let Some(decl) = declarations.iter().find(|d| d.address() == address) else {
        return Err(Refused::Diagnostics(vec![undeclared(
            address,
            declarations,
        )]));
    };
    let common = decl.common();
    let group_shown = shown(common, GROUP_ATTRS, group.as_str());
    let target_shown = shown(common, target_attrs(decl, target), target.as_str());
    if let Some(d) = mismatch(decl, group, target) {
        return Err(Refused::Diagnostics(vec![at(common, d)]));
    }

    let client = clients.get(&common.provider).ok_or_else(|| {
        Error::refused(format!(
            "no client for provider `{}`",
            provider_name(common.provider.as_deref())
        ))
    })?;
    let id = ShownId(&group_shown, &target_shown).to_string();
    notify(Notice::Importing { address, id: &id });
    let where_ = format!(
        "the account and region (`{}`) of provider `{}`",
        client.region(),
        provider_name(common.provider.as_deref())
    );
    let groups = match groups_of(client, target).await? {
        Some(groups) => groups,
        None => {
            let (what, code) = match target {
                Target::Instance(_) => ("instance", "InvalidInstanceId.NotFound"),
                Target::NetworkInterface(_) => ("network interface", "InvalidEniId.NotFound"),
            };
            let d = Diagnostic::error(format!(
                "{what} {target_shown} does not exist in {where_}: nothing to import"
            ))
            .with_note(format!(
                "the API answers `{code}` for it; a resource of another account is invisible here too"
            ))
            .with_hint("check the ID (`sg-…/i-…` or `sg-…/eni-…`), the provider's region and credentials");
            return Err(Refused::Diagnostics(vec![at(common, d)]));
        }
    };
    if !groups.contains(group) {
        let exists = client
            .describe_security_groups_by_id(std::slice::from_ref(group))
            .await
            .context("DescribeSecurityGroups failed")?
            .iter()
            .any(|g| g.security_group_id == *group);
        let d = if exists {
            let current: Vec<String> = groups.iter().map(|g| format!("`{g}`")).collect();
            Diagnostic::error(format!(
                "{target_shown} is not a member of {group_shown}: there is no membership `{}` to import",
                ShownId(&group_shown, &target_shown)
            ))
            .with_note(format!(
                "its groups now: {}",
                if current.is_empty() {
                    "none".to_owned()
                } else if group_shown == SENSITIVE || target_shown == SENSITIVE {
                    SENSITIVE.to_owned()
                } else {
                    current.join(", ")
                }
            ))
            .with_hint("import adopts a membership that exists; to create it, run `sgform apply`")
        } else {
            Diagnostic::error(format!(
                "security group {group_shown} does not exist in {where_}: nothing to import"
            ))
            .with_note("the API answers `InvalidSecurityGroupId.NotFound` for it")
            .with_hint("check the ID, the provider's region and credentials")
        };
        return Err(Refused::Diagnostics(vec![at(common, d)]));
    }
    Ok(Checked {
        membership: ManagedMembership {
            address: address.clone(),
            provider: common.provider.clone(),
            region: client.region().clone(),
            security_group_id: group.clone(),
            target: target.clone(),
        },
        group: group_shown.trim_matches('`').to_owned(),
        target: target_shown.trim_matches('`').to_owned(),
    })
}

/// `sg-…/i-…` from two shown IDs (without their backticks).
struct ShownId<'a>(&'a str, &'a str);

impl std::fmt::Display for ShownId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            self.0.trim_matches('`'),
            self.1.trim_matches('`')
        )
    }
}

/// The target's groups, by one Describe call in the client's region (`cloud`'s by-ID read);
/// `None` when it does not exist.
async fn groups_of(client: &Client, target: &Target) -> Result<Option<Vec<SecurityGroupId>>> {
    let read = TargetsById::new(client.region().clone(), std::slice::from_ref(target));
    let action = match target {
        Target::Instance(_) => "DescribeInstances",
        Target::NetworkInterface(_) => "DescribeNetworkInterfaces",
    };
    let found = client
        .read_targets(&read)
        .await
        .with_context(|| format!("{action} failed"))?;
    Ok(found.groups_of(target).map(<[SecurityGroupId]>::to_vec))
}

/// Why `address` is not declared, with the addresses of its block when it has some.
fn undeclared(address: &Address, declarations: &[Declaration]) -> Diagnostic {
    let block = address.block();
    let siblings: Vec<&Address> = declarations
        .iter()
        .map(Declaration::address)
        .filter(|a| a.block() == block)
        .collect();
    let d = Diagnostic::error(format!("`{address}` is not declared in the configuration"))
        .with_address(address.clone());
    let examples = |n: usize| -> String {
        let mut list: Vec<String> = siblings.iter().take(n).map(|a| format!("`{a}`")).collect();
        if siblings.len() > n {
            list.push(format!("and {} more", siblings.len() - n));
        }
        list.join(", ")
    };
    match (&address.key, siblings.as_slice()) {
        (_, []) => d.with_hint(
            "import adopts a membership into an address the configuration declares: declare it first, then import",
        ),
        (None, _) => d
            .with_note(format!("`{block}` has `for_each`: its addresses are {}", examples(5)))
            .with_hint(format!(
                "name one instance with its key, e.g. `{}`",
                siblings[0]
            )),
        (Some(_), _) => d
            .with_note(format!("`{block}` declares {}", examples(5)))
            .with_hint("check the key: it is the `for_each` key, not necessarily the target ID"),
    }
}

/// What `decl` declares when it does not declare the pair, as a diagnostic.
fn mismatch(decl: &Declaration, group: &SecurityGroupId, target: &Target) -> Option<Diagnostic> {
    let common = decl.common();
    let g = |id: &SecurityGroupId| shown(common, GROUP_ATTRS, id.as_str());
    let t = |id: &Target| shown(common, target_attrs(decl, id), id.as_str());
    let asked = format!("{group}/{target}");
    let (covers, declares) = match decl {
        Declaration::Membership(m) => (
            m.security_group_id == *group && m.target == *target,
            format!(
                "the membership of {} in {}",
                t(&m.target),
                g(&m.security_group_id)
            ),
        ),
        Declaration::MembershipSet(s) => (
            s.target == *target && s.security_group_ids.contains(group),
            format!(
                "the groups of {}: {}",
                t(&s.target),
                s.security_group_ids
                    .iter()
                    .map(g)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Declaration::GroupMembers(gm) => {
            let members: Vec<Target> = gm.members().collect();
            let mut shown_members: Vec<String> = members.iter().take(5).map(t).collect();
            if members.len() > 5 {
                shown_members.push(format!("and {} more", members.len() - 5));
            }
            (
                gm.security_group_id == *group && members.contains(target),
                format!(
                    "the members of {}: {}",
                    g(&gm.security_group_id),
                    if shown_members.is_empty() {
                        "none".to_owned()
                    } else {
                        shown_members.join(", ")
                    }
                ),
            )
        }
    };
    (!covers).then(|| {
        Diagnostic::error(format!(
            "`{}` does not declare the membership `{asked}`",
            common.address
        ))
        .with_note(format!("it declares {declares}"))
        .with_hint(
            "import the ID of a pair this address declares, or the address that declares this pair",
        )
    })
}
