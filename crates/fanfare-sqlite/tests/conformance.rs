//! The storage contract, on a real SQLite file in a temporary directory.

use std::sync::Arc;

use async_trait::async_trait;
use fanfare_sqlite::SqliteStore;
use fanfare_store::Store;
use fanfare_store::conformance::Harness;

struct SqliteHarness {
    dir: tempfile::TempDir,
}

#[async_trait]
impl Harness for SqliteHarness {
    async fn open(&self) -> Arc<dyn Store> {
        let url = format!("sqlite://{}", self.dir.path().join("fanfare.db").display());
        Arc::new(SqliteStore::open(&url).await.expect("open SQLite"))
    }

    async fn cleanup(&self) {}
}

async fn sqlite() -> Option<SqliteHarness> {
    Some(SqliteHarness {
        dir: tempfile::tempdir().expect("temp dir"),
    })
}

fanfare_store::conformance_tests!(sqlite);
