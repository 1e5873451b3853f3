use super::*;
use crate::ids::{Address, RegionId, SecurityGroupId, Target};
use crate::state::ManagedMembership;

fn membership(key: &str, sg: &str) -> ManagedMembership {
    ManagedMembership {
        address: Address::new(crate::ids::DeclarationKind::Membership, "web").with_key(key),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse(sg).unwrap(),
        target: Target::parse(key).unwrap(),
    }
}

fn store() -> (tempfile::TempDir, LocalFile) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFile::new(dir.path().join("sgform.state.json"));
    (dir, store)
}

/// A state written once, with one membership.
fn written(store: &LocalFile) -> State {
    let mut state = store.load().unwrap();
    state.memberships.insert(membership(
        "i-bp1gtjxuuvwj17zr8s5f",
        "sg-bp1fg655nh68xyz9i4w1",
    ));
    store.write(&state).unwrap()
}

#[test]
fn write_then_load_round_trips() {
    let (_dir, store) = store();
    let stored = written(&store);
    assert_eq!(store.load().unwrap(), stored);
    assert_eq!(stored.memberships.len(), 1);
}

#[test]
fn first_write_creates_a_lineage_and_serial_one() {
    let (_dir, store) = store();
    let stored = written(&store);
    assert_eq!(stored.serial, 1);
    assert!(
        uuid::Uuid::parse_str(&stored.lineage).is_ok(),
        "{}",
        stored.lineage
    );
}

#[test]
fn every_write_adds_one_to_the_serial_and_keeps_the_lineage() {
    let (_dir, store) = store();
    let first = written(&store);
    let second = store.write(&first).unwrap();
    let third = store.write(&second).unwrap();
    assert_eq!((second.serial, third.serial), (2, 3));
    assert_eq!(second.lineage, first.lineage);
    assert_eq!(third.lineage, first.lineage);
    assert_eq!(store.load().unwrap().serial, 3);
}

#[cfg(unix)]
#[test]
fn state_and_backup_files_are_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, store) = store();
    let first = written(&store);
    store.write(&first).unwrap();
    for path in [store.path().to_path_buf(), store.backup_path()] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

#[cfg(unix)]
#[test]
fn a_looser_existing_file_becomes_0600_on_write() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, store) = store();
    let first = written(&store);
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    store.write(&first).unwrap();
    let mode = std::fs::metadata(store.path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn backup_holds_the_previous_version_byte_for_byte() {
    let (_dir, store) = store();
    let first = written(&store);
    let before = std::fs::read(store.path()).unwrap();
    let mut next = first.clone();
    next.memberships.clear();
    store.write(&next).unwrap();
    assert_eq!(std::fs::read(store.backup_path()).unwrap(), before);
    assert_ne!(std::fs::read(store.path()).unwrap(), before);
}

#[test]
fn the_first_write_makes_no_backup() {
    let (_dir, store) = store();
    written(&store);
    assert!(!store.backup_path().exists());
}

#[test]
fn no_temporary_files_are_left_behind() {
    let (dir, store) = store();
    let first = written(&store);
    store.write(&first).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["sgform.state.json", "sgform.state.json.backup"]);
}

/// Asserts that `write(state)` fails and leaves the state file and the backup as they were.
#[track_caller]
fn refused_untouched(store: &LocalFile, state: &State) -> Error {
    let before = std::fs::read(store.path()).ok();
    let backup = std::fs::read(store.backup_path()).ok();
    let err = store.write(state).unwrap_err();
    assert_eq!(
        std::fs::read(store.path()).ok(),
        before,
        "state file changed"
    );
    assert_eq!(
        std::fs::read(store.backup_path()).ok(),
        backup,
        "backup changed"
    );
    err
}

#[test]
fn a_write_over_a_newer_serial_is_refused() {
    let (_dir, store) = store();
    let first = written(&store);
    store.write(&first).unwrap(); // another run wrote serial 2
    let err = refused_untouched(&store, &first);
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err}");
    assert!(err.to_string().contains("found serial 2"), "{err}");
}

