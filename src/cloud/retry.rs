//! Retry pacing: jittered exponential backoff, a shared client-side rate limiter, and the
//! counters (calls, retries, throttled) that `plan` and `apply` report.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Jittered exponential backoff: the n-th retry waits `d/2 + rand(0..=d/2)` where
/// `d = min(cap, base * 2^(n-1))` ("equal jitter", as the Python SDK does for throttling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Total attempts including the first; 1 means "never retry".
    pub max_attempts: u32,
}

impl Backoff {
    /// The ceiling of the delay before retry number `retry` (1-based), before jitter.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry number `retry` (1-based), jittered.
    pub fn delay(&self, retry: u32) -> Duration {
        let d = self.ceiling(retry);
        let half = d / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if nanos == 0 {
            0
        } else {
            rand::random_range(0..=nanos)
        };
        half + Duration::from_nanos(jitter)
    }
}

/// How the client retries. The two budgets are counted separately: a call may spend up to
/// `retryable.max_attempts` on transient errors and `wait.max_attempts` on transitional ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// For throttling, 5xx, conflicts and transport errors.
    pub retryable: Backoff,
    /// For targets still being created or in a transitional status: fewer, longer waits.
    pub wait: Backoff,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retryable: Backoff {
                base: Duration::from_millis(500),
                cap: Duration::from_secs(20),
                max_attempts: 5,
            },
            wait: Backoff {
                base: Duration::from_secs(2),
                cap: Duration::from_secs(30),
                max_attempts: 6,
            },
        }
    }
}

impl RetryPolicy {
    /// Never retry (one attempt).
    pub fn none() -> Self {
        let once = Backoff {
            base: Duration::ZERO,
            cap: Duration::ZERO,
            max_attempts: 1,
        };
        Self {
            retryable: once,
            wait: once,
        }
    }
}

/// A client-side rate limiter shared by every request of one client (and its clones), so a
/// whole apply stays under the account's API budget. GCRA: requests are spaced `1/rate` apart,
/// with up to `burst` requests allowed back to back.
///
/// It also adapts, so a run that was not told the account's budget settles near it instead of
/// failing. A throttling answer (acted on at most once per second, since the answers of one
/// burst all report the same excess) slows the limiter to the larger of half the rate requests
/// were actually sent at in the last second (which may be far below the configured rate when
/// the parallelism is what bounds it) and 90% of the answers that were not throttled in the
/// last second (what the budget let through), but at least a tenth slower than before and
/// never below [`MIN_RATE`]. Successes then win the rate back gradually, [`RECOVERY`] per second of time
/// (not per success, which at hundreds of requests a second would undo a slow-down within a
/// fraction of a second and run into the budget again), never above the configured rate.
#[derive(Debug)]
pub struct RateLimiter {
    /// The configured spacing; the limiter never goes faster.
    base: Duration,
    burst: u32,
    tat: Mutex<Pace>,
}

#[derive(Debug)]
struct Pace {
    /// The theoretical arrival time of the next request.
    next: Option<Instant>,
    /// The current spacing, at least `base`.
    interval: Duration,
    /// When a throttling answer last slowed the rate.
    slowed: Option<Instant>,
    /// When the rate last changed (slowed or won back).
    changed: Option<Instant>,
    /// When the first request was allowed.
    first: Option<Instant>,
    /// When each request of about the last second was allowed (oldest first).
    sent: VecDeque<Instant>,
    /// When each answer of the last second that was not throttled arrived (oldest first).
    admitted: VecDeque<Instant>,
}

/// The slowest an adapting limiter goes, in requests per second.
pub const MIN_RATE: f64 = 0.5;

/// How fast an adapting limiter wins its rate back: this fraction of the current rate per
/// second, compounded (from 90% back to the rate in about 2 s, from half of it in about 14 s).
pub const RECOVERY: f64 = 0.05;

const WINDOW: Duration = Duration::from_secs(1);

/// Drops the instants more than one window before `now`.
fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
    {
        times.pop_front();
    }
}

impl RateLimiter {
    /// `per_second` requests per second (must be > 0), bursts of up to `burst` (at least 1).
    pub fn new(per_second: f64, burst: u32) -> Option<Self> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return None;
        }
        let base = Duration::from_secs_f64(1.0 / per_second);
        Some(Self {
            base,
            burst: burst.max(1),
            tat: Mutex::new(Pace {
                next: None,
                interval: base,
                slowed: None,
                changed: None,
                first: None,
                sent: VecDeque::new(),
                admitted: VecDeque::new(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Pace> {
        match self.tat.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The current requests per second.
    pub fn rate(&self) -> f64 {
        1.0 / self.state().interval.as_secs_f64()
    }

    /// A throttling answer: slow down to what was sent and admitted (see the type's docs).
    pub fn throttled(&self) {
        let slowest = Duration::from_secs_f64(1.0 / MIN_RATE).max(self.base);
        let now = Instant::now();
        let mut state = self.state();
        if state.slowed.is_some_and(|t| now.duration_since(t) < WINDOW) {
            return;
        }
        prune(&mut state.sent, now);
        prune(&mut state.admitted, now);
        // Requests allowed by now, over the part of the last second the limiter has run.
        let sent = state.sent.iter().filter(|t| **t <= now).count() as f64;
        let span = state
            .first
            .map_or(WINDOW, |f| now.saturating_duration_since(f).min(WINDOW))
            .max(Duration::from_millis(10));
        let sending = sent / span.as_secs_f64();
        let admitted = state.admitted.len() as f64 / WINDOW.as_secs_f64();
        let current = 1.0 / state.interval.as_secs_f64();
        let target = (sending / 2.0).max(admitted * 0.9).min(current / 1.1);
        state.interval = if target > 0.0 {
            Duration::from_secs_f64(1.0 / target).clamp(self.base, slowest)
        } else {
            state.interval.saturating_mul(2).min(slowest)
        };
        state.slowed = Some(now);
        state.changed = Some(now);
    }

    /// An answer that was not throttled: count it, and win the rate back gradually.
    pub fn succeeded(&self) {
        let now = Instant::now();
        let mut state = self.state();
        prune(&mut state.admitted, now);
        state.admitted.push_back(now);
        if state.interval > self.base {
            let since = state
                .changed
                .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
            let grown = since.as_secs_f64() * RECOVERY;
            let interval = state.interval.as_secs_f64() / grown.exp();
            state.interval = Duration::from_secs_f64(interval).max(self.base);
            state.changed = Some(now);
        }
    }

    /// Waits until a request may be sent, and reserves its slot.
    pub async fn acquire(&self) {
        let wait_until = {
            let now = Instant::now();
            let mut state = self.state();
            let interval = state.interval;
            let current = state.next.map_or(now, |t| t.max(now));
            let slack = interval.saturating_mul(self.burst - 1);
            let allowed_at = current.checked_sub(slack).unwrap_or(now).max(now);
            state.next = Some(current + interval);
            state.first.get_or_insert(allowed_at);
            prune(&mut state.sent, now);
            state.sent.push_back(allowed_at);
            allowed_at
        };
        if wait_until > Instant::now() {
            tokio::time::sleep_until(wait_until).await;
        }
    }
}

/// Counters a client keeps; clones of a client share them.
#[derive(Debug, Default)]
pub struct Counters {
    calls: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent (every attempt counts).
    pub calls: u64,
    /// Attempts after the first, for any reason.
    pub retries: u64,
    /// Answers with a throttling code.
    pub throttled: u64,
}

impl Counters {
    pub(crate) fn call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Stats {
        Stats {
            calls: self.calls.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests;
