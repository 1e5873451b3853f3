//! Every fenced code block of every Markdown file is checked, or exempted with a reason
//! (CONTRIBUTING.md, "Checked documentation", says how):
//!
//! - `console`: run, see [`super::check_console_block`];
//! - `sh`, `bash`, `shell`: each `sgform` command names a real command and its real options;
//! - `hcl`: loads as a configuration (`sgform validate`), or, marked `fragment`, parses and is
//!   formatted (`sgform fmt --check`);
//! - `json`: parses;
//! - anything else needs a marker, the HTML comment on the line before the fence:
//!   ``<!-- sample: `COMMAND` -->`` (optionally `in PATH`): the block is COMMAND's stdout, run
//!   in a fresh copy of `examples/`; `<!-- sample: fragment -->`;
//!   `<!-- sample: exempt: REASON -->`.
//!
//! Internal links (`#anchor`, relative paths) must resolve as well.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::{bin_dir, check_console_block, copy_dir, help, normalise, options, read, root};

/// One fenced (or indented) code block of a Markdown file.
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// `FILE:LINE` of the opening fence.
    pub(super) at: String,
    /// The info string's first word (`console`, `text`, …), empty when there is none.
    pub(super) lang: String,
    pub(super) body: String,
    /// What the `<!-- sample: … -->` comment right before the fence says, if there is one.
    marker: Option<String>,
}

/// How a block is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    Console,
    Shell,
    Hcl,
    Fragment,
    Json,
    /// The block is what `command` prints on stdout, run in a copy of `examples/` (and of
    /// `dir`, where it then runs).
    Output {
        command: String,
        dir: Option<String>,
    },
    Exempt,
}

/// Every Markdown file the checks cover: the top-level documents and each example's README.
pub(super) fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "README.md",
        "CONTRIBUTING.md",
        "ARCHITECTURE.md",
        "RELIABILITY.md",
    ]
    .iter()
    .map(|f| root().join(f))
    .filter(|p| p.is_file())
    .collect();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() && path.file_name().is_some_and(|n| n != ".sgform") {
                walk(&path, out);
            } else if path.file_name().is_some_and(|n| n == "README.md") {
                out.push(path);
            }
        }
    }
    walk(&root().join("examples"), &mut files);
    files
}

fn name_of(file: &Path) -> String {
    file.strip_prefix(root()).unwrap().display().to_string()
}

