//! The DAG walk: at most `parallelism` operations in flight, each started once everything it
//! depends on succeeded and no other operation on its target is running; a failure skips its
//! dependants (transitively) and nothing else.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::events::{Event, Failure, Outcome};
use super::{ApplyOptions, OperationReport, Report, StateSink};
use crate::cloud::api::{
    JoinSecurityGroup, LeaveSecurityGroup, ModifyInstanceSecurityGroups,
    ModifyNetworkInterfaceSecurityGroups, Mutation, TargetsById,
};
use crate::cloud::{Client, Error, ErrorClass, Stats};
use crate::ids::{SecurityGroupId, Target};
use crate::plan::refresh::Clients;
use crate::plan::{Action, Operation, Plan};
use crate::state::ManagedMembership;

/// A cancellation signal: raised once the first Ctrl-C arrived (`None`: never raised).
#[derive(Debug, Clone)]
pub struct Cancel(Option<watch::Receiver<bool>>);

impl Cancel {
    /// A signal and the sender that raises it.
    pub fn new() -> (watch::Sender<bool>, Cancel) {
        let (tx, rx) = watch::channel(false);
        (tx, Cancel(Some(rx)))
    }

    /// A signal that is never raised.
    pub fn never() -> Cancel {
        Cancel(None)
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Resolves once cancelled; never when the signal cannot be raised any more.
    async fn cancelled(&mut self) {
        let Some(rx) = self.0.as_mut() else {
            return std::future::pending().await;
        };
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Running,
    Finished,
}

/// An operation that finished: its index, how it ended and how long it took.
type Finished = (usize, Outcome, Duration);

/// What the walk waits for next.
enum Next {
    /// Operations finished (the first one joined, and any others already done).
    Joined(Vec<Result<Finished, tokio::task::JoinError>>),
    /// The state write in progress ended (`Err`: why it did not persist).
    Written(Result<(), String>),
    /// Cancellation was just requested.
    Cancelled,
}

/// Runs `plan`'s operations; see the module docs. Events go to `events` (a closed receiver is
/// fine); the sink records the adoptions and forgets first, then each completed operation, and
/// is handed back at the end.
///
/// Every write runs on a blocking thread (`spawn_blocking`), never on the async loop: while
/// one is in progress, operations keep being joined and independent ones keep starting. The
/// operations that finish during a write are recorded together by the next one (a group
/// commit); none is reported, and nothing that depends on it (or runs on its target) starts,
/// before the write that records it succeeded.
pub async fn execute<S: StateSink + 'static>(
    plan: &Plan,
    clients: &Clients,
    sink: S,
    options: &ApplyOptions,
    events: mpsc::UnboundedSender<Event>,
    cancel: Cancel,
) -> (Report, S) {
    let started = Instant::now();
    let before = total_stats(clients);
    let n = plan.operations.len();
    let mut report = Report::default();
    let mut outcomes: Vec<Option<(Outcome, Duration)>> = vec![None; n];
    let sink = Arc::new(Mutex::new(sink));

    if !plan.adopt.is_empty() || !plan.forget.is_empty() {
        match write(&sink, plan.adopt.clone(), plan.forget.clone()).await {
            Ok(()) => {
                report.adopted = plan.adopt.len();
                report.forgotten = plan.forget.len();
                let _ = events.send(Event::Persisted { index: None });
            }
            Err(e) => report.persist_error = Some(e),
        }
    }

    let mut waiting: Vec<usize> = plan.operations.iter().map(|o| o.depends_on.len()).collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, op) in plan.operations.iter().enumerate() {
        for d in &op.depends_on {
            if d.on < n {
                dependants[d.on].push(i);
            }
        }
    }
    let mut status = vec![Status::Pending; n];
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    // Targets with an operation running or finished but not yet persisted.
    let mut busy: HashSet<Target> = HashSet::new();
    let mut tasks: JoinSet<Finished> = JoinSet::new();
    let parallelism = options.parallelism.max(1);
    let mut cancel_watch = cancel.clone();
    let mut announced_cancel = false;
    // Succeeded, waiting for the next write; and being recorded by the write in progress.
    let mut unpersisted: Vec<Finished> = Vec::new();
    let mut in_write: Vec<Finished> = Vec::new();
    let mut writing: Option<JoinHandle<Result<(), String>>> = None;

