//! Better messages for the common syntax mistakes.
//!
//! hcl-edit reports where its parser gave up, which is often far from the mistake: an
//! unterminated string makes it fail lines later ("expected newline or eof"), an unclosed
//! brace at the end of the file ("invalid block body"), a missing `=` reads as a block header
//! ("expected `{`"). When a file does not parse, [`explain`] scans it once (strings,
//! interpolations, heredocs, comments and brackets, nothing more) and, when it finds one of
//! those mistakes at or before where the parser gave up, names it at its real position.

use std::ops::Range;

use crate::diag::{Diagnostic, FileId, Span};

/// What the scan found, the first one in the file.
#[derive(Debug, PartialEq, Eq)]
enum Finding {
    /// A `"` whose string reaches the end of its line (or of the file) unclosed.
    UnterminatedString { open: usize },
    /// A closing bracket with nothing open, or the wrong one open.
    UnexpectedCloser {
        at: usize,
        open: Option<(char, usize)>,
    },
    /// An opening bracket still open at the end of the file (the innermost one).
    Unclosed { ch: char, at: usize },
    /// A `${` or `%{` whose string ends before its `}`: `"sg-${local.b"`.
    UnclosedInterpolation { at: usize },
}

/// One open thing in code: a bracket, or the `${`/`%{` of an interpolation inside a string.
#[derive(Clone, Copy)]
enum Open {
    Bracket(char, usize),
    /// Where its `${` or `%{` is.
    Interpolation(usize),
}

fn closer(open: char) -> char {
    match open {
        '{' => '}',
        '[' => ']',
        _ => ')',
    }
}

/// Scans `text`; the first mistake found, if any.
fn scan(text: &str) -> Option<Finding> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |j| i + 2 + j + 2);
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => i = heredoc_end(text, i),
            b'"' => match string_end(bytes, i + 1) {
                StringEnd::Closed(next) => i = next,
                StringEnd::Interpolation(next) => {
                    stack.push(Open::Interpolation(next - 2));
                    i = next;
                }
                // Inside an interpolation, an unclosed string is most likely the end of the
                // outer one: the interpolation is what lacks its `}`.
                StringEnd::Unterminated => {
                    return Some(match stack.last() {
                        Some(Open::Interpolation(at)) => Finding::UnclosedInterpolation { at: *at },
                        _ => Finding::UnterminatedString { open: i },
                    });
                }
            },
            c @ (b'{' | b'[' | b'(') => {
                stack.push(Open::Bracket(char::from(c), i));
                i += 1;
            }
            c @ (b'}' | b']' | b')') => {
                let c = char::from(c);
                match stack.pop() {
                    Some(Open::Bracket(open, _)) if closer(open) == c => i += 1,
                    Some(Open::Interpolation(_)) if c == '}' => {
                        // Back in the string the interpolation was in.
                        match string_end(bytes, i + 1) {
                            StringEnd::Closed(next) => i = next,
                            StringEnd::Interpolation(next) => {
                                stack.push(Open::Interpolation(next - 2));
                                i = next;
                            }
                            StringEnd::Unterminated => {
                                let open = string_start(bytes, i);
                                return Some(Finding::UnterminatedString { open });
                            }
                        }
                    }
                    Some(Open::Bracket(open, at)) => {
                        return Some(Finding::UnexpectedCloser {
                            at: i,
                            open: Some((open, at)),
                        });
                    }
                    Some(Open::Interpolation(_)) | None => {
                        return Some(Finding::UnexpectedCloser { at: i, open: None });
                    }
                }
            }
            _ => i += 1,
        }
    }
    stack.iter().rev().find_map(|o| match *o {
        Open::Bracket(ch, at) => Some(Finding::Unclosed { ch, at }),
        Open::Interpolation(_) => None,
    })
}

/// `at`, clamped to `text` and moved back to a character boundary.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |j| from + j)
}

/// Where a string resumed at `from` (just after its `"` or an interpolation's `}`) started:
/// the last `"` before `from` on its line, for the message's position.
fn string_start(bytes: &[u8], from: usize) -> usize {
    let line_start = bytes[..from]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |j| j + 1);
    bytes[line_start..from]
        .iter()
        .position(|&b| b == b'"')
        .map_or(from, |j| line_start + j)
}

enum StringEnd {
    /// The offset after the closing `"`.
    Closed(usize),
    /// The offset after a `${` or `%{` that opens an interpolation.
    Interpolation(usize),
    Unterminated,
}

