//! The click writer commits a batch's click rows before its redirects are answered, and keeps
//! the batch's counters in memory for a while. A read of counters writes them first; a clean
//! stop writes them; after a crash the next start counts the clicks from their rows. Click
//! ids only grow, so "counted through id N" stays true when the newest rows are deleted.

// An unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{TimeZone, Utc};
use fanfare_core::link::{Agent, Channel, Device};
use fanfare_sqlite::SqliteStore;
use fanfare_store::{Counters, Dimension, NewClick, Page, Store};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

fn click(link_id: i64, campaign_id: i64, agent: Agent, device: Device) -> NewClick {
    NewClick {
        link_id,
        campaign_id,
        channel: Channel::Whatsapp,
        at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
        visitor_hash: format!("{device:?}"),
        agent,
        qr: false,
        referrer_host: (agent == Agent::Human).then(|| "t.co".to_owned()),
        device,
    }
}

/// What the reads say: the link's [clicks, bot clicks, QR clicks, unique clicks], the
/// campaign's [clicks, bot clicks] over all hours, and its clicks per device and referrer.
async fn counted(
    store: &SqliteStore,
    campaign_id: i64,
) -> ([u64; 4], [i64; 2], Vec<(String, i64)>) {
    let reports = store
        .link_reports(
            campaign_id,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    let (channel, stats) = reports[0].channels[0].clone();
    assert_eq!(channel, Channel::Whatsapp);
    let mut total = Counters::default();
    for (_, counters) in store
        .counters_by_channel(campaign_id, 0..i64::MAX)
        .await
        .unwrap()
    {
        total.add(&counters);
    }
    let mut values = Vec::new();
    for dimension in [Dimension::Device, Dimension::Referrer] {
        for count in store
            .dimension_counts(campaign_id, dimension, 0..i64::MAX)
            .await
            .unwrap()
        {
            values.push((count.value, count.clicks));
        }
    }
    (
        [
            stats.clicks,
            stats.bot_clicks,
            stats.qr_clicks,
            stats.unique_clicks,
        ],
        [total.clicks, total.bot_clicks],
        values,
    )
}

async fn counted_through(url: &str) -> i64 {
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT through_id FROM click_counters")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// A new store whose link was clicked once by a person on a phone and once by a link preview.
async fn person_and_preview_clicked(url: &str) -> (SqliteStore, i64, i64) {
    let (store, campaign_id, link_id) = common::store_with_link(url).await;
    store
        .record_clicks(&[
            click(link_id, campaign_id, Agent::Human, Device::Mobile),
            click(link_id, campaign_id, Agent::Preview, Device::Unknown),
        ])
        .await
        .unwrap();
    (store, campaign_id, link_id)
}

#[tokio::test]
async fn a_read_writes_the_counters_held_in_memory_first() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, _) = person_and_preview_clicked(&url).await;
    assert_eq!(
        counted_through(&url).await,
        0,
        "the counters wait in memory"
    );
    assert_eq!(
        counted(&store, campaign_id).await,
        (
            [1, 1, 0, 1],
            [1, 1],
            vec![("mobile".to_owned(), 1), ("t.co".to_owned(), 1)]
        )
    );
    assert_eq!(counted_through(&url).await, 2, "the read wrote them");
}

#[tokio::test]
async fn a_clean_stop_writes_the_counters_and_a_crash_leaves_them_to_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, link_id) = person_and_preview_clicked(&url).await;
    store.close().await;
    assert_eq!(counted_through(&url).await, 2, "closing wrote the counters");

    // A batch committed just before a `kill -9`: its rows are stored, its counters are not.
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO clicks (id, link_id, channel, at, visitor_hash, agent, qr, referrer_host, device) VALUES \
         (3, ?1, 'whatsapp', '2026-11-02T10:05:00.123456789+00:00', 'Desktop', 'human', 1, 't.co', 'desktop'), \
         (4, ?1, 'whatsapp', '2026-11-02T10:06:00+00:00', 'bot', 'bot', 0, NULL, 'unknown')",
    )
    .bind(link_id)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO link_daily_visitors (link_id, channel, day, visitor_hash) \
         VALUES (?1, 'whatsapp', '2026-11-02', 'Desktop')",
    )
    .bind(link_id)
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let expected = (
        [2, 2, 1, 2],
        [2, 2],
        vec![
            ("desktop".to_owned(), 1),
            ("mobile".to_owned(), 1),
            ("t.co".to_owned(), 2),
        ],
    );
    let store = SqliteStore::open(&url).await.unwrap();
    assert_eq!(counted_through(&url).await, 4, "the start counted them");
    assert_eq!(counted(&store, campaign_id).await, expected);
    store.close().await;
    let store = SqliteStore::open(&url).await.unwrap();
    assert_eq!(
        counted(&store, campaign_id).await,
        expected,
        "counted once, not at every start"
    );
}

#[tokio::test]
async fn click_ids_grow_when_the_newest_rows_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, link_id) = common::store_with_link(&url).await;
    let one = [click(link_id, campaign_id, Agent::Human, Device::Mobile)];
    store.record_clicks(&one).await.unwrap();
    store.record_clicks(&one).await.unwrap();
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM clicks WHERE id = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    store.record_clicks(&one).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM clicks ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(ids, [1, 3]);
    // And across a restart.
    store.close().await;
    sqlx::query("DELETE FROM clicks WHERE id = 3")
        .execute(&mut conn)
        .await
        .unwrap();
    let store = SqliteStore::open(&url).await.unwrap();
    store.record_clicks(&one).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM clicks ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(ids, [1, 4]);
}
