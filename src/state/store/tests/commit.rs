//! Commits through the journal: O(change) appends, replay after a crash, the fold.

use std::os::unix::fs::MetadataExt as _;

use super::*;

fn key(n: usize) -> String {
    format!("i-bp1{n:017}")
}

fn member(n: usize) -> ManagedMembership {
    membership(&key(n), "sg-bp1fg655nh68xyz9i4w1")
}

/// A store holding a written state with `n` memberships, and that state as loaded.
fn with_members(n: usize) -> (tempfile::TempDir, LocalFile, State) {
    let (dir, store) = store();
    let mut state = State::empty();
    state.memberships.extend((0..n).map(member));
    store.write(&state).unwrap();
    let loaded = store.load().unwrap();
    (dir, store, loaded)
}

fn journal_len(store: &LocalFile) -> u64 {
    std::fs::metadata(store.journal_path()).map_or(0, |m| m.len())
}

#[test]
fn a_commit_appends_to_the_journal_and_leaves_the_document_alone() {
    let (_dir, store, mut state) = with_members(2);
    let document = std::fs::read(store.path()).unwrap();
    store
        .commit(&mut state, &[member(7)], &[member(0)])
        .unwrap();
    assert_eq!(state.serial, 2);
    assert!(state.memberships.contains(&member(7)) && !state.memberships.contains(&member(0)));
    assert_eq!(
        std::fs::read(store.path()).unwrap(),
        document,
        "the document was rewritten"
    );
    let mode = std::fs::metadata(store.journal_path()).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Every reader sees the commit: the journal is replayed.
    assert_eq!(LocalFile::new(store.path()).load().unwrap(), state);
    assert_eq!(crate::state::read(store.path()).unwrap(), state);
}

#[test]
fn settle_folds_the_journal_into_the_document_and_removes_it() {
    let (dir, store, mut state) = with_members(1);
    let before = std::fs::read(store.path()).unwrap();
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    store.commit(&mut state, &[member(2)], &[]).unwrap();
    store.settle(&state).unwrap();
    assert!(!store.journal_path().exists());
    assert_eq!(
        std::fs::read_to_string(store.path()).unwrap(),
        state.to_json()
    );
    assert_eq!(std::fs::read(store.backup_path()).unwrap(), before);
    assert_eq!(
        names_in(dir.path()),
        ["sgform.state.json", "sgform.state.json.backup"]
    );
    // Settling again, with nothing to fold, changes nothing.
    store.settle(&state).unwrap();
    assert_eq!(LocalFile::new(store.path()).load().unwrap(), state);
}

#[test]
fn commits_survive_a_crash_before_settle_and_the_next_run_continues_them() {
    let (dir, store, mut state) = with_members(1);
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    store
        .commit(&mut state, &[member(2)], &[member(0)])
        .unwrap();
    drop(store); // killed: no settle
    let path = state_path(&dir);
    let next = LocalFile::new(&path);
    let mut loaded = next.load().unwrap();
    assert_eq!(loaded, state);
    next.commit(&mut loaded, &[member(3)], &[]).unwrap();
    next.settle(&loaded).unwrap();
    let last = LocalFile::new(&path).load().unwrap();
    assert_eq!(last.serial, 4);
    assert_eq!(last.memberships.len(), 3);
}

fn state_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("sgform.state.json")
}

#[test]
fn a_torn_tail_is_dropped_and_cut_off_before_the_next_commit() {
    let (_dir, store, mut state) = with_members(1);
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    let committed = state.clone();
    // A crash in the middle of the next append: half a frame.
    let mut half = committed.clone();
    let frame = journal::encode(&journal::Record {
        lineage: half.lineage.clone(),
        base: half.serial,
        serial: half.serial + 1,
        add: vec![member(2)],
        remove: vec![],
    });
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(store.journal_path())
        .unwrap();
    std::io::Write::write_all(&mut file, &frame[..frame.len() / 2]).unwrap();
    drop(file);
    let next = LocalFile::new(store.path());
    let mut loaded = next.load().unwrap();
    assert_eq!(
        loaded, committed,
        "the torn commit was never reported: it is dropped"
    );
    next.commit(&mut loaded, &[member(3)], &[]).unwrap();
    half.memberships.insert(member(3));
    half.serial += 1;
    assert_eq!(LocalFile::new(store.path()).load().unwrap(), half);
}

