use std::path::PathBuf;

use super::*;
use crate::cloud::api::{DescribeInstances, JoinSecurityGroup};
use crate::config::Inputs;
use crate::ids::{InstanceId, SecurityGroupId, Target};

fn quickstart_world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/world.json")
}

/// A configuration directory holding a checked-in copy of the quickstart world.
fn config_dir() -> (tempfile::TempDir, SandboxWorld) {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world.json");
    std::fs::copy(quickstart_world(), &world).unwrap();
    (
        dir,
        SandboxWorld {
            path: world,
            shown: "world.json".to_owned(),
        },
    )
}

fn provider() -> Provider {
    let (config, _) = crate::config::load_sources(
        vec![(
            PathBuf::from("main.hcl"),
            "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n".to_owned(),
        )],
        &Inputs::default(),
    );
    config.providers()[0].clone()
}

async fn groups_of(client: &Client, id: &str) -> Vec<String> {
    let page = client
        .send(&DescribeInstances {
            instance_ids: Some(vec![InstanceId::parse(id).unwrap()]),
            ..Default::default()
        })
        .await
        .unwrap();
    page.items[0]
        .security_group_ids
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn the_first_use_copies_the_world_and_changes_persist_only_in_the_copy() {
    let (dir, world) = config_dir();
    let original = std::fs::read_to_string(&world.path).unwrap();

    let sandbox = Sandbox::start(dir.path(), &world).await.unwrap();
    assert_eq!(sandbox.copy(), copy_path(dir.path()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".sgform/.gitignore")).unwrap(),
        "*\n"
    );
    assert!(sandbox.endpoint().starts_with("http://127.0.0.1:"));
    let client = sandbox.client(&provider()).unwrap();
    client
        .send(&JoinSecurityGroup {
            security_group_id: SecurityGroupId::parse("sg-bp1opsexample01").unwrap(),
            target: Target::parse("i-bp1app0example01").unwrap(),
        })
        .await
        .unwrap();
    sandbox.shutdown().await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&world.path).unwrap(),
        original,
        "the checked-in world is never written"
    );

    // The next run starts from the copy, so the change is still there.
    let sandbox = Sandbox::start(dir.path(), &world).await.unwrap();
    let client = sandbox.client(&provider()).unwrap();
    assert_eq!(
        groups_of(&client, "i-bp1app0example01").await,
        ["sg-bp1appexample01", "sg-bp1opsexample01"]
    );
    drop(sandbox);

    // Reset starts over from the checked-in world.
    let state = state_path(dir.path());
    std::fs::write(&state, "{}").unwrap();
    std::fs::write(crate::fsutil::with_suffix(&state, ".backup"), "{}").unwrap();
    let done = reset(dir.path(), &world, &Environment::empty()).unwrap();
    assert!(done.replaced);
    assert_eq!(done.state.as_deref(), Some(state.as_path()));
    std::fs::write(crate::fsutil::with_suffix(&state, ".journal"), "").unwrap();
    let done = reset(dir.path(), &world, &Environment::empty()).unwrap();
    assert!(done.replaced);
    for suffix in ["", ".backup", ".journal"] {
        let path = crate::fsutil::with_suffix(&state, suffix);
        assert!(!path.exists(), "{} is removed", path.display());
    }
    let sandbox = Sandbox::start(dir.path(), &world).await.unwrap();
    let client = sandbox.client(&provider()).unwrap();
    assert_eq!(
        groups_of(&client, "i-bp1app0example01").await,
        ["sg-bp1appexample01"]
    );
    sandbox.shutdown().await.unwrap();
    assert_eq!(std::fs::read_to_string(&world.path).unwrap(), original);
}

#[tokio::test]
async fn a_copy_of_another_world_is_refused_with_a_hint_to_reset() {
    let (dir, world) = config_dir();
    Sandbox::start(dir.path(), &world)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
    let other = SandboxWorld {
        path: Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/worlds/wire.json"),
        shown: "wire.json".to_owned(),
    };
    let err = Sandbox::start(dir.path(), &other).await.unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("sgform sandbox reset"), "{text}");
}

#[tokio::test]
async fn a_broken_world_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world.json");
    std::fs::write(&world, "{\"instances\": 3}").unwrap();
    let err = Sandbox::start(
        dir.path(),
        &SandboxWorld {
            path: world.clone(),
            shown: "world.json".to_owned(),
        },
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("world.json"), "{err:#}");
    assert!(!dir.path().join(LOCAL_DIR).exists());
}

