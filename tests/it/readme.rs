//! README.md, CONTRIBUTING.md, ARCHITECTURE.md (RELIABILITY.md when there is one) and each
//! example's README checked against the binary, so the documentation cannot drift from what
//! sgform does:
//!
//! - every code block is checked or exempted with a reason ([`samples`]): ```` ```console ````
//!   blocks are run (each `$ ` line is a command, run by `sh` in a fresh temporary copy of
//!   `examples/`, with `cargo run --release --` standing for the binary, and the lines under it
//!   are what it prints, stdout and stderr as a terminal interleaves them, trimmed (`…` marks a
//!   cut), with timings normalised); output samples marked with the command that prints them
//!   are compared with it; `hcl` loads, `json` parses, shell commands name real options; an
//!   example's README says how to plan and apply it; internal links resolve;
//! - the CLI reference names every command and exactly the options each `--help` lists;
//! - the test command the README gives is the one `.ci/run` runs;
//! - the troubleshooting table has a row for every error code of the JoinSecurityGroup document;
//! - the RAM policies grant exactly the actions the examples make the emulator answer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::sgform;

mod samples;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn readme() -> String {
    read(&root().join("README.md"))
}

/// The text under the heading whose text is `title` (`## Title`), up to the next heading of the
/// same or a higher level.
fn section<'a>(markdown: &'a str, title: &str) -> &'a str {
    let mut offset = 0;
    let mut start = None;
    let mut level = 0;
    let mut in_fence = false;
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && trimmed.starts_with('#') {
            let hashes = trimmed.chars().take_while(|c| *c == '#').count();
            let text = trimmed[hashes..].trim();
            match start {
                None if text == title => {
                    start = Some(offset + line.len());
                    level = hashes;
                }
                Some(s) if hashes <= level => return &markdown[s..offset],
                _ => {}
            }
        }
        offset += line.len();
    }
    match start {
        Some(s) => &markdown[s..],
        None => panic!("README.md has no section `{title}`"),
    }
}

/// `(info string, body)` of every fenced code block.
fn fenced_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match current.as_mut() {
            None if trimmed.starts_with("```") => {
                current = Some((
                    trimmed.trim_start_matches('`').trim().to_string(),
                    String::new(),
                ));
            }
            Some(_) if trimmed.starts_with("```") => blocks.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    blocks
}

// ---------------------------------------------------------------------------------------------
// console blocks

/// Replaces durations (`0.02 s`, `(0.2s)`, `35ms`, `1m30s` excepted) by `T`, so timings do not
/// make the comparison flaky.
fn normalise(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_number =
            bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if starts_number {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                j += 1;
            }
            let mut k = j;
            if k < bytes.len() && bytes[k] == b' ' {
                k += 1;
            }
            let unit = if text[k..].starts_with("ms") {
                2
            } else if text[k..].starts_with('s') {
                1
            } else {
                0
            };
            let end = k + unit;
            let boundary = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
            if unit > 0 && boundary {
                out.push_str(if j < k { "T " } else { "T" });
                out.push_str(&text[k..end]);
                i = end;
                continue;
            }
            out.push_str(&text[i..j]);
            i = j;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The quoted lines `quoted` missing from what a command printed: quoted lines are a trimmed
/// session (a `…` or `...` line marks where lines were left out), so they must appear in order;
/// an `apply`'s operations finish in whatever order the calls return, so its lines need only
/// appear (each once).
fn missing<'a>(quoted: &[&'a str], printed: &[&str], any_order: bool) -> Vec<&'a str> {
    let quoted = quoted
        .iter()
        .copied()
        .filter(|l| !matches!(l.trim(), "…" | "..." | ""));
    if any_order {
        let mut left: Vec<&str> = printed.to_vec();
        quoted
            .filter(
                |q| match left.iter().position(|p| p.trim_end() == q.trim_end()) {
                    Some(i) => {
                        left.remove(i);
                        false
                    }
                    None => true,
                },
            )
            .collect()
    } else {
        let mut rest = printed.iter();
        quoted
            .filter(|q| !rest.any(|p| p.trim_end() == q.trim_end()))
            .collect()
    }
}

