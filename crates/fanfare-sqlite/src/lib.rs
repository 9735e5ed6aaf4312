//! The embedded default backend: one SQLite file, created and migrated on first start, in WAL
//! mode so that readers never wait for the writer, with `synchronous=NORMAL` (in WAL mode a commit
//! survives a process crash; only an OS crash or power cut can lose the last transactions).

use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_core::engagement::{Activity, InteractionKind, Milestone, Reaction, Status};
use fanfare_core::fan::{Fan, RefCode, VisitorEvent};
use fanfare_core::link::{Channel, LinkKey};
use fanfare_store::{
    API_KEY_COLUMNS, AdminSession, BlockingClickWriter, CAMPAIGN_COLUMNS, FAN_SELECT, GraphFan,
    INTERACTION_SELECT, Interaction, LINK_SELECT, LINK_TARGET_SELECT, LinkRecord, LinkReport,
    LinkTarget, MilestoneRecord, NewClick, NewFan, NewInteraction, Page, Store, StoreError,
    StoredApiKey, StoredCampaign, StoredChannelStats, StoredFan, StoredInteraction, StoredLink,
    StoredLinkTarget, link_report, map_sqlx_error, now,
};
use fanfare_store::{
    Attempt, Counters, DeliveryRecord, Dimension, DimensionCount, DueDelivery, FanNode, VisitorRow,
    Webhook, rollup_sql, sqlite_placeholders,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;

use crate::checkpoint::Checkpointer;
use crate::clicks::SqliteClickWriter;

mod checkpoint;
mod clicks;
mod reports;
mod rollups;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    clicks: Arc<SqliteClickWriter>,
    checkpointer: Arc<Checkpointer>,
}

