//! `plan::refresh` against the emulator over loopback: the call budget counted by the emulator's
//! `/_emulator/stats`, and the facts it reads.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sgform::config::{self, Config, Inputs};
use sgform::emulator::generate::{GENERATED_KEY_ID, GENERATED_KEY_SECRET};
use sgform::emulator::{GenerateOptions, Options, World, WorldFile, generate};
use sgform::ids::SecurityGroupId;
use sgform::plan::refresh::{self, Clients};
use sgform::plan::{GroupType, Inventory};
use sgform::state::State;

use crate::support::emu_env::Emu;
use crate::support::refresh_env::{client, refresh_world};

#[track_caller]
fn config(hcl: &str) -> Config {
    let (config, diags) = config::load_sources(
        vec![(PathBuf::from("main.hcl"), hcl.to_owned())],
        &Inputs::default(),
    );
    assert!(
        !sgform::diag::has_errors(&diags),
        "the test configuration has errors: {diags:#?}"
    );
    config
}

fn hcl_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = ids.into_iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn ceil100(n: usize) -> u64 {
    n.div_ceil(100) as u64
}

fn generated(instances: usize, enis: usize, groups: usize) -> World {
    generate(&GenerateOptions {
        instances,
        enis,
        groups,
        vpcs: None,
        regions: 1,
        seed: 7,
    })
    .unwrap()
}

/// Every instance and ENI of the world as targets of `membership` blocks.
fn every_target_config(file: &WorldFile, extra: &str) -> String {
    let group = &file.security_groups[0].id;
    format!(
        r#"
provider "alicloud" {{
  region = "cn-hangzhou"
}}
locals {{
  instances = {}
  enis      = {}
}}
membership "i" {{
  for_each          = toset(local.instances)
  security_group_id = "{group}"
  instance_id       = each.value
}}
membership "e" {{
  for_each             = toset(local.enis)
  security_group_id    = "{group}"
  network_interface_id = each.value
}}
{extra}
"#,
        hcl_list(file.instances.iter().map(|i| i.id.as_str())),
        hcl_list(file.network_interfaces.iter().map(|e| e.id.as_str())),
    )
}

/// The groups the refresh must describe: declared plus every current group of every target.
fn involved_groups(file: &WorldFile, declared: &[&str]) -> BTreeSet<String> {
    file.instances
        .iter()
        .flat_map(|i| i.security_group_ids.iter().cloned())
        .chain(
            file.network_interfaces
                .iter()
                .flat_map(|e| e.security_group_ids.iter().cloned()),
        )
        .chain(declared.iter().map(|g| (*g).to_owned()))
        .collect()
}

