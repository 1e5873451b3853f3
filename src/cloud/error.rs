//! Errors of the `cloud` module: the API error as the server sent it, its classification, and
//! everything else that can go wrong between sgform and the ECS endpoint.
//!
//! [`CODES`] is the one table of every error code sgform knows: the seed document's
//! JoinSecurityGroup codes, the LeaveSecurityGroup and Modify* codes, and the gateway and
//! throttling codes. Each code has a class (what the client does about it) and a one-line hint
//! (what a person can do about it).

use std::fmt;
use std::path::PathBuf;

use super::escape::terminal_safe;

/// An API error code such as `InvalidOperation.Conflict`, compared as the API spells it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode(String);

impl ErrorCode {
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a throttling code (`Throttling`, `Throttling.User`, `Rejected.Throttling`, …).
    pub fn is_throttling(&self) -> bool {
        self.0.contains("Throttling")
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the client (and `apply`) does about an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// Transient on the server's side (throttling, 5xx, conflicts): back off and try again.
    Retryable,
    /// The target is being created or is in a transitional status: wait longer, then try again.
    WaitAndRetry,
    /// The change is already in effect (join of a member, leave of a non-member): success.
    AlreadyDone,
    /// Trying again cannot help; a person must change something.
    Permanent,
}

/// How a code is classified: always the same, or "already done" only on one action.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    Always(ErrorClass),
    /// `AlreadyDone` when returned by this action, `Permanent` otherwise.
    AlreadyDoneOn(&'static str),
}

/// One row of the code table.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    pub rule: Rule,
    pub hint: &'static str,
}

use ErrorClass::{Permanent, Retryable, WaitAndRetry};
use Rule::{AlreadyDoneOn, Always};

const fn row(code: &'static str, rule: Rule, hint: &'static str) -> CodeInfo {
    CodeInfo { code, rule, hint }
}

