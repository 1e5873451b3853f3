use std::path::{Path, PathBuf};

use super::*;

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn write_atomic_creates_and_replaces_leaving_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.json");
    write_atomic(&path, b"one", Mode::Exactly(OWNER_ONLY)).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"one");
    write_atomic(&path, b"two", Mode::Exactly(OWNER_ONLY)).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    assert_eq!(names(dir.path()), ["a.json"]);
}

#[test]
fn a_bare_file_name_is_written_in_the_current_directory_s_terms() {
    // `parent_dir` of a bare name is `.`, never the empty path (which cannot be opened).
    assert_eq!(parent_dir(Path::new("a.json")), Path::new("."));
    assert_eq!(parent_dir(Path::new("d/a.json")), Path::new("d"));
    let tmp = temporary_beside(Path::new("d/a.json"));
    assert_eq!(tmp.parent(), Some(Path::new("d")));
    let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(".a.json.") && name.ends_with(".tmp"),
        "{name}"
    );
    assert_ne!(temporary_beside(Path::new("d/a.json")), tmp, "not unique");
}

#[cfg(unix)]
#[test]
fn a_new_file_gets_the_callers_mode_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    write_atomic(&private, b"x", Mode::Exactly(OWNER_ONLY)).unwrap();
    assert_eq!(mode(&private), 0o600);
    // No umask applies: the caller's mode is the mode.
    let shared = dir.path().join("shared");
    write_atomic(&shared, b"x", Mode::KeepOr(0o664)).unwrap();
    assert_eq!(mode(&shared), 0o664);
}

#[cfg(unix)]
#[test]
fn a_rewrite_keeps_the_existing_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.hcl");
    std::fs::write(&path, "old").unwrap();
    for kept in [0o640, 0o600, 0o644, 0o400] {
        set_mode(&path, kept);
        write_atomic(&path, b"new", Mode::KeepOr(0o644)).unwrap();
        assert_eq!(mode(&path), kept, "{kept:o}");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }
}

#[cfg(unix)]
#[test]
fn an_exact_mode_narrows_a_looser_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "old").unwrap();
    set_mode(&path, 0o644);
    write_atomic(&path, b"new", Mode::Exactly(OWNER_ONLY)).unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[cfg(unix)]
#[test]
fn a_rewrite_keeps_the_existing_group() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "old").unwrap();
    // A group this process may give the file: its own primary group (ours already), or any
    // group when privileged. Root can give it away entirely.
    let before = std::fs::metadata(&path).unwrap();
    let other_gid = if before.uid() == 0 {
        4242
    } else {
        before.gid()
    };
    let other_uid = if before.uid() == 0 {
        4343
    } else {
        before.uid()
    };
    std::os::unix::fs::chown(&path, Some(other_uid), Some(other_gid)).unwrap();
    write_atomic(&path, b"new", Mode::Exactly(OWNER_ONLY)).unwrap();
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!((after.uid(), after.gid()), (other_uid, other_gid));
    assert_ne!(after.ino(), before.ino(), "not replaced by a new file");
}

#[cfg(unix)]
#[test]
fn a_symlink_stays_a_link_and_its_target_gets_the_content() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    let target = dir.path().join("shared/real.json");
    std::fs::write(&target, "old").unwrap();
    set_mode(&target, 0o640);
    let link = dir.path().join("state.json");
    std::os::unix::fs::symlink("shared/real.json", &link).unwrap();

    write_atomic(&link, b"new", Mode::KeepOr(0o644)).unwrap();

    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        PathBuf::from("shared/real.json")
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(mode(&target), 0o640);
    // The temporary file was made (and removed) beside the target, not beside the link.
    assert_eq!(names(dir.path()), ["shared", "state.json"]);
    assert_eq!(names(&dir.path().join("shared")), ["real.json"]);
}

#[cfg(unix)]
#[test]
fn a_chain_of_links_and_a_dangling_link_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let end = dir.path().join("end.json");
    std::os::unix::fs::symlink(&end, dir.path().join("middle")).unwrap();
    std::os::unix::fs::symlink("middle", dir.path().join("start")).unwrap();
    let start = dir.path().join("start");
    assert_eq!(resolve_symlinks(&start).unwrap(), end);
    // `end.json` does not exist yet: the write creates it, with the new-file mode.
    write_atomic(&start, b"x", Mode::Exactly(OWNER_ONLY)).unwrap();
    assert_eq!(std::fs::read(&end).unwrap(), b"x");
    assert!(start.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(mode(&end), 0o600);
}

#[cfg(unix)]
#[test]
fn a_link_loop_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    std::os::unix::fs::symlink("b", &a).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    let err = write_atomic(&a, b"x", Mode::Exactly(OWNER_ONLY)).unwrap_err();
    assert_eq!(err.path(), a);
    assert!(names(dir.path()).iter().all(|n| !n.ends_with(".tmp")));
}

