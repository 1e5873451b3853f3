//! `sgform show [PATH] [--format text|json|markdown]`: a directory (the default, `.`) shows its
//! state, as `terraform show` does; any other path is a plan file saved by
//! `sgform plan --out FILE`, rendered exactly as `plan` rendered it (same text, same JSON, same
//! masking of sensitive values; the Markdown without the diagnostics, which a plan file does not
//! keep).
//!
//! The state prints one block per address, `# ADDRESS:`, then one `SG / TARGET (REGION)` line
//! per membership, with IDs that hold a sensitive variable's value masked as in `state list`;
//! `No state.` when it is empty.

use std::path::PathBuf;
use std::process::ExitCode;

use super::plan::{Format, FormatArgs, failed, rendered_as, usage_error};
use super::state::Sensitive;
use crate::cli::args::{ConfigArgs, StateArgs};
use crate::cli::printer;
use crate::diag::SourceMap;
use crate::ops;
use crate::plan::planfile;
use crate::state::State;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan file written by `sgform plan --out FILE`, or a configuration directory, whose
    /// state is shown (a directory is the state, anything else a plan file).
    #[arg(default_value = ".", value_name = "PATH")]
    pub file: PathBuf,
    #[command(flatten)]
    pub output: FormatArgs,
    /// Add the API calls in execution order (as `plan --verbose`).
    #[arg(long)]
    pub verbose: bool,
    /// With a directory: the state file (default: `sgform.state.json` in the directory).
    #[arg(long = "state", value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// With a directory, for masking: its configuration's variables, as in `state list`.
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // With `--json`, a plan file that cannot be read is one errored document on stdout.
    let json = args.output.format() == Ok(Format::Json);
    show(args).or_else(|err| failed(json, err))
}

fn show(args: Args) -> anyhow::Result<ExitCode> {
    let format = match args.output.format() {
        Ok(format) => format,
        Err(message) => return Ok(usage_error("show", &message)),
    };
    if args.file.is_dir() {
        return show_state(&args, format);
    }
    let saved = match ops::plan::read_saved(&args.file) {
        Ok(saved) => saved,
        Err(_) if !starts_as_plan_file(&args.file) => anyhow::bail!(
            "`{}` is not an sgform plan file (it does not start with `{{\"format\": \"sgform-plan\"`)\n  hint: a plan file is what `sgform plan --out FILE` writes; `sgform show DIR` shows the state of a configuration directory",
            args.file.display()
        ),
        Err(e) => return Err(e.into()),
    };
    // The planner's checks over the saved plan (none fire on a plan as `plan` saved it).
    printer::diagnostics(&saved.diagnostics, &SourceMap::new());
    printer::data(&rendered_as(&saved.file.plan, format, args.verbose, None))?;
    Ok(ExitCode::SUCCESS)
}

/// Whether `path` is readable and starts as a plan file does (else an error reading it is
/// better said as "not a plan file" than as a corrupt one).
fn starts_as_plan_file(path: &std::path::Path) -> bool {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(256);
    match std::fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head)) {
        Ok(_) => planfile::looks_like_plan_file(&head),
        // Unreadable (or missing): the op's error says so, naming it.
        Err(_) => true,
    }
}

fn show_state(args: &Args, format: Format) -> anyhow::Result<ExitCode> {
    let dir = &args.file;
    if format != Format::Text || args.verbose {
        return Ok(usage_error(
            "show",
            &format!(
                "`{}` is a directory, whose state `show` prints as text only: `--format`, `--json` and `--verbose` are for a plan file",
                dir.display()
            ),
        ));
    }
    let location = StateArgs {
        state: args.state.clone(),
    }
    .location(dir);
    let state = ops::state::list(&location)?;
    let sensitive = Sensitive::of(dir, &args.config)?;
    printer::data(&render_state(&state, &sensitive))?;
    Ok(ExitCode::SUCCESS)
}

fn render_state(state: &State, sensitive: &Sensitive) -> String {
    if state.memberships.is_empty() {
        return "No state.\n".to_owned();
    }
    let mut text = String::new();
    let mut last = None;
    // Sorted by address first, so each address's memberships are together.
    for m in &state.memberships {
        if last != Some(&m.address) {
            if last.is_some() {
                text.push('\n');
            }
            text.push_str(&format!("# {}:\n", m.address));
            last = Some(&m.address);
        }
        let provider = match &m.provider {
            Some(alias) => format!(", provider {alias}"),
            None => String::new(),
        };
        text.push_str(&format!(
            "  {} / {} ({}{provider})\n",
            sensitive.id(m.security_group_id.as_str()),
            sensitive.id(m.target.as_str()),
            m.region
        ));
    }
    text
}
