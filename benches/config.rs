//! Configuration load + expand at fleet scale: generated in memory, one `membership` block
//! with `for_each` over N instance IDs, reported as time and time per membership.
//!
//! Four shapes: the IDs come from a `set(string)` variable's default (`load_sources` evaluates
//! everything); the same with a `group_members` block listing every ID (the authority checks
//! compare each membership with it); the IDs come from a `data "instances"` source whose
//! results are handed to `Config::expand` (built by hand, as the planner would after reading
//! the cloud); or every ID is malformed, so the load reports N diagnostics and the CLI's
//! renderer prints them (issue 14: reporting must stay linear; run it at 20000 and 200000).
//!
//! Run: `cargo bench --bench config` (optional arguments: sizes, e.g. `1000 10000 100000`).
//! The targets in issue 7: 10,000 memberships under 0.2 s, 100,000 under 2 s, and growth no
//! worse than n log n.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sgform::config::{self, DataKind, DataRecord, DataResults, Inputs};

const GROUP: &str = "sg-bp1fg655nh68xyz9i4w1";

fn instance_id(k: usize) -> String {
    format!("i-bp1{k:017}")
}

/// A variable with N instance IDs as its default, and one membership per ID.
fn variable_config(n: usize) -> String {
    let mut text = String::from("variable \"ids\" {\n  type = set(string)\n  default = [\n");
    for k in 0..n {
        writeln!(text, "    \"{}\",", instance_id(k)).unwrap();
    }
    text.push_str("  ]\n}\n");
    write!(
        text,
        r#"
membership "web" {{
  for_each          = toset(var.ids)
  security_group_id = "{GROUP}"
  instance_id       = each.value
}}
"#
    )
    .unwrap();
    text
}

/// The variable-shaped configuration plus a `group_members` block for the same group listing
/// every ID, so the authority checks compare each membership with a group of N members.
fn group_config(n: usize) -> String {
    let mut text = variable_config(n);
    write!(
        text,
        r#"
group_members "web" {{
  security_group_id = "{GROUP}"
  instance_ids      = var.ids
}}
"#
    )
    .unwrap();
    text
}

/// The variable-shaped configuration with IDs no instance can have (`i-` and upper case): one
/// diagnostic per membership, so the cost of reporting is measured, not of planning.
fn unknown_config(n: usize) -> String {
    variable_config(n).replace("\"i-bp1", "\"i-BP1")
}

/// A data source whose IDs feed `for_each`; the memberships wait for `expand`.
const DATA_CONFIG: &str = r#"
locals {
  ids = toset(data.instances.web.ids)
}
data "instances" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
  tags   = { role = "web" }
}
membership "web" {
  for_each          = local.ids
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}
"#;

fn data_results(n: usize) -> DataResults {
    let records = (0..n)
        .map(|k| DataRecord {
            id: instance_id(k),
            status: "Running".to_owned(),
            vpc_id: "vpc-bp1opxu1zkhn00gzv26cm".to_owned(),
            ..DataRecord::default()
        })
        .collect();
    let mut results = DataResults::new();
    results.insert(DataKind::Instances, "web", records);
    results
}

fn files(text: String) -> Vec<(PathBuf, String)> {
    vec![(PathBuf::from("main.hcl"), text)]
}

/// Loads the variable-shaped configuration (everything is evaluated by the load).
fn run_variable(n: usize) -> Duration {
    let text = variable_config(n);
    let started = Instant::now();
    let (config, diags) = config::load_sources(files(text), &Inputs::default());
    let elapsed = started.elapsed();
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(config.declarations().len(), n);
    elapsed
}

/// Loads the configuration with `group_members` (N memberships and one group of N members).
fn run_group(n: usize) -> Duration {
    let text = group_config(n);
    let started = Instant::now();
    let (config, diags) = config::load_sources(files(text), &Inputs::default());
    let elapsed = started.elapsed();
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(config.declarations().len(), n + 1);
    elapsed
}

/// Loads the configuration whose N IDs are all malformed and renders the N diagnostics as the
/// CLI prints them (each with its snippet of the N-line file).
fn run_diagnostics(n: usize) -> Duration {
    let text = unknown_config(n);
    let started = Instant::now();
    let (config, diags) = config::load_sources(files(text), &Inputs::default());
    let shown = sgform::cli::printer::render_diagnostics(&diags, config.sources(), false);
    let elapsed = started.elapsed();
    assert_eq!(diags.len(), n, "one diagnostic per membership");
    assert!(config.declarations().is_empty());
    assert!(shown.ends_with(&format!("{n} errors found\n")));
    elapsed
}

/// Loads the data-shaped configuration and expands it with N records.
fn run_data(n: usize) -> Duration {
    let data = data_results(n);
    let started = Instant::now();
    let (config, diags) = config::load_sources(files(DATA_CONFIG.to_owned()), &Inputs::default());
    let (decls, expand_diags) = config.expand(&data);
    let elapsed = started.elapsed();
    assert!(diags.is_empty(), "{diags:#?}");
    assert!(expand_diags.is_empty(), "{expand_diags:#?}");
    assert_eq!(decls.len(), n);
    elapsed
}

/// The best of a few runs: the machine is small and shared, so the minimum is the signal.
fn best(n: usize, run: fn(usize) -> Duration) -> Duration {
    let runs = if n >= 100_000 { 2 } else { 3 };
    (0..runs).map(|_| run(n)).min().unwrap()
}

fn main() {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000, 100_000];
    }
    type Case = (&'static str, fn(usize) -> Duration);
    let cases: [Case; 4] = [
        ("load (variable)", run_variable),
        ("load (group_members)", run_group),
        ("load + expand (data)", run_data),
        ("load (n diagnostics)", run_diagnostics),
    ];
    println!(
        "{:<22} {:>9} {:>11} {:>13} {:>8}",
        "case", "n", "time", "time/n", "growth"
    );
    for (name, run) in cases {
        let mut previous: Option<(usize, f64)> = None;
        for &n in &sizes {
            let t = best(n, run).as_secs_f64();
            // How much more time per membership than at the previous size: 1.0 is linear;
            // quadratic would be the size ratio.
            let growth = previous
                .map(|(pn, pt)| format!("{:.2}", (t / n as f64) / (pt / pn as f64)))
                .unwrap_or_else(|| "-".to_owned());
            println!(
                "{name:<22} {n:>9} {:>9.3} s {:>10.2} µs {growth:>8}",
                t,
                t / n as f64 * 1e6
            );
            previous = Some((n, t));
        }
    }
}
