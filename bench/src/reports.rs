//! Reports at scale: a campaign of a million fans in realistic cascades and ten million clicks,
//! loaded through the store (the same writes and counters as live traffic, dated over weeks),
//! then the stats, cascades and time series endpoints timed over repeated requests, for the
//! whole history and for the last 30 days, against `/healthz` on the same server.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings, Slug};
use fanfare_simulation::{Plan, simulate};
use fanfare_store::DynStore;

use crate::common::{create_key, peak_rss_mb, start_server};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The fanfare binary (release build).
    #[arg(long)]
    pub fanfare: PathBuf,
    /// sqlite://FILE or postgres://…/DATABASE: an empty database, or one an earlier run loaded
    /// (reused as it is).
    #[arg(long)]
    pub database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    pub fans: u64,
    #[arg(long, default_value_t = 10.0)]
    pub clicks_per_fan: f64,
    #[arg(long, default_value_t = 120)]
    pub days: u32,
    /// Requests per endpoint and window.
    #[arg(long, default_value_t = 30)]
    pub requests: usize,
}

const SLUG: &str = "at-scale";

async fn open(url: &str) -> anyhow::Result<DynStore> {
    Ok(if url.starts_with("sqlite:") {
        Arc::new(
            fanfare_sqlite::SqliteStore::open(url)
                .await
                .map_err(anyhow::Error::msg)?,
        )
    } else {
        Arc::new(
            fanfare_postgres::PostgresStore::open(url)
                .await
                .map_err(anyhow::Error::msg)?,
        )
    })
}

async fn load(args: &ReportArgs) -> anyhow::Result<()> {
    // The load is a bulk import: on PostgreSQL its commits need not wait for the disk (the
    // server answering the reports afterwards runs with the usual settings).
    let url = if args.database_url.starts_with("postgres") {
        let joiner = if args.database_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{joiner}options=-c%20synchronous_commit%3Doff",
            args.database_url
        )
    } else {
        args.database_url.clone()
    };
    let store = open(&url).await?;
    let slug = Slug::parse(SLUG).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    // A database loaded by an earlier run is reused as it is: two builds can then be timed on
    // the same data, one after the other (`--fanfare` names the build that serves).
    if store.get_campaign(&slug).await?.is_some() {
        println!(
            "reusing the campaign already loaded in {}",
            args.database_url
        );
        store.close().await;
        return Ok(());
    }
    let hashtags: Vec<String> = Vec::new();
    let settings = CampaignSettings::parse(RawCampaignSettings {
        kind: "message",
        title: Some("At scale"),
        description: None,
        landing_url: "https://www.example.com/",
        allowed_domains: None,
        image_url: None,
        brand_color: None,
        hashtags: &hashtags,
        channels: None,
    })
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let campaign = store.create_campaign(&slug, &settings).await?;
    let plan = Plan {
        fans: args.fans,
        clicks_per_fan: args.clicks_per_fan,
        r: 0.8,
        adhesion: 0.3,
        days: args.days,
        seed: 1,
    };
    let started = Instant::now();
    let summary = simulate(&store, campaign.id, &plan, |s| {
        if s.fans % 100_000 == 0 && s.fans > 0 {
            eprintln!(
                "  {} fans, {} clicks after {:.0} s",
                s.fans,
                s.clicks,
                started.elapsed().as_secs_f64()
            );
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "loaded {} fans, {} clicks, {} shares, {} interactions, {} visitors in {seconds:.0} s \
         ({:.0} fans/s, {:.0} clicks/s)",
        summary.fans,
        summary.clicks,
        summary.shares,
        summary.interactions,
        summary.visitors,
        summary.fans as f64 / seconds,
        summary.clicks as f64 / seconds,
    );
    store.close().await;
    Ok(())
}

struct Timing {
    first: Duration,
    median: Duration,
    p95: Duration,
}

async fn time(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    requests: usize,
) -> anyhow::Result<Timing> {
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests.max(1) {
        let t0 = Instant::now();
        let response = client.get(url).bearer_auth(key).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "{url}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        samples.push(t0.elapsed());
    }
    let first = samples[0];
    samples.sort_unstable();
    let pick = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    Ok(Timing {
        first,
        median: pick(0.5),
        p95: pick(0.95),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    load(&args).await?;
    let key = create_key(&args.fanfare, &args.database_url).await?;
    let (child, base) = start_server(&args.fanfare, &args.database_url, &[]).await?;
    let pid = child.id().context("server pid")?;
    let client = reqwest::Client::new();
    let since = (chrono::Utc::now() - chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let start = (chrono::Utc::now() - chrono::Duration::days(i64::from(args.days) + 1))
        .format("%Y-%m-%d")
        .to_string();
    let api = format!("{base}/api/v1/campaigns/{SLUG}");
    let baseline = time(&client, &format!("{base}/healthz"), &key, args.requests).await?;
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>9}",
        "request", "first ms", "median ms", "p95 ms", "× healthz"
    );
    let row = |name: &str, t: &Timing| {
        println!(
            "{name:<44} {:>10.1} {:>10.2} {:>10.2} {:>9.1}",
            ms(t.first),
            ms(t.median),
            ms(t.p95),
            ms(t.median) / ms(baseline.median).max(1e-6)
        );
    };
    row("GET /healthz (baseline)", &baseline);
    for (name, path) in [
        ("stats, whole history", "/stats".to_owned()),
        ("stats, last 30 days", format!("/stats?from={since}")),
        ("cascades, whole history", "/cascades?limit=10".to_owned()),
        (
            "cascades, last 30 days",
            format!("/cascades?limit=10&from={since}"),
        ),
        (
            "timeseries fans/day, whole history",
            format!("/timeseries?metric=fans&interval=day&from={start}"),
        ),
        (
            "timeseries clicks/day, last 30 days",
            format!("/timeseries?metric=clicks&interval=day&from={since}"),
        ),
        (
            "timeseries clicks/hour, last 30 days",
            format!("/timeseries?metric=clicks&interval=hour&from={since}"),
        ),
    ] {
        let timing = time(&client, &format!("{api}{path}"), &key, args.requests).await?;
        row(name, &timing);
    }
    // Live traffic: a fan joins before each report, so the forest is topped up and its
    // figures computed again every time (no memo can answer).
    let mut samples = Vec::new();
    for i in 0..args.requests.min(20) {
        let joined = client
            .post(format!("{base}/api/public/campaigns/{SLUG}/fans"))
            .json(&serde_json::json!({"name": format!("Late fan {i}")}))
            .send()
            .await?;
        anyhow::ensure!(joined.status().is_success(), "join: {}", joined.status());
        let t0 = Instant::now();
        let response = client
            .get(format!("{api}/stats"))
            .bearer_auth(&key)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "stats: {}",
            response.status()
        );
        response.bytes().await?;
        samples.push(t0.elapsed());
    }
    let first = samples[0];
    samples.sort_unstable();
    let live = Timing {
        first,
        median: samples[samples.len() / 2],
        p95: samples[((samples.len() - 1) as f64 * 0.95).round() as usize],
    };
    row("stats, whole history, a fan joined before each", &live);
    println!("peak RSS of fanfare serve: {:.0} MB", peak_rss_mb(pid));
    drop(child);
    Ok(())
}