/// Every code sgform knows, sorted by code (a unit test keeps it sorted and free of duplicates).
#[rustfmt::skip]
pub static CODES: &[CodeInfo] = &[
    row("AclLimitExceed", Always(Permanent), "the target's groups would hold more than 1,000 rules in total; join a group with fewer rules or remove rules first"),
    row("EnterpriseGroupLimited.MutliGroupType", Always(Permanent), "a target's groups must be all `normal` or all `enterprise`; list groups of one type only"),
    row("Forbidden", Always(Permanent), "the RAM policy of this AccessKey denies the action; grant it (e.g. `ecs:JoinSecurityGroup`) or use another profile"),
    row("Forbidden.InstanceIsBeingCreated", Always(WaitAndRetry), "the instance is still being created; wait until it is Running or Stopped and run again"),
    row("Forbidden.RAM", Always(Permanent), "the RAM policy of this AccessKey denies the action; grant it or use another profile"),
    row("IncompleteSignature", Always(Permanent), "the signature did not match; check that the AccessKey secret belongs to the AccessKey ID"),
    row("IncorrectInstanceStatus", Always(WaitAndRetry), "the instance must be Running or Stopped; wait for it to leave its transitional status and run again"),
    row("InstanceLastSecurityGroup", Always(Permanent), "a target must keep at least one security group; join another group before leaving this one"),
    row("InstanceLockedForSecurity", Always(Permanent), "the instance is locked for security reasons (see its OperationLocks); resolve the lock in the console first"),
    row("InstanceNotInSecurityGroup", AlreadyDoneOn("LeaveSecurityGroup"), "the instance is not in that security group; refresh with `sgform plan`"),
    row("InstanceSecurityGroupLimitExceeded", Always(Permanent), "the target is already in the maximum number of security groups (5 by default); leave one first or raise the quota"),
    row("InternalError", Always(Retryable), "the ECS service failed internally; sgform retries, and if it persists, try later"),
    row("InvalidAccessKeyId.Inactive", Always(Permanent), "the AccessKey is disabled; enable it in the RAM console or use another"),
    row("InvalidAccessKeyId.NotFound", Always(Permanent), "the AccessKey ID does not exist; check the credentials sgform picked (see `## Credentials` in README)"),
    row("InvalidAction.NotFound", Always(Permanent), "no such API action; check the spelling (actions are case-sensitive, e.g. `DescribeInstances`)"),
    row("InvalidApi.NotFound", Always(Permanent), "no such API action; check the spelling (actions are case-sensitive, e.g. `DescribeInstances`)"),
    row("InvalidEcsId.NotFound", Always(Permanent), "the instance does not exist in this region and account; check the ID and region"),
    row("InvalidEniId.NotFound", Always(Permanent), "the network interface does not exist in this region and account; check the ID and region"),
    row("InvalidInstanceId.AlreadyExists", AlreadyDoneOn("JoinSecurityGroup"), "the instance is already in that security group; nothing to do"),
    row("InvalidInstanceId.Malformed", Always(Permanent), "the instance ID is malformed; use an ID like `i-bp1gtjxuuvwj17zr8s5f`"),
    row("InvalidInstanceId.Mismatch", Always(Permanent), "the instance and the security group must have the same network type and VPC; pick a group in the instance's VPC"),
    row("InvalidInstanceId.NotFound", Always(Permanent), "the instance does not exist in this region and account; check the ID and region"),
    row("InvalidNetworkType.NotSupported", Always(Permanent), "classic-network instances cannot change security groups this way"),
    row("InvalidOperation.AtLeastInOneGroup", Always(Permanent), "a target must keep at least one security group; join another group before leaving this one"),
    row("InvalidOperation.Conflict", Always(Retryable), "another operation on this target is in progress; sgform retries, avoid running two applies at once"),
    row("InvalidOperation.EniAndGroupNotBelongSameUser", Always(Permanent), "the network interface and the security group belong to different accounts"),
    row("InvalidOperation.EniCountExceeded", Always(Permanent), "the enterprise security group holds its maximum number of network interfaces; use another group"),
    row("InvalidOperation.EniServiceManaged", Always(Permanent), "the network interface is managed by another cloud service; change it through that service"),
    row("InvalidOperation.InvalidEcsState", Always(WaitAndRetry), "the instance is in a transitional status; wait and run again"),
    row("InvalidOperation.InvalidEniState", Always(WaitAndRetry), "the network interface is attaching, detaching or being deleted; wait and run again"),
    row("InvalidOperation.InvalidEniType", Always(Permanent), "this type of network interface cannot change security groups"),
    row("InvalidOperation.InvalidRegion", Always(Permanent), "the security group is in another region; use a group in the target's region"),
    row("InvalidOperation.MultiGroupType", Always(Permanent), "a target's groups must be all `normal` or all `enterprise`; the cloud changed since the plan, run `sgform plan` again"),
    row("InvalidOperation.NetworkInterfaceCountExceeded", Always(Permanent), "the enterprise security group holds its maximum number of network interfaces; use another group"),
    row("InvalidOperation.NotSupportEnterpriseGroup", Always(Permanent), "this instance type cannot join enterprise security groups; use a `normal` group"),
    row("InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc", Always(Permanent), "a primary network interface shares its instance's groups; manage the instance instead"),
    row("InvalidOperation.ResourceManagedByCloudProduct", Always(Permanent), "the security group is managed by another cloud service and cannot be changed"),
    row("InvalidOperation.VpcMismatch", Always(Permanent), "the security group is in another VPC; pick a group in the target's VPC"),
    row("InvalidParam.EniIdAndInstanceId.Conflict", Always(Permanent), "give either `InstanceId` or `NetworkInterfaceId`, not both"),
    row("InvalidParam.Malformed", Always(Permanent), "a parameter is malformed; check the request parameters"),
    row("InvalidParameter", Always(Permanent), "a parameter is invalid; check the request parameters"),
    row("InvalidParameter.Conflict", Always(Permanent), "two parameters conflict; check the request parameters"),
    row("InvalidParameter.SecurityGroupIdRepeated", Always(Permanent), "the same security group is listed twice; list each group once"),
    row("InvalidParams.EniId", Always(Permanent), "the network interface ID is invalid; use an ID like `eni-bp13kd656hxambfe1234`"),
    row("InvalidSecurityGroupAssociation.NotFound", AlreadyDoneOn("LeaveSecurityGroup"), "the target is not in that security group; refresh with `sgform plan`"),
    row("InvalidSecurityGroupId.Malformed", Always(Permanent), "the security group ID is malformed; use an ID like `sg-bp1fg655nh68xyz9i4w1`"),
    row("InvalidSecurityGroupId.NotFound", Always(Permanent), "the security group does not exist in this region and account; check the ID and region"),
    row("InvalidSecurityGroupId.NotVpc", Always(Permanent), "the security group is not a VPC group; use a group in the target's VPC"),
    row("InvalidSecurityGroupType.NotSupportClassic", Always(Permanent), "classic-network groups cannot be used here; use a VPC group"),
    row("InvalidSecurityGroupVpc.NotBelongToOneVpc", Always(Permanent), "all listed security groups must be in the target's VPC"),
    row("InvalidSecurityToken.Expired", Always(Permanent), "the STS token expired; get a fresh one and update the credentials"),
    row("InvalidSecurityToken.Malformed", Always(Permanent), "the STS token is malformed; check the credentials"),
    row("InvalidSecurityToken.MismatchWithAccessKey", Always(Permanent), "the STS token belongs to another AccessKey ID; use the ID, secret and token issued together"),
    row("InvalidStatus.EniOrInstanceIsBeingCreated", Always(WaitAndRetry), "the instance or network interface is still being created; wait and run again"),
    row("InvalidTimeStamp.Expired", Always(Permanent), "the request time is more than 15 minutes off; fix this machine's clock (NTP)"),
    row("InvalidTimeStamp.Format", Always(Permanent), "the Timestamp parameter is malformed; this is a bug in sgform, please report it"),
    row("InvalidVSwitchId.NotFound", Always(Permanent), "the vSwitch does not exist; check the target's network"),
    row("InvalidVersion", Always(Permanent), "the API version is not accepted; this is a bug in sgform, please report it"),
    row("JoinedGroupLimitExceed", Always(Permanent), "the target would be in more security groups than its quota allows; list fewer groups or raise the quota"),
    row("MissingParameter", Always(Permanent), "a required parameter is missing; check the request parameters"),
    row("MissingParameter.RegionId", Always(Permanent), "`RegionId` is required; set the region (see `## Credentials` in README)"),
    row("MissingSecurityToken", Always(Permanent), "an STS AccessKey ID (`STS.…`) needs its security token; set ALIBABA_CLOUD_SECURITY_TOKEN or the profile's `sts_token`"),
    row("NotBelongUser", Always(Permanent), "the resource belongs to another account; check the IDs and the credentials"),
    row("NotSupported.PageNumberAndPageSize", Always(Permanent), "page with NextToken/MaxResults instead of PageNumber/PageSize"),
    row("OperationConflict", Always(Retryable), "another operation on this resource is in progress; sgform retries"),
    row("OperationDenied", Always(Permanent), "the operation is denied (a lock or a full security group); check the target and the group's capacity"),
    row("Rejected.Throttling", Always(Retryable), "the account's API rate limit was hit; sgform backs off, lower `--parallelism` if it persists"),
    row("RequestTimeout", Always(Retryable), "the ECS service timed out; sgform retries, then re-reads the target to learn the outcome"),
    row("SecurityGroupInstanceLimitExceed", Always(Permanent), "the security group is full; use another group or remove members first"),
    row("SecurityGroupInstanceLimitExceeded", Always(Permanent), "the security group is full; use another group or remove members first"),
    row("ServiceUnavailable", Always(Retryable), "the ECS service is unavailable; sgform retries, and if it persists, try later"),
    row("SignatureDoesNotMatch", Always(Permanent), "the signature did not match; check that the AccessKey secret belongs to the AccessKey ID"),
    row("SignatureNonceUsed", Always(Retryable), "a request nonce was reused; sgform retries with a fresh one"),
    row("Throttling", Always(Retryable), "the account's API rate limit was hit; sgform backs off, lower `--parallelism` if it persists"),
    row("Throttling.Api", Always(Retryable), "the API's rate limit was hit; sgform backs off, lower `--parallelism` if it persists"),
    row("Throttling.ConcurrentLimitExceeded", Always(Retryable), "too many concurrent requests; sgform backs off, lower `--parallelism` if it persists"),
    row("Throttling.User", Always(Retryable), "the account's API rate limit was hit; sgform backs off, lower `--parallelism` if it persists"),
    row("Unauthorized.EmptyRegion", Always(Permanent), "the account has no region available; check the account's status"),
    row("UnknownError", Always(Retryable), "the ECS service failed with an unknown error; sgform retries, and if it persists, try later"),
];

