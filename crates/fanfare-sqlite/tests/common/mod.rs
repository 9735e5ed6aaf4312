//! A database as an older version of Fanfare left it: the migrations before `first_missing`
//! only, applied from a copy of the migrations folder.

use std::path::Path;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

pub async fn schema_before(url: &str, scratch: &Path, first_missing: &str) -> SqlitePool {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    std::fs::create_dir_all(scratch).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < first_missing {
            std::fs::copy(&path, scratch.join(&name)).unwrap();
        }
    }
    let options: SqliteConnectOptions = url
        .parse::<SqliteConnectOptions>()
        .unwrap()
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .connect_with(options)
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(scratch)
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}