/// Reads the literal part of a quoted string from `from`.
fn string_end(bytes: &[u8], mut i: usize) -> StringEnd {
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return StringEnd::Closed(i + 1),
            b'\n' => return StringEnd::Unterminated,
            b'\\' => i += 2,
            // `$${` and `%%{` are escapes, not interpolations.
            b'$' | b'%' if bytes.get(i + 1) == Some(&bytes[i]) => i += 2,
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                return StringEnd::Interpolation(i + 2);
            }
            _ => i += 1,
        }
    }
    StringEnd::Unterminated
}

/// The offset after a heredoc starting at `from` (`<<EOT` or `<<-EOT`), or after the `<<`
/// when it is not one.
fn heredoc_end(text: &str, from: usize) -> usize {
    let rest = &text[from + 2..];
    let rest_trim = rest.strip_prefix('-').unwrap_or(rest);
    let name_len = rest_trim
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest_trim.len());
    let name = &rest_trim[..name_len];
    if name.is_empty() {
        return from + 2;
    }
    let mut at = from + 2 + (rest.len() - rest_trim.len()) + name_len;
    // The body starts on the next line; it ends at the line that is only the name.
    at = text[at..].find('\n').map_or(text.len(), |j| at + j + 1);
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |j| at + j);
        if text[at..end].trim() == name {
            return end;
        }
        at = (end + 1).min(text.len());
    }
    text.len()
}

/// `name value` on one line with no `=`: what a missing `=` looks like (hcl-edit reads it as
/// a block header and wants `{`). The line is the one holding `offset` or, when `offset` is
/// at a line's start, the previous non-blank line. Returns the name's range.
fn missing_equals(text: &str, offset: usize) -> Option<Range<usize>> {
    let offset = floor_boundary(text, offset);
    let mut line_start = text[..offset].rfind('\n').map_or(0, |j| j + 1);
    if text[line_start..offset].trim().is_empty() && line_start > 0 {
        line_start = text[..line_start - 1].rfind('\n').map_or(0, |j| j + 1);
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |j| line_start + j);
    let line = &text[line_start..line_end];
    let indent = line.len() - line.trim_start().len();
    let trimmed = line.trim();
    let name_len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(trimmed.len());
    let (name, after) = trimmed.split_at(name_len);
    let after = after.trim_start();
    let is_ident = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    // `name "label" {` is a block; `name = v` is fine; `name` alone is something else.
    if !is_ident || after.is_empty() || after.contains('{') || after.contains('=') {
        return None;
    }
    let start = line_start + indent;
    Some(start..start + name_len)
}

