//! `apply` and `destroy`: make a plan (or read a saved one and check it may run here), then
//! carry it out through `apply::execute`, persisting the state after every completed
//! operation.
//!
//! In two steps, so that the caller can show the plan and ask before anything changes:
//! [`prepare`] takes the state lock, loads, connects and plans; [`Session::execute`] carries
//! the plan out. One backend holds the lock from before the state is read until the session
//! ends, and does every write.
//!
//! A plan file ([`Request::plan_file`], read by `plan::read_saved`; its configuration
//! directory, found by `plan::locate`, is the request's `source.dir`) runs only where and as it
//! was made, checked in this order before the first call: the same configuration files,
//! non-sensitive variables and state lineage and serial (`planfile::check_fresh`); the planner
//! gives exactly its plan from its recorded inputs (`planfile::check_derived`); this run's
//! clients talk to what it was made against (`planfile::check_connection`); and a fresh
//! refresh shows the targets it changes with the status and groups it assumed
//! (`planfile::check_remote`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::connect::{self, Connection};
use super::plan as plan_op;
use super::{Environment, Error, Notify, Result, Source};
use crate::apply::{self, ApplyOptions, Cancel, Event, Report, SinkError, StateSink};
use crate::config::Config;
use crate::diag::{self, Diagnostic};
use crate::plan::planfile;
use crate::plan::refresh;
use crate::plan::{Plan, PlanOptions};
use crate::state::{Backend, LockGuard, ManagedMembership, State};

/// An apply (or a destroy: `options.destroy`).
#[derive(Debug, Clone)]
pub struct Request {
    /// Its `dir` is the configuration directory (for a plan file: the one `plan::locate`
    /// found); its `parallelism` is the refresh's and the executor's.
    pub source: Source,
    /// A plan saved by `plan --out`, applied instead of a new plan.
    pub plan_file: Option<plan_op::Saved>,
    /// How to make the plan (not with a plan file).
    pub options: PlanOptions,
    /// How long to wait for a target in a transitional status or being created.
    pub wait_timeout: Duration,
}

/// What [`prepare`] came to (its failures apart).
pub enum Prepared {
    /// The configuration or the plan has errors: nothing was changed.
    Refused {
        config: Box<Config>,
        diagnostics: Vec<Diagnostic>,
    },
    /// A plan to carry out.
    Ready(Box<Session>),
}

/// A plan ready to carry out, with the lock, the state it was made against and the clients.
pub struct Session {
    backend: Arc<dyn Backend>,
    lock: Option<LockGuard>,
    connection: Connection,
    options: ApplyOptions,
    pub config: Config,
    /// The warnings of every stage (a new plan's; for a plan file, the planner's checks over
    /// the saved plan).
    pub diagnostics: Vec<Diagnostic>,
    pub state: State,
    pub plan: Plan,
}

