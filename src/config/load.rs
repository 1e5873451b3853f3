//! Reading files and parsing them into span-preserving `hcl_edit` trees.

use std::path::{Path, PathBuf};

use hcl_edit::structure::Body;

use super::Error;
use crate::diag::{Diagnostic, FileId, Span};

/// Checks that `dir` holds a configuration: it exists, is a directory (or a link to one) and
/// has at least one `*.hcl` file. Every command that reads a configuration calls this before
/// it locks or creates anything there.
pub fn check_dir(dir: &Path) -> Result<(), Error> {
    hcl_files(dir).map(|_| ())
}

/// `dir` as the "no configuration" error shows it: with a trailing `/`, so it reads as a
/// directory.
pub(super) fn shown_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    if shown.ends_with('/') {
        shown
    } else {
        format!("{shown}/")
    }
}

/// The `*.hcl` files directly in `dir`, in name order; an error unless there is one at least.
fn hcl_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(Error::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoDirectory {
                path: dir.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(Error::ReadDir {
                path: dir.to_path_buf(),
                source,
            });
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "hcl") && path.is_file() {
            // `sgform validate` in the directory itself: show `main.hcl`, not `./main.hcl`.
            let path = if dir == Path::new(".") {
                PathBuf::from(entry.file_name())
            } else {
                path
            };
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(Error::NoConfiguration {
            path: dir.to_path_buf(),
        });
    }
    paths.sort();
    Ok(paths)
}

/// Every `*.hcl` file directly in `dir`, in name order, as `(path, text)`. Paths are `dir`
/// joined with the file name, so they are relative when `dir` is. Errors as [`check_dir`].
pub(super) fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, Error> {
    hcl_files(dir)?
        .into_iter()
        .map(|path| {
            let bytes = read_capped(&path).map_err(|source| Error::ReadFile {
                path: path.clone(),
                source,
            })?;
            // Invalid UTF-8 is a content problem: keep the file (lossily) so it gets a diagnostic.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Ok((path, text))
        })
        .collect()
}

/// The variables file loaded automatically before the `*.auto.tfvars` ones (Terraform's
/// `terraform.tfvars`).
pub const AUTO_VAR_FILE: &str = "sgform.tfvars";

/// The suffix of the variables files loaded automatically, in lexical order, after
/// [`AUTO_VAR_FILE`] and before `--var-file`.
pub const AUTO_VAR_SUFFIX: &str = ".auto.tfvars";

/// Whether a file of this name in the configuration directory is loaded automatically as
/// variables (`sgform.tfvars`, `*.auto.tfvars`).
pub fn is_auto_var_file(name: &str) -> bool {
    name == AUTO_VAR_FILE || (name.ends_with(AUTO_VAR_SUFFIX) && name != AUTO_VAR_SUFFIX)
}

/// What [`auto_var_files`] finds: the files read as `(path, text)`, and the JSON ones not read.
pub(super) type AutoVarFiles = (Vec<(PathBuf, String)>, Vec<PathBuf>);