#[test]
fn a_new_state_is_not_written_over_a_file_created_meanwhile() {
    let (_dir, store) = store();
    let fresh = store.load().unwrap();
    written(&store);
    let err = refused_untouched(&store, &fresh);
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err}");
}

#[test]
fn a_removed_state_file_is_not_recreated_silently() {
    let (_dir, store) = store();
    let first = written(&store);
    std::fs::remove_file(store.path()).unwrap();
    let err = store.write(&first).unwrap_err();
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err}");
    assert!(!store.path().exists());
}

#[test]
fn another_lineage_is_never_overwritten() {
    let (_dir, store) = store();
    let first = written(&store);
    let mut other = first.clone();
    other.lineage = uuid::Uuid::new_v4().to_string();
    let err = refused_untouched(&store, &other);
    assert!(matches!(err, Error::OtherLineage { .. }), "{err}");
    assert!(err.to_string().contains("another lineage"), "{err}");
}

#[test]
fn a_corrupt_state_is_never_overwritten() {
    let (_dir, store) = store();
    let first = written(&store);
    std::fs::write(store.path(), "{ torn").unwrap();
    let err = refused_untouched(&store, &first);
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[test]
fn a_newer_version_state_is_never_overwritten() {
    let (_dir, store) = store();
    let first = written(&store);
    let newer = format!(
        r#"{{"version": 2, "lineage": "{}", "serial": 1, "memberships": []}}"#,
        first.lineage
    );
    std::fs::write(store.path(), newer).unwrap();
    let err = refused_untouched(&store, &first);
    assert!(matches!(err, Error::NewerVersion { found: 2, .. }), "{err}");
}

#[test]
fn write_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFile::new(dir.path().join("missing-dir").join("sgform.state.json"));
    let err = store.write(&State::empty()).unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    assert!(err.to_string().contains("missing-dir"), "{err}");
}

/// The store remembers what it wrote last to skip re-parsing; a file changed by anyone else
/// since (another process, a hand edit) is still caught, and a stale state is never written.
#[test]
fn a_write_by_someone_else_after_our_own_is_still_refused() {
    let (_dir, store) = store();
    let ours = written(&store);
    let ours = store.write(&ours).unwrap();
    // Another process (its own store) writes on top of ours.
    let other = LocalFile::new(store.path());
    let theirs = other.write(&other.load().unwrap()).unwrap();
    assert_eq!(theirs.serial, ours.serial + 1);
    let on_disk = std::fs::read(store.path()).unwrap();
    let err = store.write(&ours).unwrap_err();
    assert!(
        matches!(err, Error::ChangedUnderneath { .. }),
        "expected ChangedUnderneath, got {err:?}"
    );
    assert_eq!(std::fs::read(store.path()).unwrap(), on_disk);
    // A hand edit that keeps the serial but not the bytes is parsed and checked too.
    let edited = String::from_utf8(on_disk)
        .unwrap()
        .replace(&theirs.lineage, "0-other-lineage");
    std::fs::write(store.path(), edited).unwrap();
    assert!(matches!(
        other.write(&theirs).unwrap_err(),
        Error::OtherLineage { .. }
    ));
}

/// The backup is the previous version as a file of its own: later writes do not change it
/// through a shared inode.
#[test]
fn the_backup_does_not_change_with_later_writes_of_the_state() {
    let (_dir, store) = store();
    let first = written(&store);
    let first_bytes = std::fs::read(store.path()).unwrap();
    let second = store.write(&first).unwrap();
    assert_eq!(std::fs::read(store.backup_path()).unwrap(), first_bytes);
    let second_bytes = std::fs::read(store.path()).unwrap();
    store.write(&second).unwrap();
    assert_eq!(std::fs::read(store.backup_path()).unwrap(), second_bytes);
    assert_ne!(std::fs::read(store.path()).unwrap(), second_bytes);
}
