//! The embedded default backend: one SQLite file, created and migrated on first start, in WAL
//! mode so that readers never wait for the writer, with `synchronous=NORMAL` (in WAL mode a commit
//! survives a process crash; only an OS crash or power cut can lose the last transactions).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_store::{
    API_KEY_COLUMNS, CAMPAIGN_COLUMNS, Page, Store, StoreError, StoredApiKey, StoredCampaign,
    map_sqlx_error, now,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url` (`sqlite://fanfare.db`,
    /// `sqlite:///var/lib/fanfare/fanfare.db`).
    pub async fn open(url: &str) -> Result<Self, String> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("invalid SQLite URL {url:?}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let path = options.get_filename().display().to_string();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open the SQLite database {path:?}: {e}"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| format!("cannot migrate the SQLite database {path:?}: {e}"))?;
        tracing::debug!(%path, "SQLite database ready");
        Ok(Self { pool })
    }
}

fn db_error(error: sqlx::Error) -> StoreError {
    map_sqlx_error(error, "value")
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn create_campaign(
        &self,
        slug: &Slug,
        settings: &CampaignSettings,
    ) -> Result<Campaign, StoreError> {
        let at = now();
        let row: StoredCampaign = sqlx::query_as(&format!(
            "INSERT INTO campaigns (slug, kind, title, description, landing_url, allowed_domains, \
             image_url, hashtags, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CAMPAIGN_COLUMNS}"
        ))
        .bind(slug.as_str())
        .bind(settings.kind.as_str())
        .bind(settings.title.as_deref())
        .bind(settings.description.as_deref())
        .bind(settings.landing_url.as_str())
        .bind(Json(settings.allowed_domain_strings()))
        .bind(settings.image_url.as_ref().map(|u| u.as_str()))
        .bind(Json(settings.hashtag_strings()))
        .bind(at)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_sqlx_error(e, "slug"))?;
        row.into_campaign()
    }

    async fn get_campaign(&self, slug: &Slug) -> Result<Option<Campaign>, StoreError> {
        let row: Option<StoredCampaign> = sqlx::query_as(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE slug = ?"
        ))
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredCampaign::into_campaign).transpose()
    }

    async fn list_campaigns(&self, page: Page) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<StoredCampaign> = sqlx::query_as(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id > ? ORDER BY id LIMIT ?"
        ))
        .bind(page.after.unwrap_or(0))
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(StoredCampaign::into_campaign)
            .collect()
    }

    async fn update_campaign(
        &self,
        slug: &Slug,
        settings: &CampaignSettings,
    ) -> Result<Option<Campaign>, StoreError> {
        let row: Option<StoredCampaign> = sqlx::query_as(&format!(
            "UPDATE campaigns SET kind = ?, title = ?, description = ?, landing_url = ?, \
             allowed_domains = ?, image_url = ?, hashtags = ?, updated_at = ? \
             WHERE slug = ? RETURNING {CAMPAIGN_COLUMNS}"
        ))
        .bind(settings.kind.as_str())
        .bind(settings.title.as_deref())
        .bind(settings.description.as_deref())
        .bind(settings.landing_url.as_str())
        .bind(Json(settings.allowed_domain_strings()))
        .bind(settings.image_url.as_ref().map(|u| u.as_str()))
        .bind(Json(settings.hashtag_strings()))
        .bind(now())
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredCampaign::into_campaign).transpose()
    }

    async fn delete_campaign(&self, slug: &Slug) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM campaigns WHERE slug = ?")
            .bind(slug.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_api_key(
        &self,
        name: &str,
        key: &NewApiKey,
    ) -> Result<ApiKeyRecord, StoreError> {
        let row: StoredApiKey = sqlx::query_as(&format!(
            "INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?) \
             RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(name)
        .bind(&key.prefix)
        .bind(&key.hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_sqlx_error(e, "api key"))?;
        Ok(row.into())
    }

    async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row: Option<StoredApiKey> = sqlx::query_as(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(Into::into))
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows: Vec<StoredApiKey> = sqlx::query_as(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn revoke_api_key(&self, id: i64) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row: Option<StoredApiKey> = sqlx::query_as(&format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? \
             RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(Into::into))
    }
}
