//! `fanfare demo`: a server on its own SQLite file, with a campaign whose weeks of history are
//! simulated (see `fanfare_simulation` for the model), so that the dashboard is alive
//! from the first minute.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use fanfare_core::api_key::{NewApiKey, parse_key_name};
use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings, Slug};
use fanfare_simulation::{Plan, simulate};
use fanfare_store::DynStore;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo's own database, replaced on each start (never the one `serve` uses).
    #[arg(long, default_value = "fanfare-demo.db", value_name = "FILE")]
    pub file: String,
    /// Fans to simulate.
    #[arg(long, default_value_t = Plan::demo().fans)]
    pub fans: u64,
    /// Days of history.
    #[arg(long, default_value_t = Plan::demo().days)]
    pub days: u32,
    /// Seed of the simulation's random draws (the history ends at the moment of the start).
    #[arg(long, default_value_t = Plan::demo().seed)]
    pub seed: u64,
}

pub const DEMO_SLUG: &str = "spring-launch";
/// The demo's administrator: a reserved example domain, so that no real address is implied.
pub const DEMO_ADMIN: &str = "admin@example.com";

/// Replaces the demo database, fills it, and returns it with the dashboard password.
pub async fn prepare(args: &DemoArgs, base_url: &str) -> anyhow::Result<(DynStore, String)> {
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", args.file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot replace {path}")),
        }
    }
    let store: DynStore = Arc::new(
        fanfare_sqlite::SqliteStore::open(&format!("sqlite://{}", args.file))
            .await
            .map_err(anyhow::Error::msg)?,
    );
    let hashtags = vec!["SpringLaunch".to_owned(), "Fanfare".to_owned()];
    let landing = format!("{}/c/{DEMO_SLUG}", base_url.trim_end_matches('/'));
    let settings = CampaignSettings::parse(RawCampaignSettings {
        kind: "product",
        title: Some("Spring launch: the bike that folds in one move"),
        description: Some(
            "Be among the first riders, tell your friends, and show us where you ride.",
        ),
        landing_url: &landing,
        allowed_domains: None,
        image_url: None,
        // The demo's card shows a brand colour of its own.
        brand_color: Some("#0b6e4f"),
        hashtags: &hashtags,
        channels: None,
    })
    .map_err(|e| anyhow::anyhow!("demo campaign: {}", e.message))?;
    let slug = Slug::parse(DEMO_SLUG).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let campaign = store.create_campaign(&slug, &settings).await?;

    let plan = Plan {
        fans: args.fans,
        days: args.days,
        seed: args.seed,
        ..Plan::demo()
    };
    let started = Instant::now();
    eprintln!(
        "simulating {} days of the campaign {DEMO_SLUG:?}…",
        plan.days
    );
    let summary = simulate(&store, campaign.id, &plan, |s| {
        if s.fans % 10_000 == 0 && s.fans > 0 {
            eprintln!("  {} fans, {} clicks", s.fans, s.clicks);
        }
    })
    .await?;
    eprintln!(
        "simulated {} fans, {} clicks, {} shares, {} interactions, {} visitors in {:.1} s",
        summary.fans,
        summary.clicks,
        summary.shares,
        summary.interactions,
        summary.visitors,
        started.elapsed().as_secs_f64()
    );

    // The administrator is made the way `fanfare admin create-user` makes one, with a fresh
    // password each start: the demo listens on loopback by default, but a guessable password
    // would be a bad habit to teach.
    let (admin, password) =
        fanfare_server::console::create_user_with_password(store.as_ref(), DEMO_ADMIN, "admin")
            .await?;
    let key = NewApiKey::generate();
    let name = parse_key_name("demo").map_err(|e| anyhow::anyhow!("{}", e.message))?;
    store.create_api_key(&name, &key).await?;
    println!(
        "Fanfare demo: the campaign {DEMO_SLUG:?} with {} fans",
        summary.fans
    );
    println!("  dashboard:      {}/admin", base_url.trim_end_matches('/'));
    println!("  demo login:     {} / {password}", admin.email);
    println!("  campaign page:  {landing}");
    println!(
        "  API (key {}):  {}/api/v1/campaigns/{DEMO_SLUG}/stats",
        key.secret,
        base_url.trim_end_matches('/')
    );
    Ok((store, password))
}
