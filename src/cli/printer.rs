//! Terminal output: colour policy, errors and diagnostics on stderr, data on stdout.
//!
//! Data (plans, JSON, API responses) goes to stdout; progress, diagnostics and logs go to stderr,
//! so `sgform ... > out.json` captures only data.

#![allow(clippy::print_stderr)] // this module is where sgform writes to the terminal

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diag::{Diagnostic, FileId, Severity, SourceMap, Span};

static COLOR: AtomicBool = AtomicBool::new(false);

/// `text` with every line made [`terminal_safe`](crate::cloud::escape::terminal_safe): escape
/// sequences and control characters (a `\r` included) that came from a configuration value or
/// a state file cannot drive the terminal. Line breaks and tabs stay; normal text is unchanged.
pub fn safe_lines(text: &str) -> String {
    let line = |line: &str| {
        line.split('\t')
            .map(crate::cloud::escape::terminal_safe)
            .collect::<Vec<_>>()
            .join("\t")
    };
    text.split('\n').map(line).collect::<Vec<_>>().join("\n")
}

/// A source file's text for a snippet, the same length in bytes (spans stay where they were):
/// every control character but a line break and a tab, and a `\r` not ending a line, becomes
/// a space, so an ESC or a carriage return in a file is shown, not obeyed.
fn safe_source(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_at = |i: usize, c: char| {
        (c.is_control()
            && c != '\n'
            && c != '\t'
            && !(c == '\r' && text[i + 1..].starts_with('\n')))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.char_indices().any(|(i, c)| unsafe_at(i, c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if unsafe_at(i, c) {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Decides once whether stderr gets colour: only on a terminal, never with `--no-color` or
/// `NO_COLOR` set.
pub fn init(no_color_flag: bool) {
    let enabled = !no_color_flag
        && super::env::non_empty(super::env::NO_COLOR).is_none()
        && std::io::stderr().is_terminal();
    COLOR.store(enabled, Ordering::Relaxed);
}

/// Whether colour is on for stderr.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// Writes data (a response, JSON, a file name) to stdout. A closed pipe, as in
/// `sgform ... | head`, is not an error: the reader has stopped reading, so sgform stops writing
/// quietly instead of panicking the way `println!` would.
pub fn data(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => Ok(anyhow::Context::context(
            result,
            "failed to write to stdout",
        )?),
    }
}

/// Prints one line of progress or status on stderr (never data: that goes to [`data`]). A
/// failed write (stderr closed, a terminal gone after SIGHUP) is ignored, where `eprintln!`
/// would panic: a status line never stops the work it reports on.
pub fn status(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Prints an error and its causes, one per line, the way cargo does.
pub fn error_chain(err: &anyhow::Error) {
    let head = if color() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    eprintln!("{head}: {}", safe_lines(&err.to_string()));
    for cause in err.chain().skip(1) {
        eprintln!("  Caused by: {}", safe_lines(&cause.to_string()));
    }
}

/// Renders diagnostics rustc/cargo style: `error: summary`, `--> file:line:col`, the source line
/// with a caret and label, secondary labels, then `= note:` / `= hint:` lines. Colour only when
/// `color` is set, so goldens and pipes get plain text.
pub fn render_diagnostics(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let summary = safe_lines(&d.summary);
        let mut group = Group::with_title(level.clone().primary_title(summary.as_str()));
        // One snippet per file, in order of first appearance: the primary span's file first.
        let mut files: Vec<FileId> = Vec::new();
        for span in d.primary.iter().chain(d.labels.iter().map(|l| &l.span)) {
            if !files.contains(&span.file) {
                files.push(span.file);
            }
        }
        let safe_texts: Vec<_> = files
            .iter()
            .map(|f| sources.get(*f).map(|file| safe_source(&file.text)))
            .collect();
        for (file_id, safe_text) in files.into_iter().zip(&safe_texts) {
            let (Some(file), Some(text)) = (sources.get(file_id), safe_text) else {
                continue;
            };
            // Spans are byte ranges; keep them inside the file and on character boundaries.
            let text = text.as_ref();
            let floor = |mut i: usize| {
                i = i.min(text.len());
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let ceil = |mut i: usize| {
                i = i.min(text.len());
                while !text.is_char_boundary(i) {
                    i += 1;
                }
                i
            };
            let clamp = |s: &Span| {
                let start = floor(s.start);
                start..ceil(s.end.max(start))
            };
            // Only the lines the spans touch: annotate-snippets walks every line of the text
            // it is given, so handing it the whole file made N diagnostics in an N-line file
            // (a `for_each` over a long literal list) quadratic.
            let spans = d
                .primary
                .iter()
                .chain(d.labels.iter().map(|l| &l.span))
                .filter(|s| s.file == file_id)
                .map(clamp);
            let (lo, hi) = spans.fold((text.len(), 0), |(lo, hi), r| {
                (lo.min(r.start), hi.max(r.end))
            });
            let lo = text[..lo].rfind('\n').map_or(0, |i| i + 1);
            let hi = text[hi..].find('\n').map_or(text.len(), |i| hi + i + 1);
            let shift = |r: std::ops::Range<usize>| r.start - lo..r.end - lo;
            let clamp = |s: &Span| shift(clamp(s));
            let mut snippet = Snippet::source(&text[lo..hi])
                .line_start(file.line_col(lo).line)
                .path(file.path.to_string_lossy().into_owned())
                .fold(true);
            if let Some(p) = d.primary.filter(|p| p.file == file_id) {
                let mut ann = AnnotationKind::Primary.span(clamp(&p));
                if let Some(label) = &d.primary_label {
                    ann = ann.label(safe_lines(label));
                }
                snippet = snippet.annotation(ann);
            }
            for l in d.labels.iter().filter(|l| l.span.file == file_id) {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(clamp(&l.span))
                        .label(safe_lines(&l.message)),
                );
            }
            group = group.element(snippet);
        }
        if let Some(address) = &d.address {
            group = group.element(
                Level::NOTE
                    .with_name(Some("address"))
                    .message(safe_lines(&address.to_string())),
            );
        }
        for note in &d.notes {
            group = group.element(Level::NOTE.message(safe_lines(note)));
        }
        for hint in &d.hints {
            group = group.element(
                Level::HELP
                    .with_name(Some("hint"))
                    .message(safe_lines(hint)),
            );
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 || warnings > 0 {
        use crate::plan::render::text::count;
        let summary = match (errors, warnings) {
            (e, 0) => count(e, "error", "errors"),
            (0, w) => count(w, "warning", "warnings"),
            (e, w) => format!(
                "{}, {}",
                count(e, "error", "errors"),
                count(w, "warning", "warnings")
            ),
        };
        out.push_str(&format!("{summary} found\n"));
    }
    out
}

/// The `--json` form of diagnostics (Terraform's `validate -json` shape): positions resolved to
/// file, line and column; a stable, documented structure for scripts.
pub fn diagnostics_json(diags: &[Diagnostic], sources: &SourceMap) -> serde_json::Value {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": diags.len() - errors,
        "diagnostics": diagnostic_list_json(diags, sources),
    })
}

/// Each diagnostic as Terraform's JSON diagnostic (`severity`, `summary`, `detail`, `address`,
/// `range`), with sgform's `label`, `labels`, `notes` and `hints` besides; `detail` is the
/// label, the notes and the hints as text, one per line.
pub fn diagnostic_list_json(diags: &[Diagnostic], sources: &SourceMap) -> Vec<serde_json::Value> {
    use serde_json::json;
    let range = |s: &Span| {
        let file = sources.get(s.file)?;
        let start = file.line_col(s.start);
        let end = file.line_col(s.end);
        Some(json!({
            "filename": file.path.to_string_lossy(),
            "start": { "line": start.line, "column": start.column, "byte": s.start },
            "end": { "line": end.line, "column": end.column, "byte": s.end },
        }))
    };
    diags
        .iter()
        .map(|d| {
            let detail: Vec<String> = d
                .primary_label
                .iter()
                .chain(&d.notes)
                .cloned()
                .chain(d.hints.iter().map(|h| format!("hint: {h}")))
                .collect();
            json!({
                "severity": d.severity,
                "summary": d.summary,
                "detail": detail.join("\n"),
                "address": d.address.as_ref().map(ToString::to_string),
                "range": d.primary.as_ref().and_then(range),
                "label": d.primary_label,
                "labels": d.labels.iter().map(|l| json!({
                    "range": range(&l.span),
                    "message": l.message,
                })).collect::<Vec<_>>(),
                "notes": d.notes,
                "hints": d.hints,
            })
        })
        .collect()
}

/// An error that ended a command, as one JSON diagnostic: its first line is the summary; the
/// rest of it and its causes, one per line, the detail.
pub fn error_json(err: &anyhow::Error) -> serde_json::Value {
    let text = err.to_string();
    let (summary, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let detail: Vec<String> = rest
        .lines()
        .map(|l| l.trim().to_owned())
        .chain(err.chain().skip(1).map(|c| c.to_string()))
        .collect();
    serde_json::json!({
        "severity": "error",
        "summary": summary,
        "detail": detail.join("\n"),
    })
}

/// Prints diagnostics to stderr with the colour policy of [`init`].
pub fn diagnostics(diags: &[Diagnostic], sources: &SourceMap) {
    eprint!("{}", render_diagnostics(diags, sources, color()));
}
