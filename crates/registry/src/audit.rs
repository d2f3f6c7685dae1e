//! The audit trail: an append-only, hash-chained log of every change, login and
//! administrative act, in the metadata database, with signed checkpoints.
//!
//! Entry `n` stores the SHA-256 of its own fields together with entry `n-1`'s hash, so
//! editing, deleting, inserting or reordering a row breaks the chain at that row, and
//! [`AuditLog::verify`] says where. Someone who can write the database could rewrite the
//! whole chain after the row they changed; every [`CHECKPOINT_EVERY`] entries (and on
//! demand) the registry signs `(seq, hash)` with its ES256 key, which the database does not
//! hold, so a rewritten chain no longer matches the signed checkpoints, and removing entries
//! from the end leaves a checkpoint pointing past the last entry.
//!
//! [`AuditSink`] is the registry's [`EventSink`]: it queues events (never blocking a
//! request) and one task appends them in order.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::access::{Event, EventKind, EventSink};
use crate::auth::token::TokenKey;
use crate::error::{Error, Result};
use crate::meta::{Backend, Metadata, now_millis};

/// The audit tables (migration 3 of the metadata schema).
pub(crate) const SCHEMA: &str = "
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    time BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    tag TEXT NOT NULL,
    detail TEXT NOT NULL,
    client TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_repository ON audit_log (repository, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    time BIGINT NOT NULL,
    kid TEXT NOT NULL,
    signature TEXT NOT NULL
)
";

/// A signed checkpoint every this many entries.
pub const CHECKPOINT_EVERY: i64 = 1000;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Serializes appends across replicas on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already does).
const AUDIT_LOCK: i64 = 0x0061_7564_6974; // "audit"

/// What happened, before it has a place in the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewEntry {
    /// The account name; `anonymous` when none.
    pub actor: String,
    /// `push`, `delete-tag`, `login`, `member-set`, ...
    pub action: String,
    pub repository: String,
    pub digest: String,
    pub tag: String,
    /// Anything else worth keeping (a role, a refusal reason); never a secret.
    pub detail: String,
    /// The client's address, when known.
    pub client: String,
    /// `success`, or `failure`.
    pub outcome: String,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub time: i64,
    #[serde(flatten)]
    pub fields: NewEntry,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash this entry must carry: SHA-256 over every field, each length-prefixed, and
    /// the previous entry's hash.
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"drydock-audit-v1");
        hasher.update(self.seq.to_be_bytes());
        hasher.update(self.time.to_be_bytes());
        let f = &self.fields;
        for field in [
            &f.actor,
            &f.action,
            &f.repository,
            &f.digest,
            &f.tag,
            &f.detail,
            &f.client,
            &f.outcome,
            &self.prev_hash,
        ] {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// A signed statement that the chain's entry `seq` had hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub time: i64,
    pub kid: String,
    pub signature: String,
}

fn checkpoint_message(seq: i64, hash: &str, time: i64) -> Vec<u8> {
    format!("drydock-audit-checkpoint\n{seq}\n{hash}\n{time}\n").into_bytes()
}

/// One thing wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The entry (or checkpoint) where it shows.
    pub seq: i64,
    pub what: String,
}

/// What [`AuditLog::verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: i64,
    pub checkpoints: i64,
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Which entries a query returns; unset fields match everything.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub repository: Option<String>,
    /// Entries about this project: its own (member, robot, policy changes) and its
    /// repositories'.
    pub project: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Milliseconds since the epoch, inclusive.
    pub since: Option<i64>,
    /// Milliseconds since the epoch, exclusive.
    pub until: Option<i64>,
    /// Entries after this sequence number (for paging).
    pub after: i64,
    pub limit: i64,
}

/// The audit log in the metadata database.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pool: AnyPool,
    backend: Backend,
    key: Arc<TokenKey>,
    checkpoint_every: i64,
}

