//! The SQL of the PostgreSQL backend: the schema, and each statement, over a connection.
//!
//! ```sql
//! CREATE TABLE <schema>.workspaces (
//!   name      text PRIMARY KEY,        -- the workspace
//!   version   integer NOT NULL,        -- the state format (state::VERSION)
//!   lineage   text NOT NULL,           -- '' until the first write
//!   serial    bigint NOT NULL,         -- +1 on every write
//!   lock_info text,                    -- the lock holder's LockInfo as JSON, while held
//!   lock_pid  integer                  -- the holder's backend pid (pg_terminate_backend)
//! );
//! CREATE TABLE <schema>.memberships (
//!   workspace text NOT NULL REFERENCES <schema>.workspaces (name) ON DELETE CASCADE,
//!   address text NOT NULL, provider text NOT NULL,  -- '' for the default provider
//!   region text NOT NULL, security_group_id text NOT NULL, target text NOT NULL,
//!   PRIMARY KEY (workspace, address, provider, region, security_group_id, target)
//! );
//! ```

use tokio_postgres::{Client, GenericClient, Transaction};

use super::super::ManagedMembership;

/// The DDL, for `schema` (a checked plain identifier, so quoting it is enough).
pub(super) fn ddl(schema: &str) -> String {
    format!(
        r#"CREATE SCHEMA IF NOT EXISTS "{schema}";
CREATE TABLE IF NOT EXISTS "{schema}".workspaces (
  name text PRIMARY KEY,
  version integer NOT NULL,
  lineage text NOT NULL,
  serial bigint NOT NULL CHECK (serial >= 0),
  lock_info text,
  lock_pid integer
);
CREATE TABLE IF NOT EXISTS "{schema}".memberships (
  workspace text NOT NULL REFERENCES "{schema}".workspaces (name) ON DELETE CASCADE,
  address text NOT NULL,
  provider text NOT NULL,
  region text NOT NULL,
  security_group_id text NOT NULL,
  target text NOT NULL,
  PRIMARY KEY (workspace, address, provider, region, security_group_id, target)
);"#
    )
}

/// The statements of one schema and workspace.
#[derive(Debug, Clone)]
pub(super) struct Sql {
    schema: String,
    workspace: String,
    /// The advisory lock of the state, the two-int4 form.
    pub lock_key: (i32, i32),
    /// The advisory lock that serialises creating the schema.
    setup_key: (i32, i32),
}

/// A workspace row: `None` fields when absent.
#[derive(Debug, Clone, Default)]
pub(super) struct Row {
    pub version: i32,
    pub lineage: String,
    pub serial: i64,
}

/// Membership columns as arrays, for `unnest`.
#[derive(Debug, Default)]
struct Columns {
    address: Vec<String>,
    provider: Vec<String>,
    region: Vec<String>,
    group: Vec<String>,
    target: Vec<String>,
}

impl Columns {
    fn of(list: &[ManagedMembership]) -> Self {
        let mut c = Self::default();
        for m in list {
            c.address.push(m.address.to_string());
            c.provider.push(m.provider.clone().unwrap_or_default());
            c.region.push(m.region.to_string());
            c.group.push(m.security_group_id.to_string());
            c.target.push(m.target.to_string());
        }
        c
    }
}

