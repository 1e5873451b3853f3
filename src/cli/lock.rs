//! State locking as the commands see it: the holder info, and the "waiting for the lock" message
//! (the flags are [`crate::cli::args::LockArgs`]).

pub use crate::cli::args::LockArgs;
use crate::cli::{env, printer};
use crate::state::{self, Backend, LockGuard, LockInfo};
use std::path::Path;

/// This machine's name for the holder info, read from the kernel (not the environment), or
/// `unknown`.
pub fn host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            let name = std::fs::read_to_string(Path::new(p)).ok()?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The holder info for `operation` run by this process.
pub fn info(operation: &str) -> LockInfo {
    LockInfo::new(operation, &env::user(), &host())
}

/// Takes the state lock for `operation` as `args` say: `None` with `--lock=false`. When the lock
/// is held and `--lock-timeout` was given, says on stderr whom it waits for, then waits.
pub fn acquire(
    backend: &dyn Backend,
    operation: &str,
    args: &LockArgs,
) -> anyhow::Result<Option<LockGuard>> {
    if !args.lock {
        return Ok(None);
    }
    let info = info(operation);
    let timeout = args.lock_timeout.filter(|t| !t.is_zero());
    let result = match (backend.lock(info.clone(), None), timeout) {
        (Err(state::Error::Locked { holder, .. }), Some(timeout)) => {
            let who = holder.map_or_else(|| "another process".to_owned(), |h| h.to_string());
            printer::status(&format!(
                "Waiting up to {timeout:?} for the state lock, held by {who}..."
            ));
            backend.lock(info, Some(timeout))
        }
        (result, _) => result,
    };
    match result {
        Ok(guard) => Ok(Some(guard)),
        Err(err @ state::Error::Locked { .. }) => {
            let hint = if timeout.is_none() {
                "another sgform run is using this state: retry when it ends, or wait for it with `--lock-timeout 5m`"
            } else {
                "another sgform run is still using this state: retry when it ends, or wait longer"
            };
            Err(anyhow::anyhow!("{err}\n  hint: {hint}"))
        }
        Err(err) => Err(err.into()),
    }
}
