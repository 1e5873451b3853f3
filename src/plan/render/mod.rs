//! Everything that reads a [`Plan`](crate::plan::Plan) for a person or a program: the text
//! preview, the JSON, the Markdown of a pull-request comment, and the DAG in DOT. Pure functions
//! from a plan to a `String` (or a JSON value); no I/O.
//!
//! **Architecture Invariant:** no renderer prints an ID that came from a sensitive attribute;
//! they all go through [`Mask`].

pub mod dot;
pub mod json;
pub mod markdown;
pub mod mask;
pub mod text;

pub use mask::{Mask, SENSITIVE};
pub use text::TextOptions;

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests;
