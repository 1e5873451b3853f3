//! Golden plan cases: `testdata/plan/<case>/` holds `config/*.hcl`, `world.json` (an emulator
//! world), an optional `state.json` and an optional `args` (one per line: `--target ADDR`,
//! `--refresh-only` or `--destroy`). The configuration is refreshed against an emulator serving the world over
//! loopback and planned, through the pipeline `sgform plan` runs (`ops::plan::refresh_and_plan`),
//! and compared with:
//! - `plan.txt`: the text preview, verbose (the ordered API calls), no colour;
//! - `plan.json`: the JSON document;
//! - `diagnostics.txt`: every diagnostic (load, refresh, plan) as `validate` renders them, no
//!   colour; absent when there are none;
//! - `plan.md`, for the cases marked `markdown` (a varied subset: joins and leaves, replacement,
//!   drift, adoption, forgetting, errors, warnings, sensitive values): the Markdown of
//!   `sgform plan --format markdown`, with the diagnostics.
//!
//! A plan without errors that changes something is then applied: its operations run through
//! the emulator's `World::apply` in the plan's order and in a second topological order of its
//! DAG (latest ready first; none may be rejected in either), the state takes each
//! operation's entries plus the adoptions minus the forgotten, and planning again against the
//! resulting world must show no changes.
//!
//! `SGFORM_UPDATE_GOLDEN=1 cargo test plan_golden` rewrites the goldens; read the diff.

use std::path::{Path, PathBuf};

use sgform::cli::printer::render_diagnostics;
use sgform::config::{self, Inputs};
use sgform::diag;
use sgform::emulator::World;
use sgform::ids::Address;
use sgform::plan::PlanOptions;
use sgform::plan::render::{TextOptions, json, markdown, text};
use sgform::state::State;

use crate::diag_golden::{assert_golden, update_golden};
use crate::support::oracle;
use crate::support::refresh_env::plan_world;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Like [`assert_golden`], but an empty output means the file must not exist.
#[track_caller]
fn assert_golden_or_absent(path: &Path, actual: &str) {
    if actual.is_empty() {
        if update_golden() {
            let _ = std::fs::remove_file(path);
        }
        assert!(
            !path.exists(),
            "{} exists but the case has no diagnostics (SGFORM_UPDATE_GOLDEN=1 removes it)",
            path.display()
        );
        return;
    }
    assert_golden(path, actual);
}

pub(crate) fn options(dir: &Path) -> PlanOptions {
    let mut options = PlanOptions::default();
    let Ok(args) = std::fs::read_to_string(dir.join("args")) else {
        return options;
    };
    for line in args.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line == "--refresh-only" {
            options.refresh_only = true;
        } else if line == "--destroy" {
            options.destroy = true;
        } else if let Some(addr) = line.strip_prefix("--target ") {
            options.targets.push(Address::parse(addr.trim()).unwrap());
        } else {
            panic!("{}: unknown argument line {line:?}", dir.display());
        }
    }
    options
}

/// What `apply` waits for: every pending status transition done, nothing still being created.
pub(crate) fn settled(world: &World) -> World {
    let mut file = world.to_file();
    for i in &mut file.instances {
        i.being_created = false;
        if let Some(t) = i.transition.take() {
            i.status = t.to;
        }
    }
    for e in &mut file.network_interfaces {
        e.being_created = false;
    }
    World::from_file(file).unwrap()
}

/// A topological order of the plan's DAG that always runs the highest-numbered ready operation
/// (the plan's own order runs the lowest).
fn latest_first(plan: &sgform::plan::Plan) -> Vec<usize> {
    let n = plan.operations.len();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n)
            .rev()
            .find(|&i| !done[i] && plan.operations[i].depends_on.iter().all(|d| done[d.on]))
            .expect("the operations form a DAG");
        done[next] = true;
        order.push(next);
    }
    order
}

/// A case's configuration, loaded with paths relative to the case (`config/main.hcl`), and the
/// loader's diagnostics.
pub(crate) fn load_config(dir: &Path) -> (sgform::config::Config, Vec<diag::Diagnostic>) {
    // Display paths relative to the case (`config/main.hcl`), the same on every machine.
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    paths.sort();
    let files = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (Path::new("config").join(p.file_name().unwrap()), text)
        })
        .collect();
    config::load_sources(files, &Inputs::default())
}

