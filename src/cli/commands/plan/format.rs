//! How `plan` and `show` print a plan: `--format` (and `--json`), and the renderers behind it.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use crate::cli::printer;
use crate::plan::Plan;
use crate::plan::render::{self, TextOptions};

/// The plan as `plan` and `show` print it, in text or JSON.
pub(crate) fn rendered(plan: &Plan, json: bool, verbose: bool) -> String {
    let format = if json { Format::Json } else { Format::Text };
    rendered_as(plan, format, verbose, None)
}

/// The plan in `format`; `diagnostics` (the run's, with their sources) only show in Markdown.
pub(crate) fn rendered_as(
    plan: &Plan,
    format: Format,
    verbose: bool,
    diagnostics: Option<render::markdown::Diagnostics<'_>>,
) -> String {
    match format {
        Format::Json => render::json::render_string(plan),
        Format::Markdown => render::markdown::render(plan, diagnostics),
        Format::Text => {
            let color = printer::color() && std::io::stdout().is_terminal();
            render::text::render(plan, TextOptions { verbose, color })
        }
    }
}

/// Ends a run of `plan` or `show` that failed with `err`: with `--json`, stdout has one
/// document, Terraform's `"errored": true` with the error as its diagnostic; the error itself
/// goes to stderr as for any format, and the exit code is 1.
pub(crate) fn failed(json: bool, err: anyhow::Error) -> anyhow::Result<ExitCode> {
    if json {
        printer::data(&render::json::errored_string(vec![printer::error_json(
            &err,
        )]))?;
    }
    Err(err)
}

/// How `plan` and `show` print a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The preview a reviewer reads in a terminal.
    Text,
    /// Terraform's plan JSON where it fits, with sgform's API calls, for policy tools.
    Json,
    /// GitHub-flavoured Markdown for a pull-request comment: a summary table, the errors and
    /// warnings, and the calls of each target in collapsible sections; safe to post publicly.
    Markdown,
}

/// `--format` and its short form `--json`, for `plan` and `show`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FormatArgs {
    /// How to print the plan: `text`, `json` (Terraform's plan JSON where it fits) or `markdown`
    /// (a pull-request comment; `--verbose` only changes the text) [default: text].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Short for `--format json`.
    #[arg(long)]
    pub json: bool,
}

impl FormatArgs {
    /// The format asked for; `--json` with a `--format` other than `json` is a usage error,
    /// returned as its message.
    pub fn format(&self) -> Result<Format, String> {
        match (self.json, self.format) {
            (false, format) => Ok(format.unwrap_or(Format::Text)),
            (true, None | Some(Format::Json)) => Ok(Format::Json),
            (true, Some(other)) => Err(format!(
                "`--json` is short for `--format json` and conflicts with `--format {}`; give one of them",
                clap::ValueEnum::to_possible_value(&other)
                    .map_or_else(String::new, |v| v.get_name().to_owned())
            )),
        }
    }
}

/// Prints `message` as a usage error of `sgform SUBCOMMAND`, the way clap prints its own
/// (with the usage line), and returns the exit code of every usage error (1, not clap's 2).
pub(crate) fn usage_error(subcommand: &str, message: &str) -> ExitCode {
    use clap::CommandFactory as _;
    let mut cli = crate::cli::Cli::command();
    cli.build();
    let kind = clap::error::ErrorKind::ArgumentConflict;
    let err = match cli.find_subcommand_mut(subcommand) {
        Some(command) => command.error(kind, message),
        None => cli.error(kind, message),
    };
    crate::cli::exit::clap(&err)
}