fn count(stats: &serde_json::Value, action: &str) -> u64 {
    stats["by_action"][action].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn refresh_keeps_the_call_budget_on_a_generated_world() {
    let world = generated(250, 150, 120);
    let file = world.to_file();
    let config = config(&every_target_config(&file, ""));
    let groups = involved_groups(&file, &[file.security_groups[0].id.as_str()]);
    assert!(groups.len() > 100, "the world should need two group calls");

    let (refreshed, stats) = refresh_world(world, &config, &State::empty()).await;

    // ⌈250/100⌉ + ⌈150/100⌉ + ⌈groups/100⌉, counted by the emulator.
    assert_eq!(count(&stats, "DescribeInstances"), 3, "{stats:#}");
    assert_eq!(count(&stats, "DescribeNetworkInterfaces"), 2, "{stats:#}");
    assert_eq!(
        count(&stats, "DescribeSecurityGroups"),
        ceil100(groups.len())
    );
    assert_eq!(stats["total"].as_u64(), Some(3 + 2 + 2));
    assert_eq!(
        refreshed.stats.calls, 7,
        "refresh counts what the emulator saw"
    );
    assert_eq!(refreshed.stats.retries, 0);
    assert_eq!(refreshed.stats.targets, 400);
    assert_eq!(refreshed.stats.groups, groups.len());
    assert!(
        refreshed.diagnostics.is_empty(),
        "{:#?}",
        refreshed.diagnostics
    );
    assert_eq!(refreshed.declarations.len(), 400);
    check_facts(&refreshed.inventory, &file);
}

#[tokio::test]
async fn data_sources_and_group_members_cost_their_pages_and_nothing_more() {
    let world = generated(250, 150, 120);
    let file = world.to_file();
    // A group with members among instances and secondary ENIs.
    let member_group = file
        .security_groups
        .iter()
        .max_by_key(|g| {
            file.network_interfaces
                .iter()
                .filter(|e| e.security_group_ids.contains(&g.id))
                .count()
        })
        .unwrap()
        .id
        .clone();
    let extra = format!(
        r#"
data "instances" "web" {{
  tags = {{ role = "web" }}
}}
data "network_interfaces" "named" {{
  tags       = {{ role = "db" }}
  name_regex = "^nothing-has-this-name$"
}}
group_members "g" {{
  security_group_id = "{member_group}"
  instance_ids      = []
}}
membership "web" {{
  for_each          = toset(data.instances.web.ids)
  security_group_id = "{member_group}"
  instance_id       = each.value
}}
"#
    );
    let config = config(&every_target_config(&file, &extra));
    let web: BTreeSet<&str> = file
        .instances
        .iter()
        .filter(|i| i.tags.get("role").map(String::as_str) == Some("web"))
        .map(|i| i.id.as_str())
        .collect();
    let member_instances: BTreeSet<&str> = file
        .instances
        .iter()
        .filter(|i| i.security_group_ids.contains(&member_group))
        .map(|i| i.id.as_str())
        .collect();
    let member_enis: BTreeSet<&str> = file
        .network_interfaces
        .iter()
        .filter(|e| e.eni_type != "Primary" && e.security_group_ids.contains(&member_group))
        .map(|e| e.id.as_str())
        .collect();
    assert!(!web.is_empty() && !member_instances.is_empty() && !member_enis.is_empty());
    let groups = involved_groups(&file, &[file.security_groups[0].id.as_str(), &member_group]);

    let (refreshed, stats) = refresh_world(world, &config, &State::empty()).await;

    let pages = |n: usize| ceil100(n).max(1);
    // Instances already read by the data source or the member listing are not described again.
    let seen: BTreeSet<&str> = web.union(&member_instances).copied().collect();
    let expected_instances =
        pages(web.len()) + pages(member_instances.len()) + ceil100(250 - seen.len());
    // The ENI data source lists the `db` ENIs before its regex matches none of them; they are
    // not described again.
    let db_enis = file
        .network_interfaces
        .iter()
        .filter(|e| e.tags.get("role").map(String::as_str) == Some("db"))
        .count();
    let expected_enis = pages(db_enis) + pages(member_enis.len()) + ceil100(150 - db_enis);
    assert_eq!(
        count(&stats, "DescribeInstances"),
        expected_instances,
        "{stats:#}"
    );
    assert_eq!(
        count(&stats, "DescribeNetworkInterfaces"),
        expected_enis,
        "{stats:#}"
    );
    assert_eq!(
        count(&stats, "DescribeSecurityGroups"),
        ceil100(groups.len())
    );
    assert_eq!(
        refreshed.stats.calls,
        stats["total"].as_u64().unwrap(),
        "refresh counts what the emulator saw"
    );
    // The issue's budget: ⌈instances/100⌉ + ⌈ENIs/100⌉ + ⌈groups/100⌉ + the data-source and
    // group-member pages.
    let budget = ceil100(250)
        + ceil100(150)
        + ceil100(groups.len())
        + pages(web.len())
        + pages(db_enis)
        + pages(member_instances.len())
        + pages(member_enis.len());
    assert!(refreshed.stats.calls <= budget);

    let inv = &refreshed.inventory;
    let data = &inv.data.results;
    let web_records = &data[&(config::DataKind::Instances, "web".to_owned())];
    let found: BTreeSet<&str> = web_records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(found, web);
    assert!(data[&(config::DataKind::NetworkInterfaces, "named".to_owned())].is_empty());
    let members = &inv.group_members[&SecurityGroupId::parse(&member_group).unwrap()];
    let listed: BTreeSet<String> = members.iter().map(|t| t.to_string()).collect();
    let expected: BTreeSet<String> = member_instances
        .iter()
        .chain(&member_enis)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(listed, expected);
    assert!(
        refreshed
            .declarations
            .iter()
            .any(|d| d.address().to_string().starts_with("membership.web[")),
        "the data source expanded the for_each"
    );
    check_facts(inv, &file);
}

/// The inventory says what the world holds (and what the API shows of it).
#[track_caller]
fn check_facts(inv: &Inventory, file: &WorldFile) {
    for i in &file.instances {
        let facts = &inv.instances[&sgform::ids::InstanceId::parse(&i.id).unwrap()];
        let status = if i.being_created {
            "Pending"
        } else {
            &i.status
        };
        assert_eq!(facts.status, status, "{}", i.id);
        let groups: Vec<String> = facts
            .security_group_ids
            .iter()
            .map(|g| g.to_string())
            .collect();
        assert_eq!(groups, i.security_group_ids, "API order is kept");
        assert_eq!(facts.locked_for_security, i.locked_for_security);
        let expected_type = if i.supports_enterprise_groups {
            "ecs.g7.large"
        } else {
            "ecs.t1.small"
        };
        assert_eq!(facts.instance_type, expected_type);
        assert_eq!(facts.network_type, "vpc");
        assert_eq!(facts.provider, None);
        assert_eq!(facts.region.as_str(), "cn-hangzhou");
    }
    for e in &file.network_interfaces {
        let facts =
            &inv.network_interfaces[&sgform::ids::NetworkInterfaceId::parse(&e.id).unwrap()];
        assert_eq!(facts.kind, e.eni_type);
        assert_eq!(facts.status, e.status);
        assert_eq!(
            facts.instance_id.as_ref().map(|i| i.to_string()),
            e.instance_id
        );
        assert_eq!(facts.service_managed, e.service_managed);
    }
    for g in &file.security_groups {
        let Some(facts) = inv.groups.get(&SecurityGroupId::parse(&g.id).unwrap()) else {
            continue;
        };
        assert_eq!(facts.capacity, g.capacity, "{}", g.id);
        assert_eq!(facts.rule_count, g.rule_count);
        assert_eq!(facts.service_managed, g.service_managed);
        let members = file
            .instances
            .iter()
            .filter(|i| i.security_group_ids.contains(&g.id))
            .count()
            + file
                .network_interfaces
                .iter()
                .filter(|e| e.eni_type != "Primary" && e.security_group_ids.contains(&g.id))
                .count();
        assert_eq!(facts.member_count, members as u64, "{}", g.id);
        let want = match g.group_type {
            sgform::emulator::world::GroupType::Normal => GroupType::Normal,
            sgform::emulator::world::GroupType::Enterprise => GroupType::Enterprise,
        };
        assert_eq!(facts.group_type, want);
    }
}

#[tokio::test]
async fn targets_not_found_are_absent_and_the_quickstart_refreshes() {
    let world = World::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/world.json"),
    )
    .unwrap();
    let key = {
        let file = world.to_file();
        let k = &file.accounts[0].access_keys[0];
        (k.id.clone(), k.secret.clone())
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let (config, diags) = config::load(&dir, &Inputs::default()).unwrap();
    assert!(!sgform::diag::has_errors(&diags), "{diags:#?}");
    let emu = Emu::start(world, Options::default()).await;
    let mut clients = Clients::new();
    clients.insert(None, client(&emu.base, "cn-hangzhou", (&key.0, &key.1)));
    // A state entry whose target is gone.
    let state = State::from_json(
        "sgform.state.json",
        r#"{"version": 1, "lineage": "0b4c4a4e-1111-4222-8333-944445555666", "serial": 1,
            "memberships": [{"address": "membership.old", "provider": null, "region": "cn-hangzhou",
                             "security_group_id": "sg-bp1opsexample01", "target": "i-bp1gone00example1"}]}"#,
    )
    .unwrap();
    let refreshed = refresh::refresh(&clients, &config, &state, 2)
        .await
        .unwrap();
    let stats = emu.stats().await;
    emu.stop().await;
    let inv = &refreshed.inventory;
    assert!(
        !inv.instances
            .contains_key(&sgform::ids::InstanceId::parse("i-bp1gone00example1").unwrap())
    );
    assert!(
        inv.instances
            .contains_key(&sgform::ids::InstanceId::parse("i-bp1app0example01").unwrap())
    );
    assert!(
        inv.groups
            .contains_key(&SecurityGroupId::parse("sg-bp1dbexample001").unwrap())
    );
    assert_eq!(refreshed.stats.calls, stats["total"].as_u64().unwrap());
    assert!(refreshed.declarations.len() >= 3);
    // The state's only target is not seen: that proves nothing (an error, nothing gone).
    assert!(inv.gone.is_empty(), "{:?}", inv.gone);
    let errors: Vec<&str> = refreshed
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.summary.as_str())
        .collect();
    assert_eq!(
        errors,
        [
            "provider `alicloud` (the default) does not see the instance the state manages through it"
        ]
    );
}