/// A case's state (empty without `state.json`).
pub(crate) fn load_state(dir: &Path) -> State {
    match std::fs::read_to_string(dir.join("state.json")) {
        Ok(text) => State::from_json(&dir.join("state.json").display().to_string(), &text).unwrap(),
        Err(_) => State::empty(),
    }
}

async fn check(case: &str, with_markdown: bool) {
    let rel = Path::new("testdata/plan").join(case);
    let dir = root().join(&rel);
    assert!(
        dir.join("config").is_dir(),
        "missing {}/config",
        rel.display()
    );
    let (config, mut diags) = load_config(&dir);
    assert!(
        !diag::has_errors(&diags),
        "{}: the configuration does not load:\n{}",
        rel.display(),
        render_diagnostics(&diags, config.sources(), false)
    );
    let state = load_state(&dir);
    let options = options(&dir);
    let world = World::load(&dir.join("world.json")).unwrap();
    let account = world
        .accounts()
        .iter()
        .find(|a| !a.access_keys.is_empty())
        .expect("the world has an access key")
        .id
        .clone();

    let run = plan_world(world.clone(), &config, &state, &options).await;
    let planned = run.plan;
    // In the order `sgform plan` prints them: the loader's, the refresh's, the planner's.
    diags.extend(run.diagnostics);

    let text_options = TextOptions {
        verbose: true,
        color: false,
    };
    assert_golden(&dir.join("plan.txt"), &text::render(&planned, text_options));
    assert_golden(&dir.join("plan.json"), &json::render_string(&planned));
    assert_golden_or_absent(
        &dir.join("diagnostics.txt"),
        &render_diagnostics(&diags, config.sources(), false),
    );
    if with_markdown {
        let diagnostics = markdown::Diagnostics {
            list: &diags,
            sources: config.sources(),
        };
        assert_golden(
            &dir.join("plan.md"),
            &markdown::render(&planned, Some(diagnostics)),
        );
    }

    if diag::has_errors(&diags) || !planned.has_changes() {
        return;
    }

    // The DAG alone must make the calls legal: run them in another topological order too (the
    // latest ready operation first), as a parallel apply may.
    let mut other = settled(&world);
    for i in latest_first(&planned) {
        let op = &planned.operations[i];
        if let Err(e) = other.apply(&account, &oracle::request(op)) {
            panic!(
                "{}: in the latest-first order, operation [{i}] {} on `{}` was rejected: {e:?}",
                rel.display(),
                op.api_action(),
                op.target
            );
        }
    }

    // Apply: the operations in order against the world, once it has settled.
    let mut world = settled(&world);
    let mut state = state;
    for (i, op) in planned.operations.iter().enumerate() {
        if let Err(e) = world.apply(&account, &oracle::request(op)) {
            panic!(
                "{}: operation [{i}] {} on `{}` was rejected: {e:?}",
                rel.display(),
                op.api_action(),
                op.target
            );
        }
        for m in &op.state_remove {
            state.memberships.remove(m);
        }
        state.memberships.extend(op.state_add.iter().cloned());
    }
    for (target, change) in &planned.targets {
        let mut now: Vec<&str> = world
            .groups_of(target.as_str())
            .unwrap_or_default()
            .iter()
            .map(String::as_str)
            .collect();
        let mut want: Vec<&str> = change.after.iter().map(|g| g.as_str()).collect();
        now.sort_unstable();
        want.sort_unstable();
        assert_eq!(
            now,
            want,
            "{}: `{target}` did not end with the planned groups",
            rel.display()
        );
    }
    state.memberships.extend(planned.adopt.iter().cloned());
    for m in &planned.forget {
        state.memberships.remove(m);
    }
    state.serial += 1;

    // Planning again against the resulting world changes nothing.
    let run = plan_world(world, &config, &state, &options).await;
    let (again, again_diags) = (run.plan, run.diagnostics);
    assert!(
        !again.has_changes() && !diag::has_errors(&again_diags),
        "{}: planning again after applying is not empty:\n{}\n{}",
        rel.display(),
        text::render(&again, text_options),
        render_diagnostics(&again_diags, config.sources(), false)
    );
}

