//! Evaluation: locals, providers, data-source filters and blocks, through `hcl::eval`, one
//! attribute at a time so every error points at the attribute it came from.
//!
//! Values that depend on `data.*` are unknown until the planner has read the data sources: such
//! locals and blocks are *deferred* and evaluated by [`expand`] once
//! [`DataResults`](super::DataResults) exist.
//!
//! - `model`: [`Model`], built once per load: variables, locals (in dependency order), which
//!   values are sensitive, which need data; the [`Scope`](super::expr::Scope) of each stage.
//! - `reader`: reading one block's attributes as typed values, with diagnostics.
//! - `blocks`: providers and data-source filters.
//! - `data`: data-source results as the values `data.KIND.NAME` evaluates to.
//! - `expand`: `for_each` and the declarations of every block; `decls`: one decoder per kind.

mod blocks;
mod data;
mod decls;
mod expand;
mod model;
mod reader;

pub(super) use blocks::{data_requests, max_groups, providers};
pub(super) use expand::expand;
pub(super) use model::Model;
