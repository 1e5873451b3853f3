//! The real `sgform destroy` (and `plan --destroy`, a saved destroy plan) against an emulator
//! over loopback: every managed pair leaves and the state ends empty, a pair already gone is
//! only forgotten, the next plan joins everything again; a destroy that would leave a target
//! with no group is refused naming it, and nothing is sent; so is one without a terminal or
//! `--auto-approve`, or answered anything but `yes`.

use crate::support::cli_env::{CliEnv, KEY_ID, SECRET, eni, group, instance, world};

const BASE: &str = "sg-bp1clibase00001";
const WEB: &str = "sg-bp1cliweb000001";
const OPS: &str = "sg-bp1cliops000001";
const A: &str = "i-bp1clia000000001";
const B: &str = "i-bp1clib000000001";
const C: &str = "i-bp1clic000000001";
const E: &str = "eni-bp1clie00000001";

/// A and B join web (A also ops, through `group_members`), the ENI joins web; C is already in
/// web and only there (applying adopts it).
fn config(with_c: bool) -> String {
    let mut hcl = format!(
        r#"membership "web" {{
  for_each          = toset(["{A}", "{B}"])
  security_group_id = "{WEB}"
  instance_id       = each.value
}}

group_members "ops" {{
  security_group_id = "{OPS}"
  instance_ids      = ["{A}"]
}}

membership "eni" {{
  security_group_id    = "{WEB}"
  network_interface_id = "{E}"
}}
"#
    );
    if with_c {
        hcl.push_str(&format!(
            r#"
membership "only" {{
  security_group_id = "{WEB}"
  instance_id       = "{C}"
}}
"#
        ));
    }
    hcl
}