/// A directory holding the real binary as `sgform`, for `sh`'s PATH.
fn bin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sgform"), dir.path().join("sgform")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".sgform" || name.to_string_lossy().starts_with("sgform.state.json") {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// Runs one console block in a fresh copy of `examples/` and returns the mismatches.
fn check_console_block(source: &str, body: &str, bin: &Path) -> Option<String> {
    let work = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples"), &work.path().join("examples"));
    let home = tempfile::tempdir().unwrap();
    let mut steps: Vec<(String, Vec<&str>)> = Vec::new();
    for line in body.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push((command.to_string(), Vec::new()));
        } else if let Some((_, expected)) = steps.last_mut() {
            expected.push(line);
        } else {
            return Some(format!(
                "{source}: a console block must start with a `$ ` line"
            ));
        }
    }
    for (command, expected) in steps {
        let script = command.replace("cargo run --release --", "sgform");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1; {script}"))
            .current_dir(work.path())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", home.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let actual = normalise(&String::from_utf8_lossy(&out.stdout));
        let expected_text = normalise(&expected.join("\n"));
        let quoted: Vec<&str> = expected_text.lines().collect();
        let printed: Vec<&str> = actual.lines().collect();
        let any_order = script.split_whitespace().nth(1) == Some("apply");
        let lost = missing(&quoted, &printed, any_order);
        if !lost.is_empty() {
            return Some(format!(
                "{source}: `$ {command}` does not print (in this order) {lost:#?}\nit printed:\n{actual}"
            ));
        }
    }
    None
}

#[test]
fn the_normaliser_and_matcher_do_what_the_blocks_rely_on() {
    assert_eq!(
        normalise("Refreshed 4 targets with 5 API calls in 0.02 s (3s, 12ms) i-bp1s 2m"),
        "Refreshed 4 targets with 5 API calls in T s (Ts, Tms) i-bp1s 2m"
    );
    assert!(missing(&["a", "…", "d"], &["a", "b", "c", "d"], false).is_empty());
    assert_eq!(missing(&["d", "a"], &["a", "b", "d"], false), ["a"]);
    assert!(missing(&["d", "a"], &["a", "b", "d"], true).is_empty());
    assert_eq!(missing(&["a", "a"], &["a", "b"], true), ["a"]);
}

// ---------------------------------------------------------------------------------------------
// the test command

/// The commands a shell script runs: its lines without comments, blank lines, `set`, `cd`,
/// `export`, `echo` and `rustup` (the toolchain's components), continuation lines joined.
fn script_commands(script: &str) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in script.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        pending.push_str(line.trim_end_matches('\\').trim_end());
        if line.ends_with('\\') {
            pending.push(' ');
            continue;
        }
        let command = std::mem::take(&mut pending);
        let first = command.split_whitespace().next().unwrap_or("");
        if !["set", "cd", "export", "echo", "rustup"].contains(&first) {
            commands.push(command);
        }
    }
    commands
}

#[test]
fn the_test_command_is_the_one_ci_runs() {
    let readme = readme();
    let first_screen = &readme[..readme.find("\n## ").expect("README has sections")];
    let ci = script_commands(&read(&root().join(".ci/run")));
    // The README's test command: the `cargo test` line of a block on its first screen.
    let given: Vec<String> = fenced_blocks(first_screen)
        .iter()
        .flat_map(|(_, body)| body.lines().map(str::trim).map(str::to_owned))
        .filter(|l| l.starts_with("cargo test"))
        .collect();
    assert_eq!(
        given.len(),
        1,
        "the README's first screen must give one test command: {given:?}"
    );
    // .ci/run runs the checks, then exactly that command and nothing else: no setup step a
    // newcomer following the README would not run.
    let checks = ["cargo fmt ", "cargo clippy ", "RUSTDOCFLAGS="];
    let (runs_checks, others): (Vec<&String>, Vec<&String>) = ci
        .iter()
        .partition(|c| checks.iter().any(|k| c.starts_with(k)));
    assert_eq!(runs_checks.len(), 3, ".ci/run: fmt, clippy and doc: {ci:?}");
    assert_eq!(
        others,
        [&given[0]],
        ".ci/run must run exactly the README's test command besides fmt, clippy and doc"
    );
    assert_eq!(
        ci.last(),
        Some(&given[0]),
        ".ci/run ends with the test command"
    );
}

#[test]
fn the_script_reader_sees_commands_only() {
    assert_eq!(
        script_commands(
            "set -e\n# c\ncd x\nexport A=1\necho hi\ncargo a \\\n  b\nbash .ci/sdk-setup\n"
        ),
        ["cargo a b", "bash .ci/sdk-setup"]
    );
}

// ---------------------------------------------------------------------------------------------
// the CLI reference