/// The row for a code, if sgform knows it.
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES
        .binary_search_by(|row| row.code.cmp(code))
        .ok()
        .and_then(|i| CODES.get(i))
}

/// Classifies `code` as returned by `action` with `http_status`.
///
/// Unknown codes: anything containing `Throttling` and any 5xx status are retryable, all else is
/// permanent.
pub fn classify(action: &str, code: &ErrorCode, http_status: u16) -> ErrorClass {
    match lookup(code.as_str()).map(|row| row.rule) {
        Some(Always(class)) => class,
        Some(AlreadyDoneOn(on)) if on == action => ErrorClass::AlreadyDone,
        Some(AlreadyDoneOn(_)) => ErrorClass::Permanent,
        None if code.is_throttling() || (500..600).contains(&http_status) => ErrorClass::Retryable,
        None => ErrorClass::Permanent,
    }
}

/// The one-line hint for a code.
pub fn hint(code: &ErrorCode, http_status: u16) -> &'static str {
    match lookup(code.as_str()) {
        Some(row) => row.hint,
        None if code.is_throttling() => {
            "the API's rate limit was hit; sgform backs off, lower `--parallelism` if it persists"
        }
        None if (500..600).contains(&http_status) => {
            "the ECS service failed; sgform retries, and if it persists, try later"
        }
        None => "see the message and the Recommend link; sgform does not know this code",
    }
}

