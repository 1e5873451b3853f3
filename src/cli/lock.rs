//! State locking as the commands see it: `--lock` / `--lock-timeout DURATION` (shared by every
//! command that takes the state lock), the holder info, and the "waiting for the lock" message.

use std::path::Path;
use std::time::Duration;

use crate::cli::{env, printer};
use crate::state::{self, Backend, LockGuard, LockInfo};

/// The locking flags of a command that reads or writes the state.
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// Take the state lock (`--lock=false` skips it: only when nothing else can run on this state).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub lock: bool,
    /// Wait this long for the state lock (`30s`, `2m`, `1h`, `1m30s`); without it, fail at once
    /// naming the holder.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

/// Parses a duration as Terraform writes one: one or more `<number><unit>` with units `ms`,
/// `s`, `m`, `h` (`30s`, `2m`, `1h30m`); a bare `0` is zero. A clap value parser.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("invalid duration `{text}`: {why} (e.g. `30s`, `2m`, `1h`)");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad("expected a number"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| bad("number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let per_unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "" => return Err(bad("missing unit")),
            _ => return Err(bad("unknown unit; use `ms`, `s`, `m` or `h`")),
        };
        rest = &rest[unit_len..];
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| per_unit.checked_mul(n))
            .ok_or_else(|| bad("too long"))?;
        total = total.checked_add(part).ok_or_else(|| bad("too long"))?;
    }
    Ok(total)
}

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

#[cfg(test)]
mod tests;
