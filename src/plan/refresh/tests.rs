use super::data::id_batches;
use super::*;
use crate::cloud::api::{Instance, SecurityGroup};
use crate::config::{DataKind, DataRequest};
use crate::ids::{InstanceId, RegionId};
use crate::plan::inventory::GroupType;

fn region() -> RegionId {
    RegionId::parse("cn-hangzhou").unwrap()
}

fn group(json: serde_json::Value) -> SecurityGroup {
    serde_json::from_value(json).unwrap()
}

#[test]
fn capacity_is_ecs_count_plus_available_amount() {
    let g = group(
        serde_json::json!({"SecurityGroupId": "sg-bp1fg655nh68xyz9i4w1",
        "SecurityGroupType": "enterprise", "RuleCount": 4, "EcsCount": 7, "AvailableInstanceAmount": 3}),
    );
    let f = group_facts(&Some("sh".to_owned()), &region(), &g);
    assert_eq!(
        (f.group_type, f.member_count, f.capacity, f.rule_count),
        (GroupType::Enterprise, 7, 10, 4)
    );
    assert_eq!(f.provider.as_deref(), Some("sh"));
}

#[test]
fn capacity_falls_back_to_the_documented_default_without_ecs_count() {
    let g = group(serde_json::json!({"SecurityGroupId": "sg-bp1fg655nh68xyz9i4w1"}));
    let f = group_facts(&None, &region(), &g);
    assert_eq!(
        (f.group_type, f.member_count, f.capacity),
        (GroupType::Normal, 0, FALLBACK_CAPACITY_NORMAL)
    );
}

#[test]
fn instance_facts_name_the_primary_eni_and_the_security_lock() {
    let i: Instance = serde_json::from_value(serde_json::json!({
        "InstanceId": "i-bp1gtjxuuvwj17zr8s5f", "Status": "Running", "InstanceNetworkType": "vpc",
        "InstanceType": "ecs.t1.small",
        "SecurityGroupIds": {"SecurityGroupId": ["sg-bp1fg655nh68xyz9i4w2", "sg-bp1fg655nh68xyz9i4w1"]},
        "NetworkInterfaces": {"NetworkInterface": [
            {"NetworkInterfaceId": "eni-bp13kd656hxambfe0002", "Type": "Secondary"},
            {"NetworkInterfaceId": "eni-bp13kd656hxambfe0001", "Type": "Primary"}]},
        "OperationLocks": {"LockReason": [{"LockReason": "security"}]}
    }))
    .unwrap();
    let f = instance_facts(&None, &region(), &i);
    assert_eq!(
        f.primary_network_interface.as_ref().map(|e| e.as_str()),
        Some("eni-bp13kd656hxambfe0001")
    );
    assert!(f.locked_for_security);
    assert_eq!(f.instance_type, "ecs.t1.small");
    assert_eq!(
        f.security_group_ids[0].as_str(),
        "sg-bp1fg655nh68xyz9i4w2",
        "API order"
    );
}

fn request(ids: Option<Vec<String>>) -> DataRequest {
    DataRequest {
        address: crate::ids::Address::new("data.instances", "web"),
        kind: DataKind::Instances,
        name: "web".to_owned(),
        vpc_id: None,
        tags: BTreeMap::new(),
        status: None,
        ids,
        security_group_id: None,
        instance_id: None,
        name_regex: None,
        provider: None,
        span: None,
    }
}

#[test]
fn data_ids_go_in_batches_of_100_and_malformed_ones_are_reported() {
    let mut diags = Vec::new();
    assert_eq!(
        id_batches(&request(None), InstanceId::parse, &mut diags).len(),
        1,
        "no ids filter: one listing"
    );
    let mut ids: Vec<String> = (0..150).map(|n| format!("i-bp1abcdef{n:04}")).collect();
    ids.push("not-an-id".to_owned());
    let batches = id_batches(&request(Some(ids)), InstanceId::parse, &mut diags);
    let sizes: Vec<usize> = batches
        .iter()
        .map(|b| b.as_ref().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [100, 50]);
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0].summary.contains("not-an-id"),
        "{}",
        diags[0].summary
    );
    assert!(
        id_batches(&request(Some(Vec::new())), InstanceId::parse, &mut diags).is_empty(),
        "an empty ids list matches nothing without a call"
    );
}
