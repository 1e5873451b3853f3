use super::*;

#[test]
fn only_yes_confirms() {
    assert!(is_yes("yes\n"));
    assert!(is_yes("yes\r\n"));
    for answer in ["y\n", "YES\n", " yes\n", "no\n", "\n", ""] {
        assert!(!is_yes(answer), "{answer:?}");
    }
}
