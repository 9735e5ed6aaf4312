//! The SQL text both backends run: PostgreSQL's `$N` placeholders, which sqlx also binds on
//! SQLite (`$N` is one of SQLite's parameter forms), so one text serves both dialects.

/// Reads [`StoredInteraction`](super::rows::StoredInteraction)s; callers append `WHERE …`.
pub const INTERACTION_SELECT: &str = "SELECT i.id, i.campaign_id, i.fan_id, \
     f.ref_code AS fan_ref_code, f.name AS fan_name, i.kind, i.reaction, i.target_id, i.body, \
     i.url, i.display_name, i.status, i.reason, i.created_at, i.moderated_at \
     FROM interactions i JOIN fans f ON f.id = i.fan_id";

/// Reads [`StoredFan`](super::rows::StoredFan)s: the fan, its referrer's code, and its root
/// (itself for a root); callers append `WHERE …`.
pub const FAN_SELECT: &str = "SELECT f.id, f.campaign_id, f.ref_code, f.name, f.email, \
     f.referrer_id, r.ref_code AS referrer_ref_code, COALESCE(f.root_id, f.id) AS root_id, \
     f.depth, f.flags, l.key AS link_key, f.channel, f.visitor_hash, f.joined_at, f.erased_at \
     FROM fans f LEFT JOIN fans r ON r.id = f.referrer_id LEFT JOIN links l ON l.fan_id = f.id";

/// Reads [`StoredLinkTarget`](super::rows::StoredLinkTarget)s; callers append `WHERE l.key = …`.
pub const LINK_TARGET_SELECT: &str = "SELECT l.id AS link_id, l.campaign_id, c.slug AS campaign_slug, \
     COALESCE(l.target_url, c.landing_url) AS target_url, f.ref_code, \
     l.disabled_at IS NOT NULL AS disabled \
     FROM links l JOIN campaigns c ON c.id = l.campaign_id LEFT JOIN fans f ON f.id = l.fan_id";

/// Reads [`StoredLink`](super::rows::StoredLink)s; callers append `WHERE …`.
pub const LINK_SELECT: &str = "SELECT l.id, l.key, f.ref_code AS fan_ref_code, l.target_url, \
     l.disabled_at, l.created_at FROM links l LEFT JOIN fans f ON f.id = l.fan_id";

/// The columns [`StoredCampaign`](super::rows::StoredCampaign) reads, for `SELECT` and `RETURNING`.
pub const CAMPAIGN_COLUMNS: &str = "id, slug, kind, title, description, landing_url, \
     allowed_domains, image_url, brand_color, hashtags, channels, created_at, updated_at";

/// The columns [`StoredApiKey`](super::rows::StoredApiKey) reads.
pub const API_KEY_COLUMNS: &str = "id, name, prefix, created_at, revoked_at";

/// The SQL of the report rollups. The SQLite click writer, which runs it through rusqlite rather
/// than sqlx, numbers its placeholders `?N` first.
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
