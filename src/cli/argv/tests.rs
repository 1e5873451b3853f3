use super::terraform_style;
use crate::cli::Cli;
use clap::CommandFactory as _;

fn rewrite(line: &str) -> String {
    let args = std::iter::once("sgform")
        .chain(line.split(' '))
        .map(Into::into)
        .collect();
    let out: Vec<String> = terraform_style(&Cli::command(), args)
        .into_iter()
        .skip(1)
        .map(|a| a.into_string().expect("utf-8"))
        .collect();
    out.join(" ")
}

#[test]
fn single_dash_long_flags_of_the_subcommand_become_double_dash() {
    assert_eq!(
        rewrite("plan -var x=1 -var-file f.tfvars -out p -detailed-exitcode -json"),
        "plan --var x=1 --var-file f.tfvars --out p --detailed-exitcode --json"
    );
    assert_eq!(
        rewrite("apply -auto-approve -lock=false -lock-timeout=5s -parallelism 3 -refresh-only"),
        "apply --auto-approve --lock=false --lock-timeout=5s --parallelism 3 --refresh-only"
    );
    assert_eq!(
        rewrite("plan -var=env=prod -target=a.b"),
        "plan --var=env=prod --target=a.b"
    );
}

#[test]
fn global_flags_are_rewritten_before_and_after_the_subcommand() {
    assert_eq!(
        rewrite("-no-color plan -no-color"),
        "--no-color plan --no-color"
    );
    assert_eq!(
        rewrite("state list -no-color -state s.json"),
        "state list --no-color --state s.json"
    );
}

#[test]
fn flags_the_subcommand_does_not_have_are_left_to_clap() {
    assert_eq!(rewrite("validate -out x"), "validate -out x");
    assert_eq!(rewrite("fmt -lock=false"), "fmt -lock=false");
    assert_eq!(rewrite("-var x=1 plan"), "-var x=1 plan");
}

#[test]
fn short_flags_stay_short() {
    assert_eq!(rewrite("-h"), "-h");
    assert_eq!(rewrite("-V"), "-V");
    assert_eq!(rewrite("plan -h"), "plan -h");
}

#[test]
fn values_are_never_rewritten() {
    assert_eq!(rewrite("plan --var -json"), "plan --var -json");
    assert_eq!(
        rewrite("plan -var -lock=1 -json"),
        "plan --var -lock=1 --json"
    );
    assert_eq!(rewrite("plan -target -out"), "plan --target -out");
}

#[test]
fn nothing_after_a_bare_double_dash_is_rewritten() {
    assert_eq!(rewrite("plan -json -- -out"), "plan --json -- -out");
}
