//! The state in PostgreSQL: one row per workspace (lineage, serial, version, lock holder) and one
//! row per managed membership (`sql` has the DDL), so a commit of k changes writes k rows.
//!
//! - **Same document.** [`load`](Backend::load) assembles the rows into the document the file
//!   would hold and reads it through the same checks (`State::from_json`), so a row no sgform
//!   wrote is refused the same way.
//! - **Compare-and-swap.** Every write is one transaction that first moves the workspace row
//!   from the lineage and serial it was loaded with to the next serial
//!   (`UPDATE … WHERE lineage = $l AND serial = $s`); no row updated means another run wrote
//!   first, and the transaction is rolled back: a lost update is impossible with or without the
//!   lock.
//! - **Lock.** A session-level advisory lock (`pg_try_advisory_lock(k1, k2)`), keyed by a hash
//!   of schema and workspace so unrelated states never block each other, taken on a connection
//!   of its own held for the whole command: the server releases it when the holder unlocks,
//!   exits, is killed or loses its connection. The holder's [`LockInfo`] is stored in the
//!   workspace row for a waiting run to name.
//! - **Secrets.** The password lives only in the driver's settings; [`Backend::location`] and
//!   every message name `pg://user@host:port/db (schema …, workspace …)`, and driver errors are
//!   scrubbed of it.
//!
//! The connections live on a thread of their own (`worker`), since the trait is synchronous
//! and is called from async code and from blocking threads alike.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio_postgres::Client;

use super::lock::{Backoff, HeldLock, LockGuard, LockInfo};
use super::{Backend, Error, ManagedMembership, State, VERSION};

mod conn;
mod sql;
mod worker;

pub use conn::{PG_VARS, PgLocation, Tls};
use sql::Sql;
use worker::Worker;

/// The state in a PostgreSQL schema and workspace.
pub struct Pg {
    location: Arc<PgLocation>,
    sql: Arc<Sql>,
    worker: Result<Worker, String>,
    /// The data connection, opened (and the schema created) on first use.
    client: Arc<Mutex<Option<Client>>>,
    backoff: Backoff,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pg")
            .field("location", &self.location.to_string())
            .finish_non_exhaustive()
    }
}

/// What failed, for [`Error::Database`]: the driver's message (with the server's, if any),
/// scrubbed of the password.
fn reason(location: &PgLocation, e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut t = format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            );
            if let Some(hint) = db.hint() {
                t.push_str(&format!("; hint: {hint}"));
            }
            t
        }
        None => {
            let mut t = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                t.push_str(&format!(": {s}"));
                source = s.source();
            }
            t
        }
    };
    location.scrub(text)
}

impl Pg {
    /// The state at `location`. Nothing is connected until the first call.
    pub fn new(location: PgLocation) -> Self {
        let sql = Sql::new(location.schema(), location.workspace());
        Self {
            location: Arc::new(location),
            sql: Arc::new(sql),
            worker: Worker::start().map_err(|e| e.to_string()),
            client: Arc::new(Mutex::new(None)),
            backoff: Backoff::default(),
        }
    }

