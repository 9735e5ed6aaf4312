//! The storage contract, on a real PostgreSQL: each scenario gets a database of its own, created
//! on the server of `FANFARE_TEST_POSTGRES_URL` and dropped afterwards. Without that variable the
//! scenarios say they were skipped; CI always sets it.

use std::sync::Arc;

use async_trait::async_trait;
use fanfare_postgres::PostgresStore;
use fanfare_postgres::testing::TempDatabase;
use fanfare_store::Store;
use fanfare_store::conformance::Harness;

struct PostgresHarness {
    database: TempDatabase,
}

#[async_trait]
impl Harness for PostgresHarness {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(
            PostgresStore::open(&self.database.url)
                .await
                .expect("open PostgreSQL"),
        )
    }

    async fn cleanup(&self) {
        self.database.drop_database().await;
    }
}

async fn postgres() -> Option<PostgresHarness> {
    Some(PostgresHarness {
        database: TempDatabase::create().await?,
    })
}

fanfare_store::conformance_tests!(postgres);