/// A clearer diagnostic for the syntax error hcl-edit reported at `error_at` with `message`,
/// or `None` when the scan finds nothing it can name better.
pub(super) fn explain(
    file: FileId,
    text: &str,
    error_at: usize,
    message: &str,
) -> Option<Diagnostic> {
    let error_at = floor_boundary(text, error_at);
    let found = scan(text);
    // hcl-edit may stop at the start of the line that holds the mistake.
    let line_of_error = text[..error_at.min(text.len())]
        .rfind('\n')
        .map_or(0, |j| j + 1);
    let before_error = |at: usize| at <= error_at || at < line_end(text.as_bytes(), line_of_error);
    match found {
        Some(Finding::UnterminatedString { open }) if before_error(open) => {
            // `membership web" {`: the quote closes a label whose opening quote is missing.
            let word_start = text[..open]
                .char_indices()
                .rev()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(0, |(j, c)| j + c.len_utf8());
            if word_start < open {
                let word = &text[word_start..open];
                return Some(
                    Diagnostic::error("unterminated string")
                        .with_span_label(
                            Span::new(file, open..open + 1),
                            format!("this `\"` after `{word}` opens a string that never closes"),
                        )
                        .with_hint(format!(
                            "a label or string is quoted on both sides: `\"{word}\"`"
                        )),
                );
            }
            return Some(
                Diagnostic::error("unterminated string")
                    .with_span_label(
                        Span::new(file, open..open + 1),
                        "this string has no closing `\"` on its line",
                    )
                    .with_hint(
                        "add the closing `\"`; for text over several lines use a heredoc (`<<EOT`)",
                    ),
            );
        }
        Some(Finding::UnclosedInterpolation { at }) if before_error(at) => {
            return Some(
                Diagnostic::error("unclosed interpolation")
                    .with_span_label(
                        Span::new(file, at..at + 2),
                        "this has no `}` before its string ends",
                    )
                    .with_hint("add the `}` before the closing `\"`"),
            );
        }
        Some(Finding::UnexpectedCloser { at, open }) if before_error(at) => {
            let c = text[at..].chars().next().unwrap_or('}');
            let d = Diagnostic::error(format!("unexpected `{c}`"));
            return Some(match open {
                None => d
                    .with_span_label(Span::new(file, at..at + 1), "nothing is open here to close")
                    .with_hint(format!(
                        "remove this `{c}`, or the `{c}` before it that closed the block too early"
                    )),
                Some((open, open_at)) => d
                    .with_span_label(
                        Span::new(file, at..at + 1),
                        format!("expected `{}` here", closer(open)),
                    )
                    .with_label(
                        Span::new(file, open_at..open_at + 1),
                        format!("to close this `{open}`"),
                    )
                    .with_hint(format!("add the missing `{}`", closer(open))),
            });
        }
        _ => {}
    }
    if message.contains("expected `{`")
        && let Some(name) = missing_equals(text, error_at)
    {
        let key = text[name.clone()].to_owned();
        return Some(
            Diagnostic::error(format!("missing `=` after `{key}`"))
                .with_span_label(
                    Span::new(file, name),
                    "an attribute needs `=` before its value",
                )
                .with_hint(format!(
                    "write `{key} = VALUE`; a block would be `{key} \"LABEL\" {{ ... }}`"
                )),
        );
    }
    if let Some(Finding::Unclosed { ch, at }) = found {
        let tail_is_blank = text[error_at.min(text.len())..].trim().is_empty();
        if tail_is_blank {
            let close = closer(ch);
            return Some(
                Diagnostic::error(format!("unclosed `{ch}`"))
                    .with_span_label(
                        Span::new(file, at..at + 1),
                        format!("this `{ch}` has no matching `{close}` before the end of the file"),
                    )
                    .with_hint(format!("add the `{close}` where the block or value ends")),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> usize {
        text.find(needle).unwrap()
    }

    #[test]
    fn finds_an_unterminated_string_at_its_quote() {
        let text = "locals {\n  a = \"x\"\n  b = \"y\n  c = \"z\"\n}\n";
        assert_eq!(
            scan(text),
            Some(Finding::UnterminatedString {
                open: at(text, "\"y")
            })
        );
    }

    #[test]
    fn strings_with_interpolations_escapes_comments_and_heredocs_are_closed() {
        let text = concat!(
            "# a \" in a comment\n",
            "// and { here\n",
            "/* and [ here */\n",
            "a = \"x${f(\"}\", [1])}y\\\"z$${no}%%{no}\"\n",
            "b = <<-EOT\n  \" { [\n  EOT\n",
            "c = { d = [1, (2)] }\n",
        );
        assert_eq!(scan(text), None);
    }

    #[test]
    fn an_unclosed_string_inside_an_interpolation_is_an_unclosed_interpolation() {
        let text = "a = \"sg-${local.b\"\n";
        assert_eq!(
            scan(text),
            Some(Finding::UnclosedInterpolation { at: at(text, "${") })
        );
    }

    #[test]
    fn finds_unclosed_and_unexpected_brackets() {
        let text = "a {\n  b = [1\n}\n";
        assert_eq!(
            scan(text),
            Some(Finding::UnexpectedCloser {
                at: at(text, "}"),
                open: Some(('[', at(text, "[")))
            })
        );
        let text = "a {\n}\n}\n";
        assert_eq!(
            scan(text),
            Some(Finding::UnexpectedCloser {
                at: text.rfind('}').unwrap(),
                open: None
            })
        );
        let text = "a {\n  b {\n  }\n";
        assert_eq!(scan(text), Some(Finding::Unclosed { ch: '{', at: 2 }));
    }

    #[test]
    fn missing_equals_is_a_name_and_a_value_on_one_line() {
        let text = "m \"a\" {\n  group_id \"sg-1\"\n  x = 1\n}\n";
        let r = missing_equals(text, at(text, "\"sg-1\"") + 6).unwrap();
        assert_eq!(&text[r], "group_id");
        assert_eq!(missing_equals(text, at(text, "= 1")), None);
        assert_eq!(missing_equals("m \"a\" {\n", 3), None);
    }

    #[test]
    fn never_panics_on_odd_text() {
        // The first three are what the `eval` and `load` fuzz targets found (a quote after a
        // non-ASCII letter); the rest are edges of the scan.
        for text in [
            "  e = \u{786}\"\n}\n",
            "\u{5e3}lg-bp1webexample01\"\n \n",
            "\u{6cc}g\"",
            "\"",
            "<<",
            "<<EOT",
            "/*",
            "\"${",
            "\"${\"",
            "}",
            "é\"\\",
            "\"\\",
            "é é",
        ] {
            let _ = scan(text);
            for at in 0..=text.len() + 1 {
                let _ = missing_equals(text, at);
                let _ = explain(FileId(0), text, at, "expected `{`");
            }
        }
    }
}
