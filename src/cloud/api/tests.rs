use serde::Deserialize;

use super::*;
use crate::cloud::client::Response;
use crate::ids::{InstanceId, SecurityGroupId, Target};

fn response(action: &str, body: serde_json::Value) -> Response {
    Response {
        action: action.to_owned(),
        http_status: 200,
        request_id: body
            .get("RequestId")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        body,
        attempts: 1,
        already_done: None,
    }
}

#[derive(Debug, Deserialize)]
struct Holder {
    #[serde(rename = "L", default, deserialize_with = "list")]
    l: Vec<String>,
}

#[track_caller]
fn holder(json: &str) -> Vec<String> {
    serde_json::from_str::<Holder>(json).unwrap().l
}

#[test]
fn lists_accept_every_shape_the_api_uses() {
    assert_eq!(holder(r#"{"L": {"Item": ["a", "b"]}}"#), ["a", "b"]);
    assert_eq!(holder(r#"{"L": {"Item": []}}"#), Vec::<String>::new());
    assert_eq!(holder(r#"{"L": {}}"#), Vec::<String>::new());
    assert_eq!(holder(r#"{"L": null}"#), Vec::<String>::new());
    assert_eq!(holder(r#"{}"#), Vec::<String>::new());
    assert_eq!(holder(r#"{"L": ["a"]}"#), ["a"]);
    assert_eq!(holder(r#"{"L": {"Item": "a"}}"#), ["a"]);
}

#[test]
fn describe_instances_parses_the_documented_shape_and_ignores_unknown_fields() {
    let body = serde_json::json!({
        "RequestId": "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E",
        "TotalCount": 1, "PageSize": 100, "NextToken": "",
        "Instances": {"Instance": [{
            "InstanceId": "i-bp1gtjxuuvwj17zr8s5f",
            "Status": "Running",
            "InstanceNetworkType": "vpc",
            "Cpu": 2,
            "SecurityGroupIds": {"SecurityGroupId": ["sg-bp1fg655nh68xyz9i4w1"]},
            "VpcAttributes": {"VpcId": "vpc-bp1opxu1zkhn00gzv26cm", "PrivateIpAddress": {"IpAddress": ["10.0.0.1"]}},
            "NetworkInterfaces": {"NetworkInterface": [{"NetworkInterfaceId": "eni-bp13kd656hxambfe1234", "Type": "Primary"}]},
            "OperationLocks": {"LockReason": [{"LockReason": "security"}]},
            "Tags": {"Tag": [{"TagKey": "env", "TagValue": "prod"}]}
        }]}
    });
    let page = DescribeInstances::output(&response("DescribeInstances", body)).unwrap();
    assert_eq!(page.next_token, None, "an empty NextToken ends the listing");
    let inst = &page.items[0];
    assert_eq!(inst.instance_id.as_str(), "i-bp1gtjxuuvwj17zr8s5f");
    assert_eq!(
        inst.security_group_ids[0].as_str(),
        "sg-bp1fg655nh68xyz9i4w1"
    );
    assert_eq!(
        inst.vpc_id().map(|v| v.as_str()),
        Some("vpc-bp1opxu1zkhn00gzv26cm")
    );
    assert!(inst.locked_for_security());
    assert_eq!(inst.network_interfaces[0].kind.as_deref(), Some("Primary"));
    assert_eq!(inst.tags[0].key, "env");
}

#[test]
fn absent_wrappers_give_empty_lists() {
    let body = serde_json::json!({"RequestId": "X", "Instances": {"Instance": [{"InstanceId": "i-23yi8tnhj"}]}});
    let page = DescribeInstances::output(&response("DescribeInstances", body)).unwrap();
    assert!(page.items[0].security_group_ids.is_empty());
    let body = serde_json::json!({"RequestId": "X"});
    assert!(
        DescribeInstances::output(&response("DescribeInstances", body))
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn network_interfaces_treat_empty_ids_as_absent() {
    let body = serde_json::json!({"RequestId": "X", "NextToken": "t2", "NetworkInterfaceSets": {"NetworkInterfaceSet": [
        {"NetworkInterfaceId": "eni-bp13kd656hxambfe1234", "Type": "Secondary", "InstanceId": "", "VpcId": "vpc-bp1opxu1zkhn00gzv26cm",
         "ServiceManaged": true, "SecurityGroupIds": {"SecurityGroupId": []}}
    ]}});
    let page =
        DescribeNetworkInterfaces::output(&response("DescribeNetworkInterfaces", body)).unwrap();
    assert_eq!(page.next_token.as_deref(), Some("t2"));
    assert_eq!(page.items[0].instance_id, None);
    assert!(page.items[0].service_managed);
}

#[test]
fn malformed_ids_in_a_response_are_an_invalid_response() {
    let body = serde_json::json!({"RequestId": "X", "SecurityGroups": {"SecurityGroup": [{"SecurityGroupId": "sg-bp67acfmxazb4p****"}]}});
    let err =
        DescribeSecurityGroups::output(&response("DescribeSecurityGroups", body)).unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err}");
}

#[test]
fn request_parameters_use_the_api_spelling() {
    let sg = SecurityGroupId::parse("sg-bp1fg655nh68xyz9i4w1").unwrap();
    let inst = InstanceId::parse("i-bp1gtjxuuvwj17zr8s5f").unwrap();
    let join = JoinSecurityGroup {
        security_group_id: sg.clone(),
        target: Target::Instance(inst.clone()),
    };
    assert_eq!(
        join.params(),
        vec![
            ("SecurityGroupId".to_owned(), sg.to_string()),
            ("InstanceId".to_owned(), inst.to_string())
        ]
    );
    let modify = ModifyInstanceSecurityGroups {
        instance_id: inst.clone(),
        security_group_ids: vec![sg.clone(), sg.clone()],
    };
    let names: Vec<String> = modify.params().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        ["InstanceId", "SecurityGroupIds.1", "SecurityGroupIds.2"]
    );
    let d = DescribeInstances {
        instance_ids: Some(vec![inst.clone(), inst]),
        ..Default::default()
    };
    assert!(d.params().contains(&(
        "InstanceIds".to_owned(),
        r#"["i-bp1gtjxuuvwj17zr8s5f","i-bp1gtjxuuvwj17zr8s5f"]"#.to_owned()
    )));
    assert!(
        d.params()
            .contains(&("MaxResults".to_owned(), "100".to_owned()))
    );
}

#[test]
fn batches_over_100_ids_are_refused() {
    assert!(check_batch("DescribeInstances", "instance IDs", 100).is_ok());
    assert!(matches!(
        check_batch("DescribeInstances", "instance IDs", 101),
        Err(Error::InvalidRequest { .. })
    ));
}

#[test]
fn filters_and_ecs_counts_use_the_api_spelling() {
    let d = DescribeInstances {
        status: Some("Running".to_owned()),
        tags: vec![("role".to_owned(), "web".to_owned())],
        ..Default::default()
    };
    let p = d.params();
    assert!(p.contains(&("Status".to_owned(), "Running".to_owned())));
    assert!(p.contains(&("Tag.1.Key".to_owned(), "role".to_owned())));
    assert!(p.contains(&("Tag.1.Value".to_owned(), "web".to_owned())));
    let g = DescribeSecurityGroups {
        is_query_ecs_count: true,
        ..Default::default()
    };
    assert!(
        g.params()
            .contains(&("IsQueryEcsCount".to_owned(), "true".to_owned()))
    );
    assert!(
        !DescribeSecurityGroups::default()
            .params()
            .iter()
            .any(|(k, _)| k == "IsQueryEcsCount")
    );
}

#[test]
fn security_groups_read_ecs_count_and_instances_their_type() {
    let body = serde_json::json!({"RequestId": "X", "SecurityGroups": {"SecurityGroup": [
        {"SecurityGroupId": "sg-bp1fg655nh68xyz9i4w1", "SecurityGroupType": "enterprise",
         "RuleCount": 3, "EcsCount": 7, "AvailableInstanceAmount": 93}
    ]}});
    let page = DescribeSecurityGroups::output(&response("DescribeSecurityGroups", body)).unwrap();
    assert_eq!(page.items[0].ecs_count, Some(7));
    assert_eq!(page.items[0].available_instance_amount, Some(93));
    let body = serde_json::json!({"RequestId": "X", "Instances": {"Instance": [
        {"InstanceId": "i-bp1gtjxuuvwj17zr8s5f", "InstanceType": "ecs.g7.large"}
    ]}});
    let page = DescribeInstances::output(&response("DescribeInstances", body)).unwrap();
    assert_eq!(page.items[0].instance_type, "ecs.g7.large");
}

#[test]
fn a_request_in_a_region_sends_that_region_once() {
    let join = JoinSecurityGroup {
        security_group_id: SecurityGroupId::parse("sg-bp1fg655nh68xyz9i4w1").unwrap(),
        target: Target::parse("i-bp1gtjxuuvwj17zr8s5f").unwrap(),
    };
    let region = crate::ids::RegionId::parse("cn-shanghai").unwrap();
    let params = InRegion::new(region, &join).params();
    assert_eq!(
        params,
        [
            ("SecurityGroupId", "sg-bp1fg655nh68xyz9i4w1"),
            ("InstanceId", "i-bp1gtjxuuvwj17zr8s5f"),
            ("RegionId", "cn-shanghai"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(
        <InRegion<&JoinSecurityGroup> as Action>::NAME,
        "JoinSecurityGroup"
    );
}

#[test]
fn targets_by_id_read_each_target_once_in_batches_of_100() {
    let region = crate::ids::RegionId::parse("cn-hangzhou").unwrap();
    let mut targets: Vec<Target> = (0..150)
        .map(|i| Target::parse(&format!("i-bp1test{i:012}")).unwrap())
        .collect();
    targets.push(targets[0].clone());
    targets.push(Target::parse("eni-bp1test000000001").unwrap());
    let read = TargetsById::new(region, &targets);
    assert_eq!(
        (read.instance_ids.len(), read.network_interface_ids.len()),
        (150, 1)
    );
    let instances = read.instance_requests();
    let sizes: Vec<usize> = instances
        .iter()
        .map(|r| r.request.instance_ids.as_ref().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 50]);
    assert!(instances.iter().all(|r| r.region.as_str() == "cn-hangzhou"));
    assert_eq!(read.network_interface_requests().len(), 1);
}
