//! The storage contract. The server only ever sees `dyn Store`; each backend (SQLite, PostgreSQL)
//! lives in its own crate with its own migrations, and proves it keeps the contract by running the
//! [`conformance`] scenarios.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_core::fan::{Fan, FraudFlag, RefCode, VisitorEvent};

#[cfg(feature = "conformance")]
pub mod conformance;

/// What can go wrong below the API. The server maps each to a status; none of their texts reach a
/// client, because they can carry SQL and host names.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (named here, e.g. "slug") is already taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The database cannot be reached or is not answering in time.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored row no longer parses into a domain value.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database failure (a bug or an operator problem).
    #[error("database error: {0}")]
    Database(String),
}

/// Which page of a listing to return: items after `after` (an opaque cursor from the previous
/// page), at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub after: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres", for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// A round trip to the database, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Waits for in-flight work and closes every connection (graceful shutdown).
    async fn close(&self);

    async fn create_campaign(
        &self,
        slug: &Slug,
        settings: &CampaignSettings,
    ) -> Result<Campaign, StoreError>;

    async fn get_campaign(&self, slug: &Slug) -> Result<Option<Campaign>, StoreError>;

    /// Campaigns in creation order; `Page::after` is the `id` of the last one already seen.
    async fn list_campaigns(&self, page: Page) -> Result<Vec<Campaign>, StoreError>;

    /// Replaces the settings of a campaign; `None` if there is no such campaign.
    async fn update_campaign(
        &self,
        slug: &Slug,
        settings: &CampaignSettings,
    ) -> Result<Option<Campaign>, StoreError>;

    /// `true` if a campaign was deleted.
    async fn delete_campaign(&self, slug: &Slug) -> Result<bool, StoreError>;

    async fn create_api_key(&self, name: &str, key: &NewApiKey)
    -> Result<ApiKeyRecord, StoreError>;

    /// The key with this hash, revoked or not (the caller decides what a revoked key means).
    async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;

    /// Marks a key revoked (the first revocation time is kept); `None` if there is no such key.
    async fn revoke_api_key(&self, id: i64) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Adds a fan. `Conflict("email")` if the campaign already has a fan with this address
    /// (the unique index decides, so concurrent joins with one address make one fan).
    async fn insert_fan(&self, fan: &NewFan) -> Result<Fan, StoreError>;

    /// The fan with this (normalised) address in the campaign, erased fans excluded.
    async fn find_fan_by_email(
        &self,
        campaign_id: i64,
        address: &str,
    ) -> Result<Option<Fan>, StoreError>;

    /// The fan who owns this code in the campaign (never one of another campaign).
    async fn find_fan_by_ref_code(
        &self,
        campaign_id: i64,
        ref_code: &RefCode,
    ) -> Result<Option<Fan>, StoreError>;

    /// The fan whose member token has this hash; erased fans have no token.
    async fn find_fan_by_token(&self, token_hash: &str) -> Result<Option<Fan>, StoreError>;

    /// Whether another address of the campaign's fans lands in the same mailbox.
    async fn mailbox_in_use(
        &self,
        campaign_id: i64,
        mailbox: &str,
        address: &str,
    ) -> Result<bool, StoreError>;

    /// Fans who joined the campaign from this visitor since `since`.
    async fn joins_since(
        &self,
        campaign_id: i64,
        visitor_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Removes a fan's personal data (ref code, token, name, e-mail, visitor hash); `false` if
    /// there was no such fan or it was already erased.
    async fn erase_fan(&self, fan_id: i64) -> Result<bool, StoreError>;

    /// The campaign's fans who have not been erased, oldest first; `Page::after` is a fan id.
    async fn list_fans(&self, campaign_id: i64, page: Page) -> Result<Vec<Fan>, StoreError>;

    /// Fans who count: neither flagged nor erased.
    async fn count_fans(&self, campaign_id: i64) -> Result<u64, StoreError>;

    /// The salt of `day`: `candidate` if this call is the first to ask for that day, else the
    /// one stored by whichever node asked first. Salts of earlier days are deleted, which makes
    /// their visitor hashes impossible to link to anyone.
    async fn visitor_salt(&self, day: NaiveDate, candidate: &[u8]) -> Result<Vec<u8>, StoreError>;

    /// Records that a visitor did `event` on `day`; `true` the first time that day.
    async fn record_visitor_event(
        &self,
        campaign_id: i64,
        day: NaiveDate,
        event: VisitorEvent,
        visitor_hash: &str,
    ) -> Result<bool, StoreError>;

    /// The sum over days in `[from, to]` of each day's unique visitors who did `event`.
    async fn count_visitor_events(
        &self,
        campaign_id: i64,
        event: VisitorEvent,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError>;
}

/// A fan about to be stored: validated, its signals assessed, its place in a cascade known.
#[derive(Debug, Clone)]
pub struct NewFan {
    pub campaign_id: i64,
    pub ref_code: RefCode,
    pub token_hash: String,
    pub name: String,
    /// Normalised address and canonical mailbox, when an e-mail was given.
    pub email: Option<(String, String)>,
    pub referrer: Option<Fan>,
    pub visitor_hash: String,
    pub flags: Vec<FraudFlag>,
    pub joined_at: DateTime<Utc>,
}

impl NewFan {
    /// The stored fan, once the database gave it `id`.
    pub fn into_fan(self, id: i64) -> Fan {
        let (root_id, depth) = match &self.referrer {
            Some(referrer) => (referrer.root_id, referrer.depth + 1),
            None => (id, 0),
        };
        Fan {
            id,
            campaign_id: self.campaign_id,
            ref_code: Some(self.ref_code),
            name: Some(self.name),
            email: self.email.map(|(address, _)| address),
            referrer_id: self.referrer.as_ref().map(|r| r.id),
            referrer_ref_code: self
                .referrer
                .and_then(|r| r.ref_code.map(|c| c.to_string())),
            root_id,
            depth,
            flags: self.flags,
            visitor_hash: Some(self.visitor_hash),
            joined_at: self.joined_at,
            erased_at: None,
        }
    }

    /// What the `root_id` column holds: the referrer's root, or NULL for a root.
    pub fn stored_root_id(&self) -> Option<i64> {
        self.referrer.as_ref().map(|r| r.root_id)
    }

    pub fn depth(&self) -> i32 {
        self.referrer.as_ref().map_or(0, |r| r.depth + 1)
    }

    pub fn flag_strings(&self) -> Vec<&'static str> {
        self.flags.iter().map(|f| f.as_str()).collect()
    }
}

