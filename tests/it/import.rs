//! The real `sgform import ADDR ID` against an emulator over loopback (and the quickstart
//! through the sandbox): a declared, existing pair is written to the state with one Describe
//! call and no mutation, then listed and no longer adopted by `plan`; an undeclared address, an
//! ID the address does not declare, a malformed ID, a pair absent from the cloud, a pair
//! already managed and a locked state are each refused with an error naming what is wrong,
//! and leave the state as it was.

use std::path::Path;

use sgform::ids::{Address, RegionId, SecurityGroupId, Target};
use sgform::state::{ManagedMembership, State};

use crate::support::cli_env::{CliEnv, Run, eni, group, instance, world};

const BASE: &str = "sg-bp1clibase00001";
const WEB: &str = "sg-bp1cliweb000001";
const NONE: &str = "sg-bp1clinone00001";
const A: &str = "i-bp1clia000000001";
const B: &str = "i-bp1clib000000001";
const GHOST: &str = "i-bp1cliz000000001";
const E: &str = "eni-bp1clie00000001";

fn web(t: &str) -> String {
    format!(r#"membership.web["{t}"]"#)
}

async fn start() -> CliEnv {
    let world = world(
        vec![group(BASE), group(WEB)],
        vec![instance(A, &[BASE, WEB]), instance(B, &[BASE])],
        vec![eni(E, &[BASE, WEB])],
    );
    let hcl = format!(
        r#"membership "web" {{
  for_each          = toset(["{A}", "{B}"])
  security_group_id = "{WEB}"
  instance_id       = each.value
}}

membership "eni" {{
  security_group_id    = "{WEB}"
  network_interface_id = "{E}"
}}

membership "ghost" {{
  security_group_id = "{WEB}"
  instance_id       = "{GHOST}"
}}

membership "nogroup" {{
  security_group_id = "{NONE}"
  instance_id       = "{B}"
}}
"#
    );
    CliEnv::start(world, &hcl).await
}

