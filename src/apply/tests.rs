use super::*;

#[test]
fn already_done_counts_as_success() {
    assert!(Outcome::Done.is_success());
    assert!(Outcome::AlreadyDone { code: None }.is_success());
    assert!(!Outcome::Skipped { because: 0 }.is_success());
    assert!(!Outcome::NotStarted.is_success());
}

#[test]
fn a_report_with_a_skipped_operation_did_not_succeed() {
    let report = Report {
        skipped: 1,
        ..Report::default()
    };
    assert!(!report.succeeded());
    assert!(Report::default().succeeded());
}

#[tokio::test]
async fn cancel_is_seen_by_every_clone() {
    let (tx, cancel) = Cancel::new();
    let other = cancel.clone();
    assert!(!other.is_cancelled());
    tx.send(true).unwrap();
    assert!(cancel.is_cancelled() && other.is_cancelled());
    assert!(!Cancel::never().is_cancelled());
}