#[test]
fn a_path_that_is_not_a_link_is_returned_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x/../plain.json");
    assert_eq!(resolve_symlinks(&path).unwrap(), path);
    assert_eq!(
        resolve_symlinks(Path::new("relative.json")).unwrap(),
        Path::new("relative.json")
    );
}

#[test]
fn a_failed_rename_leaves_the_target_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // A non-empty directory cannot be replaced by a file.
    let path = dir.path().join("taken");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("inside"), "keep").unwrap();
    let err = write_atomic(&path, b"new", Mode::Exactly(OWNER_ONLY)).unwrap_err();
    assert_eq!(err.path(), path);
    assert_eq!(
        err.to_string(),
        format!("failed to write `{}`", path.display())
    );
    assert_eq!(names(dir.path()), ["taken"]);
    assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"keep");
}

#[test]
fn a_missing_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("a.json");
    let err = write_atomic(&path, b"x", Mode::Exactly(OWNER_ONLY)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(
        err.to_string()
            .contains(&dir.path().join("missing").display().to_string()),
        "{err}"
    );
}

/// A directory this process cannot create files in: a 0555 directory for an ordinary user;
/// for a privileged one (who ignores permission bits), sysfs's root, which refuses everyone.
#[cfg(unix)]
pub(crate) fn read_only_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o555);
    if std::fs::write(dir.path().join("probe"), "").is_err() {
        let path = dir.path().to_path_buf();
        return (Some(dir), path);
    }
    set_mode(dir.path(), 0o755);
    let sys = PathBuf::from("/sys");
    assert!(
        std::fs::write(sys.join("sgform-probe"), "").is_err(),
        "no read-only directory to test with: running privileged, and `/sys` is writable"
    );
    (None, sys)
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_is_an_error_naming_the_directory() {
    let (_keep, dir) = read_only_dir();
    let path = dir.join("sgform-test.json");
    let err = write_atomic(&path, b"x", Mode::Exactly(OWNER_ONLY)).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
        ),
        "{:?}",
        err.kind()
    );
    assert!(err.path().starts_with(&dir), "{}", err.path().display());
    let why = if err.kind() == io::ErrorKind::PermissionDenied {
        "is not writable by this user"
    } else {
        "is on a read-only file system"
    };
    assert_eq!(
        err.to_string(),
        format!(
            "failed to write `{}`: the directory `{}` {why}\n  hint: sgform replaces a file by writing a new one beside it and renaming it over (so a crash never leaves half a file): make `{}` writable, or choose a path in a writable directory",
            path.display(),
            dir.display(),
            dir.display()
        )
    );
    assert!(!path.exists());
}

#[test]
fn write_new_creates_a_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.hcl");
    write_new(&path, b"body", 0o644).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"body");
    assert_eq!(names(dir.path()), ["new.hcl"]);
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o644);
}

#[test]
fn write_new_never_replaces_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.hcl");
    std::fs::write(&path, "mine").unwrap();
    let err = write_new(&path, b"theirs", 0o644).unwrap_err();
    assert!(err.already_exists(), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"mine");
    assert_eq!(names(dir.path()), ["main.hcl"]);
    #[cfg(unix)]
    {
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
        assert!(
            write_new(&dangling, b"x", 0o644)
                .unwrap_err()
                .already_exists()
        );
        assert!(!dir.path().join("nowhere").exists());
    }
}

#[test]
fn hard_link_over_replaces_the_link_with_the_original_inode() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("state");
    let link = dir.path().join("state.backup");
    std::fs::write(&original, "v1").unwrap();
    std::fs::write(&link, "v0").unwrap();
    hard_link_over(&original, &link).unwrap();
    assert_eq!(std::fs::read(&link).unwrap(), b"v1");
    // The original is replaced by rename, as `write_atomic` does: the link keeps v1.
    write_atomic(&original, b"v2", Mode::Exactly(OWNER_ONLY)).unwrap();
    assert_eq!(std::fs::read(&link).unwrap(), b"v1");
    assert_eq!(names(dir.path()), ["state", "state.backup"]);
}

#[test]
fn read_capped_reads_up_to_the_limit_and_refuses_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "12345").unwrap();
    assert_eq!(read_to_string_capped(&path, 5).unwrap(), "12345");
    let err = read_to_string_capped(&path, 4).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::TooLarge {
                size: Some(5),
                limit: 4
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "5 bytes, over the limit of 4 bytes");
    let missing = read_to_string_capped(&dir.path().join("none"), 4).unwrap_err();
    assert!(
        matches!(&missing, ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound),
        "{missing:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn read_capped_stops_an_endless_stream_at_the_limit() {
    let err = read_to_string_capped(Path::new("/dev/zero"), 1024).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::TooLarge {
                size: None,
                limit: 1024
            }
        ),
        "{err:?}"
    );
}

#[test]
fn read_capped_refuses_text_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, [0xff, 0xfe]).unwrap();
    let err = read_to_string_capped(&path, 10).unwrap_err();
    assert!(
        matches!(&err, ReadError::Io(e) if e.kind() == io::ErrorKind::InvalidData),
        "{err:?}"
    );
}
