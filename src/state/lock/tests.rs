use std::time::{Duration, Instant};

use super::*;
use crate::state::{Backend, LocalFile};

fn fast() -> Backoff {
    Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(40),
    }
}

fn store() -> (tempfile::TempDir, LocalFile) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFile::new(dir.path().join("sgform.state.json")).with_backoff(fast());
    (dir, store)
}

/// Writes `info` as the holder info, as a holder killed with SIGKILL leaves it.
fn write_info(store: &LocalFile, info: &LockInfo) {
    let lock = FileLock::beside(store.path(), store.location());
    let text = serde_json::to_string(info).unwrap();
    std::fs::create_dir_all(lock.info_path.parent().unwrap()).unwrap();
    crate::fsutil::write_atomic(
        &lock.info_path,
        text.as_bytes(),
        crate::fsutil::Mode::Exactly(0o600),
    )
    .unwrap();
}

fn info(operation: &str) -> LockInfo {
    LockInfo::new(operation, "alice", "build-1")
}

#[test]
fn lock_info_names_who_and_when() {
    let info = info("apply");
    assert_eq!(info.who, "alice@build-1");
    assert_eq!(info.pid, std::process::id());
    assert!(uuid::Uuid::parse_str(&info.id).is_ok());
    assert!(
        chrono::DateTime::parse_from_rfc3339(&info.since).is_ok(),
        "{}",
        info.since
    );
    let shown = info.to_string();
    assert!(
        shown.starts_with("alice@build-1 (operation apply, pid "),
        "{shown}"
    );
    assert!(shown.contains(&format!("id {})", info.id)), "{shown}");
}

#[test]
fn holder_info_is_written_beside_the_state_and_removed_on_unlock() {
    let (_dir, store) = store();
    let guard = store.lock(info("apply"), None).unwrap();
    assert_eq!(store.lock_holder().as_ref(), Some(guard.info()));
    guard.unlock().unwrap();
    assert_eq!(store.lock_holder(), None);
}

#[test]
fn a_second_locker_fails_at_once_naming_the_holder() {
    let (_dir, store) = store();
    let held = store.lock(info("apply"), None).unwrap();
    let start = Instant::now();
    let err = store.lock(info("state rm"), None).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    let Error::Locked { holder, waited, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(holder.as_deref(), Some(held.info()));
    assert_eq!(*waited, None);
    let shown = err.to_string();
    assert!(
        shown.contains("is locked by alice@build-1 (operation apply, pid"),
        "{shown}"
    );
    assert!(shown.contains(&held.info().id), "{shown}");
}

#[test]
fn dropping_the_guard_releases_the_lock() {
    let (_dir, store) = store();
    drop(store.lock(info("apply"), None).unwrap());
    let again = store.lock(info("apply"), None).unwrap();
    assert_eq!(store.lock_holder().as_ref(), Some(again.info()));
}

#[test]
fn a_timed_locker_gives_up_after_its_timeout_naming_the_holder() {
    let (_dir, store) = store();
    let _held = store.lock(info("apply"), None).unwrap();
    let err = store
        .lock(info("plan"), Some(Duration::from_millis(100)))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Locked {
                waited: Some(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("gave up after waiting 100ms"),
        "{err}"
    );
}

#[test]
fn a_timed_locker_gets_the_lock_when_the_holder_releases_it() {
    let (_dir, store) = store();
    let held = store.lock(info("apply"), None).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = {
        let store = store.clone();
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            store.lock(info("plan"), Some(Duration::from_secs(30)))
        })
    };
    rx.recv().unwrap();
    held.unlock().unwrap();
    let guard = waiter.join().unwrap().unwrap();
    assert_eq!(guard.info().operation, "plan");
}

#[test]
fn a_stale_info_file_does_not_block_the_next_locker() {
    let (_dir, store) = store();
    // As after a SIGKILL: the OS lock is gone, the info file stays.
    let stale = info("apply");
    write_info(&store, &stale);
    let guard = store.lock(info("plan"), None).unwrap();
    assert_eq!(store.lock_holder().as_ref(), Some(guard.info()));
}

#[test]
fn force_unlock_removes_a_stale_lock_by_its_id() {
    let (_dir, store) = store();
    let stale = info("apply");
    write_info(&store, &stale);
    assert_eq!(store.force_unlock(&stale.id).unwrap(), stale);
    assert_eq!(store.lock_holder(), None);
}

#[test]
fn force_unlock_with_a_wrong_id_refuses_and_names_the_holder() {
    let (_dir, store) = store();
    let stale = info("apply");
    write_info(&store, &stale);
    let err = store.force_unlock("not-the-id").unwrap_err();
    assert!(matches!(err, Error::LockIdMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&stale.id), "{err}");
    assert_eq!(store.lock_holder(), Some(stale));
}

#[test]
fn force_unlock_does_not_break_a_lock_whose_holder_runs() {
    let (_dir, store) = store();
    let held = store.lock(info("apply"), None).unwrap();
    let err = store.force_unlock(&held.info().id).unwrap_err();
    assert!(matches!(err, Error::LockStillHeld { .. }), "{err}");
    assert_eq!(store.lock_holder().as_ref(), Some(held.info()));
    assert!(store.lock(info("plan"), None).is_err());
}

#[test]
fn force_unlock_without_a_lock_says_so() {
    let (_dir, store) = store();
    let err = store.force_unlock("any").unwrap_err();
    assert!(matches!(err, Error::NotLocked { .. }), "{err}");
}

#[cfg(unix)]
#[test]
fn lock_files_are_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, store) = store();
    let _held = store.lock(info("apply"), None).unwrap();
    let lock = FileLock::beside(store.path(), store.location());
    for path in [&lock.lock_path, &lock.info_path] {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

/// The lock files live in `.sgform/locks/` beside the state, which ignores itself: after a
/// lock is taken and released, the directory holds nothing else of sgform's.
#[test]
fn lock_files_live_in_a_self_ignoring_sgform_directory() {
    let (dir, store) = store();
    let held = store.lock(info("apply"), None).unwrap();
    let lock = FileLock::beside(store.path(), store.location());
    assert_eq!(
        lock.lock_path,
        dir.path().join(".sgform/locks/sgform.state.json.lock")
    );
    assert_eq!(
        lock.info_path,
        dir.path().join(".sgform/locks/sgform.state.json.lock.info")
    );
    assert!(lock.info_path.exists());
    held.unlock().unwrap();
    assert!(!lock.info_path.exists());
    assert!(lock.lock_path.exists(), "the locked file is never deleted");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [".sgform"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".sgform/.gitignore")).unwrap(),
        "*\n"
    );
}

/// A state kept in a `.sgform` directory (the sandbox's own) has its locks in `locks/` there,
/// not in a `.sgform` of its own.
#[test]
fn a_state_inside_sgform_locks_in_its_locks_directory() {
    assert_eq!(
        lock_dir(Path::new("cfg/.sgform/sandbox.state.json")),
        Path::new("cfg/.sgform/locks")
    );
    assert_eq!(
        lock_dir(Path::new("sgform.state.json")),
        Path::new("./.sgform/locks")
    );
    assert_eq!(
        lock_dir(Path::new("/srv/shared/prod.json")),
        Path::new("/srv/shared/.sgform/locks")
    );
}
