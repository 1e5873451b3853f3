use super::*;

#[test]
fn table_is_sorted_and_has_no_duplicates() {
    for pair in CODES.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "{} must sort before {}",
            pair[0].code,
            pair[1].code
        );
    }
}

#[test]
fn every_hint_is_one_line() {
    for row in CODES {
        assert!(
            !row.hint.is_empty() && !row.hint.contains('\n'),
            "{}",
            row.code
        );
    }
}

/// Every code of the seed document (JoinSecurityGroup), the LeaveSecurityGroup and Modify*
/// tables and the gateway/throttling tables of the reference.
#[rustfmt::skip]
const KNOWN: &[&str] = &[
    // JoinSecurityGroup (seed)
    "InstanceSecurityGroupLimitExceeded", "InvalidInstanceId.Mismatch", "InvalidInstanceId.Malformed",
    "InvalidOperation.NotSupportEnterpriseGroup", "InvalidOperation.MultiGroupType",
    "InvalidOperation.InvalidEniState", "InvalidOperation.EniAndGroupNotBelongSameUser", "NotBelongUser",
    "MissingParameter.RegionId", "InvalidStatus.EniOrInstanceIsBeingCreated", "InternalError",
    "IncorrectInstanceStatus", "InstanceLockedForSecurity", "SecurityGroupInstanceLimitExceeded",
    "InvalidInstanceId.AlreadyExists", "AclLimitExceed", "InvalidOperation.NetworkInterfaceCountExceeded",
    "InvalidOperation.ResourceManagedByCloudProduct", "InvalidOperation.InvalidEniType",
    "InvalidOperation.VpcMismatch", "InvalidOperation.EniServiceManaged", "InvalidParam.Malformed",
    "InvalidParam.EniIdAndInstanceId.Conflict", "Forbidden.InstanceIsBeingCreated",
    "InvalidSecurityGroupId.NotFound", "InvalidInstanceId.NotFound", "InvalidEniId.NotFound",
    "InvalidOperation.Conflict", "OperationDenied",
    // LeaveSecurityGroup
    "InvalidSecurityGroupAssociation.NotFound", "InstanceLastSecurityGroup",
    "InvalidOperation.AtLeastInOneGroup", "InstanceNotInSecurityGroup", "InvalidVSwitchId.NotFound",
    "RequestTimeout",
    // ModifyInstanceAttribute
    "InvalidNetworkType.NotSupported", "JoinedGroupLimitExceed", "InvalidOperation.EniCountExceeded",
    "InvalidParameter", "InvalidOperation.InvalidEcsState", "EnterpriseGroupLimited.MutliGroupType",
    "SecurityGroupInstanceLimitExceed", "InvalidOperation.InvalidRegion",
    "InvalidParameter.SecurityGroupIdRepeated", "InvalidSecurityGroupType.NotSupportClassic",
    "InvalidSecurityGroupVpc.NotBelongToOneVpc",
    // ModifyNetworkInterfaceAttribute
    "InvalidParams.EniId", "InvalidParameter.Conflict", "MissingParameter",
    "InvalidSecurityGroupId.NotVpc", "InvalidEcsId.NotFound",
    "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc",
    // gateway (1.9)
    "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "SignatureDoesNotMatch",
    "IncompleteSignature", "InvalidTimeStamp.Format", "InvalidTimeStamp.Expired", "SignatureNonceUsed",
    "InvalidApi.NotFound", "InvalidAction.NotFound", "InvalidVersion", "MissingSecurityToken",
    "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey", "Forbidden.RAM", "Forbidden",
    // throttling and retries (5)
    "Throttling", "Throttling.User", "Throttling.Api", "Throttling.ConcurrentLimitExceeded",
    "Rejected.Throttling", "ServiceUnavailable", "UnknownError", "OperationConflict",
    // describe
    "Unauthorized.EmptyRegion", "NotSupported.PageNumberAndPageSize", "InvalidSecurityGroupId.Malformed",
];

#[test]
fn every_known_code_is_in_the_table() {
    let missing: Vec<_> = KNOWN.iter().filter(|c| lookup(c).is_none()).collect();
    assert!(missing.is_empty(), "codes missing from CODES: {missing:?}");
}

fn class(action: &str, code: &str, status: u16) -> ErrorClass {
    classify(action, &ErrorCode::new(code), status)
}

#[test]
fn already_done_depends_on_the_action() {
    use ErrorClass::*;
    assert_eq!(
        class("JoinSecurityGroup", "InvalidInstanceId.AlreadyExists", 403),
        AlreadyDone
    );
    assert_eq!(
        class(
            "ModifyInstanceAttribute",
            "InvalidInstanceId.AlreadyExists",
            403
        ),
        Permanent
    );
    assert_eq!(
        class(
            "LeaveSecurityGroup",
            "InvalidSecurityGroupAssociation.NotFound",
            400
        ),
        AlreadyDone
    );
    assert_eq!(
        class("LeaveSecurityGroup", "InstanceNotInSecurityGroup", 403),
        AlreadyDone
    );
    assert_eq!(
        class("ModifyInstanceAttribute", "InstanceNotInSecurityGroup", 403),
        Permanent
    );
}

#[test]
fn transient_and_transitional_codes() {
    use ErrorClass::*;
    assert_eq!(class("JoinSecurityGroup", "Throttling", 400), Retryable);
    assert_eq!(
        class("JoinSecurityGroup", "Throttling.Whatever", 429),
        Retryable
    );
    assert_eq!(class("JoinSecurityGroup", "SomethingNew", 502), Retryable);
    assert_eq!(class("JoinSecurityGroup", "SomethingNew", 400), Permanent);
    assert_eq!(
        class("JoinSecurityGroup", "InvalidOperation.Conflict", 409),
        Retryable
    );
    assert_eq!(
        class(
            "JoinSecurityGroup",
            "InvalidStatus.EniOrInstanceIsBeingCreated",
            400
        ),
        WaitAndRetry
    );
    assert_eq!(
        class("JoinSecurityGroup", "InvalidOperation.MultiGroupType", 400),
        Permanent
    );
}

#[test]
fn api_error_display_names_action_code_status_and_request_id() {
    let e = ApiError {
        action: "JoinSecurityGroup".into(),
        http_status: 400,
        code: ErrorCode::new("InvalidOperation.MultiGroupType"),
        message: "The specified instance can't join different types of security group.".into(),
        request_id: Some("8906582E-6722-409A-A6C4-0E7863B733A5".into()),
        host_id: None,
        recommend: None,
    };
    assert_eq!(
        e.to_string(),
        "JoinSecurityGroup failed: InvalidOperation.MultiGroupType (HTTP 400): The specified instance can't join different types of security group. [request id 8906582E-6722-409A-A6C4-0E7863B733A5]"
    );
    assert!(e.hint().contains("normal"));
}
