//! A campaign's history, simulated: what `fanfare demo` shows and what the report benchmark
//! loads. Everything is written through the [`Store`](fanfare_store::Store), with the same
//! counters as real traffic, and dated in the past.
//!
//! The model, a branching process in continuous time:
//! - **Organic arrivals**: `fans × (1 − r)` fans come on their own, at times drawn from an
//!   exponential decay from the launch (half-life `days / 4`), fewer at weekends.
//! - **Sharing**: each fan shares with probability 0.45, on one to three channels drawn by
//!   weight (WhatsApp, Facebook, X, LinkedIn, e-mail, Telegram, Bluesky, Reddit, copy, QR).
//! - **Clicks**: a share draws a geometric number of clicks (its mean set so that clicks per
//!   fan come out as asked), spread exponentially after the share (mean 8 hours); 8% are
//!   link-preview crawlers and bots, fetched within a minute of the share.
//! - **Conversions**: a human click makes a new fan with probability `r / human clicks per
//!   fan`, so each fan brings `r` fans on average (subcritical for `r < 1`: cascades end, with
//!   the heavy-tailed sizes real cascades show), through the clicked channel, 2 to 60 minutes
//!   after the click.
//! - **Appropriation**: 40% of fans react, 15% comment, 6% create (a creation waits for
//!   moderation), within two days of joining.
//! - **Visitors**: each fan was one visitor who opened the join form; for every fan,
//!   `1 / adhesion − 1` more visitors came and left, and 30% of those opened the form.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Datelike, Utc, Weekday};
use fanfare_core::engagement::{InteractionKind, Reaction, Status};
use fanfare_core::fan::{Fan, RefCode, VisitorEvent};
use fanfare_core::link::{Agent, Channel, Device, LinkKey};
use fanfare_store::{DynStore, NewClick, NewFan, NewInteraction, StoreError, VisitorRow};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Fans to create (organic and referred).
    pub fans: u64,
    /// Human and bot clicks per fan, on average.
    pub clicks_per_fan: f64,
    /// Fans each fan brings, on average (below 1).
    pub r: f64,
    /// New fans / visitors.
    pub adhesion: f64,
    /// The history ends now and starts this many days ago.
    pub days: u32,
    pub seed: u64,
}

