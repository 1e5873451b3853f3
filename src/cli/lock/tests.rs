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
