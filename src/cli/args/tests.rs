use std::time::Duration;

use super::*;

#[test]
fn durations_in_terraform_units_parse() {
    let cases = [
        ("0", 0),
        ("0s", 0),
        ("30s", 30_000),
        ("2m", 120_000),
        ("1h", 3_600_000),
        ("1m30s", 90_000),
        ("1500ms", 1_500),
    ];
    for (text, ms) in cases {
        assert_eq!(
            parse_duration(text),
            Ok(Duration::from_millis(ms)),
            "{text}"
        );
    }
}

#[test]
fn malformed_durations_are_refused_with_an_example() {
    for text in [
        "",
        "30",
        "s",
        "5d",
        "1.5s",
        "-1s",
        "99999999999999999999s",
        "30s ",
    ] {
        let err = parse_duration(text).unwrap_err();
        assert!(err.contains(&format!("`{text}`")), "{err}");
        assert!(err.contains("e.g. `30s`"), "{err}");
    }
}

#[test]
fn a_duration_prints_as_it_is_typed() {
    for (ms, text) in [
        (0, "0s"),
        (600_000, "10m"),
        (90_000, "1m30s"),
        (1_500, "1s500ms"),
        (5_400_000, "1h30m"),
    ] {
        let shown = HumanDuration(Duration::from_millis(ms)).to_string();
        assert_eq!(shown, text);
        assert_eq!(parse_duration(&shown), Ok(Duration::from_millis(ms)));
    }
}

#[test]
fn api_timeout_takes_bare_seconds_and_durations() {
    let secs = |s| Ok(HumanDuration(Duration::from_secs(s)));
    assert_eq!(parse_seconds_or_duration("30"), secs(30));
    assert_eq!(parse_seconds_or_duration("0"), secs(0));
    assert_eq!(parse_seconds_or_duration("2m"), secs(120));
    assert!(parse_seconds_or_duration("").is_err());
    assert!(parse_seconds_or_duration("5d").is_err());
}

#[test]
fn defaults_come_from_the_library() {
    use clap::Parser as _;
    #[derive(clap::Parser)]
    struct Probe {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        apply: ApplyArgs,
    }
    let probe = Probe::try_parse_from(["probe"]).unwrap();
    assert_eq!(probe.connection.parallelism, ops::DEFAULT_PARALLELISM);
    assert_eq!(probe.apply.wait_timeout.0, ops::DEFAULT_WAIT_TIMEOUT);
    assert!(!probe.apply.auto_approve);
}

#[test]
fn targets_are_parsed_as_addresses() {
    let args = |t: &str| TargetArgs {
        targets: vec![t.to_owned()],
    };
    let parsed = args("membership.web[\"k\"]").addresses().unwrap();
    assert_eq!(parsed[0].key.as_deref(), Some("k"));
    let err = args("web").addresses().unwrap_err();
    assert!(format!("{err:#}").contains("--target web"), "{err:#}");
}
