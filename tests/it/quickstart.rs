//! The README's quickstart, run as written so it cannot rot: the example configuration validates
//! and is formatted, and `sgform api` reads the example world from an emulator over loopback.

use std::path::{Path, PathBuf};

use sgform::emulator::{Options, World};

use crate::support::emu_env::Emu;
use crate::support::run_sgform as sgform;

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart")
}

#[tokio::test]
async fn quickstart_configuration_validates_and_is_formatted() {
    let dir = quickstart();
    let dir = dir.to_str().unwrap();
    let validate = sgform(&["validate", dir], &[]).await;
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let fmt = sgform(&["fmt", "--check", dir], &[]).await;
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_api_call_reads_the_example_world() {
    let world = World::load(&quickstart().join("world.json")).unwrap();
    let emu = Emu::start(world, Options::default()).await;
    let out = sgform(
        &[
            "api",
            "DescribeSecurityGroups",
            "--region",
            "cn-hangzhou",
            "--endpoint",
            &emu.base,
        ],
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tExampleKey00001"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "example-secret"),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = body["SecurityGroups"]["SecurityGroup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["SecurityGroupId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"sg-bp1webexample01"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id.starts_with("sg-uf6")),
        "only cn-hangzhou groups: {ids:?}"
    );
    emu.stop().await;
}
