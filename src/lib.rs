//! sgform: Terraform-style plan/apply for Alibaba Cloud ECS security-group membership.
//!
//! Code map (see `ARCHITECTURE.md` for the whole picture):
//! - [`ids`]: typed IDs and addresses, validated once (leaf).
//! - [`diag`]: diagnostics as plain data (leaf; rendering lives in `cli`).
//! - [`fsutil`]: atomic file writes (through symlinks, keeping mode and owner) and capped reads
//!   (leaf).
//! - [`config`]: HCL loading, evaluation and static checks.
//! - [`cloud`]: the signed ECS OpenAPI client (RPC signature v1), retries, credentials.
//! - [`state`]: the state model and its reader.
//! - [`plan`]: refresh, then the pure planner (diff, rules, schedule) and its renderers.
//! - [`ops`]: the operations (plan, apply, import, generate, state) over typed requests.
//! - [`emulator`]: a local ECS API over HTTP; imports nothing else from the crate.
//! - [`cli`]: commands, terminal output and exit codes.

pub mod apply;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod diag;
pub mod emulator;
pub mod fsutil;
pub mod ids;
pub mod ops;
pub mod plan;
pub mod state;
