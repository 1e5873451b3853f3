//! Taking the state lock as a request says: not at all (`--lock=false`), at once (failing with
//! the holder named), or waiting up to a timeout (reported as [`Notice::WaitingForLock`]).

use std::time::Duration;

use super::{Environment, Error, Notice, Notify, Result};
use crate::state::{self, Backend, LockGuard, LockInfo};

/// How to take the state lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locking {
    /// Take it at all (`--lock=false` skips it: only when nothing else can run on this state).
    pub lock: bool,
    /// Wait this long for it; `None` (or zero): fail at once, naming the holder.
    pub timeout: Option<Duration>,
}

impl Default for Locking {
    fn default() -> Self {
        Self {
            lock: true,
            timeout: None,
        }
    }
}

/// The holder info for `operation` run by this process.
pub fn info(operation: &str, env: &Environment) -> LockInfo {
    LockInfo::new(operation, &env.user, &env.host)
}

/// Takes the state lock of `backend` for `operation`: `None` when `locking.lock` is off. When
/// the lock is held and a timeout was given, reports whom it waits for, then waits.
pub fn acquire(
    backend: &dyn Backend,
    operation: &str,
    locking: Locking,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<Option<LockGuard>> {
    if !locking.lock {
        return Ok(None);
    }
    let info = info(operation, env);
    let timeout = locking.timeout.filter(|t| !t.is_zero());
    let result = match (backend.lock(info.clone(), None), timeout) {
        (Err(state::Error::Locked { holder, .. }), Some(timeout)) => {
            let who = holder.map_or_else(|| "another process".to_owned(), |h| h.to_string());
            notify(Notice::WaitingForLock {
                timeout,
                holder: &who,
            });
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
            Err(Error::refused(format!("{err}\n  hint: {hint}")))
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests;
