//! Shared test helpers.

pub mod emu_env;
pub mod emu_sign;
