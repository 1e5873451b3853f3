//! Carrying out a session's plan with the events shown as they come, and the stop signals:
//! SIGINT (Ctrl-C), SIGTERM (what CI runners, `timeout` and service managers send) and SIGHUP
//! (the terminal went away) all take one path. The first stops starting new operations and
//! lets those in flight finish, so the summary says cancelled and the exit code is 128 + the
//! signal's number; a second one of any of them exits at once with its own code (the state is
//! persisted after every operation anyway).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use std::io::{BufRead as _, Write as _};

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::render;
use crate::apply::{Cancel, Report};
use crate::cli::printer;
use crate::cli::progress::Progress;
use crate::ops::apply::Session;
use crate::plan::Plan;
use crate::plan::render::Mask;

/// What [`execute`] ran to: the report, and the exit code of the signal that cancelled it.
pub(super) struct Executed {
    pub report: Report,
    /// 129, 130 or 143 when a signal stopped new operations from starting.
    pub signal_code: Option<u8>,
}

pub(super) async fn execute(
    session: &Session,
    mask: &Mask,
    json_out: bool,
) -> anyhow::Result<Executed> {
    let plan = &session.plan;
    let progress = Progress::for_apply(plan.operations.len(), json_out);
    let (cancel_tx, cancel) = Cancel::new();
    // One listener for the whole apply, made before any call: a second signal that comes
    // while the first is being handled is still seen (a listener made afresh after the first
    // would miss it).
    let mut signals = Signals::listen()?;
    let shown = progress.clone();
    // The exit code of the first signal, 0 until one comes.
    let first = Arc::new(AtomicU8::new(0));
    let seen = Arc::clone(&first);
    let interrupts = tokio::spawn(async move {
        while let Some(signal) = signals.recv().await {
            // Cancel (or exit) before saying so: after a SIGHUP the terminal may be gone, and
            // a failed write must not stand in the way.
            if seen.load(Ordering::SeqCst) == 0 {
                seen.store(signal.exit_code(), Ordering::SeqCst);
                let _ = cancel_tx.send(true);
                shown.print(|| printer::status(&signal.first_message()));
            } else {
                shown.finish();
                printer::status("Exiting at once; the state holds every completed operation.");
                std::process::exit(i32::from(signal.exit_code()));
            }
        }
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let printing = progress.print_events(&mut rx, |event| {
        render::print_event(plan, mask, event, json_out)
    });
    let (report, ()) = tokio::join!(session.execute(tx, cancel), printing);
    interrupts.abort();
    progress.finish();
    let code = first.load(Ordering::SeqCst);
    Ok(Executed {
        signal_code: report.cancelled.then_some(if code == 0 {
            crate::cli::exit::SIGINT
        } else {
            code
        }),
        report,
    })
}

/// Runs `work` (the refresh, the prompt: before any operation started) unless a stop signal
/// comes first; then `Err(exit code)`, once the one-line message is shown. `work` is dropped,
/// so nothing more is sent and nothing is written.
pub(super) async fn unless_signalled<T>(
    work: impl std::future::Future<Output = T>,
) -> anyhow::Result<Result<T, u8>> {
    let mut signals = Signals::listen()?;
    tokio::select! {
        out = work => Ok(Ok(out)),
        Some(signal) = signals.recv() => {
            printer::status(&format!(
                "{} received: cancelled before any change; nothing was sent.",
                signal.name()
            ));
            Ok(Err(signal.exit_code()))
        }
    }
}

/// Runs blocking `work` (reading the answer at the prompt) on its own thread, so that
/// [`unless_signalled`] can stop waiting for it: a thread blocked on stdin does not keep the
/// process alive once `main` returns.
pub(super) async fn in_thread<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await
        .context("the prompt's thread ended without an answer")?
}

/// The prompt: `Ok(answer)`, or `Err(exit code)` after a stop signal while it waited.
pub(super) async fn confirm(plan: &Plan) -> anyhow::Result<Result<bool, u8>> {
    let question = question(plan);
    Ok(
        match unless_signalled(in_thread(move || ask(&question))).await? {
            Ok(answer) => Ok(answer?),
            Err(code) => Err(code),
        },
    )
}

/// What the prompt asks: a destroy names what it covers, all managed memberships or those of
/// its `--target` addresses.
fn question(plan: &Plan) -> String {
    if !plan.destroy {
        return "Do you want to apply these changes? Only 'yes' will be accepted:".to_owned();
    }
    let what = if plan.scope.is_empty() {
        "all managed memberships".to_owned()
    } else {
        let listed: Vec<String> = plan.scope.iter().map(|a| format!("`{a}`")).collect();
        format!("the managed memberships of {}", listed.join(", "))
    };
    format!(
        "Do you really want to destroy {what}?\n  sgform will leave every membership shown above{}. There is no undo.\n  Only 'yes' will be accepted:",
        if plan.scope.is_empty() {
            ""
        } else {
            ", and no others"
        }
    )
}

/// Asks on stderr and reads one line from stdin; only `yes` proceeds.
fn ask(question: &str) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    write!(err, "\n{question} ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(super::is_yes(&answer))
}

/// A signal that stops an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Interrupt,
    Terminate,
    Hangup,
}

impl Signal {
    /// 128 + the signal's number, as a shell reports a process the signal ended.
    fn exit_code(self) -> u8 {
        use crate::cli::exit;
        match self {
            Signal::Interrupt => exit::SIGINT,
            Signal::Terminate => exit::SIGTERM,
            Signal::Hangup => exit::SIGHUP,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "Interrupt",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }

    fn first_message(self) -> String {
        match self {
            Signal::Interrupt => "Interrupt received: finishing the operations in flight and saving the state; press Ctrl-C again to exit at once.".to_owned(),
            Signal::Terminate | Signal::Hangup => format!(
                "{} received: finishing the operations in flight and saving the state; a second signal exits at once.",
                if self == Signal::Terminate { "SIGTERM" } else { "SIGHUP" }
            ),
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C elsewhere), as one stream for the whole apply.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl Signals {
    #[cfg(unix)]
    fn listen() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).context("failed to listen for Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?,
            hangup: signal(SignalKind::hangup()).context("failed to listen for SIGHUP")?,
        })
    }

    #[cfg(windows)]
    fn listen() -> anyhow::Result<Signals> {
        Ok(Signals {
            ctrl_c: tokio::signal::windows::ctrl_c().context("failed to listen for Ctrl-C")?,
        })
    }

    /// The next signal; `None` once no more can come.
    #[cfg(unix)]
    async fn recv(&mut self) -> Option<Signal> {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Some(Signal::Interrupt),
            Some(()) = self.terminate.recv() => Some(Signal::Terminate),
            Some(()) = self.hangup.recv() => Some(Signal::Hangup),
            else => None,
        }
    }

    #[cfg(windows)]
    async fn recv(&mut self) -> Option<Signal> {
        self.ctrl_c.recv().await.map(|()| Signal::Interrupt)
    }
}
