//! The real binary against an emulator over loopback: a configuration directory whose provider
//! points at the emulator's endpoint, the key in the environment, an empty `HOME`. For the
//! command tests that must see exactly which calls reached the cloud (`destroy`, `import`).

use std::path::PathBuf;

use serde_json::Value;
use sgform::emulator::{Options, World};
use sgform::state::State;
use tempfile::TempDir;

use super::emu_env::Emu;
use super::sgform;

pub const ACCOUNT: &str = "1111111111111111";
pub const VPC: &str = "vpc-bp1cli00000001";
pub const KEY_ID: &str = "LTAI5tCliEnvKey00001";
/// A secret no other test uses, so a leak is found by grep.
pub const SECRET: &str = "CLI-ENV-SECRET-8c2d41";

/// A normal group of [`VPC`] with room to spare.
pub fn group(id: &str) -> Value {
    serde_json::json!({"id": id, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC,
                       "type": "normal", "name": id, "rule_count": 1, "capacity": 2000})
}

/// A running instance of [`VPC`] in `groups`.
pub fn instance(id: &str, groups: &[&str]) -> Value {
    serde_json::json!({"id": id, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC,
                       "security_group_ids": groups, "name": id})
}

/// A secondary ENI of [`VPC`] in `groups`.
pub fn eni(id: &str, groups: &[&str]) -> Value {
    serde_json::json!({"id": id, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC,
                       "security_group_ids": groups, "status": "Available"})
}

/// A world of one account with [`KEY_ID`].
pub fn world(groups: Vec<Value>, instances: Vec<Value>, enis: Vec<Value>) -> World {
    let file = serde_json::json!({
        "accounts": [{"id": ACCOUNT, "access_keys": [{"id": KEY_ID, "secret": SECRET}]}],
        "vpcs": [{"id": VPC, "region": "cn-hangzhou", "owner": ACCOUNT}],
        "security_groups": groups,
        "instances": instances,
        "network_interfaces": enis,
    });
    World::from_file(serde_json::from_value(file).unwrap()).unwrap()
}

/// What one run of the binary printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Self {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// An emulator, a configuration directory pointed at it, and an empty `HOME`.
pub struct CliEnv {
    pub emu: Emu,
    pub dir: TempDir,
    home: TempDir,
}

impl CliEnv {
    /// Starts an emulator on `world` and writes `body` after a provider block for it.
    pub async fn start(world: World, body: &str) -> CliEnv {
        CliEnv::start_with(world, body, Options::default()).await
    }

    /// [`CliEnv::start`] with the emulator's `options` (latency, faults, a rate limit).
    pub async fn start_with(world: World, body: &str, options: Options) -> CliEnv {
        let emu = Emu::start(world, options).await;
        let dir = tempfile::tempdir().unwrap();
        let provider = format!(
            "provider \"alicloud\" {{\n  region   = \"cn-hangzhou\"\n  endpoint = \"{}\"\n}}\n\n",
            emu.base
        );
        std::fs::write(dir.path().join("main.hcl"), provider + body).unwrap();
        CliEnv {
            emu,
            dir,
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The state file (`State::empty` when there is none).
    pub fn state(&self) -> State {
        sgform::state::read(&self.path("sgform.state.json")).unwrap()
    }

    /// The environment of every run: the key, an empty `HOME`.
    pub fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.path().display().to_string()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID.to_owned()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET.to_owned()),
        ]
    }

    /// Runs `sgform ARGS` in the configuration directory with stdin closed; fails the test if
    /// the secret shows up in its output.
    pub async fn run(&self, args: &[&str]) -> Run {
        let out = tokio::process::Command::from(sgform())
            .args(args)
            .current_dir(self.dir.path())
            .envs(self.envs())
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        let run = Run::from(out);
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "the secret leaked:\n{run}"
        );
        run
    }

    /// Runs `sgform ARGS` on a pseudo-terminal (util-linux `script`), typing `answer`. stdout
    /// and stderr both arrive on the returned `stdout`, as on a terminal.
    pub async fn run_on_a_terminal(&self, args: &[&str], answer: &str) -> Run {
        use tokio::io::AsyncWriteExt as _;
        let command = std::iter::once(env!("CARGO_BIN_EXE_sgform").to_owned())
            .chain(args.iter().map(|a| format!("'{a}'")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = tokio::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(self.dir.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .env("PATH", "/usr/bin:/bin")
            .envs(self.envs())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux `script` runs the prompt on a pseudo-terminal");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(answer.as_bytes()).await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Calls the emulator answered so far, by action.
    pub async fn calls(&self, action: &str) -> u64 {
        self.emu.stats().await["by_action"][action]
            .as_u64()
            .unwrap_or(0)
    }

    /// Every call the emulator answered so far.
    pub async fn total_calls(&self) -> u64 {
        self.emu.stats().await["total"].as_u64().unwrap()
    }

    /// The mutating calls (anything but Describe*) the emulator answered so far.
    pub async fn mutations(&self) -> u64 {
        let stats = self.emu.stats().await;
        stats["by_action"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(a, _)| !a.starts_with("Describe"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum()
    }

    /// The groups of a target in the emulator's world now, sorted.
    pub async fn groups_of(&self, id: &str) -> Vec<String> {
        let mut groups = self.emu.groups_of(id).await;
        groups.sort();
        groups
    }
}
