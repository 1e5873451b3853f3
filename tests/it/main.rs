//! The one integration-test binary (matklad's "one `tests/it`"): every test that drives the
//! library over HTTP or runs the real `sgform` binary lives in a module here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod support;

mod apply;
mod apply_crash;
mod apply_json;
mod bad;
mod cli_api;
mod cli_completions_version;
mod cli_dash;
mod cli_output;
mod cli_plan;
mod cli_trust;
mod cloud_client;
mod config_dir;
mod config_eval;
mod destroy;
mod diag_golden;
mod empty_data;
mod emulator_files;
mod emulator_generate_args;
mod emulator_limits;
mod emulator_sdk;
mod emulator_wire;
mod examples;
mod exit_codes;
mod fmt_cases;
mod forget_proof;
mod generate;
mod import;
mod inputs_edge;
mod pg;
mod pg_state_moves;
mod plan_golden;
mod plan_json;
mod plan_props;
mod planfile_trust;
mod provider_banner;
mod quickstart;
mod readme;
mod refresh;
mod reliability;
mod sandbox;
mod sensitive_logs;
mod signals;
mod state_cli;
mod state_files;
mod state_read;
mod state_transfer;
mod summaries;
mod tidy;
mod var_files;
