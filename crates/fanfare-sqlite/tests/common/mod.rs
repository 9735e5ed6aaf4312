//! What the SQLite tests share. Each test file uses part of it.
#![allow(dead_code)]

use std::path::Path;

use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings, Slug};
use fanfare_core::link::LinkKey;
use fanfare_sqlite::SqliteStore;
use fanfare_store::Store;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// A new store at `url` with one campaign and one link: (store, campaign id, link id).
pub async fn store_with_link(url: &str) -> (SqliteStore, i64, i64) {
    let store = SqliteStore::open(url).await.unwrap();
    let settings = CampaignSettings::parse(RawCampaignSettings {
        kind: "brand",
        landing_url: "https://www.example.com/",
        ..Default::default()
    })
    .unwrap();
    let campaign = store
        .create_campaign(&Slug::parse("clicked").unwrap(), &settings)
        .await
        .unwrap();
    let link = store
        .create_link(
            campaign.id,
            &LinkKey::generate(),
            "https://www.example.com/",
        )
        .await
        .unwrap();
    (store, campaign.id, link.id)
}

/// A database as an older version of Fanfare left it: the migrations before `first_missing`
/// only, applied from a copy of the migrations folder.
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
