//! `fanfare-bench crash`: clients click as fast as they can; the server is killed with SIGKILL
//! in the middle; every click that got its `302` must be in the database when it is opened
//! again. Clicks committed whose `302` never arrived (cut by the kill) may be there too: the
//! rule is "no acknowledged click lost", not "exactly once".

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::common::{create_key, start_server};

#[derive(Debug, clap::Args)]
pub struct CrashArgs {
    #[arg(long)]
    fanfare: PathBuf,
    /// Seconds of load before the kill.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

pub async fn run(args: CrashArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fanfare.db");
    let database_url = format!("sqlite://{}", db.display());
    let key = create_key(&args.fanfare, &database_url).await?;
    let (mut server, base) = start_server(&args.fanfare, &database_url, &[]).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    client
        .post(format!("{base}/api/v1/campaigns"))
        .bearer_auth(&key)
        .json(&json!({"slug": "crash", "kind": "brand", "landing_url": "https://www.example.com/"}))
        .send()
        .await?;
    let mut links = Vec::new();
    for i in 0..50 {
        let fan: Value = client
            .post(format!("{base}/api/public/campaigns/crash/fans"))
            .header("user-agent", format!("seed-{i}"))
            .json(&json!({"name": format!("Fan {i}")}))
            .send()
            .await?
            .json()
            .await?;
        links.push(fan["links"]["x"].as_str().unwrap_or_default().to_owned());
    }
    let links = Arc::new(links);
    let acknowledged = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|task| {
            let (client, links, acknowledged) =
                (client.clone(), links.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let mut i = task;
                loop {
                    let link = &links[i % links.len()];
                    i += 1;
                    match client
                        .get(link)
                        .header(
                            "user-agent",
                            format!("Mozilla/5.0 (X11; Linux) visitor/{task}-{i}"),
                        )
                        .send()
                        .await
                    {
                        Ok(response) if response.status() == 302 => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(_) => {}
                        // The server is gone: this client is done.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    server.start_kill()?; // SIGKILL: no shutdown, no flush
    server.wait().await?;
    for task in tasks {
        let _ = task.await;
    }
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    let mut conn = sqlx::SqliteConnection::connect(&database_url).await?;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clicks")
        .fetch_one(&mut conn)
        .await?;
    println!(
        "SIGKILL after {} s of {} concurrent clients: {acknowledged} clicks acknowledged with 302, {stored} in the database after restart, {} lost",
        args.seconds,
        args.concurrency,
        acknowledged.saturating_sub(stored.unsigned_abs())
    );
    if stored.unsigned_abs() < acknowledged {
        bail!("acknowledged clicks were lost");
    }
    conn.close().await?;

    // The counters the kill left in memory are counted from the rows at the next start: the
    // links API must then agree with the rows.
    let (mut server, base) = start_server(&args.fanfare, &database_url, &[]).await?;
    let mut counted = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client
            .get(format!("{base}/api/v1/campaigns/crash/links"))
            .query(&[("limit", "100")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let page: Value = request
            .bearer_auth(&key)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for link in page["items"].as_array().into_iter().flatten() {
            for stats in link["stats"].as_array().into_iter().flatten() {
                counted += stats["clicks"].as_i64().unwrap_or_default()
                    + stats["bot_clicks"].as_i64().unwrap_or_default();
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    server.start_kill()?;
    server.wait().await?;
    println!("after restart, the links API counts {counted} clicks ({stored} rows)");
    if counted != stored {
        bail!("the counters disagree with the stored clicks after restart");
    }
    Ok(())
}
