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
        .replace(&theirs.lineage, &uuid::Uuid::new_v4().to_string());
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

/// A state in `shared/real.json` and a link to it where the configuration looks.
#[cfg(unix)]
fn linked_store() -> (tempfile::TempDir, LocalFile, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    let link = dir.path().join("config/sgform.state.json");
    std::os::unix::fs::symlink("../shared/real.json", &link).unwrap();
    let target = dir.path().join("config/../shared/real.json");
    (dir, LocalFile::new(link), target)
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A symlinked state stays a link; the target gets every write, and the backup and the lock
/// live beside the target (see the module docs for why).
#[cfg(unix)]
#[test]
fn a_symlinked_state_is_written_through_the_link() {
    let (dir, store, target) = linked_store();
    assert_eq!(store.target(), target);
    let first = written(&store);
    let guard = store
        .lock(crate::state::LockInfo::new("apply", "alice", "host"), None)
        .unwrap();
    let second = store.write(&first).unwrap();

    assert!(
        store
            .path()
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(store.load().unwrap(), second);
    assert_eq!(crate::state::read(&target).unwrap(), second);
    assert_eq!(
        store.backup_path(),
        crate::fsutil::with_suffix(&target, ".backup")
    );
    assert_eq!(
        State::from_json(
            &target.display().to_string(),
            &std::fs::read_to_string(store.backup_path()).unwrap()
        )
        .unwrap(),
        first
    );
    assert_eq!(names_in(&dir.path().join("config")), ["sgform.state.json"]);
    assert_eq!(
        names_in(&dir.path().join("shared")),
        [".sgform", "real.json", "real.json.backup"]
    );
    assert_eq!(
        names_in(&dir.path().join("shared/.sgform/locks")),
        ["real.json.lock", "real.json.lock.info"]
    );
    guard.unlock().unwrap();
}

/// Two configurations linking to one state file share its lock.
#[cfg(unix)]
#[test]
fn two_links_to_one_state_share_one_lock() {
    let (dir, store, _target) = linked_store();
    let other_link = dir.path().join("other.state.json");
    std::os::unix::fs::symlink("shared/real.json", &other_link).unwrap();
    let other = LocalFile::new(&other_link);
    let _held = store
        .lock(crate::state::LockInfo::new("apply", "alice", "host"), None)
        .unwrap();
    let err = other
        .lock(crate::state::LockInfo::new("apply", "bob", "host"), None)
        .unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    // The message names the state as this run was given it.
    assert!(
        err.to_string().contains(&other_link.display().to_string()),
        "{err}"
    );
}

/// A corrupt target is named as the file read, beside which its backup is.
#[cfg(unix)]
#[test]
fn a_corrupt_symlinked_state_names_the_target_and_its_backup() {
    let (_dir, store, target) = linked_store();
    written(&store);
    std::fs::write(&target, "{ torn").unwrap();
    let err = store.load().unwrap_err().to_string();
    let target = target.display().to_string();
    assert!(
        err.contains(&format!("state file `{target}` is corrupt")),
        "{err}"
    );
    assert!(err.contains(&format!("`{target}.backup`")), "{err}");
}

/// A serial at `u64::MAX` would wrap to 0 on the next write (and a stale state could then pass
/// the compare-and-swap): the write is refused, naming the file, and changes nothing.
#[test]
fn a_write_past_the_largest_serial_is_refused() {
    let (_dir, store) = store();
    let first = written(&store);
    let text = std::fs::read_to_string(store.path())
        .unwrap()
        .replace("\"serial\": 1,", &format!("\"serial\": {},", u64::MAX));
    std::fs::write(store.path(), text).unwrap();
    let at_max = store.load().unwrap();
    assert_eq!((at_max.serial, &at_max.lineage), (u64::MAX, &first.lineage));
    let err = refused_untouched(&store, &at_max);
    assert!(
        matches!(
            err,
            Error::SerialExhausted {
                serial: u64::MAX,
                ..
            }
        ),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "state file `{}` has serial 18446744073709551615, the largest there is: its next write would wrap it to 0",
            store.path().display()
        )),
        "{shown}"
    );
}

/// A file over the limit is refused by its size, before it is read (the file here is sparse:
/// reading it would allocate 256 MiB).
#[test]
fn a_state_over_the_size_limit_is_refused_unread() {
    let (_dir, store) = store();
    let file = std::fs::File::create(store.path()).unwrap();
    file.set_len(crate::state::MAX_STATE_BYTES + 1).unwrap();
    let err = store.load().unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { size: Some(n), .. } if n == crate::state::MAX_STATE_BYTES + 1),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "state file `{}` is 268435457 bytes, over the 256 MiB sgform reads (`MAX_STATE_BYTES`): it is not a state sgform wrote; check the path",
            store.path().display()
        )
    );
    // A write refuses it too, and leaves it as it is.
    let err = store.write(&State::empty()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert_eq!(
        std::fs::metadata(store.path()).unwrap().len(),
        crate::state::MAX_STATE_BYTES + 1
    );
}

/// A state in a directory this user cannot write: the lock (taken first) and the write each
/// fail naming the directory, with a hint.
#[cfg(unix)]
#[test]
fn a_read_only_directory_gives_a_hint() {
    let (_keep, dir) = crate::fsutil::tests::read_only_dir();
    let store = LocalFile::new(dir.join("sgform.state.json"));
    let dir = dir.display().to_string();

    let err = store
        .lock(crate::state::LockInfo::new("apply", "alice", "host"), None)
        .unwrap_err();
    assert!(matches!(err, Error::Lock { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "failed to lock `{dir}/.sgform/locks/sgform.state.json.lock`: the directory `{dir}` "
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("\n  hint: sgform locks the state with a file beside it, so its directory must be writable: make `{dir}` writable")),
        "{shown}"
    );

    let err = store.write(&State::empty()).unwrap_err();
    assert!(matches!(err, Error::Write(_)), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "failed to write `{dir}/sgform.state.json`: the directory `{dir}` "
        )),
        "{shown}"
    );
    assert!(shown.contains("\n  hint: "), "{shown}");
}

#[cfg(unix)]
mod commit;
