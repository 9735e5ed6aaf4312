//! The storage contract. The server only ever sees `dyn Store`; each backend (SQLite, PostgreSQL)
//! lives in its own crate with its own migrations, and proves it keeps the contract by running the
//! [`conformance`] scenarios.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_core::engagement::{Activity, InteractionKind, Milestone, Reaction, Status};
use fanfare_core::fan::{Fan, FraudFlag, RefCode, VisitorEvent};
use fanfare_core::link::{Agent, Channel, Device, LinkKey};

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

/// A dashboard session, kept by the SHA-256 of its cookie's token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct AdminSession {
    pub token_hash: String,
    /// Sent back with each form, so that another site cannot post on the admin's behalf.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
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

    /// The dashboard password's hash (argon2 PHC string), if one was set.
    async fn admin_password_hash(&self) -> Result<Option<String>, StoreError>;

    /// Sets the dashboard password's hash and ends every session.
    async fn set_admin_password_hash(&self, hash: &str) -> Result<(), StoreError>;

    async fn create_admin_session(&self, session: &AdminSession) -> Result<(), StoreError>;

    /// A session by its token's hash, if it exists and has not expired.
    async fn find_admin_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<AdminSession>, StoreError>;

    async fn delete_admin_session(&self, token_hash: &str) -> Result<(), StoreError>;

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

    /// What a click on the link with this key needs; `None` for an unknown key.
    async fn find_link(&self, key: &LinkKey) -> Result<Option<LinkTarget>, StoreError>;

    /// The campaign's anonymous link (for visitors who share without joining): `candidate` if
    /// this call creates it, else the existing one.
    async fn anonymous_link(
        &self,
        campaign_id: i64,
        candidate: &LinkKey,
    ) -> Result<LinkKey, StoreError>;

    /// A link with its own target (already checked against the campaign's allowed domains).
    async fn create_link(
        &self,
        campaign_id: i64,
        key: &LinkKey,
        target_url: &str,
    ) -> Result<LinkRecord, StoreError>;

    /// Disables a link of the campaign: its codes then answer 404. `false` if there is none.
    async fn disable_link(&self, campaign_id: i64, key: &LinkKey) -> Result<bool, StoreError>;

    /// Stores a batch of clicks and their counters in one transaction.
    async fn record_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError>;

    /// Stores a share (someone opened a network's share dialog through a link).
    async fn record_share(
        &self,
        link_id: i64,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The campaign's links in creation order, each with its counters per channel and the fans
    /// it brought; `Page::after` is a link id.
    async fn link_reports(
        &self,
        campaign_id: i64,
        page: Page,
    ) -> Result<Vec<LinkReport>, StoreError>;

    /// The campaign's engagement settings as stored (JSON; `{}` until set).
    async fn engagement_settings(&self, campaign_id: i64) -> Result<String, StoreError>;

    async fn set_engagement_settings(&self, campaign_id: i64, json: &str)
    -> Result<(), StoreError>;

    /// Stores an interaction. `Conflict("reaction")` if the fan already gave this reaction to
    /// the same target.
    async fn add_interaction(&self, new: &NewInteraction) -> Result<Interaction, StoreError>;

    async fn get_interaction(
        &self,
        campaign_id: i64,
        id: i64,
    ) -> Result<Option<Interaction>, StoreError>;

    /// Takes a reaction back; `false` if the fan had not given it.
    async fn remove_reaction(
        &self,
        fan_id: i64,
        reaction: Reaction,
        target_id: Option<i64>,
    ) -> Result<bool, StoreError>;

    /// A moderator's (or rule's) decision; `None` if the campaign has no such interaction.
    async fn moderate_interaction(
        &self,
        campaign_id: i64,
        id: i64,
        status: Status,
        reason: Option<&str>,
    ) -> Result<Option<Interaction>, StoreError>;

    /// Interactions of one kind in the given statuses, newest first; `Page::after` is the id
    /// of the last one seen (the next page holds older ones).
    async fn list_interactions(
        &self,
        campaign_id: i64,
        kind: InteractionKind,
        statuses: &[Status],
        page: Page,
    ) -> Result<Vec<Interaction>, StoreError>;

    /// A fan's own interactions, newest first.
    async fn fan_interactions(&self, fan_id: i64) -> Result<Vec<Interaction>, StoreError>;

    /// Per fan: reactions, public comments, approved creations.
    async fn activity(&self, campaign_id: i64) -> Result<Vec<(i64, Activity)>, StoreError>;

    /// Reactions per creation of the campaign (for the "hot" ranking).
    async fn reactions_per_creation(&self, campaign_id: i64)
    -> Result<Vec<(i64, u64)>, StoreError>;

    /// Every fan of the campaign as a node of the referral forest, oldest first.
    async fn referral_graph(&self, campaign_id: i64) -> Result<Vec<GraphFan>, StoreError>;

    /// Fans a fan referred directly, flagged ones left out.
    async fn count_referred(&self, fan_id: i64) -> Result<u64, StoreError>;

    /// Records the milestones a fan has reached; returns the thresholds recorded by this call
    /// (each is recorded once, whatever races).
    async fn award_milestones(
        &self,
        campaign_id: i64,
        fan_id: i64,
        reached: &[Milestone],
        at: DateTime<Utc>,
    ) -> Result<Vec<u64>, StoreError>;

    async fn list_milestones(&self, campaign_id: i64) -> Result<Vec<MilestoneRecord>, StoreError>;
}

