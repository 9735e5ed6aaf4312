//! `fanfare-bench joins`: how many fans per second join through HTTP on the embedded default
//! (SQLite), with two baselines measured in the same run on the same machine:
//! - `GET /healthz` on the same server: the HTTP stack alone, no database;
//! - raw SQLite inserts, one transaction each, with the same pragmas (WAL, synchronous=NORMAL):
//!   what the storage alone allows.
//!
//! After the join phase the server is killed with SIGKILL and the fans in the file are counted:
//! every join answered 201 must be there.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use serde_json::json;
use sqlx::Connection;

use crate::common::{Phase, create_key, run_phase, start_server};

#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// The fanfare binary to measure (build it with --release).
    #[arg(long)]
    fanfare: PathBuf,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

pub async fn run(args: JoinArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fanfare.db");
    let db_url = format!("sqlite://{}", db.display());

    let key = create_key(&args.fanfare, &db_url).await?;
    let (mut server, base) = start_server(&args.fanfare, &db_url, &[]).await?;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{base}/api/v1/campaigns"))
        .bearer_auth(&key)
        .json(&json!({"slug": "bench", "kind": "brand", "landing_url": "https://example.com/"}))
        .send()
        .await?;
    if created.status() != 201 {
        bail!("cannot create the campaign: {}", created.text().await?);
    }

    let seconds = Duration::from_secs(args.seconds);
    let mut health = run_phase(args.concurrency, seconds, {
        let client = client.clone();
        let url = format!("{base}/healthz");
        move |_, _| {
            let client = client.clone();
            let url = url.clone();
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    })
    .await;

    let mut joins = run_phase(args.concurrency, seconds, {
        let client = client.clone();
        let url = format!("{base}/api/public/campaigns/bench/fans");
        move |task, i| {
            let client = client.clone();
            let url = url.clone();
            async move {
                client
                    .post(url)
                    // A distinct visitor per join, as real traffic would be.
                    .header("user-agent", format!("bench-{task}-{i}"))
                    .json(&json!({"name": format!("Fan {task}-{i}"), "email": format!("fan{task}-{i}@example.com")}))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 201)
            }
        }
    })
    .await;

    // No graceful shutdown: what was acknowledged must already be on disk.
    server.start_kill()?;
    server.wait().await?;
    let durable = count_fans(&db).await?;

    let mut raw = raw_sqlite_inserts(dir.path(), args.concurrency, seconds).await?;

    println!("phase                     ok/s   p50 ms   p99 ms   ok      failed");
    for (name, phase) in [
        ("GET /healthz (baseline)", &mut health),
        ("raw SQLite insert (baseline)", &mut raw),
        ("POST join", &mut joins),
    ] {
        let (p50, p99) = (phase.percentile_ms(0.5), phase.percentile_ms(0.99));
        println!(
            "{name:<28} {:>8.0} {p50:>8.2} {p99:>8.2} {:>7} {:>6}",
            phase.per_second(),
            phase.ok,
            phase.failed
        );
    }
    println!(
        "joins / healthz = {:.3}   joins / raw inserts = {:.3}",
        joins.per_second() / health.per_second(),
        joins.per_second() / raw.per_second()
    );
    println!(
        "durability: {} joins acknowledged with 201, {} fans in the file after SIGKILL",
        joins.ok, durable
    );
    if durable < joins.ok {
        bail!("acknowledged joins were lost");
    }
    Ok(())
}

async fn count_fans(db: &Path) -> anyhow::Result<u64> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fans")
        .fetch_one(&mut conn)
        .await?;
    Ok(count.unsigned_abs())
}

/// The storage alone: one row of a fan's size per transaction, same pragmas, same concurrency.
async fn raw_sqlite_inserts(
    dir: &Path,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Phase> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
        "sqlite://{}",
        dir.join("raw.db").display()
    ))?
    .create_if_missing(true)
    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
    .busy_timeout(Duration::from_secs(5));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE rows (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id INTEGER NOT NULL, \
         code TEXT UNIQUE, name TEXT, email TEXT, created_at TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    sqlx::query("CREATE UNIQUE INDEX rows_email ON rows (campaign_id, email)")
        .execute(&pool)
        .await?;
    let pool = Arc::new(pool);
    let phase = run_phase(concurrency, duration, move |task, i| {
        let pool = Arc::clone(&pool);
        async move {
            sqlx::query(
                "INSERT INTO rows (campaign_id, code, name, email, created_at) VALUES (1, ?, ?, ?, datetime('now'))",
            )
            .bind(format!("c{task}-{i}"))
            .bind(format!("Fan {task}-{i}"))
            .bind(format!("fan{task}-{i}@example.com"))
            .execute(&*pool)
            .await
            .is_ok()
        }
    })
    .await;
    Ok(phase)
}
