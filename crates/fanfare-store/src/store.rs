//! The contract: the [`Store`] trait the server calls, through `dyn Store` only.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use fanfare_core::account::Role;
use fanfare_core::api_key::{ApiKeyRecord, NewApiKey};
use fanfare_core::campaign::{Campaign, CampaignSettings, Slug};
use fanfare_core::engagement::{Activity, InteractionKind, Milestone, Reaction, Status};
use fanfare_core::fan::{Fan, RefCode, VisitorEvent};
use fanfare_core::link::{Channel, LinkKey};

use crate::error::StoreError;
use crate::model::{
    Attempt, Counters, DeliveryRecord, Dimension, DimensionCount, DueDelivery, FanNode, GraphFan,
    Interaction, LinkRecord, LinkReport, LinkTarget, MilestoneRecord, NetworkJoins, NewClick,
    NewFan, NewInteraction, VisitorRow, Webhook,
};

/// A console user. Invited users have no password until they follow their one-time link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Trimmed and lowercased: the login.
    pub email: String,
    pub role: Role,
    /// An argon2id PHC string; `None` while the invitation is not yet accepted.
    pub password_hash: Option<String>,
    /// Until when the user's one-time link (invitation or reset) works, if one is open.
    pub invite_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A user to add: with a password (the CLI), or with a one-time link to choose one (an invitation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub invite: Option<Invite>,
}

/// A one-time link's token, kept by its SHA-256 (a copy of the database opens no account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// A console session to open, kept by the SHA-256 of its cookie's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdminSession {
    pub token_hash: String,
    pub user_id: i64,
    /// Sent back with each form, so that another site cannot post on the user's behalf.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// An open console session and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
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

    /// Adds a console user; `Conflict("email")` if the address already has an account.
    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError>;

    async fn find_user(&self, id: i64) -> Result<Option<User>, StoreError>;

    /// The user with this (already trimmed and lowercased) address.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;

    /// The user whose one-time link has this token hash, if the link has not expired.
    async fn find_user_by_invite(&self, token_hash: &str) -> Result<Option<User>, StoreError>;

    /// Every user, by address.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;

    /// `None` if there is no such user.
    async fn set_user_role(&self, id: i64, role: Role) -> Result<Option<User>, StoreError>;

    /// Sets a user's password, closes their one-time link and ends their sessions but
    /// `keep_session` (the one changing it); `false` if there is no such user.
    async fn set_user_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Opens a new one-time link for a user (a lost password): the old one stops working.
    async fn set_user_invite(&self, id: i64, invite: &Invite) -> Result<bool, StoreError>;

    /// Removes a user and ends their sessions; `false` if there was no such user.
    async fn delete_user(&self, id: i64) -> Result<bool, StoreError>;

    /// `Gone` if the user was removed meanwhile.
    async fn create_admin_session(&self, session: &NewAdminSession) -> Result<(), StoreError>;

    /// A session by its token's hash, with its user, if it exists and has not expired.
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

    /// Fans who joined the campaign from this network since `since`: all of them, and those
    /// referred by `referrer_id`.
    async fn network_joins_since(
        &self,
        campaign_id: i64,
        network_hash: &str,
        referrer_id: Option<i64>,
        since: DateTime<Utc>,
    ) -> Result<NetworkJoins, StoreError>;

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

    /// Stores a share (someone opened a network's share dialog through a link), once per
    /// visitor, link, channel and UTC hour: `false` when this one was already counted.
    async fn record_share(
        &self,
        link_id: i64,
        channel: Channel,
        at: DateTime<Utc>,
        visitor_hash: &str,
    ) -> Result<bool, StoreError>;

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

    /// Reactions given to the campaign itself (not to a creation), per reaction.
    async fn campaign_reactions(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<(Reaction, u64)>, StoreError>;

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

pub type DynStore = Arc<dyn Store>;

/// The current time at the precision every backend keeps (PostgreSQL stores microseconds), so a
/// value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
