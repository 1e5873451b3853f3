//! Shared test helpers.

pub mod cloud_server;
pub mod emu_env;
pub mod emu_sign;
