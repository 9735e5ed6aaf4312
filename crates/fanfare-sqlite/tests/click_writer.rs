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
    let counted: i64 = sqlx::query_scalar("SELECT clicks FROM link_stats WHERE link_id = ?")
        .bind(link_id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(counted, 1);
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
