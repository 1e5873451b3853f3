//! Carrying out a session's plan with the events shown as they come, and Ctrl-C: the first
//! stops starting new operations and lets those in flight finish; the second exits at once
//! (the state is persisted after every operation anyway).

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::render;
use crate::apply::{Cancel, Report};
use crate::cli::printer;
use crate::cli::progress::Progress;
use crate::ops::apply::Session;
use crate::plan::render::Mask;

pub(super) async fn execute(
    session: &Session,
    mask: &Mask,
    json_out: bool,
) -> anyhow::Result<Report> {
    let plan = &session.plan;
    let progress = Progress::for_apply(plan.operations.len(), json_out);
    let (cancel_tx, cancel) = Cancel::new();
    // One listener for the whole apply, made before any call: a second Ctrl-C that comes
    // while the first is being handled is still seen (a listener made afresh after the first
    // would miss it).
    let mut interrupt = Interrupts::listen()?;
    let shown = progress.clone();
    let interrupts = tokio::spawn(async move {
        let mut seen = 0;
        while interrupt.recv().await {
            seen += 1;
            if seen == 1 {
                shown.print(|| printer::status(
                    "Interrupt received: finishing the operations in flight and saving the state; press Ctrl-C again to exit at once.",
                ));
                let _ = cancel_tx.send(true);
            } else {
                shown.finish();
                printer::status("Exiting at once; the state holds every completed operation.");
                std::process::exit(130);
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
    Ok(report)
}

/// SIGINT (Ctrl-C elsewhere), as one stream for the whole apply.
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    fn listen() -> anyhow::Result<Interrupts> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c();
        Ok(Interrupts {
            signal: signal.context("failed to listen for Ctrl-C")?,
        })
    }

    /// The next interrupt; `false` once no more can come.
    async fn recv(&mut self) -> bool {
        self.signal.recv().await.is_some()
    }
}
