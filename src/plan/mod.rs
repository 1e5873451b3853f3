//! The planner (issue 7): refresh (the only I/O), then pure diff, rule checks, scheduling and
//! rendering over plain data.
//!
//! **Architecture Invariant:** everything but `refresh` is pure: no async, no clock, no
//! filesystem, no HTTP. `plan` never shares rule code with the emulator.

pub mod inventory;
pub mod model;
pub mod refresh;

pub use inventory::{
    GroupFacts, GroupType, InstanceFacts, Inventory, NetworkInterfaceFacts, ProviderAlias,
};
pub use model::{
    Action, Dependency, Drift, Limits, Operation, Pair, Plan, PlanOptions, Reason, ResourceChange,
    TargetChange,
};