/// A comment, creation or reaction about to be stored (already moderated by the rules).
#[derive(Debug, Clone)]
pub struct NewInteraction {
    pub campaign_id: i64,
    pub fan_id: i64,
    pub kind: InteractionKind,
    pub reaction: Option<Reaction>,
    pub target_id: Option<i64>,
    pub body: Option<String>,
    pub url: Option<String>,
    pub display_name: Option<String>,
    pub status: Status,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    pub id: i64,
    pub campaign_id: i64,
    pub fan_id: i64,
    pub fan_ref_code: Option<String>,
    pub fan_name: Option<String>,
    pub kind: InteractionKind,
    pub reaction: Option<Reaction>,
    pub target_id: Option<i64>,
    pub body: Option<String>,
    pub url: Option<String>,
    pub display_name: Option<String>,
    pub status: Status,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub moderated_at: Option<DateTime<Utc>>,
}

/// Reads [`StoredInteraction`]s; callers append `WHERE …`.
pub const INTERACTION_SELECT: &str = "SELECT i.id, i.campaign_id, i.fan_id, \
     f.ref_code AS fan_ref_code, f.name AS fan_name, i.kind, i.reaction, i.target_id, i.body, \
     i.url, i.display_name, i.status, i.reason, i.created_at, i.moderated_at \
     FROM interactions i JOIN fans f ON f.id = i.fan_id";

#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
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

/// A fan as a node of the referral forest, with what a leaderboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct GraphFan {
    pub id: i64,
    pub referrer_id: Option<i64>,
    pub flagged: bool,
    pub erased: bool,
    pub ref_code: Option<String>,
    pub name: Option<String>,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct MilestoneRecord {
    pub fan_id: i64,
    pub fan_ref_code: Option<String>,
    pub threshold: i64,
    pub reward: String,
    pub reached_at: DateTime<Utc>,
}

/// What a click needs to know about a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    pub link_id: i64,
    pub campaign_id: i64,
    pub campaign_slug: String,
    /// The link's own target, or the campaign's landing URL.
    pub target_url: String,
    /// The owning fan's code (`None` for anonymous and admin links, and after erasure).
    pub ref_code: Option<String>,
    pub disabled: bool,
}

/// A link as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub id: i64,
    pub key: LinkKey,
    pub fan_ref_code: Option<String>,
    pub target_url: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One click, classified, ready to store.
