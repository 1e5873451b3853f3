//! Terraform's single-dash spellings: `-var x=1`, `-out=plan.bin`, `-lock=false`, `-json`, ...
//! are rewritten to the double-dash flags before clap parses the command line, so a Terraform
//! user's muscle memory works while `--help` shows (and clap knows) only the double-dash form.
//!
//! A `-NAME` or `-NAME=VALUE` argument is rewritten to `--NAME...` only when NAME (two
//! characters or more) is a long flag of the command being parsed at that point (its own flags,
//! the global ones of the commands above it, `--help` and `--version`), so `sgform validate -out
//! x` stays an error and clap's short flags (`-h`, `-V`) stay as they are. A value is never
//! rewritten (`--var -lock=1` keeps `-lock=1` as the variable), nor is anything after a bare
//! `--`.

use std::ffi::OsString;

/// `args` (the program name first, as `std::env::args_os` gives them) with the single-dash
/// long flags of `command` and its subcommands rewritten to their double-dash form.
pub fn terraform_style(command: &clap::Command, args: Vec<OsString>) -> Vec<OsString> {
    let mut command = command.clone();
    command.build();
    let mut out = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    out.extend(args.next());
    // The command parsed at this point, and the global flags of those above it.
    let mut current = &command;
    let mut globals: Vec<&clap::Arg> = Vec::new();
    // The previous argument was a flag whose value is the next one.
    let mut value_next = false;
    let mut rest_positional = false;
    for arg in args {
        if value_next || rest_positional {
            value_next = false;
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            rest_positional = true;
            out.push(arg);
            continue;
        }
        let long = text
            .strip_prefix("--")
            .or_else(|| text.strip_prefix('-').filter(|rest| !rest.starts_with('-')));
        let Some(long) = long else {
            // A positional: a subcommand's name moves the parse into it.
            if let Some(sub) = current.find_subcommand(text) {
                globals.extend(current.get_arguments().filter(|a| a.is_global_set()));
                current = sub;
            }
            out.push(arg);
            continue;
        };
        let (name, inline_value) = match long.split_once('=') {
            Some((name, _)) => (name, true),
            None => (long, false),
        };
        let flag = (name.chars().count() > 1)
            .then(|| {
                current
                    .get_arguments()
                    .chain(globals.iter().copied())
                    .find(|a| a.get_long() == Some(name))
            })
            .flatten();
        match flag {
            Some(flag) => {
                value_next = !inline_value && flag.get_action().takes_values();
                if text.starts_with("--") {
                    out.push(arg);
                } else {
                    out.push(format!("-{text}").into());
                }
            }
            // Not a long flag here (a short flag, or unknown): clap decides.
            None => out.push(arg),
        }
    }
    out
}

#[cfg(test)]
mod tests;
