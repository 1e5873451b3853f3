//! The emulator at the wire: requests signed by hand (`support::emu_sign`), sent with plain
//! reqwest over 127.0.0.1, answers checked field by field. Nothing here goes through `cloud`.

use serde_json::Value;
use sgform::emulator::{
    Action, Code, Fault, Faults, GenerateOptions, Options, Request, World, generate,
};

use crate::support::emu_env::{
    DENY_KEY, Emu, KEY, OTHER_KEY, STS_KEY, STS_TOKEN, wire_world, wire_world_path,
};
use crate::support::emu_sign;

const HZ: &str = "cn-hangzhou";
const WEB: &str = "sg-bp1web00000001";
const APP: &str = "sg-bp1app00000001";
const DB: &str = "sg-bp1db000000001";
const E1: &str = "sg-bp1ent00000001";
const E2: &str = "sg-bp1ent00000002";
const VPC2_SG: &str = "sg-bp1vpc20000001";
const I_WEB: &str = "i-bp1web000000001";
const I_TWO: &str = "i-bp1two000000001";

/// Every code of the seed's JoinSecurityGroup table with its HTTP status.
const SEED_CODES: &[(u16, &str)] = &[
    (400, "InstanceSecurityGroupLimitExceeded"),
    (400, "InvalidInstanceId.Mismatch"),
    (400, "InvalidInstanceId.Malformed"),
    (400, "InvalidOperation.NotSupportEnterpriseGroup"),
    (400, "InvalidOperation.MultiGroupType"),
    (400, "InvalidOperation.InvalidEniState"),
    (400, "InvalidOperation.EniAndGroupNotBelongSameUser"),
    (400, "NotBelongUser"),
    (400, "MissingParameter.RegionId"),
    (400, "InvalidStatus.EniOrInstanceIsBeingCreated"),
    (500, "InternalError"),
    (403, "IncorrectInstanceStatus"),
    (403, "InstanceLockedForSecurity"),
    (403, "SecurityGroupInstanceLimitExceeded"),
    (403, "InvalidInstanceId.AlreadyExists"),
    (403, "AclLimitExceed"),
    (403, "InstanceSecurityGroupLimitExceeded"),
    (403, "InvalidOperation.NetworkInterfaceCountExceeded"),
    (403, "InvalidOperation.ResourceManagedByCloudProduct"),
    (403, "InvalidOperation.InvalidEniType"),
    (403, "InvalidOperation.VpcMismatch"),
    (403, "InvalidOperation.EniServiceManaged"),
    (403, "InvalidParam.Malformed"),
    (403, "InvalidParam.EniIdAndInstanceId.Conflict"),
    (403, "Forbidden.InstanceIsBeingCreated"),
    (404, "InvalidSecurityGroupId.NotFound"),
    (404, "InvalidInstanceId.NotFound"),
    (404, "InvalidEniId.NotFound"),
    (409, "InvalidOperation.Conflict"),
];

/// An expected status and code, and the parameters that provoke it.
type Case<'a> = (u16, &'a str, &'a [(&'a str, &'a str)]);

/// One JoinSecurityGroup per seed code (InternalError and Conflict have their own tests).
#[rustfmt::skip]
const JOIN_CASES: &[Case<'static>] = &[
    (400, "InstanceSecurityGroupLimitExceeded", &[("InstanceId", "i-bp1five00000001"), ("SecurityGroupId", "sg-bp1extra0000003")]),
    (400, "InvalidInstanceId.Mismatch", &[("InstanceId", I_WEB), ("SecurityGroupId", VPC2_SG)]),
    (400, "InvalidInstanceId.Mismatch", &[("InstanceId", "i-bp1classic00001"), ("SecurityGroupId", APP)]),
    (400, "InvalidInstanceId.Malformed", &[("InstanceId", "i-BAD"), ("SecurityGroupId", WEB)]),
    (400, "InvalidOperation.NotSupportEnterpriseGroup", &[("InstanceId", "i-bp1noent0000001"), ("SecurityGroupId", E2)]),
    (400, "InvalidOperation.MultiGroupType", &[("InstanceId", I_WEB), ("SecurityGroupId", E2)]),
    (400, "InvalidOperation.InvalidEniState", &[("NetworkInterfaceId", "eni-bp1attaching01"), ("SecurityGroupId", APP), ("RegionId", HZ)]),
    (400, "InvalidOperation.EniAndGroupNotBelongSameUser", &[("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", "sg-bp1other000001"), ("RegionId", HZ)]),
    (400, "NotBelongUser", &[("InstanceId", "i-bp1other0000001"), ("SecurityGroupId", WEB)]),
    (400, "NotBelongUser", &[("InstanceId", I_WEB), ("SecurityGroupId", "sg-bp1other000001")]),
    (400, "MissingParameter.RegionId", &[("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", DB)]),
    (400, "InvalidStatus.EniOrInstanceIsBeingCreated", &[("NetworkInterfaceId", "eni-bp1creating001"), ("SecurityGroupId", APP), ("RegionId", HZ)]),
    (403, "IncorrectInstanceStatus", &[("InstanceId", "i-bp1stopping0001"), ("SecurityGroupId", APP)]),
    (403, "IncorrectInstanceStatus", &[("InstanceId", "i-bp1trans0000001"), ("SecurityGroupId", APP)]),
    (403, "InstanceLockedForSecurity", &[("InstanceId", "i-bp1locked000001"), ("SecurityGroupId", APP)]),
    (403, "SecurityGroupInstanceLimitExceeded", &[("InstanceId", I_WEB), ("SecurityGroupId", "sg-bp1full0000001")]),
    (403, "InvalidInstanceId.AlreadyExists", &[("InstanceId", I_WEB), ("SecurityGroupId", WEB)]),
    (403, "InvalidInstanceId.AlreadyExists", &[("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", APP), ("RegionId", HZ)]),
    (403, "AclLimitExceed", &[("InstanceId", "i-bp1rules0000001"), ("SecurityGroupId", WEB)]),
    (403, "InstanceSecurityGroupLimitExceeded", &[("NetworkInterfaceId", "eni-bp1five0000001"), ("SecurityGroupId", "sg-bp1extra0000003"), ("RegionId", HZ)]),
    (403, "InvalidOperation.NetworkInterfaceCountExceeded", &[("InstanceId", "i-bp1ent000000001"), ("SecurityGroupId", "sg-bp1entfull00001")]),
    (403, "InvalidOperation.ResourceManagedByCloudProduct", &[("InstanceId", I_WEB), ("SecurityGroupId", "sg-bp1managed0001")]),
    (403, "InvalidOperation.InvalidEniType", &[("NetworkInterfaceId", "eni-bp1trunk000001"), ("SecurityGroupId", APP), ("RegionId", HZ)]),
    (403, "InvalidOperation.InvalidEniType", &[("NetworkInterfaceId", "eni-bp1primary0001"), ("SecurityGroupId", APP), ("RegionId", HZ)]),
    (403, "InvalidOperation.VpcMismatch", &[("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", VPC2_SG), ("RegionId", HZ)]),
    (403, "InvalidOperation.EniServiceManaged", &[("NetworkInterfaceId", "eni-bp1managed0001"), ("SecurityGroupId", APP), ("RegionId", HZ)]),
    (403, "InvalidParam.Malformed", &[("NetworkInterfaceId", "eni-Bad!"), ("SecurityGroupId", WEB), ("RegionId", HZ)]),
    (403, "InvalidParam.EniIdAndInstanceId.Conflict", &[("InstanceId", I_WEB), ("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", APP)]),
    (403, "Forbidden.InstanceIsBeingCreated", &[("InstanceId", "i-bp1creating0001"), ("SecurityGroupId", APP)]),
    (404, "InvalidSecurityGroupId.NotFound", &[("InstanceId", I_WEB), ("SecurityGroupId", "sg-bp1missing00001")]),
    (404, "InvalidInstanceId.NotFound", &[("InstanceId", "i-bp1missing000001"), ("SecurityGroupId", WEB)]),
    (404, "InvalidInstanceId.NotFound", &[("InstanceId", I_WEB), ("SecurityGroupId", WEB), ("RegionId", "cn-shanghai")]),
    (404, "InvalidEniId.NotFound", &[("NetworkInterfaceId", "eni-bp1missing0001"), ("SecurityGroupId", WEB), ("RegionId", HZ)]),
];