#[test]
fn the_sandbox_comes_from_the_flag_or_from_every_provider() {
    let load = |hcl: &str| {
        crate::config::load_sources(
            vec![(PathBuf::from("main.hcl"), hcl.to_owned())],
            &Inputs::default(),
        )
        .0
    };
    let none = load("provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n");
    assert_eq!(sandbox_world(&none, None).unwrap(), None);
    let flag = sandbox_world(&none, Some(Path::new("w.json")))
        .unwrap()
        .unwrap();
    assert_eq!(flag.shown, "w.json");

    let one = load("provider \"alicloud\" {\n  sandbox = \"world.json\"\n}\n");
    assert_eq!(
        sandbox_world(&one, None).unwrap().unwrap().shown,
        "world.json"
    );

    let mixed = load(
        "provider \"alicloud\" {\n  sandbox = \"world.json\"\n}\nprovider \"alicloud\" {\n  alias  = \"sh\"\n  region = \"cn-shanghai\"\n}\n",
    );
    let err = sandbox_world(&mixed, None).unwrap_err().to_string();
    assert!(err.contains("`alicloud.sh` has no `sandbox`"), "{err}");
}

#[test]
fn the_world_is_shown_relative_to_where_the_command_was_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        "provider \"alicloud\" {\n  sandbox = \"world.json\"\n}\n",
    )
    .unwrap();
    let (config, _) = crate::config::load(dir.path(), &Inputs::default()).unwrap();
    let world = sandbox_world(&config, None).unwrap().unwrap();
    assert_eq!(world.path, dir.path().join("world.json"));
    assert_eq!(
        world.shown,
        dir.path().join("world.json").display().to_string()
    );
    let (config, _) = crate::config::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/quickstart")
            .as_path(),
        &Inputs::default(),
    )
    .unwrap();
    assert!(
        sandbox_world(&config, None)
            .unwrap()
            .unwrap()
            .shown
            .ends_with("examples/quickstart/world.json")
    );
}

#[test]
fn the_implicit_default_provider_follows_aliased_ones_onto_the_sandbox() {
    let (config, _) = crate::config::load_sources(
        vec![(
            PathBuf::from("main.hcl"),
            "provider \"alicloud\" {\n  alias   = \"sh\"\n  region  = \"cn-shanghai\"\n  sandbox = \"world.json\"\n}\n"
                .to_owned(),
        )],
        &Inputs::default(),
    );
    assert_eq!(
        config.providers().len(),
        2,
        "the loader adds a default provider"
    );
    assert_eq!(
        sandbox_world(&config, None).unwrap().unwrap().shown,
        "world.json"
    );
}

#[test]
fn the_source_record_is_relative_to_the_configuration_directory() {
    let (dir, world) = config_dir();
    let recorded = source_key(dir.path(), &world.path);
    assert!(!Path::new(&recorded).is_absolute(), "{recorded}");
    assert!(same_source(&recorded, dir.path(), &world.path));
    // Records made before they were relative still match.
    let canonical = std::fs::canonicalize(&world.path).unwrap();
    assert!(same_source(
        &canonical.display().to_string(),
        dir.path(),
        &world.path
    ));
    assert!(!same_source("other.json", dir.path(), &world.path));
}

#[test]
fn the_default_state_is_the_sandboxs_own_on_the_sandbox_and_state_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n",
    )
    .unwrap();
    let real = Location::for_dir(dir.path(), None);
    assert_eq!(state_location(dir.path(), None, None), real);
    let own = Location::Local(state_path(dir.path()));
    assert_eq!(
        state_location(dir.path(), None, Some(Path::new("w.json"))),
        own
    );
    let explicit = Path::new("elsewhere.json");
    assert_eq!(
        state_location(dir.path(), Some(explicit), Some(Path::new("w.json"))),
        Location::for_dir(dir.path(), Some(explicit))
    );
    std::fs::write(
        dir.path().join("main.hcl"),
        "provider \"alicloud\" {\n  sandbox = \"w.json\"\n}\n",
    )
    .unwrap();
    assert_eq!(state_location(dir.path(), None, None), own);
}

#[test]
fn the_banner_shows_an_endpoint_without_user_info_or_query() {
    for (given, shown) in [
        (
            "https://ecs.cn-hangzhou.aliyuncs.com",
            "https://ecs.cn-hangzhou.aliyuncs.com",
        ),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        (
            "https://user:hunter2@proxy.example:8443/ecs?token=abc#x",
            "https://proxy.example:8443/ecs",
        ),
        ("ecs.example.com", "ecs.example.com"),
    ] {
        assert_eq!(shown_endpoint(given), shown, "{given}");
    }
}
