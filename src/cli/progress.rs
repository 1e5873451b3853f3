//! How `apply`'s per-operation lines reach the person: on a terminal, above an indicatif
//! progress bar (operations done of total, rate, time left); anywhere else, the same lines
//! alone, with no bar and no escape codes; with `--json`, one JSON event per line and no bar.
//!
//! The bar is shown only when stdout and stderr are both terminals, `TERM` is set and not
//! `dumb`, and the output is not `--json`. It draws on stderr, where progress belongs; the
//! lines stay on stdout (data, as everywhere in sgform). Anything written while the bar is up
//! goes through [`Progress::print`], which clears the bar, writes, and draws it again, so a bar
//! frame never cuts a line. [`Progress::finish`] clears the bar for good, so the summary after
//! it is plain.
//!
//! This module knows when an event advances the bar; what each event says is the command's.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, TermLike};
use tokio::sync::mpsc;

use crate::apply::Event;
use crate::cli::env;

/// The bar's layout: `[=====>    ] 40/120 operations, 12.5/s, ETA 6s`.
const TEMPLATE: &str = "[{bar:30}] {pos}/{len} operations, {rate}, ETA {eta}";

/// How often the bar redraws by itself, so the rate and ETA move while calls are slow.
const TICK: Duration = Duration::from_millis(200);

/// The progress display of one apply; cheap to clone (clones show the same bar).
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` operations when stdout and stderr are terminals, `TERM` is set and
    /// not `dumb`, and `json` is off; otherwise plain lines.
    pub fn for_apply(total: usize, json: bool) -> Progress {
        let on_terminal = !json
            && std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal()
            && env::non_empty(env::TERM).is_some_and(|t| t != "dumb");
        if on_terminal && total > 0 {
            let stderr = Stderr(console::Term::buffered_stderr());
            Progress::with_bar(
                total,
                ProgressDrawTarget::term_like_with_hz(Box::new(stderr), 20),
            )
        } else {
            Progress::plain()
        }
    }

    /// No bar: [`Progress::print`] just writes.
    pub fn plain() -> Progress {
        Progress { bar: None }
    }

    fn with_bar(total: usize, target: ProgressDrawTarget) -> Progress {
        let style = ProgressStyle::with_template(TEMPLATE)
            .expect("the template is a valid indicatif template")
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1}/s", state.per_sec());
                },
            )
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total as u64), target).with_style(style);
        bar.enable_steady_tick(TICK);
        Progress { bar: Some(bar) }
    }

    /// Runs `write` (which prints lines) with the bar out of the way, then draws the bar again
    /// below what it wrote.
    pub fn print<R>(&self, write: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Counts `event` on the bar: an operation that finished (however it ended) or was skipped
    /// is done.
    pub fn record(&self, event: &Event) {
        if let Some(bar) = &self.bar
            && advances(event)
        {
            bar.inc(1);
        }
    }

    /// Prints every event from `events` with `print` until the channel closes. Events that
    /// arrived together are counted, then printed in one go, so the bar redraws once per batch
    /// and its count already includes the lines printed above it. A failed write is logged and
    /// the apply goes on: output is not worth stopping an apply for.
    pub async fn print_events(
        &self,
        events: &mut mpsc::UnboundedReceiver<Event>,
        mut print: impl FnMut(&Event) -> anyhow::Result<()>,
    ) {
        let mut batch = Vec::new();
        while let Some(first) = events.recv().await {
            batch.push(first);
            while let Ok(next) = events.try_recv() {
                batch.push(next);
            }
            for event in &batch {
                self.record(event);
            }
            self.print(|| {
                for event in &batch {
                    if let Err(e) = print(event) {
                        tracing::debug!("event output failed: {e}");
                    }
                }
            });
            batch.clear();
        }
    }

    /// Clears the bar from the terminal for good; later prints are plain.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Operations counted done so far (0 without a bar).
    pub fn done(&self) -> u64 {
        self.bar.as_ref().map_or(0, ProgressBar::position)
    }
}

/// Columns left free at the right of the bar's line.
///
/// indicatif pads the bar's line to the terminal's full width, leaving the cursor in the last
/// column. The `^C` a terminal echoes on Ctrl-C then wraps onto a new line, and the next
/// redraw clears that line instead of the bar's, leaving a stale bar above the interrupt
/// message. With two columns free the echo stays on the bar's line and is cleared with it.
const ECHO_ROOM: u16 = 2;

/// stderr as the bar sees it: [`ECHO_ROOM`] columns narrower than it is.
#[derive(Debug)]
struct Stderr(console::Term);

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        TermLike::width(&self.0).saturating_sub(ECHO_ROOM).max(1)
    }
    fn height(&self) -> u16 {
        TermLike::height(&self.0)
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Whether an event ends an operation.
fn advances(event: &Event) -> bool {
    matches!(event, Event::Finished { .. } | Event::Skipped { .. })
}

#[cfg(test)]
mod tests;
