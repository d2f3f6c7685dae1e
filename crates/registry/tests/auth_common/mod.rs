//! Metadata databases for the access-control tests: a fresh SQLite file or a fresh
//! PostgreSQL database (dropped on drop), each migrated by `Metadata::connect`.

#![allow(dead_code)]

use drydock_registry::meta::Metadata;

#[path = "../shared/postgres.rs"]
mod postgres;
use postgres::{drop_postgres_database, fresh_postgres_database};

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

/// A registry with token authentication on a fresh database, served over loopback HTTP from
/// its own tokio runtime; [`AuthServer::block_on`] runs setup (accounts) on that runtime.
pub struct AuthServer {
    pub base: String,
    pub agent: ureq::Agent,
    pub accounts: drydock_registry::auth::accounts::Accounts,
    pub audit: drydock_registry::audit::AuditLog,
    pub audit_sink: drydock_registry::audit::AuditSink,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    db: Option<TestDb>,
    _blob_dir: tempfile::TempDir,
}

impl AuthServer {
    pub fn start(db: Db) -> AuthServer {
        use drydock_registry::auth::service::{TOKEN_PATH, TokenService, TokenSettings};
        use drydock_registry::auth::token::TokenKey;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let test_db = runtime.block_on(TestDb::open(db));
        let accounts = drydock_registry::auth::accounts::Accounts::new(&test_db.meta);
        let key = TokenKey::generate().unwrap();
        let audit = drydock_registry::audit::AuditLog::new(&test_db.meta, std::sync::Arc::new(key.clone()));
        let audit_sink = {
            let _entered = runtime.enter();
            drydock_registry::audit::AuditSink::spawn(audit.clone())
        };
        let service = TokenService::with_logins(
            accounts.clone(),
            key,
            TokenSettings::default(),
            std::sync::Arc::new(audit_sink.clone()),
            drydock_registry::client::TrustedProxies::default(),
        );
        let api = drydock_registry::api::ApiState::new(accounts.clone(), audit.clone(), audit_sink.clone())
            .with_tokens(service.clone())
            .with_trusted_proxies(drydock_registry::client::TrustedProxies::new(vec![
                std::net::Ipv4Addr::LOCALHOST.into(),
            ]));
        let blob_dir = tempfile::tempdir().unwrap();
        let blobs = drydock_registry::storage::BlobStore::local(blob_dir.path()).unwrap();
        let registry = drydock_registry::Registry::new(test_db.meta.clone(), blobs, Default::default())
            .with_authorizer(service.authorizer())
            .with_events(std::sync::Arc::new(audit_sink.clone()))
            .with_service(TOKEN_PATH, service.router())
            .with_service(drydock_registry::api::PREFIX, drydock_registry::api::router(api));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(drydock_registry::server::serve(
            std::sync::Arc::new(registry),
            listener,
            None,
            async {
                let _ = stop.await;
            },
        ));
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build();
        AuthServer {
            base: format!("http://{address}"),
            agent: ureq::Agent::new_with_config(config),
            accounts,
            audit,
            audit_sink,
            runtime: Some(runtime),
            shutdown: Some(shutdown),
            db: Some(test_db),
            _blob_dir: blob_dir,
        }
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().unwrap().block_on(future)
    }

    pub fn db(&self) -> &TestDb {
        self.db.as_ref().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let (Some(runtime), Some(db)) = (self.runtime.take(), self.db.take()) {
            runtime.block_on(db.close());
            runtime.shutdown_timeout(std::time::Duration::from_secs(10));
        }
    }
}
