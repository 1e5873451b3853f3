//! A string that must never be shown: AccessKey secrets and STS tokens.
//!
//! `Debug` and `Display` print `***`; the only way to the value is [`Secret::expose`], which the
//! signer calls. [`Redactor`] scrubs secrets out of text the server sends back (for example
//! `SignatureDoesNotMatch`, whose message echoes the server's string to sign, STS token included).

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret value. Deliberately not `Serialize`, so it cannot end up in a plan or state file.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for signing. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty (an empty secret counts as "not set").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Replaces every known secret in a text with `***`, in the forms a server may echo it: raw,
/// percent-encoded once (the canonical query) and twice (the string to sign).
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} needles)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for these secrets (empty ones are skipped).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut needles = Vec::new();
        for secret in secrets {
            if secret.is_empty() {
                continue;
            }
            let raw = secret.expose().to_owned();
            let once = super::escape::percent_encode(&raw);
            let twice = super::escape::percent_encode(&once);
            for n in [raw, once, twice] {
                if !needles.contains(&n) {
                    needles.push(n);
                }
            }
        }
        // Longest first, so a longer encoded form is replaced before a raw prefix of it.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Self { needles }
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(format!("{:?}", Some(s)), "Some(***)");
    }

    #[test]
    fn redactor_catches_encoded_forms() {
        let token = Secret::new("CAIS+gF1/abc=");
        let r = Redactor::new([&token]);
        let text = "raw CAIS+gF1/abc= once CAIS%2BgF1%2Fabc%3D twice CAIS%252BgF1%252Fabc%253D";
        assert_eq!(r.redact(text), "raw *** once *** twice ***");
    }
}
