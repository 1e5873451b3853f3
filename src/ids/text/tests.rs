use super::*;

#[test]
fn plain_text_is_kept_as_it_is() {
    for text in [
        "",
        "InvalidOperation.Conflict",
        "请稍后重试 — ok",
        "a `b` [c] 100%",
    ] {
        assert_eq!(terminal_safe(text), text);
    }
}

#[test]
fn escape_sequences_go_with_their_parameters() {
    assert_eq!(terminal_safe("\u{1b}[31;1mred\u{1b}[0m"), "red");
    assert_eq!(terminal_safe("a\u{1b}]0;title\u{07}b"), "ab");
    assert_eq!(
        terminal_safe("a\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\b"),
        "alinkb"
    );
    assert_eq!(terminal_safe("a\u{1b}Pq#0\u{1b}\\b"), "ab");
    assert_eq!(terminal_safe("a\u{1b}cb\u{1b}(Bc"), "abc");
    assert_eq!(terminal_safe("cut\u{1b}["), "cut");
    assert_eq!(terminal_safe("cut\u{1b}"), "cut");
}

#[test]
fn the_result_is_one_line_without_control_characters() {
    assert_eq!(terminal_safe("one\r\ntwo\tthree"), "one two three");
    assert_eq!(terminal_safe("fake\rDONE"), "fakeDONE");
    assert_eq!(terminal_safe("bell\u{07}\u{08}\u{7f}\u{9b}31m"), "bell31m");
    assert_eq!(terminal_safe("ab\u{202e}cd\u{2066}"), "abcd");
}

mod properties {
    use proptest::prelude::*;

    use super::super::terminal_safe;

    proptest! {
        #[test]
        fn nothing_that_drives_a_terminal_survives(s in any::<String>()) {
            let safe = terminal_safe(&s);
            prop_assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
            prop_assert_eq!(terminal_safe(&safe), safe.clone());
        }
    }
}
