//! Request authentication as the API gateway does it: RPC signature v1 (HMAC-SHA1) over the
//! union of the query string and the form body, timestamp window, nonce replay, STS tokens.
//!
//! This is the emulator's own implementation, written from the reference (§1), and checked
//! against the published vectors in the unit tests; it shares nothing with the client's signer.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{KeyInit, Mac};
use sha1::Digest as _;

use super::catalog::{ApiError, Code};
use super::world::{AccessKey, Account};

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// How far a request's `Timestamp` may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// RFC 3986 percent-encoding with the unreserved set `A-Z a-z 0-9 - _ . ~` (reference §1.2).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text (also used for the query string): `+` is a
/// space and `%XX` a byte. Invalid escapes are kept as they are.
pub fn parse_form(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// `METHOD&%2F&pe(canonical query)` over every parameter except `Signature`.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    let canonical = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&%2F&{}", percent_encode(&canonical))
}

/// Base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = HmacSha1::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` (and the same with fractional seconds).
pub fn parse_timestamp(ts: &str) -> Option<DateTime<Utc>> {
    ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%.fZ"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(ts, f).ok())
        .map(|n| n.and_utc())
}

/// Who made a request, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub key: AccessKey,
}

impl Caller {
    /// Whether the key's `deny_actions` forbid `action`.
    pub fn denied(&self, action: &str) -> bool {
        self.key.deny_actions.iter().any(|d| {
            let d = d.strip_prefix("ecs:").unwrap_or(d);
            d == "*" || d == action
        })
    }
}

/// The most nonces remembered at once (about 80 MB). A caller that sends more than this within
/// the window makes the oldest be forgotten first, so memory stays bounded; the replay check
/// then covers the last million requests rather than the whole window.
pub const MAX_NONCES: usize = 1_000_000;

/// A nonce as remembered: SHA-1 of the key ID and the nonce, so a caller sending long nonces
/// costs the same 20 bytes as one sending UUIDs.
type NonceDigest = [u8; 20];

/// Nonces seen within the timestamp window, forgotten once they are older than it or when
/// more than `cap` are held.
struct Nonces {
    seen: HashSet<NonceDigest>,
    order: VecDeque<(i64, NonceDigest)>,
    cap: usize,
}

impl Nonces {
    fn new(cap: usize) -> Nonces {
        Nonces {
            seen: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// Records `key_id`'s nonce at `now` (seconds); `false` if it was already used.
    fn record(&mut self, key_id: &str, nonce: &str, now: i64) -> bool {
        let mut hasher = sha1::Sha1::new();
        hasher.update(key_id.as_bytes());
        hasher.update(b"\n");
        hasher.update(nonce.as_bytes());
        let mut digest: NonceDigest = [0; 20];
        digest.copy_from_slice(&hasher.finalize());
        while let Some((at, _)) = self.order.front() {
            if now - *at <= 2 * MAX_SKEW_SECS {
                break;
            }
            self.forget_oldest();
        }
        if self.seen.contains(&digest) {
            return false;
        }
        while self.order.len() >= self.cap && !self.order.is_empty() {
            self.forget_oldest();
        }
        self.seen.insert(digest);
        self.order.push_back((now, digest));
        true
    }

    fn forget_oldest(&mut self) {
        if let Some((_, old)) = self.order.pop_front() {
            self.seen.remove(&old);
        }
    }
}

/// Checks signatures against the world's access keys.
pub struct Verifier {
    keys: HashMap<String, Caller>,
    nonces: Mutex<Nonces>,
}

const REQUIRED: &[&str] = &[
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
];

impl Verifier {
    pub fn new(accounts: &[Account]) -> Verifier {
        let keys = accounts
            .iter()
            .flat_map(|a| {
                a.access_keys.iter().map(|k| {
                    (
                        k.id.clone(),
                        Caller {
                            account: a.id.clone(),
                            key: k.clone(),
                        },
                    )
                })
            })
            .collect();
        Verifier {
            keys,
            nonces: Mutex::new(Nonces::new(MAX_NONCES)),
        }
    }

    /// Authenticates one request (`params` = query ∪ form body) at time `now`.
    pub fn verify(
        &self,
        method: &str,
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<Caller, ApiError> {
        for name in REQUIRED {
            if params.get(*name).is_none_or(|v| v.is_empty()) {
                return Err(ApiError::detail(
                    Code::MissingCommonParameter,
                    format!(
                        "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
                    ),
                ));
            }
        }
        let get = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
        // The official signature example spells it `TimeStamp`; accept both spellings.
        let timestamp = params
            .get("Timestamp")
            .or_else(|| params.get("TimeStamp"))
            .ok_or_else(|| {
                ApiError::detail(
                    Code::MissingCommonParameter,
                    "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.",
                )
            })?;
        if get("SignatureMethod") != "HMAC-SHA1" || get("SignatureVersion") != "1.0" {
            return Err(ApiError::detail(
                Code::InvalidParameter,
                format!(
                    "SignatureMethod `{}` / SignatureVersion `{}` is not supported; use HMAC-SHA1 and 1.0.",
                    get("SignatureMethod"),
                    get("SignatureVersion")
                ),
            ));
        }
        let caller = self
            .keys
            .get(get("AccessKeyId"))
            .ok_or_else(|| ApiError::new(Code::InvalidAccessKeyIdNotFound))?;
        let at = parse_timestamp(timestamp)
            .ok_or_else(|| ApiError::new(Code::InvalidTimeStampFormat))?;
        if (now - at).num_seconds().abs() > MAX_SKEW_SECS {
            return Err(ApiError::new(Code::InvalidTimeStampExpired));
        }
        let to_sign = string_to_sign(method, params);
        let expected = signature(&caller.key.secret, &to_sign);
        if !constant_time_eq(expected.as_bytes(), get("Signature").as_bytes()) {
            return Err(ApiError::detail(
                Code::SignatureDoesNotMatch,
                format!(
                    "Specified signature is not matched with our calculation. server string to sign is:{to_sign}"
                ),
            ));
        }
        if let Some(token) = &caller.key.security_token {
            match params.get("SecurityToken") {
                None => return Err(ApiError::new(Code::MissingSecurityToken)),
                Some(given) if !constant_time_eq(given.as_bytes(), token.as_bytes()) => {
                    return Err(ApiError::new(Code::SecurityTokenMismatch));
                }
                Some(_) => {}
            }
        }
        let fresh = self
            .nonces
            .lock()
            .map(|mut n| n.record(&caller.key.id, get("SignatureNonce"), now.timestamp()))
            .unwrap_or(false);
        if !fresh {
            return Err(ApiError::new(Code::SignatureNonceUsed));
        }
        Ok(caller.clone())
    }
}

#[cfg(test)]
mod tests;
