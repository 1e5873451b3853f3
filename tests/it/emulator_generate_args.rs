//! `sgform emulator generate` through the binary: every flag is documented in `--help` and in
//! the README's CLI reference, and a size outside the documented range is refused with an
//! error naming the flag and the range (exit 1), before anything is written.

use crate::support::sgform;

fn generate(args: &[&str]) -> (Option<i32>, String, String) {
    let out = sgform()
        .args(["emulator", "generate"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_flag_has_its_text_and_range_in_help_and_in_the_readme() {
    let (code, help, _) = generate(&["--help"]);
    assert_eq!(code, Some(0));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (flag, range) in [
        ("--instances <N>", "(0 to 200000)"),
        ("--enis <N>", "(0 to 200000)"),
        ("--groups <N>", "(1 to 20000, and at least one per VPC)"),
        ("--vpcs <N>", "(1 to 1000, at most --groups)"),
        ("--regions <N>", "(1 to 8)"),
        ("--seed <N>", "the same sizes and seed give the same world"),
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag} not in:\n{help}"));
        let text = line.trim_start()[flag.len()..].trim();
        assert!(text.contains(range), "{flag}: `{text}`");
        // The README's row says the same.
        let row = format!("| `{} N` | {text} |", flag.trim_end_matches(" <N>"));
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}

#[test]
fn sizes_outside_the_ranges_are_refused_with_the_flag_and_the_range() {
    let base = ["--enis", "0"];
    for (args, expected) in [
        (
            &["--instances", "1", "--groups", "1", "--regions", "9"][..],
            "invalid value '9' for '--regions <N>': 9 is not in 1..=8",
        ),
        (
            &["--instances", "1", "--groups", "0"][..],
            "invalid value '0' for '--groups <N>': 0 is not in 1..=20000",
        ),
        (
            &["--instances", "1", "--groups", "1", "--vpcs", "0"][..],
            "invalid value '0' for '--vpcs <N>': 0 is not in 1..=1000",
        ),
        (
            &["--groups", "1", "--instances", "200001"][..],
            "'--instances <N>': 200001 is not in 0..=200000",
        ),
        (
            &["--instances", "1", "--groups", "2", "--vpcs", "3"][..],
            "error: invalid `--groups 2` for a generated world: each VPC needs a group of its own, and there are 3 VPCs (`--vpcs 3`); give at least `--groups 3`",
        ),
        (
            &["--instances", "1", "--groups", "1", "--regions", "2"][..],
            "error: invalid `--groups 1` for a generated world: each VPC needs a group of its own, and there are 2 VPCs (one per region, `--regions 2`); give at least `--groups 2`",
        ),
    ] {
        let (code, stdout, stderr) = generate(&[&base[..], args].concat());
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?} wrote a world");
    }
    // The edges of the ranges are accepted.
    let (code, stdout, stderr) = generate(&[
        "--instances",
        "0",
        "--enis",
        "0",
        "--groups",
        "8",
        "--regions",
        "8",
        "--vpcs",
        "8",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("ap-southeast-1"), "{stdout}");
}
