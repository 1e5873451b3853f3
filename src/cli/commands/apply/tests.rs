use std::time::Duration;

use super::*;

#[test]
fn durations_take_the_usual_units() {
    assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("40s"), Ok(Duration::from_secs(40)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert!(parse_duration("ten").is_err());
    assert!(parse_duration("5d").is_err());
}

#[test]
fn only_yes_confirms() {
    assert!(is_yes("yes\n"));
    assert!(is_yes("yes\r\n"));
    for answer in ["y\n", "YES\n", " yes\n", "no\n", "\n", ""] {
        assert!(!is_yes(answer), "{answer:?}");
    }
}