fn help(path: &[&str]) -> String {
    let out = sgform().args(path).arg("--help").output().unwrap();
    assert!(
        out.status.success(),
        "sgform {} --help failed",
        path.join(" ")
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The long options a `--help` lists.
fn options(help: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let mut in_options = false;
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_options = line == "Options:" || line.ends_with("Options:");
            continue;
        }
        let trimmed = line.trim_start();
        if in_options && trimmed.starts_with('-') && line.len() - trimmed.len() <= 6 {
            let head = trimmed.split("  ").next().unwrap_or("");
            if let Some(pos) = head.find("--") {
                let name: String = head[pos..]
                    .chars()
                    .take_while(|c| *c == '-' || c.is_ascii_alphanumeric())
                    .collect();
                set.insert(name);
            }
        }
    }
    set
}

/// The visible subcommands a `--help` lists.
fn subcommands(help: &str) -> Vec<String> {
    let mut list = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if !line.starts_with(' ') {
            in_commands = line == "Commands:";
            continue;
        }
        if in_commands {
            let name = line.split_whitespace().next().unwrap_or("");
            if !name.is_empty() && name != "help" {
                list.push(name.to_string());
            }
        }
    }
    list
}

/// Every command path (`["plan"]`, `["state", "rm"]`) that runs something.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let refs: Vec<&str> = prefix.iter().map(String::as_str).collect();
        let subs = subcommands(&help(&refs));
        if subs.is_empty() {
            out.push(prefix);
            return;
        }
        for sub in subs {
            let mut path = prefix.clone();
            path.push(sub);
            walk(path, out);
        }
    }
    let mut out = Vec::new();
    walk(Vec::new(), &mut out);
    out
}

/// The CLI reference's entries: a `### `sgform WORDS …`` heading per command, and the long
/// options in the first column of its table.
fn reference_entries(reference: &str) -> Vec<(Vec<String>, BTreeSet<String>)> {
    let mut entries: Vec<(Vec<String>, BTreeSet<String>)> = Vec::new();
    for line in reference.lines() {
        if let Some(heading) = line
            .strip_prefix("#### ")
            .or_else(|| line.strip_prefix("### "))
        {
            let inner = heading.trim().trim_matches('`');
            let words: Vec<String> = inner
                .split_whitespace()
                .skip(1)
                .take_while(|w| {
                    !w.starts_with('-') && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                })
                .map(str::to_string)
                .collect();
            assert!(
                inner.starts_with("sgform "),
                "CLI reference heading `{heading}` must name a command"
            );
            entries.push((words, BTreeSet::new()));
        } else if let (Some(cell), Some((_, flags))) = (
            line.strip_prefix('|').and_then(|r| r.split('|').next()),
            entries.last_mut(),
        ) {
            let mut rest = cell;
            while let Some(pos) = rest.find("--") {
                let name: String = rest[pos..]
                    .chars()
                    .take_while(|c| *c == '-' || c.is_ascii_alphanumeric())
                    .collect();
                rest = &rest[pos + name.len().max(2)..];
                if name[2..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    flags.insert(name);
                }
            }
        }
    }
    entries
}

#[test]
fn the_cli_reference_matches_help() {
    let readme = readme();
    let reference = section(&readme, "CLI reference");
    let global = options(&help(&[]));
    let entries = reference_entries(reference);
    let mut problems = Vec::new();
    let paths = command_paths();
    for path in &paths {
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        let Some((_, documented)) = entries.iter().find(|(words, _)| words == path) else {
            problems.push(format!("`sgform {}` has no entry", path.join(" ")));
            continue;
        };
        let listed: BTreeSet<String> = options(&help(&refs))
            .into_iter()
            .filter(|o| !global.contains(o))
            .collect();
        for missing in listed.difference(documented) {
            problems.push(format!(
                "`sgform {}`: `{missing}` is in --help but not in the README",
                path.join(" ")
            ));
        }
        for extra in documented.difference(&listed) {
            problems.push(format!(
                "`sgform {}`: the README lists `{extra}`, which --help does not have",
                path.join(" ")
            ));
        }
    }
    for (words, _) in &entries {
        if !paths.contains(words) {
            problems.push(format!(
                "the README documents `sgform {}`, which does not exist",
                words.join(" ")
            ));
        }
    }
    assert!(
        paths.len() >= 10,
        "only {} commands found: {paths:?}",
        paths.len()
    );
    assert!(
        problems.is_empty(),
        "README.md CLI reference:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// troubleshooting

/// The error codes of the seed document's table (`| 400 | Code | … |`), from the copy of the
/// JoinSecurityGroup API document kept in `testdata/seed/`.
fn seed_error_codes() -> BTreeSet<String> {
    let seed = read(&root().join("testdata/seed/JoinSecurityGroup.txt"));
    seed.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells.len() > 3 && cells[1].len() == 3 && cells[1].chars().all(|c| c.is_ascii_digit()))
                .then(|| cells[2].to_string())
        })
        .collect()
}

