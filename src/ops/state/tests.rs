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
