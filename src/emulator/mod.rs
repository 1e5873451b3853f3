//! A local ECS API emulator over HTTP (issue 3). Imports nothing else from the crate.