/// The world minus pending transitions, whose remaining time shrinks as the test runs.
fn without_transitions(mut world: Value) -> Value {
    for inst in world["instances"].as_array_mut().unwrap() {
        inst.as_object_mut().unwrap().remove("transition");
    }
    world
}

#[track_caller]
fn expect_error(answer: &crate::support::emu_env::Answer, status: u16, code: &str) {
    assert_eq!(
        (answer.status, answer.code()),
        (status, code),
        "{:#}",
        answer.body
    );
    for field in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
        assert!(
            answer.body[field].as_str().is_some_and(|s| !s.is_empty()),
            "error body lacks {field}: {:#}",
            answer.body
        );
    }
}

#[test]
fn join_cases_cover_every_seed_code() {
    for (status, code) in SEED_CODES {
        let covered = JOIN_CASES.iter().any(|(s, c, _)| (s, c) == (status, code))
            || matches!(*code, "InternalError" | "InvalidOperation.Conflict");
        assert!(covered, "no wire case for {status} {code}");
        // The emulator's catalog knows the code with that status.
        assert!(
            Code::ALL
                .iter()
                .any(|c| c.as_str() == *code && c.status() == *status),
            "the catalog lacks {status} {code}"
        );
    }
}

#[tokio::test]
async fn join_answers_every_seed_error_with_its_status() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let client = emu.client();
    let before = without_transitions(emu.world().await);
    let mut wrong = Vec::new();
    for (status, code, params) in JOIN_CASES {
        let answer = client.call("JoinSecurityGroup", params).await;
        if (answer.status, answer.code()) != (*status, *code) {
            wrong.push(format!(
                "{params:?}: expected {status} {code}, got {} {}",
                answer.status, answer.body
            ));
        } else {
            expect_error(&answer, *status, code);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        without_transitions(emu.world().await),
        before,
        "failed calls must not change the world"
    );
    emu.stop().await;
}

#[tokio::test]
async fn seed_messages_are_the_documented_ones() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let a = emu
        .client()
        .call(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", WEB)],
        )
        .await;
    assert_eq!(
        a.body["Message"],
        "The specified instance already exists in the specified security group."
    );
    let a = emu
        .client()
        .call(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", VPC2_SG)],
        )
        .await;
    assert_eq!(
        a.body["Message"],
        "Specified instance and security group are not in the same VPC."
    );
    emu.stop().await;
}

#[tokio::test]
async fn join_and_leave_change_membership_and_the_primary_eni_follows() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let a = c
        .call(
            "JoinSecurityGroup",
            &[
                ("InstanceId", I_WEB),
                ("SecurityGroupId", APP),
                ("RegionId", HZ),
            ],
        )
        .await;
    assert!(a.ok()["RequestId"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(emu.groups_of(I_WEB).await, [WEB, APP]);
    // The primary ENI shares its instance's set.
    let enis = c
        .call(
            "DescribeNetworkInterfaces",
            &[
                ("RegionId", HZ),
                ("NetworkInterfaceId.1", "eni-bp1primary0001"),
            ],
        )
        .await;
    assert_eq!(
        enis.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["SecurityGroupIds"]["SecurityGroupId"],
        serde_json::json!([WEB, APP])
    );
    c.call(
        "LeaveSecurityGroup",
        &[("InstanceId", I_WEB), ("SecurityGroupId", WEB)],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of(I_WEB).await, [APP]);
    assert_eq!(emu.groups_of("eni-bp1primary0001").await, [APP]);
    // A secondary ENI through JoinSecurityGroup.
    c.call(
        "JoinSecurityGroup",
        &[
            ("NetworkInterfaceId", "eni-bp1sec00000002"),
            ("SecurityGroupId", DB),
            ("RegionId", HZ),
        ],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of("eni-bp1sec00000002").await, [WEB, APP, DB]);
    emu.stop().await;
}

#[tokio::test]
async fn leave_rules() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        (403, "InstanceLastSecurityGroup", &[("InstanceId", I_WEB), ("SecurityGroupId", WEB)]),
        (400, "InvalidSecurityGroupAssociation.NotFound", &[("InstanceId", I_WEB), ("SecurityGroupId", DB)]),
        (400, "InvalidSecurityGroupAssociation.NotFound", &[("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", DB), ("RegionId", HZ)]),
        (403, "InstanceLastSecurityGroup", &[("NetworkInterfaceId", "eni-bp1sec00000001"), ("SecurityGroupId", WEB), ("RegionId", HZ)]),
        (403, "IncorrectInstanceStatus", &[("InstanceId", "i-bp1stopping0001"), ("SecurityGroupId", WEB)]),
        (403, "InstanceLockedForSecurity", &[("InstanceId", "i-bp1locked000001"), ("SecurityGroupId", WEB)]),
        (403, "InvalidOperation.ResourceManagedByCloudProduct", &[("InstanceId", I_WEB), ("SecurityGroupId", "sg-bp1managed0001")]),
        (403, "InvalidParam.EniIdAndInstanceId.Conflict", &[("InstanceId", I_WEB), ("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", WEB)]),
        (400, "MissingParameter.RegionId", &[("NetworkInterfaceId", "eni-bp1sec00000002"), ("SecurityGroupId", WEB)]),
        (404, "InvalidSecurityGroupId.NotFound", &[("InstanceId", I_WEB), ("SecurityGroupId", "sg-bp1missing00001")]),
    ];
    for (status, code, params) in cases {
        expect_error(&c.call("LeaveSecurityGroup", params).await, *status, code);
    }
    c.call(
        "LeaveSecurityGroup",
        &[("InstanceId", I_TWO), ("SecurityGroupId", APP)],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of(I_TWO).await, [WEB]);
    // A stopped instance may change groups too.
    c.call(
        "JoinSecurityGroup",
        &[
            ("InstanceId", "i-bp1stopped00001"),
            ("SecurityGroupId", APP),
        ],
    )
    .await
    .ok();
    emu.stop().await;
}

