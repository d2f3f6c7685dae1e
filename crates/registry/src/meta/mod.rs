//! Registry metadata: repositories, blobs and their links to repositories, manifests with
//! what they reference, tags, referrers and upload sessions.
//!
//! One code path serves SQLite (the default, a file in the data directory, WAL mode) and
//! PostgreSQL: every statement is written once, in SQL both accept, and run through
//! `sqlx::Any`. Rows are mapped by hand. Changes that touch several rows run in one
//! transaction; on SQLite a writing transaction starts with `BEGIN IMMEDIATE` so two
//! writers queue on the busy timeout instead of deadlocking on a lock upgrade.

mod schema;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

use crate::error::{Error, Result};

/// Which database the metadata lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::Config(
                "database_url must start with sqlite: or postgres://".into(),
            ))
        }
    }

    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// A child of a manifest: a blob (config, layer) or another manifest (index entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    Blob,
    Manifest,
}

impl ChildKind {
    fn as_str(self) -> &'static str {
        match self {
            ChildKind::Blob => "blob",
            ChildKind::Manifest => "manifest",
        }
    }
}

/// A manifest about to be stored.
#[derive(Debug, Clone)]
pub struct NewManifest<'a> {
    pub repository: &'a str,
    pub digest: &'a str,
    pub media_type: &'a str,
    pub content: &'a [u8],
    pub subject: Option<&'a str>,
    pub artifact_type: Option<&'a str>,
    /// The manifest's `annotations` object as JSON text, for the referrers list.
    pub annotations: Option<&'a str>,
    pub children: &'a [(String, ChildKind)],
    pub tag: Option<&'a str>,
}

/// A stored manifest.
#[derive(Debug, Clone)]
pub struct StoredManifest {
    pub digest: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// A manifest that names a subject, as the referrers API lists it.
#[derive(Debug, Clone)]
pub struct Referrer {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub annotations: Option<String>,
}

/// An upload session and the chunks received so far, in order.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub repository: String,
    pub size: i64,
    pub chunks: Vec<Chunk>,
}

/// One received chunk: where it starts, its length, its own sha256 and its staged object.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub position: i64,
    pub size: i64,
    pub sha256: String,
    pub object: String,
}

/// The metadata store.
#[derive(Debug, Clone)]
pub struct Metadata {
    pool: AnyPool,
    backend: Backend,
}

pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Metadata {
    /// Connects to `url` (`sqlite:PATH` or `postgres://...`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        if backend == Backend::Sqlite {
            // WAL is a property of the database file: once set it holds for every connection.
            sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await?;
        }
        schema::migrate(&pool, backend).await?;
        Ok(Metadata { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn repository_exists(&self, name: &str) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) FROM repositories WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Repository names after `last`, in byte order, at most `limit`.
    pub async fn catalog(&self, last: &str, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2")
            .bind(last)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        strings(rows)
    }

    /// The size of a blob if it is linked into the repository.
    pub async fn blob_size(&self, repository: &str, digest: &str) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT b.size FROM repository_blobs r JOIN blobs b ON b.digest = r.digest \
             WHERE r.repository = $1 AND r.digest = $2",
        )
        .bind(repository)
        .bind(digest)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get::<i64, _>(0)).transpose().map_err(Error::from)
    }

    /// Links a blob another repository holds into `repository`. False when the blob's
    /// record went away meanwhile (garbage collection): nothing is linked then.
    pub async fn link_blob(&self, repository: &str, digest: &str, size: i64) -> Result<bool> {
        let mut tx = self.begin_push().await?;
        if !link_blob_in(&mut tx, repository, digest, size).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records that a blob's object is about to be written at its content address, before
    /// the write: garbage collection leaves a blob record younger than its grace period and
    /// its object alone, and linking needs the record (see docs/registry.md).
    pub async fn reserve_blob(&self, digest: &str) -> Result<()> {
        let mut tx = self.begin_push().await?;
        sqlx::query(
            "INSERT INTO blobs (digest, size, created_at) VALUES ($1, -1, $2) \
             ON CONFLICT (digest) DO UPDATE SET created_at = excluded.created_at",
        )
        .bind(digest)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A writing transaction of a push. On PostgreSQL it holds the garbage collector's
    /// advisory lock shared, so each collection step runs wholly before or after it; SQLite
    /// serializes every writing transaction already.
    pub(crate) async fn begin_push(&self) -> Result<Tx> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
                .bind(GC_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A writing transaction of the garbage collector: the advisory lock held exclusively
    /// on PostgreSQL (see [`Metadata::begin_push`]).
    pub(crate) async fn begin_collect(&self) -> Result<Tx> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(GC_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Removes a blob's link from a repository; the object stays for garbage collection.
    pub async fn unlink_blob(&self, repository: &str, digest: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM repository_blobs WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn create_upload(&self, id: &str, repository: &str) -> Result<()> {
        let now = now_millis();
        sqlx::query("INSERT INTO uploads (id, repository, size, started_at, updated_at) VALUES ($1, $2, 0, $3, $3)")
            .bind(id)
            .bind(repository)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The upload session `id` of `repository`, with its chunks.
    pub async fn upload(&self, repository: &str, id: &str) -> Result<Option<Upload>> {
        let Some(row) = sqlx::query("SELECT size FROM uploads WHERE id = $1 AND repository = $2")
            .bind(id)
            .bind(repository)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let size: i64 = row.try_get(0)?;
        let rows = sqlx::query(
            "SELECT position, size, sha256, object FROM upload_chunks WHERE upload_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let chunks = rows
            .iter()
            .map(|r| {
                Ok(Chunk {
                    position: r.try_get(0)?,
                    size: r.try_get(1)?,
                    sha256: r.try_get(2)?,
                    object: r.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Some(Upload {
            id: id.to_string(),
            repository: repository.to_string(),
            size,
            chunks,
        }))
    }

    /// Records a chunk at the session's current end. False when the session moved on (or
    /// went away) since the caller read it: another request appended first.
    pub async fn append_chunk(&self, id: &str, chunk: &Chunk) -> Result<bool> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        let moved = sqlx::query("UPDATE uploads SET size = $1, updated_at = $2 WHERE id = $3 AND size = $4")
            .bind(chunk.position + chunk.size)
            .bind(now_millis())
            .bind(id)
            .bind(chunk.position)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO upload_chunks (upload_id, position, size, sha256, object) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(chunk.position)
        .bind(chunk.size)
        .bind(&chunk.sha256)
        .bind(&chunk.object)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends an upload by linking its verified blob, in one transaction. False when the
    /// session was already gone (finished or cancelled by a concurrent request).
    pub async fn finish_upload(&self, upload: &Upload, digest: &str, size: i64) -> Result<bool> {
        let mut tx = self.begin_push().await?;
        if !delete_upload_in(&mut tx, &upload.id).await? {
            return Ok(false);
        }
        if !link_blob_in(&mut tx, &upload.repository, digest, size).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes an upload session. False when there was none.
    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        let deleted = delete_upload_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Stores a manifest, its references and its tag. `Ok(Err(missing))` names the
    /// referenced blobs and manifests the repository does not hold; nothing is stored then.
    pub async fn put_manifest(&self, manifest: &NewManifest<'_>) -> Result<Result<(), Vec<String>>> {
        let mut tx = self.begin_push().await?;
        let missing = missing_children(&mut tx, manifest.repository, manifest.children).await?;
        if !missing.is_empty() {
            return Ok(Err(missing));
        }
        let now = now_millis();
        ensure_repository(&mut tx, manifest.repository, now).await?;
        sqlx::query(
            "INSERT INTO manifests (repository, digest, media_type, size, content, subject, artifact_type, annotations, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (repository, digest) DO NOTHING",
        )
        .bind(manifest.repository)
        .bind(manifest.digest)
        .bind(manifest.media_type)
        .bind(manifest.content.len() as i64)
        .bind(manifest.content)
        .bind(manifest.subject)
        .bind(manifest.artifact_type)
        .bind(manifest.annotations)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for (child, kind) in manifest.children {
            sqlx::query(
                "INSERT INTO manifest_references (repository, manifest, child, kind) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (repository, manifest, child) DO NOTHING",
            )
            .bind(manifest.repository)
            .bind(manifest.digest)
            .bind(child)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
        }
        if let Some(tag) = manifest.tag {
            sqlx::query(
                "INSERT INTO tags (repository, name, digest, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (repository, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at",
            )
            .bind(manifest.repository)
            .bind(tag)
            .bind(manifest.digest)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub async fn manifest_by_digest(&self, repository: &str, digest: &str) -> Result<Option<StoredManifest>> {
        let row =
            sqlx::query("SELECT digest, media_type, content FROM manifests WHERE repository = $1 AND digest = $2")
                .bind(repository)
                .bind(digest)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| stored_manifest(&r)).transpose()
    }

    pub async fn manifest_by_tag(&self, repository: &str, tag: &str) -> Result<Option<StoredManifest>> {
        let row = sqlx::query(
            "SELECT m.digest, m.media_type, m.content FROM tags t \
             JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest \
             WHERE t.repository = $1 AND t.name = $2",
        )
        .bind(repository)
        .bind(tag)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| stored_manifest(&r)).transpose()
    }

    /// Deletes a manifest, its references and every tag that points at it.
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<bool> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        let deleted = sqlx::query("DELETE FROM manifests WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM manifest_references WHERE repository = $1 AND manifest = $2")
            .bind(repository)
            .bind(digest)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tags WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn delete_tag(&self, repository: &str, tag: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM tags WHERE repository = $1 AND name = $2")
            .bind(repository)
            .bind(tag)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Tags of a repository after `last`, in byte order, at most `limit`.
    pub async fn tags(&self, repository: &str, last: &str, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM tags WHERE repository = $1 AND name > $2 ORDER BY name LIMIT $3")
            .bind(repository)
            .bind(last)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        strings(rows)
    }

    /// Manifests of the repository whose subject is `subject`, optionally of one artifact type.
    pub async fn referrers(
        &self,
        repository: &str,
        subject: &str,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Referrer>> {
        let query = match artifact_type {
            None => sqlx::query(
                "SELECT digest, media_type, size, artifact_type, annotations FROM manifests \
                 WHERE repository = $1 AND subject = $2 ORDER BY digest",
            ),
            Some(_) => sqlx::query(
                "SELECT digest, media_type, size, artifact_type, annotations FROM manifests \
                 WHERE repository = $1 AND subject = $2 AND artifact_type = $3 ORDER BY digest",
            ),
        };
        let query = query.bind(repository).bind(subject);
        let query = match artifact_type {
            Some(kind) => query.bind(kind),
            None => query,
        };
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Referrer {
                    digest: r.try_get(0)?,
                    media_type: r.try_get(1)?,
                    size: r.try_get(2)?,
                    artifact_type: r.try_get(3)?,
                    annotations: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(Error::from)
    }
}

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The PostgreSQL advisory lock key pushes share and garbage collection takes alone.
const GC_LOCK: i64 = 0x0064_7279_646f_636b; // "drydock"

async fn ensure_repository(tx: &mut Tx, name: &str, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO repositories (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Links a blob whose record exists (reserved before its object was written, or linked
/// elsewhere); false, linking nothing, when the record is gone.
async fn link_blob_in(tx: &mut Tx, repository: &str, digest: &str, size: i64) -> Result<bool> {
    let now = now_millis();
    let recorded = sqlx::query("UPDATE blobs SET size = $1, created_at = $2 WHERE digest = $3")
        .bind(size)
        .bind(now)
        .bind(digest)
        .execute(&mut **tx)
        .await?;
    if recorded.rows_affected() != 1 {
        return Ok(false);
    }
    ensure_repository(tx, repository, now).await?;
    sqlx::query(
        "INSERT INTO repository_blobs (repository, digest, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (repository, digest) DO NOTHING",
    )
    .bind(repository)
    .bind(digest)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

async fn delete_upload_in(tx: &mut Tx, id: &str) -> Result<bool> {
    let deleted = sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

async fn missing_children(tx: &mut Tx, repository: &str, children: &[(String, ChildKind)]) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for (child, kind) in children {
        let query = match kind {
            ChildKind::Blob => "SELECT COUNT(*) FROM repository_blobs WHERE repository = $1 AND digest = $2",
            ChildKind::Manifest => "SELECT COUNT(*) FROM manifests WHERE repository = $1 AND digest = $2",
        };
        let row = sqlx::query(query)
            .bind(repository)
            .bind(child)
            .fetch_one(&mut **tx)
            .await?;
        if row.try_get::<i64, _>(0)? == 0 {
            missing.push(child.clone());
        }
    }
    Ok(missing)
}

fn stored_manifest(row: &sqlx::any::AnyRow) -> Result<StoredManifest> {
    Ok(StoredManifest {
        digest: row.try_get(0)?,
        media_type: row.try_get(1)?,
        content: row.try_get(2)?,
    })
}

fn strings(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<String>> {
    rows.iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::from)
}

impl Metadata {
    /// Connects to the settings' database, creating the data directory for SQLite.
    pub async fn connect_creating(settings: &crate::Settings) -> Result<Self> {
        if settings.database_url.starts_with("sqlite:") {
            std::fs::create_dir_all(&settings.data)
                .map_err(|e| Error::io(format!("creating data directory {}", settings.data.display()), e))?;
        }
        Self::connect(&settings.database_url).await
    }
}