    loop {
        let stop = cancel.is_cancelled() || report.persist_error.is_some();
        if stop && !announced_cancel && cancel.is_cancelled() {
            announced_cancel = true;
            let _ = events.send(Event::Cancelling {
                in_flight: tasks.len(),
            });
        }
        if !stop {
            while tasks.len() < parallelism {
                let Some(&next) = ready
                    .iter()
                    .find(|&&i| !busy.contains(&plan.operations[i].target))
                else {
                    break;
                };
                ready.remove(&next);
                let op = &plan.operations[next];
                let Some(client) = clients.get(&op.provider).cloned() else {
                    let failure = Failure {
                        code: None,
                        message: format!(
                            "no client for provider {}",
                            op.provider.as_deref().unwrap_or("(default)")
                        ),
                        request_id: None,
                        hint: Some("this is a bug in sgform, please report it".to_owned()),
                    };
                    status[next] = Status::Finished;
                    finish_failed(
                        next,
                        Outcome::Failed(failure),
                        Duration::ZERO,
                        &dependants,
                        &mut status,
                        &mut outcomes,
                        &events,
                    );
                    continue;
                };
                status[next] = Status::Running;
                busy.insert(op.target.clone());
                let _ = events.send(Event::Started { index: next });
                let op = op.clone();
                let (options, events, cancel) = (options.clone(), events.clone(), cancel.clone());
                tasks.spawn(async move {
                    let t0 = Instant::now();
                    let outcome = run(next, &op, &client, &options, &events, &cancel).await;
                    (next, outcome, t0.elapsed())
                });
            }
        }
        // Group commit: everything that succeeded since the last write started goes into one
        // write. Without it, one synchronous write per operation (four fsyncs) caps an apply
        // at a few dozen operations a second whatever the API allows.
        if writing.is_none() && !unpersisted.is_empty() {
            in_write = std::mem::take(&mut unpersisted);
            // Operations of one batch are on distinct targets (never two in flight on one), so
            // their state entries are disjoint and one add/remove pair records them all.
            let mut add = Vec::new();
            let mut remove = Vec::new();
            for (i, ..) in &in_write {
                add.extend(plan.operations[*i].state_add.iter().cloned());
                remove.extend(plan.operations[*i].state_remove.iter().cloned());
            }
            let sink = Arc::clone(&sink);
            writing = Some(tokio::task::spawn_blocking(move || {
                record(&sink, &add, &remove)
            }));
        }
        if tasks.is_empty() && writing.is_none() {
            break;
        }
        let next = tokio::select! {
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                let mut batch = vec![joined];
                while let Some(more) = tasks.try_join_next() {
                    batch.push(more);
                }
                Next::Joined(batch)
            }
            written = write_done(&mut writing), if writing.is_some() => Next::Written(written),
            () = cancel_watch.cancelled(), if !announced_cancel => Next::Cancelled,
            // Not reached (a task or a write is always awaited here); look again rather than panic.
            else => Next::Cancelled,
        };
        match next {
            Next::Cancelled => {}
            Next::Joined(batch) => {
                for joined in batch {
                    let (index, outcome, elapsed) = match joined {
                        Ok(done) => done,
                        Err(e) => {
                            // A panicking operation task is a bug; its target stays busy and
                            // its dependants never start.
                            tracing::error!("an operation task failed: {e}");
                            continue;
                        }
                    };
                    status[index] = Status::Finished;
                    if outcome.is_success() {
                        unpersisted.push((index, outcome, elapsed));
                    } else {
                        busy.remove(&plan.operations[index].target);
                        finish_failed(
                            index,
                            outcome,
                            elapsed,
                            &dependants,
                            &mut status,
                            &mut outcomes,
                            &events,
                        );
                    }
                }
            }
            Next::Written(result) => {
                writing = None;
                let persisted = match result {
                    Ok(()) => true,
                    Err(e) => {
                        report.persist_error = Some(e);
                        false
                    }
                };
                for (index, outcome, elapsed) in in_write.drain(..) {
                    busy.remove(&plan.operations[index].target);
                    if persisted {
                        let _ = events.send(Event::Persisted { index: Some(index) });
                    }
                    let _ = events.send(Event::Finished {
                        index,
                        outcome: outcome.clone(),
                        elapsed,
                    });
                    outcomes[index] = Some((outcome, elapsed));
                    for &d in &dependants[index] {
                        waiting[d] -= 1;
                        if waiting[d] == 0 && status[d] == Status::Pending {
                            ready.insert(d);
                        }
                    }
                }
            }
        }
    }

    report.cancelled = cancel.is_cancelled();
    for (index, slot) in outcomes.into_iter().enumerate() {
        let (outcome, elapsed) = slot.unwrap_or((Outcome::NotStarted, Duration::ZERO));
        match &outcome {
            Outcome::Done | Outcome::AlreadyDone { .. } => match plan.operations[index].action {
                Action::Join => report.joined += 1,
                Action::Leave => report.left += 1,
                Action::Replace => report.replaced += 1,
            },
            Outcome::Failed(_) => report.failed += 1,
            Outcome::Skipped { .. } => report.skipped += 1,
            Outcome::NotStarted => report.not_started += 1,
        }
        report.operations.push(OperationReport {
            index,
            outcome,
            elapsed,
        });
    }
    let after = total_stats(clients);
    report.calls = after.calls - before.calls;
    report.retries = after.retries - before.retries;
    report.throttled = after.throttled - before.throttled;
    report.elapsed = started.elapsed();
    (report, into_inner(sink).await)
}

