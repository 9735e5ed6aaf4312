//! The storage contract. The server only ever sees `dyn Store`; each backend (SQLite, PostgreSQL)
//! lives in its own crate with its own migrations, and proves it keeps the contract by running the
//! [`conformance`] scenarios.

use std::ops::Range;
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

    /// Records many visitor events in one transaction (an import, or a simulated history).
    async fn record_visitor_events(&self, events: &[VisitorRow]) -> Result<(), StoreError>;

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

    /// The backend's click writer that commits by blocking the calling thread, if it has one:
    /// the click pipeline then commits batches through it (on the runtime's worker when no lock
    /// holds it up, on a blocking thread otherwise) instead of through `record_clicks` (an
    /// embedded database answers faster when called directly than through a driver's worker
    /// thread).
    fn blocking_click_writer(&self) -> Option<std::sync::Arc<dyn BlockingClickWriter>> {
        None
    }

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

    /// The hourly counters over hours `[hours.start, hours.end)` (hours since the Unix epoch),
    /// summed per channel (`""`: no channel).
    async fn counters_by_channel(
        &self,
        campaign_id: i64,
        hours: Range<i64>,
    ) -> Result<Vec<(String, Counters)>, StoreError>;

    /// The hourly counters over `hours`, all channels summed, one entry per hour that has any.
    async fn counters_by_hour(
        &self,
        campaign_id: i64,
        hours: Range<i64>,
    ) -> Result<Vec<(i64, Counters)>, StoreError>;

    /// Human clicks and non-flagged fans per value of `dimension` over `hours`.
    async fn dimension_counts(
        &self,
        campaign_id: i64,
        dimension: Dimension,
        hours: Range<i64>,
    ) -> Result<Vec<DimensionCount>, StoreError>;

    /// Each day's unique visitors who did `event`, for the days in `[from, to]` that have any.
    async fn visitors_by_day(
        &self,
        campaign_id: i64,
        event: VisitorEvent,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, u64)>, StoreError>;

    /// The campaign's fans with an id above `after_id`, in id order, as the cascade forest
    /// needs them (a referrer always has a smaller id than the fans they brought).
    async fn fan_nodes(&self, campaign_id: i64, after_id: i64) -> Result<Vec<FanNode>, StoreError>;

    /// The ref codes of these fans (`None` once erased).
    async fn ref_codes(&self, fan_ids: &[i64]) -> Result<Vec<(i64, Option<String>)>, StoreError>;

    async fn create_webhook(
        &self,
        campaign_id: i64,
        url: &str,
        secret: &str,
        events: &[String],
        at: DateTime<Utc>,
    ) -> Result<Webhook, StoreError>;

    async fn list_webhooks(&self, campaign_id: i64) -> Result<Vec<Webhook>, StoreError>;

    /// Deletes a webhook and its deliveries; `false` if the campaign has no such webhook.
    async fn delete_webhook(&self, campaign_id: i64, id: i64) -> Result<bool, StoreError>;

    /// Queues `payload` for every webhook of the campaign that receives `event`, due at `at`;
    /// returns how many deliveries were queued.
    async fn enqueue_webhook_event(
        &self,
        campaign_id: i64,
        event: &str,
        payload: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Takes up to `limit` deliveries due at `now`, each leased until `lease_until` (another
    /// worker will not take it before then).
    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    async fn record_webhook_attempt(&self, id: i64, attempt: &Attempt) -> Result<(), StoreError>;

    /// A webhook's latest deliveries, newest first.
    async fn list_webhook_deliveries(
        &self,
        webhook_id: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError>;
}

/// What the hourly rollups count (DESIGN §5). Fan counters are cohorts: `appropriators` of an
/// hour are fans who joined in that hour and have interacted since, and so on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct Counters {
    /// Non-flagged fans.
    pub fans: i64,
    /// Non-flagged fans brought by a non-flagged fan.
    pub referred_fans: i64,
    pub flagged_fans: i64,
    pub appropriators: i64,
    pub creators: i64,
    pub sharers: i64,
    pub ambassadors: i64,
    /// Human clicks.
    pub clicks: i64,
    pub bot_clicks: i64,
    pub shares: i64,
    pub interactions: i64,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        self.fans += other.fans;
        self.referred_fans += other.referred_fans;
        self.flagged_fans += other.flagged_fans;
        self.appropriators += other.appropriators;
        self.creators += other.creators;
        self.sharers += other.sharers;
        self.ambassadors += other.ambassadors;
        self.clicks += other.clicks;
        self.bot_clicks += other.bot_clicks;
        self.shares += other.shares;
        self.interactions += other.interactions;
    }
}