#[test]
fn troubleshooting_has_a_row_for_every_error_code_of_the_seed() {
    let readme = readme();
    let table = section(&readme, "Troubleshooting");
    let rows: BTreeSet<String> = table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells.len() > 3 && !cells[3].is_empty())
                .then(|| cells[1].trim_matches('`').to_string())
        })
        .collect();
    let codes = seed_error_codes();
    assert!(
        codes.len() >= 25,
        "the seed's table was not read: {codes:?}"
    );
    let missing: Vec<&String> = codes.iter().filter(|c| !rows.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "README.md Troubleshooting lacks {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// the RAM policy

/// The `ecs:` actions of the README's policy documents under "Using a real account safely":
/// `(plan-only policy, apply policy)`, told apart by whether they allow a mutation.
fn policies() -> (BTreeSet<String>, BTreeSet<String>) {
    let readme = readme();
    let mut plan = None;
    let mut apply = None;
    for (info, body) in fenced_blocks(section(&readme, "Using a real account safely")) {
        if info != "json" {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("a policy block is not JSON ({e}):\n{body}"));
        let actions: BTreeSet<String> = doc["Statement"]
            .as_array()
            .expect("a RAM policy has a Statement list")
            .iter()
            .flat_map(|s| s["Action"].as_array().cloned().unwrap_or_default())
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            doc["Version"], "1",
            "RAM policy documents are version \"1\""
        );
        if actions.iter().any(|a| !a.starts_with("ecs:Describe")) {
            apply = Some(actions);
        } else {
            plan = Some(actions);
        }
    }
    (
        plan.expect("a plan-only (read-only) policy"),
        apply.expect("an apply policy"),
    )
}

/// Runs every example against an emulator over loopback (its `sandbox` line becomes an
/// `endpoint`), plans, applies and plans again, and returns the actions the emulator answered.
async fn actions_the_examples_call() -> BTreeSet<String> {
    use crate::support::emu_env::Emu;
    use sgform::emulator::{Options, World};

    let mut seen = BTreeSet::new();
    let bin = bin_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("world.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "examples: {dirs:?}");
    for dir in dirs {
        let world = World::load(&dir.join("world.json")).unwrap();
        let file = world.to_file();
        let key = file
            .accounts
            .iter()
            .find_map(|a| a.access_keys.first())
            .map(|k| (k.id.clone(), k.secret.clone()))
            .unwrap();
        let emu = Emu::start(world, Options::default()).await;
        let work = tempfile::tempdir().unwrap();
        copy_dir(&dir, work.path());
        for entry in std::fs::read_dir(work.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "hcl") {
                let text = read(&path);
                let rewritten: String = text
                    .lines()
                    .map(|line| match line.trim_start().strip_prefix("sandbox") {
                        Some(rest) if rest.trim_start().starts_with('=') => {
                            format!("  endpoint = \"{}\"", emu.base)
                        }
                        _ => line.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                std::fs::write(&path, rewritten + "\n").unwrap();
            }
        }
        for args in [
            &["plan", "."][..],
            &["apply", "--auto-approve", "."][..],
            &["plan", "--detailed-exitcode", "."][..],
        ] {
            let mut cmd = tokio::process::Command::from(sgform());
            cmd.args(args)
                .current_dir(work.path())
                .env("HOME", work.path())
                .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
                .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &key.0)
                .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &key.1);
            let out = cmd.output().await.unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: sgform {args:?}\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stats = emu.stats().await;
        seen.extend(
            stats["by_action"]
                .as_object()
                .unwrap()
                .keys()
                .map(|a| format!("ecs:{a}")),
        );
        emu.stop().await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ram_policies_grant_exactly_the_actions_sgform_calls() {
    let (plan, apply) = policies();
    let seen = actions_the_examples_call().await;
    assert_eq!(
        apply, seen,
        "the README's apply policy must grant exactly what plan and apply call on the examples"
    );
    let reads: BTreeSet<String> = seen
        .into_iter()
        .filter(|a| a.starts_with("ecs:Describe"))
        .collect();
    assert_eq!(
        plan, reads,
        "the plan-only policy must grant exactly the reads"
    );
}