/// Records on a blocking thread and waits for it.
async fn write<S: StateSink + 'static>(
    sink: &Arc<Mutex<S>>,
    add: Vec<ManagedMembership>,
    remove: Vec<ManagedMembership>,
) -> Result<(), String> {
    let sink = Arc::clone(sink);
    let handle = tokio::task::spawn_blocking(move || record(&sink, &add, &remove));
    joined_write(handle.await)
}

/// One write, on the blocking thread that runs it.
fn record<S: StateSink>(
    sink: &Mutex<S>,
    add: &[ManagedMembership],
    remove: &[ManagedMembership],
) -> Result<(), String> {
    // A poisoned lock only means an earlier write panicked; the sink decides what it holds.
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    sink.record(add, remove).map_err(|e| e.to_string())
}

/// Resolves when the write in progress ends; never when there is none.
async fn write_done(writing: &mut Option<JoinHandle<Result<(), String>>>) -> Result<(), String> {
    match writing {
        Some(handle) => joined_write(handle.await),
        None => std::future::pending().await,
    }
}

fn joined_write(joined: Result<Result<(), String>, tokio::task::JoinError>) -> Result<(), String> {
    joined.unwrap_or_else(|e| {
        Err(format!(
            "the state write did not finish ({e}); this is a bug in sgform, please report it"
        ))
    })
}

