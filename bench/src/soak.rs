//! `fanfare-bench soak`: a long mixed load on the embedded default (SQLite): joins, clicks on
//! fans' links, page views, shares and stats reads from a closed loop of clients, and an audit
//! of a loopback page every second. Every `--every` seconds it prints the server's resident
//! memory (and its lowest and highest over the interval, read every second) and each route's p99
//! over that interval; at the end, whether memory stayed flat (after the warm-up, every sample
//! within ±10 % of the first one after it), the errors, and an SVG plot of memory over time.
//! `--skip` leaves routes out of the mix, to find which one moves memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::common::{Phase, create_key, rss_mb, start_server};

#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// The fanfare binary to measure (build it with --release).
    #[arg(long)]
    fanfare: PathBuf,
    /// Minutes of load.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Minutes of warm-up left out of the flatness check: the time caches (SQLite's pages, the
    /// agents, the links) take to fill as the database grows.
    #[arg(long, default_value_t = 10)]
    warm_up_minutes: u64,
    /// Seconds between two samples.
    #[arg(long, default_value_t = 30)]
    every: u64,
    /// Concurrent clients (the audit has its own).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Where to write the plot of memory over time.
    #[arg(long, default_value = "bench/soak-rss.svg")]
    plot: PathBuf,
    /// Routes left out of the mix (comma-separated: join, click, view, share, stats, audit), to
    /// find which one moves memory.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
}

const ROUTES: [&str; 6] = ["join", "click", "view", "share", "stats", "audit"];

/// Latencies and errors of the current interval, per route.
#[derive(Default)]
struct Interval {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<&'static str, u64>,
}

type Shared = Arc<Mutex<Interval>>;

fn record(shared: &Shared, route: &'static str, started: Instant, ok: bool) {
    let mut interval = shared.lock().unwrap_or_else(|e| e.into_inner());
    if ok {
        interval
            .latencies
            .entry(route)
            .or_default()
            .push(started.elapsed());
    } else {
        *interval.errors.entry(route).or_default() += 1;
    }
}

pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    // The audited page: a plain landing page on loopback.
    let page = Router::new().route(
        "/landing",
        get(|| async {
            axum::response::Html(
                "<!doctype html><html lang=en><head><title>Spring</title>\
                 <meta property=og:title content=Spring><meta name=description content='A page'>\
                 </head><body><h1>Spring</h1></body></html>",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let landing = format!("http://{}/landing", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, page).await });

    let dir = tempfile::tempdir()?;
    let db_url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let key = create_key(&args.fanfare, &db_url).await?;
    let (server, base) = start_server(
        &args.fanfare,
        &db_url,
        &["--allow-private-addresses", "true"],
    )
    .await?;
    let pid = server.id().context("server pid")?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let created = client
        .post(format!("{base}/api/v1/campaigns"))
        .bearer_auth(&key)
        .json(&json!({"slug": "soak", "kind": "brand", "landing_url": landing}))
        .send()
        .await?;
    if created.status() != 201 {
        bail!("cannot create the campaign: {}", created.text().await?);
    }

    let shared: Shared = Arc::default();
    // Links of fans joined so far: clicks and shares go to them.
    let links: Arc<Mutex<Vec<String>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(args.minutes * 60);
    let mut tasks = Vec::new();
    for task in 0..args.concurrency {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        let (shared, links) = (shared.clone(), links.clone());
        let skip = args.skip.clone();
        tasks.push(tokio::spawn(async move {
            let mut i: u64 = 0;
            while Instant::now() < deadline {
                i += 1;
                // One join in ten operations, then clicks, views, shares, and a stats read.
                let route = match i % 10 {
                    0 => "join",
                    1..=4 => "click",
                    5..=6 => "view",
                    7..=8 => "share",
                    _ => "stats",
                };
                if skip.iter().any(|s| s == route) {
                    continue;
                }
                let agent = format!("Mozilla/5.0 (soak {task}-{i}) Firefox/133.0");
                let started = Instant::now();
                let link = {
                    let links = links.lock().unwrap_or_else(|e| e.into_inner());
                    (!links.is_empty()).then(|| links[(i as usize * 7919) % links.len()].clone())
                };
                let ok = match (route, link) {
                    ("join", _) | ("click" | "share", None) => {
                        let response = client
                            .post(format!("{base}/api/public/campaigns/soak/fans"))
                            .header("user-agent", &agent)
                            .json(&json!({"name": format!("Fan {task}-{i}")}))
                            .send()
                            .await;
                        match response {
                            Ok(r) if r.status() == 201 => {
                                let body: Value = r.json().await.unwrap_or_default();
                                if let Some(link) = body["links"]["x"].as_str() {
                                    let mut links = links.lock().unwrap_or_else(|e| e.into_inner());
                                    if links.len() < 10_000 {
                                        links.push(link.to_owned());
                                    }
                                }
                                true
                            }
                            _ => false,
                        }
                    }
                    ("click", Some(link)) => client
                        .get(link)
                        .header("user-agent", &agent)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 302),
                    ("share", Some(link)) => client
                        .get(link.replacen("/s/", "/share/", 1))
                        .header("user-agent", &agent)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_redirection() || r.status().is_success()),
                    ("view", _) => client
                        .post(format!("{base}/api/public/campaigns/soak/views"))
                        .header("user-agent", &agent)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 204),
                    _ => client
                        .get(format!("{base}/api/v1/campaigns/soak/stats"))
                        .bearer_auth(&key)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200),
                };
                record(&shared, route, started, ok);
            }
        }));
    }
    if !args.skip.iter().any(|s| s == "audit") {
        let (client, base, key, shared) =
            (client.clone(), base.clone(), key.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while Instant::now() < deadline {
                tick.tick().await;
                let started = Instant::now();
                let ok = client
                    .get(format!("{base}/api/v1/campaigns/soak/audit"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                record(&shared, "audit", started, ok);
            }
        }));
    }

    let started = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut total_errors = 0u64;
    let mut p99_by_route: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    print!("minute   rss MB  (1 Hz min–max)");
    for route in ROUTES {
        print!("  {route:>7} p99");
    }
    println!("  errors");
    while Instant::now() < deadline {
        // Memory is read every second too: a sample every 30 s alone cannot tell a swing of a
        // few seconds from a trend.
        let (mut low, mut high) = (f64::MAX, f64::MIN);
        for _ in 0..args.every {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = rss_mb(pid);
            (low, high) = (low.min(now), high.max(now));
        }
        let interval = std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner()));
        let minute = started.elapsed().as_secs_f64() / 60.0;
        let rss = rss_mb(pid);
        samples.push((minute, rss));
        let errors: u64 = interval.errors.values().sum();
        total_errors += errors;
        print!("{minute:>6.1} {rss:>8.1}  ({low:>5.0}–{high:<5.0})  ");
        for route in ROUTES {
            let p99 = interval.latencies.get(route).map_or(0.0, |latencies| {
                Phase {
                    latencies: latencies.clone(),
                    ..Phase::default()
                }
                .percentile_ms(0.99)
            });
            p99_by_route.entry(route).or_default().push(p99);
            print!("  {p99:>8.1} ms");
        }
        println!("  {errors:>6}");
    }
    for task in tasks {
        task.await.ok();
    }

    let warm: Vec<f64> = samples
        .iter()
        .filter(|(minute, _)| *minute >= args.warm_up_minutes as f64)
        .map(|(_, rss)| *rss)
        .collect();
    let reference = warm.first().copied().unwrap_or_default();
    let (low, high) = warm
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    let spread = if reference > 0.0 {
        ((high - reference).max(reference - low)) / reference * 100.0
    } else {
        0.0
    };
    println!(
        "rss after warm-up: first {reference:.1} MB, range {low:.1}–{high:.1} MB, largest deviation {spread:.1} % ({})",
        if spread <= 10.0 {
            "flat within ±10 %"
        } else {
            "NOT flat"
        }
    );
    for (route, p99s) in &p99_by_route {
        let steady: Vec<f64> = p99s.iter().copied().skip(1).collect();
        let (lo, hi) = steady
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(*p), hi.max(*p)));
        println!("{route:>6} p99 per interval: {lo:.1}–{hi:.1} ms");
    }
    println!("errors: {total_errors}");
    std::fs::write(&args.plot, svg_plot(&samples, args.warm_up_minutes as f64))?;
    println!("plot: {}", args.plot.display());
    drop(server);
    if total_errors > 0 || spread > 10.0 {
        bail!("the soak did not hold");
    }
    Ok(())
}

