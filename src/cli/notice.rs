//! How the CLI shows what an op says while it runs ([`crate::ops::Notice`]): one line on
//! stderr each (diagnostics rendered), except `import`'s first line, which is on stdout.

use std::path::Path;

use crate::cli::printer;
use crate::config::generate::Stats;
use crate::ops::Notice;
use crate::plan::refresh::RefreshStats;
use crate::plan::render::text::count;

/// Shows `notice` as it comes.
pub fn show(notice: Notice<'_>) {
    match notice {
        Notice::Sandbox { world, copy } => {
            printer::status(&format!(
                "using local sandbox (no cloud calls): {world}, changes go to {copy}"
            ));
        }
        Notice::Provider {
            name,
            region,
            credentials,
            endpoint,
        } => {
            let which = match name.split_once('.') {
                Some((_, alias)) => format!("alias \"{alias}\""),
                None => "default".to_owned(),
            };
            printer::status(&format!(
                "provider \"alicloud\" ({which}): region {region}, {credentials}, endpoint {endpoint}"
            ));
        }
        Notice::WaitingForLock { timeout, holder } => printer::status(&format!(
            "Waiting up to {timeout:?} for the state lock, held by {holder}..."
        )),
        Notice::Refreshed(stats) => printer::status(&format!(
            "Refreshed {} and {} with {}{} in {:.2} s",
            count(stats.targets, "target", "targets"),
            count(stats.groups, "group", "groups"),
            count(stats.calls as usize, "API call", "API calls"),
            retries(stats),
            stats.elapsed.as_secs_f64()
        )),
        Notice::Diagnostics { list, sources } => printer::diagnostics(list, sources),
        Notice::ReadingEverything { region, provider } => printer::status(&format!(
            "No --vpc, --tag or --security-group: reading every instance and network interface in region `{region}` (provider `{provider}`)"
        )),
        Notice::Read { stats, data_calls } => printer::status(&format!(
            "Read {} and {} with {}{} in {:.2} s",
            count(stats.targets, "target", "targets"),
            count(stats.groups, "group", "groups"),
            count((stats.calls + data_calls) as usize, "API call", "API calls"),
            retries(stats),
            stats.elapsed.as_secs_f64()
        )),
        Notice::LeftOut { stats, dir } => left_out(stats, dir),
        Notice::Importing { address, id } => {
            // A closed stdout ends the output quietly; any other failure shows in the next write.
            let _ = printer::data(&format!("{address}: Importing from ID \"{id}\"...\n"));
        }
    }
}

/// ` (1 retry)`, ` (N retries)` or nothing.
fn retries(stats: &RefreshStats) -> String {
    match stats.retries {
        0 => String::new(),
        r => format!(" ({})", count(r as usize, "retry", "retries")),
    }
}

/// What `generate` left out and why.
fn left_out(stats: &Stats, dir: &Path) {
    if stats.skipped_pairs > 0 {
        let mut line = format!(
            "Skipped {} already declared in `{}`",
            count(stats.skipped_pairs, "membership", "memberships"),
            dir.display()
        );
        if !stats.skipped_blocks.is_empty() {
            const SHOWN: usize = 5;
            let mut names: Vec<String> = stats
                .skipped_blocks
                .iter()
                .take(SHOWN)
                .map(|s| format!("`{s}`"))
                .collect();
            if stats.skipped_blocks.len() > SHOWN {
                names.push(format!("and {} more", stats.skipped_blocks.len() - SHOWN));
            }
            line.push_str(&format!(
                " (no block for {}: `{}` already declares something about {})",
                names.join(", "),
                dir.display(),
                if stats.skipped_blocks.len() == 1 {
                    "it"
                } else {
                    "each"
                }
            ));
        }
        printer::status(&format!("{line}."));
    }
    if stats.service_managed_pairs > 0 {
        printer::status(&format!(
            "Left out {} of service-managed network interfaces or groups: their owning cloud service manages them.",
            count(stats.service_managed_pairs, "membership", "memberships")
        ));
    }
    if stats.renamed > 0 {
        printer::status(&format!(
            "{} named with a `_N` suffix: `{}` uses the plain name already.",
            count(stats.renamed, "block is", "blocks are"),
            dir.display()
        ));
    }
}