/// Locks, loads, connects and plans (or checks the plan file); see the module docs.
pub async fn prepare(
    request: &Request,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<Prepared> {
    let source = &request.source;
    let operation = if request.options.destroy {
        "destroy"
    } else {
        "apply"
    };
    let (backend, lock) = source.lock(operation, env, notify)?;
    let loaded = match plan_op::load(&source.dir, &source.variables, &backend)? {
        Ok(loaded) => loaded,
        Err((config, diagnostics)) => {
            return Ok(Prepared::Refused {
                config: Box::new(config),
                diagnostics,
            });
        }
    };
    let saved = match &request.plan_file {
        Some(saved) => {
            let file = &saved.file;
            let digest = plan_op::config_digest(&loaded.config);
            let variables = planfile::non_sensitive(&plan_op::variables_of(&loaded.config));
            if let Err(stale) = planfile::check_fresh(file, &digest, &variables, &loaded.state) {
                return Err(stale_plan(&stale));
            }
            let (derived, diagnostics) = plan_op::rederive(&loaded.config, &loaded.state, file);
            if diag::has_errors(&diagnostics) {
                return Ok(Prepared::Refused {
                    config: Box::new(loaded.config),
                    diagnostics,
                });
            }
            if let Err(edited) = planfile::check_derived(file, &derived) {
                // Sensitive values are not recorded, so they cannot be compared by name.
                let sensitive: Vec<String> = loaded
                    .config
                    .variables()
                    .values()
                    .filter(|v| v.sensitive)
                    .map(|v| format!("`{}`", v.name))
                    .collect();
                if sensitive.is_empty() {
                    return Err(refused_file(saved, &edited));
                }
                return Err(refused_file(
                    saved,
                    &format!(
                        "{edited}\n  hint: or a sensitive variable ({}) has another value than when the plan was made: sensitive values are not recorded, give the same ones to apply",
                        sensitive.join(", ")
                    ),
                ));
            }
            Some(saved)
        }
        None => None,
    };

    // One connection (one sandbox) for the refresh and the calls.
    let connection = connect::connect(&loaded.config, &source.connect, env, notify).await?;
    if let Some(saved) = saved {
        let now = plan_op::connection_record(&loaded.config, &source.connect, &connection);
        if let Err(elsewhere) = planfile::check_connection(&saved.file, &now) {
            connection.shutdown().await?;
            return Err(refused_file(saved, &elsewhere));
        }
    }
    let made = match saved {
        Some(saved) => check_remote(&connection, loaded, saved, source.parallelism).await,
        None => {
            plan_op::attempt_with(
                &connection.clients,
                loaded,
                source.parallelism,
                &request.options,
                notify,
            )
            .await
        }
    };
    let attempt = match made {
        Ok(attempt) if !diag::has_errors(&attempt.diagnostics) => attempt,
        other => {
            connection.shutdown().await?;
            let attempt = other?;
            return Ok(Prepared::Refused {
                config: Box::new(attempt.config),
                diagnostics: attempt.diagnostics,
            });
        }
    };
    let Some((state, plan)) = attempt.planned else {
        connection.shutdown().await?;
        return Ok(Prepared::Refused {
            config: Box::new(attempt.config),
            diagnostics: attempt.diagnostics,
        });
    };
    Ok(Prepared::Ready(Box::new(Session {
        backend: Arc::from(backend),
        lock,
        connection,
        options: ApplyOptions {
            parallelism: source.parallelism as usize,
            wait_timeout: request.wait_timeout,
            ..ApplyOptions::default()
        },
        config: attempt.config,
        diagnostics: attempt.diagnostics,
        state,
        plan,
    })))
}

/// A plan file's plan, once a fresh refresh shows the targets as it assumed them.
async fn check_remote(
    connection: &Connection,
    loaded: plan_op::Loaded,
    saved: &plan_op::Saved,
    parallelism: u32,
) -> Result<plan_op::Attempt> {
    let refreshed = refresh::refresh(
        &connection.clients,
        &loaded.config,
        &loaded.state,
        parallelism as usize,
    )
    .await?;
    if let Err(stale) = planfile::check_remote(&saved.file, &refreshed.inventory) {
        return Err(stale_plan(&stale));
    }
    Ok(plan_op::Attempt {
        config: loaded.config,
        diagnostics: saved.diagnostics.clone(),
        planned: Some((loaded.state, saved.file.plan.clone())),
        lock: None,
        recorded: None,
    })
}

/// `stale plan: run sgform plan again (WHAT CHANGED)`: the documented prefix, then each change
/// once (the `Stale` error's own wording would say "stale" and "run `sgform plan` again" twice).
fn stale_plan(stale: &planfile::Stale) -> Error {
    let changes: Vec<String> = stale.changes.iter().map(ToString::to_string).collect();
    Error::refused(format!(
        "stale plan: run sgform plan again ({})",
        changes.join("; ")
    ))
}

fn refused_file(saved: &plan_op::Saved, why: &dyn std::fmt::Display) -> Error {
    Error::refused(format!(
        "refusing plan file `{}`: {why}",
        saved.path.display()
    ))
}

impl Session {
    /// Carries the plan out: events on `events`, stopping early when `cancel` says so; the
    /// state is written through the session's backend after every completed operation.
    pub async fn execute(&self, events: UnboundedSender<Event>, cancel: Cancel) -> Report {
        let sink = StoreSink::new(Arc::clone(&self.backend), self.state.clone());
        let (mut report, sink) = apply::execute(
            &self.plan,
            &self.connection.clients,
            sink,
            &self.options,
            events,
            cancel,
        )
        .await;
        // Every commit is already durable; settling only compacts, so a failure here loses
        // nothing, but it is still reported (the next load replays what it could not fold).
        let settled = tokio::task::spawn_blocking(move || sink.settle()).await;
        let failed = match settled {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(format!("the state write did not finish: {e}")),
        };
        if report.persist_error.is_none() {
            report.persist_error = failed;
        }
        report
    }

    /// Stops the sandbox, if any (every change is already on disk); returns the lock, still
    /// held, for the caller to release when it has reported.
    pub async fn close(self) -> Result<Option<LockGuard>> {
        self.connection.shutdown().await?;
        Ok(self.lock)
    }
}

/// The state in a backend, changed on every record: one compare-and-swap commit per record
/// (`serial` +1), refused if anything else wrote the state since it was read (the session also
/// holds the lock). [`StoreSink::settle`] ends the series.
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

    /// Ends the commits ([`Backend::settle`]).
    pub fn settle(&self) -> Result<(), crate::state::Error> {
        self.backend.settle(&self.state)
    }
}

impl<B: Backend> StateSink for StoreSink<B> {
    fn record(
        &mut self,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), SinkError> {
        Ok(self.backend.commit(&mut self.state, add, remove)?)
    }
}

#[cfg(test)]
mod tests;