#[tokio::test]
async fn modify_instance_attribute_replaces_the_set_and_may_switch_type() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let i = "i-bp1modify000001";
    c.call(
        "ModifyInstanceAttribute",
        &[
            ("InstanceId", i),
            ("SecurityGroupIds.1", E1),
            ("SecurityGroupIds.2", E2),
        ],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of(i).await, [E1, E2]);
    c.call(
        "ModifyInstanceAttribute",
        &[("InstanceId", i), ("SecurityGroupIds.1", DB)],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of(i).await, [DB]);
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        (404, "InvalidParameter.SecurityGroupIdRepeated", &[("InstanceId", i), ("SecurityGroupIds.1", WEB), ("SecurityGroupIds.2", WEB)]),
        (400, "JoinedGroupLimitExceed", &[("InstanceId", i), ("SecurityGroupIds.1", WEB), ("SecurityGroupIds.2", APP), ("SecurityGroupIds.3", DB), ("SecurityGroupIds.4", "sg-bp1extra0000001"), ("SecurityGroupIds.5", "sg-bp1extra0000002"), ("SecurityGroupIds.6", "sg-bp1extra0000003")]),
        (403, "EnterpriseGroupLimited.MutliGroupType", &[("InstanceId", i), ("SecurityGroupIds.1", WEB), ("SecurityGroupIds.2", E1)]),
        (400, "InvalidNetworkType.NotSupported", &[("InstanceId", "i-bp1classic00001"), ("SecurityGroupIds.1", "sg-bp1classic0001")]),
        (404, "InvalidSecurityGroupVpc.NotBelongToOneVpc", &[("InstanceId", i), ("SecurityGroupIds.1", VPC2_SG)]),
        (404, "InvalidSecurityGroupType.NotSupportClassic", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1classic0001")]),
        (404, "InvalidSecurityGroupId.NotFound", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1missing00001")]),
        (400, "NotBelongUser", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1other000001")]),
        (403, "SecurityGroupInstanceLimitExceed", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1full0000001")]),
        (400, "InvalidOperation.EniCountExceeded", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1entfull00001")]),
        (403, "InvalidOperation.ResourceManagedByCloudProduct", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1managed0001")]),
        (403, "AclLimitExceed", &[("InstanceId", i), ("SecurityGroupIds.1", "sg-bp1rules000001"), ("SecurityGroupIds.2", WEB)]),
        (400, "InvalidOperation.NotSupportEnterpriseGroup", &[("InstanceId", "i-bp1noent0000001"), ("SecurityGroupIds.1", E1)]),
        (403, "InstanceLockedForSecurity", &[("InstanceId", "i-bp1locked000001"), ("SecurityGroupIds.1", APP)]),
        (404, "InvalidInstanceId.NotFound", &[("InstanceId", "i-bp1missing000001"), ("SecurityGroupIds.1", APP)]),
    ];
    for (status, code, params) in cases {
        expect_error(
            &c.call("ModifyInstanceAttribute", params).await,
            *status,
            code,
        );
    }
    assert_eq!(emu.groups_of(i).await, [DB]);
    emu.stop().await;
}

#[tokio::test]
async fn modify_network_interface_attribute_rules() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let e = "eni-bp1sec00000002";
    c.call(
        "ModifyNetworkInterfaceAttribute",
        &[
            ("RegionId", HZ),
            ("NetworkInterfaceId", e),
            ("SecurityGroupId.1", DB),
        ],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of(e).await, [DB]);
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        (404, "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc", &[("RegionId", HZ), ("NetworkInterfaceId", "eni-bp1primary0001"), ("SecurityGroupId.1", APP)]),
        (403, "InvalidOperation.VpcMismatch", &[("RegionId", HZ), ("NetworkInterfaceId", e), ("SecurityGroupId.1", VPC2_SG)]),
        (403, "InvalidOperation.MultiGroupType", &[("RegionId", HZ), ("NetworkInterfaceId", e), ("SecurityGroupId.1", WEB), ("SecurityGroupId.2", E1)]),
        (404, "InvalidParameter.SecurityGroupIdRepeated", &[("RegionId", HZ), ("NetworkInterfaceId", e), ("SecurityGroupId.1", WEB), ("SecurityGroupId.2", WEB)]),
        (403, "InvalidSecurityGroupId.NotVpc", &[("RegionId", HZ), ("NetworkInterfaceId", e), ("SecurityGroupId.1", "sg-bp1classic0001")]),
        (403, "InvalidOperation.EniServiceManaged", &[("RegionId", HZ), ("NetworkInterfaceId", "eni-bp1managed0001"), ("SecurityGroupId.1", APP)]),
        (400, "InvalidOperation.InvalidEniState", &[("RegionId", HZ), ("NetworkInterfaceId", "eni-bp1attaching01"), ("SecurityGroupId.1", APP)]),
        (403, "InvalidOperation.EniCountExceeded", &[("RegionId", HZ), ("NetworkInterfaceId", e), ("SecurityGroupId.1", "sg-bp1entfull00001")]),
        (400, "MissingParameter.RegionId", &[("NetworkInterfaceId", e), ("SecurityGroupId.1", APP)]),
        (400, "InvalidParams.EniId", &[("RegionId", HZ), ("NetworkInterfaceId", "eni-X"), ("SecurityGroupId.1", APP)]),
        (404, "InvalidEniId.NotFound", &[("RegionId", HZ), ("NetworkInterfaceId", "eni-bp1missing0001"), ("SecurityGroupId.1", APP)]),
        (400, "NotBelongUser", &[("RegionId", HZ), ("NetworkInterfaceId", "eni-bp1other000001"), ("SecurityGroupId.1", APP)]),
    ];
    for (status, code, params) in cases {
        expect_error(
            &c.call("ModifyNetworkInterfaceAttribute", params).await,
            *status,
            code,
        );
    }
    assert_eq!(emu.groups_of(e).await, [DB]);
    emu.stop().await;
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn describe_answers_being_created_and_instance_type_as_the_cloud_does() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let a = c
        .call(
            "DescribeInstances",
            &[
                ("RegionId", HZ),
                (
                    "InstanceIds",
                    r#"["i-bp1creating0001","i-bp1noent0000001","i-bp1web000000001"]"#,
                ),
            ],
        )
        .await;
    let mut facts: Vec<(String, String, String)> = a.ok()["Instances"]["Instance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["InstanceId"].as_str().unwrap().to_owned(),
                i["Status"].as_str().unwrap().to_owned(),
                i["InstanceType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    facts.sort();
    let creating = facts.iter().find(|f| f.0 == "i-bp1creating0001").unwrap();
    assert_eq!(
        (creating.1.as_str(), creating.2.as_str()),
        ("Pending", "ecs.g7.large")
    );
    let noent = facts.iter().find(|f| f.0 == "i-bp1noent0000001").unwrap();
    assert_eq!(
        noent.2, "ecs.t1.small",
        "no enterprise support: a small type"
    );
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[
                ("RegionId", HZ),
                ("NetworkInterfaceId.1", "eni-bp1creating001"),
            ],
        )
        .await;
    let set = &a.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"][0];
    assert_eq!(set["Status"], "Creating");
    // The `Status` filter matches what is answered.
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("Status", "Creating")],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"],
            "NetworkInterfaceId"
        ),
        ["eni-bp1creating001"]
    );
    emu.stop().await;
}

