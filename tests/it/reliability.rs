//! The reliability suite RELIABILITY.md describes: the soak (thousands of joins and leaves
//! under injected faults, applied until converged), the crash run (an apply SIGKILLed at random
//! moments, continued each time) and concurrent applies on one state. Each drives the real
//! binary against an emulator over 127.0.0.1 and checks three things at the end: the state
//! (as `sgform state list` prints it) equals the cloud, `sgform plan` has nothing to do, and
//! the emulator's request log shows no mutation sent again after the emulator had committed it.
//!
//! `cargo test` (and so `.ci/run`) runs the soak and the crash run at CI size (300 operations;
//! 5 kills over 150); `.ci/soak --full` and `.ci/crash --full` run them at full size (5,000
//! operations; 50 kills over 1,000), and RELIABILITY.md has the figures.

mod concurrent;
mod crash;
mod fleet;
mod soak;
