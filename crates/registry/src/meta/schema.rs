//! The metadata schema, in one place, and the migration runner.
//!
//! Each migration is SQL that SQLite and PostgreSQL both accept, with two placeholders the
//! runner fills per backend: `{bytes}` (a byte-string column) and `{collate}` (bytewise text
//! order, so pagination by `name > last` agrees with `ORDER BY name` on every database
//! whatever its locale). Applied versions are rows of `schema_versions`; a migration and its
//! row commit together.

use sqlx::{AnyPool, Row};

use super::{Backend, now_millis};
use crate::error::{Error, Result};

/// The migrations, in order. Never edit one that has shipped: add another.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, INITIAL),
    (2, crate::auth::accounts::SCHEMA),
    (3, crate::audit::SCHEMA),
];

const INITIAL: &str = "
CREATE TABLE repositories (
    name TEXT {collate} PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE repository_blobs (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);
CREATE INDEX repository_blobs_by_digest ON repository_blobs (digest);
CREATE TABLE manifests (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content {bytes} NOT NULL,
    subject TEXT,
    artifact_type TEXT,
    annotations TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);
CREATE INDEX manifests_by_subject ON manifests (repository, subject);
CREATE TABLE manifest_references (
    repository TEXT NOT NULL,
    manifest TEXT NOT NULL,
    child TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (repository, manifest, child)
);
CREATE INDEX manifest_references_by_child ON manifest_references (child);
CREATE TABLE tags (
    repository TEXT NOT NULL,
    name TEXT {collate} NOT NULL,
    digest TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repository, name)
);
CREATE INDEX tags_by_digest ON tags (repository, digest);
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    size BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object TEXT NOT NULL,
    PRIMARY KEY (upload_id, position)
)
";

/// Brings the schema up to the newest version. Safe when several replicas start at once:
/// a replica that loses the race to apply a version finds it applied and goes on.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<()> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_versions (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(pool)
        .await?;
    for &(version, sql) in MIGRATIONS {
        if is_applied(pool, version).await? {
            continue;
        }
        if let Err(source) = apply(pool, backend, version, sql).await
            && !is_applied(pool, version).await?
        {
            return Err(Error::Migration { version, source });
        }
    }
    Ok(())
}

async fn is_applied(pool: &AnyPool, version: i64) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) FROM schema_versions WHERE version = $1")
        .bind(version)
        .fetch_one(pool)
        .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

async fn apply(pool: &AnyPool, backend: Backend, version: i64, sql: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with(backend.begin_write()).await?;
    for statement in render(sql, backend).split(';') {
        if statement.trim().is_empty() {
            continue;
        }
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO schema_versions (version, applied_at) VALUES ($1, $2)")
        .bind(version)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

fn render(sql: &str, backend: Backend) -> String {
    let (bytes, collate) = match backend {
        Backend::Sqlite => ("BLOB", ""),
        Backend::Postgres => ("BYTEA", "COLLATE \"C\""),
    };
    sql.replace("{bytes}", bytes).replace("{collate}", collate)
}
