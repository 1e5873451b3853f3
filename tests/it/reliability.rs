//! The reliability suite RELIABILITY.md describes: the soak (thousands of joins and leaves
//! under injected faults, applied until converged), the crash run (an apply SIGKILLed at random
//! moments, continued each time) and concurrent applies on one state. Each drives the real
//! binary against an emulator over 127.0.0.1 and checks three things at the end: the state
//! (as `sgform state list` prints it) equals the cloud, `sgform plan` has nothing to do, and
//! the emulator's request log shows no mutation sent again after the emulator had committed it.
//!
//! The soak and the crash run are `#[ignore]`d: `.ci/soak` and `.ci/crash` run them, at CI
//! size by default, at full size with `--full` (RELIABILITY.md has the figures).

mod concurrent;
mod crash;
mod fleet;
mod soak;
