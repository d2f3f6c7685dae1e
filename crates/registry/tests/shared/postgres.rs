//! Fresh PostgreSQL databases for tests, on the server `DRYDOCK_TEST_POSTGRES_URL` names
//! (scripts/test.sh installs, starts and exports it). Included by each test support module.

#![allow(dead_code)]

fn postgres_url() -> String {
    std::env::var("DRYDOCK_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "DRYDOCK_TEST_POSTGRES_URL is not set: run scripts/test.sh, which installs and starts \
             PostgreSQL and sets it (or export postgres://USER:PASSWORD@127.0.0.1/DB yourself)"
        )
    })
}

/// A new, empty database on the test server; returns its URL and name.
pub async fn fresh_postgres_database() -> (String, String) {
    let admin = postgres_url();
    sqlx::any::install_default_drivers();
    let name = format!("drydock_test_{}", drydock_registry::random_id());
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!("cannot connect to PostgreSQL at DRYDOCK_TEST_POSTGRES_URL: {e}; run scripts/test.sh")
        });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
    (format!("{base}/{name}"), name)
}

/// Drops a database `fresh_postgres_database` made (best effort: tests clean up after
/// themselves, a failure here must not hide the test's own result).
pub async fn drop_postgres_database(name: &str) {
    let admin = postgres_url();
    if let Ok(mut connection) = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut connection)
        .await;
    }
}