#[derive(Debug, Clone)]
pub struct NewClick {
    pub link_id: i64,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub visitor_hash: String,
    pub agent: Agent,
    pub qr: bool,
    pub referrer_host: Option<String>,
    pub device: Device,
}

/// Counters of one link on one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelStats {
    pub clicks: u64,
    pub unique_clicks: u64,
    pub bot_clicks: u64,
    pub qr_clicks: u64,
    pub shares: u64,
    /// Fans who joined through this link and channel (flagged ones left out).
    pub fans: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReport {
    pub link: LinkRecord,
    /// Channels with any activity, in channel order.
    pub channels: Vec<(Channel, ChannelStats)>,
}

/// A fan about to be stored: validated, its signals assessed, its place in a cascade known.
#[derive(Debug, Clone)]
pub struct NewFan {
    pub campaign_id: i64,
    pub ref_code: RefCode,
    /// The key of the fan's personal link, created with the fan.
    pub link_key: LinkKey,
    /// The channel whose link brought the fan.
    pub channel: Option<Channel>,
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
            link_key: Some(self.link_key),
            channel: self.channel,
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

/// Reads [`StoredFan`]s: the fan, its referrer's code, and its root (itself for a root). Both
/// dialects accept it as is; callers append `WHERE …`.
pub const FAN_SELECT: &str = "SELECT f.id, f.campaign_id, f.ref_code, f.name, f.email, \
     f.referrer_id, r.ref_code AS referrer_ref_code, COALESCE(f.root_id, f.id) AS root_id, \
     f.depth, f.flags, l.key AS link_key, f.channel, f.visitor_hash, f.joined_at, f.erased_at \
     FROM fans f LEFT JOIN fans r ON r.id = f.referrer_id LEFT JOIN links l ON l.fan_id = f.id";

/// Reads [`StoredLinkTarget`]s; callers append `WHERE l.key = …`.
pub const LINK_TARGET_SELECT: &str = "SELECT l.id AS link_id, l.campaign_id, c.slug AS campaign_slug, \
     COALESCE(l.target_url, c.landing_url) AS target_url, f.ref_code, \
     l.disabled_at IS NOT NULL AS disabled \
     FROM links l JOIN campaigns c ON c.id = l.campaign_id LEFT JOIN fans f ON f.id = l.fan_id";

#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
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

/// Reads [`StoredLink`]s; callers append `WHERE …`.
pub const LINK_SELECT: &str = "SELECT l.id, l.key, f.ref_code AS fan_ref_code, l.target_url, \
     l.disabled_at, l.created_at FROM links l LEFT JOIN fans f ON f.id = l.fan_id";

#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
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
#[derive(Debug, Clone)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
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

/// `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`: the VALUES list of a multi-row statement.
pub fn values_list(rows: usize, columns: usize, numbered: bool) -> String {
    let mut out = String::with_capacity(rows * columns * 4);
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            n += 1;
            if numbered {
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// Rows per multi-row statement: 8 columns × 100 rows stays far below both databases' limits
/// on bound parameters.
pub const CLICK_ROWS_PER_STATEMENT: usize = 100;

/// How a batch of clicks changes each (link, channel) counter row: `[clicks, bot_clicks,
/// qr_clicks]`. Unique clicks are counted from `link_daily_visitors` when read.
pub fn click_deltas(clicks: &[NewClick]) -> Vec<(i64, Channel, [i64; 3])> {
    let mut deltas: Vec<(i64, Channel, [i64; 3])> = Vec::new();
    for click in clicks {
        let human = click.agent == Agent::Human;
        let add = [
            i64::from(human),
            i64::from(!human),
            i64::from(human && click.qr),
        ];
        match deltas
            .iter_mut()
            .find(|(link, channel, _)| *link == click.link_id && *channel == click.channel)
        {
            Some((_, _, counts)) => counts.iter_mut().zip(add).for_each(|(c, a)| *c += a),
            None => deltas.push((click.link_id, click.channel, add)),
        }
    }
    deltas
}

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
