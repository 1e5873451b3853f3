//! The state as `apply` persists it: a [`StateSink`] over the state store (`state::Backend`).
//! Every completed operation is one compare-and-swap write: atomic, 0600, with a `.backup`,
//! `serial` +1, and refused if anything else wrote the state since it was read (the command
//! also holds the state lock).

use crate::apply::{SinkError, StateSink};
use crate::state::{Backend, ManagedMembership, State};

/// The state in a backend, rewritten on every record.
pub struct StoreSink<B: Backend> {
    backend: B,
    state: State,
}

impl<B: Backend> StoreSink<B> {
    /// Starts from `state`, as loaded from `backend` (its lineage and serial are what the first
    /// write compares against).
    pub fn new(backend: B, state: State) -> Self {
        Self { backend, state }
    }

    /// The state as last written (or as given, before any write).
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl<B: Backend> StateSink for StoreSink<B> {
    fn record(
        &mut self,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), SinkError> {
        let mut next = self.state.clone();
        for m in remove {
            next.memberships.remove(m);
        }
        next.memberships.extend(add.iter().cloned());
        self.state = self.backend.write(&next)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