#[test]
fn an_explicit_instance_type_is_answered_and_kept() {
    let mut file: sgform::emulator::WorldFile =
        serde_json::from_str(&std::fs::read_to_string(wire_world_path()).unwrap()).unwrap();
    file.instances[0].instance_type = Some("ecs.c8i.xlarge".to_owned());
    let mut world = sgform::emulator::World::from_file(file).unwrap();
    let id = world.to_file().instances[0].id.clone();
    let ids_param = format!("[\"{id}\"]");
    let req = sgform::emulator::Request::new(
        sgform::emulator::Action::DescribeInstances,
        [("RegionId", HZ), ("InstanceIds", ids_param.as_str())],
    );
    let body = world.apply("1111111111111111", &req).unwrap();
    assert_eq!(
        body["Instances"]["Instance"][0]["InstanceType"],
        "ecs.c8i.xlarge"
    );
    assert!(
        world
            .to_json()
            .contains("\"instance_type\": \"ecs.c8i.xlarge\"")
    );
    // Absent stays absent in the file format, so old worlds round-trip unchanged.
    assert_eq!(world.to_json().matches("instance_type").count(), 1);
}

#[tokio::test]
async fn describe_instances_pages_and_filters() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    // Page paging walks every visible instance once.
    let mut seen = Vec::new();
    for page in 1..=10 {
        let n = page.to_string();
        let a = c
            .call(
                "DescribeInstances",
                &[("RegionId", HZ), ("PageSize", "5"), ("PageNumber", &n)],
            )
            .await;
        let body = a.ok();
        assert_eq!(
            body["TotalCount"], 16,
            "the other account's instance is invisible"
        );
        let items = ids(&body["Instances"]["Instance"], "InstanceId");
        if items.is_empty() {
            break;
        }
        seen.extend(items);
    }
    assert_eq!(seen.len(), 16);
    assert!(!seen.contains(&"i-bp1other0000001".to_owned()));
    // Token paging walks the same list.
    let mut token_seen = Vec::new();
    let mut token = String::new();
    loop {
        let mut params = vec![("RegionId", HZ), ("MaxResults", "10")];
        if !token.is_empty() {
            params.push(("NextToken", &token));
        }
        let a = c.call("DescribeInstances", &params).await;
        let body = a.ok().clone();
        token_seen.extend(ids(&body["Instances"]["Instance"], "InstanceId"));
        token = body["NextToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(token_seen, seen);
    // Batch and attribute filters.
    let a = c
        .call(
            "DescribeInstances",
            &[
                ("RegionId", HZ),
                (
                    "InstanceIds",
                    &format!("[\"{I_WEB}\",\"{I_TWO}\",\"i-bp1other0000001\"]"),
                ),
            ],
        )
        .await;
    assert_eq!(
        ids(&a.ok()["Instances"]["Instance"], "InstanceId"),
        [I_WEB, I_TWO]
    );
    let a = c
        .call(
            "DescribeInstances",
            &[("RegionId", HZ), ("InstanceIds", "[]")],
        )
        .await;
    assert_eq!(a.ok()["TotalCount"], 0);
    let a = c
        .call(
            "DescribeInstances",
            &[
                ("RegionId", HZ),
                ("Tag.1.Key", "role"),
                ("Tag.1.Value", "web"),
            ],
        )
        .await;
    assert_eq!(
        ids(&a.ok()["Instances"]["Instance"], "InstanceId"),
        [I_WEB, I_TWO]
    );
    let a = c
        .call(
            "DescribeInstances",
            &[
                ("RegionId", HZ),
                ("Tag.1.Key", "role"),
                ("Tag.1.Value", "web"),
                ("Tag.2.Key", "env"),
                ("Tag.2.Value", "prod"),
            ],
        )
        .await;
    assert_eq!(ids(&a.ok()["Instances"]["Instance"], "InstanceId"), [I_WEB]);
    let a = c
        .call(
            "DescribeInstances",
            &[("RegionId", HZ), ("SecurityGroupId", APP)],
        )
        .await;
    assert_eq!(
        ids(&a.ok()["Instances"]["Instance"], "InstanceId"),
        [I_TWO, "i-bp1five00000001"]
    );
    let a = c
        .call(
            "DescribeInstances",
            &[("RegionId", HZ), ("Status", "Stopping")],
        )
        .await;
    assert_eq!(
        ids(&a.ok()["Instances"]["Instance"], "InstanceId"),
        ["i-bp1stopping0001"]
    );
    let a = c
        .call(
            "DescribeInstances",
            &[("RegionId", HZ), ("VpcId", "vpc-bp1wire00000002")],
        )
        .await;
    assert_eq!(
        ids(&a.ok()["Instances"]["Instance"], "InstanceId"),
        ["i-bp1vpc200000001"]
    );
    // Shapes.
    let a = c
        .call(
            "DescribeInstances",
            &[("RegionId", HZ), ("InstanceIds", &format!("[\"{I_WEB}\"]"))],
        )
        .await;
    let inst = &a.ok()["Instances"]["Instance"][0];
    assert_eq!(
        inst["SecurityGroupIds"]["SecurityGroupId"],
        serde_json::json!([WEB])
    );
    assert_eq!(inst["VpcAttributes"]["VpcId"], "vpc-bp1wire00000001");
    assert_eq!(inst["InstanceNetworkType"], "vpc");
    assert_eq!(inst["Status"], "Running");
    // Limits.
    let many: Vec<String> = (0..101).map(|n| format!("\"i-bp1many{n:08}\"")).collect();
    let a = c
        .call(
            "DescribeInstances",
            &[
                ("RegionId", HZ),
                ("InstanceIds", &format!("[{}]", many.join(","))),
            ],
        )
        .await;
    expect_error(&a, 400, "InvalidParameter");
    expect_error(
        &c.call(
            "DescribeInstances",
            &[("RegionId", HZ), ("InstanceIds", "i-1")],
        )
        .await,
        400,
        "InvalidParameter",
    );
    expect_error(
        &c.call(
            "DescribeInstances",
            &[("RegionId", HZ), ("PageSize", "101")],
        )
        .await,
        400,
        "InvalidParameter",
    );
    expect_error(
        &c.call("DescribeInstances", &[]).await,
        400,
        "MissingParameter.RegionId",
    );
    emu.stop().await;
}

#[tokio::test]
async fn describe_instance_attribute_hides_other_accounts() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let a = c
        .call("DescribeInstanceAttribute", &[("InstanceId", I_TWO)])
        .await;
    assert_eq!(
        a.ok()["SecurityGroupIds"]["SecurityGroupId"],
        serde_json::json!([WEB, APP])
    );
    let a = c
        .call(
            "DescribeInstanceAttribute",
            &[("InstanceId", "i-bp1locked000001")],
        )
        .await;
    assert_eq!(
        a.ok()["OperationLocks"]["LockReason"][0]["LockReason"],
        "security"
    );
    expect_error(
        &c.call(
            "DescribeInstanceAttribute",
            &[("InstanceId", "i-bp1other0000001")],
        )
        .await,
        404,
        "InvalidInstanceId.NotFound",
    );
    // The owner sees it.
    emu.client_with(OTHER_KEY)
        .call(
            "DescribeInstanceAttribute",
            &[("InstanceId", "i-bp1other0000001")],
        )
        .await
        .ok();
    emu.stop().await;
}

