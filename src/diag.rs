//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! Modules fill [`Diagnostic`]s; `cli` renders them (file:line:col and a snippet when there is a
//! span, colour only on a terminal without `NO_COLOR`). Nothing here renders or prints, so the
//! planner and the config loader can return diagnostics as plain data and tests can compare them.
//!
//! Spans are byte ranges into a file held by a [`SourceMap`]; they are turned into line:column
//! only when rendering, so a diagnostic stays cheap to build and easy to sort.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::ids::Address;

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub usize);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Self {
        Self {
            file,
            start: range.start,
            end: range.end,
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// A 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path,
            text,
            line_starts,
        }
    }

    /// The 1-based line and column of a byte offset (clamped to the file).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }
}

/// Every file a run loaded, so diagnostics can point into them after loading is done.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(path.into(), text.into()));
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0)
    }

    pub fn path(&self, id: FileId) -> Option<&Path> {
        self.get(id).map(|f| f.path.as_path())
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    /// Hides the text under `span` (a sensitive value's source) from every snippet: each byte
    /// but a line break becomes `*`, so every other span and line number of the file still
    /// points where it did (the mask keeps the value's length in bytes, nothing else).
    pub fn mask(&mut self, span: Span) {
        let Some(file) = self.files.get_mut(span.file.0) else {
            return;
        };
        let end = span.end.min(file.text.len());
        let start = span.start.min(end);
        if !file.text.is_char_boundary(start) || !file.text.is_char_boundary(end) {
            return;
        }
        let masked: String = file.text[start..end]
            .bytes()
            .map(|b| if b == b'\n' { '\n' } else { '*' })
            .collect();
        file.text.replace_range(start..end, &masked);
    }

    /// `path:line:col` of a span's start, for one-line output.
    pub fn location(&self, span: Span) -> Option<String> {
        let file = self.get(span.file)?;
        let lc = file.line_col(span.start);
        Some(format!("{}:{}:{}", file.path.display(), lc.line, lc.column))
    }
}

/// A secondary pointer into the source, with a short message ("first declared here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem, with everything a person needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A lowercase phrase with no trailing period; literals in backticks.
    pub summary: String,
    /// The configuration object concerned, if any.
    pub address: Option<Address>,
    /// Where in the source, if anywhere.
    pub primary: Option<Span>,
    /// The message under the primary caret ("no local value named `web_sg`").
    pub primary_label: Option<String>,
    pub labels: Vec<Label>,
    /// Facts that explain the problem (`note:`).
    pub notes: Vec<String>,
    /// What to do about it (`hint:`).
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Self {
        Self::new(Severity::Error, summary)
    }

    pub fn warning(summary: impl Into<String>) -> Self {
        Self::new(Severity::Warning, summary)
    }

    fn new(severity: Severity, summary: impl Into<String>) -> Self {
        Self {
            severity,
            summary: summary.into(),
            address: None,
            primary: None,
            primary_label: None,
            labels: Vec::new(),
            notes: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn with_address(mut self, address: Address) -> Self {
        self.address = Some(address);
        self
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.primary = Some(span);
        self
    }

    pub fn with_span_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(span);
        self.primary_label = Some(label.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order diagnostics are shown in: by file and offset, unspanned ones last, then summary.
    pub fn sort_key(&self) -> (bool, Option<Span>, &str) {
        (self.primary.is_none(), self.primary, self.summary.as_str())
    }
}

/// Sorts diagnostics into display order (stable, deterministic).
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// True if any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let mut map = SourceMap::new();
        let id = map.add("a.hcl", "ab\né = 1\n\nlast");
        let f = map.get(id).unwrap();
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // `=` is after a two-byte character and a space: column 3.
        assert_eq!(f.line_col(6), LineCol { line: 2, column: 3 });
        assert_eq!(f.line_col(11), LineCol { line: 4, column: 1 });
        assert_eq!(f.line_col(999), LineCol { line: 4, column: 5 });
        assert_eq!(map.location(Span::new(id, 3..4)).unwrap(), "a.hcl:2:1");
    }

    #[test]
    fn mask_hides_the_span_and_keeps_every_offset() {
        let mut map = SourceMap::new();
        let id = map.add("v.tfvars", "pin = \"h\u{e9}\n2\"\nafter = 1\n");
        map.mask(Span::new(id, 6..13));
        let f = map.get(id).unwrap();
        assert_eq!(f.text, "pin = ****\n**\nafter = 1\n");
        assert_eq!(map.location(Span::new(id, 14..19)).unwrap(), "v.tfvars:3:1");
        // Out of range or inside a character: nothing changes, nothing panics.
        map.mask(Span::new(id, 100..200));
        map.mask(Span::new(FileId(9), 0..1));
        assert_eq!(map.get(id).unwrap().text, "pin = ****\n**\nafter = 1\n");
    }

    #[test]
    fn sorts_by_position_then_unspanned() {
        let f = FileId(0);
        let mut d = vec![
            Diagnostic::error("z no span"),
            Diagnostic::error("b").with_span(Span::new(f, 10..12)),
            Diagnostic::error("a").with_span(Span::new(f, 2..3)),
        ];
        sort(&mut d);
        let order: Vec<_> = d.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(order, ["a", "b", "z no span"]);
        assert!(has_errors(&d));
    }
}
