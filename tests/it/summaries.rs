//! What the real binary says it did and what it covers: summaries count every kind of change
//! (adoptions and forgets too, a destroy in its own words), a count of one reads in the
//! singular, and `--target` warns that the plan may be incomplete and names what a targeted
//! destroy covers, in its header and at its prompt.

use crate::support::cli_env::{CliEnv, group, instance, world};

const BASE: &str = "sg-bp1clibase00001";
const WEB: &str = "sg-bp1cliweb000001";
const OPS: &str = "sg-bp1cliops000001";
const A: &str = "i-bp1clia000000001";
const B: &str = "i-bp1clib000000001";

/// A alone: it joins web and is already in ops (adopted).
async fn one_target() -> CliEnv {
    let world = world(
        vec![group(BASE), group(WEB), group(OPS)],
        vec![instance(A, &[BASE, OPS])],
        vec![],
    );
    let body = format!(
        r#"membership "web" {{
  security_group_id = "{WEB}"
  instance_id       = "{A}"
}}

membership "ops" {{
  security_group_id = "{OPS}"
  instance_id       = "{A}"
}}
"#
    );
    CliEnv::start(world, &body).await
}

/// The summary line (the last non-empty line of stdout).
fn last_line(stdout: &str) -> &str {
    stdout
        .lines()
        .rev()
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

/// `… in T s (…)` with the time replaced by `T`.
fn timeless(line: &str) -> String {
    let Some((head, tail)) = line.split_once(" in ") else {
        return line.to_owned();
    };
    let rest = tail.split_once(" s").map_or("", |(_, r)| r);
    format!("{head} in T s{rest}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_each_reads_in_the_singular_and_adoptions_are_counted() {
    let env = one_target().await;
    let plan = env.run(&["plan"]).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(
        plan.stderr
            .contains("Refreshed 1 target and 3 groups with "),
        "{plan}"
    );
    let apply = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert_eq!(
        timeless(last_line(&apply.stdout)),
        "Apply complete! 1 joined, 0 left, 0 replaced, 1 adopted, 0 forgotten in T s (1 API call, 0 retries).",
        "{apply}"
    );
    // A targeted destroy: the warning, then a header and summary in a destroy's own words.
    let destroy = env
        .run(&["destroy", "--auto-approve", "--target", "membership.web"])
        .await;
    assert_eq!(destroy.code, Some(0), "{destroy}");
    assert!(
        destroy
            .stderr
            .contains("warning: targeting is in effect: this plan may be incomplete"),
        "{destroy}"
    );
    assert!(
        destroy.stdout.starts_with(
            "Destroy plan: the memberships sgform manages under `membership.web` leave, and no others; nothing joins, nothing is adopted.\n"
        ),
        "{destroy}"
    );
    assert_eq!(
        timeless(last_line(&destroy.stdout)),
        "Destroy complete! 1 left, 0 forgotten in T s (1 API call, 0 retries).",
        "{destroy}"
    );
    assert_eq!(env.groups_of(A).await, [BASE, OPS]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopt_only_apply_and_a_refresh_only_apply_count_what_they_did() {
    let world = world(
        vec![group(BASE), group(WEB)],
        vec![instance(A, &[BASE, WEB]), instance(B, &[BASE, WEB])],
        vec![],
    );
    let body = format!(
        r#"group_members "web" {{
  security_group_id = "{WEB}"
  instance_ids      = ["{A}", "{B}"]
}}
"#
    );
    let env = CliEnv::start(world, &body).await;
    let adopt = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(adopt.code, Some(0), "{adopt}");
    assert_eq!(
        timeless(last_line(&adopt.stdout)),
        "Apply complete! 0 joined, 0 left, 0 replaced, 2 adopted, 0 forgotten in T s (0 API calls, 0 retries).",
        "{adopt}"
    );
    let json = env.run(&["apply", "--auto-approve", "--json"]).await;
    assert_eq!(
        json.stdout.trim_end(),
        r#"{"type":"no_changes","version":1}"#
    );

    // B leaves web behind sgform's back: a refresh-only apply forgets it, and says so.
    env.emu
        .client_with((
            crate::support::cli_env::KEY_ID,
            crate::support::cli_env::SECRET,
        ))
        .call(
            "LeaveSecurityGroup",
            &[
                ("SecurityGroupId", WEB),
                ("InstanceId", B),
                ("RegionId", "cn-hangzhou"),
            ],
        )
        .await
        .ok();
    let refresh = env
        .run(&["apply", "--refresh-only", "--auto-approve", "--json"])
        .await;
    assert_eq!(refresh.code, Some(0), "{refresh}");
    let last: serde_json::Value = serde_json::from_str(last_line(&refresh.stdout))
        .unwrap_or_else(|e| panic!("{e}: {refresh}"));
    assert_eq!(last["type"], "complete", "{last}");
    assert_eq!(last["counts"]["forgotten"], 1, "{last}");
    assert_eq!(last["counts"]["adopted"], 0, "{last}");
    assert_eq!(last["counts"]["api_calls"], 0, "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_targeted_destroy_asks_about_what_it_covers_and_a_typo_sends_nothing() {
    let env = one_target().await;
    let apply = env
        .run(&["apply", "--auto-approve", "--target", "membership.web"])
        .await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert!(
        apply
            .stderr
            .contains("warning: targeting is in effect: this plan may be incomplete"),
        "{apply}"
    );
    assert!(
        apply.stderr.contains(
            "it covers only `membership.web`; changes the configuration asks for elsewhere are not planned"
        ),
        "{apply}"
    );
    let sent = env.mutations().await;

    let no = env
        .run_on_a_terminal(&["destroy", "--target", "membership.web"], "no\n")
        .await;
    assert!(
        no.stdout
            .contains("Do you really want to destroy the managed memberships of `membership.web`?"),
        "{no}"
    );
    assert!(
        no.stdout
            .contains("sgform will leave every membership shown above, and no others."),
        "{no}"
    );
    assert!(!no.stdout.contains("all managed memberships"), "{no}");

    let typo = env
        .run(&["destroy", "--auto-approve", "--target", "membership.wbe"])
        .await;
    assert_eq!(typo.code, Some(1), "{typo}");
    assert!(
        typo.stderr.contains(
            "error: `--target membership.wbe` matches nothing in the configuration or the state"
        ),
        "{typo}"
    );
    assert!(
        typo.stderr.contains("did you mean `membership.web`?"),
        "{typo}"
    );
    assert_eq!(env.mutations().await, sent, "a call was sent");
    assert_eq!(env.groups_of(A).await, [BASE, OPS, WEB]);
}