#[tokio::test]
async fn describe_network_interfaces_and_security_groups_filter_and_page() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[
                ("RegionId", HZ),
                ("NetworkInterfaceId.1", "eni-bp1sec00000002"),
                ("NetworkInterfaceId.2", "eni-bp1sec00000001"),
                ("NetworkInterfaceId.3", "eni-bp1other000001"),
            ],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"],
            "NetworkInterfaceId"
        ),
        ["eni-bp1sec00000001", "eni-bp1sec00000002"]
    );
    // SecurityGroupId matches secondary interfaces only, as documented.
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("SecurityGroupId", APP)],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"],
            "NetworkInterfaceId"
        ),
        ["eni-bp1sec00000002", "eni-bp1five0000001"]
    );
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("InstanceId", I_WEB)],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"],
            "NetworkInterfaceId"
        ),
        ["eni-bp1sec00000001", "eni-bp1primary0001"]
    );
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("Type", "Primary")],
        )
        .await;
    assert_eq!(a.ok()["TotalCount"], 1);
    // Ten visible interfaces fit one token page of ten: no next token.
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("MaxResults", "10")],
        )
        .await;
    let body = a.ok();
    assert_eq!(
        body["NetworkInterfaceSets"]["NetworkInterfaceSet"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert_eq!(body["NextToken"], "");
    let a = c
        .call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("PageSize", "4"), ("PageNumber", "3")],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["NetworkInterfaceSets"]["NetworkInterfaceSet"],
            "NetworkInterfaceId"
        ),
        ["eni-bp1vpc20000001", "eni-bp1noent000001"]
    );
    expect_error(
        &c.call(
            "DescribeNetworkInterfaces",
            &[("RegionId", HZ), ("NextToken", "bogus")],
        )
        .await,
        400,
        "InvalidParameter",
    );

    let a = c
        .call(
            "DescribeSecurityGroups",
            &[
                ("RegionId", HZ),
                (
                    "SecurityGroupIds",
                    &format!("[\"{WEB}\",\"{E1}\",\"sg-bp1other000001\"]"),
                ),
                ("IsQueryEcsCount", "true"),
            ],
        )
        .await;
    let groups = &a.ok()["SecurityGroups"]["SecurityGroup"];
    assert_eq!(ids(groups, "SecurityGroupId"), [WEB, E1]);
    assert_eq!(groups[1]["SecurityGroupType"], "enterprise");
    assert_eq!(groups[0]["RuleCount"], 10);
    assert_eq!(groups[1]["EcsCount"], 1);
    let a = c
        .call(
            "DescribeSecurityGroups",
            &[("RegionId", HZ), ("VpcId", "vpc-bp1wire00000002")],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["SecurityGroups"]["SecurityGroup"],
            "SecurityGroupId"
        ),
        [VPC2_SG]
    );
    let a = c
        .call(
            "DescribeSecurityGroups",
            &[("RegionId", HZ), ("SecurityGroupId", DB)],
        )
        .await;
    assert_eq!(
        ids(
            &a.ok()["SecurityGroups"]["SecurityGroup"],
            "SecurityGroupId"
        ),
        [DB]
    );
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let mut params = vec![("RegionId", HZ), ("MaxResults", "4")];
        if !token.is_empty() {
            params.push(("NextToken", &token));
        }
        let a = c.call("DescribeSecurityGroups", &params).await;
        let body = a.ok().clone();
        assert!(
            body.get("TotalCount").is_none(),
            "token paging omits TotalCount"
        );
        all.extend(ids(
            &body["SecurityGroups"]["SecurityGroup"],
            "SecurityGroupId",
        ));
        token = body["NextToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(all.len(), 15, "16 groups, one of another account");
    let regions = c.call("DescribeRegions", &[]).await;
    assert_eq!(regions.ok()["Regions"]["Region"][0]["RegionId"], HZ);
    emu.stop().await;
}

#[tokio::test]
async fn authentication_failures() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    let regions = [("RegionId", HZ)];

    // Skew over 15 minutes.
    let mut p = emu_sign::common(KEY.0, "DescribeRegions");
    let old = (chrono::Utc::now() - chrono::Duration::minutes(16))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    for (k, v) in &mut p {
        if k == "Timestamp" {
            *v = old.clone();
        }
    }
    let sig = emu_sign::signature("GET", &p, KEY.1);
    p.push(("Signature".into(), sig));
    expect_error(
        &c.send_get(&p).await.unwrap(),
        400,
        "InvalidTimeStamp.Expired",
    );

    // Malformed timestamp.
    let mut p = emu_sign::common(KEY.0, "DescribeRegions");
    for (k, v) in &mut p {
        if k == "Timestamp" {
            *v = "yesterday".into();
        }
    }
    let sig = emu_sign::signature("GET", &p, KEY.1);
    p.push(("Signature".into(), sig));
    expect_error(
        &c.send_get(&p).await.unwrap(),
        400,
        "InvalidTimeStamp.Format",
    );

    // Nonce reuse: the same signed request twice.
    let signed = c.signed("GET", "DescribeRegions", &regions);
    c.send_get(&signed).await.unwrap().ok();
    expect_error(
        &c.send_get(&signed).await.unwrap(),
        400,
        "SignatureNonceUsed",
    );

    // Unknown key.
    expect_error(
        &emu.client_with(("LTAI5tNoSuchKey000001", "x"))
            .call("DescribeRegions", &regions)
            .await,
        404,
        "InvalidAccessKeyId.NotFound",
    );

    // Wrong secret.
    let a = emu
        .client_with((KEY.0, "not-the-secret"))
        .call("DescribeRegions", &regions)
        .await;
    expect_error(&a, 400, "SignatureDoesNotMatch");
    assert!(
        a.body["Message"]
            .as_str()
            .unwrap()
            .contains("server string to sign is:GET&%2F&AccessKeyId%3D")
    );
    assert!(
        !a.body.to_string().contains(KEY.1),
        "the secret never appears"
    );

    // A tampered parameter after signing.
    let mut p = c.signed("GET", "DescribeRegions", &regions);
    for (k, v) in &mut p {
        if k == "RegionId" {
            *v = "cn-shanghai".into();
        }
    }
    expect_error(&c.send_get(&p).await.unwrap(), 400, "SignatureDoesNotMatch");

    // Missing signature.
    let p = emu_sign::common(KEY.0, "DescribeRegions");
    expect_error(&c.send_get(&p).await.unwrap(), 400, "MissingParameter");

    // STS keys need their token.
    let mut sts = emu.client_with(STS_KEY);
    expect_error(
        &sts.call("DescribeRegions", &regions).await,
        400,
        "MissingSecurityToken",
    );
    sts.token = Some("wrong-token".into());
    expect_error(
        &sts.call("DescribeRegions", &regions).await,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    );
    sts.token = Some(STS_TOKEN.into());
    sts.call("DescribeRegions", &regions).await.ok();

    // RAM deny.
    let deny = emu.client_with(DENY_KEY);
    expect_error(
        &deny
            .call(
                "JoinSecurityGroup",
                &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
            )
            .await,
        403,
        "Forbidden.RAM",
    );
    deny.call("DescribeRegions", &regions).await.ok();
    // DescribeInstances without permission answers an empty list, as documented.
    let a = deny.call("DescribeInstances", &regions).await;
    assert_eq!(a.ok()["TotalCount"], 0);

    // Unknown action and version.
    expect_error(
        &c.call("RunInstances", &regions).await,
        404,
        "InvalidAction.NotFound",
    );
    let mut p = emu_sign::common(KEY.0, "DescribeRegions");
    for (k, v) in &mut p {
        if k == "Version" {
            *v = "2016-01-01".into();
        }
    }
    let sig = emu_sign::signature("GET", &p, KEY.1);
    p.push(("Signature".into(), sig));
    expect_error(&c.send_get(&p).await.unwrap(), 400, "InvalidVersion");
    emu.stop().await;
}

