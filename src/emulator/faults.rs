//! Injected faults: the failures a real cloud throws at a client now and then, each with a
//! probability, drawn from the server's seedable generator.

use std::fmt;

use super::EmulatorError;
use super::catalog::Code;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 500 `InternalError`, nothing changed.
    InternalError,
    /// 503 `ServiceUnavailable`, nothing changed.
    ServiceUnavailable,
    /// 400 `Throttling`, nothing changed.
    Throttling,
    /// 409 `InvalidOperation.Conflict`, nothing changed.
    Conflict,
    /// The connection closes without an answer; nothing changed.
    DropBeforeCommit,
    /// The change is made, then the connection closes without an answer.
    DropAfterCommit,
}

impl Fault {
    pub const ALL: &'static [Fault] = &[
        Fault::InternalError,
        Fault::ServiceUnavailable,
        Fault::Throttling,
        Fault::Conflict,
        Fault::DropBeforeCommit,
        Fault::DropAfterCommit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::InternalError => "InternalError",
            Fault::ServiceUnavailable => "ServiceUnavailable",
            Fault::Throttling => "Throttling",
            Fault::Conflict => "Conflict",
            Fault::DropBeforeCommit => "DropBeforeCommit",
            Fault::DropAfterCommit => "DropAfterCommit",
        }
    }

    /// The error answered for the faults that answer one.
    pub fn code(self) -> Option<Code> {
        match self {
            Fault::InternalError => Some(Code::InternalError),
            Fault::ServiceUnavailable => Some(Code::ServiceUnavailable),
            Fault::Throttling => Some(Code::Throttling),
            Fault::Conflict => Some(Code::Conflict),
            Fault::DropBeforeCommit | Fault::DropAfterCommit => None,
        }
    }
}

/// Probabilities per fault kind (`--faults "InternalError=0.05,DropAfterCommit=0.02"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    rates: Vec<(Fault, f64)>,
}

impl Faults {
    pub fn none() -> Faults {
        Faults::default()
    }

    /// One fault kind at a probability, added to the others.
    pub fn with(mut self, fault: Fault, rate: f64) -> Faults {
        self.rates.retain(|(f, _)| *f != fault);
        self.rates.push((fault, rate));
        self.rates.sort_by_key(|(f, _)| *f);
        self
    }

    /// Parses `Kind=rate,Kind=rate`; rates are in 0..=1 and add up to at most 1.
    pub fn parse(spec: &str) -> Result<Faults, EmulatorError> {
        let bad = |why: String| EmulatorError::FaultSpec {
            spec: spec.to_owned(),
            why,
        };
        let mut faults = Faults::none();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, rate) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("`{part}` is not `Kind=rate`")))?;
            let fault = Fault::ALL
                .iter()
                .copied()
                .find(|f| f.as_str() == name.trim())
                .ok_or_else(|| {
                    bad(format!(
                        "unknown fault `{}` (one of {})",
                        name.trim(),
                        Fault::ALL
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            let rate: f64 = rate
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .ok_or_else(|| bad(format!("the rate of `{name}` must be a number from 0 to 1")))?;
            faults = faults.with(fault, rate);
        }
        let total: f64 = faults.rates.iter().map(|(_, r)| r).sum();
        if total > 1.0 + 1e-9 {
            return Err(bad(format!("the rates add up to {total}, more than 1")));
        }
        Ok(faults)
    }

    /// The fault for a uniform draw `u` in `[0, 1)`, if any.
    pub fn pick(&self, u: f64) -> Option<Fault> {
        let mut acc = 0.0;
        for (fault, rate) in &self.rates {
            acc += rate;
            if u < acc {
                return Some(*fault);
            }
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.rates.iter().all(|(_, r)| *r == 0.0)
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .rates
            .iter()
            .map(|(k, r)| format!("{}={r}", k.as_str()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests;
