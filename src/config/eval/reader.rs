//! Reading one block instance's attributes as typed values, each problem a diagnostic with the
//! attribute's span and the block's address.

use std::collections::BTreeSet;

use hcl::Value;

use crate::config::decode::Attr;
use crate::config::expr::Scope;
use crate::config::show::{show_value, type_name};
use crate::diag::{Diagnostic, Span};
use crate::ids::{Address, IdError};

/// Reads attributes of one block instance, reporting problems with the block's address.
pub(super) struct Reader<'a> {
    pub(super) ctx: &'a Scope,
    pub(super) poisoned: &'a BTreeSet<Span>,
    pub(super) address: Option<Address>,
    pub(super) diags: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    pub(super) fn push(&mut self, d: Diagnostic) {
        self.diags.push(match &self.address {
            Some(a) => d.with_address(a.clone()),
            None => d,
        });
    }

    pub(super) fn value(&mut self, attr: &Attr) -> Option<Value> {
        if self.poisoned.contains(&attr.value_span) {
            return None;
        }
        match self.ctx.evaluate(&attr.expr) {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(
                    Diagnostic::error(format!("cannot evaluate `{}`", attr.name))
                        .with_span_label(attr.value_span, e),
                );
                None
            }
        }
    }

    pub(super) fn wrong_type(&mut self, attr: &Attr, expected: &str, found: &Value) {
        self.push(
            Diagnostic::error(format!("wrong type for `{}`", attr.name))
                .with_span_label(
                    attr.value_span,
                    format!("expected {expected}, found {}", type_name(found)),
                )
                .with_note(format!("the value is {}", show_value(found))),
        );
    }

    pub(super) fn string(&mut self, attr: &Attr) -> Option<String> {
        match self.value(attr)? {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(attr, "a string", &other);
                None
            }
        }
    }

    pub(super) fn strings(&mut self, attr: &Attr) -> Option<Vec<String>> {
        match self.value(attr)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in &items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.wrong_type(attr, "a list of strings", other);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.wrong_type(attr, "a list of strings", &other);
                None
            }
        }
    }

    pub(super) fn positive(&mut self, attr: &Attr) -> Option<u32> {
        let v = self.value(attr)?;
        match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => Some(n),
            _ => {
                self.push(
                    Diagnostic::error(format!("wrong type for `{}`", attr.name)).with_span_label(
                        attr.value_span,
                        format!("expected a positive whole number, found {}", show_value(&v)),
                    ),
                );
                None
            }
        }
    }

    pub(super) fn id<T>(
        &mut self,
        attr: &Attr,
        raw: &str,
        parse: fn(&str) -> Result<T, IdError>,
        code: &str,
    ) -> Option<T> {
        match parse(raw) {
            Ok(id) => Some(id),
            Err(e) => {
                self.push(malformed(attr.value_span, &e, code));
                None
            }
        }
    }
}

pub(super) fn malformed(span: Span, e: &IdError, code: &str) -> Diagnostic {
    Diagnostic::error(format!("malformed {} `{}`", e.kind, e.value))
        .with_span_label(span, e.reason.clone())
        .with_note(format!("the API would answer `{code}`"))
        .with_hint(format!("use a real {}", e.kind))
}

pub(super) const SG_MALFORMED: &str = "InvalidSecurityGroupId.Malformed";
pub(super) const INSTANCE_MALFORMED: &str = "InvalidInstanceId.Malformed";
pub(super) const ENI_MALFORMED: &str = "InvalidParam.Malformed";