/// An error answer from the ECS API, with exactly what a support ticket needs.
///
/// `message` has every secret the client knows redacted (a `SignatureDoesNotMatch` message
/// echoes the string to sign, STS token included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub action: String,
    pub http_status: u16,
    pub code: ErrorCode,
    pub message: String,
    pub request_id: Option<String>,
    pub host_id: Option<String>,
    pub recommend: Option<String>,
}

impl ApiError {
    /// What the client does about this error.
    pub fn class(&self) -> ErrorClass {
        classify(&self.action, &self.code, self.http_status)
    }

    /// What a person can do about it.
    pub fn hint(&self) -> &'static str {
        hint(&self.code, self.http_status)
    }
}

/// One line, whatever the server sent: every field from the answer goes through
/// [`terminal_safe`] (the client already cleans them when it reads them; this holds for an
/// `ApiError` made any other way too).
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {} (HTTP {}): {}",
            terminal_safe(&self.action),
            terminal_safe(self.code.as_str()),
            self.http_status,
            terminal_safe(&self.message)
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {}]", terminal_safe(id))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// One place the credential or region chain looked, and what it found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looked {
    pub place: String,
    pub found: String,
}

impl fmt::Display for Looked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.found)
    }
}

fn list(looked: &[Looked]) -> String {
    looked
        .iter()
        .map(|l| format!("\n  - {l}"))
        .collect::<String>()
}

fn found_credentials(looked: &[Looked]) -> String {
    if looked.is_empty() {
        return "no Alibaba Cloud credentials found: no credential environment variable is set and there is no aliyun CLI profile file".to_owned();
    }
    format!(
        "no Alibaba Cloud credentials found; what sgform found:{}",
        list(looked)
    )
}