impl SqliteStore {
    /// Copies the write-ahead log into the database file and empties it. SQLite answers "busy"
    /// at once, without waiting, while another checkpoint runs (the checkpoint thread's, every
    /// 100 ms), so a busy answer is retried for up to half a second.
    async fn truncate_wal(&self) {
        for _ in 0..50 {
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await
            {
                Ok((0, _, _)) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint after an erasure failed");
                    return;
                }
            }
        }
        tracing::warn!("checkpoint after an erasure stayed busy; the next one copies the log");
    }

    /// Writes the click counters the click writer holds in memory: every read of counters
    /// (link stats, hourly counters, dimensions) calls this first.
    async fn write_click_counters(&self) -> Result<(), StoreError> {
        let clicks = Arc::clone(&self.clicks);
        // Waits for a batch in progress: not on the async runtime's threads.
        tokio::task::spawn_blocking(move || clicks.write_counters())
            .await
            .map_err(|e| StoreError::Database(format!("the click writer stopped: {e}")))?
    }

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
            // 16 MiB of page cache per connection (SQLite's default is 2 MiB): the pages the
            // click writer and link lookups touch stay in memory instead of being read again.
            .pragma("cache_size", "-16384")
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename().to_owned();
        let path = file.display().to_string();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            // A file cannot go away under an open connection: a ping before each use would
            // only add a round trip to every query (and to every batch of clicks).
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open the SQLite database {path:?}: {e}"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| format!("cannot migrate the SQLite database {path:?}: {e}"))?;
        let clicks = Arc::new(SqliteClickWriter::open(&file)?);
        let checkpointer = Arc::new(Checkpointer::start(&file)?);
        tracing::debug!(%path, "SQLite database ready");
        Ok(Self {
            pool,
            clicks,
            checkpointer,
        })
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
        let clicks = Arc::clone(&self.clicks);
        // Waits for a batch in progress: not on the async runtime's threads.
        let _ = tokio::task::spawn_blocking(move || clicks.close()).await;
        self.checkpointer.close();
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

    async fn admin_password_hash(&self) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT hash FROM admin_password WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn set_admin_password_hash(&self, hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("INSERT INTO admin_password (id, hash, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at")
            .bind(hash)
            .bind(now())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        // A new password ends every session opened with the old one.
        sqlx::query("DELETE FROM admin_sessions")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn create_admin_session(&self, session: &AdminSession) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO admin_sessions (token_hash, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(&session.token_hash)
            .bind(&session.csrf_token)
            .bind(now())
            .bind(session.expires_at)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn find_admin_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<AdminSession>, StoreError> {
        sqlx::query_as("SELECT token_hash, csrf_token, expires_at FROM admin_sessions WHERE token_hash = ? AND expires_at > ?")
            .bind(token_hash)
            .bind(now())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn delete_admin_session(&self, token_hash: &str) -> Result<(), StoreError> {
        // Expired sessions go at the same time.
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = ? OR expires_at <= ?")
            .bind(token_hash)
            .bind(now())
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn insert_fan(&self, fan: &NewFan) -> Result<Fan, StoreError> {
        let (email, mailbox) = fan.email.clone().unzip();
        // The fan and their personal link exist together or not at all.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO fans (campaign_id, ref_code, token_hash, name, email, mailbox, \
             referrer_id, root_id, depth, visitor_hash, flags, joined_at, channel, device, \
             referrer_host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        .bind(fan.channel.map(|c| c.as_str()))
        .bind(fan.device.as_str())
        .bind(fan.referrer_host.as_deref())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_sqlx_error(e, "email"))?;
        sqlx::query("INSERT INTO links (key, campaign_id, fan_id, created_at) VALUES (?, ?, ?, ?)")
            .bind(fan.link_key.as_str())
            .bind(fan.campaign_id)
            .bind(id)
            .bind(fan.joined_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| map_sqlx_error(e, "link key"))?;
        rollups::join(&mut tx, fan).await?;
        tx.commit().await.map_err(db_error)?;
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
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        rollups::cancel_deliveries_of(&mut tx, fan_id).await?;
        let done = sqlx::query(
            "UPDATE fans SET ref_code = NULL, token_hash = NULL, name = NULL, email = NULL, \
             mailbox = NULL, visitor_hash = NULL, erased_at = ? \
             WHERE id = ? AND erased_at IS NULL",
        )
        .bind(now())
        .bind(fan_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        // What the fan wrote goes too; their reactions stay as anonymous counts.
        sqlx::query(
            "UPDATE interactions SET body = NULL, url = NULL, display_name = NULL, \
             status = CASE WHEN kind = 'reaction' THEN status ELSE 'rejected' END, \
             reason = CASE WHEN kind = 'reaction' THEN reason ELSE 'erased' END \
             WHERE fan_id = ?",
        )
        .bind(fan_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // The write-ahead log still holds the page as it was before the erasure; copy the log
        // into the file and empty it. Best effort: a reader still on an older snapshot can keep
        // a frame alive until the next checkpoint.
        self.truncate_wal().await;
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
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let done = sqlx::query(
            "INSERT INTO visitor_days (campaign_id, day, kind, visitor_hash) VALUES (?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(campaign_id)
        .bind(day)
        .bind(event.as_str())
        .bind(visitor_hash)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let first = done.rows_affected() > 0;
        if first {
            sqlx::query(&sqlite_placeholders(rollup_sql::VISITOR))
                .bind(campaign_id)
                .bind(day)
                .bind(event.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(first)
    }

    async fn record_visitor_events(&self, events: &[VisitorRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        rollups::visitors(&mut tx, events).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn count_visitor_events(
        &self,
        campaign_id: i64,
        event: VisitorEvent,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(visitors), 0) FROM visitor_day_counts WHERE campaign_id = ? \
             AND kind = ? AND day >= ? AND day <= ?",
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

    async fn find_link(&self, key: &LinkKey) -> Result<Option<LinkTarget>, StoreError> {
        let row: Option<StoredLinkTarget> =
            sqlx::query_as(&format!("{LINK_TARGET_SELECT} WHERE l.key = ?"))
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(row.map(Into::into))
    }

    async fn anonymous_link(
        &self,
        campaign_id: i64,
        candidate: &LinkKey,
    ) -> Result<LinkKey, StoreError> {
        sqlx::query(
            "INSERT INTO links (key, campaign_id, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (campaign_id) WHERE fan_id IS NULL AND target_url IS NULL DO NOTHING",
        )
        .bind(candidate.as_str())
        .bind(campaign_id)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        let key: String = sqlx::query_scalar(
            "SELECT key FROM links WHERE campaign_id = ? AND fan_id IS NULL AND target_url IS NULL",
        )
        .bind(campaign_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        LinkKey::parse(&key).ok_or_else(|| StoreError::Corrupt(format!("link key {key:?}")))
    }

    async fn create_link(
        &self,
        campaign_id: i64,
        key: &LinkKey,
        target_url: &str,
    ) -> Result<LinkRecord, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO links (key, campaign_id, target_url, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(key.as_str())
        .bind(campaign_id)
        .bind(target_url)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_sqlx_error(e, "link key"))?;
        let row: StoredLink = sqlx::query_as(&format!("{LINK_SELECT} WHERE l.id = ?"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        row.into_record()
    }

    async fn disable_link(&self, campaign_id: i64, key: &LinkKey) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE links SET disabled_at = COALESCE(disabled_at, ?) WHERE campaign_id = ? AND key = ?",
        )
        .bind(now())
        .bind(campaign_id)
        .bind(key.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn record_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
        let writer = Arc::clone(&self.clicks);
        let clicks = clicks.to_vec();
        tokio::task::spawn_blocking(move || writer.write_clicks(&clicks))
            .await
            .map_err(|e| StoreError::Database(format!("the click writer stopped: {e}")))?
    }

    fn blocking_click_writer(&self) -> Option<Arc<dyn BlockingClickWriter>> {
        Some(Arc::clone(&self.clicks) as Arc<dyn BlockingClickWriter>)
    }

    async fn record_share(
        &self,
        link_id: i64,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("INSERT INTO shares (link_id, channel, at) VALUES (?, ?, ?)")
            .bind(link_id)
            .bind(channel.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO link_stats (link_id, channel, shares) VALUES (?, ?, 1) \
             ON CONFLICT (link_id, channel) DO UPDATE SET shares = link_stats.shares + 1",
        )
        .bind(link_id)
        .bind(channel.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        rollups::share(&mut tx, link_id, channel, at).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn link_reports(
        &self,
        campaign_id: i64,
        page: Page,
    ) -> Result<Vec<LinkReport>, StoreError> {
        self.write_click_counters().await?;
        let links: Vec<StoredLink> = sqlx::query_as(&format!(
            "{LINK_SELECT} WHERE l.campaign_id = ? AND l.id > ? ORDER BY l.id LIMIT ?"
        ))
        .bind(campaign_id)
        .bind(page.after.unwrap_or(0))
        .bind(i64::from(page.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut reports = Vec::with_capacity(links.len());
        for link in links {
            let rows: Vec<StoredChannelStats> = sqlx::query_as(
                "SELECT s.channel, s.clicks, s.bot_clicks, s.qr_clicks, s.shares, \
                 (SELECT COUNT(*) FROM link_daily_visitors d \
                  WHERE d.link_id = s.link_id AND d.channel = s.channel) AS unique_clicks, \
                 (SELECT COUNT(*) FROM fans f WHERE f.campaign_id = l.campaign_id \
                  AND f.channel = s.channel AND f.flags = '[]' \
                  AND (f.referrer_id = l.fan_id \
                       OR (l.fan_id IS NULL AND l.target_url IS NULL AND f.referrer_id IS NULL))) AS fans \
                 FROM link_stats s JOIN links l ON l.id = s.link_id WHERE s.link_id = ?",
            )
            .bind(link.id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
            reports.push(link_report(link.into_record()?, rows));
        }
        Ok(reports)
    }

    async fn engagement_settings(&self, campaign_id: i64) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT engagement FROM campaigns WHERE id = ?")
            .bind(campaign_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn set_engagement_settings(
        &self,
        campaign_id: i64,
        json: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE campaigns SET engagement = ? WHERE id = ?")
            .bind(json)
            .bind(campaign_id)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn add_interaction(&self, new: &NewInteraction) -> Result<Interaction, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO interactions (campaign_id, fan_id, kind, reaction, target_id, body, url, \
             display_name, status, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(new.fan_id)
        .bind(new.kind.as_str())
        .bind(new.reaction.map(|r| r.as_str()))
        .bind(new.target_id)
        .bind(new.body.as_deref())
        .bind(new.url.as_deref())
        .bind(new.display_name.as_deref())
        .bind(new.status.as_str())
        .bind(new.reason.as_deref())
        .bind(new.created_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_sqlx_error(e, "reaction"))?;
        rollups::interaction(&mut tx, new).await?;
        tx.commit().await.map_err(db_error)?;
        self.get_interaction(new.campaign_id, id)
            .await?
            .ok_or_else(|| StoreError::Database(format!("interaction {id} vanished")))
    }

    async fn get_interaction(
        &self,
        campaign_id: i64,
        id: i64,
    ) -> Result<Option<Interaction>, StoreError> {
        let row: Option<StoredInteraction> = sqlx::query_as(&format!(
            "{INTERACTION_SELECT} WHERE i.campaign_id = ? AND i.id = ?"
        ))
        .bind(campaign_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(StoredInteraction::into_interaction).transpose()
    }

    async fn remove_reaction(
        &self,
        fan_id: i64,
        reaction: Reaction,
        target_id: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM interactions WHERE fan_id = ? AND kind = 'reaction' AND reaction = ? \
             AND COALESCE(target_id, 0) = ?",
        )
        .bind(fan_id)
        .bind(reaction.as_str())
        .bind(target_id.unwrap_or(0))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn moderate_interaction(
        &self,
        campaign_id: i64,
        id: i64,
        status: Status,
        reason: Option<&str>,
    ) -> Result<Option<Interaction>, StoreError> {
        let done = sqlx::query(
            "UPDATE interactions SET status = ?, reason = ?, moderated_at = ? \
             WHERE campaign_id = ? AND id = ? AND kind <> 'reaction'",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(now())
        .bind(campaign_id)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.get_interaction(campaign_id, id).await
    }

    async fn list_interactions(
        &self,
        campaign_id: i64,
        kind: InteractionKind,
        statuses: &[Status],
        page: Page,
    ) -> Result<Vec<Interaction>, StoreError> {
        let wanted = vec!["?"; statuses.len().max(1)].join(", ");
        let sql = format!(
            "{INTERACTION_SELECT} WHERE i.campaign_id = ? AND i.kind = ? AND i.status IN ({wanted}) \
             AND i.id < ? ORDER BY i.id DESC LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, StoredInteraction>(&sql)
            .bind(campaign_id)
            .bind(kind.as_str());
        for status in statuses {
            query = query.bind(status.as_str());
        }
        if statuses.is_empty() {
            query = query.bind("");
        }
        let rows = query
            .bind(page.after.unwrap_or(i64::MAX))
            .bind(i64::from(page.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.into_iter()
            .map(StoredInteraction::into_interaction)
            .collect()
    }

    async fn fan_interactions(&self, fan_id: i64) -> Result<Vec<Interaction>, StoreError> {
        let rows: Vec<StoredInteraction> = sqlx::query_as(&format!(
            "{INTERACTION_SELECT} WHERE i.fan_id = ? ORDER BY i.id DESC LIMIT 500"
        ))
        .bind(fan_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(StoredInteraction::into_interaction)
            .collect()
    }

    async fn activity(&self, campaign_id: i64) -> Result<Vec<(i64, Activity)>, StoreError> {
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT fan_id, \
             SUM(CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN kind = 'comment' AND status IN ('published', 'approved') THEN 1 ELSE 0 END), \
             SUM(CASE WHEN kind = 'creation' AND status = 'approved' THEN 1 ELSE 0 END) \
             FROM interactions WHERE campaign_id = ? GROUP BY fan_id",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(fan, reactions, comments, creations)| {
                (
                    fan,
                    Activity {
                        reactions: reactions.unsigned_abs(),
                        comments: comments.unsigned_abs(),
                        approved_creations: creations.unsigned_abs(),
                    },
                )
            })
            .collect())
    }

    async fn reactions_per_creation(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT target_id, COUNT(*) FROM interactions WHERE campaign_id = ? \
             AND kind = 'reaction' AND target_id IS NOT NULL GROUP BY target_id",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, n.unsigned_abs()))
            .collect())
    }

    async fn referral_graph(&self, campaign_id: i64) -> Result<Vec<GraphFan>, StoreError> {
        sqlx::query_as(
            "SELECT id, referrer_id, flags <> '[]' AS flagged, erased_at IS NOT NULL AS erased, \
             ref_code, name, joined_at FROM fans WHERE campaign_id = ? ORDER BY id",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn count_referred(&self, fan_id: i64) -> Result<u64, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM fans WHERE referrer_id = ? AND flags = '[]'")
                .bind(fan_id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(count.unsigned_abs())
    }

    async fn award_milestones(
        &self,
        campaign_id: i64,
        fan_id: i64,
        reached: &[Milestone],
        at: DateTime<Utc>,
    ) -> Result<Vec<u64>, StoreError> {
        let mut awarded = Vec::new();
        for milestone in reached {
            let done = sqlx::query(
                "INSERT INTO milestones (campaign_id, fan_id, threshold, reward, reached_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(campaign_id)
            .bind(fan_id)
            .bind(i64::try_from(milestone.threshold).unwrap_or(i64::MAX))
            .bind(&milestone.reward)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
            if done.rows_affected() > 0 {
                awarded.push(milestone.threshold);
            }
        }
        Ok(awarded)
    }

    async fn list_milestones(&self, campaign_id: i64) -> Result<Vec<MilestoneRecord>, StoreError> {
        sqlx::query_as(
            "SELECT m.fan_id, f.ref_code AS fan_ref_code, m.threshold, m.reward, m.reached_at \
             FROM milestones m JOIN fans f ON f.id = m.fan_id WHERE m.campaign_id = ? \
             ORDER BY m.reached_at, m.fan_id, m.threshold",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn counters_by_channel(
        &self,
        campaign_id: i64,
        hours: Range<i64>,
    ) -> Result<Vec<(String, Counters)>, StoreError> {
        self.write_click_counters().await?;
        reports::counters_by_channel(&self.pool, campaign_id, hours).await
    }

    async fn counters_by_hour(
        &self,
        campaign_id: i64,
        hours: Range<i64>,
    ) -> Result<Vec<(i64, Counters)>, StoreError> {
        self.write_click_counters().await?;
        reports::counters_by_hour(&self.pool, campaign_id, hours).await
    }

    async fn dimension_counts(
        &self,
        campaign_id: i64,
        dimension: Dimension,
        hours: Range<i64>,
    ) -> Result<Vec<DimensionCount>, StoreError> {
        self.write_click_counters().await?;
        reports::dimension_counts(&self.pool, campaign_id, dimension, hours).await
    }

    async fn visitors_by_day(
        &self,
        campaign_id: i64,
        event: VisitorEvent,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
        reports::visitors_by_day(&self.pool, campaign_id, event, from, to).await
    }

    async fn fan_nodes(&self, campaign_id: i64, after_id: i64) -> Result<Vec<FanNode>, StoreError> {
        sqlx::query_as(
            "SELECT id, referrer_id, flags <> '[]' AS flagged, \
             CAST(strftime('%s', joined_at) AS INTEGER) AS joined_at \
             FROM fans WHERE campaign_id = ? AND id > ? ORDER BY id",
        )
        .bind(campaign_id)
        .bind(after_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn ref_codes(&self, fan_ids: &[i64]) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        // A JSON array keeps it one statement, whatever the number of ids.
        sqlx::query_as("SELECT id, ref_code FROM fans WHERE id IN (SELECT value FROM json_each(?))")
            .bind(Json(fan_ids))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn create_webhook(
        &self,
        campaign_id: i64,
        url: &str,
        secret: &str,
        events: &[String],
        at: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        webhooks::create_webhook(&self.pool, campaign_id, url, secret, events, at).await
    }

    async fn list_webhooks(&self, campaign_id: i64) -> Result<Vec<Webhook>, StoreError> {
        webhooks::list_webhooks(&self.pool, campaign_id).await
    }

    async fn delete_webhook(&self, campaign_id: i64, id: i64) -> Result<bool, StoreError> {
        webhooks::delete_webhook(&self.pool, campaign_id, id).await
    }

    async fn enqueue_webhook_event(
        &self,
        campaign_id: i64,
        event: &str,
        payload: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        webhooks::enqueue_webhook_event(&self.pool, campaign_id, event, payload, at).await
    }

    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        webhooks::claim_webhook_deliveries(&self.pool, now, lease_until, limit).await
    }

    async fn record_webhook_attempt(&self, id: i64, attempt: &Attempt) -> Result<(), StoreError> {
        webhooks::record_webhook_attempt(&self.pool, id, attempt).await
    }

    async fn list_webhook_deliveries(
        &self,
        webhook_id: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        webhooks::list_webhook_deliveries(&self.pool, webhook_id, limit).await
    }
}