#[test]
fn a_journal_of_another_lineage_is_refused_naming_both_files() {
    let (dir, store, mut state) = with_members(1);
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    // The document replaced by another state (restored from elsewhere, say), the journal kept.
    let other = LocalFile::new(dir.path().join("other.json"));
    let mut fresh = State::empty();
    fresh.memberships.insert(member(5));
    other.write(&fresh).unwrap();
    std::fs::rename(other.path(), store.path()).unwrap();
    let err = LocalFile::new(store.path()).load().unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Journal { .. }), "{err:?}");
    assert!(message.contains("sgform.state.json.journal`"), "{message}");
    assert!(message.contains("sgform.state.json`"), "{message}");
    assert!(message.contains("lineage"), "{message}");
    // Writers refuse it too, and leave it in place.
    assert!(store.commit(&mut state, &[member(2)], &[]).is_err());
    assert!(store.journal_path().exists());
}

#[test]
fn a_journal_folded_before_a_crash_is_skipped_then_removed() {
    let (_dir, store, mut state) = with_members(1);
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    let journal = std::fs::read(store.journal_path()).unwrap();
    store.settle(&state).unwrap();
    // Killed after the fold, before the journal was removed.
    std::fs::write(store.journal_path(), &journal).unwrap();
    let next = LocalFile::new(store.path());
    let mut loaded = next.load().unwrap();
    assert_eq!(loaded, state);
    next.commit(&mut loaded, &[member(2)], &[]).unwrap();
    assert_eq!(LocalFile::new(store.path()).load().unwrap(), loaded);
}

#[test]
fn a_commit_by_another_process_is_detected() {
    let (_dir, ours, mut state) = with_members(1);
    ours.commit(&mut state, &[member(1)], &[]).unwrap();
    // Another process (`--lock=false`) appends its own commit.
    let theirs = LocalFile::new(ours.path());
    let mut their_state = theirs.load().unwrap();
    theirs.commit(&mut their_state, &[member(9)], &[]).unwrap();
    let before = std::fs::read(ours.journal_path()).unwrap();
    let err = ours
        .commit(&mut state.clone(), &[member(2)], &[])
        .unwrap_err();
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err:?}");
    assert_eq!(std::fs::read(ours.journal_path()).unwrap(), before);
}

#[test]
fn a_whole_write_by_another_process_is_detected() {
    let (_dir, ours, mut state) = with_members(1);
    ours.commit(&mut state, &[member(1)], &[]).unwrap();
    let theirs = LocalFile::new(ours.path());
    let their_state = theirs.load().unwrap();
    theirs.write(&their_state).unwrap();
    let kept = state.clone();
    let err = ours.commit(&mut state, &[member(2)], &[]).unwrap_err();
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err:?}");
    assert_eq!(state, kept, "a refused commit leaves the state as it was");
    // Their write folded our journal: nothing is left for ours to fold.
    ours.settle(&state).unwrap();
    assert_eq!(LocalFile::new(ours.path()).load().unwrap().serial, 3);
}

#[test]
fn a_write_folds_the_journal() {
    let (_dir, store, mut state) = with_members(1);
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    state.memberships.insert(member(2));
    let written = store.write(&state).unwrap();
    assert!(!store.journal_path().exists());
    assert_eq!(written.serial, 3);
    assert_eq!(LocalFile::new(store.path()).load().unwrap(), written);
}

#[test]
fn the_first_commit_of_a_new_state_writes_the_document() {
    let (_dir, store) = store();
    let mut state = store.load().unwrap();
    store.commit(&mut state, &[member(1)], &[]).unwrap();
    assert_eq!(state.serial, 1);
    assert!(!state.is_new());
    assert!(!store.journal_path().exists());
    assert_eq!(store.load().unwrap(), state);
}

/// The cost of a commit does not grow with the state: on 80,000 memberships, one change adds
/// one small frame to the journal, and the document is neither rewritten nor replaced.
#[test]
fn a_commit_to_a_big_state_costs_the_change_not_the_state() {
    let (_dir, store, mut state) = with_members(80_000);
    let doc = std::fs::metadata(store.path()).unwrap();
    store.commit(&mut state, &[member(80_001)], &[]).unwrap();
    let first = journal_len(&store);
    store.commit(&mut state, &[], &[member(3)]).unwrap();
    let grew = journal_len(&store) - first;
    assert!(first < 1024, "the first commit wrote {first} bytes");
    assert!(grew < 1024, "one change grew the journal by {grew} bytes");
    let after = std::fs::metadata(store.path()).unwrap();
    assert_eq!(
        (after.ino(), after.len(), after.mtime(), after.mtime_nsec()),
        (doc.ino(), doc.len(), doc.mtime(), doc.mtime_nsec()),
        "the document was rewritten"
    );
    assert_eq!(state.memberships.len(), 80_000);
}