    /// The same store with another wait between lock attempts (tests use milliseconds).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    fn db_error(&self, what: &str, e: &tokio_postgres::Error) -> Error {
        Error::Database {
            location: self.location.to_string(),
            what: what.to_owned(),
            reason: reason(&self.location, e),
        }
    }

    /// Runs `work` with the data connection (opened, and the schema created, if need be) on the
    /// connection thread. `what` names the step in errors.
    fn with_client<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl for<'c> FnOnce(&'c mut Client, &'c Sql) -> Work<'c, T> + Send + 'static,
    ) -> Result<T, Error> {
        let worker = self.worker.as_ref().map_err(|e| Error::Database {
            location: self.location.to_string(),
            what: "start the connection thread".to_owned(),
            reason: e.clone(),
        })?;
        let (client, location, sql) =
            (self.client.clone(), self.location.clone(), self.sql.clone());
        let outcome = worker.run(async move {
            let mut guard = client.lock().await;
            if guard.as_ref().is_none_or(Client::is_closed) {
                let mut fresh = location
                    .connect()
                    .await
                    .map_err(|e| Step::Db("connect", e))?;
                sql.ensure_schema(&mut fresh)
                    .await
                    .map_err(|e| Step::Db("create the schema", e))?;
                *guard = Some(fresh);
            }
            let Some(c) = guard.as_mut() else {
                unreachable!("the connection was just opened");
            };
            work(c, &sql).await
        });
        match outcome {
            None => Err(Error::Database {
                location: self.location.to_string(),
                what: what.to_owned(),
                reason: "the connection thread stopped".to_owned(),
            }),
            Some(Ok(v)) => Ok(v),
            Some(Err(Step::Db(step, e))) => Err(self.db_error(step, &e)),
        }
    }

    /// The stored document for `rows`, as the file would hold it.
    fn assemble(&self, row: Option<sql::Row>, rows: Vec<[String; 5]>) -> Result<State, Error> {
        let Some(row) = row.filter(|r| !r.lineage.is_empty()) else {
            return Ok(State::empty());
        };
        let memberships: Vec<serde_json::Value> = rows
            .into_iter()
            .map(|[address, provider, region, group, target]| {
                serde_json::json!({
                    "address": address,
                    "provider": (!provider.is_empty()).then_some(provider),
                    "region": region,
                    "security_group_id": group,
                    "target": target,
                })
            })
            .collect();
        let serial = u64::try_from(row.serial).map_err(|_| Error::Corrupt {
            location: self.location.to_string(),
            reason: format!("its serial is {}", row.serial),
        })?;
        let doc = serde_json::json!({
            "version": row.version,
            "lineage": row.lineage,
            "serial": serial,
            "memberships": memberships,
        });
        State::from_json(&self.location.to_string(), &doc.to_string())
    }

    /// The serial after `state`'s, as the database stores it.
    fn next_serial(&self, state: &State) -> Result<i64, Error> {
        state
            .serial
            .checked_add(1)
            .and_then(|s| i64::try_from(s).ok())
            .ok_or_else(|| Error::SerialExhausted {
                location: self.location.to_string(),
                serial: state.serial,
            })
    }

    /// A failed compare-and-swap: what the workspace holds instead of `state`.
    fn refused(&self, state: &State, found: Option<sql::Row>) -> Error {
        let location = self.location.to_string();
        let expected = describe(&state.lineage, state.serial);
        match found.filter(|r| !r.lineage.is_empty()) {
            None => Error::ChangedUnderneath {
                location,
                expected,
                found: "no state (it was removed)".to_owned(),
            },
            Some(r) if !state.is_new() && r.lineage != state.lineage => Error::OtherLineage {
                location,
                expected: state.lineage.clone(),
                found: r.lineage,
            },
            Some(r) => Error::ChangedUnderneath {
                location,
                expected,
                found: describe(&r.lineage, u64::try_from(r.serial).unwrap_or(0)),
            },
        }
    }

    /// One transaction: the compare-and-swap from `state`, then `change` (given the
    /// transaction); returns the new lineage and serial, or the row found instead.
    fn swap(
        &self,
        state: &State,
        clear: bool,
        add: Vec<ManagedMembership>,
        remove: Vec<ManagedMembership>,
    ) -> Result<(String, u64), Error> {
        let new_serial = self.next_serial(state)?;
        let new_lineage = if state.is_new() {
            uuid::Uuid::new_v4().to_string()
        } else {
            state.lineage.clone()
        };
        let old_serial = i64::try_from(state.serial).unwrap_or(i64::MAX);
        match self.transact(
            (state.lineage.clone(), old_serial),
            (new_lineage.clone(), new_serial),
            clear,
            add,
            remove,
        )? {
            Ok(()) => Ok((new_lineage, new_serial as u64)),
            Err(found) => Err(self.refused(state, found)),
        }
    }

    /// One transaction: the compare-and-swap of the workspace from `old` to `new` (lineage,
    /// serial), then the rows (all cleared first when `clear`); `Err(row)` with the row found
    /// instead when the workspace no longer has `old`.
    fn transact(
        &self,
        (old_lineage, old_serial): (String, i64),
        (lineage, new_serial): (String, i64),
        clear: bool,
        add: Vec<ManagedMembership>,
        remove: Vec<ManagedMembership>,
    ) -> Result<Result<(), Option<sql::Row>>, Error> {
        let version = VERSION as i32;
        self.with_client("write the state", move |c, sql| {
            Box::pin(async move {
                let db = |step| move |e| Step::Db(step, e);
                let tx = c.transaction().await.map_err(db("begin a transaction"))?;
                let swapped = sql
                    .swap(&tx, &old_lineage, old_serial, &lineage, new_serial, version)
                    .await
                    .map_err(db("compare the serial"))?;
                if !swapped {
                    let found = sql.row(&tx).await.map_err(db("read the workspace"))?;
                    tx.rollback().await.map_err(db("roll back"))?;
                    return Ok(Err(found));
                }
                if clear {
                    sql.clear(&tx)
                        .await
                        .map_err(db("replace the memberships"))?;
                }
                sql.delete(&tx, &remove)
                    .await
                    .map_err(db("delete memberships"))?;
                sql.insert(&tx, &add)
                    .await
                    .map_err(db("insert memberships"))?;
                tx.commit().await.map_err(db("commit"))?;
                Ok(Ok(()))
            })
        })
    }
}