/// A breakdown of clicks and fans other than by channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The host of the page that sent the visitor.
    Referrer,
    /// The device class of the browser.
    Device,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrer => "referrer",
            Self::Device => "device",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct DimensionCount {
    pub value: String,
    pub clicks: i64,
    pub fans: i64,
}

/// A fan as the cascade forest and the viral cycle time need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct FanNode {
    pub id: i64,
    pub referrer_id: Option<i64>,
    pub flagged: bool,
    /// Seconds since the Unix epoch.
    pub joined_at: i64,
}

/// One visitor event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorRow {
    pub campaign_id: i64,
    pub day: NaiveDate,
    pub event: VisitorEvent,
    pub visitor_hash: String,
}

/// The UTC hour of a moment, as the rollups key it.
pub fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

/// (campaign, hour, channel): a row of `campaign_hours`.
pub type ChannelKey = (i64, i64, &'static str);

/// (campaign, hour, dimension, value): a row of `campaign_hour_dimensions`.
pub type DimensionKey<'a> = (i64, i64, &'static str, &'a str);

/// A rollup row's key and its increments, gathered in memory so that a batch of writes updates
/// each counter row once.
#[derive(Debug, Default)]
pub struct RollupDeltas<'a> {
    /// (campaign, hour, channel) → [human clicks, bot clicks]
    pub clicks: Vec<(ChannelKey, [i64; 2])>,
    /// (campaign, hour, dimension, value) → human clicks
    pub dimensions: Vec<(DimensionKey<'a>, i64)>,
}

impl<'a> RollupDeltas<'a> {
    /// The counters a batch of clicks adds to (each with its campaign).
    /// Borrows the batch's strings: nothing is allocated per click on the writer's path.
    pub fn of_clicks(clicks: &'a [NewClick]) -> Self {
        let mut by_channel: std::collections::BTreeMap<ChannelKey, [i64; 2]> = Default::default();
        let mut by_dimension: std::collections::BTreeMap<DimensionKey<'a>, i64> =
            Default::default();
        for click in clicks {
            let hour = hour_of(click.at);
            let human = click.agent == Agent::Human;
            let counts = by_channel
                .entry((click.campaign_id, hour, click.channel.as_str()))
                .or_default();
            counts[usize::from(!human)] += 1;
            if human {
                *by_dimension
                    .entry((click.campaign_id, hour, "device", click.device.as_str()))
                    .or_default() += 1;
                if let Some(host) = &click.referrer_host {
                    *by_dimension
                        .entry((click.campaign_id, hour, "referrer", host.as_str()))
                        .or_default() += 1;
                }
            }
        }
        Self {
            clicks: by_channel.into_iter().collect(),
            dimensions: by_dimension.into_iter().collect(),
        }
    }
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
    /// The link's campaign, for the campaign's hourly counters.
    pub campaign_id: i64,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub visitor_hash: String,
    pub agent: Agent,
    pub qr: bool,
    pub referrer_host: Option<String>,
    pub device: Device,
}

/// Commits batches of clicks, blocking the calling thread (see
/// [`Store::blocking_click_writer`]); same contract as [`Store::record_clicks`].
pub trait BlockingClickWriter: Send + Sync {
    fn write_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError>;

    /// Commits `clicks` as [`BlockingClickWriter::write_clicks`] does if nothing holds the
    /// database up; if it would have to wait for a lock, stores nothing and returns
    /// `Ok(false)`. An async caller can then commit on its own thread when that is quick, and
    /// hand the commit to a blocking thread when it is not.
    fn try_write_clicks(&self, clicks: &[NewClick]) -> Result<bool, StoreError>;
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
    /// The device class of the browser the fan joined from.
    pub device: Device,
    /// The host of the page that sent the fan to the campaign's site, when the widget knew it.
    pub referrer_host: Option<String>,
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

    /// Whether the fan counts as referred: neither they nor their referrer is flagged (a fan
    /// brought by a flagged fan starts a cascade of their own).
    pub fn counts_as_referred(&self) -> bool {
        self.flags.is_empty() && self.referrer.as_ref().is_some_and(|r| r.flags.is_empty())
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

/// The SQL of the report rollups, shared by both SQL backends: written with PostgreSQL's `$N`
/// placeholders, which SQLite reads as `?N` once [`sqlite_placeholders`] has rewritten them.
pub mod rollup_sql {
    /// One join: the fan counters of the fan's hour and channel.
    pub const JOIN: &str = "INSERT INTO campaign_hours \
        (campaign_id, hour, channel, fans, referred_fans, flagged_fans) VALUES ($1, $2, $3, $4, $5, $6) \
        ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET \
        fans = campaign_hours.fans + excluded.fans, \
        referred_fans = campaign_hours.referred_fans + excluded.referred_fans, \
        flagged_fans = campaign_hours.flagged_fans + excluded.flagged_fans";

    /// One non-flagged fan for a value of a dimension.
    pub const FAN_DIMENSION: &str = "INSERT INTO campaign_hour_dimensions \
        (campaign_id, hour, dimension, value, fans) VALUES ($1, $2, $3, $4, 1) \
        ON CONFLICT (campaign_id, hour, dimension, value) DO UPDATE SET \
        fans = campaign_hour_dimensions.fans + 1";

    /// The referrer brought one more fan; `referred = 1` afterwards makes them an ambassador.
    pub const REFERRED: &str = "UPDATE fans SET referred = referred + 1 WHERE id = $1 \
        RETURNING referred, campaign_id, joined_at, channel";

    /// A share through link `$1` at hour `$2` on channel `$3`.
    pub const SHARE: &str = "INSERT INTO campaign_hours (campaign_id, hour, channel, shares) \
        SELECT campaign_id, $2, $3, 1 FROM links WHERE id = $1 \
        ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET shares = campaign_hours.shares + 1";

    /// The visitor's first event of the day was just recorded.
    pub const VISITOR: &str = "INSERT INTO visitor_day_counts (campaign_id, day, kind, visitors) \
        VALUES ($1, $2, $3, 1) ON CONFLICT (campaign_id, day, kind) DO UPDATE SET \
        visitors = visitor_day_counts.visitors + 1";

    /// Marks that a fan did something (`column`: interacted, created or shared) and returns
    /// their cohort, only the first time.
    pub fn first(column: &str) -> String {
        format!(
            "UPDATE fans SET {column} = true WHERE id = $1 AND NOT {column} \
             RETURNING campaign_id, joined_at, channel, flags = '[]' AS counted"
        )
    }

    /// Adds one to `column` of an hour and channel (a cohort counter, shares or interactions).
    pub fn add_one(column: &str) -> String {
        format!(
            "INSERT INTO campaign_hours (campaign_id, hour, channel, {column}) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET \
             {column} = campaign_hours.{column} + 1"
        )
    }

    /// A batch's clicks per link and channel: `rows` (a `VALUES` list or a `SELECT`) of (link,
    /// channel, human clicks, bot clicks, QR clicks), one per key.
    pub fn link_clicks(rows: &str) -> String {
        format!(
            "INSERT INTO link_stats (link_id, channel, clicks, bot_clicks, qr_clicks) {rows} \
             ON CONFLICT (link_id, channel) DO UPDATE SET \
             clicks = link_stats.clicks + excluded.clicks, \
             bot_clicks = link_stats.bot_clicks + excluded.bot_clicks, \
             qr_clicks = link_stats.qr_clicks + excluded.qr_clicks"
        )
    }

    /// A batch's clicks per hour and channel: `rows` (a `VALUES` list or a `SELECT`) of
    /// (campaign, hour, channel, clicks, bot clicks), one per key.
    pub fn clicks(rows: &str) -> String {
        format!(
            "INSERT INTO campaign_hours (campaign_id, hour, channel, clicks, bot_clicks) {rows} \
             ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET \
             clicks = campaign_hours.clicks + excluded.clicks, \
             bot_clicks = campaign_hours.bot_clicks + excluded.bot_clicks"
        )
    }

    /// A batch's human clicks per hour and dimension value: `rows` (a `VALUES` list or a
    /// `SELECT`) of (campaign, hour, dimension, value, clicks), one per key.
    pub fn click_dimensions(rows: &str) -> String {
        format!(
            "INSERT INTO campaign_hour_dimensions (campaign_id, hour, dimension, value, clicks) {rows} \
             ON CONFLICT (campaign_id, hour, dimension, value) DO UPDATE SET \
             clicks = campaign_hour_dimensions.clicks + excluded.clicks"
        )
    }

    const SUMS: &str = "CAST(SUM(fans) AS BIGINT) AS fans, \
        CAST(SUM(referred_fans) AS BIGINT) AS referred_fans, \
        CAST(SUM(flagged_fans) AS BIGINT) AS flagged_fans, \
        CAST(SUM(appropriators) AS BIGINT) AS appropriators, \
        CAST(SUM(creators) AS BIGINT) AS creators, \
        CAST(SUM(sharers) AS BIGINT) AS sharers, \
        CAST(SUM(ambassadors) AS BIGINT) AS ambassadors, \
        CAST(SUM(clicks) AS BIGINT) AS clicks, \
        CAST(SUM(bot_clicks) AS BIGINT) AS bot_clicks, \
        CAST(SUM(shares) AS BIGINT) AS shares, \
        CAST(SUM(interactions) AS BIGINT) AS interactions";

    pub fn by_channel() -> String {
        format!(
            "SELECT channel AS key, {SUMS} FROM campaign_hours \
             WHERE campaign_id = $1 AND hour >= $2 AND hour < $3 GROUP BY channel ORDER BY channel"
        )
    }

    pub fn by_hour() -> String {
        format!(
            "SELECT hour, {SUMS} FROM campaign_hours \
             WHERE campaign_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour ORDER BY hour"
        )
    }

    /// At most 100 values, most clicks first: referrer hosts are many and the tail says little.
    pub const DIMENSION: &str = "SELECT value, CAST(SUM(clicks) AS BIGINT) AS clicks, \
        CAST(SUM(fans) AS BIGINT) AS fans FROM campaign_hour_dimensions \
        WHERE campaign_id = $1 AND dimension = $2 AND hour >= $3 AND hour < $4 \
        GROUP BY value ORDER BY 2 DESC, 3 DESC, value LIMIT 100";

    pub const VISITORS_BY_DAY: &str = "SELECT day, visitors FROM visitor_day_counts \
        WHERE campaign_id = $1 AND kind = $2 AND day >= $3 AND day <= $4 ORDER BY day";
}

/// `$N` placeholders as SQLite numbers them (`?N`).
pub fn sqlite_placeholders(sql: &str) -> String {
    sql.replace('$', "?")
}

/// PostgreSQL reads the shared SQL's `$N` placeholders as they are.
pub fn postgres_placeholders(sql: &str) -> String {
    sql.to_owned()
}

/// Counters with the key they were grouped by.
#[derive(Debug)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct KeyedCounters {
    pub key: String,
    #[cfg_attr(feature = "sqlx", sqlx(flatten))]
    pub counters: Counters,
}

#[derive(Debug)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct HourCounters {
    pub hour: i64,
    #[cfg_attr(feature = "sqlx", sqlx(flatten))]
    pub counters: Counters,
}

/// What a fan's first interaction, creation or share changes: their cohort's counter.
#[derive(Debug)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct FanCohort {
    pub campaign_id: i64,
    pub joined_at: DateTime<Utc>,
    pub channel: Option<String>,
    pub counted: bool,
}

