//! Records the git commit the binary is built from, for `sgform --version`: sets
//! `SGFORM_GIT_COMMIT` to `git rev-parse --short HEAD`, or `unknown` when git or the repository
//! is absent (a source tarball, `cargo install` from a registry).
//!
//! Cargo reruns this script only when what it watches changes: the checkout's `HEAD` file and
//! the file of the branch it points to (both asked of git, so a linked worktree, whose `.git`
//! is a file, works too), and `packed-refs` (where `git gc` moves branch tips). Without a
//! repository it watches only itself, so it does not run on every build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SGFORM_GIT_COMMIT={commit}");
    if commit == "unknown" {
        return;
    }
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
    }
    watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watched.into_iter().flatten() {
        // A loose branch file that does not exist yet (the branch lives in `packed-refs`) is
        // not watched: cargo would rerun on every build for a missing path.
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// The trimmed stdout of `git ARGS` in the package directory, `None` when git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
