use std::time::Duration;

use super::*;
use crate::state::{Location, open};

fn env() -> Environment {
    Environment {
        user: "alice".to_owned(),
        host: "build1".to_owned(),
        ..Environment::empty()
    }
}

#[test]
fn no_lock_is_taken_when_the_request_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(&Location::for_dir(dir.path(), None));
    let locking = Locking {
        lock: false,
        timeout: None,
    };
    let mut notices = 0;
    let guard = acquire(&backend, "plan", locking, &env(), &mut |_| notices += 1).unwrap();
    assert!(guard.is_none());
    assert_eq!(notices, 0);
}

#[test]
fn a_held_lock_is_refused_at_once_naming_the_holder_and_the_flag_to_wait() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::for_dir(dir.path(), None);
    let held = acquire(
        &open(&location),
        "apply",
        Locking::default(),
        &env(),
        &mut |_| {},
    )
    .unwrap()
    .expect("the lock is taken");
    assert_eq!(held.info().operation, "apply");
    let mut notices = Vec::new();
    let err = acquire(
        &open(&location),
        "plan",
        Locking::default(),
        &env(),
        &mut |n| notices.push(format!("{n:?}")),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("alice@build1"), "{text}");
    assert!(
        text.ends_with("wait for it with `--lock-timeout 5m`"),
        "{text}"
    );
    assert!(notices.is_empty(), "{notices:?}");
}

#[test]
fn waiting_for_a_held_lock_is_reported_before_it_gives_up() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::for_dir(dir.path(), None);
    let _held = acquire(
        &open(&location),
        "apply",
        Locking::default(),
        &env(),
        &mut |_| {},
    )
    .unwrap();
    let locking = Locking {
        lock: true,
        timeout: Some(Duration::from_millis(50)),
    };
    let mut waited = Vec::new();
    let err = acquire(&open(&location), "plan", locking, &env(), &mut |n| {
        if let Notice::WaitingForLock { timeout, holder } = n {
            waited.push((timeout, holder.to_owned()));
        }
    })
    .unwrap_err();
    assert_eq!(waited.len(), 1, "{waited:?}");
    assert_eq!(waited[0].0, Duration::from_millis(50));
    assert!(waited[0].1.contains("alice@build1"), "{waited:?}");
    assert!(err.to_string().ends_with("or wait longer"), "{err}");
}
