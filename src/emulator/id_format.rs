//! The shape of resource IDs, which both the world's validation and the rules check.

/// Whether `id` looks like an ID of the kind `prefix` (`i-`, `sg-`, `eni-`, `vpc-`): 8 to 32
/// lower-case letters and digits after the prefix, as real IDs are.
pub fn well_formed(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|body| {
        (8..=32).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}