/// Everything that can go wrong in the `cloud` module.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with an error.
    #[error("{error}{}", attempts_note(*attempts))]
    Api { error: Box<ApiError>, attempts: u32 },

    /// The request may or may not have reached the server (timeout, dropped connection): the
    /// change may have been made. Re-read the target before deciding.
    #[error(
        "{action}: outcome unknown after {attempts} attempt(s) to {endpoint}: {detail}; the change may or may not have been made, re-read the target (e.g. `sgform plan`) before retrying"
    )]
    OutcomeUnknown {
        action: String,
        endpoint: String,
        detail: String,
        attempts: u32,
    },

    /// The endpoint could not be reached at all; nothing was sent.
    #[error(
        "{action}: could not connect to {endpoint} after {attempts} attempt(s): {detail}; check the endpoint, the network and any proxy"
    )]
    Unreachable {
        action: String,
        endpoint: String,
        detail: String,
        attempts: u32,
    },

    /// The server answered with something that is not the documented JSON.
    #[error("{action}: unexpected response (HTTP {http_status}{}): {detail}", request_id.as_deref().map(|id| format!(", request id {id}")).unwrap_or_default())]
    InvalidResponse {
        action: String,
        http_status: u16,
        request_id: Option<String>,
        detail: String,
    },

    /// The endpoint answered with a redirect. sgform never follows one: that would send the
    /// signed request, and any STS token, to wherever it points.
    #[error(
        "{action}: {endpoint} answered with a redirect (HTTP {http_status}{}), which sgform does not follow",
        location.as_deref().map(|l| format!(" to {l}")).unwrap_or_default()
    )]
    Redirected {
        action: String,
        endpoint: String,
        http_status: u16,
        /// Where it pointed, without query or user info.
        location: Option<String>,
    },

    /// The answer was longer than the client reads (`client::MAX_RESPONSE_BYTES`).
    #[error(
        "{action}: the answer from {endpoint} is larger than {} MiB, the most sgform reads",
        limit / (1024 * 1024)
    )]
    ResponseTooLarge {
        action: String,
        endpoint: String,
        limit: usize,
    },

    /// A paged listing did not end (the server repeated a `NextToken`).
    #[error("{action}: paging did not end: {detail}; this is a bug in sgform or the endpoint")]
    Paging { action: String, detail: String },

    /// No credentials anywhere in the chain. `looked`: only the sources that exist but gave
    /// none (an empty variable, a profile file without a current profile); `hint`: what to set,
    /// worded for where the settings came from (a provider block or a command's flags).
    #[error("{}\nhint: {hint}", found_credentials(looked))]
    NoCredentials { looked: Vec<Looked>, hint: String },

    /// A source had half a credential (an ID without a secret, or the reverse).
    #[error("incomplete credentials in {place}: {detail}")]
    IncompleteCredentials { place: String, detail: String },

    /// No region anywhere in the chain.
    /// `hint`: what to set, worded for where the settings came from.
    #[error(
        "no region set; sgform looked in, in order:{}\nhint: {hint}",
        list(looked)
    )]
    NoRegion { looked: Vec<Looked>, hint: String },

    /// A region was set but is not a region ID.
    #[error("invalid region from {place}: {error}")]
    InvalidRegion {
        place: String,
        error: crate::ids::IdError,
    },

    /// The aliyun CLI profile file is unreadable or not what we expect.
    #[error("aliyun CLI config `{}`: {detail}", path.display())]
    ProfileFile { path: PathBuf, detail: String },

    /// The endpoint is not an http(s) URL.
    #[error("invalid ECS endpoint `{endpoint}`: {detail}")]
    InvalidEndpoint { endpoint: String, detail: String },

    /// A request built by the caller is invalid before anything is sent.
    #[error("{action}: invalid request: {detail}")]
    InvalidRequest { action: String, detail: String },

    /// The HTTP client could not be built (TLS setup).
    #[error("could not set up the HTTPS client: {0}")]
    HttpClient(String),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// The API error, if the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// A one-line hint for a person, where sgform has one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Api { error, .. } => Some(error.hint()),
            Error::OutcomeUnknown { .. } => Some(
                "re-read the target (`sgform plan`) before trying again; the change may have been made",
            ),
            Error::Unreachable { .. } => Some(
                "check the endpoint (`--endpoint`, ALIBABA_CLOUD_ENDPOINT_ECS), the network and any proxy",
            ),
            Error::Redirected { .. } => Some(
                "set the endpoint to the URL the ECS API answers on itself (e.g. `https://ecs.cn-hangzhou.aliyuncs.com`), not one that redirects",
            ),
            Error::ResponseTooLarge { .. } => Some(
                "the endpoint does not answer as the ECS API does; check the endpoint (`--endpoint`, ALIBABA_CLOUD_ENDPOINT_ECS)",
            ),
            Error::InvalidEndpoint { .. } => Some(
                "use a URL like `https://ecs.cn-hangzhou.aliyuncs.com` or `http://127.0.0.1:PORT`",
            ),
            _ => None,
        }
    }

    /// Whether the outcome of a mutation is unknown (it may have been applied).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }
}

#[cfg(test)]
mod tests;