/// With one of the state's targets seen, a by-ID read that does not return another proves it
/// gone (`Inventory::gone`), and there is no error; declared targets not found are proven
/// gone too, whatever the state says.
#[tokio::test]
async fn a_target_a_seeing_key_cannot_read_by_id_is_proven_gone() {
    let world = World::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/world.json"),
    )
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let (config, diags) = config::load(&dir, &Inputs::default()).unwrap();
    assert!(!sgform::diag::has_errors(&diags), "{diags:#?}");
    let state = State::from_json(
        "sgform.state.json",
        r#"{"version": 1, "lineage": "0b4c4a4e-1111-4222-8333-944445555666", "serial": 1,
            "memberships": [{"address": "membership.old", "provider": null, "region": "cn-hangzhou",
                             "security_group_id": "sg-bp1opsexample01", "target": "i-bp1gone00example1"},
                            {"address": "membership.app", "provider": null, "region": "cn-hangzhou",
                             "security_group_id": "sg-bp1opsexample01", "target": "i-bp1app0example01"}]}"#,
    )
    .unwrap();
    let (refreshed, _) = refresh_world(world, &config, &state).await;
    let gone: Vec<String> = refreshed
        .inventory
        .gone
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(gone, ["i-bp1gone00example1"]);
    assert!(
        !sgform::diag::has_errors(&refreshed.diagnostics),
        "{:#?}",
        refreshed.diagnostics
    );
}