/// Memory over time as a small SVG line chart, the warm-up shaded.
fn svg_plot(samples: &[(f64, f64)], warm_up: f64) -> String {
    let (width, height, margin) = (640.0, 240.0, 40.0);
    let last_minute = samples.last().map_or(1.0, |s| s.0).max(1.0);
    let top = samples.iter().map(|s| s.1).fold(0.0, f64::max).max(1.0) * 1.2;
    let x = |minute: f64| margin + minute / last_minute * (width - 2.0 * margin);
    let y = |mb: f64| height - margin - mb / top * (height - 2.0 * margin);
    let points: Vec<String> = samples
        .iter()
        .map(|(m, r)| format!("{:.1},{:.1}", x(*m), y(*r)))
        .collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <rect x=\"{m:.1}\" y=\"{m:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"#eee\"/>\n\
         <text x=\"{tx:.1}\" y=\"{ty:.1}\">warm-up</text>\n",
        m = margin,
        w = x(warm_up.min(last_minute)) - margin,
        h = height - 2.0 * margin,
        tx = margin + 4.0,
        ty = margin + 14.0,
    );
    svg.push_str(&format!(
        "<line x1=\"{m}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"black\"/>\n\
         <line x1=\"{m}\" y1=\"{m}\" x2=\"{m}\" y2=\"{b}\" stroke=\"black\"/>\n\
         <text x=\"{m}\" y=\"{below}\">0</text><text x=\"{r}\" y=\"{below}\" text-anchor=\"end\">{last_minute:.0} min</text>\n\
         <text x=\"4\" y=\"{m}\">{top:.0} MB</text><text x=\"4\" y=\"{b}\">0 MB</text>\n\
         <polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"{points}\"/>\n\
         <text x=\"{mid}\" y=\"16\" text-anchor=\"middle\">Fanfare resident memory under mixed load (SQLite)</text>\n</svg>\n",
        m = margin,
        b = height - margin,
        r = width - margin,
        below = height - margin + 14.0,
        mid = width / 2.0,
        points = points.join(" "),
    ));
    svg
}
