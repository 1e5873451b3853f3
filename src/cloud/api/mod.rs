//! Typed requests and responses for the nine ECS actions sgform uses, and the batching and
//! paging helpers around the `Describe*` calls.
//!
//! Responses are parsed defensively: unknown fields are ignored, and lists accept the API's
//! "wrapper object + singular array" pattern (`"SecurityGroupIds": {"SecurityGroupId": [..]}`),
//! a bare array, a single object, `null` or an absent wrapper (all → a `Vec`).

mod describe;
mod membership;
mod targets;

pub use describe::*;
pub use membership::*;
pub use targets::*;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

pub use super::client::Action;
use super::client::Response;
use super::error::Error;
use crate::ids::RegionId;

/// At most this many IDs per batched filter (`InstanceIds`, `SecurityGroupIds`,
/// `NetworkInterfaceId.N`).
pub const MAX_IDS_PER_CALL: usize = 100;

/// Page size sgform asks for with `MaxResults`.
pub const PAGE_SIZE: u32 = 100;

/// A request sent in `region` (its `RegionId`), whatever the client's default region: apply
/// sends each operation in the region the plan read its target in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InRegion<A> {
    pub region: RegionId,
    pub request: A,
}

impl<A> InRegion<A> {
    pub fn new(region: RegionId, request: A) -> Self {
        Self { region, request }
    }
}

impl<A: Action> Action for InRegion<A> {
    const NAME: &'static str = A::NAME;
    type Output = A::Output;

    /// The request's parameters, then `RegionId`.
    fn params(&self) -> Vec<(String, String)> {
        let mut params = self.request.params();
        params.retain(|(name, _)| name != "RegionId");
        params.push(("RegionId".to_owned(), self.region.to_string()));
        params
    }

    fn output(response: &Response) -> Result<A::Output, Error> {
        A::output(response)
    }
}

impl<A: Paged> Paged for InRegion<A> {
    type Item = A::Item;
    fn next_token_mut(&mut self) -> &mut Option<String> {
        self.request.next_token_mut()
    }
}

/// A borrowed request is sent as the request itself.
impl<A: Action + ?Sized> Action for &A {
    const NAME: &'static str = A::NAME;
    type Output = A::Output;

    fn params(&self) -> Vec<(String, String)> {
        (**self).params()
    }

    fn output(response: &Response) -> Result<A::Output, Error> {
        A::output(response)
    }
}

/// Deserializes a list in any of the shapes the API uses; see the module docs.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    unwrap_list(value.unwrap_or(serde_json::Value::Null)).map_err(serde::de::Error::custom)
}

fn unwrap_list<T: DeserializeOwned>(value: serde_json::Value) -> Result<Vec<T>, serde_json::Error> {
    use serde_json::Value;
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(serde_json::from_value).collect(),
        // The wrapper: one key (the singular name) holding the array.
        Value::Object(map) if map.len() == 1 => {
            let inner = map
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or(Value::Null);
            match inner {
                Value::Array(_) | Value::Null => unwrap_list(inner),
                Value::Object(_) => Ok(vec![serde_json::from_value(inner)?]),
                other => Ok(vec![serde_json::from_value(other)?]),
            }
        }
        Value::Object(map) if map.is_empty() => Ok(Vec::new()),
        other => Ok(vec![serde_json::from_value(other)?]),
    }
}

/// A tag on a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Tag {
    #[serde(rename = "TagKey", alias = "Key")]
    pub key: String,
    #[serde(rename = "TagValue", alias = "Value", default)]
    pub value: String,
}

/// The `RequestId` of an answer that has nothing else (the four mutations).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RequestIdOnly {
    #[serde(rename = "RequestId", default)]
    pub request_id: Option<String>,
}

fn json_array<T: AsRef<str>>(ids: &[T]) -> String {
    let strings: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
    serde_json::Value::from(strings).to_string()
}

fn check_batch(action: &str, what: &str, n: usize) -> Result<(), Error> {
    if n > MAX_IDS_PER_CALL {
        return Err(Error::InvalidRequest {
            action: action.to_owned(),
            detail: format!(
                "{n} {what} in one call; the API takes at most {MAX_IDS_PER_CALL} (use the batching helpers)"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
