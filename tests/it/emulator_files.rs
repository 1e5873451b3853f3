//! The files the emulator writes: `--persist` (and `World::save`) replace the world file
//! atomically, keep its mode, write through a symlink to its target, and make new files 0600.
//! Each change goes through a real server on 127.0.0.1.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use sgform::emulator::{Options, World};

use crate::support::emu_env::{Emu, wire_world, wire_world_path};

const I_WEB: &str = "i-bp1web000000001";
const WEB: &str = "sg-bp1web00000001";
const APP: &str = "sg-bp1app00000001";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Starts an emulator persisting to `path`, makes one change, stops it.
async fn join_through(path: &Path) {
    let emu = Emu::start(
        World::load(path).unwrap(),
        Options {
            persist: Some(path.to_path_buf()),
            ..Options::default()
        },
    )
    .await;
    emu.client()
        .call(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
        )
        .await
        .ok();
    emu.stop().await;
}

fn joined(path: &Path) -> bool {
    World::load(path)
        .unwrap()
        .instance(I_WEB)
        .unwrap()
        .security_group_ids
        == [WEB, APP]
}

#[tokio::test]
async fn persist_keeps_a_private_world_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.json");
    for kept in [0o600, 0o640, 0o644] {
        // `fs::copy` copies the source's mode too, so the mode is set after it.
        std::fs::copy(wire_world_path(), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(kept)).unwrap();
        join_through(&path).await;
        assert!(joined(&path));
        assert_eq!(mode(&path), kept, "the world file's mode changed");
    }
}

#[tokio::test]
async fn persist_writes_through_a_symlink_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let target = real_dir.join("world.json");
    std::fs::copy(wire_world_path(), &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    // A relative link, and a link to that link.
    let link = dir.path().join("world.json");
    std::os::unix::fs::symlink("real/world.json", &link).unwrap();
    let link2 = dir.path().join("current.json");
    std::os::unix::fs::symlink(&link, &link2).unwrap();

    join_through(&link2).await;

    for l in [&link, &link2] {
        assert!(
            std::fs::symlink_metadata(l)
                .unwrap()
                .file_type()
                .is_symlink(),
            "`{}` was replaced by a regular file",
            l.display()
        );
    }
    assert!(joined(&target), "the link's target did not change");
    assert_eq!(mode(&target), 0o600);
    let left: Vec<_> = std::fs::read_dir(&real_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["world.json"], "a temporary file was left behind");
}

#[test]
fn a_new_world_file_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new-world.json");
    wire_world().save(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert!(World::load(&path).is_ok());
    // A dangling link: the file it names is created, private, and the link kept.
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("made-by-save.json", &link).unwrap();
    wire_world().save(&link).unwrap();
    let made = dir.path().join("made-by-save.json");
    assert_eq!(mode(&made), 0o600);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