/// Two non-negative int4 keys from a hash of `parts`: the same everywhere (SHA-1, not the
/// process's hasher), distinct for distinct parts (62 bits).
fn key(parts: &[&str]) -> (i32, i32) {
    use sha1::Digest as _;
    let mut hasher = sha1::Sha1::new();
    for p in parts {
        hasher.update(p.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let half = |i: usize| {
        let b = [digest[i], digest[i + 1], digest[i + 2], digest[i + 3]];
        i32::from_be_bytes(b) & 0x7fff_ffff
    };
    (half(0), half(4))
}

impl Sql {
    pub(super) fn new(schema: &str, workspace: &str) -> Self {
        Self {
            schema: schema.to_owned(),
            workspace: workspace.to_owned(),
            lock_key: key(&["sgform state", schema, workspace]),
            setup_key: key(&["sgform schema", schema]),
        }
    }

    fn t(&self, table: &str) -> String {
        format!(r#""{}".{table}"#, self.schema)
    }

    /// Creates the schema and tables unless they exist; safe when several processes start at
    /// once (a transaction-level advisory lock serialises the `CREATE … IF NOT EXISTS`, which
    /// can otherwise collide on the catalogue's unique indexes).
    pub(super) async fn ensure_schema(
        &self,
        client: &mut Client,
    ) -> Result<(), tokio_postgres::Error> {
        let exists = "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL";
        let present: bool = client
            .query_one(exists, &[&self.t("workspaces"), &self.t("memberships")])
            .await?
            .get(0);
        if present {
            return Ok(());
        }
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&self.setup_key.0, &self.setup_key.1],
        )
        .await?;
        tx.batch_execute(&ddl(&self.schema)).await?;
        tx.commit().await
    }

    /// The workspace row, if any.
    pub(super) async fn row(
        &self,
        c: &impl GenericClient,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let q = format!(
            "SELECT version, lineage, serial FROM {} WHERE name = $1",
            self.t("workspaces")
        );
        Ok(c.query_opt(&q, &[&self.workspace]).await?.map(|r| Row {
            version: r.get(0),
            lineage: r.get(1),
            serial: r.get(2),
        }))
    }

    /// Every membership row: address, provider, region, group, target.
    pub(super) async fn memberships(
        &self,
        c: &impl GenericClient,
    ) -> Result<Vec<[String; 5]>, tokio_postgres::Error> {
        let q = format!(
            "SELECT address, provider, region, security_group_id, target FROM {} WHERE workspace = $1",
            self.t("memberships")
        );
        Ok(c.query(&q, &[&self.workspace])
            .await?
            .into_iter()
            .map(|r| [r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)])
            .collect())
    }

    /// The compare-and-swap: moves the workspace from `(lineage, serial)` to `(new_lineage,
    /// new_serial)`; `false` when it no longer has them. `lineage` empty: a state never
    /// written (no row, or the row a lock created).
    pub(super) async fn swap(
        &self,
        tx: &Transaction<'_>,
        lineage: &str,
        serial: i64,
        new_lineage: &str,
        new_serial: i64,
        version: i32,
    ) -> Result<bool, tokio_postgres::Error> {
        let n = if lineage.is_empty() {
            let q = format!(
                "INSERT INTO {ws} AS w (name, version, lineage, serial) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET version = $2, lineage = $3, serial = $4
                 WHERE w.lineage = ''",
                ws = self.t("workspaces")
            );
            tx.execute(&q, &[&self.workspace, &version, &new_lineage, &new_serial])
                .await?
        } else {
            let q = format!(
                "UPDATE {} SET version = $2, serial = $3, lineage = $6 WHERE name = $1 AND lineage = $4 AND serial = $5",
                self.t("workspaces")
            );
            tx.execute(
                &q,
                &[
                    &self.workspace,
                    &version,
                    &new_serial,
                    &lineage,
                    &serial,
                    &new_lineage,
                ],
            )
            .await?
        };
        Ok(n == 1)
    }

    /// Removes every membership of the workspace.
    pub(super) async fn clear(&self, tx: &Transaction<'_>) -> Result<u64, tokio_postgres::Error> {
        let q = format!("DELETE FROM {} WHERE workspace = $1", self.t("memberships"));
        tx.execute(&q, &[&self.workspace]).await
    }

    /// Adds `list` (present ones are left as they are).
    pub(super) async fn insert(
        &self,
        tx: &Transaction<'_>,
        list: &[ManagedMembership],
    ) -> Result<u64, tokio_postgres::Error> {
        let q = format!(
            "INSERT INTO {} (workspace, address, provider, region, security_group_id, target)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
             ON CONFLICT DO NOTHING",
            self.t("memberships")
        );
        self.for_rows(tx, &q, list).await
    }

    /// Removes `list` (absent ones are no error).
    pub(super) async fn delete(
        &self,
        tx: &Transaction<'_>,
        list: &[ManagedMembership],
    ) -> Result<u64, tokio_postgres::Error> {
        let q = format!(
            "DELETE FROM {} m USING unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
               AS d(address, provider, region, security_group_id, target)
             WHERE m.workspace = $1 AND m.address = d.address AND m.provider = d.provider
               AND m.region = d.region AND m.security_group_id = d.security_group_id
               AND m.target = d.target",
            self.t("memberships")
        );
        self.for_rows(tx, &q, list).await
    }

    /// Runs `query` once over `list` (none: no statement): `$1` the workspace, `$2`..`$6` the
    /// rows' columns as arrays.
    async fn for_rows(
        &self,
        tx: &Transaction<'_>,
        query: &str,
        list: &[ManagedMembership],
    ) -> Result<u64, tokio_postgres::Error> {
        if list.is_empty() {
            return Ok(0);
        }
        let c = Columns::of(list);
        tx.execute(
            query,
            &[
                &self.workspace,
                &c.address,
                &c.provider,
                &c.region,
                &c.group,
                &c.target,
            ],
        )
        .await
    }

    /// Tries the state's advisory lock once (session level: held until unlocked or the session
    /// ends).
    pub(super) async fn try_lock(&self, c: &Client) -> Result<bool, tokio_postgres::Error> {
        Ok(c.query_one(
            "SELECT pg_try_advisory_lock($1, $2)",
            &[&self.lock_key.0, &self.lock_key.1],
        )
        .await?
        .get(0))
    }

    /// Releases the advisory lock this session holds.
    pub(super) async fn unlock(&self, c: &Client) -> Result<bool, tokio_postgres::Error> {
        Ok(c.query_one(
            "SELECT pg_advisory_unlock($1, $2)",
            &[&self.lock_key.0, &self.lock_key.1],
        )
        .await?
        .get(0))
    }

    /// Records `info` (JSON) as the holder, with this session's pid; creates the row if the
    /// state was never written.
    pub(super) async fn set_holder(
        &self,
        c: &Client,
        info: &str,
    ) -> Result<(), tokio_postgres::Error> {
        let q = format!(
            "INSERT INTO {} (name, version, lineage, serial, lock_info, lock_pid)
             VALUES ($1, $2, '', 0, $3, pg_backend_pid())
             ON CONFLICT (name) DO UPDATE SET lock_info = EXCLUDED.lock_info, lock_pid = EXCLUDED.lock_pid",
            self.t("workspaces")
        );
        let version = super::super::VERSION as i32;
        c.execute(&q, &[&self.workspace, &version, &info]).await?;
        Ok(())
    }

    /// Clears the holder info if it is still `info`.
    pub(super) async fn clear_holder(
        &self,
        c: &impl GenericClient,
        info: &str,
    ) -> Result<(), tokio_postgres::Error> {
        let q = format!(
            "UPDATE {} SET lock_info = NULL, lock_pid = NULL WHERE name = $1 AND lock_info = $2",
            self.t("workspaces")
        );
        c.execute(&q, &[&self.workspace, &info]).await?;
        Ok(())
    }

    /// The recorded holder: its info (JSON) and session pid.
    pub(super) async fn holder(
        &self,
        c: &impl GenericClient,
    ) -> Result<Option<(String, Option<i32>)>, tokio_postgres::Error> {
        let q = format!(
            "SELECT lock_info, lock_pid FROM {} WHERE name = $1 AND lock_info IS NOT NULL",
            self.t("workspaces")
        );
        Ok(c.query_opt(&q, &[&self.workspace])
            .await?
            .map(|r| (r.get(0), r.get(1))))
    }

    /// The pid of the session that holds the state's advisory lock, if any.
    pub(super) async fn lock_owner(
        &self,
        c: &impl GenericClient,
    ) -> Result<Option<i32>, tokio_postgres::Error> {
        let q = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND classid::text::bigint = $1 AND objid::text::bigint = $2 AND objsubid = 2";
        let (a, b) = (i64::from(self.lock_key.0), i64::from(self.lock_key.1));
        Ok(c.query_opt(q, &[&a, &b]).await?.map(|r| r.get(0)))
    }

    /// Ends the session `pid` (`pg_terminate_backend`); `false` when it was already gone.
    pub(super) async fn terminate(
        &self,
        c: &impl GenericClient,
        pid: i32,
    ) -> Result<bool, tokio_postgres::Error> {
        Ok(c.query_one("SELECT pg_terminate_backend($1)", &[&pid])
            .await?
            .get(0))
    }
}
