use std::str::FromStr;

use hcl::Value;
use hcl::eval::{Context, Evaluate};
use hcl::expr::Expression;
use proptest::prelude::*;

use super::eval_str;

#[track_caller]
fn err(text: &str) -> String {
    match eval_str(text) {
        Ok(v) => panic!("`{text}` evaluated to {v}"),
        Err(e) => e,
    }
}

#[test]
fn division_by_zero_is_an_error_not_a_panic() {
    assert_eq!(err("5 % 0"), "division by zero in `5 % 0`");
    assert_eq!(err("5 / 0"), "division by zero in `5 / 0`");
    assert_eq!(err("-5 % 0"), "division by zero in `-5 % 0`");
    assert_eq!(err("1.5 / 0"), "division by zero in `1.5 / 0`");
    assert_eq!(err("1.5 % 0.0"), "division by zero in `1.5 % 0`");
    assert_eq!(err("0 / 0"), "division by zero in `0 / 0`");
}

#[test]
fn integer_overflow_is_an_error_not_a_panic() {
    for text in [
        "9223372036854775807 + 1",
        "-9223372036854775808 - 1",
        "-9223372036854775808 / -1",
        "9223372036854775807 * 2",
        "-9223372036854775808 * -1",
        "18446744073709551615 * 18446744073709551615",
        "1 - 18446744073709551615",
    ] {
        let e = err(text);
        assert!(e.starts_with("integer overflow in `"), "{text}: {e}");
        assert!(
            e.ends_with("the result does not fit in a 64-bit integer"),
            "{e}"
        );
    }
    assert_eq!(err("1e308 * 10"), "`1e308 * 10` has no finite result");
}

#[test]
fn results_in_range_are_unchanged() {
    let cases = [
        ("9223372036854775806 + 1", Value::from(i64::MAX)),
        ("-9223372036854775807 - 1", Value::from(i64::MIN)),
        ("-9223372036854775808 % -1", Value::from(0)),
        ("-7 % 2", Value::from(-1)),
        ("7 % -2", Value::from(1)),
        ("7 / 2", Value::from(3.5)),
        ("6 / 3", Value::from(2)),
        ("2.5 * 2", Value::from(5)),
        ("1 + 0.5", Value::from(1.5)),
        ("-3 - -5", Value::from(2)),
    ];
    for (text, want) in cases {
        assert_eq!(eval_str(text), Ok(want), "{text}");
    }
}

#[test]
fn operands_that_are_not_numbers_keep_hcl_rs_words() {
    let plain = |text: &str| {
        Expression::from_str(text)
            .unwrap()
            .evaluate(&Context::new())
            .unwrap_err()
            .kind()
            .to_string()
    };
    for text in [r#""a" + 1"#, "null * 2", "true % 1", "[1] / 1"] {
        assert_eq!(err(text), plain(text), "{text}");
    }
}

#[test]
fn arithmetic_is_checked_wherever_it_is_nested() {
    for text in [
        "[for x in [0, 1] : 5 % x]",
        "{ for x in [0] : x => 1 / x }",
        "{ (1 % 0) = 1 }",
        "[1, [2, (3 % 0)]]",
        "true ? 1 % 0 : 1",
        "-(1 % 0)",
        "[1][1 % 0]",
        r#""a${1 % 0}b""#,
        r#""${1 % 0}""#,
        r#""%{ if 1 % 0 == 0 }x%{ endif }""#,
        r#""%{ for x in [0] }${5 % x}%{ endfor }""#,
        "<<EOT\nline ${9223372036854775807 + 1}\nEOT",
    ] {
        let e = eval_str(text).unwrap_err();
        assert!(
            e.contains("division by zero") || e.contains("integer overflow"),
            "{text}: {e}"
        );
    }
    // A branch not taken is not evaluated.
    assert_eq!(eval_str("false ? 1 % 0 : 2"), Ok(Value::from(2)));
}

#[test]
fn templates_with_arithmetic_keep_their_text() {
    let cases = [
        (r#""a${1 + 2}b""#, "a3b"),
        (r#""q\"${1 + 1}\n\t$${x} %%{y}""#, "q\"2\n\t${x} %{y}"),
        (r#""%{ if 1 + 1 == 2 }yes%{ else }no%{ endif }""#, "yes"),
        (r#""%{ for x in [1, 2] }${x * 2},%{ endfor }""#, "2,4,"),
        ("<<EOT\n  a ${2 * 3}\n  \"b\"\nEOT", "  a 6\n  \"b\"\n"),
        ("<<-EOT\n  a ${2 * 3}\n  b\nEOT", "a 6\nb\n"),
        (r#""${2 * 3}""#, "6"),
    ];
    for (text, want) in cases {
        let got = eval_str(text).map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        });
        assert_eq!(got.as_deref(), Ok(want), "{text}");
    }
}

proptest! {
    /// Wherever hcl-rs's own arithmetic is defined and exact, the checked operators agree (it
    /// goes through a float when the signs differ, so its integers are exact up to 2^53).
    #[test]
    fn checked_operators_agree_with_hcl_rs_in_range(
        a in -50_000_000i64..50_000_000,
        b in -50_000_000i64..50_000_000,
        fa in -1.0e6f64..1.0e6,
        op in prop::sample::select(vec!["+", "-", "*", "/", "%"]),
    ) {
        for (x, y) in [(a.to_string(), b.to_string()), (format!("{fa:?}"), b.to_string())] {
            if y == "0" && matches!(op, "/" | "%") {
                continue;
            }
            let text = format!("{x} {op} {y}");
            let want = Expression::from_str(&text).unwrap().evaluate(&Context::new()).unwrap();
            prop_assert_eq!(eval_str(&text), Ok(want), "{}", text);
        }
    }
}
