//! RPC signature version 1.0 (HMAC-SHA1), exactly as the ECS OpenAPI 2014-05-26 documents it.
//!
//! `Signature = Base64(HMAC-SHA1(secret + "&", METHOD + "&%2F&" + pe(canonical query)))`, where the
//! canonical query covers every parameter sent (URL query and form body alike) except
//! `Signature`, sorted by name, each name and value RFC 3986-encoded. The published worked example
//! and five own vectors live in `testdata/sign/vectors.json`; one test per vector checks both the
//! string to sign and the signature.
//!
//! This module is pure: the caller supplies the nonce and timestamp (see [`fresh_nonce`] and
//! [`timestamp_now`], the client's only clock and randomness for signing).

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::escape::percent_encode;
use super::secret::Secret;

/// The HTTP method, which is part of the string to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// The method as sent on the wire (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// The canonicalized query string: every parameter but `Signature`, sorted by the raw name
/// (byte order, so `SecurityGroupIds.10` sorts before `SecurityGroupIds.2`), encoded and joined.
///
/// Duplicated names are kept and ordered by value, so the result does not depend on the order
/// the caller listed them in.
pub fn canonical_query<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(name, _)| *name != "Signature")
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// `METHOD&%2F&pe(canonical query)`.
pub fn string_to_sign<'a>(
    method: Method,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    format!(
        "{}&{}&{}",
        method.as_str(),
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// Base64 of HMAC-SHA1 over `string_to_sign`, keyed with `secret + "&"`.
pub fn signature(secret: &Secret, string_to_sign: &str) -> String {
    let key = format!("{}&", secret.expose());
    // HMAC accepts keys of any length (long keys are hashed first), so this cannot fail.
    let mut mac = match Hmac::<Sha1>::new_from_slice(key.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA1 takes keys of any length"),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The string to sign and the signature for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub string_to_sign: String,
    pub signature: String,
}

/// Signs the union of all parameters (query and form body) sent with `method`.
pub fn sign<'a>(
    method: Method,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    secret: &Secret,
) -> Signed {
    let string_to_sign = string_to_sign(method, params);
    let signature = signature(secret, &string_to_sign);
    Signed {
        string_to_sign,
        signature,
    }
}

/// A fresh `SignatureNonce` (UUID v4); every attempt gets its own, a reused one is refused.
pub fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The `Timestamp` parameter for now: UTC, `yyyy-MM-ddTHH:mm:ssZ` (the API refuses fractions and
/// anything more than 15 minutes off).
pub fn timestamp_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests;
