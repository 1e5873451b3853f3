//! The signed ECS OpenAPI client.
//!
//! Owns request signing ([`sign`], RPC signature v1, HMAC-SHA1), the credentials and region
//! chain ([`credentials`]), secrets that never print ([`secret`]), text made safe for the wire
//! ([`escape`], a leaf both the signer and the redactor use), the API error and its
//! classification ([`error`]), retry pacing ([`retry`]), the reqwest client ([`client`]) and
//! typed requests and responses for the nine actions sgform uses ([`api`]).
//!
//! It knows nothing about HCL, plans or state, and never reads the process environment: the
//! CLI passes what it needs. Imports only `ids` from the crate.

pub mod api;
pub mod client;
pub mod credentials;
pub mod error;
pub mod escape;
pub mod retry;
pub mod secret;
pub mod sign;

pub use client::{Client, ClientConfig, Response};
pub use credentials::{Credentials, ProviderSettings};
pub use error::{ApiError, Error, ErrorClass, ErrorCode};
pub use retry::{Backoff, RetryPolicy, Stats};
pub use secret::Secret;