impl AuditLog {
    /// The log, signing checkpoints with `key` (the registry's token key).
    pub fn new(meta: &Metadata, key: Arc<TokenKey>) -> Self {
        AuditLog {
            pool: meta.pool().clone(),
            backend: meta.backend(),
            key,
            checkpoint_every: CHECKPOINT_EVERY,
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn with_checkpoint_every(mut self, entries: i64) -> Self {
        self.checkpoint_every = entries.max(1);
        self
    }

    /// Appends entries in order, in one transaction; returns the last one.
    pub async fn append(&self, entries: &[NewEntry]) -> Result<Option<Entry>> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(AUDIT_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (mut seq, mut prev_hash) = match last {
            Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
            None => (0, GENESIS.to_string()),
        };
        let mut appended = None;
        for fields in entries {
            seq += 1;
            let mut entry = Entry {
                seq,
                time: now_millis(),
                fields: fields.clone(),
                prev_hash: prev_hash.clone(),
                hash: String::new(),
            };
            entry.hash = entry.compute_hash();
            insert_entry(&mut tx, &entry).await?;
            if seq % self.checkpoint_every == 0 {
                let checkpoint = self.sign_checkpoint(seq, &entry.hash)?;
                insert_checkpoint(&mut tx, &checkpoint).await?;
            }
            prev_hash = entry.hash.clone();
            appended = Some(entry);
        }
        tx.commit().await?;
        Ok(appended)
    }

    /// Signs a checkpoint at the current end of the log (nothing when it is empty).
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(AUDIT_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let Some(last) = last else { return Ok(None) };
        let (seq, hash): (i64, String) = (last.try_get(0)?, last.try_get(1)?);
        let checkpoint = self.sign_checkpoint(seq, &hash)?;
        sqlx::query("DELETE FROM audit_checkpoints WHERE seq = $1")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        insert_checkpoint(&mut tx, &checkpoint).await?;
        tx.commit().await?;
        Ok(Some(checkpoint))
    }

    fn sign_checkpoint(&self, seq: i64, hash: &str) -> Result<Checkpoint> {
        let time = now_millis();
        let signature = self.key.sign_bytes(&checkpoint_message(seq, hash, time));
        Ok(Checkpoint {
            seq,
            hash: hash.to_string(),
            time,
            kid: self.key.kid().to_string(),
            signature: URL_SAFE_NO_PAD.encode(signature),
        })
    }

    /// Entries matching `query`, oldest first.
    pub async fn query(&self, query: &Query) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT seq, time, actor, action, repository, digest, tag, detail, client, outcome, prev_hash, hash \
             FROM audit_log WHERE seq > $1 \
             AND ($2 = '' OR repository = $2) AND ($3 = '' OR actor = $3) AND ($4 = '' OR action = $4) \
             AND time >= $5 AND time < $6 \
             AND ($8 = '' OR repository = $8 OR SUBSTR(repository, 1, CAST($10 AS INTEGER)) = $9) \
             ORDER BY seq LIMIT $7",
        )
        .bind(query.after)
        .bind(query.repository.clone().unwrap_or_default())
        .bind(query.actor.clone().unwrap_or_default())
        .bind(query.action.clone().unwrap_or_default())
        .bind(query.since.unwrap_or(i64::MIN))
        .bind(query.until.unwrap_or(i64::MAX))
        .bind(if query.limit > 0 { query.limit } else { i64::MAX })
        .bind(query.project.clone().unwrap_or_default())
        .bind(format!("{}/", query.project.as_deref().unwrap_or_default()))
        .bind(query.project.as_deref().map_or(0, |p| p.len() as i64 + 1))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Writes the entries matching `query` as JSON lines, one entry per line, paging through
    /// the log so memory stays bounded.
    pub async fn export_json_lines(&self, query: &Query, out: &mut impl std::io::Write) -> Result<u64> {
        let mut page = Query {
            limit: 1000,
            ..query.clone()
        };
        let mut written = 0u64;
        let mut remaining = if query.limit > 0 { query.limit } else { i64::MAX };
        loop {
            page.limit = remaining.min(1000);
            let entries = self.query(&page).await?;
            let Some(last) = entries.last() else { break };
            page.after = last.seq;
            for entry in &entries {
                let line = serde_json::to_string(entry).map_err(|e| Error::Corrupt(format!("audit entry: {e}")))?;
                writeln!(out, "{line}").map_err(|e| Error::io("writing the audit export", e))?;
                written += 1;
            }
            remaining -= entries.len() as i64;
            if remaining <= 0 {
                break;
            }
        }
        Ok(written)
    }

    /// Checks the whole chain and every checkpoint; lists each problem with where it shows.
    pub async fn verify(&self) -> Result<Verification> {
        let mut report = Verification::default();
        let mut expected_seq = 1;
        let mut prev_hash = GENESIS.to_string();
        let mut after = 0;
        let mut hashes = std::collections::BTreeMap::new();
        loop {
            let page = self
                .query(&Query {
                    after,
                    limit: 1000,
                    ..Query::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for entry in page {
                check_entry(&entry, expected_seq, &prev_hash, &mut report.problems);
                report.entries += 1;
                expected_seq = entry.seq + 1;
                prev_hash = entry.hash.clone();
                hashes.insert(entry.seq, entry.hash);
            }
        }
        let rows = sqlx::query("SELECT seq, hash, time, kid, signature FROM audit_checkpoints ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let checkpoint = Checkpoint {
                seq: row.try_get(0)?,
                hash: row.try_get(1)?,
                time: row.try_get(2)?,
                kid: row.try_get(3)?,
                signature: row.try_get(4)?,
            };
            report.checkpoints += 1;
            self.check_checkpoint(&checkpoint, hashes.get(&checkpoint.seq), &mut report.problems);
        }
        report.problems.sort_by_key(|problem| problem.seq);
        Ok(report)
    }

    fn check_checkpoint(&self, checkpoint: &Checkpoint, stored: Option<&String>, problems: &mut Vec<Problem>) {
        let seq = checkpoint.seq;
        let mut problem = |what: String| problems.push(Problem { seq, what });
        if checkpoint.kid != self.key.kid() {
            problem(format!(
                "checkpoint at entry {seq} is signed by another key ({})",
                checkpoint.kid
            ));
            return;
        }
        let signature = URL_SAFE_NO_PAD.decode(&checkpoint.signature).unwrap_or_default();
        let message = checkpoint_message(seq, &checkpoint.hash, checkpoint.time);
        if !self.key.verify_bytes(&message, &signature) {
            problem(format!(
                "checkpoint at entry {seq} has a bad signature: the checkpoint was edited"
            ));
            return;
        }
        match stored {
            None => problem(format!(
                "entry {seq} is gone but a signed checkpoint covers it: entries were deleted from the end"
            )),
            Some(hash) if *hash != checkpoint.hash => problem(format!(
                "entry {seq} differs from its signed checkpoint: the chain up to it was rewritten"
            )),
            Some(_) => {}
        }
    }
}

fn check_entry(entry: &Entry, expected_seq: i64, prev_hash: &str, problems: &mut Vec<Problem>) {
    let seq = entry.seq;
    if seq != expected_seq {
        let what = if seq > expected_seq {
            format!("entries {expected_seq} to {} are missing (deleted)", seq - 1)
        } else {
            format!("entry {seq} appears out of order after entry {}", expected_seq - 1)
        };
        problems.push(Problem { seq, what });
    }
    if entry.compute_hash() != entry.hash {
        problems.push(Problem {
            seq,
            what: format!("entry {seq} does not match its hash: it was edited"),
        });
    }
    if entry.prev_hash != prev_hash {
        problems.push(Problem {
            seq,
            what: format!(
                "entry {seq} does not follow the entry before it (chain broken: an entry was inserted, deleted, \
                 reordered or rewritten before it)"
            ),
        });
    }
}

async fn insert_entry(tx: &mut sqlx::Transaction<'_, sqlx::Any>, entry: &Entry) -> Result<()> {
    let f = &entry.fields;
    sqlx::query(
        "INSERT INTO audit_log (seq, time, actor, action, repository, digest, tag, detail, client, outcome, \
         prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.seq)
    .bind(entry.time)
    .bind(&f.actor)
    .bind(&f.action)
    .bind(&f.repository)
    .bind(&f.digest)
    .bind(&f.tag)
    .bind(&f.detail)
    .bind(&f.client)
    .bind(&f.outcome)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_checkpoint(tx: &mut sqlx::Transaction<'_, sqlx::Any>, checkpoint: &Checkpoint) -> Result<()> {
    sqlx::query("INSERT INTO audit_checkpoints (seq, hash, time, kid, signature) VALUES ($1, $2, $3, $4, $5)")
        .bind(checkpoint.seq)
        .bind(&checkpoint.hash)
        .bind(checkpoint.time)
        .bind(&checkpoint.kid)
        .bind(&checkpoint.signature)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn entry_from(row: &sqlx::any::AnyRow) -> Result<Entry> {
    Ok(Entry {
        seq: row.try_get(0)?,
        time: row.try_get(1)?,
        fields: NewEntry {
            actor: row.try_get(2)?,
            action: row.try_get(3)?,
            repository: row.try_get(4)?,
            digest: row.try_get(5)?,
            tag: row.try_get(6)?,
            detail: row.try_get(7)?,
            client: row.try_get(8)?,
            outcome: row.try_get(9)?,
        },
        prev_hash: row.try_get(10)?,
        hash: row.try_get(11)?,
    })
}

/// A registry change as an audit entry.
pub fn entry_for_event(event: &Event) -> NewEntry {
    let (action, digest, tag, detail) = match &event.kind {
        EventKind::BlobPushed { digest, size } => ("push-blob", digest.clone(), String::new(), format!("size {size}")),
        EventKind::BlobMounted { digest, from } => {
            ("mount-blob", digest.clone(), String::new(), format!("from {from}"))
        }
        EventKind::BlobDeleted { digest } => ("delete-blob", digest.clone(), String::new(), String::new()),
        EventKind::ManifestPushed {
            digest,
            media_type,
            tag,
        } => (
            "push-manifest",
            digest.clone(),
            tag.clone().unwrap_or_default(),
            media_type.clone(),
        ),
        EventKind::ManifestDeleted { digest } => ("delete-manifest", digest.clone(), String::new(), String::new()),
        EventKind::TagDeleted { tag } => ("delete-tag", String::new(), tag.clone(), String::new()),
        EventKind::ManifestPulled { digest, tag, head_only } => (
            "pull",
            digest.clone(),
            tag.clone().unwrap_or_default(),
            if *head_only { "HEAD".to_string() } else { String::new() },
        ),
    };
    NewEntry {
        actor: event.actor.name.clone().unwrap_or_else(|| "anonymous".into()),
        action: action.into(),
        repository: event.repository.clone(),
        digest,
        tag,
        detail: match &event.request_id {
            Some(id) if detail.is_empty() => format!("request {id}"),
            Some(id) => format!("{detail}; request {id}"),
            None => detail,
        },
        client: event.client.clone(),
        outcome: "success".into(),
    }
}

enum Queued {
    Entry(NewEntry),
    Flush(oneshot::Sender<()>),
}

/// The registry's event sink (and login sink): queues entries for one appending task.
#[derive(Debug, Clone)]
pub struct AuditSink {
    queue: mpsc::UnboundedSender<Queued>,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queued")
    }
}

impl AuditSink {
    /// Starts the appending task on the current tokio runtime.
    pub fn spawn(log: AuditLog) -> AuditSink {
        let (queue, mut received) = mpsc::unbounded_channel::<Queued>();
        tokio::spawn(async move {
            while let Some(first) = received.recv().await {
                let mut batch = Vec::new();
                let mut flushes = Vec::new();
                let mut next = Some(first);
                while let Some(item) = next {
                    match item {
                        Queued::Entry(entry) => batch.push(entry),
                        Queued::Flush(done) => flushes.push(done),
                    }
                    next = if batch.len() < 256 {
                        received.try_recv().ok()
                    } else {
                        None
                    };
                }
                if !batch.is_empty()
                    && let Err(error) = append_retrying(&log, &batch).await
                {
                    tracing::error!(%error, entries = batch.len(), "audit entries could not be written");
                }
                for done in flushes {
                    let _ = done.send(());
                }
            }
        });
        AuditSink { queue }
    }

    pub fn record_entry(&self, entry: NewEntry) {
        if self.queue.send(Queued::Entry(entry)).is_err() {
            tracing::error!("the audit log has stopped: an entry was lost");
        }
    }

    /// Waits until everything queued before this call is written.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Queued::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }
}

async fn append_retrying(log: &AuditLog, batch: &[NewEntry]) -> Result<()> {
    let mut attempt = 0;
    loop {
        match log.append(batch).await {
            Ok(_) => return Ok(()),
            // A busy database (a lock wait that timed out) is worth another try.
            Err(error) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(%error, attempt, "retrying an audit append");
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

impl EventSink for AuditSink {
    fn record(&self, event: Event) {
        self.record_entry(entry_for_event(&event));
    }
}

impl crate::auth::service::LoginSink for AuditSink {
    fn login(&self, event: crate::auth::service::LoginEvent) {
        crate::auth::service::LogLogins.login(event.clone());
        self.record_entry(NewEntry {
            actor: event.account,
            action: "login".into(),
            detail: event.refusal.map(|r| r.as_str().to_string()).unwrap_or_default(),
            client: event.client,
            outcome: if event.refusal.is_none() { "success" } else { "failure" }.into(),
            ..NewEntry::default()
        });
    }
}
