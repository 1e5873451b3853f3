//! Text made safe for where it goes: [`percent_encode`] for the signature and the wire, and
//! [`terminal_safe`] for a terminal (it lives in [`crate::ids::text`], a leaf every layer may
//! import, so the planner's renderers use the same one; re-exported here for `cloud`).
//!
//! A leaf of `cloud`: the signer and the secret redactor both use it without importing each
//! other.

pub use crate::ids::text::terminal_safe;

/// Percent-encodes per RFC 3986 as the signature needs it: `A-Z a-z 0-9 - _ . ~` unchanged,
/// every other UTF-8 byte as upper-case `%XX` (so space is `%20`, never `+`, and `*` is `%2A`).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";