#[tokio::test]
async fn sdk_variants_are_accepted() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let c = emu.client();
    // POST with the action's parameters in a form body, signed over query ∪ body.
    c.post(
        "JoinSecurityGroup",
        &[
            ("InstanceId", I_WEB),
            ("SecurityGroupId", APP),
            ("RegionId", HZ),
        ],
    )
    .await
    .ok();
    assert_eq!(emu.groups_of(I_WEB).await, [WEB, APP]);
    // The empty `SignatureType=` of the Python SDK and a lower-case `Format`.
    let mut p = emu_sign::common(KEY.0, "DescribeRegions");
    p.push(("SignatureType".into(), String::new()));
    for (k, v) in &mut p {
        if k == "Format" {
            *v = "json".into();
        }
    }
    let sig = emu_sign::signature("GET", &p, KEY.1);
    p.push(("Signature".into(), sig));
    c.send_get(&p).await.unwrap().ok();
    // XML on request.
    let mut p = emu_sign::common(KEY.0, "DescribeRegions");
    for (k, v) in &mut p {
        if k == "Format" {
            *v = "XML".into();
        }
    }
    let sig = emu_sign::signature("GET", &p, KEY.1);
    p.push(("Signature".into(), sig));
    let text = reqwest::get(format!("{}/?{}", emu.base, emu_sign::encode(&p)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("<DescribeRegionsResponse><Regions><Region><LocalName>"),
        "{text}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn concurrent_mutations_of_one_target_conflict() {
    let emu = Emu::start(
        wire_world(),
        Options {
            op_ms: 1500,
            ..Options::default()
        },
    )
    .await;
    let c = emu.client();
    let (a, b) = tokio::join!(
        c.call(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", APP)]
        ),
        c.call(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", DB)]
        ),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{:#} {:#}", a.body, b.body);
    let conflict = if a.status == 409 { &a } else { &b };
    expect_error(conflict, 409, "InvalidOperation.Conflict");
    assert_eq!(emu.groups_of(I_WEB).await.len(), 2);
    // Another target is not blocked, and once the first call has answered the target is free.
    c.call(
        "JoinSecurityGroup",
        &[("InstanceId", I_WEB), ("SecurityGroupId", DB)],
    )
    .await
    .ok();
    emu.stop().await;
}

#[tokio::test]
async fn each_answering_fault_kind() {
    for (fault, status, code) in [
        (Fault::InternalError, 500, "InternalError"),
        (Fault::ServiceUnavailable, 503, "ServiceUnavailable"),
        (Fault::Throttling, 400, "Throttling"),
        (Fault::Conflict, 409, "InvalidOperation.Conflict"),
    ] {
        let emu = Emu::start(
            wire_world(),
            Options {
                faults: Faults::none().with(fault, 1.0),
                ..Options::default()
            },
        )
        .await;
        let a = emu
            .client()
            .call(
                "JoinSecurityGroup",
                &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
            )
            .await;
        expect_error(&a, status, code);
        assert_eq!(
            emu.groups_of(I_WEB).await,
            [WEB],
            "{fault:?} changes nothing"
        );
        emu.stop().await;
    }
}

#[tokio::test]
async fn drop_faults_close_the_connection_before_or_after_the_change() {
    for (fault, changed) in [
        (Fault::DropBeforeCommit, false),
        (Fault::DropAfterCommit, true),
    ] {
        let emu = Emu::start(
            wire_world(),
            Options {
                faults: Faults::none().with(fault, 1.0),
                ..Options::default()
            },
        )
        .await;
        let r = emu
            .client()
            .try_call(
                "JoinSecurityGroup",
                &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
            )
            .await;
        assert!(r.is_err(), "{fault:?} must not answer: {r:?}");
        let expected: &[&str] = if changed { &[WEB, APP] } else { &[WEB] };
        assert_eq!(emu.groups_of(I_WEB).await, expected, "{fault:?}");
        assert_eq!(emu.stats().await["by_code"][fault.as_str()], 1);
        emu.stop().await;
    }
}

#[tokio::test]
async fn seeded_faults_and_request_ids_repeat() {
    async fn run() -> Vec<String> {
        let emu = Emu::start(
            wire_world(),
            Options {
                faults: Faults::parse("InternalError=0.3,Throttling=0.3").unwrap(),
                seed: Some(7),
                ..Options::default()
            },
        )
        .await;
        let c = emu.client();
        let mut out = Vec::new();
        for _ in 0..12 {
            let a = c.call("DescribeRegions", &[("RegionId", HZ)]).await;
            out.push(format!("{} {}", a.code(), a.body["RequestId"]));
        }
        emu.stop().await;
        out
    }
    let first = run().await;
    assert_eq!(first, run().await);
    assert!(first.iter().any(|s| s.starts_with("OK")));
    assert!(first.iter().any(|s| !s.starts_with("OK")));
}

#[tokio::test]
async fn rate_limit_throttles_per_account_and_action() {
    let emu = Emu::start(
        wire_world(),
        Options {
            rate_limit: Some(2),
            ..Options::default()
        },
    )
    .await;
    let c = emu.client();
    let mut codes = Vec::new();
    for _ in 0..9 {
        codes.push(c.call("DescribeRegions", &[]).await.code().to_owned());
    }
    // Unless nine calls take over three seconds, they span at most four one-second windows,
    // so at most eight pass.
    assert!(codes.iter().any(|c| c == "Throttling.User"), "{codes:?}");
    let throttled = c.call("DescribeRegions", &[]).await;
    if throttled.code() == "Throttling.User" {
        expect_error(&throttled, 400, "Throttling.User");
    }
    // Another account is not throttled by this one's calls.
    emu.client_with(OTHER_KEY)
        .call("DescribeRegions", &[])
        .await
        .ok();
    emu.stop().await;
}

#[tokio::test]
async fn latency_and_jitter_still_answer() {
    let emu = Emu::start(
        wire_world(),
        Options {
            latency_ms: 5,
            jitter_ms: 5,
            seed: Some(1),
            ..Options::default()
        },
    )
    .await;
    emu.client().call("DescribeRegions", &[]).await.ok();
    emu.stop().await;
}

#[tokio::test]
async fn stats_and_log_record_calls_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let emu = Emu::start(
        wire_world(),
        Options {
            log: Some(log.clone()),
            ..Options::default()
        },
    )
    .await;
    let c = emu.client();
    c.call(
        "JoinSecurityGroup",
        &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
    )
    .await
    .ok();
    c.call(
        "JoinSecurityGroup",
        &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
    )
    .await;
    let mut sts = emu.client_with(STS_KEY);
    sts.token = Some(STS_TOKEN.into());
    sts.call("DescribeRegions", &[]).await.ok();
    let stats = emu.stats().await;
    assert_eq!(stats["total"], 3);
    assert_eq!(stats["by_action"]["JoinSecurityGroup"], 2);
    assert_eq!(stats["by_code"]["OK"], 2);
    assert_eq!(stats["by_code"]["InvalidInstanceId.AlreadyExists"], 1);
    assert_eq!(stats["by_action_code"]["JoinSecurityGroup"]["OK"], 1);
    emu.stop().await;

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["action"], "JoinSecurityGroup");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["params"]["InstanceId"], I_WEB);
    assert_eq!(lines[1]["code"], "InvalidInstanceId.AlreadyExists");
    assert_eq!(lines[1]["status"], 403);
    assert!(lines[2]["duration_ms"].is_number());
    for secret in [
        KEY.1,
        STS_KEY.1,
        STS_TOKEN,
        "\"Signature\"",
        "SecurityToken",
    ] {
        assert!(!text.contains(secret), "the log shows `{secret}`");
    }
}

