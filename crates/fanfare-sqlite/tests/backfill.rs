//! A database made before the report counters existed: migrating it fills the counters from
//! the rows already stored, so its reports are right from the first start of the new version.

// An unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use fanfare_core::fan::VisitorEvent;
use fanfare_sqlite::SqliteStore;
use fanfare_store::{Counters, Dimension, Store};

/// Migrations 0001 to 0005: the schema before the counters.
async fn old_schema(url: &str, scratch: &Path) {
    let pool = common::schema_before(url, scratch, "0006").await;
    // One campaign; Ada came on her own, Bob through her X link, Eve through Ada too but
    // flagged; Ada's link was clicked twice by people and once by a crawler and shared once;
    // Bob created something; three visitors saw the page on one day.
    sqlx::raw_sql(
        "INSERT INTO campaigns (id, slug, kind, landing_url, allowed_domains, hashtags, created_at, updated_at) \
         VALUES (1, 'old', 'message', 'https://www.example.com/', '[]', '[]', '2026-03-01T09:00:00+00:00', '2026-03-01T09:00:00+00:00');
         INSERT INTO fans (id, campaign_id, ref_code, referrer_id, root_id, depth, flags, joined_at, channel) VALUES
           (1, 1, 'ADA0000000', NULL, NULL, 0, '[]', '2026-03-01T10:15:00+00:00', NULL),
           (2, 1, 'BOB0000000', 1, 1, 1, '[]', '2026-03-01T12:30:00+00:00', 'x'),
           (3, 1, 'EVE0000000', 1, 1, 1, '[\"self_referral\"]', '2026-03-01T12:40:00+00:00', 'x');
         INSERT INTO links (id, key, campaign_id, fan_id, created_at) VALUES
           (1, 'AAAAAAAA', 1, 1, '2026-03-01T10:15:00+00:00'),
           (2, 'BBBBBBBB', 1, 2, '2026-03-01T12:30:00+00:00');
         INSERT INTO clicks (link_id, channel, at, visitor_hash, agent, qr, referrer_host, device) VALUES
           (1, 'x', '2026-03-01T12:00:00+00:00', 'v1', 'human', 0, 't.co', 'mobile'),
           (1, 'x', '2026-03-01T12:05:00+00:00', 'v2', 'human', 0, NULL, 'desktop'),
           (1, 'x', '2026-03-01T12:01:00+00:00', 'bot', 'preview', 0, NULL, 'unknown');
         INSERT INTO shares (link_id, channel, at) VALUES (1, 'x', '2026-03-01T11:00:00+00:00');
         INSERT INTO interactions (campaign_id, fan_id, kind, body, status, created_at) VALUES
           (1, 2, 'creation', 'my bike', 'pending', '2026-03-01T13:00:00+00:00');
         INSERT INTO visitor_days (campaign_id, day, kind, visitor_hash) VALUES
           (1, '2026-03-01', 'view', 'a'), (1, '2026-03-01', 'view', 'b'), (1, '2026-03-01', 'view', 'c'),
           (1, '2026-03-01', 'join_started', 'a');",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn the_migration_fills_the_counters_from_stored_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    old_schema(&url, &dir.path().join("old-migrations")).await;
    let store = SqliteStore::open(&url)
        .await
        .expect("the new version opens it");

    let mut total = Counters::default();
    for (_, counters) in store.counters_by_channel(1, 0..i64::MAX).await.unwrap() {
        total.add(&counters);
    }
    assert_eq!(
        total,
        Counters {
            fans: 2,
            referred_fans: 1,
            flagged_fans: 1,
            appropriators: 1,
            creators: 1,
            sharers: 1,
            ambassadors: 1,
            clicks: 2,
            bot_clicks: 1,
            shares: 1,
            interactions: 1,
        }
    );
    // Ada's cohort (10:00) holds her share and ambassador status; Bob's (12:00) his creation.
    let by_hour = store.counters_by_hour(1, 0..i64::MAX).await.unwrap();
    let ten = fanfare_store::hour_of("2026-03-01T10:00:00Z".parse().unwrap());
    assert_eq!(
        by_hour
            .iter()
            .map(|(h, c)| (
                h - ten,
                [
                    c.fans,
                    c.sharers,
                    c.ambassadors,
                    c.creators,
                    c.clicks,
                    c.shares,
                    c.interactions
                ]
            ))
            .collect::<Vec<_>>(),
        [
            (0, [1, 1, 1, 0, 0, 0, 0]),
            (1, [0, 0, 0, 0, 0, 1, 0]),
            (2, [1, 0, 0, 1, 2, 0, 0]),
            (3, [0, 0, 0, 0, 0, 0, 1]),
        ]
    );
    let referrers = store
        .dimension_counts(1, Dimension::Referrer, 0..i64::MAX)
        .await
        .unwrap();
    assert_eq!(referrers.len(), 1);
    assert_eq!(
        (referrers[0].value.as_str(), referrers[0].clicks),
        ("t.co", 1)
    );
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    assert_eq!(
        store
            .count_visitor_events(1, VisitorEvent::View, day, day)
            .await
            .unwrap(),
        3
    );
}
