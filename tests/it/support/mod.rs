//! Shared test helpers.

pub mod cloud_server;