/// The variables files of the configuration in `dir` that are loaded without a flag, in the
/// order they apply (later wins): `sgform.tfvars`, then every `*.auto.tfvars` by name; each as
/// `(path, text)` with paths shown as [`read_dir`] shows them. Also the names of JSON variables
/// files that Terraform would load (`sgform.tfvars.json`, `*.auto.tfvars.json`), which sgform
/// does not read, so the loader can say so.
pub(super) fn auto_var_files(dir: &Path) -> Result<AutoVarFiles, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names = Vec::new();
    let mut json = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let shown = if dir == Path::new(".") {
            PathBuf::from(&name)
        } else {
            entry.path()
        };
        if !entry.path().is_file() {
            continue;
        }
        if is_auto_var_file(&name) {
            names.push((name != AUTO_VAR_FILE, name, shown));
        } else if name.strip_suffix(".json").is_some_and(is_auto_var_file) {
            json.push(shown);
        }
    }
    // `sgform.tfvars` first, then the `*.auto.tfvars` in lexical (byte) order.
    names.sort();
    json.sort();
    let files = names
        .into_iter()
        .map(|(_, _, path)| {
            let bytes = read_capped(&path).map_err(|source| Error::ReadFile {
                path: path.clone(),
                source,
            })?;
            Ok((path, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect::<Result<_, Error>>()?;
    Ok((files, json))
}

/// The largest `*.hcl` file read (16 MiB each): a configuration file is hand-written, and
/// something larger (a device, a mistaken dump) must not be read until memory runs out.
pub const HCL_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// Reads at most [`HCL_FILE_LIMIT`] bytes of `path`; a larger file is an error saying the limit.
/// (`config` imports neither `fsutil` nor the clock, so this is its own small copy.)
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(HCL_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > HCL_FILE_LIMIT) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("over the limit of {HCL_FILE_LIMIT} bytes for a configuration file"),
        ));
    }
    Ok(bytes)
}

/// Parses one file; a syntax error becomes a diagnostic at its position.
pub(super) fn parse(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Body> {
    if text.contains('\u{FFFD}') {
        let at = text.find('\u{FFFD}').unwrap_or(0);
        diags.push(
            Diagnostic::error("file is not valid UTF-8")
                .with_span_label(Span::new(file, at..at), "invalid bytes here")
                .with_hint("save the file as UTF-8"),
        );
        return None;
    }
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => {
            let mut huge = HugeIntegers::new(text);
            hcl_edit::visit::Visit::visit_body(&mut huge, &body);
            if huge.found.is_empty() {
                return Some(body);
            }
            for range in huge.found {
                diags.push(huge_integer(Span::new(file, range)));
            }
            None
        }
        Err(err) => {
            let offset = err.location().offset().min(text.len());
            if let Some(d) = super::syntax::explain(file, text, offset, err.message()) {
                diags.push(d);
                return None;
            }
            let end = next_char_boundary(text, offset);
            diags.push(
                Diagnostic::error("invalid HCL syntax")
                    .with_span_label(Span::new(file, offset..end), err.message().to_owned())
                    .with_hint("fix the syntax; `sgform fmt` only formats files that parse"),
            );
            None
        }
    }
}

/// The end of the character at `offset` (so a caret covers one character), or `offset` at EOF.
fn next_char_boundary(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(offset, |c| offset + c.len_utf8())
}

/// The literals in a tree written as integers that do not fit in 64 bits. hcl-edit reads
/// them as floats, so `99999999999999999999999999 % 7` computed 6 and not 1: they are refused
/// instead of silently rounded.
pub(super) struct HugeIntegers<'a> {
    text: &'a str,
    /// Byte ranges of the literals in `text`.
    pub found: Vec<std::ops::Range<usize>>,
}

impl<'a> HugeIntegers<'a> {
    /// A visitor over a tree parsed from `text`.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            found: Vec::new(),
        }
    }
}

impl hcl_edit::visit::Visit for HugeIntegers<'_> {
    fn visit_number(&mut self, node: &hcl_edit::Formatted<hcl_edit::Number>) {
        use hcl_edit::Span as _;
        let Some(range) = node.span() else {
            return;
        };
        let written = self.text.get(range.clone()).unwrap_or("");
        let digits = written.trim_start_matches('-').trim_start();
        if node.is_f64() && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            self.found.push(range);
        }
    }
}

/// The diagnostic for an integer literal beyond 64 bits at `span`.
pub(super) fn huge_integer(span: Span) -> Diagnostic {
    Diagnostic::error("integer literal too large")
        .with_span_label(
            span,
            "beyond the 64-bit integer range: sgform would compute with a rounded value",
        )
        .with_hint(
            "integers are exact from -9223372036854775808 to 18446744073709551615; \
             write a fraction (`1e26`) if an approximate number is meant",
        )
}
