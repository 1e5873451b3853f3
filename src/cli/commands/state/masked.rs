//! The masking of `state list`, `state show` and `show DIR`, and the lines of the first two.

use crate::cli::args::ConfigArgs;
use crate::ops;
use crate::plan::render::SENSITIVE;
use crate::state::ManagedMembership;

/// The values of the sensitive variables of a configuration: an ID that holds one prints as
/// [`SENSITIVE`], as in plans (which hide every ID that came from a sensitive attribute; here
/// the state does not say where an ID came from, so an ID is hidden when a sensitive value is
/// in it: hiding too much is the safe side).
pub struct Sensitive(Vec<String>);

impl Sensitive {
    /// Those of the configuration in `dir` (none when there is no configuration there).
    pub fn of(dir: &std::path::Path, config: &ConfigArgs) -> anyhow::Result<Self> {
        Ok(Self(ops::state::sensitive_values(
            dir,
            &config.variables(),
        )?))
    }

    /// `id`, or [`SENSITIVE`] when it holds a sensitive value.
    pub fn id<'a>(&self, id: &'a str) -> &'a str {
        if self.0.iter().any(|v| id.contains(v.as_str())) {
            SENSITIVE
        } else {
            id
        }
    }

    /// `id` in quotes, or [`SENSITIVE`] (bare, as plans print it).
    pub fn quoted(&self, id: &str) -> String {
        match self.id(id) {
            SENSITIVE => SENSITIVE.to_owned(),
            id => format!("\"{id}\""),
        }
    }
}

/// A `state list` line.
pub fn line(m: &ManagedMembership, sensitive: &Sensitive) -> String {
    format!(
        "{}\t{}/{}",
        m.address,
        sensitive.id(m.security_group_id.as_str()),
        sensitive.id(m.target.as_str())
    )
}

/// The `state show` text of `entries`.
pub fn entries(entries: &[ManagedMembership], sensitive: &Sensitive) -> String {
    let mut text = String::new();
    for (i, m) in entries.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!("{}\n", m.address));
        text.push_str(&format!(
            "  security_group_id = {}\n",
            sensitive.quoted(m.security_group_id.as_str())
        ));
        text.push_str(&format!(
            "  target            = {}\n",
            sensitive.quoted(m.target.as_str())
        ));
        text.push_str(&format!("  region            = \"{}\"\n", m.region));
        match &m.provider {
            Some(alias) => text.push_str(&format!("  provider          = \"{alias}\"\n")),
            None => text.push_str("  provider          = (default)\n"),
        }
    }
    text
}
