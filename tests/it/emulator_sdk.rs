//! The official Alibaba Cloud SDKs call the emulator unchanged: the Python core SDK
//! (`CommonRequest` with a `host:port` domain over http) and Node's `@alicloud/pop-core`.
//! The scripts live in `tests/sdk/`; the pinned SDKs live in `target/sdk`, installed by the
//! idempotent `bash .ci/sdk-setup`, which these tests run themselves before the first of them
//! starts (once per test process, under a file lock so parallel runs never install at once), so
//! `cargo test --locked` on a fresh clone needs nothing done by hand.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use sgform::emulator::Options;

use crate::support::emu_env::{Emu, KEY, wire_world};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SDKs `.ci/sdk-setup` installs: where under `target/sdk`, the package, its registry,
/// and the installer the script names when an attempt fails.
const SDKS: [(&str, &str, &str, &str); 2] = [
    (
        "python",
        "aliyun-python-sdk-core",
        "PyPI",
        "python3 -m pip install",
    ),
    ("node", "@alicloud/pop-core", "npm", "npm install"),
];

/// Runs `.ci/sdk-setup` once for this test process, holding an exclusive lock on
/// `target/sdk.lock` meanwhile: a second process (another `cargo test`) waits for the first
/// and then finds everything installed. The script is idempotent, so running it again costs
/// two file checks. A failure names the registry whose SDK is missing and the command to run
/// by hand.
fn install_sdks() -> &'static Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let target = root().join("target");
        std::fs::create_dir_all(&target)
            .map_err(|e| format!("cannot create `{}`: {e}", target.display()))?;
        let lock_path = target.join("sdk.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("cannot open `{}`: {e}", lock_path.display()))?;
        lock.lock()
            .map_err(|e| format!("cannot lock `{}`: {e}", lock_path.display()))?;
        let out = Command::new("bash")
            .arg(root().join(".ci/sdk-setup"))
            .current_dir(root())
            .output()
            .map_err(|e| format!("cannot run `bash .ci/sdk-setup`: {e}"))?;
        drop(lock);
        if out.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&out.stderr);
        // The installs that failed (the script names each failed attempt), else those missing.
        let failed: Vec<_> = SDKS
            .iter()
            .filter(|(.., installer)| said.contains(&format!("failed: {installer}")))
            .collect();
        let failed = if failed.is_empty() {
            SDKS.iter()
                .filter(|(dir, ..)| !installed(&root().join("target/sdk").join(dir)))
                .collect()
        } else {
            failed
        };
        let what: Vec<String> = failed
            .iter()
            .map(|(_, package, registry, _)| format!("{package} from {registry}"))
            .collect();
        Err(format!(
            "the emulator interop tests need the official SDKs, and `.ci/sdk-setup` could not \
             install {}: is {} reachable from here (and python3 with pip, node with npm \
             installed)? Run `bash .ci/sdk-setup` by hand to retry. It said:\n{}{said}",
            if what.is_empty() {
                "them".to_owned()
            } else {
                what.join(" and ")
            },
            if failed.is_empty() {
                "the registry".to_owned()
            } else {
                failed
                    .iter()
                    .map(|(_, _, registry, _)| *registry)
                    .collect::<Vec<_>>()
                    .join(" and ")
            },
            String::from_utf8_lossy(&out.stdout),
        ))
    })
}

/// Whether `.ci/sdk-setup` finished installing into `dir` (it leaves `.installed-VERSION`).
fn installed(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".installed-"))
    })
}

/// The SDKs' directory under `target/sdk`, installed first if need be.
#[track_caller]
fn sdk(dir: &str, module: &str) -> PathBuf {
    if let Err(why) = install_sdks() {
        panic!("{why}");
    }
    let path = root().join("target/sdk").join(dir);
    assert!(
        path.join(module).exists(),
        "`{module}` is not under `{}` although `.ci/sdk-setup` succeeded: remove `{}` and run \
         `bash .ci/sdk-setup`",
        path.display(),
        path.display()
    );
    path
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
async fn interop_python_core_sdk_calls_the_emulator_unchanged() {
    let sdk = sdk("python", "aliyunsdkcore");
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
async fn interop_node_pop_core_calls_the_emulator_unchanged() {
    let modules = sdk("node", "node_modules/@alicloud/pop-core").join("node_modules");
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
