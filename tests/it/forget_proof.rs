//! Forget only with proof (issue 14), through the real binary against an emulator over
//! loopback. A key that sees nothing (no `ecs:DescribeInstances` in its RAM policy, which the
//! API answers with an empty list; another account's credentials; the wrong region) used to
//! make `apply` forget every managed membership: a data source fed by that key found nothing,
//! so no declaration remained, and every state entry whose target was "not found" was
//! forgotten. Now the refresh stops with an error naming the likely causes, nothing is
//! forgotten or sent, and the error's own `sgform state rm` command is the way out when the
//! targets really are gone. A target proven gone (a by-ID read does not return it while the key
//! sees the state's other targets) is still forgotten.

use sgform::ids::{Address, RegionId, SecurityGroupId, Target};
use sgform::state::{ManagedMembership, State};

use crate::support::cli_env::{ACCOUNT, CliEnv, KEY_ID, Run, SECRET, VPC, eni, group};
use crate::support::sgform;

const BASE: &str = "sg-bp1fpbase000001";
const WEB: &str = "sg-bp1fpweb0000001";
const A: &str = "i-bp1fpa0000000001";
const B: &str = "i-bp1fpb0000000001";
const GONE: &str = "i-bp1fpgone0000001";
const E1: &str = "eni-bp1fpe00000001";
const E2: &str = "eni-bp1fpe00000002";

/// A key of the same account whose RAM policy lacks `ecs:DescribeInstances`.
const BLIND_ID: &str = "LTAI5tForgetBlind0001";
const BLIND_SECRET: &str = "FORGET-BLIND-SECRET-5e1f";
/// A key of the same account whose RAM policy covers no network interface (`hidden`).
const NO_ENI_ID: &str = "LTAI5tForgetNoEni0001";
const NO_ENI_SECRET: &str = "FORGET-NOENI-SECRET-0c3b";
/// A key of the same account that sees neither `B` nor the group base (`hidden`).
const PARTIAL_ID: &str = "LTAI5tForgetPartial01";
const PARTIAL_SECRET: &str = "FORGET-PARTIAL-SECRET-9d2e";
/// A key of another account, which owns nothing.
const OTHER_ID: &str = "LTAI5tForgetOther0001";
const OTHER_SECRET: &str = "FORGET-OTHER-SECRET-77a0";

/// Every web server (by tag) joins web.
const CONFIG: &str = r#"data "instances" "web" {
  tags = { role = "web" }
}

membership "web" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = "sg-bp1fpweb0000001"
  instance_id       = each.value
}
"#;

fn world() -> sgform::emulator::World {
    let web = |id: &str| {
        serde_json::json!({"id": id, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC,
                           "security_group_ids": [BASE], "name": id, "tags": {"role": "web"}})
    };
    let file = serde_json::json!({
        "accounts": [
            {"id": ACCOUNT, "access_keys": [
                {"id": KEY_ID, "secret": SECRET},
                {"id": BLIND_ID, "secret": BLIND_SECRET, "deny_actions": ["ecs:DescribeInstances"]},
                {"id": NO_ENI_ID, "secret": NO_ENI_SECRET, "hidden": ["eni-*"]},
                {"id": PARTIAL_ID, "secret": PARTIAL_SECRET, "hidden": [B, BASE]}]},
            {"id": "2222222222222222", "access_keys": [{"id": OTHER_ID, "secret": OTHER_SECRET}]}],
        "vpcs": [{"id": VPC, "region": "cn-hangzhou", "owner": ACCOUNT}],
        "security_groups": [group(BASE), group(WEB)],
        "instances": [web(A), web(B)],
        "network_interfaces": [eni(E1, &[BASE]), eni(E2, &[BASE])],
    });
    sgform::emulator::World::from_file(serde_json::from_value(file).unwrap()).unwrap()
}

/// An emulator and a directory where A and B were joined to web with the good key.
async fn applied() -> CliEnv {
    let env = CliEnv::start(world(), CONFIG).await;
    let run = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(env.state().memberships.len(), 2);
    assert_eq!(env.groups_of(A).await, [BASE, WEB]);
    env
}

/// Runs `sgform ARGS` in the directory with the key `(id, secret)` instead of the good one.
async fn run_with(env: &CliEnv, key: (&str, &str), args: &[&str]) -> Run {
    let out = tokio::process::Command::from(sgform())
        .args(args)
        .current_dir(env.dir.path())
        .envs(env.envs())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", key.0)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", key.1)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let run = Run::from(out);
    for secret in [
        SECRET,
        BLIND_SECRET,
        OTHER_SECRET,
        NO_ENI_SECRET,
        PARTIAL_SECRET,
    ] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret leaked:\n{run}"
        );
    }
    run
}