pub type DynStore = Arc<dyn Store>;

/// The current time at the precision every backend keeps (PostgreSQL stores microseconds), so a
/// value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A campaign row as any backend reads it, before it is parsed back into domain values. Parsing
/// on the way out costs little and means a row edited by hand can never reach a redirect unchecked.
/// Both SQL backends keep the lists as JSON, so one row type serves them both.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct StoredCampaign {
    pub id: i64,
    pub slug: String,
    pub kind: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub landing_url: String,
    #[cfg_attr(feature = "sqlx", sqlx(json))]
    pub allowed_domains: Vec<String>,
    pub image_url: Option<String>,
    #[cfg_attr(feature = "sqlx", sqlx(json))]
    pub hashtags: Vec<String>,
    #[cfg_attr(feature = "sqlx", sqlx(json))]
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredCampaign {
    pub fn into_campaign(self) -> Result<Campaign, StoreError> {
        let corrupt = |e: fanfare_core::ValidationError| {
            StoreError::Corrupt(format!("campaign {}: {e}", self.id))
        };
        let slug = Slug::parse(&self.slug).map_err(corrupt)?;
        let settings = CampaignSettings::parse(fanfare_core::campaign::RawCampaignSettings {
            kind: &self.kind,
            title: self.title.as_deref(),
            description: self.description.as_deref(),
            landing_url: &self.landing_url,
            allowed_domains: Some(&self.allowed_domains),
            image_url: self.image_url.as_deref(),
            hashtags: &self.hashtags,
            channels: Some(&self.channels),
        })
        .map_err(corrupt)?;
        Ok(Campaign {
            id: self.id,
            slug,
            settings,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A fan row as any backend reads it (with [`FAN_SELECT`]).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct StoredFan {
    pub id: i64,
    pub campaign_id: i64,
    pub ref_code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub referrer_id: Option<i64>,
    pub referrer_ref_code: Option<String>,
    pub root_id: i64,
    pub depth: i32,
    #[cfg_attr(feature = "sqlx", sqlx(json))]
    pub flags: Vec<String>,
    pub visitor_hash: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

impl StoredFan {
    pub fn into_fan(self) -> Result<Fan, StoreError> {
        let flags = self
            .flags
            .iter()
            .map(|f| {
                FraudFlag::parse(f).ok_or_else(|| {
                    StoreError::Corrupt(format!("fan {}: unknown flag {f:?}", self.id))
                })
            })
            .collect::<Result<_, _>>()?;
        let ref_code = match self.ref_code {
            Some(code) => Some(RefCode::parse(&code).ok_or_else(|| {
                StoreError::Corrupt(format!("fan {}: invalid ref code", self.id))
            })?),
            None => None,
        };
        Ok(Fan {
            id: self.id,
            campaign_id: self.campaign_id,
            ref_code,
            name: self.name,
            email: self.email,
            referrer_id: self.referrer_id,
            referrer_ref_code: self.referrer_ref_code,
            root_id: self.root_id,
            depth: self.depth,
            flags,
            visitor_hash: self.visitor_hash,
            joined_at: self.joined_at,
            erased_at: self.erased_at,
        })
    }
}

/// Reads [`StoredFan`]s: the fan, its referrer's code, and its root (itself for a root). Both
/// dialects accept it as is; callers append `WHERE …`.
pub const FAN_SELECT: &str = "SELECT f.id, f.campaign_id, f.ref_code, f.name, f.email, \
     f.referrer_id, r.ref_code AS referrer_ref_code, COALESCE(f.root_id, f.id) AS root_id, \
     f.depth, f.flags, f.visitor_hash, f.joined_at, f.erased_at FROM fans f LEFT JOIN fans r ON r.id = f.referrer_id";

/// An API key row as any backend reads it.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct StoredApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<StoredApiKey> for ApiKeyRecord {
    fn from(row: StoredApiKey) -> Self {
        Self {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// The columns [`StoredCampaign`] and [`StoredApiKey`] read, for `SELECT` and `RETURNING`.
pub const CAMPAIGN_COLUMNS: &str = "id, slug, kind, title, description, landing_url, \
     allowed_domains, image_url, hashtags, channels, created_at, updated_at";
pub const API_KEY_COLUMNS: &str = "id, name, prefix, created_at, revoked_at";

/// Sorts a sqlx failure into what the server needs to know: a taken unique value (`unique` names
/// it), an unreachable database, or anything else.
#[cfg(feature = "sqlx")]
pub fn map_sqlx_error(error: sqlx::Error, unique: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(unique),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Database(error.to_string()),
    }
}

/// A database URL fit for logs and `fanfare config`: the password, if any, replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Cannot fail: the URL already has a password, hence a host.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Unparseable: show only the scheme, in case the rest holds a secret.
        Err(_) => match url.split_once(':') {
            Some((scheme, _)) => format!("{scheme}:<unparseable>"),
            None => "<unparseable>".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://fan:s3cret@db.example:5432/fanfare"),
            "postgres://fan:***@db.example:5432/fanfare"
        );
        assert_eq!(
            redact_url("postgres://db.example/fanfare"),
            "postgres://db.example/fanfare"
        );
        assert_eq!(redact_url("sqlite://fanfare.db"), "sqlite://fanfare.db");
        assert!(!redact_url("postgres://u:p w@[bad").contains("p w"));
    }
}