/// Fails unless the run was refused (exit 1), with `needles` on stderr, nothing written to the
/// state and no mutation sent.
#[track_caller]
fn assert_refused(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, Some(1), "{run}");
    for n in needles {
        assert!(run.stderr.contains(n), "missing {n:?}:\n{run}");
    }
    assert!(!run.stdout.contains("Import successful!"), "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_an_existing_pair_with_one_describe_call() {
    let env = start().await;
    let address = web(A);
    let out = env.run(&["import", &address, &format!("{WEB}/{A}")]).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stdout
            .contains(&format!("{address}: Importing from ID \"{WEB}/{A}\"...")),
        "{out}"
    );
    assert!(out.stdout.contains("\nImport successful!\n"), "{out}");
    assert!(
        out.stdout.contains(&format!("Imported {A} in {WEB}")),
        "{out}"
    );
    assert_eq!(env.total_calls().await, 1, "one Describe call");
    assert_eq!(env.calls("DescribeInstances").await, 1);
    let state = env.state();
    assert_eq!(state.serial, 1);
    assert!(!state.lineage.is_empty());
    assert_eq!(
        state.memberships.iter().collect::<Vec<_>>(),
        [&ManagedMembership {
            address: Address::parse(&address).unwrap(),
            provider: None,
            region: RegionId::parse("cn-hangzhou").unwrap(),
            security_group_id: SecurityGroupId::parse(WEB).unwrap(),
            target: Target::parse(A).unwrap(),
        }]
    );

    // An ENI, into a state that now exists: serial + 1, the previous version backed up.
    let out = env
        .run(&["import", "membership.eni", &format!("{WEB}/{E}")])
        .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(env.calls("DescribeNetworkInterfaces").await, 1);
    assert_eq!(env.state().serial, 2);
    assert!(env.path("sgform.state.json.backup").exists());

    let list = env.run(&["state", "list"]).await;
    assert_eq!(
        list.stdout,
        format!("membership.eni\t{WEB}/{E}\n{address}\t{WEB}/{A}\n"),
        "{list}"
    );
    // The plan adopts neither any more (B still joins; nothing is sent by import).
    let plan = env
        .run(&[
            "plan",
            "--target",
            "membership.web",
            "--target",
            "membership.eni",
        ])
        .await;
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(!plan.stdout.contains("adopt"), "{plan}");
    assert!(
        plan.stdout.contains(&format!("+ join  {B} to {WEB}")),
        "{plan}"
    );
    assert_eq!(env.mutations().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_an_undeclared_address_without_a_call() {
    let env = start().await;
    let id = format!("{WEB}/{A}");
    let out = env.run(&["import", &web("i-bp1clix000000001"), &id]).await;
    assert_refused(
        &out,
        &[
            r#"`membership.web["i-bp1clix000000001"]` is not declared in the configuration"#,
            &format!("`membership.web` declares `{}`, `{}`", web(A), web(B)),
        ],
    );
    let out = env.run(&["import", "membership.web", &id]).await;
    assert_refused(
        &out,
        &[
            "`membership.web` is not declared",
            &format!("name one instance with its key, e.g. `{}`", web(A)),
        ],
    );
    let out = env.run(&["import", "membership.nothere", &id]).await;
    assert_refused(
        &out,
        &["`membership.nothere` is not declared", "declare it first"],
    );
    let out = env.run(&["import", "not an address", &id]).await;
    assert_refused(&out, &["invalid address `not an address`"]);
    assert_eq!(env.total_calls().await, 0);
    assert!(!env.path("sgform.state.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_an_id_the_address_does_not_declare() {
    let env = start().await;
    let out = env.run(&["import", &web(A), &format!("{WEB}/{B}")]).await;
    assert_refused(
        &out,
        &[
            &format!("`{}` does not declare the membership `{WEB}/{B}`", web(A)),
            &format!("it declares the membership of `{A}` in `{WEB}`"),
            "--> main.hcl:",
        ],
    );
    let out = env
        .run(&["import", "membership.eni", &format!("{BASE}/{E}")])
        .await;
    assert_refused(
        &out,
        &[&format!("it declares the membership of `{E}` in `{WEB}`")],
    );
    assert_eq!(env.total_calls().await, 0);
    assert!(!env.path("sgform.state.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_a_malformed_id() {
    let env = start().await;
    for (id, why) in [
        (WEB.to_owned(), "it has no `/`"),
        (
            format!("{WEB}/vm-1"),
            "`vm-1` is not a valid instance or network interface ID",
        ),
        (format!("{A}/{WEB}"), "invalid import ID"),
    ] {
        let out = env.run(&["import", &web(A), &id]).await;
        assert_refused(
            &out,
            &[&format!("invalid import ID `{id}`"), why, "`sg-…/i-…`"],
        );
    }
    assert_eq!(env.total_calls().await, 0);
    assert!(!env.path("sgform.state.json").exists());
    assert!(
        !env.path(".sgform/locks/sgform.state.json.lock").exists(),
        "refused before taking the lock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_a_pair_absent_from_the_cloud_naming_the_id() {
    let env = start().await;
    // B exists but is not in web.
    let out = env.run(&["import", &web(B), &format!("{WEB}/{B}")]).await;
    assert_refused(
        &out,
        &[
            &format!("`{B}` is not a member of `{WEB}`"),
            &format!("no membership `{WEB}/{B}` to import"),
            &format!("its groups now: `{BASE}`"),
            "to create it, run `sgform apply`",
        ],
    );
    // The target does not exist.
    let out = env
        .run(&["import", "membership.ghost", &format!("{WEB}/{GHOST}")])
        .await;
    assert_refused(
        &out,
        &[
            &format!("instance `{GHOST}` does not exist"),
            "InvalidInstanceId.NotFound",
        ],
    );
    // The group does not exist.
    let out = env
        .run(&["import", "membership.nogroup", &format!("{NONE}/{B}")])
        .await;
    assert_refused(
        &out,
        &[
            &format!("security group `{NONE}` does not exist"),
            "InvalidSecurityGroupId.NotFound",
        ],
    );
    assert_eq!(env.mutations().await, 0);
    assert!(!env.path("sgform.state.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_a_pair_already_managed_naming_its_address() {
    let env = start().await;
    let ok = env.run(&["import", &web(A), &format!("{WEB}/{A}")]).await;
    assert_eq!(ok.code, Some(0), "{ok}");
    let again = env.run(&["import", &web(A), &format!("{WEB}/{A}")]).await;
    assert_refused(
        &again,
        &[&format!(
            "`{WEB}/{A}` is already managed by `{}`: there is nothing to import",
            web(A)
        )],
    );

    // The same pair under an address whose declaration is gone: named, with the way out.
    let mut state = env.state();
    state.memberships.clear();
    state.memberships.insert(ManagedMembership {
        address: Address::parse("membership.old").unwrap(),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse(WEB).unwrap(),
        target: Target::parse(A).unwrap(),
    });
    std::fs::write(env.path("sgform.state.json"), state.to_json()).unwrap();
    let calls = env.total_calls().await;
    let other = env.run(&["import", &web(A), &format!("{WEB}/{A}")]).await;
    assert_refused(
        &other,
        &[
            &format!("`{WEB}/{A}` is already managed, by `membership.old`"),
            "run `sgform state rm membership.old` first",
        ],
    );
    assert_eq!(env.total_calls().await, calls, "refused before any call");
    assert_eq!(env.state(), state, "the state is unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_on_a_locked_state_fails_naming_the_holder() {
    use std::io::BufRead as _;
    let env = start().await;
    let mut holder = crate::support::sgform()
        .args(["state", "hold-lock"])
        .current_dir(env.dir.path())
        .env("USER", "carol")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let out = env.run(&["import", &web(A), &format!("{WEB}/{A}")]).await;
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_refused(&out, &["is locked by carol@", "--lock-timeout"]);
    assert_eq!(env.total_calls().await, 0);
    assert_eq!(env.state(), State::empty());
}

/// The quickstart's `membership.web_ops` takes its keys from a data source: import reads it
/// through the sandbox, as `plan` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reads_data_sources_for_keys_that_come_from_one() {
    let dir = tempfile::tempdir().unwrap();
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(quickstart.join(name), dir.path().join(name)).unwrap();
    }
    let run = |args: &'static [&'static str]| {
        let mut cmd = tokio::process::Command::from(crate::support::sgform());
        cmd.current_dir(dir.path()).args(args);
        async move { cmd.output().await.unwrap() }
    };
    let address = r#"membership.web_ops["i-bp1web0example01"]"#;
    let out = run(&[
        "import",
        r#"membership.web_ops["i-bp1web0example01"]"#,
        "sg-bp1opsexample01/i-bp1web0example01",
    ])
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Import successful!"), "{text}");
    let plan = run(&["plan"]).await;
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(
        !plan.contains(&format!("# {address} will be adopted")),
        "{plan}"
    );
    // The data source still gives the other keys.
    assert!(
        plan.contains(r#"# membership.web_ops["i-bp1web0example02"] will join"#),
        "{plan}"
    );
}
