//! The values the [`Store`](crate::store::Store) trait takes and returns. The arithmetic of a
//! batch of clicks is `fanfare_core::click`, re-exported here.

use chrono::{DateTime, NaiveDate, Utc};
use fanfare_core::engagement::{InteractionKind, Reaction, Status};
use fanfare_core::fan::{Fan, FraudFlag, RefCode, VisitorEvent};
use fanfare_core::link::{Channel, Device, LinkKey};

pub use fanfare_core::click::{
    ChannelKey, DimensionKey, NewClick, RollupDeltas, click_deltas, hour_of,
};

/// What the hourly rollups count (`docs/reports.md`). Fan counters are cohorts: `appropriators` of
/// an hour are fans who joined in that hour and have interacted since, and so on.
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

/// Joins from one network in a window (`Store::network_joins_since`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkJoins {
    pub all: u64,
    /// Those referred by the fan asked about.
    pub by_referrer: u64,
}

/// One visitor event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorRow {
    pub campaign_id: i64,
    pub day: NaiveDate,
    pub event: VisitorEvent,
    pub visitor_hash: String,
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
    /// The salted hash of the network the fan joined from (`None` when it cannot be told:
    /// a loopback client, or a fan imported or simulated).
    pub network_hash: Option<String>,
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
