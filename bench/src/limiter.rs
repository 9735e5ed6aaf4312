//! `fanfare-bench limiter`: public requests per second from one visitor, then from many distinct
//! visitors (a visitor is a hash of address, user agent and campaign: from one address, each new
//! user agent is a new visitor, which is how a client rotating user agents looks). The per-visitor
//! limit is lifted out of the way (`start_server`), so both phases do the same work but for the
//! number of keys the limiter holds. The ratio is the figure: 1.0 means the number of visitors
//! does not matter.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use serde_json::json;

use crate::common::{Phase, create_key, run_phase, start_server};

#[derive(Debug, clap::Args)]
pub struct LimiterArgs {
    /// The fanfare binary to measure (build it with --release).
    #[arg(long)]
    fanfare: PathBuf,
    /// Distinct visitors in the second phase (each seen once before it starts).
    #[arg(long, default_value_t = 100_000)]
    visitors: u64,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

pub async fn run(args: LimiterArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db_url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let key = create_key(&args.fanfare, &db_url).await?;
    let (_server, base) = start_server(&args.fanfare, &db_url, &[]).await?;
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
    let url = format!("{base}/api/public/campaigns/bench");
    let seconds = Duration::from_secs(args.seconds);
    let concurrency = args.concurrency as u64;

    let one = read_campaign(&client, &url, concurrency, seconds, |_, _| 0).await;

    // Every visitor once, so the limiter holds them all when the measure starts.
    let visitors = args.visitors;
    let per_task = visitors.div_ceil(concurrency);
    let arrivals: Vec<_> = (0..concurrency)
        .map(|task| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut failed = 0;
                for visitor in task * per_task..((task + 1) * per_task).min(visitors) {
                    if !get_as(&client, &url, visitor).await {
                        failed += 1;
                    }
                }
                failed
            })
        })
        .collect();
    for arrival in arrivals {
        let failed = arrival.await?;
        if failed > 0 {
            bail!("{failed} requests failed while the visitors arrived");
        }
    }

    let many = read_campaign(&client, &url, concurrency, seconds, move |task, i| {
        (task * per_task + i) % visitors
    })
    .await;

    println!("phase                          ok/s   p50 ms   p99 ms   ok      failed");
    for (name, mut phase) in [
        ("one visitor".to_owned(), one),
        (format!("{visitors} distinct visitors"), many),
    ] {
        let (p50, p99) = (phase.percentile_ms(0.5), phase.percentile_ms(0.99));
        println!(
            "{name:<28} {:>8.0} {p50:>8.2} {p99:>8.2} {:>7} {:>6}",
            phase.per_second(),
            phase.ok,
            phase.failed
        );
    }
    Ok(())
}

/// `GET /api/public/campaigns/bench` in a loop; `visitor(task, i)` picks the user agent.
async fn read_campaign(
    client: &reqwest::Client,
    url: &str,
    concurrency: u64,
    duration: Duration,
    visitor: impl Fn(u64, u64) -> u64 + Clone + Send + Sync + 'static,
) -> Phase {
    run_phase(concurrency as usize, duration, {
        let client = client.clone();
        let url = url.to_owned();
        move |task, i| {
            let (client, url) = (client.clone(), url.clone());
            let visitor = visitor(task as u64, i);
            async move { get_as(&client, &url, visitor).await }
        }
    })
    .await
}

async fn get_as(client: &reqwest::Client, url: &str, visitor: u64) -> bool {
    client
        .get(url)
        .header("user-agent", format!("Mozilla/5.0 bench-visitor-{visitor}"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}
