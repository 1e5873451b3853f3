//! `plan` and `apply` say once, on stderr, where each provider's client goes: region, where the
//! credentials come from (a profile's name or the environment variable, never a key or a
//! secret) and the endpoint; never on `--json`'s stdout. The sandbox says so in its own line.

use crate::support::cli_env::{self, CliEnv, KEY_ID, SECRET};
use crate::support::sgform;

const GROUP: &str = "sg-bp1banner000001";
const OTHER: &str = "sg-bp1banner000002";
const VM: &str = "i-bp1banner0000001";

async fn env() -> CliEnv {
    let world = cli_env::world(
        vec![cli_env::group(GROUP), cli_env::group(OTHER)],
        vec![cli_env::instance(VM, &[OTHER])],
        vec![],
    );
    CliEnv::start(
        world,
        &format!("membership \"web\" {{\n  security_group_id = \"{GROUP}\"\n  instance_id       = \"{VM}\"\n}}\n"),
    )
    .await
}

fn banner_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("provider \"alicloud\""))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_and_apply_name_each_providers_region_credentials_and_endpoint_once() {
    let env = env().await;
    let expected = format!(
        "provider \"alicloud\" (default): region cn-hangzhou, credentials from ALIBABA_CLOUD_ACCESS_KEY_ID, endpoint {}",
        env.emu.base
    );
    let plan = env.run(&["plan"]).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    assert_eq!(banner_lines(&plan.stderr), [expected.as_str()], "{plan}");
    assert!(!plan.stdout.contains("provider \"alicloud\" ("), "{plan}");
    assert!(!plan.stderr.contains(KEY_ID), "{plan}");

    // `--json`: stdout is the JSON document alone; the line stays on stderr.
    let json = env.run(&["plan", "--json"]).await;
    assert_eq!(json.code, Some(0), "{json}");
    serde_json::from_str::<serde_json::Value>(&json.stdout).expect("stdout is one JSON document");
    assert_eq!(banner_lines(&json.stderr), [expected.as_str()], "{json}");

    let apply = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert_eq!(banner_lines(&apply.stderr), [expected.as_str()], "{apply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_is_named_and_an_alias_gets_its_own_line() {
    let env = env().await;
    // A second, aliased provider in another region, through the same endpoint.
    let main = std::fs::read_to_string(env.path("main.hcl")).unwrap();
    std::fs::write(
        env.path("main.hcl"),
        main + &format!(
            "provider \"alicloud\" {{\n  alias    = \"sh\"\n  region   = \"cn-shanghai\"\n  endpoint = \"{}\"\n}}\n",
            env.emu.base
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aliyun")).unwrap();
    std::fs::write(
        home.path().join(".aliyun/config.json"),
        serde_json::json!({"current": "ci", "profiles": [{"name": "ci", "mode": "AK",
            "access_key_id": KEY_ID, "access_key_secret": SECRET}]})
        .to_string(),
    )
    .unwrap();
    let out = sgform()
        .current_dir(env.dir.path())
        .arg("plan")
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        banner_lines(&stderr),
        [
            format!(
                "provider \"alicloud\" (default): region cn-hangzhou, profile ci, endpoint {}",
                env.emu.base
            ),
            format!(
                "provider \"alicloud\" (alias \"sh\"): region cn-shanghai, profile ci, endpoint {}",
                env.emu.base
            ),
        ],
        "{stderr}"
    );
    assert!(
        !stderr.contains(SECRET) && !stderr.contains(KEY_ID),
        "{stderr}"
    );
}

#[test]
fn the_sandbox_keeps_its_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cli_fixture");
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(fixture.join(name), dir.path().join(name)).unwrap();
    }
    let out = sgform()
        .current_dir(dir.path())
        .arg("plan")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("using local sandbox") || l.starts_with("provider "))
            .collect::<Vec<_>>(),
        [
            "using local sandbox (no cloud calls): world.json, changes go to .sgform/sandbox-world.json"
        ],
        "{stderr}"
    );
}
