//! Rows as SQL returns them, and their conversion into the domain values of [`crate::model`]:
//! a row that no longer parses is [`StoreError::Corrupt`], never a panic.

use chrono::{DateTime, Utc};
use fanfare_core::account::Role;
use fanfare_core::api_key::ApiKeyRecord;
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_core::engagement::{InteractionKind, Reaction, Status};
use fanfare_core::fan::{Fan, FraudFlag, RefCode};
use fanfare_core::link::{Channel, LinkKey};

use crate::error::StoreError;
use crate::model::{ChannelStats, Counters, Interaction, LinkRecord, LinkReport, LinkTarget};
use crate::store::{AdminSession, User};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredInteraction {
    pub id: i64,
    pub campaign_id: i64,
    pub fan_id: i64,
    pub fan_ref_code: Option<String>,
    pub fan_name: Option<String>,
    pub kind: String,
    pub reaction: Option<String>,
    pub target_id: Option<i64>,
    pub body: Option<String>,
    pub url: Option<String>,
    pub display_name: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub moderated_at: Option<DateTime<Utc>>,
}

impl StoredInteraction {
    pub fn into_interaction(self) -> Result<Interaction, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("interaction {}: {what}", self.id));
        Ok(Interaction {
            kind: InteractionKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?,
            status: Status::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            reaction: match &self.reaction {
                Some(r) => Some(Reaction::parse(r).ok_or_else(|| corrupt("reaction"))?),
                None => None,
            },
            id: self.id,
            campaign_id: self.campaign_id,
            fan_id: self.fan_id,
            fan_ref_code: self.fan_ref_code,
            fan_name: self.fan_name,
            target_id: self.target_id,
            body: self.body,
            url: self.url,
            display_name: self.display_name,
            reason: self.reason,
            created_at: self.created_at,
            moderated_at: self.moderated_at,
        })
    }
}

/// A campaign row as any backend reads it, before it is parsed back into domain values. Parsing
/// on the way out costs little and means a row edited by hand can never reach a redirect unchecked.
/// Both SQL backends keep the lists as JSON, so one row type serves them both.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCampaign {
    pub id: i64,
    pub slug: String,
    pub kind: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub landing_url: String,
    #[sqlx(json)]
    pub allowed_domains: Vec<String>,
    pub image_url: Option<String>,
    pub brand_color: Option<String>,
    #[sqlx(json)]
    pub hashtags: Vec<String>,
    #[sqlx(json)]
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
            brand_color: self.brand_color.as_deref(),
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
#[derive(Debug, Clone, sqlx::FromRow)]
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
    #[sqlx(json)]
    pub flags: Vec<String>,
    pub link_key: Option<String>,
    pub channel: Option<String>,
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
            link_key: self.link_key.as_deref().and_then(LinkKey::parse),
            channel: self.channel.as_deref().and_then(Channel::parse),
            visitor_hash: self.visitor_hash,
            joined_at: self.joined_at,
            erased_at: self.erased_at,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredLinkTarget {
    pub link_id: i64,
    pub campaign_id: i64,
    pub campaign_slug: String,
    pub target_url: String,
    pub ref_code: Option<String>,
    pub disabled: bool,
}

impl From<StoredLinkTarget> for LinkTarget {
    fn from(row: StoredLinkTarget) -> Self {
        Self {
            link_id: row.link_id,
            campaign_id: row.campaign_id,
            campaign_slug: row.campaign_slug,
            target_url: row.target_url,
            ref_code: row.ref_code,
            disabled: row.disabled,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredLink {
    pub id: i64,
    pub key: String,
    pub fan_ref_code: Option<String>,
    pub target_url: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl StoredLink {
    pub fn into_record(self) -> Result<LinkRecord, StoreError> {
        Ok(LinkRecord {
            key: LinkKey::parse(&self.key)
                .ok_or_else(|| StoreError::Corrupt(format!("link {}: invalid key", self.id)))?,
            id: self.id,
            fan_ref_code: self.fan_ref_code,
            target_url: self.target_url,
            disabled_at: self.disabled_at,
            created_at: self.created_at,
        })
    }
}

/// One row of `link_stats` joined with the fans brought, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredChannelStats {
    pub channel: String,
    pub clicks: i64,
    pub unique_clicks: i64,
    pub bot_clicks: i64,
    pub qr_clicks: i64,
    pub shares: i64,
    pub fans: i64,
}

/// Builds a report from a link and its per-channel rows (unknown channel names are skipped:
/// a newer version's channel read by an older one).
pub fn link_report(link: LinkRecord, rows: Vec<StoredChannelStats>) -> LinkReport {
    let mut channels: Vec<(Channel, ChannelStats)> = rows
        .into_iter()
        .filter_map(|row| {
            Some((
                Channel::parse(&row.channel)?,
                ChannelStats {
                    clicks: row.clicks.unsigned_abs(),
                    unique_clicks: row.unique_clicks.unsigned_abs(),
                    bot_clicks: row.bot_clicks.unsigned_abs(),
                    qr_clicks: row.qr_clicks.unsigned_abs(),
                    shares: row.shares.unsigned_abs(),
                    fans: row.fans.unsigned_abs(),
                },
            ))
        })
        .collect();
    channels.sort_by_key(|(channel, _)| *channel);
    LinkReport { link, channels }
}

/// An API key row as any backend reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
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

/// Counters with the key they were grouped by.
#[derive(Debug, sqlx::FromRow)]
pub struct KeyedCounters {
    pub key: String,
    #[sqlx(flatten)]
    pub counters: Counters,
}

#[derive(Debug, sqlx::FromRow)]
pub struct HourCounters {
    pub hour: i64,
    #[sqlx(flatten)]
    pub counters: Counters,
}

/// What a fan's first interaction, creation or share changes: their cohort's counter.
#[derive(Debug, sqlx::FromRow)]
pub struct FanCohort {
    pub campaign_id: i64,
    pub joined_at: DateTime<Utc>,
    pub channel: Option<String>,
    pub counted: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredUser {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub invite_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl StoredUser {
    pub fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            role: Role::parse(&self.role)
                .ok_or_else(|| StoreError::Corrupt(format!("user {}: role", self.id)))?,
            id: self.id,
            email: self.email,
            password_hash: self.password_hash,
            invite_expires_at: self.invite_expires_at,
            created_at: self.created_at,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub user: StoredUser,
}

impl StoredSession {
    pub fn into_session(self) -> Result<AdminSession, StoreError> {
        Ok(AdminSession {
            token_hash: self.token_hash,
            csrf_token: self.csrf_token,
            expires_at: self.expires_at,
            user: self.user.into_user()?,
        })
    }
}