/// The code blocks of `text` (from `name`), with the marker before each.
pub(super) fn blocks_of(name: &str, text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
                let line = text[..line_start].matches('\n').count() + 1;
                let previous = text[..line_start.saturating_sub(1)]
                    .rsplit('\n')
                    .next()
                    .unwrap_or("")
                    .trim();
                let marker = previous
                    .strip_prefix("<!-- sample:")
                    .and_then(|m| m.strip_suffix("-->"))
                    .map(|m| m.trim().to_owned());
                current = Some(Block {
                    at: format!("{name}:{line}"),
                    lang,
                    body: String::new(),
                    marker,
                });
            }
            Event::Text(t) => {
                if let Some(block) = current.as_mut() {
                    block.body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// Every block of every covered file.
pub(super) fn all_blocks() -> Vec<Block> {
    markdown_files()
        .iter()
        .flat_map(|f| blocks_of(&name_of(f), &read(f)))
        .collect()
}

/// How `block` is checked, or why it cannot be.
fn check_of(block: &Block) -> Result<Check, String> {
    if let Some(marker) = &block.marker {
        if let Some(reason) = marker.strip_prefix("exempt:") {
            return if reason.trim().is_empty() {
                Err("`exempt:` needs a reason".to_owned())
            } else {
                Ok(Check::Exempt)
            };
        }
        if marker == "fragment" {
            return if block.lang == "hcl" {
                Ok(Check::Fragment)
            } else {
                Err("only an `hcl` block can be a fragment".to_owned())
            };
        }
        if let (Some(open), Some(close)) = (marker.find('`'), marker.rfind('`'))
            && open < close
        {
            let command = marker[open + 1..close].trim().to_owned();
            let rest = marker[close + 1..].trim();
            let dir = match rest.strip_prefix("in ") {
                Some(dir) => Some(dir.trim().to_owned()),
                None if rest.is_empty() => None,
                None => return Err(format!("unexpected `{rest}` after the command")),
            };
            if let Some(dir) = &dir
                && !root().join(dir).is_dir()
            {
                return Err(format!("`in {dir}`: no such directory in the repository"));
            }
            return Ok(Check::Output { command, dir });
        }
        return Err(format!(
            "unknown marker `{marker}`: use ``sample: `COMMAND` ``, `sample: fragment` or `sample: exempt: REASON`"
        ));
    }
    match block.lang.as_str() {
        "console" => Ok(Check::Console),
        "sh" | "bash" | "shell" => Ok(Check::Shell),
        "hcl" => Ok(Check::Hcl),
        "json" => Ok(Check::Json),
        other => Err(format!(
            "a `{other}` block needs a marker on the line before it: \
             ``<!-- sample: `COMMAND` -->`` (the block is its output), \
             `<!-- sample: fragment -->` (hcl) or `<!-- sample: exempt: REASON -->`"
        )),
    }
}

fn checked(kind: fn(&Check) -> bool) -> Vec<(Block, Check)> {
    all_blocks()
        .into_iter()
        .filter_map(|b| check_of(&b).ok().map(|c| (b, c)))
        .filter(|(_, c)| kind(c))
        .collect()
}

#[test]
fn every_code_block_is_checked_or_exempted_with_a_reason() {
    let blocks = all_blocks();
    let problems: Vec<String> = blocks
        .iter()
        .filter_map(|b| check_of(b).err().map(|e| format!("{}: {e}", b.at)))
        .collect();
    assert!(
        blocks.len() >= 40,
        "only {} code blocks found: the reader lost its input",
        blocks.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn console_blocks_print_what_the_binary_prints() {
    let bin = bin_dir();
    let mut failures = Vec::new();
    let console = checked(|c| *c == Check::Console);
    for (block, _) in &console {
        failures.extend(check_console_block(&block.at, &block.body, bin.path()));
    }
    // Each example's README says how to plan and apply it and quotes a real run.
    for file in markdown_files() {
        let Some(example) = file
            .parent()
            .filter(|d| d.parent() == Some(&root().join("examples")))
        else {
            continue;
        };
        let name = name_of(&file);
        let text = read(&file);
        let rel = name_of(example);
        for how in [
            format!("cargo run --release -- plan {rel}"),
            format!("cargo run --release -- apply --auto-approve {rel}"),
        ] {
            if !text.contains(&how) {
                failures.push(format!("{name} must say how to run it: `{how}`"));
            }
        }
        if !console
            .iter()
            .any(|(b, _)| b.at.starts_with(&format!("{name}:")))
        {
            failures.push(format!(
                "{name} must quote the output of a real run in a console block"
            ));
        }
    }
    assert!(
        console.len() >= 3,
        "only {} console blocks: the checks lost their input",
        console.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// output samples

/// `text` with what changes from run to run replaced: the temporary directory's path (`TMP`),
/// UUIDs (`UUID`), loopback ports (`127.0.0.1:PORT`) and durations (`T`).
fn normalise_volatile(text: &str, tmp: Option<&Path>) -> String {
    let mut text = text.to_owned();
    if let Some(tmp) = tmp {
        for path in [tmp.to_path_buf(), tmp.canonicalize().unwrap_or_default()] {
            let shown = path.display().to_string();
            if !shown.is_empty() {
                text = text.replace(&shown, "TMP");
            }
        }
    }
    let text = replace_uuids(&text);
    let text = replace_ports(&text);
    normalise(&text)
}

fn replace_uuids(text: &str) -> String {
    let groups = [8, 4, 4, 4, 12];
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        if i == 0 || !bytes[i - 1].is_ascii_alphanumeric() {
            let mut j = i;
            let mut ok = true;
            for (n, len) in groups.iter().enumerate() {
                if n > 0 {
                    if bytes.get(j) != Some(&b'-') {
                        ok = false;
                        break;
                    }
                    j += 1;
                }
                let hex = bytes[j.min(bytes.len())..]
                    .iter()
                    .take(*len)
                    .take_while(|b| b.is_ascii_hexdigit())
                    .count();
                if hex != *len {
                    ok = false;
                    break;
                }
                j += len;
            }
            if ok && bytes.get(j).is_none_or(|b| !b.is_ascii_alphanumeric()) {
                out.push_str("UUID");
                i = j;
                continue 'outer;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn replace_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("127.0.0.1:") {
        let after = &rest[pos + "127.0.0.1:".len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&rest[..pos]);
        out.push_str("127.0.0.1:");
        if digits > 0 {
            out.push_str("PORT");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Why `printed` is not what `sample` shows, if it is not: all of its lines (trailing spaces
/// and trailing blank lines aside) or, where the sample has `…` lines, each run of lines
/// between them in order (a leading or trailing `…` leaves the start or end open).
fn sample_mismatch(sample: &str, printed: &str) -> Option<String> {
    fn lines(text: &str) -> Vec<&str> {
        let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }
    let want = lines(sample);
    let got = lines(printed);
    let is_cut = |l: &&str| matches!(l.trim(), "…" | "...");
    if !want.iter().any(is_cut) {
        if want == got {
            return None;
        }
        let n = want.iter().zip(&got).take_while(|(w, g)| w == g).count();
        return Some(format!(
            "line {}: the sample has {:?}, the command printed {:?}",
            n + 1,
            want.get(n).copied().unwrap_or("(nothing)"),
            got.get(n).copied().unwrap_or("(nothing)")
        ));
    }
    let open_start = want.first().is_some_and(is_cut);
    let open_end = want.last().is_some_and(is_cut);
    let runs: Vec<&[&str]> = want.split(is_cut).filter(|run| !run.is_empty()).collect();
    let mut at = 0;
    for (n, run) in runs.iter().enumerate() {
        let found = if n == 0 && !open_start {
            got.starts_with(run).then_some(0)
        } else {
            (at..=got.len().saturating_sub(run.len())).find(|&i| got[i..].starts_with(run))
        };
        match found {
            Some(i) => at = i + run.len(),
            None => {
                return Some(format!(
                    "these lines are not printed (in this order, after what came before):\n{}",
                    run.join("\n")
                ));
            }
        }
    }
    (!open_end && at != got.len()).then(|| "the command prints more after the sample's end".into())
}

/// Runs an output sample's command and returns its stdout, normalised.
fn run_sample(command: &str, dir: Option<&str>, bin: &Path) -> String {
    let work = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples"), &work.path().join("examples"));
    let mut cwd = work.path().to_path_buf();
    if let Some(dir) = dir {
        copy_dir(&root().join(dir), &work.path().join(dir));
        cwd = work.path().join(dir);
    }
    let home = tempfile::tempdir().unwrap();
    let script = command.replace("cargo run --release --", "sgform");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(&cwd)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    normalise_volatile(&String::from_utf8_lossy(&out.stdout), Some(work.path()))
}

#[test]
fn output_samples_are_what_their_commands_print() {
    let bin = bin_dir();
    let samples = checked(|c| matches!(c, Check::Output { .. }));
    let mut failures = Vec::new();
    for (block, check) in &samples {
        let Check::Output { command, dir } = check else {
            continue;
        };
        let printed = run_sample(command, dir.as_deref(), bin.path());
        let sample = normalise_volatile(&block.body, None);
        if let Some(why) = sample_mismatch(&sample, &printed) {
            failures.push(format!(
                "{}: the sample is not what `{command}` prints: {why}\n--- it printed:\n{printed}",
                block.at
            ));
        }
    }
    assert!(
        samples.len() >= 8,
        "only {} output samples: the checks lost their input",
        samples.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_sample_matcher_and_normaliser_do_what_the_samples_rely_on() {
    assert_eq!(sample_mismatch("a\nb\n", "a\nb  \n\n"), None);
    assert!(sample_mismatch("a\nb\n", "a\nb\nc\n").is_some());
    assert!(sample_mismatch("a\n", "a\nb\n").is_some());
    assert_eq!(sample_mismatch("a\n…\nd\n", "a\nb\nc\nd\n"), None);
    assert!(sample_mismatch("a\n…\nd\n", "a\nb\nd\ne\n").is_some());
    assert_eq!(sample_mismatch("…\nb\nc\n…\n", "a\nb\nc\nd\n"), None);
    assert!(
        sample_mismatch("…\nb\nd\n…\n", "a\nb\nc\nd\n").is_some(),
        "a run is consecutive lines"
    );
    assert!(sample_mismatch("…\nc\n…\nb\n…\n", "a\nb\nc\nd\n").is_some());
    assert!(
        sample_mismatch("b\n…\n", "a\nb\n").is_some(),
        "anchored at the start"
    );
    let tmp = Path::new("/tmp/x1");
    assert_eq!(
        normalise_volatile(
            "at /tmp/x1/a on http://127.0.0.1:43121/ id 5b0c6a8e-1f2a-4b3c-8d9e-0123456789ab in 0.2s",
            Some(tmp)
        ),
        "at TMP/a on http://127.0.0.1:PORT/ id UUID in Ts"
    );
    assert_eq!(
        replace_uuids("x5b0c6a8e-1f2a-4b3c-8d9e-0123456789ab"),
        "x5b0c6a8e-1f2a-4b3c-8d9e-0123456789ab"
    );
}

// ---------------------------------------------------------------------------------------------
// hcl and json

/// Runs `sgform ARGS` in a directory holding `main.hcl` = `body`.
fn sgform_on(body: &str, args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), body).unwrap();
    let out = crate::support::sgform()
        .args(args)
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn hcl_blocks_load_or_are_marked_fragments() {
    let mut failures = Vec::new();
    let blocks = checked(|c| matches!(c, Check::Hcl | Check::Fragment));
    for (block, check) in &blocks {
        let (ok, said) = if *check == Check::Hcl {
            sgform_on(&block.body, &["validate", "."])
        } else {
            sgform_on(&block.body, &["fmt", "--check", "main.hcl"])
        };
        if !ok {
            let what = if *check == Check::Hcl {
                "does not load as a configuration (mark it `<!-- sample: fragment -->` if it is a part of one)"
            } else {
                "does not parse, or is not formatted as `sgform fmt` formats it"
            };
            failures.push(format!("{}: {what}:\n{said}", block.at));
        }
    }
    assert!(blocks.len() >= 8, "only {} hcl blocks", blocks.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn json_blocks_parse() {
    let blocks = checked(|c| *c == Check::Json);
    let failures: Vec<String> = blocks
        .iter()
        .filter_map(|(b, _)| {
            serde_json::from_str::<serde_json::Value>(&b.body)
                .err()
                .map(|e| format!("{}: not JSON: {e}", b.at))
        })
        .collect();
    assert!(blocks.len() >= 3, "only {} json blocks", blocks.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// shell blocks

/// `line` split into words as `sh` would (quotes removed), without its comment.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in line.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => word.push(ch),
            None if ch == '\'' || ch == '"' => {
                quote = Some(ch);
                in_word = true;
            }
            None if ch == '#' && !in_word => break,
            None if ch.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(ch);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The commands of a shell block: its lines (continuations joined) cut at `|`, `&&`, `||`,
/// `;` and `&`, with redirections and leading `NAME=value` assignments left out.
fn shell_commands(body: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let joined = body.replace("\\\n", " ");
    for line in joined.lines() {
        let mut current: Vec<String> = Vec::new();
        let mut skip_next = false;
        for word in shell_words(line) {
            if skip_next {
                skip_next = false;
                continue;
            }
            let (word, ends) = match word.strip_suffix(';') {
                Some(w) => (w.to_owned(), true),
                None => (word, false),
            };
            if ["|", "||", "&&", ";", "&"].contains(&word.as_str()) {
                commands.push(std::mem::take(&mut current));
                continue;
            }
            if word.contains('>') || word.contains('<') {
                skip_next = word.ends_with('>') || word.ends_with('<');
            } else if !(current.is_empty() && word.contains('=') && !word.starts_with('-')) {
                current.push(word);
            }
            if ends {
                commands.push(std::mem::take(&mut current));
            }
        }
        commands.push(current);
    }
    commands.retain(|c| !c.is_empty());
    commands
}

/// What is wrong with one `sgform` command line (`args` after the binary's name).
fn sgform_command_problems(
    args: &[String],
    helps: &mut BTreeMap<Vec<String>, String>,
) -> Vec<String> {
    let mut help_of = |path: &[String]| -> String {
        helps
            .entry(path.to_vec())
            .or_insert_with(|| help(&path.iter().map(String::as_str).collect::<Vec<_>>()))
            .clone()
    };
    let mut path: Vec<String> = Vec::new();
    let mut rest = args;
    while let Some((first, tail)) = rest.split_first() {
        if super::subcommands(&help_of(&path)).contains(first) {
            path.push(first.clone());
            rest = tail;
        } else {
            break;
        }
    }
    let own = help_of(&path);
    let mut problems = Vec::new();
    let asks_help_or_version = rest
        .iter()
        .any(|a| matches!(a.as_str(), "--help" | "-h" | "--version" | "-V"));
    if !super::subcommands(&own).is_empty() && !asks_help_or_version {
        problems.push(format!(
            "`sgform {}` is not a command: it needs one of {:?}",
            path.join(" "),
            super::subcommands(&own)
        ));
        return problems;
    }
    let mut known: BTreeSet<String> = options(&own);
    known.extend(options(&help_of(&[])));
    known.extend(["--help".to_owned(), "--version".to_owned()]);
    for arg in rest {
        if arg == "--" {
            break;
        }
        let flag = arg.trim_start_matches('[');
        if !flag.starts_with("--") || flag.len() < 3 {
            continue;
        }
        let name: String = flag
            .chars()
            .take_while(|c| *c == '-' || c.is_ascii_alphanumeric())
            .collect();
        if !known.contains(&name) {
            problems.push(format!(
                "`sgform {}` has no option `{name}`",
                path.join(" ")
            ));
        }
    }
    problems
}

#[test]
fn shell_blocks_name_real_commands_and_options() {
    let mut helps = BTreeMap::new();
    let mut failures = Vec::new();
    let mut commands_checked = 0;
    for (block, _) in checked(|c| *c == Check::Shell) {
        for words in shell_commands(&block.body) {
            let args: Option<&[String]> = match words.as_slice() {
                [first, rest @ ..] if first == "sgform" => Some(rest),
                [cargo, run, release, dashes, rest @ ..]
                    if cargo == "cargo"
                        && run == "run"
                        && release == "--release"
                        && dashes == "--" =>
                {
                    Some(rest)
                }
                [cargo, bench, ..] if cargo == "cargo" && bench == "bench" => {
                    if let Some(i) = words.iter().position(|w| w == "--bench") {
                        let name = words.get(i + 1).map_or("", String::as_str);
                        if !root().join("benches").join(format!("{name}.rs")).is_file() {
                            failures.push(format!("{}: no bench `{name}` in benches/", block.at));
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(args) = args {
                commands_checked += 1;
                failures.extend(
                    sgform_command_problems(args, &mut helps)
                        .into_iter()
                        .map(|p| format!("{}: {p}", block.at)),
                );
            }
        }
    }
    assert!(
        commands_checked >= 20,
        "only {commands_checked} sgform commands in shell blocks"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_shell_reader_splits_commands_and_drops_redirections() {
    assert_eq!(
        shell_commands(
            "S=1 sgform plan --out x 2>&1 | tee y  # note\nsgform a 'b c' > f && sgform d;\nsgform e \\\n  --f\n"
        ),
        [
            vec!["sgform", "plan", "--out", "x"],
            vec!["tee", "y"],
            vec!["sgform", "a", "b c"],
            vec!["sgform", "d"],
            vec!["sgform", "e", "--f"],
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// links

/// The headings of `text`, in order: `(level, GitHub's anchor)`. An anchor is the heading's
/// text in lower case, punctuation other than `-` and `_` dropped, spaces as `-`, with `-1`,
/// `-2`, … after repeats.
fn headings(text: &str) -> Vec<(usize, String)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(level)) => {
                let h = heading.take().unwrap_or_default();
                let slug: String = h
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let n = seen.entry(slug.clone()).or_insert(0);
                let anchor = if *n == 0 { slug } else { format!("{slug}-{n}") };
                *n += 1;
                out.push((level as usize, anchor));
            }
            _ => {}
        }
    }
    out
}

fn anchors(text: &str) -> BTreeSet<String> {
    headings(text).into_iter().map(|(_, a)| a).collect()
}

/// The README's Contents links every section: each `###` heading, and each `##` heading that
/// is not a part's title (one whose next heading is a `###`).
#[test]
fn the_contents_list_every_section() {
    let readme = super::readme();
    let contents = super::section(&readme, "Contents");
    let listed: BTreeSet<&str> = contents
        .split("](#")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect();
    let all = headings(&readme);
    let mut unlisted = Vec::new();
    for (i, (level, anchor)) in all.iter().enumerate() {
        let part_title = *level == 2 && all.get(i + 1).is_some_and(|(next, _)| *next == 3);
        let wanted = (*level == 3 || (*level == 2 && !part_title)) && anchor != "contents";
        if wanted && !listed.contains(anchor.as_str()) {
            unlisted.push(anchor.as_str());
        }
    }
    assert!(
        listed.len() >= 20,
        "Contents has only {} links",
        listed.len()
    );
    assert!(
        unlisted.is_empty(),
        "README.md's Contents lacks these sections (add a link `[title](#anchor)` to it): {unlisted:?}"
    );
}

#[test]
fn links_between_the_documents_resolve() {
    let mut failures = Vec::new();
    let mut checked_links = 0;
    for file in markdown_files() {
        let text = read(&file);
        let name = name_of(&file);
        for event in Parser::new(&text) {
            let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event
            else {
                continue;
            };
            if dest_url.contains("://") || dest_url.starts_with("mailto:") {
                continue;
            }
            checked_links += 1;
            let (path, anchor) = match dest_url.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (dest_url.as_ref(), None),
            };
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !target.exists() {
                failures.push(format!("{name}: `{dest_url}`: no such file"));
                continue;
            }
            if let Some(anchor) = anchor
                && target.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&target)).contains(anchor)
            {
                failures.push(format!("{name}: `{dest_url}`: no such heading"));
            }
        }
    }
    assert!(checked_links >= 30, "only {checked_links} links");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn anchors_are_githubs() {
    let a = anchors("# A b\n## `apply --json` events\n## Saved plans and `sgform show`\n## A b\n");
    assert_eq!(
        a,
        BTreeSet::from(
            [
                "a-b",
                "apply---json-events",
                "saved-plans-and-sgform-show",
                "a-b-1"
            ]
            .map(String::from)
        )
    );
}
