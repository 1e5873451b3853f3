//! The `backend` block: where the state lives when it is not the local file.
//!
//! ```hcl
//! backend "pg" {
//!   conn_str    = "postgres://sgform@db.internal/sgform"  # optional: SGFORM_PG_CONN_STR, or PG*
//!   schema_name = "sgform"                                # optional, default "sgform"
//!   workspace   = "prod-hangzhou"                         # optional, default "default"
//! }
//! ```
//!
//! At most one per configuration. Its attributes are literal strings: the state's location is
//! decided before anything is evaluated (and a connection string belongs in the environment
//! rather than in a variable). The block only says what it says; `ops::connect` combines it
//! with the environment (`SGFORM_PG_CONN_STR`, `SGFORM_WORKSPACE`) into a `state::Location`.

use super::suggest;
use crate::diag::{Diagnostic, Span};

/// The backend types a `backend` block may name.
pub const TYPES: &[&str] = &["pg"];
/// The attributes of `backend "pg"`.
pub(super) const PG_ATTRS: &[&str] = &["conn_str", "schema_name", "workspace"];
/// The schema the pg backend uses when the block names none.
pub const DEFAULT_SCHEMA: &str = "sgform";
/// The workspace when neither the block nor `SGFORM_WORKSPACE` names one.
pub const DEFAULT_WORKSPACE: &str = "default";
/// The longest workspace name (it is a key in the database, and shows in every message).
const MAX_WORKSPACE: usize = 128;

/// A `backend` block, decoded.
#[derive(Clone, PartialEq, Eq)]
pub enum Backend {
    /// `backend "pg"`: the state in PostgreSQL.
    Pg(PgBackend),
}

/// What `backend "pg"` says.
#[derive(Clone, PartialEq, Eq)]
pub struct PgBackend {
    /// `conn_str` (it may hold a password: `Debug` does not show it).
    pub conn_str: Option<String>,
    /// `schema_name`, or [`DEFAULT_SCHEMA`].
    pub schema_name: String,
    /// `workspace` as written (`SGFORM_WORKSPACE` overrides it).
    pub workspace: Option<String>,
    /// The block's header.
    pub span: Span,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("conn_str", &self.conn_str.as_ref().map(|_| "(set)"))
            .field("schema_name", &self.schema_name)
            .field("workspace", &self.workspace)
            .finish()
    }
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pg(pg) => pg.fmt(f),
        }
    }
}

/// A schema name sgform uses: a plain lower-case SQL identifier, so it needs no quoting to be
/// the same name in `psql` and in grants.
pub fn check_schema_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    if first_ok
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a schema name sgform uses: lower-case letters, digits and `_`, starting with a letter or `_`, at most 63 characters",
            name.escape_debug()
        ))
    }
}

/// A workspace name: 1 to 128 letters, digits, `-`, `_` and `.`.
pub fn check_workspace(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name.len() <= MAX_WORKSPACE
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a workspace name: 1 to {MAX_WORKSPACE} letters, digits, `-`, `_` and `.`",
            name.escape_debug()
        ))
    }
}

/// The diagnostic for a `backend` block whose type sgform does not know.
pub(super) fn unknown_type(label: &str, label_span: Span) -> Diagnostic {
    let d = Diagnostic::error(format!("unknown backend type `{label}`"))
        .with_span_label(label_span, "not a backend sgform knows");
    match suggest(label, TYPES.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!(
            "the backend types are {}; without a `backend` block the state is the local file `sgform.state.json`",
            TYPES
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// One attribute of the block: its name, its value when that is a literal string, and the
/// value's span.
pub(super) struct Given<'a> {
    pub name: &'a str,
    pub literal: Option<&'a str>,
    pub value_span: Span,
}

/// `backend "pg"` from its (already known to be allowed) attributes; `None` when one is wrong
/// (reported in `diags`).
pub(super) fn pg(
    header: Span,
    attrs: &[Given<'_>],
    diags: &mut Vec<Diagnostic>,
) -> Option<Backend> {
    let mut out = PgBackend {
        conn_str: None,
        schema_name: DEFAULT_SCHEMA.to_owned(),
        workspace: None,
        span: header,
    };
    let mut ok = true;
    for attr in attrs {
        let Some(value) = attr.literal else {
            diags.push(
                Diagnostic::error(format!("`{}` must be a literal string", attr.name))
                    .with_span_label(attr.value_span, "not a quoted string")
                    .with_hint(
                        "the state's location is read before anything is evaluated, so a `backend` block takes no references or functions; set a connection string that varies in `SGFORM_PG_CONN_STR` and a workspace in `SGFORM_WORKSPACE`",
                    ),
            );
            ok = false;
            continue;
        };
        let checked = match attr.name {
            "conn_str" if value.trim().is_empty() => Err(
                "an empty connection string: leave `conn_str` out to use `SGFORM_PG_CONN_STR` or the `PG*` variables".to_owned(),
            ),
            "conn_str" => {
                out.conn_str = Some(value.to_owned());
                Ok(())
            }
            "schema_name" => check_schema_name(value).map(|()| out.schema_name = value.to_owned()),
            _ => check_workspace(value).map(|()| out.workspace = Some(value.to_owned())),
        };
        if let Err(why) = checked {
            // Never quote a connection string back: it may hold a password.
            let label = match attr.name {
                "schema_name" => "not a schema name sgform uses",
                "workspace" => "not a workspace name",
                _ => "invalid",
            };
            diags.push(
                Diagnostic::error(format!(
                    "invalid `{}` in the `backend \"pg\"` block",
                    attr.name
                ))
                .with_span_label(attr.value_span, label)
                .with_hint(why),
            );
            ok = false;
        }
    }
    ok.then_some(Backend::Pg(out))
}

/// Two `backend` blocks.
pub(super) fn duplicate(here: Span, first: Span) -> Diagnostic {
    Diagnostic::error("duplicate `backend` block")
        .with_span_label(here, "declared again here")
        .with_label(first, "first declared here")
        .with_hint("a configuration keeps its state in one place: remove one of the blocks")
}
