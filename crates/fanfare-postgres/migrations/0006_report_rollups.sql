-- Reports read counters, not raw rows: a campaign's stats over ten million clicks sum a few
-- thousand hourly rows. Every write that changes a report updates its counter in the same
-- transaction, so the counters never disagree with the rows they summarise.

-- What each fan has done, so that the first time is known without a scan (`referred` counts
-- the non-flagged fans they brought, and stays 0 for a flagged fan).
ALTER TABLE fans ADD COLUMN interacted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE fans ADD COLUMN created BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE fans ADD COLUMN shared BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE fans ADD COLUMN referred BIGINT NOT NULL DEFAULT 0;
-- Where the fan joined from: device class of the browser, host of the page that sent them.
ALTER TABLE fans ADD COLUMN device TEXT;
ALTER TABLE fans ADD COLUMN referrer_host TEXT;

-- Per campaign, UTC hour and channel ('' when none). Fan counters are cohorts: appropriators,
-- creators, sharers and ambassadors of an hour are fans who joined in that hour and have since
-- interacted, created, shared or brought a fan. Flagged fans only count in flagged_fans.
CREATE TABLE campaign_hours (
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour          BIGINT NOT NULL, -- hours since the Unix epoch
    channel       TEXT NOT NULL,
    fans          BIGINT NOT NULL DEFAULT 0,
    referred_fans BIGINT NOT NULL DEFAULT 0,
    flagged_fans  BIGINT NOT NULL DEFAULT 0,
    appropriators BIGINT NOT NULL DEFAULT 0,
    creators      BIGINT NOT NULL DEFAULT 0,
    sharers       BIGINT NOT NULL DEFAULT 0,
    ambassadors   BIGINT NOT NULL DEFAULT 0,
    clicks        BIGINT NOT NULL DEFAULT 0, -- humans only
    bot_clicks    BIGINT NOT NULL DEFAULT 0,
    shares        BIGINT NOT NULL DEFAULT 0,
    interactions  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour, channel)
);

-- Human clicks and non-flagged fans per hour by referrer host and by device class.
CREATE TABLE campaign_hour_dimensions (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour        BIGINT NOT NULL,
    dimension   TEXT NOT NULL CHECK (dimension IN ('referrer', 'device')),
    value       TEXT NOT NULL,
    clicks      BIGINT NOT NULL DEFAULT 0,
    fans        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour, dimension, value)
);

-- Each day's unique visitors per event: the count of that day's rows of visitor_days.
CREATE TABLE visitor_day_counts (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    day         DATE NOT NULL,
    kind        TEXT NOT NULL,
    visitors    BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, day, kind)
);

-- Fans' joins in time order, for the cascade forest of a date range.
CREATE INDEX fans_by_join ON fans (campaign_id, joined_at);

-- The counters of what is already stored.
UPDATE fans SET
    interacted = EXISTS (SELECT 1 FROM interactions i WHERE i.fan_id = fans.id),
    created = EXISTS (SELECT 1 FROM interactions i WHERE i.fan_id = fans.id AND i.kind = 'creation'),
    shared = EXISTS (SELECT 1 FROM shares s JOIN links l ON l.id = s.link_id WHERE l.fan_id = fans.id),
    referred = CASE WHEN flags = '[]'::jsonb THEN
        (SELECT COUNT(*) FROM fans c WHERE c.referrer_id = fans.id AND c.flags = '[]'::jsonb) ELSE 0 END;

INSERT INTO campaign_hours (campaign_id, hour, channel, fans, referred_fans, flagged_fans,
                            appropriators, creators, sharers, ambassadors)
SELECT f.campaign_id, floor(extract(epoch FROM f.joined_at) / 3600)::bigint, COALESCE(f.channel, ''),
       COUNT(*) FILTER (WHERE f.flags = '[]'::jsonb),
       COUNT(*) FILTER (WHERE f.flags = '[]'::jsonb AND r.id IS NOT NULL AND r.flags = '[]'::jsonb),
       COUNT(*) FILTER (WHERE f.flags <> '[]'::jsonb),
       COUNT(*) FILTER (WHERE f.flags = '[]'::jsonb AND f.interacted),
       COUNT(*) FILTER (WHERE f.flags = '[]'::jsonb AND f.created),
       COUNT(*) FILTER (WHERE f.flags = '[]'::jsonb AND f.shared),
       COUNT(*) FILTER (WHERE f.flags = '[]'::jsonb AND f.referred > 0)
FROM fans f LEFT JOIN fans r ON r.id = f.referrer_id
GROUP BY 1, 2, 3;

INSERT INTO campaign_hours (campaign_id, hour, channel, clicks, bot_clicks)
SELECT l.campaign_id, floor(extract(epoch FROM c.at) / 3600)::bigint, c.channel,
       COUNT(*) FILTER (WHERE c.agent = 'human'), COUNT(*) FILTER (WHERE c.agent <> 'human')
FROM clicks c JOIN links l ON l.id = c.link_id
GROUP BY 1, 2, 3
ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET
    clicks = campaign_hours.clicks + excluded.clicks,
    bot_clicks = campaign_hours.bot_clicks + excluded.bot_clicks;

INSERT INTO campaign_hours (campaign_id, hour, channel, shares)
SELECT l.campaign_id, floor(extract(epoch FROM s.at) / 3600)::bigint, s.channel, COUNT(*)
FROM shares s JOIN links l ON l.id = s.link_id
GROUP BY 1, 2, 3
ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET shares = campaign_hours.shares + excluded.shares;

INSERT INTO campaign_hours (campaign_id, hour, channel, interactions)
SELECT campaign_id, floor(extract(epoch FROM created_at) / 3600)::bigint, '', COUNT(*)
FROM interactions
GROUP BY 1, 2
ON CONFLICT (campaign_id, hour, channel) DO UPDATE SET
    interactions = campaign_hours.interactions + excluded.interactions;

INSERT INTO campaign_hour_dimensions (campaign_id, hour, dimension, value, clicks)
SELECT l.campaign_id, floor(extract(epoch FROM c.at) / 3600)::bigint, 'device', c.device, COUNT(*)
FROM clicks c JOIN links l ON l.id = c.link_id
WHERE c.agent = 'human'
GROUP BY 1, 2, 4;

INSERT INTO campaign_hour_dimensions (campaign_id, hour, dimension, value, clicks)
SELECT l.campaign_id, floor(extract(epoch FROM c.at) / 3600)::bigint, 'referrer', c.referrer_host, COUNT(*)
FROM clicks c JOIN links l ON l.id = c.link_id
WHERE c.agent = 'human' AND c.referrer_host IS NOT NULL
GROUP BY 1, 2, 4;

INSERT INTO visitor_day_counts (campaign_id, day, kind, visitors)
SELECT campaign_id, day, kind, COUNT(*) FROM visitor_days GROUP BY 1, 2, 3;
