use std::time::Duration;

use indicatif::ProgressDrawTarget;
use tokio::sync::mpsc;

use super::*;
use crate::apply::Outcome;

fn finished(index: usize) -> Event {
    Event::Finished {
        index,
        outcome: Outcome::Done,
        elapsed: Duration::ZERO,
    }
}

#[tokio::test]
async fn finished_and_skipped_operations_advance_the_bar_and_every_event_is_printed() {
    let progress = Progress::with_bar(4, ProgressDrawTarget::hidden());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let events = vec![
        Event::Started { index: 0 },
        Event::Started { index: 1 },
        Event::Waiting {
            index: 1,
            status: "Starting".to_owned(),
            elapsed: Duration::from_secs(40),
        },
        finished(0),
        Event::Persisted { index: Some(0) },
        Event::Finished {
            index: 1,
            outcome: Outcome::Failed(crate::apply::Failure {
                code: Some("Forbidden.RAM".to_owned()),
                message: "denied".to_owned(),
                request_id: None,
                hint: None,
            }),
            elapsed: Duration::ZERO,
        },
        Event::Skipped {
            index: 2,
            because: 1,
        },
        Event::Cancelling { in_flight: 0 },
    ];
    for e in &events {
        tx.send(e.clone()).unwrap();
    }
    drop(tx);
    let mut printed = Vec::new();
    progress
        .print_events(&mut rx, |e| {
            printed.push(e.clone());
            Ok(())
        })
        .await;
    assert_eq!(printed, events);
    assert_eq!(progress.done(), 3);
    progress.finish();
}

#[tokio::test]
async fn a_failed_write_does_not_stop_the_printing() {
    let progress = Progress::plain();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..3 {
        tx.send(finished(i)).unwrap();
    }
    drop(tx);
    let mut calls = 0;
    progress
        .print_events(&mut rx, |_| {
            calls += 1;
            anyhow::bail!("stdout closed")
        })
        .await;
    assert_eq!(calls, 3);
    assert_eq!(progress.done(), 0, "no bar, nothing counted");
}

#[test]
fn json_or_nothing_to_do_gets_no_bar() {
    // Whether the test's own stdout is a terminal depends on who runs it; these hold either way.
    assert!(Progress::for_apply(10, true).bar.is_none());
    assert!(Progress::for_apply(0, false).bar.is_none());
    assert_eq!(Progress::plain().print(|| 7), 7);
}
