//! The storage contract, on a real PostgreSQL: each scenario gets a database of its own, created
//! from `FANFARE_TEST_POSTGRES_URL` and dropped afterwards. Without that variable the scenarios
//! say they were skipped; CI always sets it.

use std::sync::Arc;

use async_trait::async_trait;
use fanfare_postgres::PostgresStore;
use fanfare_store::Store;
use fanfare_store::conformance::Harness;
use rand::Rng;
use sqlx::Connection;

struct PostgresHarness {
    admin_url: String,
    database_url: String,
    database: String,
}

#[async_trait]
impl Harness for PostgresHarness {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(
            PostgresStore::open(&self.database_url)
                .await
                .expect("open PostgreSQL"),
        )
    }

    async fn cleanup(&self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .expect("admin connection");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.database
        ))
        .execute(&mut admin)
        .await
        .expect("drop test database");
    }
}

async fn postgres() -> Option<PostgresHarness> {
    let admin_url = std::env::var("FANFARE_TEST_POSTGRES_URL").ok()?;
    let database = format!("fanfare_test_{:016x}", rand::rng().random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("FANFARE_TEST_POSTGRES_URL must point at a reachable PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE \"{database}\""))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let mut database_url = url::Url::parse(&admin_url).expect("FANFARE_TEST_POSTGRES_URL is a URL");
    database_url.set_path(&database);
    Some(PostgresHarness {
        admin_url,
        database_url: database_url.to_string(),
        database,
    })
}

fanfare_store::conformance_tests!(postgres);
