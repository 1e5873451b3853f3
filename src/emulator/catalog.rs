//! The error catalog: every code the emulator can answer, with its HTTP status and the message
//! the ECS documentation gives for it.
//!
//! Codes whose documented message is `%s` carry a message written where the error is raised
//! (naming the resources involved); the others always use the documented text. One table, so a
//! code is never spelled twice.

use std::fmt;

macro_rules! catalog {
    ($( $(#[$doc:meta])* $variant:ident => $status:literal, $code:literal, $msg:literal; )*) => {
        /// One entry of the error catalog.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every entry, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The HTTP status the API answers with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// The `Code` field of the error body.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The documented message; `%s` means "filled in where the error is raised".
            pub fn template(self) -> &'static str {
                match self { $(Code::$variant => $msg,)* }
            }
        }
    };
}

catalog! {
    // JoinSecurityGroup (the seed document), in its order.
    /// Instance already in `groups_per_target` groups.
    InstanceSecurityGroupLimitExceeded => 400, "InstanceSecurityGroupLimitExceeded", "Exceeding the allowed amount of security groups that an instance can be in.";
    InstanceIdMismatch => 400, "InvalidInstanceId.Mismatch", "Specified instance and security group are not in the same VPC.";
    InstanceIdMalformed => 400, "InvalidInstanceId.Malformed", "The specified parameter \"InstanceId\" is not valid.";
    NotSupportEnterpriseGroup => 400, "InvalidOperation.NotSupportEnterpriseGroup", "The specified instance type doesn't support enterprise level security group.";
    MultiGroupType => 400, "InvalidOperation.MultiGroupType", "The specified instance can't join different types of security group.";
    InvalidEniState => 400, "InvalidOperation.InvalidEniState", "%s";
    EniAndGroupNotBelongSameUser => 400, "InvalidOperation.EniAndGroupNotBelongSameUser", "%s";
    NotBelongUser => 400, "NotBelongUser", "%s";
    MissingRegionId => 400, "MissingParameter.RegionId", "The specified RegionId should not be null.";
    EniOrInstanceIsBeingCreated => 400, "InvalidStatus.EniOrInstanceIsBeingCreated", "%s.";
    InternalError => 500, "InternalError", "The request processing has failed due to some unknown error.";
    IncorrectInstanceStatus => 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.";
    InstanceLockedForSecurity => 403, "InstanceLockedForSecurity", "The specified operation is denied as your instance is locked for security reasons.";
    SecurityGroupInstanceLimitExceeded => 403, "SecurityGroupInstanceLimitExceeded", "The maximum number of instances in a security group is exceeded.";
    InstanceAlreadyExists => 403, "InvalidInstanceId.AlreadyExists", "The specified instance already exists in the specified security group.";
    AclLimitExceed => 403, "AclLimitExceed", "%s";
    /// The 403 variant: an ENI already in `groups_per_target` groups.
    EniSecurityGroupLimitExceeded => 403, "InstanceSecurityGroupLimitExceeded", "%s";
    NetworkInterfaceCountExceeded => 403, "InvalidOperation.NetworkInterfaceCountExceeded", "The maximum number of NetworkInterface in a enterprise level security group is exceeded.";
    ResourceManagedByCloudProduct => 403, "InvalidOperation.ResourceManagedByCloudProduct", "%s";
    InvalidEniType => 403, "InvalidOperation.InvalidEniType", "%s";
    VpcMismatch => 403, "InvalidOperation.VpcMismatch", "%s";
    EniServiceManaged => 403, "InvalidOperation.EniServiceManaged", "%s";
    InvalidParamMalformed => 403, "InvalidParam.Malformed", "%s";
    EniIdAndInstanceIdConflict => 403, "InvalidParam.EniIdAndInstanceId.Conflict", "%s";
    InstanceIsBeingCreated => 403, "Forbidden.InstanceIsBeingCreated", "The specified instance is being created.";
    SecurityGroupNotFound => 404, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.";
    InstanceNotFound => 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.";
    EniNotFound => 404, "InvalidEniId.NotFound", "%s";
    Conflict => 409, "InvalidOperation.Conflict", "Request was denied due to conflict with a previous request, please try again later.";

    // LeaveSecurityGroup (reference §4.2).
    AssociationNotFound => 400, "InvalidSecurityGroupAssociation.NotFound", "%s";
    InstanceLastSecurityGroup => 403, "InstanceLastSecurityGroup", "The specified security group is the last security group for the instance.";

    // ModifyInstanceAttribute / ModifyNetworkInterfaceAttribute (reference §4.3, §4.4).
    JoinedGroupLimitExceed => 400, "JoinedGroupLimitExceed", "%s";
    NetworkTypeNotSupported => 400, "InvalidNetworkType.NotSupported", "%s";
    SecurityGroupIdRepeated => 404, "InvalidParameter.SecurityGroupIdRepeated", "%s";
    SecurityGroupTypeNotSupportClassic => 404, "InvalidSecurityGroupType.NotSupportClassic", "%s";
    SecurityGroupVpcNotBelongToOneVpc => 404, "InvalidSecurityGroupVpc.NotBelongToOneVpc", "%s";
    EnterpriseGroupMultiGroupType => 403, "EnterpriseGroupLimited.MutliGroupType", "%s";
    SecurityGroupInstanceLimitExceed => 403, "SecurityGroupInstanceLimitExceed", "%s";
    /// ModifyInstanceAttribute: an enterprise group's ENI capacity reached.
    InstanceEniCountExceeded => 400, "InvalidOperation.EniCountExceeded", "%s";
    /// ModifyNetworkInterfaceAttribute: an enterprise group's ENI capacity reached.
    EniCountExceeded => 403, "InvalidOperation.EniCountExceeded", "%s";
    /// ModifyNetworkInterfaceAttribute: mixing group types.
    EniMultiGroupType => 403, "InvalidOperation.MultiGroupType", "%s";
    PrimaryEniOnlySupportModifyNameAndDesc => 404, "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc", "%s";
    InvalidParamsEniId => 400, "InvalidParams.EniId", "%s";
    SecurityGroupIdNotVpc => 403, "InvalidSecurityGroupId.NotVpc", "%s";

    // Parameter validation shared by several actions.
    MissingParameter => 400, "MissingParameter", "%s";
    SecurityGroupIdMalformed => 400, "InvalidSecurityGroupId.Malformed", "The specified parameter \"SecurityGroupId\" is not valid.";
    InvalidParameter => 400, "InvalidParameter", "%s";

    // The gateway: authentication, authorisation, throttling (reference §1.9, §5.1).
    MissingCommonParameter => 400, "MissingParameter", "%s";
    InvalidAccessKeyIdNotFound => 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.";
    SignatureDoesNotMatch => 400, "SignatureDoesNotMatch", "%s";
    InvalidTimeStampFormat => 400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.";
    InvalidTimeStampExpired => 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.";
    SignatureNonceUsed => 400, "SignatureNonceUsed", "Specified signature nonce was used already.";
    MissingSecurityToken => 400, "MissingSecurityToken", "The SecurityToken parameter is required for temporary (STS) credentials.";
    SecurityTokenMismatch => 400, "InvalidSecurityToken.MismatchWithAccessKey", "The security token you provided does not match with access key.";
    InvalidVersion => 400, "InvalidVersion", "%s";
    InvalidActionNotFound => 404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.";
    ForbiddenRam => 403, "Forbidden.RAM", "User not authorized to operate on the specified resource, or this API doesn't support RAM.";
    ThrottlingUser => 400, "Throttling.User", "Request was denied due to user flow control.";
    Throttling => 400, "Throttling", "Request was denied due to request throttling.";
    ServiceUnavailable => 503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.";
}

/// An error answer: what the API puts in the error body, minus `RequestId`/`HostId`/`Recommend`
/// (the server adds those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    /// The documented message of `code`. For `%s` codes prefer [`ApiError::detail`].
    pub fn new(code: Code) -> Self {
        let message = match code.template() {
            "%s" => code.as_str().to_owned(),
            t => t.to_owned(),
        };
        ApiError { code, message }
    }

    /// A `%s` code with its message; for codes with a fixed message the detail is ignored, so
    /// the documented text is always what goes out.
    pub fn detail(code: Code, detail: impl Into<String>) -> Self {
        let message = match code.template() {
            "%s" => detail.into(),
            "%s." => format!("{}.", detail.into()),
            t => t.to_owned(),
        };
        ApiError { code, message }
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (HTTP {}): {}",
            self.code.as_str(),
            self.status(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}
