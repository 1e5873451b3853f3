//! Counters of the work whose growth matters at fleet scale: evaluation contexts built or
//! copied (each holds a copy of every variable and local), the values those copies hold, and
//! the comparisons `toset`/`distinct` make. Tests read them to fail when loading turns quadratic
//! again, which a timing assertion could not do reliably on a small, shared machine.
//!
//! Outside `cfg(test)` every function here does nothing and the closures given to [`measure`]
//! are never called, so normal builds pay nothing.

/// What was counted on this thread since [`reset`].
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    /// Evaluation contexts built or cloned.
    pub context_copies: usize,
    /// Values (every node of every tree) held by those contexts, or declared in them later.
    pub context_values: usize,
    /// Element comparisons made while deduplicating sets.
    pub set_comparisons: usize,
}

#[cfg(test)]
thread_local! {
    static COUNTS: std::cell::Cell<Counts> = const {
        std::cell::Cell::new(Counts { context_copies: 0, context_values: 0, set_comparisons: 0 })
    };
}

#[cfg(test)]
fn add(f: impl FnOnce(&mut Counts)) {
    COUNTS.with(|c| {
        let mut counts = c.get();
        f(&mut counts);
        c.set(counts);
    });
}

/// `f()` in tests; 0 otherwise, without calling `f`.
pub(super) fn measure(f: impl FnOnce() -> usize) -> usize {
    #[cfg(test)]
    return f();
    #[cfg(not(test))]
    {
        let _ = f;
        0
    }
}

/// An evaluation context holding `values` values (from [`measure`]) was built or copied.
#[cfg_attr(not(test), allow(unused_variables))]
pub(super) fn context_copied(values: usize) {
    #[cfg(test)]
    add(|c| {
        c.context_copies += 1;
        c.context_values += values;
    });
}

/// `values` values (from [`measure`]) were declared in an existing context.
#[cfg_attr(not(test), allow(unused_variables))]
pub(super) fn values_declared(values: usize) {
    #[cfg(test)]
    add(|c| c.context_values += values);
}

/// `n` element comparisons while deduplicating a set.
#[cfg_attr(not(test), allow(unused_variables))]
pub(super) fn set_compared(n: usize) {
    #[cfg(test)]
    add(|c| c.set_comparisons += n);
}

/// Zeroes the counters of this thread.
#[cfg(test)]
pub(super) fn reset() {
    COUNTS.with(|c| c.set(Counts::default()));
}

/// The counters of this thread.
#[cfg(test)]
pub(super) fn counts() -> Counts {
    COUNTS.with(std::cell::Cell::get)
}

/// Every node of a value tree: 1 for a scalar, 1 + the children for a list or a map.
pub(super) fn size(v: &hcl::Value) -> usize {
    match v {
        hcl::Value::Array(items) => 1 + items.iter().map(size).sum::<usize>(),
        hcl::Value::Object(map) => 1 + map.values().map(size).sum::<usize>(),
        _ => 1,
    }
}