async fn start(with_c: bool) -> CliEnv {
    let world = world(
        vec![group(BASE), group(WEB), group(OPS)],
        vec![
            instance(A, &[BASE]),
            instance(B, &[BASE]),
            instance(C, &[WEB]),
        ],
        vec![eni(E, &[BASE])],
    );
    let env = CliEnv::start(world, &config(with_c)).await;
    let applied = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, Some(0), "{applied}");
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_leaves_every_managed_pair_forgets_gone_ones_and_plan_joins_them_again() {
    let env = start(false).await;
    assert_eq!(env.groups_of(A).await, [BASE, OPS, WEB]);
    assert_eq!(env.state().memberships.len(), 4);
    let before = env.state();

    // Behind sgform's back, B leaves web: destroying only forgets that pair.
    let left = env
        .emu
        .client_with((KEY_ID, SECRET))
        .call(
            "LeaveSecurityGroup",
            &[
                ("SecurityGroupId", WEB),
                ("InstanceId", B),
                ("RegionId", "cn-hangzhou"),
            ],
        )
        .await;
    left.ok();
    let leaves_before = env.calls("LeaveSecurityGroup").await;

    let out = env.run(&["destroy", "--auto-approve"]).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.starts_with("Destroy plan:"), "{out}");
    assert!(
        out.stdout
            .contains("Plan: 0 to join, 3 to leave, 0 to replace, 1 to forget."),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("Destroy complete! 3 left, 1 forgotten in "),
        "{out}"
    );
    // Exactly one LeaveSecurityGroup per managed pair that was still there; nothing else.
    assert_eq!(env.calls("LeaveSecurityGroup").await - leaves_before, 3);
    assert_eq!(
        env.calls("JoinSecurityGroup").await,
        4,
        "only apply's joins"
    );

    assert_eq!(env.groups_of(A).await, [BASE]);
    assert_eq!(env.groups_of(B).await, [BASE]);
    assert_eq!(env.groups_of(E).await, [BASE]);
    let after = env.state();
    assert!(after.memberships.is_empty(), "{:?}", after.memberships);
    assert_eq!(after.lineage, before.lineage);
    assert!(after.serial > before.serial);

    // The configuration still declares them: the next plan joins every one again.
    let plan = env.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(plan.code, Some(2), "{plan}");
    for (target, group) in [(A, WEB), (A, OPS), (B, WEB), (E, WEB)] {
        assert!(
            plan.stdout
                .contains(&format!("+ join  {target} to {group}")),
            "{target} {group}:\n{plan}"
        );
    }
    assert!(
        plan.stdout
            .contains("Plan: 4 to join, 0 to leave, 0 to replace."),
        "{plan}"
    );

    // Destroying again: nothing is managed, nothing to do.
    let again = env.run(&["destroy", "--auto-approve"]).await;
    assert_eq!(again.code, Some(0), "{again}");
    assert!(
        again
            .stdout
            .contains("No changes. No managed memberships to destroy."),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destroy_that_would_leave_a_target_with_no_group_is_refused_and_sends_nothing() {
    let env = start(true).await;
    // Applying adopted C's only membership: destroying would take its last group.
    assert!(
        env.state()
            .memberships
            .iter()
            .any(|m| m.target.as_str() == C && m.address.to_string() == "membership.only")
    );
    let state_before = std::fs::read(env.path("sgform.state.json")).unwrap();
    let mutations = env.mutations().await;

    let out = env.run(&["destroy", "--auto-approve"]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stdout.is_empty(), "nothing is planned on stdout: {out}");
    let err = &out.stderr;
    assert!(
        err.contains(&format!(
            "error: destroy would leave `{C}` with no security group"
        )),
        "{out}"
    );
    assert!(err.contains("= address: membership.only"), "{out}");
    assert!(err.contains("InstanceLastSecurityGroup"), "{out}");
    assert!(
        err.contains("must stay in at least one security group"),
        "{out}"
    );
    assert!(err.contains("`sgform state rm membership.only`"), "{out}");
    assert!(
        err.contains("--> main.hcl:"),
        "it points at the block: {out}"
    );
    assert_eq!(env.mutations().await, mutations, "a call was sent");
    assert_eq!(env.groups_of(C).await, [WEB]);
    assert_eq!(env.groups_of(A).await, [BASE, OPS, WEB]);
    assert_eq!(
        std::fs::read(env.path("sgform.state.json")).unwrap(),
        state_before,
        "the state changed"
    );

    // `plan --destroy` says the same, and so does a destroy of every other address's pairs
    // once C is no longer managed.
    let plan = env.run(&["plan", "--destroy"]).await;
    assert_eq!(plan.code, Some(1), "{plan}");
    assert!(plan.stderr.contains("destroy would leave"), "{plan}");
    let rm = env.run(&["state", "rm", "membership.only"]).await;
    assert_eq!(rm.code, Some(0), "{rm}");
    let out = env.run(&["destroy", "--auto-approve"]).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(
        env.groups_of(C).await,
        [WEB],
        "no longer managed: untouched"
    );
    assert_eq!(env.groups_of(A).await, [BASE]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_or_auto_approve_destroy_sends_nothing() {
    let env = start(false).await;
    let mutations = env.mutations().await;
    let calls = env.total_calls().await;
    let out = env.run(&["destroy"]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("pass `--auto-approve`"), "{out}");
    assert_eq!(env.total_calls().await, calls, "not even a refresh");
    assert_eq!(env.mutations().await, mutations);
    assert_eq!(env.state().memberships.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_yes_at_the_destroy_prompt_destroys() {
    let env = start(false).await;
    let mutations = env.mutations().await;
    let out = env.run_on_a_terminal(&["destroy"], "no\n").await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout
            .contains("Do you really want to destroy all managed memberships?"),
        "{out}"
    );
    assert!(out.stdout.contains("Only 'yes' will be accepted:"), "{out}");
    assert!(out.stdout.contains("Destroy cancelled."), "{out}");
    assert_eq!(env.mutations().await, mutations, "a call was sent");
    assert_eq!(env.state().memberships.len(), 4);

    let out = env.run_on_a_terminal(&["destroy"], "yes\n").await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("Destroy complete!"), "{out}");
    assert!(env.state().memberships.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_destroy_plan_says_so_and_applies_without_a_prompt() {
    let env = start(false).await;
    let plan = env.run(&["plan", "--destroy", "--out", "d.plan"]).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(plan.stdout.starts_with("Destroy plan:"), "{plan}");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("d.plan")).unwrap()).unwrap();
    assert_eq!(file["plan"]["destroy"], true);
    let show = env.run(&["show", "d.plan"]).await;
    assert_eq!(show.stdout, plan.stdout, "show prints what plan printed");
    let json = env.run(&["show", "d.plan", "--json"]).await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["destroy"], true);
    assert_eq!(doc["summary"]["leave"], 4);

    // A saved plan runs with stdin closed and no `--auto-approve`, as apply's do.
    let apply = env.run(&["apply", "d.plan"]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert!(apply.stdout.contains("Destroy complete! 4 left"), "{apply}");
    assert!(env.state().memberships.is_empty());
    assert_eq!(env.groups_of(A).await, [BASE]);

    // `destroy` takes a directory; a plan file goes to `apply`.
    let wrong = env.run(&["destroy", "d.plan", "--auto-approve"]).await;
    assert_eq!(wrong.code, Some(1), "{wrong}");
    assert!(wrong.stderr.contains("run `sgform apply FILE`"), "{wrong}");
    // And `plan --destroy --refresh-only` is a contradiction clap refuses.
    let both = env.run(&["plan", "--destroy", "--refresh-only"]).await;
    assert_eq!(both.code, Some(1), "{both}");
    assert!(both.stderr.contains("cannot be used with"), "{both}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_with_a_target_leaves_only_that_address() {
    let env = start(false).await;
    let out = env
        .run(&["destroy", "--auto-approve", "--target", "group_members.ops"])
        .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("Destroy complete! 1 left"), "{out}");
    assert_eq!(env.groups_of(A).await, [BASE, WEB]);
    let left: Vec<String> = env
        .state()
        .memberships
        .iter()
        .map(|m| m.address.to_string())
        .collect();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|a| a != "group_members.ops"), "{left:?}");
}
