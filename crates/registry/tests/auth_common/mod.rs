//! Metadata databases for the access-control tests: a fresh SQLite file or a fresh
//! PostgreSQL database (dropped on drop), each migrated by `Metadata::connect`.

#![allow(dead_code)]

use drydock_registry::meta::Metadata;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A migrated metadata database and its URL; PostgreSQL databases are dropped with it.
pub struct TestDb {
    pub meta: Metadata,
    pub url: String,
    postgres_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn open(db: Db) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres_name) = match db {
            Db::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.path().join("metadata.db").display()),
                None,
            ),
            Db::Postgres => {
                let (url, name) = fresh_postgres_database().await;
                (url, Some(name))
            }
        };
        let meta = Metadata::connect(&url)
            .await
            .expect("connecting to the metadata database");
        TestDb {
            meta,
            url,
            postgres_name,
            _dir: dir,
        }
    }

    /// Runs a statement directly on the database, as an attacker with database access would.
    pub async fn execute(&self, sql: &str) {
        let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn close(self) {
        self.meta.close().await;
        if let Some(name) = &self.postgres_name {
            drop_postgres_database(name).await;
        }
    }
}

fn postgres_url() -> String {
    std::env::var("DRYDOCK_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "DRYDOCK_TEST_POSTGRES_URL is not set: run scripts/test.sh, which installs and starts \
             PostgreSQL and sets it (or export postgres://USER:PASSWORD@127.0.0.1/DB yourself)"
        )
    })
}

async fn fresh_postgres_database() -> (String, String) {
    let admin = postgres_url();
    sqlx::any::install_default_drivers();
    let name = format!("drydock_test_{}", drydock_registry::random_id());
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at DRYDOCK_TEST_POSTGRES_URL: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
    (format!("{base}/{name}"), name)
}

async fn drop_postgres_database(name: &str) {
    let admin = postgres_url();
    if let Ok(mut connection) = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut connection)
        .await;
    }
}

/// Runs each named async test function once per metadata backend, on a fresh database.
#[macro_export]
macro_rules! on_both_databases_async {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $test() { super::$test($crate::auth_common::Db::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $test() { super::$test($crate::auth_common::Db::Postgres).await } )*
        }
    };
}