/// A step on the connection thread, over the data connection.
type Work<'c, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Step>> + Send + 'c>>;

/// Why a step on the connection thread failed.
enum Step {
    Db(&'static str, tokio_postgres::Error),
}

fn describe(lineage: &str, serial: u64) -> String {
    if lineage.is_empty() {
        "no state".to_owned()
    } else {
        format!("serial {serial} of lineage {lineage}")
    }
}

impl Backend for Pg {
    fn location(&self) -> String {
        self.location.to_string()
    }

    fn load(&self) -> Result<State, Error> {
        let (row, rows) = self.with_client("read the state", move |c, sql| {
            Box::pin(async move {
                let db = |step| move |e| Step::Db(step, e);
                let tx = c
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await
                    .map_err(db("begin a transaction"))?;
                let row = sql.row(&tx).await.map_err(db("read the workspace"))?;
                let rows = sql
                    .memberships(&tx)
                    .await
                    .map_err(db("read the memberships"))?;
                tx.commit().await.map_err(db("commit"))?;
                Ok((row, rows))
            })
        })?;
        if let Some(r) = &row
            && r.version > VERSION as i32
        {
            return Err(Error::NewerVersion {
                location: self.location(),
                found: u32::try_from(r.version).unwrap_or(u32::MAX),
            });
        }
        self.assemble(row, rows)
    }

    fn write(&self, state: &State) -> Result<State, Error> {
        let all: Vec<ManagedMembership> = state.memberships.iter().cloned().collect();
        let (lineage, serial) = self.swap(state, true, all, Vec::new())?;
        let mut next = state.clone();
        next.version = VERSION;
        next.lineage = lineage;
        next.serial = serial;
        Ok(next)
    }

    fn commit(
        &self,
        state: &mut State,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), Error> {
        let (lineage, serial) = self.swap(state, false, add.to_vec(), remove.to_vec())?;
        state.apply_change(add, remove);
        state.version = VERSION;
        state.lineage = lineage;
        state.serial = serial;
        Ok(())
    }

    fn replace(&self, expected: Option<(&str, u64)>, state: &State) -> Result<(), Error> {
        let serial = i64::try_from(state.serial).map_err(|_| Error::SerialExhausted {
            location: self.location(),
            serial: state.serial,
        })?;
        // What the workspace must still hold, as the state a refusal is described against.
        let mut was = State::empty();
        if let Some((lineage, serial)) = expected {
            was.lineage = lineage.to_owned();
            was.serial = serial;
        }
        let old_serial = i64::try_from(was.serial).unwrap_or(i64::MAX);
        let all: Vec<ManagedMembership> = state.memberships.iter().cloned().collect();
        match self.transact(
            (was.lineage.clone(), old_serial),
            (state.lineage.clone(), serial),
            true,
            all,
            Vec::new(),
        )? {
            Ok(()) => Ok(()),
            Err(found) => Err(self.refused(&was, found)),
        }
    }

