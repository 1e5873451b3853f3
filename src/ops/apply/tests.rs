use std::str::FromStr as _;

use super::*;
use crate::ids::{Address, RegionId, SecurityGroupId, Target};

fn membership(sg: &str) -> ManagedMembership {
    ManagedMembership {
        address: Address::from_str("membership.web").unwrap(),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse(sg).unwrap(),
        target: Target::parse("i-bp1webexample01").unwrap(),
    }
}

#[test]
fn records_bump_the_serial_and_keep_one_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sgform.state.json");
    let mut file = StoreSink::new(crate::state::LocalFile::new(path.clone()), State::empty());
    file.record(&[membership("sg-bp1aaaaaaaaaaaa1")], &[])
        .unwrap();
    let first = crate::state::read(&path).unwrap();
    assert_eq!(first.serial, 1);
    assert!(uuid::Uuid::parse_str(&first.lineage).is_ok());
    file.record(
        &[membership("sg-bp1bbbbbbbbbbbb2")],
        &[membership("sg-bp1aaaaaaaaaaaa1")],
    )
    .unwrap();
    let second = crate::state::read(&path).unwrap();
    assert_eq!(second.serial, 2);
    assert_eq!(second.lineage, first.lineage);
    assert_eq!(
        second.memberships.into_iter().collect::<Vec<_>>(),
        vec![membership("sg-bp1bbbbbbbbbbbb2")]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Settled, no temp file or journal is left behind: the state and the backup of its
    // previous version.
    file.settle().unwrap();
    assert_eq!(crate::state::read(&path).unwrap().serial, 2);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["sgform.state.json", "sgform.state.json.backup"]);
}

#[test]
fn a_failed_write_names_the_path_and_keeps_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("sgform.state.json");
    let mut file = StoreSink::new(crate::state::LocalFile::new(path), State::empty());
    let err = file
        .record(&[membership("sg-bp1aaaaaaaaaaaa1")], &[])
        .unwrap_err();
    assert!(err.to_string().contains("missing-dir"), "{err}");
    assert_eq!(file.state().serial, 0);
}
