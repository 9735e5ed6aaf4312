//! The arithmetic of a batch of clicks: which counters it adds to, and by how much. The store
//! writes the result; nothing here touches a database, so the counts are tested on their own.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::link::{Agent, Channel, Device};

/// One click, classified, ready to store.
#[derive(Debug, Clone)]
pub struct NewClick {
    pub link_id: i64,
    /// The link's campaign, for the campaign's hourly counters.
    pub campaign_id: i64,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub visitor_hash: String,
    pub agent: Agent,
    pub qr: bool,
    pub referrer_host: Option<String>,
    pub device: Device,
}

/// The UTC hour of a moment, as the rollups key it.
pub fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

/// (campaign, hour, channel): a row of `campaign_hours`.
pub type ChannelKey = (i64, i64, &'static str);

/// (campaign, hour, dimension, value): a row of `campaign_hour_dimensions`.
pub type DimensionKey<'a> = (i64, i64, &'static str, &'a str);

/// A rollup row's key and its increments, gathered in memory so that a batch of writes updates
/// each counter row once.
#[derive(Debug, Default)]
pub struct RollupDeltas<'a> {
    /// (campaign, hour, channel) → [human clicks, bot clicks]
    pub clicks: Vec<(ChannelKey, [i64; 2])>,
    /// (campaign, hour, dimension, value) → human clicks
    pub dimensions: Vec<(DimensionKey<'a>, i64)>,
}

impl<'a> RollupDeltas<'a> {
    /// The counters a batch of clicks adds to (each with its campaign).
    /// Borrows the batch's strings: nothing is allocated per click on the writer's path.
    pub fn of_clicks(clicks: &'a [NewClick]) -> Self {
        let mut by_channel: BTreeMap<ChannelKey, [i64; 2]> = Default::default();
        let mut by_dimension: BTreeMap<DimensionKey<'a>, i64> = Default::default();
        for click in clicks {
            let hour = hour_of(click.at);
            let human = click.agent == Agent::Human;
            let counts = by_channel
                .entry((click.campaign_id, hour, click.channel.as_str()))
                .or_default();
            counts[usize::from(!human)] += 1;
            if human {
                *by_dimension
                    .entry((click.campaign_id, hour, "device", click.device.as_str()))
                    .or_default() += 1;
                if let Some(host) = &click.referrer_host {
                    *by_dimension
                        .entry((click.campaign_id, hour, "referrer", host.as_str()))
                        .or_default() += 1;
                }
            }
        }
        Self {
            clicks: by_channel.into_iter().collect(),
            dimensions: by_dimension.into_iter().collect(),
        }
    }
}

/// How a batch of clicks changes each (link, channel) counter row: `[clicks, bot_clicks,
/// qr_clicks]`. Unique clicks are counted from `link_daily_visitors` when read.
pub fn click_deltas(clicks: &[NewClick]) -> Vec<(i64, Channel, [i64; 3])> {
    let mut deltas: Vec<(i64, Channel, [i64; 3])> = Vec::new();
    for click in clicks {
        let human = click.agent == Agent::Human;
        let add = [
            i64::from(human),
            i64::from(!human),
            i64::from(human && click.qr),
        ];
        match deltas
            .iter_mut()
            .find(|(link, channel, _)| *link == click.link_id && *channel == click.channel)
        {
            Some((_, _, counts)) => counts.iter_mut().zip(add).for_each(|(c, a)| *c += a),
            None => deltas.push((click.link_id, click.channel, add)),
        }
    }
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(link_id: i64, channel: Channel, agent: Agent, qr: bool, minute: i64) -> NewClick {
        NewClick {
            link_id,
            campaign_id: 7,
            channel,
            at: DateTime::from_timestamp(36_000 * 3600 + minute * 60, 0).expect("a valid time"),
            visitor_hash: format!("v{minute}"),
            agent,
            qr,
            referrer_host: (agent == Agent::Human).then(|| "news.example".to_owned()),
            device: Device::Mobile,
        }
    }

    #[test]
    fn deltas_add_up_per_link_and_channel() {
        let clicks = [
            click(1, Channel::X, Agent::Human, false, 0),
            click(1, Channel::X, Agent::Human, true, 1),
            click(1, Channel::X, Agent::Bot, false, 2),
            click(2, Channel::X, Agent::Human, true, 3),
            click(1, Channel::Facebook, Agent::Preview, true, 4),
        ];
        let deltas = click_deltas(&clicks);
        assert_eq!(
            deltas,
            vec![
                (1, Channel::X, [2, 1, 1]),
                (2, Channel::X, [1, 0, 1]),
                // A crawler's QR fetch is not a QR scan.
                (1, Channel::Facebook, [0, 1, 0]),
            ]
        );
    }

    #[test]
    fn hourly_rollups_count_people_and_bots_apart() {
        let clicks = [
            click(1, Channel::X, Agent::Human, false, 0),
            click(1, Channel::X, Agent::Bot, false, 59),
            click(1, Channel::X, Agent::Human, false, 61),
        ];
        let rollup = RollupDeltas::of_clicks(&clicks);
        assert_eq!(
            rollup.clicks,
            vec![((7, 36_000, "x"), [1, 1]), ((7, 36_001, "x"), [1, 0])]
        );
        // Devices and referrers are counted for people only.
        assert_eq!(
            rollup.dimensions,
            vec![
                ((7, 36_000, "device", "mobile"), 1),
                ((7, 36_000, "referrer", "news.example"), 1),
                ((7, 36_001, "device", "mobile"), 1),
                ((7, 36_001, "referrer", "news.example"), 1),
            ]
        );
    }

    #[test]
    fn hours_before_1970_round_down() {
        let before = DateTime::from_timestamp(-1, 0).expect("a valid time");
        assert_eq!(hour_of(before), -1);
        assert_eq!(
            hour_of(DateTime::from_timestamp(3599, 0).expect("a valid time")),
            0
        );
    }
}
