//! `fanfare-bench joins`: how many fans per second join through HTTP on the embedded default
//! (SQLite), with two baselines measured in the same run on the same machine:
//! - `GET /healthz` on the same server: the HTTP stack alone, no database;
//! - raw SQLite inserts, one transaction each, with the same pragmas (WAL, synchronous=NORMAL):
//!   what the storage alone allows.
//!
//! After the join phase the server is killed with SIGKILL and the fans in the file are counted:
//! every join answered 201 must be there.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::json;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Parser)]
#[command(about = "Joins per second through HTTP on SQLite, against same-run baselines")]
struct Args {
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

#[derive(Debug, Default)]
struct Phase {
    ok: u64,
    failed: u64,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort_unstable();
        let index = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[index].as_secs_f64() * 1000.0
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fanfare.db");
    let db_url = format!("sqlite://{}", db.display());

    let key = create_key(&args.fanfare, &db_url).await?;
    let (mut server, base) = start_server(&args.fanfare, &db_url).await?;
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

async fn create_key(fanfare: &Path, db_url: &str) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(fanfare)
        .args([
            "--database-url",
            db_url,
            "admin",
            "create-key",
            "--name",
            "bench",
        ])
        .output()
        .await
        .context("run fanfare admin create-key")?;
    if !output.status.success() {
        bail!(
            "create-key failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    stdout
        .lines()
        .last()
        .map(str::to_owned)
        .context("no key printed")
}

async fn start_server(
    fanfare: &Path,
    db_url: &str,
) -> anyhow::Result<(tokio::process::Child, String)> {
    let mut child = tokio::process::Command::new(fanfare)
        .args([
            "--database-url",
            db_url,
            "--log",
            "warn",
            // Every join comes from 127.0.0.1: lift the per-visitor limits out of the way.
            "--public-rate-limit",
            "1000000000",
            "--join-burst-limit",
            "1000000000",
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("start fanfare serve")?;
    let stdout = child.stdout.take().context("stdout")?;
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .context("the server printed nothing")?;
    let base = line
        .strip_prefix("listening on ")
        .context("unexpected first line")?
        .to_owned();
    Ok((child, base))
}

/// Runs `request(task, i)` in `concurrency` loops for `duration`.
async fn run_phase<F, Fut>(concurrency: usize, duration: Duration, request: F) -> Phase
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut phase = Phase::default();
                let mut i = 0;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    if request(task, i).await {
                        phase.ok += 1;
                        phase.latencies.push(t0.elapsed());
                    } else {
                        phase.failed += 1;
                    }
                    i += 1;
                }
                phase
            })
        })
        .collect();
    let mut total = Phase::default();
    for task in tasks {
        if let Ok(phase) = task.await {
            total.ok += phase.ok;
            total.failed += phase.failed;
            total.latencies.extend(phase.latencies);
        }
    }
    total.elapsed = started.elapsed();
    total
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