#[tokio::test]
async fn persist_writes_the_world_back_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.json");
    std::fs::copy(wire_world_path(), &path).unwrap();
    let emu = Emu::start(
        World::load(&path).unwrap(),
        Options {
            persist: Some(path.clone()),
            ..Options::default()
        },
    )
    .await;
    emu.client()
        .call(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
        )
        .await
        .ok();
    emu.stop().await;
    let reloaded = World::load(&path).unwrap();
    assert_eq!(
        reloaded.instance(I_WEB).unwrap().security_group_ids,
        [WEB, APP]
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["world.json"], "no temp file is left behind");
    // A second emulator on the persisted file starts from the change (plan → apply → plan).
    let emu = Emu::start(reloaded, Options::default()).await;
    expect_error(
        &emu.client()
            .call(
                "JoinSecurityGroup",
                &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
            )
            .await,
        403,
        "InvalidInstanceId.AlreadyExists",
    );
    emu.stop().await;
}

#[tokio::test]
async fn world_endpoint_round_trips_the_file_format() {
    let emu = Emu::start(wire_world(), Options::default()).await;
    let served = emu.world().await;
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(wire_world_path()).unwrap()).unwrap();
    let reparsed = World::from_json(&served.to_string()).unwrap();
    assert_eq!(
        serde_json::to_value(reparsed.to_file()).unwrap()["instances"]
            .as_array()
            .unwrap()
            .len(),
        original["instances"].as_array().unwrap().len()
    );
    assert_eq!(served["security_groups"], original["security_groups"]);
    emu.stop().await;
}

// The world without HTTP: the oracle API the planner's property tests use.

#[test]
fn world_applies_requests_directly_and_transitions_with_time() {
    let mut world = wire_world();
    let account = "1111111111111111";
    let t = "i-bp1trans0000001";
    let err = world
        .apply(account, &Request::join(t, APP, HZ))
        .unwrap_err();
    assert_eq!(err.code, Code::IncorrectInstanceStatus);
    world.advance(600_000);
    world.apply(account, &Request::join(t, APP, HZ)).unwrap();
    assert_eq!(world.instance(t).unwrap().status, "Running");
    assert_eq!(world.instance(t).unwrap().security_group_ids, [WEB, APP]);
    world
        .apply(account, &Request::replace("eni-bp1sec00000002", &[DB], HZ))
        .unwrap();
    assert_eq!(
        world
            .network_interface("eni-bp1sec00000002")
            .unwrap()
            .security_group_ids,
        [DB]
    );
    let err = world
        .apply(account, &Request::leave(I_WEB, WEB, HZ))
        .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.status()),
        ("InstanceLastSecurityGroup", 403)
    );
    let body = world
        .apply(
            account,
            &Request::new(Action::DescribeRegions, [("RegionId", HZ)]),
        )
        .unwrap();
    assert!(body.contains_key("Regions"));
}

#[test]
fn capacity_is_freed_by_leaving_and_taken_by_replacing() {
    let mut world = wire_world();
    let account = "1111111111111111";
    let full = "sg-bp1full0000001";
    assert_eq!(world.member_count(full), 1);
    let err = world
        .apply(account, &Request::join(I_WEB, full, HZ))
        .unwrap_err();
    assert_eq!(err.code, Code::SecurityGroupInstanceLimitExceeded);
    world
        .apply(account, &Request::leave("i-bp1full00000001", full, HZ))
        .unwrap();
    assert_eq!(world.member_count(full), 0);
    world
        .apply(account, &Request::join(I_WEB, full, HZ))
        .unwrap();
    // The group is full again: a replacement that adds it is refused, one that keeps it is not.
    let err = world
        .apply(account, &Request::replace("i-bp1modify000001", &[full], HZ))
        .unwrap_err();
    assert_eq!(err.code.as_str(), "SecurityGroupInstanceLimitExceed");
    world
        .apply(account, &Request::replace(I_WEB, &[full, APP], HZ))
        .unwrap();
    assert_eq!(world.member_count(full), 1);
    assert_eq!(world.member_count(WEB) + 1, wire_world().member_count(WEB));
    // Another account's caller sees none of it.
    let err = world
        .apply("2222222222222222", &Request::join(I_WEB, WEB, HZ))
        .unwrap_err();
    assert_eq!(err.code, Code::NotBelongUser);
}