    fn lock(&self, info: LockInfo, timeout: Option<Duration>) -> Result<LockGuard, Error> {
        let worker = self.worker.as_ref().map_err(|e| Error::Database {
            location: self.location(),
            what: "start the connection thread".to_owned(),
            reason: e.clone(),
        })?;
        let text = serde_json::to_string(&info)
            .unwrap_or_else(|e| unreachable!("lock info serialisation failed: {e}"));
        // The lock's own connection: the session that holds the advisory lock.
        let (location, sql) = (self.location.clone(), self.sql.clone());
        let opened = worker.run(async move {
            let mut c = location.connect().await.map_err(|e| ("connect", e))?;
            sql.ensure_schema(&mut c)
                .await
                .map_err(|e| ("create the schema", e))?;
            Ok::<_, (&str, tokio_postgres::Error)>(Arc::new(c))
        });
        let client = match opened {
            Some(Ok(c)) => c,
            Some(Err((step, e))) => return Err(self.db_error(step, &e)),
            None => return Err(self.db_error_gone("lock the state")),
        };
        let start = Instant::now();
        let mut delay = self.backoff.initial;
        loop {
            let (c, sql, info_text) = (client.clone(), self.sql.clone(), text.clone());
            let attempt = worker.run(async move {
                if !sql.try_lock(&c).await.map_err(|e| ("take the lock", e))? {
                    let holder = sql
                        .holder(&*c)
                        .await
                        .map_err(|e| ("read the lock holder", e))?;
                    return Ok(Some(holder.map(|(info, _)| info)));
                }
                sql.set_holder(&c, &info_text)
                    .await
                    .map_err(|e| ("record the lock holder", e))?;
                Ok::<_, (&str, tokio_postgres::Error)>(None)
            });
            let holder = match attempt {
                Some(Ok(None)) => break,
                Some(Ok(Some(holder))) => {
                    holder.and_then(|h| serde_json::from_str::<LockInfo>(&h).ok())
                }
                Some(Err((step, e))) => return Err(self.db_error(step, &e)),
                None => return Err(self.db_error_gone("lock the state")),
            };
            let locked = |waited| Error::Locked {
                location: self.location(),
                holder: holder.clone().map(Box::new),
                waited,
            };
            let Some(timeout) = timeout else {
                return Err(locked(None));
            };
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(locked(Some(timeout)));
            }
            std::thread::sleep(delay.min(left));
            delay = (delay * 2).min(self.backoff.max);
        }
        Ok(LockGuard::new(
            info,
            Box::new(HeldPgLock {
                worker: worker.clone(),
                client,
                sql: self.sql.clone(),
                info: text,
                location: self.location.clone(),
            }),
        ))
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, Error> {
        let location = self.location();
        let found = self.with_client("read the lock holder", move |c, sql| {
            Box::pin(async move {
                let db = |step| move |e| Step::Db(step, e);
                let holder = sql.holder(&*c).await.map_err(db("read the lock holder"))?;
                let owner = sql.lock_owner(&*c).await.map_err(db("read pg_locks"))?;
                Ok((holder, owner))
            })
        })?;
        let (holder, owner) = found;
        let Some((text, recorded_pid)) = holder else {
            return Err(match owner {
                None => Error::NotLocked { location },
                Some(_) => Error::Locked {
                    location,
                    holder: None,
                    waited: None,
                },
            });
        };
        let info: LockInfo = serde_json::from_str(&text).map_err(|e| Error::Corrupt {
            location: location.clone(),
            reason: format!("its lock holder info does not parse: {e}"),
        })?;
        if info.id != id {
            return Err(Error::LockIdMismatch {
                location,
                given: id.to_owned(),
                holder: Box::new(info),
            });
        }
        // End the holder's session if it still holds the lock (and is the recorded one).
        if let Some(pid) = owner.filter(|p| recorded_pid.is_none_or(|r| r == *p)) {
            let ended = self.with_client("end the holder's session", move |c, sql| {
                Box::pin(async move {
                    match sql.terminate(&*c, pid).await {
                        Ok(_) => {}
                        Err(e)
                            if e.code()
                                == Some(
                                    &tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE,
                                ) =>
                        {
                            return Ok(Err(reason_plain(&e)));
                        }
                        Err(e) => return Err(Step::Db("end the holder's session", e)),
                    }
                    // The server ends the session shortly; wait for its lock to go.
                    for _ in 0..100 {
                        if sql
                            .lock_owner(&*c)
                            .await
                            .map_err(|e| Step::Db("read pg_locks", e))?
                            != Some(pid)
                        {
                            return Ok(Ok(()));
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Ok(Ok(()))
                })
            })?;
            if let Err(why) = ended {
                return Err(Error::TerminateRefused {
                    location,
                    holder: Box::new(info),
                    pid,
                    reason: self.location.scrub(why),
                });
            }
        }
        self.with_client("clear the lock holder", move |c, sql| {
            Box::pin(async move {
                sql.clear_holder(&*c, &text)
                    .await
                    .map_err(|e| Step::Db("clear the lock holder", e))
            })
        })?;
        Ok(info)
    }
}

/// The server's message of a refused statement.
fn reason_plain(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |db| db.message().to_owned())
}

impl Pg {
    fn db_error_gone(&self, what: &str) -> Error {
        Error::Database {
            location: self.location(),
            what: what.to_owned(),
            reason: "the connection thread stopped".to_owned(),
        }
    }
}

/// A held advisory lock: its session, on the connection thread.
struct HeldPgLock {
    worker: Worker,
    client: Arc<Client>,
    sql: Arc<Sql>,
    info: String,
    location: Arc<PgLocation>,
}

impl HeldLock for HeldPgLock {
    fn release(self: Box<Self>) -> Result<(), Error> {
        let Self {
            worker,
            client,
            sql,
            info,
            location,
        } = *self;
        let done = worker.run(async move {
            // Clear the holder info while still holding the lock, then unlock; dropping the
            // connection ends the session (which would release the lock anyway).
            let result = match sql.clear_holder(&*client, &info).await {
                Ok(()) => sql.unlock(&client).await.map(|_| ()),
                Err(e) => Err(e),
            };
            drop(client);
            result
        });
        match done {
            Some(Ok(())) | None => Ok(()),
            Some(Err(e)) => Err(Error::Database {
                location: location.to_string(),
                what: "release the lock".to_owned(),
                reason: reason(&location, &e),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
