//! Terminal output: colour policy, errors and diagnostics on stderr, data on stdout.
//!
//! Data (plans, JSON, API responses) goes to stdout; progress, diagnostics and logs go to stderr,
//! so `sgform ... > out.json` captures only data.

#![allow(clippy::print_stderr)] // this module is where sgform writes to the terminal

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static COLOR: AtomicBool = AtomicBool::new(false);

/// Decides once whether stderr gets colour: only on a terminal, never with `--no-color` or
/// `NO_COLOR` set.
pub fn init(no_color_flag: bool) {
    let enabled = !no_color_flag
        && super::env::non_empty(super::env::NO_COLOR).is_none()
        && std::io::stderr().is_terminal();
    COLOR.store(enabled, Ordering::Relaxed);
}

/// Whether colour is on for stderr.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// Prints an error and its causes, one per line, the way cargo does.
pub fn error_chain(err: &anyhow::Error) {
    let head = if color() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    eprintln!("{head}: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  Caused by: {cause}");
    }
}