#[test]
fn invalid_worlds_are_refused_naming_the_entry() {
    let base: Value =
        serde_json::from_str(&std::fs::read_to_string(wire_world_path()).unwrap()).unwrap();
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "instances[0] `i-bp1web000000001`: unknown security group `sg-bp1nothere00001`",
            Box::new(|w: &mut Value| {
                w["instances"][0]["security_group_ids"] = serde_json::json!(["sg-bp1nothere00001"]);
            }),
        ),
        (
            "instances[1] `i-bp1web000000001`: duplicate instance id",
            Box::new(|w: &mut Value| {
                w["instances"][1]["id"] = "i-bp1web000000001".into();
            }),
        ),
        (
            "6 security groups exceed `groups_per_target` 5",
            Box::new(|w: &mut Value| {
                w["instances"][2]["security_group_ids"]
                    .as_array_mut()
                    .unwrap()
                    .push("sg-bp1extra0000003".into());
            }),
        ),
        (
            "mixes normal and enterprise",
            Box::new(|w: &mut Value| {
                w["instances"][0]["security_group_ids"] = serde_json::json!([WEB, E1]);
            }),
        ),
        (
            "security_groups[5] `sg-bp1full0000001`: 2 members exceed its capacity 1",
            Box::new(|w: &mut Value| {
                w["instances"][1]["security_group_ids"] =
                    serde_json::json!([WEB, "sg-bp1full0000001"]);
            }),
        ),
        (
            "unknown owner account `9`",
            Box::new(|w: &mut Value| {
                w["vpcs"][0]["owner"] = "9".into();
            }),
        ),
        (
            "unknown field `colour`",
            Box::new(|w: &mut Value| {
                w["instances"][0]["colour"] = "red".into();
            }),
        ),
        (
            "malformed id",
            Box::new(|w: &mut Value| {
                w["security_groups"][0]["id"] = "sg-X".into();
            }),
        ),
    ];
    for (expected, change) in cases {
        let mut w = base.clone();
        change(&mut w);
        let err = World::from_json(&w.to_string()).unwrap_err().to_string();
        assert!(err.contains(expected), "expected `{expected}` in:\n{err}");
    }
}

#[test]
fn missing_optional_fields_take_their_defaults() {
    let world = World::from_json(
        r#"{ "accounts": [{"id": "1"}],
             "vpcs": [{"id": "vpc-bp1aaaaaaaa", "region": "cn-hangzhou", "owner": "1"}],
             "security_groups": [{"id": "sg-bp1aaaaaaaa", "region": "cn-hangzhou", "owner": "1", "vpc_id": "vpc-bp1aaaaaaaa"}],
             "instances": [{"id": "i-bp1aaaaaaaa", "region": "cn-hangzhou", "owner": "1", "vpc_id": "vpc-bp1aaaaaaaa",
                            "security_group_ids": ["sg-bp1aaaaaaaa"]}] }"#,
    )
    .unwrap();
    let file = serde_json::to_value(world.to_file()).unwrap();
    assert_eq!(
        file["limits"],
        serde_json::json!({"groups_per_target": 5, "rules_per_target": 1000})
    );
    let g = &file["security_groups"][0];
    assert_eq!(
        (
            g["type"].as_str(),
            g["capacity"].as_u64(),
            g["rule_count"].as_u64()
        ),
        (Some("normal"), Some(2000), Some(0))
    );
    let i = &file["instances"][0];
    assert_eq!(i["status"], "Running");
    assert_eq!(i["network_type"], "vpc");
    assert_eq!(i["supports_enterprise_groups"], true);
    assert_eq!(i["locked_for_security"], false);
}

#[test]
fn generated_worlds_are_valid_and_repeatable() {
    let opts = GenerateOptions {
        instances: 300,
        enis: 100,
        groups: 40,
        vpcs: Some(4),
        regions: 2,
        seed: 9,
    };
    let a = generate(&opts).unwrap().to_json();
    assert_eq!(a, generate(&opts).unwrap().to_json());
    let file: Value = serde_json::from_str(&a).unwrap();
    assert_eq!(file["instances"].as_array().unwrap().len(), 300);
    assert_eq!(file["network_interfaces"].as_array().unwrap().len(), 100);
    let types: std::collections::BTreeSet<&str> = file["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 2, "mixed group types");
    let statuses: std::collections::BTreeSet<&str> = file["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert!(statuses.len() >= 3, "{statuses:?}");
    assert!(file["instances"][0]["tags"]["role"].is_string());
    World::from_json(&a).unwrap();
}

// The `sgform emulator` commands, as a user runs them.

#[test]
fn serve_command_prints_its_address_and_stops_on_sigterm_and_sigint() {
    for signal in ["-TERM", "-INT"] {
        serve_and_stop(signal);
    }
}

fn serve_and_stop(signal: &str) {
    serve_and_stop_with(signal, &wire_world_path(), &[], &[]);
}

type Call<'a> = (&'a str, &'a [(&'a str, &'a str)]);

/// Runs `sgform emulator serve`, makes `calls` (each must succeed), then stops it with `signal`.
fn serve_and_stop_with(signal: &str, world: &std::path::Path, extra: &[&str], calls: &[Call<'_>]) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sgform"))
        .args([
            "emulator",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "3",
        ])
        .args(extra)
        .arg("--world")
        .arg(world)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = crate::support::emu_env::Client::new(&base, KEY);
    runtime.block_on(async {
        c.call("DescribeRegions", &[]).await.ok();
        for (action, params) in calls {
            c.call(action, params).await.ok();
        }
    });
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{signal}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_command_persists_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world.json");
    let log = dir.path().join("log.jsonl");
    std::fs::copy(wire_world_path(), &world).unwrap();
    serve_and_stop_with(
        "-TERM",
        &world,
        &[
            "--persist",
            "--log",
            log.to_str().unwrap(),
            "--op-ms",
            "1",
            "--latency-ms",
            "1",
        ],
        &[(
            "JoinSecurityGroup",
            &[("InstanceId", I_WEB), ("SecurityGroupId", APP)],
        )],
    );
    let reloaded = World::load(&world).unwrap();
    assert_eq!(reloaded.groups_of(I_WEB).unwrap(), [WEB, APP]);
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), 2);
    assert!(!lines.contains(KEY.1));
}

#[test]
fn serve_command_refuses_a_bad_fault_spec() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sgform"))
        .args([
            "emulator",
            "serve",
            "--faults",
            "InternalError=0.5,Gremlins=0.1",
            "--world",
        ])
        .arg(wire_world_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown fault `Gremlins`"), "{stderr}");
}

#[test]
fn serve_command_refuses_an_invalid_world_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    let mut world: Value =
        serde_json::from_str(&std::fs::read_to_string(wire_world_path()).unwrap()).unwrap();
    world["network_interfaces"][0]["instance_id"] = "i-bp1nowhere000001".into();
    std::fs::write(&path, world.to_string()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sgform"))
        .args(["emulator", "serve", "--world"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "network_interfaces[0] `eni-bp1sec00000001`: unknown instance `i-bp1nowhere000001`"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn generate_command_writes_a_valid_world() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sgform"))
        .args([
            "emulator",
            "generate",
            "--instances",
            "50",
            "--enis",
            "20",
            "--groups",
            "12",
            "--regions",
            "2",
            "--seed",
            "5",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let world = World::from_json(&text).unwrap();
    assert_eq!(world.to_file().instances.len(), 50);
    let regions: std::collections::BTreeSet<String> = world
        .to_file()
        .vpcs
        .iter()
        .map(|v| v.region.clone())
        .collect();
    assert_eq!(regions.len(), 2);
}

#[test]
fn every_world_in_testdata_and_examples_loads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(root.join("testdata/worlds"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    for example in std::fs::read_dir(root.join("examples")).unwrap() {
        let world = example.unwrap().path().join("world.json");
        if world.exists() {
            paths.push(world);
        }
    }
    for path in &paths {
        World::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    assert!(paths.len() >= 2, "{paths:?}");
}
