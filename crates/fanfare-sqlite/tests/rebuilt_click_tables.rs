//! Migration 0008 rebuilds the tables every click writes (clicks, link_stats and the hourly
//! dimensions) in a cheaper form. A database made before it keeps every row and counter, the
//! rules on the values still hold, and a click no longer builds a temporary table.

// An unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use fanfare_core::link::{Agent, Channel, Device};
use fanfare_sqlite::SqliteStore;
use fanfare_store::{Dimension, NewClick, Page, Store};
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Row};

/// The opcodes SQLite runs for `statement`.
async fn opcodes(conn: &mut SqliteConnection, statement: &str) -> Vec<String> {
    sqlx::query(&format!("EXPLAIN {statement}"))
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>("opcode"))
        .collect()
}

#[tokio::test]
async fn the_rebuilt_tables_keep_their_rows_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let pool = common::schema_before(&url, &dir.path().join("old-migrations"), "0008").await;
    sqlx::raw_sql(
        "INSERT INTO campaigns (id, slug, kind, landing_url, allowed_domains, hashtags, created_at, updated_at) \
         VALUES (1, 'old', 'message', 'https://www.example.com/', '[]', '[]', '2026-03-01T09:00:00+00:00', '2026-03-01T09:00:00+00:00');
         INSERT INTO fans (id, campaign_id, ref_code, referrer_id, root_id, depth, flags, joined_at, channel) VALUES
           (1, 1, 'ADA0000000', NULL, NULL, 0, '[]', '2026-03-01T10:15:00+00:00', NULL);
         INSERT INTO links (id, key, campaign_id, fan_id, created_at) VALUES
           (1, 'AAAAAAAA', 1, 1, '2026-03-01T10:15:00+00:00');
         INSERT INTO clicks (id, link_id, channel, at, visitor_hash, agent, qr, referrer_host, device) VALUES
           (10, 1, 'x', '2026-03-01T12:00:00+00:00', 'v1', 'human', 0, 't.co', 'mobile'),
           (11, 1, 'x', '2026-03-01T12:01:00+00:00', 'bot', 'preview', 0, NULL, 'unknown');
         INSERT INTO link_daily_visitors (link_id, channel, day, visitor_hash) VALUES
           (1, 'x', '2026-03-01', 'v1');
         INSERT INTO link_stats (link_id, channel, clicks, bot_clicks, qr_clicks, shares) VALUES
           (1, 'x', 5, 2, 1, 3);
         INSERT INTO campaign_hour_dimensions (campaign_id, hour, dimension, value, clicks, fans) VALUES
           (1, 494100, 'referrer', 't.co', 4, 1);",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&url)
        .await
        .expect("the new version opens it");
    let stats = |reports: Vec<fanfare_store::LinkReport>| {
        let (channel, stats) = reports[0].channels[0].clone();
        (
            channel,
            [
                stats.clicks,
                stats.bot_clicks,
                stats.qr_clicks,
                stats.shares,
                stats.unique_clicks,
            ],
        )
    };
    let page = Page {
        after: None,
        limit: 10,
    };
    assert_eq!(
        stats(store.link_reports(1, page).await.unwrap()),
        (Channel::X, [5, 2, 1, 3, 1])
    );
    let referrers = store
        .dimension_counts(1, Dimension::Referrer, 0..i64::MAX)
        .await
        .unwrap();
    assert_eq!(
        referrers
            .iter()
            .map(|r| (r.value.as_str(), r.clicks, r.fans))
            .collect::<Vec<_>>(),
        [("t.co", 4, 1)]
    );

    // The click writer adds to the kept counter, and new rows follow the kept ones.
    store
        .record_clicks(&[NewClick {
            link_id: 1,
            campaign_id: 1,
            channel: Channel::X,
            at: Utc::now(),
            visitor_hash: "v2".to_owned(),
            agent: Agent::Human,
            qr: false,
            referrer_host: None,
            device: Device::Desktop,
        }])
        .await
        .unwrap();
    assert_eq!(
        stats(store.link_reports(1, page).await.unwrap()),
        (Channel::X, [6, 2, 1, 3, 2])
    );
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, agent FROM clicks ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        rows.iter()
            .map(|(id, agent)| (*id, agent.as_str()))
            .collect::<Vec<_>>(),
        [(10, "human"), (11, "preview"), (12, "human")]
    );

    // The rules still refuse what they refused.
    let refused = sqlx::query(
        "INSERT INTO clicks (link_id, channel, at, visitor_hash, agent, qr, device) \
         VALUES (1, 'x', '2026-03-02T00:00:00+00:00', 'v3', 'robot', 0, 'desktop')",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("CHECK"), "{refused}");
    let refused = sqlx::query(
        "INSERT INTO campaign_hour_dimensions (campaign_id, hour, dimension, value, clicks) \
         VALUES (1, 494101, 'country', 'fr', 1)",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("CHECK"), "{refused}");
    let orphan =
        sqlx::query("INSERT INTO link_stats (link_id, channel, clicks) VALUES (99, 'x', 1)")
            .execute(&mut conn)
            .await
            .unwrap_err();
    assert!(orphan.to_string().contains("FOREIGN KEY"), "{orphan}");

    // Why the tables were rebuilt: a click's insert no longer builds a temporary table, and a
    // counter update writes one B-tree.
    let insert_click = opcodes(
        &mut conn,
        "INSERT INTO clicks (link_id, channel, at, visitor_hash, agent, qr, device) \
         VALUES (1, 'x', '2026-03-02T00:00:00+00:00', 'v3', 'human', 0, 'desktop')",
    )
    .await;
    assert!(
        insert_click.iter().any(|op| op == "Insert"),
        "{insert_click:?}"
    );
    assert!(
        !insert_click.iter().any(|op| op == "OpenEphemeral"),
        "{insert_click:?}"
    );
    let schema: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE name = 'link_stats'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(schema.contains("WITHOUT ROWID"), "{schema}");
}