/// The report counters each write updates, inside the write's own transaction: written once,
/// expanded in each SQL backend with its connection type and its placeholder rewriting.
#[cfg(feature = "sqlx")]
#[macro_export]
macro_rules! rollup_writes {
    ($conn:ty, $placeholders:path) => {
        fn rollup_db_error(error: sqlx::Error) -> $crate::StoreError {
            $crate::map_sqlx_error(error, "value")
        }

        /// Cancels the webhook deliveries not yet sent that carry a fan's ref code, before the
        /// fan is erased: their payloads hold the fan's name and e-mail.
        pub async fn cancel_deliveries_of(
            conn: &mut $conn,
            fan_id: i64,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(&$placeholders(
                "UPDATE webhook_deliveries SET payload = '', next_attempt_at = NULL, \
                 last_error = 'not sent: the fan was erased' \
                 WHERE next_attempt_at IS NOT NULL \
                 AND payload LIKE '%\"' || (SELECT ref_code FROM fans WHERE id = $1) || '\"%'",
            ))
            .bind(fan_id)
            .execute(&mut *conn)
            .await
            .map(drop)
            .map_err(rollup_db_error)
        }

        /// Visitor events in one transaction: each day's row, and its count the first time.
        pub async fn visitors(
            conn: &mut $conn,
            rows: &[$crate::VisitorRow],
        ) -> Result<(), $crate::StoreError> {
            for row in rows {
                let done = sqlx::query(&$placeholders(
                    "INSERT INTO visitor_days (campaign_id, day, kind, visitor_hash) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                ))
                .bind(row.campaign_id)
                .bind(row.day)
                .bind(row.event.as_str())
                .bind(&row.visitor_hash)
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
                if done.rows_affected() > 0 {
                    sqlx::query(&$placeholders($crate::rollup_sql::VISITOR))
                        .bind(row.campaign_id)
                        .bind(row.day)
                        .bind(row.event.as_str())
                        .execute(&mut *conn)
                        .await
                        .map_err(rollup_db_error)?;
                }
            }
            Ok(())
        }

        /// A new fan: their hour's fan counters, their device and referrer, and their referrer's
        /// ambassador status.
        pub async fn join(
            conn: &mut $conn,
            fan: &$crate::NewFan,
        ) -> Result<(), $crate::StoreError> {
            let hour = $crate::hour_of(fan.joined_at);
            let flagged = !fan.flags.is_empty();
            let referred = fan.counts_as_referred();
            sqlx::query(&$placeholders($crate::rollup_sql::JOIN))
                .bind(fan.campaign_id)
                .bind(hour)
                .bind(fan.channel.map_or("", |c| c.as_str()))
                .bind(i64::from(!flagged))
                .bind(i64::from(referred))
                .bind(i64::from(flagged))
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
            if !flagged {
                let dimensions = [
                    Some(("device", fan.device.as_str())),
                    fan.referrer_host.as_deref().map(|host| ("referrer", host)),
                ];
                for (dimension, value) in dimensions.into_iter().flatten() {
                    sqlx::query(&$placeholders($crate::rollup_sql::FAN_DIMENSION))
                        .bind(fan.campaign_id)
                        .bind(hour)
                        .bind(dimension)
                        .bind(value)
                        .execute(&mut *conn)
                        .await
                        .map_err(rollup_db_error)?;
                }
            }
            if referred && let Some(referrer) = &fan.referrer {
                let (count, campaign_id, joined_at, channel): (
                    i64,
                    i64,
                    chrono::DateTime<chrono::Utc>,
                    Option<String>,
                ) = sqlx::query_as(&$placeholders($crate::rollup_sql::REFERRED))
                    .bind(referrer.id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(rollup_db_error)?;
                if count == 1 {
                    let cohort = $crate::FanCohort {
                        campaign_id,
                        joined_at,
                        channel,
                        counted: true,
                    };
                    add_to_cohort(conn, &cohort, "ambassadors").await?;
                }
            }
            Ok(())
        }

        /// A share through a link: the hour's shares, and the link's fan becomes a sharer.
        pub async fn share(
            conn: &mut $conn,
            link_id: i64,
            channel: fanfare_core::link::Channel,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(&$placeholders($crate::rollup_sql::SHARE))
                .bind(link_id)
                .bind($crate::hour_of(at))
                .bind(channel.as_str())
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
            let fan_id: Option<i64> =
                sqlx::query_scalar(&$placeholders("SELECT fan_id FROM links WHERE id = $1"))
                    .bind(link_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(rollup_db_error)?
                    .flatten();
            if let Some(fan_id) = fan_id {
                first_time(conn, fan_id, "shared", "sharers").await?;
            }
            Ok(())
        }

        /// An interaction: the hour's interactions, and the fan becomes an appropriator (and a
        /// creator for a creation).
        pub async fn interaction(
            conn: &mut $conn,
            new: &$crate::NewInteraction,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(&$placeholders(&$crate::rollup_sql::add_one("interactions")))
                .bind(new.campaign_id)
                .bind($crate::hour_of(new.created_at))
                .bind("")
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)?;
            first_time(conn, new.fan_id, "interacted", "appropriators").await?;
            if new.kind == fanfare_core::engagement::InteractionKind::Creation {
                first_time(conn, new.fan_id, "created", "creators").await?;
            }
            Ok(())
        }

        /// Marks the fan's `flag` and, the first time for a non-flagged fan, adds them to their
        /// cohort's `counter`.
        async fn first_time(
            conn: &mut $conn,
            fan_id: i64,
            flag: &str,
            counter: &str,
        ) -> Result<(), $crate::StoreError> {
            let cohort: Option<$crate::FanCohort> =
                sqlx::query_as(&$placeholders(&$crate::rollup_sql::first(flag)))
                    .bind(fan_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(rollup_db_error)?;
            match cohort {
                Some(cohort) if cohort.counted => add_to_cohort(conn, &cohort, counter).await,
                _ => Ok(()),
            }
        }

        async fn add_to_cohort(
            conn: &mut $conn,
            cohort: &$crate::FanCohort,
            counter: &str,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(&$placeholders(&$crate::rollup_sql::add_one(counter)))
                .bind(cohort.campaign_id)
                .bind($crate::hour_of(cohort.joined_at))
                .bind(cohort.channel.as_deref().unwrap_or(""))
                .execute(&mut *conn)
                .await
                .map_err(rollup_db_error)
                .map(drop)
        }
    };
}

/// The events a webhook can receive.
pub const WEBHOOK_EVENTS: [&str; 3] = ["fan.joined", "milestone.reached", "creation.approved"];

/// A campaign's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct Webhook {
    pub id: i64,
    pub campaign_id: i64,
    pub url: String,
    /// The HMAC key of its signatures (shown to the admin once, at creation).
    pub secret: String,
    #[cfg_attr(feature = "sqlx", sqlx(json))]
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A delivery the worker has taken: what to post, where, signed with what.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
}

/// What came of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status, when it answered.
    pub status: Option<i64>,
    pub error: Option<String>,
    /// Set when the receiver answered 2xx.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When to try again; `None` once delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct DeliveryRecord {
    pub id: i64,
    pub event: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The webhook queries, written once and expanded in each SQL backend with its pool type and
/// placeholder rewriting. `$subscribed` is the backend's test that `events` holds `$2`.
#[cfg(feature = "sqlx")]
#[macro_export]
macro_rules! webhook_queries {
    ($pool:ty, $placeholders:path, $subscribed:literal) => {
        fn webhook_db_error(error: sqlx::Error) -> $crate::StoreError {
            $crate::map_sqlx_error(error, "value")
        }

        pub async fn create_webhook(
            pool: &$pool,
            campaign_id: i64,
            url: &str,
            secret: &str,
            events: &[String],
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<$crate::Webhook, $crate::StoreError> {
            sqlx::query_as(&$placeholders(
                "INSERT INTO webhooks (campaign_id, url, secret, events, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, campaign_id, url, secret, events, created_at",
            ))
            .bind(campaign_id)
            .bind(url)
            .bind(secret)
            .bind(sqlx::types::Json(events))
            .bind(at)
            .fetch_one(pool)
            .await
            .map_err(webhook_db_error)
        }

        pub async fn list_webhooks(
            pool: &$pool,
            campaign_id: i64,
        ) -> Result<Vec<$crate::Webhook>, $crate::StoreError> {
            sqlx::query_as(&$placeholders(
                "SELECT id, campaign_id, url, secret, events, created_at FROM webhooks \
                 WHERE campaign_id = $1 ORDER BY id",
            ))
            .bind(campaign_id)
            .fetch_all(pool)
            .await
            .map_err(webhook_db_error)
        }

        pub async fn delete_webhook(
            pool: &$pool,
            campaign_id: i64,
            id: i64,
        ) -> Result<bool, $crate::StoreError> {
            sqlx::query(&$placeholders(
                "DELETE FROM webhooks WHERE campaign_id = $1 AND id = $2",
            ))
            .bind(campaign_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(webhook_db_error)
        }

        pub async fn enqueue_webhook_event(
            pool: &$pool,
            campaign_id: i64,
            event: &str,
            payload: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<u64, $crate::StoreError> {
            sqlx::query(&$placeholders(concat!(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_attempt_at, created_at) \
                 SELECT id, $2, $3, $4, $4 FROM webhooks WHERE campaign_id = $1 AND ",
                $subscribed
            )))
            .bind(campaign_id)
            .bind(event)
            .bind(payload)
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(webhook_db_error)
        }

        pub async fn claim_webhook_deliveries(
            pool: &$pool,
            now: chrono::DateTime<chrono::Utc>,
            lease_until: chrono::DateTime<chrono::Utc>,
            limit: u32,
        ) -> Result<Vec<$crate::DueDelivery>, $crate::StoreError> {
            let due: Vec<$crate::DueDelivery> = sqlx::query_as(&$placeholders(
                "SELECT d.id, d.webhook_id, w.url, w.secret, d.event, d.payload, d.attempts, \
                 d.next_attempt_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $1 \
                 ORDER BY d.next_attempt_at LIMIT $2",
            ))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(webhook_db_error)?;
            // Each one is taken by moving its next attempt to the end of the lease, only if no
            // other worker moved it first: two servers never post the same delivery at once.
            let mut claimed = Vec::with_capacity(due.len());
            for delivery in due {
                let taken = sqlx::query(&$placeholders(
                    "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                     WHERE id = $2 AND next_attempt_at = $3",
                ))
                .bind(lease_until)
                .bind(delivery.id)
                .bind(delivery.next_attempt_at)
                .execute(pool)
                .await
                .map_err(webhook_db_error)?;
                if taken.rows_affected() == 1 {
                    claimed.push(delivery);
                }
            }
            Ok(claimed)
        }

        pub async fn record_webhook_attempt(
            pool: &$pool,
            id: i64,
            attempt: &$crate::Attempt,
        ) -> Result<(), $crate::StoreError> {
            sqlx::query(&$placeholders(
                // A delivery that is over keeps no copy of its payload (it can hold a fan's
                // name and e-mail): only its outcome stays, for the admin's listing.
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, \
                 last_error = $3, delivered_at = $4, next_attempt_at = $5, \
                 payload = CASE WHEN $5 IS NULL THEN '' ELSE payload END WHERE id = $1",
            ))
            .bind(id)
            .bind(attempt.status)
            .bind(attempt.error.as_deref())
            .bind(attempt.delivered_at)
            .bind(attempt.next_attempt_at)
            .execute(pool)
            .await
            .map(drop)
            .map_err(webhook_db_error)
        }

        pub async fn list_webhook_deliveries(
            pool: &$pool,
            webhook_id: i64,
            limit: u32,
        ) -> Result<Vec<$crate::DeliveryRecord>, $crate::StoreError> {
            sqlx::query_as(&$placeholders(
                "SELECT id, event, attempts, last_status, last_error, delivered_at, next_attempt_at, \
                 created_at FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
            ))
            .bind(webhook_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(webhook_db_error)
        }
    };
}

/// The report reads, written once and expanded in each SQL backend with its pool type and
/// placeholder rewriting.
#[cfg(feature = "sqlx")]
#[macro_export]
macro_rules! report_queries {
    ($pool:ty, $placeholders:path) => {
        fn report_db_error(error: sqlx::Error) -> $crate::StoreError {
            $crate::map_sqlx_error(error, "value")
        }

        pub async fn counters_by_channel(
            pool: &$pool,
            campaign_id: i64,
            hours: std::ops::Range<i64>,
        ) -> Result<Vec<(String, $crate::Counters)>, $crate::StoreError> {
            let rows: Vec<$crate::KeyedCounters> =
                sqlx::query_as(&$placeholders(&$crate::rollup_sql::by_channel()))
                    .bind(campaign_id)
                    .bind(hours.start)
                    .bind(hours.end)
                    .fetch_all(pool)
                    .await
                    .map_err(report_db_error)?;
            Ok(rows.into_iter().map(|r| (r.key, r.counters)).collect())
        }

        pub async fn counters_by_hour(
            pool: &$pool,
            campaign_id: i64,
            hours: std::ops::Range<i64>,
        ) -> Result<Vec<(i64, $crate::Counters)>, $crate::StoreError> {
            let rows: Vec<$crate::HourCounters> =
                sqlx::query_as(&$placeholders(&$crate::rollup_sql::by_hour()))
                    .bind(campaign_id)
                    .bind(hours.start)
                    .bind(hours.end)
                    .fetch_all(pool)
                    .await
                    .map_err(report_db_error)?;
            Ok(rows.into_iter().map(|r| (r.hour, r.counters)).collect())
        }

        pub async fn dimension_counts(
            pool: &$pool,
            campaign_id: i64,
            dimension: $crate::Dimension,
            hours: std::ops::Range<i64>,
        ) -> Result<Vec<$crate::DimensionCount>, $crate::StoreError> {
            sqlx::query_as(&$placeholders($crate::rollup_sql::DIMENSION))
                .bind(campaign_id)
                .bind(dimension.as_str())
                .bind(hours.start)
                .bind(hours.end)
                .fetch_all(pool)
                .await
                .map_err(report_db_error)
        }

        pub async fn visitors_by_day(
            pool: &$pool,
            campaign_id: i64,
            event: fanfare_core::fan::VisitorEvent,
            from: chrono::NaiveDate,
            to: chrono::NaiveDate,
        ) -> Result<Vec<(chrono::NaiveDate, u64)>, $crate::StoreError> {
            let rows: Vec<(chrono::NaiveDate, i64)> =
                sqlx::query_as(&$placeholders($crate::rollup_sql::VISITORS_BY_DAY))
                    .bind(campaign_id)
                    .bind(event.as_str())
                    .bind(from)
                    .bind(to)
                    .fetch_all(pool)
                    .await
                    .map_err(report_db_error)?;
            Ok(rows
                .into_iter()
                .map(|(day, n)| (day, n.unsigned_abs()))
                .collect())
        }
    };
}
