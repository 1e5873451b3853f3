use super::*;
use crate::ids::{RegionId, SecurityGroupId, Target};

fn entry(address: &str, sg: &str) -> ManagedMembership {
    ManagedMembership {
        address: Address::parse(address).unwrap(),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse(sg).unwrap(),
        target: Target::parse("i-bp1web0000000001").unwrap(),
    }
}

/// A state at a fresh location with two entries of `membership.web` and one of `membership.db`.
fn seeded() -> (tempfile::TempDir, Location) {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::for_dir(dir.path(), None);
    let mut state = State::empty();
    state.memberships.extend([
        entry(r#"membership.web["a"]"#, "sg-bp1web00000000001"),
        entry(r#"membership.web["b"]"#, "sg-bp1web00000000002"),
        entry("membership.db", "sg-bp1db000000000001"),
    ]);
    state::open(&location).write(&state).unwrap();
    (dir, location)
}

#[test]
fn show_matches_an_address_or_every_instance_of_a_block() {
    let (_dir, location) = seeded();
    let block = show(&location, &Address::parse("membership.web").unwrap()).unwrap();
    assert_eq!(block.len(), 2);
    let one = show(
        &location,
        &Address::parse(r#"membership.web["b"]"#).unwrap(),
    )
    .unwrap();
    assert_eq!(one.len(), 1);
    let err = show(&location, &Address::parse("membership.app").unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no state entry for `membership.app` in `")
    );
}

#[test]
fn remove_is_all_or_nothing_and_a_dry_run_changes_nothing() {
    let (_dir, location) = seeded();
    let request = |queries: &[&str], dry_run| Remove {
        location: location.clone(),
        locking: Locking::default(),
        queries: queries.iter().map(|q| Address::parse(q).unwrap()).collect(),
        dry_run,
    };
    let env = Environment::empty();
    let err = remove(
        &request(&["membership.web", "membership.app"], false),
        &env,
        &mut |_| {},
    )
    .err()
    .expect("a query that matches nothing refuses the whole removal");
    assert!(err.to_string().contains("`membership.app`"), "{err}");
    assert_eq!(list(&location).unwrap().memberships.len(), 3);

    let dry = remove(&request(&["membership.web"], true), &env, &mut |_| {}).unwrap();
    assert_eq!((dry.entries.len(), dry.serial), (2, None));
    assert!(dry.lock.is_none());
    assert_eq!(list(&location).unwrap().memberships.len(), 3);

    let done = remove(&request(&["membership.web"], false), &env, &mut |_| {}).unwrap();
    assert_eq!(done.entries.len(), 2);
    assert_eq!(done.serial, Some(2));
    let left = list(&location).unwrap();
    assert_eq!(left.serial, 2);
    assert_eq!(left.memberships.len(), 1);
}

fn doc(lineage: &str, serial: u64, sgs: &[&str]) -> State {
    let mut state = State {
        lineage: lineage.to_owned(),
        serial,
        ..State::empty()
    };
    state
        .memberships
        .extend(sgs.iter().map(|sg| entry("membership.db", sg)));
    state
}

const L1: &str = "8d0c6b0e-1f7a-4c55-9d2e-3a4b5c6d7e8f";
const L2: &str = "11111111-1f7a-4c55-9d2e-3a4b5c6d7e8f";
const SG1: &str = "sg-bp1db000000000001";
const SG2: &str = "sg-bp1db000000000002";

#[test]
fn a_push_onto_nothing_keeps_the_document_whole() {
    let pushed = doc(L1, 7, &[SG1]);
    assert_eq!(
        decide_push(&State::empty(), &pushed, false),
        Ok(Some(pushed))
    );
}

#[test]
fn a_push_of_what_is_stored_writes_nothing() {
    let stored = doc(L1, 7, &[SG1]);
    assert_eq!(decide_push(&stored, &stored.clone(), false), Ok(None));
    assert_eq!(decide_push(&stored, &stored.clone(), true), Ok(None));
}

#[test]
fn a_push_of_another_lineage_is_refused_unless_forced() {
    let stored = doc(L1, 7, &[SG1]);
    let pushed = doc(L2, 2, &[SG2]);
    let why = decide_push(&stored, &pushed, false).unwrap_err();
    assert!(
        why.contains("lineage 11111111-") && why.contains("another state"),
        "{why}"
    );
    assert_eq!(decide_push(&stored, &pushed, true), Ok(Some(pushed)));
}

#[test]
fn a_push_keeps_a_newer_serial_and_otherwise_advances_the_stored_one() {
    let stored = doc(L1, 7, &[SG1]);
    let newer = doc(L1, 10, &[SG2]);
    assert_eq!(decide_push(&stored, &newer, false), Ok(Some(newer)));
    let same_serial = doc(L1, 7, &[SG2]);
    assert_eq!(
        decide_push(&stored, &same_serial, false)
            .unwrap()
            .unwrap()
            .serial,
        8
    );
    let older = doc(L1, 3, &[SG2]);
    let why = decide_push(&stored, &older, false).unwrap_err();
    assert!(
        why.contains("serial 3 is older than the stored serial 7"),
        "{why}"
    );
    let forced = decide_push(&stored, &older, true).unwrap().unwrap();
    assert_eq!((forced.serial, forced.memberships), (8, older.memberships));
}

#[test]
fn a_local_state_beside_a_remote_one_stops_plan_and_apply_saying_how_to_push_it() {
    let dir = tempfile::tempdir().unwrap();
    let remote = "postgres://db.internal/sgform (workspace default)";
    // Nothing left behind: fine, remote or not.
    assert!(left_behind(dir.path(), true, remote).is_ok());
    std::fs::write(dir.path().join("sgform.state.json"), "{}").unwrap();
    let err = left_behind(dir.path(), true, remote)
        .unwrap_err()
        .to_string();
    let local = dir.path().join("sgform.state.json");
    let local = local.display();
    let d = dir.path().display();
    assert!(
        err.starts_with(&format!("a local state file `{local}` sits beside the configuration in `{d}`, whose state is in `{remote}`")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "sgform state push {local} {d}`, then move `{local}` away"
        )),
        "{err}"
    );
    // The local file is the state itself when the state is local.
    assert!(left_behind(dir.path(), false, "sgform.state.json").is_ok());
    let location = Location::for_dir(dir.path(), None);
    assert!(!location.is_remote());
    assert!(refuse_local_state_left_behind(dir.path(), &location).is_ok());
}