impl Plan {
    /// A small, lively campaign that loads in seconds.
    pub fn demo() -> Self {
        Self {
            fans: 1500,
            clicks_per_fan: 9.0,
            r: 0.75,
            adhesion: 0.3,
            days: 42,
            seed: 7,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub fans: u64,
    pub clicks: u64,
    pub shares: u64,
    pub interactions: u64,
    pub visitors: u64,
}

const SHARE_PROBABILITY: f64 = 0.45;
const BOT_SHARE: f64 = 0.08;
const CLICK_BATCH: usize = 5000;
const CHANNELS: [(Channel, u32); 10] = [
    (Channel::Whatsapp, 24),
    (Channel::Facebook, 20),
    (Channel::X, 14),
    (Channel::Linkedin, 10),
    (Channel::Email, 9),
    (Channel::Telegram, 7),
    (Channel::Bluesky, 5),
    (Channel::Reddit, 4),
    (Channel::Copy, 5),
    (Channel::Qr, 2),
];
const REFERRERS: [&str; 6] = [
    "www.facebook.com",
    "t.co",
    "www.linkedin.com",
    "www.google.com",
    "l.instagram.com",
    "news.ycombinator.com",
];
const NAMES: [&str; 16] = [
    "Ada", "Bilal", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hugo", "Inès", "Jonas", "Kenji",
    "Léa", "Mateo", "Nora", "Omar", "Priya",
];

/// A fan yet to join: when, and through whom.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Arrival {
    at: i64,
    referrer: Option<usize>,
    channel: Option<u8>,
}

/// What the simulation keeps of each fan (a full `Fan` per fan would not fit at a million).
#[derive(Debug, Clone, Copy)]
struct Known {
    id: i64,
    root_id: i64,
    depth: i32,
    link_id: i64,
}

fn exponential(rng: &mut StdRng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Failures before the first success: mean (1 − p) / p.
fn geometric(rng: &mut StdRng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let p = 1.0 / (1.0 + mean);
    ((1.0 - rng.random::<f64>()).ln() / (1.0 - p).ln()).floor() as u64
}

fn pick_channel(rng: &mut StdRng) -> u8 {
    let total: u32 = CHANNELS.iter().map(|(_, w)| w).sum();
    let mut draw = rng.random_range(0..total);
    for (i, (_, weight)) in CHANNELS.iter().enumerate() {
        if draw < *weight {
            return i as u8;
        }
        draw -= weight;
    }
    0
}

fn device(rng: &mut StdRng) -> Device {
    match rng.random_range(0..100) {
        0..62 => Device::Mobile,
        62..70 => Device::Tablet,
        _ => Device::Desktop,
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// Writes the simulated history of `campaign_id` into the store; `progress` hears of each
/// thousand fans.
pub async fn simulate(
    store: &DynStore,
    campaign_id: i64,
    plan: &Plan,
    mut progress: impl FnMut(&Summary),
) -> Result<Summary, StoreError> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let end = Utc::now().timestamp();
    let start = end - i64::from(plan.days) * 86_400;
    let span = (end - start) as f64;
    let r = plan.r.clamp(0.0, 0.95);
    let human_clicks_per_fan = plan.clicks_per_fan * (1.0 - BOT_SHARE);
    let conversion = if human_clicks_per_fan > 0.0 {
        (r / human_clicks_per_fan).min(1.0)
    } else {
        0.0
    };
    // Shares per sharing fan: 1 to 3, mean 2.
    let clicks_per_share = plan.clicks_per_fan / (SHARE_PROBABILITY * 2.0);

    let mut queue: BinaryHeap<Reverse<Arrival>> = BinaryHeap::new();
    let organic = ((plan.fans as f64) * (1.0 - r)).ceil().max(1.0) as u64;
    let mut placed = 0;
    while placed < organic {
        let offset = exponential(&mut rng, span / 4.0 / std::f64::consts::LN_2);
        if offset >= span {
            continue;
        }
        let when = start + offset as i64;
        // Weekends bring fewer people: half of them are drawn again.
        let weekday = at(when).weekday();
        if matches!(weekday, Weekday::Sat | Weekday::Sun) && rng.random_bool(0.5) {
            continue;
        }
        queue.push(Reverse(Arrival {
            at: when,
            referrer: None,
            channel: None,
        }));
        placed += 1;
    }

    let mut known: Vec<Known> = Vec::with_capacity(plan.fans as usize);
    let mut clicks: Vec<NewClick> = Vec::with_capacity(CLICK_BATCH);
    // Visits are written in batches too: one transaction each, instead of one per visit.
    let mut visits: Vec<VisitorRow> = Vec::with_capacity(CLICK_BATCH);
    let mut summary = Summary::default();
    let mut visitor_serial: u64 = 0;
    while let Some(Reverse(arrival)) = queue.pop() {
        if summary.fans >= plan.fans {
            break;
        }
        if arrival.at >= end {
            continue;
        }
        let joined_at = at(arrival.at);
        let referrer = arrival.referrer.map(|i| known[i]);
        let channel = arrival.channel.map(|c| CHANNELS[c as usize].0);
        let serial = summary.fans as usize;
        let name = format!(
            "{} {}",
            NAMES[serial % NAMES.len()],
            serial / NAMES.len() + 1
        );
        visitor_serial += 1;
        let visitor = format!("sim-{visitor_serial}");
        let new_fan = NewFan {
            campaign_id,
            ref_code: RefCode::generate(),
            link_key: LinkKey::generate(),
            channel,
            token_hash: format!("simulated-{serial}-{}", rng.random::<u64>()),
            name,
            email: None,
            referrer: referrer.map(|r| Fan {
                id: r.id,
                campaign_id,
                ref_code: None,
                name: None,
                email: None,
                referrer_id: None,
                referrer_ref_code: None,
                root_id: r.root_id,
                depth: r.depth,
                flags: Vec::new(),
                link_key: None,
                channel: None,
                visitor_hash: None,
                joined_at,
                erased_at: None,
            }),
            visitor_hash: visitor.clone(),
            network_hash: None,
            flags: Vec::new(),
            joined_at,
            device: device(&mut rng),
            referrer_host: Some(if channel.is_some() {
                REFERRERS[rng.random_range(0..REFERRERS.len())].to_owned()
            } else {
                REFERRERS[3].to_owned()
            }),
        };
        let fan = store.insert_fan(&new_fan).await?;
        let link = store
            .find_link(fan.link_key.as_ref().expect("a new fan has a link"))
            .await?
            .ok_or_else(|| StoreError::Database("a new fan's link is missing".into()))?;
        known.push(Known {
            id: fan.id,
            root_id: fan.root_id,
            depth: fan.depth,
            link_id: link.link_id,
        });
        summary.fans += 1;
        let index = known.len() - 1;

        // The fan's visit, and the visitors who came the same day and left.
        let day = joined_at.date_naive();
        for event in [VisitorEvent::View, VisitorEvent::JoinStarted] {
            visits.push(VisitorRow {
                campaign_id,
                day,
                event,
                visitor_hash: visitor.clone(),
            });
        }
        summary.visitors += 1;
        let bounces = (1.0 / plan.adhesion.clamp(0.01, 1.0) - 1.0).max(0.0);
        let bounces = bounces.floor() as u64 + u64::from(rng.random_bool(bounces.fract()));
        for _ in 0..bounces {
            visitor_serial += 1;
            let passer = format!("sim-{visitor_serial}");
            if rng.random_bool(0.3) {
                visits.push(VisitorRow {
                    campaign_id,
                    day,
                    event: VisitorEvent::JoinStarted,
                    visitor_hash: passer.clone(),
                });
            }
            visits.push(VisitorRow {
                campaign_id,
                day,
                event: VisitorEvent::View,
                visitor_hash: passer,
            });
            summary.visitors += 1;
        }

        // Appropriation.
        for (kind, probability) in [
            (InteractionKind::Reaction, 0.40),
            (InteractionKind::Comment, 0.15),
            (InteractionKind::Creation, 0.06),
        ] {
            if !rng.random_bool(probability) {
                continue;
            }
            let when = arrival.at + exponential(&mut rng, 12.0 * 3600.0) as i64;
            if when >= end {
                continue;
            }
            let (body, status, reaction) = match kind {
                InteractionKind::Reaction => (None, Status::Published, Some(Reaction::Like)),
                InteractionKind::Comment => (
                    Some("Count me in, sharing this with my team.".to_owned()),
                    Status::Published,
                    None,
                ),
                InteractionKind::Creation => (
                    Some(format!("My take on the campaign, #{}", summary.fans)),
                    Status::Pending,
                    None,
                ),
            };
            store
                .add_interaction(&NewInteraction {
                    campaign_id,
                    fan_id: fan.id,
                    kind,
                    reaction,
                    target_id: None,
                    body,
                    url: None,
                    display_name: None,
                    status,
                    reason: None,
                    created_at: at(when),
                })
                .await?;
            summary.interactions += 1;
        }

        // Transmission: shares, their clicks, and the fans those clicks bring.
        if rng.random_bool(SHARE_PROBABILITY) {
            let shares = rng.random_range(1..=3);
            for _ in 0..shares {
                let channel_index = pick_channel(&mut rng);
                let channel = CHANNELS[channel_index as usize].0;
                let shared_at = arrival.at + exponential(&mut rng, 6.0 * 3600.0) as i64;
                if shared_at >= end {
                    continue;
                }
                // Each share is a visitor of its own: the simulated sharer shares once.
                let sharer = format!("share-{}", summary.shares);
                if store
                    .record_share(known[index].link_id, channel, at(shared_at), &sharer)
                    .await?
                {
                    summary.shares += 1;
                }
                for _ in 0..geometric(&mut rng, clicks_per_share) {
                    let bot = rng.random_bool(BOT_SHARE);
                    let clicked_at = if bot {
                        shared_at + rng.random_range(1..60)
                    } else {
                        shared_at + exponential(&mut rng, 8.0 * 3600.0) as i64
                    };
                    if clicked_at >= end {
                        continue;
                    }
                    visitor_serial += 1;
                    clicks.push(NewClick {
                        link_id: known[index].link_id,
                        campaign_id,
                        channel,
                        at: at(clicked_at),
                        visitor_hash: format!("sim-{visitor_serial}"),
                        agent: if bot { Agent::Preview } else { Agent::Human },
                        qr: channel == Channel::Qr,
                        referrer_host: (!bot)
                            .then(|| REFERRERS[rng.random_range(0..REFERRERS.len())].to_owned()),
                        device: if bot {
                            Device::Unknown
                        } else {
                            device(&mut rng)
                        },
                    });
                    if !bot && rng.random_bool(conversion) {
                        queue.push(Reverse(Arrival {
                            at: clicked_at + rng.random_range(120..3600),
                            referrer: Some(index),
                            channel: Some(channel_index),
                        }));
                    }
                    if clicks.len() >= CLICK_BATCH {
                        store.record_clicks(&clicks).await?;
                        summary.clicks += clicks.len() as u64;
                        clicks.clear();
                    }
                }
            }
        }
        if visits.len() >= CLICK_BATCH {
            store.record_visitor_events(&visits).await?;
            visits.clear();
        }
        if summary.fans % 1000 == 0 {
            progress(&summary);
        }
    }
    if !clicks.is_empty() {
        store.record_clicks(&clicks).await?;
        summary.clicks += clicks.len() as u64;
    }
    store.record_visitor_events(&visits).await?;
    progress(&summary);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_draws_have_the_asked_mean() {
        let mut rng = StdRng::seed_from_u64(1);
        let n = 200_000;
        let mean = (0..n).map(|_| geometric(&mut rng, 6.0)).sum::<u64>() as f64 / n as f64;
        assert!((mean - 6.0).abs() < 0.1, "{mean}");
    }

    #[test]
    fn exponential_draws_have_the_asked_mean() {
        let mut rng = StdRng::seed_from_u64(2);
        let n = 200_000;
        let mean = (0..n).map(|_| exponential(&mut rng, 3.0)).sum::<f64>() / n as f64;
        assert!((mean - 3.0).abs() < 0.05, "{mean}");
    }
}