#[tokio::test]
async fn a_target_declared_under_the_wrong_provider_is_found_through_the_right_one() {
    let world = generate(&GenerateOptions {
        instances: 20,
        enis: 0,
        groups: 6,
        vpcs: None,
        regions: 2,
        seed: 11,
    })
    .unwrap();
    let file = world.to_file();
    let in_region = |r: &str| {
        file.instances
            .iter()
            .filter(|i| i.region == r)
            .map(|i| i.id.clone())
            .collect::<Vec<_>>()
    };
    let (hz, sh) = (in_region("cn-hangzhou"), in_region("cn-shanghai"));
    let group_in = |r: &str| {
        file.security_groups
            .iter()
            .find(|g| g.region == r)
            .unwrap()
            .id
            .clone()
    };
    let hcl = format!(
        r#"
provider "alicloud" {{
  region = "cn-hangzhou"
}}
provider "alicloud" {{
  alias  = "sh"
  region = "cn-shanghai"
}}
membership "right" {{
  security_group_id = "{hz_group}"
  instance_id       = "{hz0}"
}}
membership "wrong" {{
  security_group_id = "{hz_group}"
  instance_id       = "{sh0}"
}}
membership "sh" {{
  provider          = alicloud.sh
  security_group_id = "{sh_group}"
  instance_id       = "{sh1}"
}}
"#,
        hz_group = group_in("cn-hangzhou"),
        sh_group = group_in("cn-shanghai"),
        hz0 = hz[0],
        sh0 = sh[0],
        sh1 = sh[1],
    );
    let config = config(&hcl);
    let emu = Emu::start(world, Options::default()).await;
    let key = (GENERATED_KEY_ID, GENERATED_KEY_SECRET);
    let mut clients = Clients::new();
    clients.insert(None, client(&emu.base, "cn-hangzhou", key));
    clients.insert(Some("sh".to_owned()), client(&emu.base, "cn-shanghai", key));
    let refreshed = refresh::refresh(&clients, &config, &State::empty(), 10)
        .await
        .unwrap();
    let stats = emu.stats().await;
    emu.stop().await;

    let wrong = &refreshed.inventory.instances[&sgform::ids::InstanceId::parse(&sh[0]).unwrap()];
    assert_eq!(wrong.provider.as_deref(), Some("sh"));
    assert_eq!(wrong.region.as_str(), "cn-shanghai");
    let right = &refreshed.inventory.instances[&sgform::ids::InstanceId::parse(&hz[0]).unwrap()];
    assert_eq!(right.provider, None);
    // Per provider one instance batch and one group batch, plus one lookup of the lost target
    // through the other provider.
    assert_eq!(count(&stats, "DescribeInstances"), 3, "{stats:#}");
    assert_eq!(count(&stats, "DescribeSecurityGroups"), 2, "{stats:#}");
    assert_eq!(refreshed.stats.calls, 5);
}

#[tokio::test]
async fn a_name_regex_that_does_not_compile_is_a_diagnostic() {
    let config = config(
        r#"
provider "alicloud" {
  region = "cn-hangzhou"
}
data "instances" "bad" {
  name_regex = "web-("
}
"#,
    );
    let (refreshed, stats) = refresh_world(generated(5, 0, 2), &config, &State::empty()).await;
    assert_eq!(stats["total"].as_u64(), Some(0), "nothing is listed for it");
    let d = &refreshed.diagnostics;
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].is_error());
    assert!(d[0].summary.contains("name_regex"), "{}", d[0].summary);
    assert!(
        refreshed.inventory.data.results[&(config::DataKind::Instances, "bad".to_owned())]
            .is_empty()
    );
}

#[tokio::test]
async fn more_tag_filters_than_the_api_takes_is_a_diagnostic() {
    let tags: Vec<String> = (0..21).map(|n| format!("k{n} = \"v\"")).collect();
    let config = config(&format!(
        "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n}}\ndata \"network_interfaces\" \"many\" {{\n  tags = {{ {} }}\n}}\n",
        tags.join(", ")
    ));
    let (refreshed, stats) = refresh_world(generated(5, 3, 2), &config, &State::empty()).await;
    assert_eq!(stats["total"].as_u64(), Some(0));
    assert_eq!(
        refreshed.diagnostics.len(),
        1,
        "{:#?}",
        refreshed.diagnostics
    );
    assert!(refreshed.diagnostics[0].summary.contains("at most 20"));
}
