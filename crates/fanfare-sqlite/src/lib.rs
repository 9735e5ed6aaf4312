//! The embedded default backend: one SQLite file, created and migrated on first start, in WAL
//! mode so that readers never wait for the writer, with `synchronous=NORMAL` (in WAL mode a commit
//! survives a process crash; only an OS crash or power cut can lose the last transactions).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_core::fan::{Fan, RefCode, VisitorEvent};
use fanfare_store::{
    API_KEY_COLUMNS, CAMPAIGN_COLUMNS, FAN_SELECT, NewFan, Page, Store, StoreError, StoredApiKey,
    StoredCampaign, StoredFan, map_sqlx_error, now,
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
            // Deleted or overwritten content is zeroed instead of left in free space, so an
            // erased fan's name cannot be read back from the file.
            .pragma("secure_delete", "ON")
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
             image_url, hashtags, channels, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CAMPAIGN_COLUMNS}"
        ))
        .bind(slug.as_str())
        .bind(settings.kind.as_str())
        .bind(settings.title.as_deref())
        .bind(settings.description.as_deref())
        .bind(settings.landing_url.as_str())
        .bind(Json(settings.allowed_domain_strings()))
        .bind(settings.image_url.as_ref().map(|u| u.as_str()))
        .bind(Json(settings.hashtag_strings()))
        .bind(Json(settings.channel_strings()))
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
             allowed_domains = ?, image_url = ?, hashtags = ?, channels = ?, updated_at = ? \
             WHERE slug = ? RETURNING {CAMPAIGN_COLUMNS}"
        ))
        .bind(settings.kind.as_str())
        .bind(settings.title.as_deref())
        .bind(settings.description.as_deref())
        .bind(settings.landing_url.as_str())
        .bind(Json(settings.allowed_domain_strings()))
        .bind(settings.image_url.as_ref().map(|u| u.as_str()))
        .bind(Json(settings.hashtag_strings()))
        .bind(Json(settings.channel_strings()))
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

    async fn insert_fan(&self, fan: &NewFan) -> Result<Fan, StoreError> {
        let (email, mailbox) = fan.email.clone().unzip();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO fans (campaign_id, ref_code, token_hash, name, email, mailbox, \
             referrer_id, root_id, depth, visitor_hash, flags, joined_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(fan.campaign_id)
        .bind(fan.ref_code.as_str())
        .bind(&fan.token_hash)
        .bind(&fan.name)
        .bind(email)
        .bind(mailbox)
        .bind(fan.referrer.as_ref().map(|r| r.id))
        .bind(fan.stored_root_id())
        .bind(fan.depth())
        .bind(&fan.visitor_hash)
        .bind(Json(fan.flag_strings()))
        .bind(fan.joined_at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_sqlx_error(e, "email"))?;
        Ok(fan.clone().into_fan(id))
    }

    async fn find_fan_by_email(
        &self,
        campaign_id: i64,
        address: &str,
    ) -> Result<Option<Fan>, StoreError> {
        let row: Option<StoredFan> = sqlx::query_as(&format!(
            "{FAN_SELECT} WHERE f.campaign_id = ? AND f.email = ?"
        ))
        .bind(campaign_id)
        .bind(address)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredFan::into_fan).transpose()
    }

    async fn find_fan_by_ref_code(
        &self,
        campaign_id: i64,
        ref_code: &RefCode,
    ) -> Result<Option<Fan>, StoreError> {
        let row: Option<StoredFan> = sqlx::query_as(&format!(
            "{FAN_SELECT} WHERE f.campaign_id = ? AND f.ref_code = ?"
        ))
        .bind(campaign_id)
        .bind(ref_code.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredFan::into_fan).transpose()
    }

    async fn find_fan_by_token(&self, token_hash: &str) -> Result<Option<Fan>, StoreError> {
        let row: Option<StoredFan> =
            sqlx::query_as(&format!("{FAN_SELECT} WHERE f.token_hash = ?"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        row.map(StoredFan::into_fan).transpose()
    }

    async fn mailbox_in_use(
        &self,
        campaign_id: i64,
        mailbox: &str,
        address: &str,
    ) -> Result<bool, StoreError> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM fans WHERE campaign_id = ? AND mailbox = ? AND email <> ?)",
        )
        .bind(campaign_id)
        .bind(mailbox)
        .bind(address)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn joins_since(
        &self,
        campaign_id: i64,
        visitor_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        // Timestamps are stored as text in one format ("2026-11-26 12:00:00.5+00:00"), whose
        // text order is time order: '+' and '.' sort before digits.
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM fans WHERE campaign_id = ? AND visitor_hash = ? AND joined_at >= ?",
        )
        .bind(campaign_id)
        .bind(visitor_hash)
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(count.unsigned_abs())
    }

    async fn erase_fan(&self, fan_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE fans SET ref_code = NULL, token_hash = NULL, name = NULL, email = NULL, \
             mailbox = NULL, visitor_hash = NULL, erased_at = ? \
             WHERE id = ? AND erased_at IS NULL",
        )
        .bind(now())
        .bind(fan_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // The write-ahead log still holds the page as it was before the erasure; copy the log
        // into the file and empty it. Best effort: a reader still on an older snapshot can keep
        // a frame alive until the next checkpoint.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "checkpoint after an erasure failed");
        }
        Ok(true)
    }

    async fn list_fans(&self, campaign_id: i64, page: Page) -> Result<Vec<Fan>, StoreError> {
        let rows: Vec<StoredFan> = sqlx::query_as(&format!(
            "{FAN_SELECT} WHERE f.campaign_id = ? AND f.erased_at IS NULL AND f.id > ? \
             ORDER BY f.id LIMIT ?"
        ))
        .bind(campaign_id)
        .bind(page.after.unwrap_or(0))
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(StoredFan::into_fan).collect()
    }

    async fn count_fans(&self, campaign_id: i64) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM fans WHERE campaign_id = ? AND erased_at IS NULL AND flags = '[]'",
        )
        .bind(campaign_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(count.unsigned_abs())
    }

    async fn visitor_salt(&self, day: NaiveDate, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query(
            "INSERT INTO visitor_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
        )
        .bind(day)
        .bind(candidate)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM visitor_salts WHERE day < ?")
            .bind(day)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let salt: Vec<u8> = sqlx::query_scalar("SELECT salt FROM visitor_salts WHERE day = ?")
            .bind(day)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(salt)
    }

    async fn record_visitor_event(
        &self,
        campaign_id: i64,
        day: NaiveDate,
        event: VisitorEvent,
        visitor_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO visitor_days (campaign_id, day, kind, visitor_hash) VALUES (?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(campaign_id)
        .bind(day)
        .bind(event.as_str())
        .bind(visitor_hash)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn count_visitor_events(
        &self,
        campaign_id: i64,
        event: VisitorEvent,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM visitor_days WHERE campaign_id = ? AND kind = ? \
             AND day >= ? AND day <= ?",
        )
        .bind(campaign_id)
        .bind(event.as_str())
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(count.unsigned_abs())
    }
}