macro_rules! plan_case {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            check(stringify!($name), false).await;
        }
    };
    ($name:ident, markdown) => {
        #[tokio::test]
        async fn $name() {
            check(stringify!($name), true).await;
        }
    };
}

plan_case!(acl_limit_exceeded);
plan_case!(adoption_of_existing_pair);
plan_case!(aliased_provider_joins_in_its_region);
plan_case!(another_account);
plan_case!(authority_conflict_after_data_sources);
plan_case!(capacity_freed_by_replace, markdown);
plan_case!(capacity_swap_breaks_before_make);
plan_case!(capacity_two_for_two);
plan_case!(classic_instance_set_pairwise);
plan_case!(classic_rule_limit_has_no_path);
plan_case!(classic_type_switch_has_no_path);
plan_case!(cycle);
plan_case!(cycle_through_depends_on);
plan_case!(depends_on_orders_blocks);
plan_case!(destroy_leaves_managed_pairs, markdown);
plan_case!(destroy_refuses_last_group);
plan_case!(drift_planned_back, markdown);
plan_case!(drift_target_deleted);
plan_case!(empty_data_allow_empty);
plan_case!(empty_data_destroy_not_blocked);
plan_case!(empty_data_empties_for_each);
plan_case!(empty_data_feeds_group_members);
plan_case!(empty_data_feeds_nothing_managed);
plan_case!(eni_primary_is_refused);
plan_case!(eni_secondary_joins);
plan_case!(eni_state);
plan_case!(enterprise_not_supported);
plan_case!(first_join);
plan_case!(five_for_five_others);
plan_case!(five_for_five_others_pairwise);
plan_case!(for_each_over_data_source);
plan_case!(forget_key_sees_nothing, markdown);
plan_case!(forget_target_gone_by_id);
plan_case!(forget_unlisted_target_found_by_id);
plan_case!(full_group_leaves_before_joins_across_targets, markdown);
plan_case!(group_capacity_exceeded, markdown);
plan_case!(group_members_authoritative, markdown);
plan_case!(group_not_found);
plan_case!(instance_status, markdown);
plan_case!(last_group);
plan_case!(locked_for_security, markdown);
plan_case!(membership_set_with_ignore);
plan_case!(mixed_group_types);
plan_case!(normal_to_enterprise_switch_replaces, markdown);
plan_case!(refresh_only_forgets_drift, markdown);
plan_case!(region_mismatch);
plan_case!(removed_from_config_leaves);
plan_case!(removed_set_would_leave_no_group);
plan_case!(renamed_declaration_moves_state);
plan_case!(rule_limit_swap_replaces);
plan_case!(sensitive_group_not_found, markdown);
plan_case!(sensitive_values, markdown);
plan_case!(service_managed_eni);
plan_case!(service_managed_group);
plan_case!(state_provider_removed);
plan_case!(swap_at_cap_leaves_first);
plan_case!(swap_one_for_one_joins_first, markdown);
plan_case!(target_not_found);
plan_case!(target_selects_one_address);
plan_case!(too_many_groups);
plan_case!(trunk_eni);
plan_case!(two_providers_share_a_group);
plan_case!(vpc_mismatch);

/// Every directory under `testdata/plan/` has its `plan_case!` line, so no case is forgotten.
#[test]
fn every_plan_dir_has_a_case() {
    let source = std::fs::read_to_string(root().join("tests/it/plan_golden.rs")).unwrap();
    let mut missing = Vec::new();
    let mut stale_markdown = Vec::new();
    for entry in std::fs::read_dir(root().join("testdata/plan")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let markdown = source.contains(&format!("plan_case!({name}, markdown);"));
        if !markdown && !source.contains(&format!("plan_case!({name});")) {
            missing.push(name.clone());
        }
        // A `plan.md` nothing compares would rot unseen.
        if !markdown && entry.path().join("plan.md").exists() {
            stale_markdown.push(name);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "add `plan_case!(NAME);` for: {missing:?}"
    );
    stale_markdown.sort();
    assert!(
        stale_markdown.is_empty(),
        "mark these `plan_case!(NAME, markdown);` or remove their plan.md: {stale_markdown:?}"
    );
}
