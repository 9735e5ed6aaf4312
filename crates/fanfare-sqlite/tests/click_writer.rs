//! The click writer talks to SQLite directly, while every other query goes through sqlx: the
//! rows it writes must be the rows sqlx would have written (the same text for times and days,
//! which range queries compare as text), and a closed store must refuse clicks.

// An unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fanfare_core::link::{Agent, Channel, Device};
use fanfare_store::{NewClick, Store, StoreError};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

/// A click row: `at` as text and as read by sqlx, referrer, qr, device.
type StoredClick = (String, DateTime<Utc>, Option<String>, bool, String);
/// A click row: id, time, agent, visitor hash, referrer.
type RowOfBatch = (i64, DateTime<Utc>, String, String, Option<String>);

fn click(link_id: i64, campaign_id: i64, at: DateTime<Utc>, referrer: Option<&str>) -> NewClick {
    NewClick {
        link_id,
        campaign_id,
        channel: Channel::Whatsapp,
        at,
        visitor_hash: "0123456789abcdef0123456789abcdef".to_owned(),
        agent: Agent::Human,
        qr: false,
        referrer_host: referrer.map(str::to_owned),
        device: Device::Mobile,
    }
}

/// The human clicks the stored counters hold for a link clicked on one channel only.
async fn human_clicks_counted(conn: &mut SqliteConnection, link_id: i64) -> i64 {
    sqlx::query_scalar("SELECT clicks FROM link_stats WHERE link_id = ?")
        .bind(link_id)
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn clicks_are_stored_in_the_text_forms_sqlx_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, link_id) = common::store_with_link(&url).await;
    let precise = Utc.timestamp_opt(1_795_000_000, 123_456_789).unwrap();
    let whole = Utc.timestamp_opt(1_795_086_400, 0).unwrap();
    store
        .record_clicks(&[
            click(link_id, campaign_id, precise, Some("news.example")),
            click(link_id, campaign_id, whole, None),
        ])
        .await
        .unwrap();

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<StoredClick> = sqlx::query_as(
        "SELECT at, at, referrer_host, qr, device FROM clicks WHERE link_id = ? ORDER BY id",
    )
    .bind(link_id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    for ((text, parsed, _, qr, device), at) in rows.iter().zip([precise, whole]) {
        let sqlx_text: String = sqlx::query_scalar("SELECT ?")
            .bind(at)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(text, &sqlx_text, "the same text as sqlx writes");
        assert_eq!(*parsed, at, "read back to the nanosecond");
        assert!(!qr);
        assert_eq!(device, "mobile");
    }
    assert_eq!(rows[0].2.as_deref(), Some("news.example"));
    assert_eq!(rows[1].2, None, "no referrer is NULL, not an empty string");

    let days: Vec<(String, NaiveDate)> =
        sqlx::query_as("SELECT day, day FROM link_daily_visitors WHERE link_id = ? ORDER BY day")
            .bind(link_id)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let expected: Vec<NaiveDate> = [precise, whole].iter().map(|at| at.date_naive()).collect();
    assert_eq!(
        days.iter().map(|(_, day)| *day).collect::<Vec<_>>(),
        expected
    );
    for (text, day) in &days {
        let sqlx_text: String = sqlx::query_scalar("SELECT ?")
            .bind(*day)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(text, &sqlx_text);
    }
}

#[tokio::test]
async fn a_closed_store_refuses_clicks_and_a_failed_batch_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, link_id) = common::store_with_link(&url).await;
    let now = Utc::now();

    // A click on a link that does not exist breaks the foreign key half-way through the batch:
    // the valid click before it must not be stored either.
    let error = store
        .record_clicks(&[
            click(link_id, campaign_id, now, None),
            click(link_id + 1000, campaign_id, now, None),
        ])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error:?}");
    store
        .record_clicks(&[click(link_id, campaign_id, now, None)])
        .await
        .unwrap();
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clicks")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, 1, "only the batch that committed");

    // Closing writes the counters held in memory: the failed batch's are not among them.
    store.close().await;
    assert_eq!(human_clicks_counted(&mut conn, link_id).await, 1);
    let refused = store
        .record_clicks(&[click(link_id, campaign_id, now, None)])
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Unavailable(_)), "{refused:?}");
    let writer = store.blocking_click_writer().unwrap();
    assert!(matches!(
        writer.write_clicks(&[click(link_id, campaign_id, now, None)]),
        Err(StoreError::Unavailable(_))
    ));
}