/// The sink back once no write holds it (every write has ended when the walk does).
async fn into_inner<S>(mut sink: Arc<Mutex<S>>) -> S {
    loop {
        match Arc::try_unwrap(sink) {
            Ok(mutex) => return mutex.into_inner().unwrap_or_else(PoisonError::into_inner),
            Err(shared) => {
                sink = shared;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Records a failure and skips everything that depends on it, transitively.
fn finish_failed(
    index: usize,
    outcome: Outcome,
    elapsed: Duration,
    dependants: &[Vec<usize>],
    status: &mut [Status],
    outcomes: &mut [Option<(Outcome, Duration)>],
    events: &mpsc::UnboundedSender<Event>,
) {
    let _ = events.send(Event::Finished {
        index,
        outcome: outcome.clone(),
        elapsed,
    });
    outcomes[index] = Some((outcome, elapsed));
    let mut stack = vec![index];
    while let Some(i) = stack.pop() {
        for &d in &dependants[i] {
            if status[d] == Status::Pending {
                status[d] = Status::Finished;
                outcomes[d] = Some((Outcome::Skipped { because: i }, Duration::ZERO));
                let _ = events.send(Event::Skipped {
                    index: d,
                    because: i,
                });
                stack.push(d);
            }
        }
    }
}

fn total_stats(clients: &Clients) -> Stats {
    clients.iter().fold(Stats::default(), |mut acc, (_, c)| {
        let s = c.stats();
        acc.calls += s.calls;
        acc.retries += s.retries;
        acc.throttled += s.throttled;
        acc
    })
}

/// A target as a re-read sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    status: String,
    groups: Vec<SecurityGroupId>,
}

/// Reads one target by ID in the operation's region (`None`: it no longer exists). Describe
/// calls retry by themselves.
async fn read_target(client: &Client, op: &Operation) -> Result<Option<Seen>, Error> {
    let found = client
        .read_targets(&TargetsById::new(op.region.clone(), [&op.target]))
        .await?;
    Ok(found.status_of(&op.target).map(|status| Seen {
        status: status.to_owned(),
        groups: found.groups_of(&op.target).unwrap_or_default().to_vec(),
    }))
}

/// The typed request an operation sends. Its parameters in the operation's region are what the
/// plan shows (`Operation::api_params`, checked by a test for every kind); `None` for a
/// pairwise operation without a group, which the planner never makes.
pub(super) fn mutation(op: &Operation) -> Option<Mutation> {
    let target = op.target.clone();
    Some(match (op.action, &op.target) {
        (Action::Join, _) => Mutation::Join(JoinSecurityGroup {
            security_group_id: op.security_group_id.clone()?,
            target,
        }),
        (Action::Leave, _) => Mutation::Leave(LeaveSecurityGroup {
            security_group_id: op.security_group_id.clone()?,
            target,
        }),
        (Action::Replace, Target::Instance(id)) => {
            Mutation::ModifyInstance(ModifyInstanceSecurityGroups {
                instance_id: id.clone(),
                security_group_ids: op.after.clone(),
            })
        }
        (Action::Replace, Target::NetworkInterface(id)) => {
            Mutation::ModifyNetworkInterface(ModifyNetworkInterfaceSecurityGroups {
                network_interface_id: id.clone(),
                security_group_ids: op.after.clone(),
            })
        }
    })
}

fn same_set(a: &[SecurityGroupId], b: &[SecurityGroupId]) -> bool {
    let a: BTreeSet<_> = a.iter().collect();
    let b: BTreeSet<_> = b.iter().collect();
    a == b
}

/// Whether `seen` shows the operation's effect.
fn in_effect(op: &Operation, seen: &Seen) -> bool {
    match (op.action, &op.security_group_id) {
        (Action::Join, Some(g)) => seen.groups.contains(g),
        (Action::Leave, Some(g)) => !seen.groups.contains(g),
        _ => same_set(&seen.groups, &op.after),
    }
}

fn failure(error: &Error) -> Failure {
    match error.api() {
        Some(api) => Failure {
            code: Some(api.code.to_string()),
            message: api.message.clone(),
            request_id: api.request_id.clone(),
            hint: Some(api.hint().to_owned()),
        },
        None => Failure {
            code: None,
            message: error.to_string(),
            request_id: None,
            hint: error.hint().map(str::to_owned),
        },
    }
}

fn plain_failure(message: String, hint: &str) -> Failure {
    Failure {
        code: None,
        message,
        request_id: None,
        hint: Some(hint.to_owned()),
    }
}

fn gone(op: &Operation) -> Failure {
    plain_failure(
        format!("`{}` no longer exists", op.target),
        "the target was deleted since the plan; run `sgform plan` again",
    )
}

/// Runs one operation to its end.
async fn run(
    index: usize,
    op: &Operation,
    client: &Client,
    options: &ApplyOptions,
    events: &mpsc::UnboundedSender<Event>,
    cancel: &Cancel,
) -> Outcome {
    let Some(mutation) = mutation(op) else {
        return Outcome::Failed(plain_failure(
            format!(
                "`{}`: a {} without a security group",
                op.target,
                op.action.verb()
            ),
            "this is a bug in sgform, please report it",
        ));
    };
    let started = Instant::now();
    let mut unknown = 0u32;

    if op.action == Action::Replace {
        // An atomic replacement overwrites the whole set: refuse it if the set is not the one
        // the plan replaces.
        match read_target(client, op).await {
            Err(e) => return Outcome::Failed(failure(&e)),
            Ok(None) => return Outcome::Failed(gone(op)),
            Ok(Some(seen)) if same_set(&seen.groups, &op.after) => {
                return Outcome::AlreadyDone { code: None };
            }
            Ok(Some(seen)) if !same_set(&seen.groups, &op.before) => {
                return Outcome::Failed(plain_failure(
                    format!(
                        "the security groups of `{}` changed concurrently (now: {})",
                        op.target,
                        seen.groups
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "changed concurrently, run `sgform plan` again",
                ));
            }
            Ok(Some(_)) => {}
        }
    }

    loop {
        match mutation.send(client, &op.region).await {
            Ok(applied) => {
                if op.action == Action::Replace
                    && let Err(f) = wait_visible(index, op, client, options, events, cancel).await
                {
                    return Outcome::Failed(f);
                }
                return match applied.already_done {
                    Some(e) => Outcome::AlreadyDone {
                        code: Some(e.code.to_string()),
                    },
                    None => Outcome::Done,
                };
            }
            Err(e) if e.is_outcome_unknown() => {
                unknown += 1;
                let _ = events.send(Event::Rechecking {
                    index,
                    detail: e.to_string(),
                });
                match read_target(client, op).await {
                    Err(read) => return Outcome::Failed(failure(&read)),
                    Ok(None) => return Outcome::Failed(gone(op)),
                    Ok(Some(seen)) if in_effect(op, &seen) => {
                        if op.action == Action::Replace
                            && let Err(f) =
                                wait_visible(index, op, client, options, events, cancel).await
                        {
                            return Outcome::Failed(f);
                        }
                        return Outcome::Done;
                    }
                    Ok(Some(seen))
                        if op.action == Action::Replace && !same_set(&seen.groups, &op.before) =>
                    {
                        return Outcome::Failed(plain_failure(
                            format!(
                                "the security groups of `{}` changed concurrently",
                                op.target
                            ),
                            "changed concurrently, run `sgform plan` again",
                        ));
                    }
                    Ok(Some(_)) if unknown >= options.max_unknown => {
                        return Outcome::Failed(failure(&e));
                    }
                    // Confirmed not made: sending again cannot make it twice.
                    Ok(Some(_)) => {}
                }
            }
            Err(e)
                if e.api()
                    .is_some_and(|a| a.class() == ErrorClass::WaitAndRetry) =>
            {
                if started.elapsed() >= options.wait_timeout {
                    return Outcome::Failed(failure(&e));
                }
                let status = match read_target(client, op).await {
                    Err(read) => return Outcome::Failed(failure(&read)),
                    Ok(None) => return Outcome::Failed(gone(op)),
                    Ok(Some(seen)) => seen.status,
                };
                let _ = events.send(Event::Waiting {
                    index,
                    status,
                    elapsed: started.elapsed(),
                });
                if sleep_or_cancel(options.poll_interval, cancel).await {
                    return Outcome::Failed(plain_failure(
                        format!("cancelled while waiting for `{}`", op.target),
                        "run `sgform apply` again once the target is ready",
                    ));
                }
            }
            Err(e) => return Outcome::Failed(failure(&e)),
        }
    }
}

/// After a replacement: polls until the new set is visible, up to the wait timeout.
async fn wait_visible(
    index: usize,
    op: &Operation,
    client: &Client,
    options: &ApplyOptions,
    events: &mpsc::UnboundedSender<Event>,
    cancel: &Cancel,
) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        match read_target(client, op).await {
            Err(e) => return Err(failure(&e)),
            Ok(None) => return Err(gone(op)),
            Ok(Some(seen)) if same_set(&seen.groups, &op.after) => return Ok(()),
            Ok(Some(seen)) => {
                if started.elapsed() >= options.wait_timeout {
                    return Err(plain_failure(
                        format!(
                            "the new security groups of `{}` did not become visible within {} s",
                            op.target,
                            options.wait_timeout.as_secs()
                        ),
                        "run `sgform plan` to see what the target holds now",
                    ));
                }
                let _ = events.send(Event::Waiting {
                    index,
                    status: seen.status,
                    elapsed: started.elapsed(),
                });
            }
        }
        if sleep_or_cancel(options.poll_interval, cancel).await {
            return Err(plain_failure(
                format!("cancelled while waiting for `{}`", op.target),
                "run `sgform plan` to see what the target holds now",
            ));
        }
    }
}

/// Sleeps; `true` when cancelled first.
async fn sleep_or_cancel(duration: Duration, cancel: &Cancel) -> bool {
    let mut cancel = cancel.clone();
    tokio::select! {
        () = tokio::time::sleep(duration) => false,
        () = cancel.cancelled() => true,
    }
}
