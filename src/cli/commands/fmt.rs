//! `sgform fmt [PATH...] [--check] [--diff]`: rewrite `*.hcl` files in the canonical style
//! (`terraform fmt`'s), keeping every comment. Files that change are listed on stdout.
//! `--check` writes nothing and exits 1 when a file would change; `--diff` prints a unified diff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::printer;
use crate::config::format::format_source;
use crate::fsutil;

/// A rewrite keeps the file's mode; one that vanished between its read and its rewrite gets
/// an editor's default.
const MODE: fsutil::Mode = fsutil::Mode::KeepOr(0o644);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (every `*.hcl` directly inside); the current directory by default.
    pub paths: Vec<PathBuf>,
    /// Write nothing; exit 1 and list the files that are not formatted.
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of the changes.
    #[arg(long)]
    pub diff: bool,
}

fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("failed to read directory `{}`", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "hcl"))
                .map(|p| {
                    if path == Path::new(".") {
                        p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)
                    } else {
                        p
                    }
                })
                .collect();
            found.sort();
            out.extend(found);
        } else if path.exists() {
            out.push(path.clone());
        } else {
            anyhow::bail!("`{}` does not exist", path.display());
        }
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut failed = false;
    let mut unformatted = false;
    for file in files(&paths)? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("failed to read `{}`", file.display()))?;
        let formatted = match format_source(&text) {
            Ok(f) => f,
            Err(e) => {
                printer::error_chain(&anyhow::anyhow!(
                    "cannot format `{}`: invalid HCL syntax at {e}",
                    file.display()
                ));
                failed = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted = true;
        printer::data(&format!("{}\n", file.display()))?;
        if args.diff {
            let name = file.display().to_string();
            let (old_name, new_name) = if file.is_relative() {
                (format!("a/{name}"), format!("b/{name}"))
            } else {
                (name.clone(), name)
            };
            let diff = similar::TextDiff::from_lines(&text, &formatted)
                .unified_diff()
                .header(&old_name, &new_name)
                .to_string();
            printer::data(&diff)?;
        }
        if !args.check {
            // Atomic, and keeps the file's mode, owner and symbolic link.
            fsutil::write_atomic(&file, formatted.as_bytes(), MODE)?;
        }
    }
    Ok(if failed || (args.check && unformatted) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
