//! Shared test helpers.

use std::process::{Command, Output};

pub mod cli_env;
pub mod cloud_server;
pub mod emu_env;
pub mod emu_sign;
pub mod oracle;
pub mod pg_env;
pub mod refresh_env;

/// The real `sgform` binary in a hermetic environment: nothing is inherited (no credentials,
/// no `SGFORM_LOG`, no `HOME`) except `NO_COLOR=1`, so output is plain and runs repeat. Tests add
/// exactly the variables they mean.
pub fn sgform() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgform"));
    cmd.env_clear().env("NO_COLOR", "1");
    cmd
}

/// Runs [`sgform`] with `args` and `env` without blocking the async runtime.
pub async fn run_sgform(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::from(sgform());
    cmd.args(args).envs(env.iter().copied());
    cmd.output().await.unwrap()
}
