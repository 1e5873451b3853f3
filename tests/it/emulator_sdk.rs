//! The official Alibaba Cloud SDKs call the emulator unchanged: the Python core SDK
//! (`CommonRequest` with a `host:port` domain over http) and Node's `@alicloud/pop-core`.
//! The scripts live in `tests/sdk/`; the SDKs are installed into `target/sdk` by
//! `bash .ci/sdk-setup` (CI runs it before the tests).

use std::path::{Path, PathBuf};

use serde_json::Value;
use sgform::emulator::Options;

use crate::support::emu_env::{Emu, KEY, wire_world};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
fn require(path: &Path, what: &str) {
    assert!(
        path.exists(),
        "{what} is not installed at `{}`: run `bash .ci/sdk-setup` first",
        path.display()
    );
}

/// Runs an SDK script against the emulator and returns its JSON lines by call name.
async fn run(program: &str, script: &str, env: (&str, PathBuf), endpoint: &str) -> Vec<Value> {
    let out = tokio::process::Command::new(program)
        .arg(root().join("tests/sdk").join(script))
        .args([endpoint, KEY.0, KEY.1])
        .env(env.0, env.1)
        .output()
        .await
        .unwrap_or_else(|e| panic!("failed to run `{program}`: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn find<'a>(lines: &'a [Value], call: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["call"] == call)
        .unwrap_or_else(|| panic!("no `{call}` in {lines:#?}"))
}

#[tokio::test]
async fn python_core_sdk_calls_the_emulator_unchanged() {
    let sdk = root().join("target/sdk/python");
    require(&sdk.join("aliyunsdkcore"), "aliyun-python-sdk-core");
    let emu = Emu::start(wire_world(), Options::default()).await;
    let endpoint = emu.base.trim_start_matches("http://").to_owned();
    let lines = run(
        "python3",
        "python_client.py",
        ("PYTHONPATH", sdk),
        &endpoint,
    )
    .await;

    let regions = find(&lines, "regions");
    assert_eq!(regions["ok"], true, "{regions}");
    assert_eq!(
        regions["body"]["Regions"]["Region"][0]["RegionId"],
        "cn-hangzhou"
    );
    let describe = find(&lines, "describe");
    assert_eq!(
        describe["body"]["Instances"]["Instance"][0]["InstanceId"],
        "i-bp1web000000001"
    );
    assert_eq!(find(&lines, "join")["ok"], true);
    let again = find(&lines, "join_again");
    assert_eq!(again["ok"], false);
    assert_eq!(again["status"], 403);
    assert_eq!(again["code"], "InvalidInstanceId.AlreadyExists");
    assert!(again["request_id"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(find(&lines, "modify_eni")["ok"], true);
    assert_eq!(
        emu.groups_of("i-bp1web000000001").await,
        ["sg-bp1web00000001", "sg-bp1app00000001"]
    );
    assert_eq!(
        emu.groups_of("eni-bp1sec00000002").await,
        ["sg-bp1db000000001", "sg-bp1web00000001"]
    );
    emu.stop().await;
}

#[tokio::test]
async fn node_pop_core_calls_the_emulator_unchanged() {
    let modules = root().join("target/sdk/node/node_modules");
    require(&modules.join("@alicloud/pop-core"), "@alicloud/pop-core");
    let emu = Emu::start(wire_world(), Options::default()).await;
    let endpoint = emu.base.trim_start_matches("http://").to_owned();
    let lines = run("node", "node_client.js", ("NODE_PATH", modules), &endpoint).await;

    assert_eq!(find(&lines, "regions")["ok"], true);
    let groups = &find(&lines, "groups")["body"]["SecurityGroups"]["SecurityGroup"];
    assert_eq!(groups[1]["SecurityGroupType"], "enterprise");
    assert_eq!(find(&lines, "leave")["ok"], true);
    let last = find(&lines, "leave_last");
    assert_eq!(last["ok"], false);
    assert_eq!(last["code"], "InstanceLastSecurityGroup");
    assert_eq!(
        find(&lines, "modify")["ok"],
        true,
        "{:#}",
        find(&lines, "modify")
    );
    assert_eq!(
        emu.groups_of("i-bp1two000000001").await,
        ["sg-bp1web00000001"]
    );
    assert_eq!(
        emu.groups_of("i-bp1modify000001").await,
        ["sg-bp1ent00000001", "sg-bp1ent00000002"]
    );
    emu.stop().await;
}
