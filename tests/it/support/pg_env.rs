//! What every test against the PostgreSQL backend shares: the server's connection string
//! (`SGFORM_PG_CONN_STR`, or a failure that says how to start a server), a schema of its own
//! per test, and the configuration's `backend "pg"` block.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The server's connection string, or a failure that says how to start one.
#[allow(clippy::disallowed_methods)] // tests read their own setting
pub fn conn_str() -> String {
    match std::env::var("SGFORM_PG_CONN_STR") {
        Ok(s) if !s.is_empty() => s,
        _ => panic!(
            "SGFORM_PG_CONN_STR is not set: the pg backend's tests need a PostgreSQL server.\n\
             Start a throwaway one with `eval \"$(bash .ci/pg-start)\"` (stop it with `bash .ci/pg-stop`), then run the tests again."
        ),
    }
}

/// A schema name no other test (or run) uses.
pub fn unique_schema(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{tag}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The `backend "pg"` block for `schema` and `workspace` (the connection string comes from
/// `SGFORM_PG_CONN_STR` in the binary's environment).
pub fn backend_block(schema: &str, workspace: &str) -> String {
    format!(
        "backend \"pg\" {{\n  schema_name = \"{schema}\"\n  workspace   = \"{workspace}\"\n}}\n\n"
    )
}