/// A batch as large as the click pipeline gathers under load (bots among humans, visitors
/// repeated within it): every row lands whole, in order, with the ids following on, and each
/// visitor is counted once.
#[tokio::test]
async fn a_large_batch_is_stored_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, link_id) = common::store_with_link(&url).await;
    let start = Utc.timestamp_opt(1_795_000_000, 0).unwrap();
    store
        .record_clicks(&[click(link_id, campaign_id, start, None)])
        .await
        .unwrap();
    let batch: Vec<NewClick> = (0..37i64)
        .map(|i| NewClick {
            // Every third click is a bot; visitors repeat within the batch (7 of them).
            agent: if i % 3 == 2 { Agent::Bot } else { Agent::Human },
            visitor_hash: format!("{:032x}", i % 7),
            ..click(
                link_id,
                campaign_id,
                start + chrono::Duration::seconds(i),
                Some(&format!("site{i}.example")),
            )
        })
        .collect();
    store.record_clicks(&batch).await.unwrap();

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<RowOfBatch> = sqlx::query_as(
        "SELECT id, at, agent, visitor_hash, referrer_host FROM clicks WHERE id > 1 ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 37);
    for ((id, at, agent, visitor, referrer), (i, sent)) in rows.iter().zip(batch.iter().enumerate())
    {
        assert_eq!(*id, i64::try_from(i).unwrap() + 2, "ids follow on");
        assert_eq!(*at, sent.at);
        assert_eq!(agent, sent.agent.as_str());
        assert_eq!(visitor, &sent.visitor_hash);
        assert_eq!(referrer, &sent.referrer_host);
    }
    // Unique visitors: the seven hashes, each seen by a human (the first click's visitor is
    // the eighth hash, from the batch before).
    let visitors: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM link_daily_visitors")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(visitors, 8);
    store.close().await;
    let (humans, bots): (i64, i64) =
        sqlx::query_as("SELECT clicks, bot_clicks FROM link_stats WHERE link_id = ?")
            .bind(link_id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((humans, bots), (1 + 25, 12));
}

/// A commit that would wait for a lock is not attempted by `try_write_clicks`: it stores
/// nothing, leaves the ids and the counters as they were, and the same batch goes through once
/// the lock is released (and through `write_clicks`, which waits for it).
#[tokio::test]
async fn a_batch_held_up_by_a_lock_is_left_whole_for_a_waiting_commit() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let (store, campaign_id, link_id) = common::store_with_link(&url).await;
    let writer = store.blocking_click_writer().unwrap();
    let now = Utc::now();
    let batch = [
        click(link_id, campaign_id, now, Some("news.example")),
        click(link_id, campaign_id, now, None),
    ];
    assert!(writer.try_write_clicks(&[]).unwrap(), "nothing to commit");

    let mut blocker = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert!(
        !writer.try_write_clicks(&batch).unwrap(),
        "held up by the lock"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "it did not wait for the busy timeout"
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clicks")
        .fetch_one(&mut blocker)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // A waiting commit goes through as soon as the lock is released.
    let waiting = {
        let writer = writer.clone();
        let batch = batch.clone();
        tokio::task::spawn_blocking(move || writer.write_clicks(&batch))
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "write_clicks waits for the lock");
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    waiting.await.unwrap().unwrap();
    assert!(writer.try_write_clicks(&batch).unwrap());

    // Four clicks, with ids following on, counted once each.
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM clicks ORDER BY id")
        .fetch_all(&mut blocker)
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");
    store.close().await;
    assert_eq!(human_clicks_counted(&mut blocker, link_id).await, 4);
    assert!(matches!(
        writer.try_write_clicks(&batch),
        Err(StoreError::Unavailable(_))
    ));
}