/// The error, the likely causes and the way out, and nothing forgotten or sent.
#[track_caller]
fn assert_refused(run: &Run, region: &str, before: &State, after: &State) {
    assert_eq!(run.code, Some(1), "{run}");
    for needle in [
        "provider `alicloud` (the default) sees none of the 2 instances the state manages through it",
        &format!("DescribeInstances by ID in region `{region}` returned none of `{A}`, `{B}`"),
        "the credentials belong to another account",
        "the region is not the targets' region",
        "the RAM policy does not allow `ecs:DescribeInstances`",
        "`sgform state rm ",
    ] {
        assert!(run.stderr.contains(needle), "missing {needle:?}:\n{run}");
    }
    assert_eq!(before, after, "the state changed:\n{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_describe_instances_forgets_nothing() {
    let env = applied().await;
    let before = env.state();
    let mutations = env.mutations().await;

    // The issue's case: the data source and every by-ID read answer an empty list.
    let run = run_with(&env, (BLIND_ID, BLIND_SECRET), &["apply", "--auto-approve"]).await;
    assert_refused(&run, "cn-hangzhou", &before, &env.state());
    let run = run_with(
        &env,
        (BLIND_ID, BLIND_SECRET),
        &["destroy", "--auto-approve"],
    )
    .await;
    assert_refused(&run, "cn-hangzhou", &before, &env.state());
    let run = run_with(&env, (BLIND_ID, BLIND_SECRET), &["plan"]).await;
    assert_refused(&run, "cn-hangzhou", &before, &env.state());
    assert_eq!(env.mutations().await, mutations, "a call was sent");
    assert_eq!(env.groups_of(B).await, [BASE, WEB]);

    // With the good key again, nothing is missing and nothing changes.
    let run = env.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(run.code, Some(0), "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_key_or_the_wrong_region_forgets_nothing() {
    let env = applied().await;
    let before = env.state();

    let run = run_with(&env, (OTHER_ID, OTHER_SECRET), &["apply", "--auto-approve"]).await;
    assert_refused(&run, "cn-hangzhou", &before, &env.state());

    let hcl = std::fs::read_to_string(env.path("main.hcl")).unwrap();
    std::fs::write(
        env.path("main.hcl"),
        hcl.replace("\"cn-hangzhou\"", "\"cn-shanghai\""),
    )
    .unwrap();
    let run = env.run(&["apply", "--auto-approve"]).await;
    assert_refused(&run, "cn-shanghai", &before, &env.state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_errors_state_rm_command_is_the_way_out() {
    let env = applied().await;
    let run = run_with(&env, (BLIND_ID, BLIND_SECRET), &["apply", "--auto-approve"]).await;
    assert_eq!(run.code, Some(1), "{run}");
    let command = run
        .stderr
        .split("`sgform state rm ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no state rm command:\n{run}"));
    let addresses: Vec<&str> = command
        .split_whitespace()
        .map(|a| a.trim_matches('\''))
        .collect();
    assert_eq!(
        addresses,
        [
            format!("membership.web[\"{A}\"]"),
            format!("membership.web[\"{B}\"]")
        ]
    );
    let mut args = vec!["state", "rm"];
    args.extend(&addresses);
    let rm = env.run(&args).await;
    assert_eq!(rm.code, Some(0), "{rm}");

    // Nothing managed any more: the blind key has nothing to prove, and changes nothing.
    let run = run_with(&env, (BLIND_ID, BLIND_SECRET), &["apply", "--auto-approve"]).await;
    assert_eq!(run.code, Some(0), "{run}");
    assert!(env.state().memberships.is_empty());
    assert_eq!(env.groups_of(A).await, [BASE, WEB]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_proven_gone_is_forgotten_while_the_others_are_seen() {
    let env = applied().await;
    // The state also manages an instance the cloud does not have (deleted since).
    let mut state = env.state();
    state.memberships.insert(ManagedMembership {
        address: Address::parse(&format!("membership.web[\"{GONE}\"]")).unwrap(),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse(WEB).unwrap(),
        target: Target::parse(GONE).unwrap(),
    });
    std::fs::write(env.path("sgform.state.json"), state.to_json()).unwrap();

    let run = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("1 to forget"), "{run}");
    let left: Vec<String> = env
        .state()
        .memberships
        .iter()
        .map(|m| m.target.to_string())
        .collect();
    assert_eq!(left, [A, B]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_sees_no_network_interfaces_forgets_none_of_them() {
    let env = CliEnv::start(
        world(),
        &format!(
            r#"membership "eni" {{
  for_each             = toset(["{E1}", "{E2}"])
  security_group_id    = "{WEB}"
  network_interface_id = each.value
}}

membership "a" {{
  security_group_id = "{WEB}"
  instance_id       = "{A}"
}}
"#
        ),
    )
    .await;
    let run = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, Some(0), "{run}");
    let before = env.state();
    assert_eq!(before.memberships.len(), 3);

    // The instance is seen, the ENIs are not: that proves nothing about the ENIs.
    std::fs::write(
        env.path("main.hcl"),
        std::fs::read_to_string(env.path("main.hcl"))
            .unwrap()
            .replace(&format!("toset([\"{E1}\", \"{E2}\"])"), "toset([])"),
    )
    .unwrap();
    let run = run_with(
        &env,
        (NO_ENI_ID, NO_ENI_SECRET),
        &["apply", "--auto-approve"],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run}");
    for needle in [
        "provider `alicloud` (the default) sees none of the 2 network interfaces the state manages through it",
        &format!(
            "DescribeNetworkInterfaces by ID in region `cn-hangzhou` returned none of `{E1}`, `{E2}`"
        ),
        "the RAM policy does not allow `ecs:DescribeNetworkInterfaces`",
    ] {
        assert!(run.stderr.contains(needle), "missing {needle:?}:\n{run}");
    }
    assert_eq!(before, env.state());
    assert_eq!(env.groups_of(E1).await, [BASE, WEB]);
}

#[tokio::test]
async fn the_emulator_hides_a_keys_hidden_resources() {
    let env = CliEnv::start(world(), "").await;
    let good = env.emu.client_with((KEY_ID, SECRET));
    let partial = env.emu.client_with((PARTIAL_ID, PARTIAL_SECRET));
    let none = env.emu.client_with((NO_ENI_ID, NO_ENI_SECRET));
    let region = ("RegionId", "cn-hangzhou");
    let ids = |answer: &serde_json::Value, list: &str, item: &str, id: &str| -> Vec<String> {
        answer[list][item]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v[id].as_str().unwrap().to_owned())
            .collect()
    };

    // Listings and by-ID reads leave hidden resources out; TotalCount counts what is seen.
    let all = good.call("DescribeInstances", &[region]).await;
    assert_eq!(ids(all.ok(), "Instances", "Instance", "InstanceId"), [A, B]);
    let seen = partial.call("DescribeInstances", &[region]).await;
    assert_eq!(ids(seen.ok(), "Instances", "Instance", "InstanceId"), [A]);
    assert_eq!(seen.ok()["TotalCount"], 1);
    let by_id = format!("[\"{A}\",\"{B}\"]");
    let seen = partial
        .call("DescribeInstances", &[region, ("InstanceIds", &by_id)])
        .await;
    assert_eq!(ids(seen.ok(), "Instances", "Instance", "InstanceId"), [A]);
    let groups = partial.call("DescribeSecurityGroups", &[region]).await;
    assert_eq!(
        ids(
            groups.ok(),
            "SecurityGroups",
            "SecurityGroup",
            "SecurityGroupId"
        ),
        [WEB]
    );
    let enis = none.call("DescribeNetworkInterfaces", &[region]).await;
    assert_eq!(
        ids(
            enis.ok(),
            "NetworkInterfaceSets",
            "NetworkInterfaceSet",
            "NetworkInterfaceId"
        ),
        Vec::<String>::new()
    );

    // Any other action naming a hidden resource is refused as RAM refuses it.
    for (action, params) in [
        (
            "JoinSecurityGroup",
            [("InstanceId", B), ("SecurityGroupId", WEB)],
        ),
        (
            "JoinSecurityGroup",
            [("InstanceId", A), ("SecurityGroupId", BASE)],
        ),
    ] {
        let mut params = params.to_vec();
        params.push(region);
        let answer = partial.call(action, &params).await;
        assert_eq!(
            (answer.status, answer.code()),
            (403, "Forbidden.RAM"),
            "{params:?}"
        );
    }
    let answer = partial
        .call("DescribeInstanceAttribute", &[("InstanceId", B)])
        .await;
    assert_eq!(answer.code(), "Forbidden.RAM");
    assert_eq!(env.groups_of(A).await, [BASE]);
    assert_eq!(env.groups_of(B).await, [BASE]);
    // The world file round-trips the field, and leaves it out where it is empty.
    let file = env.emu.world().await;
    let keys = &file["accounts"][0]["access_keys"];
    assert_eq!(keys[2]["hidden"], serde_json::json!(["eni-*"]));
    assert!(keys[0].get("hidden").is_none(), "{keys:#}");
}
