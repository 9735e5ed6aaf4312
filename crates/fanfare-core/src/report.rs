//! What Fanfare reports, as pure functions of counted figures: the rates of adhesion,
//! appropriation and transmission, the K-factor, the three pillars (interest, simplicity,
//! vitality), the viral cycle time and the summary of a window's cascades.
//!
//! The server loads the counts and calls these; nothing here reads a clock or a database, so
//! each formula is tested on its own below.

use serde::Serialize;

use crate::cascade::Cascade;

/// What the rates and pillars are computed from, for one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Unique visitors (summed per day).
    pub visitors: u64,
    /// Visitors who opened the join form (summed per day).
    pub join_starts: u64,
    /// New fans who are not flagged.
    pub fans: u64,
    /// Of those, fans brought by a non-flagged fan.
    pub referred_fans: u64,
    /// Of the new fans: those with at least one interaction.
    pub appropriators: u64,
    /// Of the new fans: those with at least one share.
    pub sharers: u64,
}

/// `numerator / denominator`, and 0 for an empty denominator (a window without fans has no
/// rate, and a report shows 0 rather than an error).
pub fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// New fans brought by fans, per new fan: above 1, each generation outgrows the one before.
pub fn k_factor(referred_fans: u64, fans: u64) -> f64 {
    ratio(referred_fans, fans)
}

/// A stored counter as a count: counters are never negative, and one that is (a bug, a manual
/// edit) reads as 0 rather than as a huge unsigned number.
pub fn count(value: i64) -> u64 {
    value.max(0).unsigned_abs()
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rates {
    /// New fans / visitors.
    pub adhesion: f64,
    /// Appropriators / fans.
    pub appropriation: f64,
    /// Sharers / fans.
    pub transmission: f64,
}

impl Rates {
    pub fn of(funnel: &Funnel) -> Self {
        Self {
            adhesion: ratio(funnel.fans, funnel.visitors),
            appropriation: ratio(funnel.appropriators, funnel.fans),
            transmission: ratio(funnel.sharers, funnel.fans),
        }
    }
}

/// The three pillars of a campaign, each on a scale of 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pillars {
    /// 100 × the appropriation rate.
    pub interest: f64,
    /// 100 × completed joins / started joins (capped at 100).
    pub simplicity: f64,
    /// 100 × min(1, K).
    pub vitality: f64,
}

impl Pillars {
    pub fn of(funnel: &Funnel) -> Self {
        Self {
            interest: 100.0 * ratio(funnel.appropriators, funnel.fans),
            // A fan can join without the form being seen to open (an API join): capped.
            simplicity: (100.0 * ratio(funnel.fans, funnel.join_starts)).min(100.0),
            vitality: 100.0 * k_factor(funnel.referred_fans, funnel.fans).min(1.0),
        }
    }
}

/// The median of `values` (reordered in place), the mean of the two middle ones for an even
/// count; `None` for none. Linear time: the report takes it over every referred fan.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let odd = values.len() % 2 == 1;
    let mid = values.len() / 2;
    let (lower_half, upper, _) = values.select_nth_unstable(mid);
    let upper = *upper as f64;
    if odd {
        return Some(upper);
    }
    let lower = lower_half.iter().copied().max()? as f64;
    Some((lower + upper) / 2.0)
}

/// The viral cycle time: the median time, in hours, from a referrer's join to the joins of the
/// fans they brought (`seconds` holds one gap per referred fan).
pub fn viral_cycle_time_hours(seconds: &mut [i64]) -> Option<f64> {
    median(seconds).map(|s| s / 3600.0)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CascadeSummary {
    /// Cascades with at least one fan in the window (a fan alone is a cascade of one).
    pub count: u64,
    /// Fans in the largest.
    pub largest: u64,
    /// The deepest generation of any.
    pub max_depth: u32,
    /// Mean structural virality of the cascades of two fans or more (0 if there are none).
    pub mean_structural_virality: f64,
}

impl CascadeSummary {
    pub fn of(cascades: &[Cascade]) -> Self {
        let (mut multi, mut virality) = (0u64, 0.0);
        for cascade in cascades.iter().filter(|c| c.size >= 2) {
            multi += 1;
            virality += cascade.structural_virality;
        }
        Self {
            count: cascades.len() as u64,
            largest: cascades.iter().map(|c| c.size).max().unwrap_or(0),
            max_depth: cascades.iter().map(|c| c.depth).max().unwrap_or(0),
            mean_structural_virality: if multi == 0 {
                0.0
            } else {
                virality / multi as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::{NO_PARENT, cascades_of};

    fn funnel() -> Funnel {
        Funnel {
            visitors: 1000,
            join_starts: 200,
            fans: 100,
            referred_fans: 40,
            appropriators: 25,
            sharers: 30,
        }
    }

    #[test]
    fn rates_are_shares_of_visitors_and_fans() {
        let rates = Rates::of(&funnel());
        assert_eq!(rates.adhesion, 0.1);
        assert_eq!(rates.appropriation, 0.25);
        assert_eq!(rates.transmission, 0.3);
    }

    #[test]
    fn k_factor_is_referred_fans_per_fan() {
        assert_eq!(k_factor(40, 100), 0.4);
        assert_eq!(k_factor(150, 100), 1.5);
        assert_eq!(k_factor(0, 0), 0.0);
    }

    #[test]
    fn pillars_are_on_a_scale_of_a_hundred() {
        let pillars = Pillars::of(&funnel());
        assert_eq!(pillars.interest, 25.0);
        assert_eq!(pillars.simplicity, 50.0);
        assert_eq!(pillars.vitality, 40.0);
    }

    #[test]
    fn vitality_and_simplicity_stop_at_a_hundred() {
        let pillars = Pillars::of(&Funnel {
            join_starts: 10,
            referred_fans: 300,
            ..funnel()
        });
        assert_eq!(pillars.simplicity, 100.0);
        assert_eq!(pillars.vitality, 100.0);
    }

    #[test]
    fn an_empty_window_reports_zeros() {
        let empty = Funnel::default();
        let rates = Rates::of(&empty);
        let pillars = Pillars::of(&empty);
        for value in [rates.adhesion, rates.appropriation, rates.transmission] {
            assert_eq!(value, 0.0);
        }
        for value in [pillars.interest, pillars.simplicity, pillars.vitality] {
            assert_eq!(value, 0.0);
        }
    }

    #[test]
    fn negative_counters_count_as_zero() {
        assert_eq!(count(-3), 0);
        assert_eq!(count(7), 7);
        assert_eq!(count(i64::MIN), 0);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5.0));
        assert_eq!(median(&mut [9, 1, 5]), Some(5.0));
        assert_eq!(median(&mut [10, 1, 4, 7]), Some(5.5));
        assert_eq!(median(&mut [7, 1, 3, 100]), Some(5.0));
    }

    #[test]
    fn cycle_time_is_the_median_gap_in_hours() {
        assert_eq!(viral_cycle_time_hours(&mut [3600, 7200, 36_000]), Some(2.0));
        assert_eq!(viral_cycle_time_hours(&mut []), None);
    }

    #[test]
    fn cascade_summary_leaves_lone_fans_out_of_the_virality() {
        // 1 ← 2 ← 3 (a chain of three), and 4 alone.
        let ids = [1, 2, 3, 4];
        let parents = [NO_PARENT, 0, 1, NO_PARENT];
        let cascades = cascades_of(&ids, &parents);
        let summary = CascadeSummary::of(&cascades);
        assert_eq!(summary.count, 2);
        assert_eq!(summary.largest, 3);
        assert_eq!(summary.max_depth, 2);
        let chain = cascades
            .iter()
            .find(|c| c.size == 3)
            .map(|c| c.structural_virality);
        assert_eq!(Some(summary.mean_structural_virality), chain);
        assert_eq!(CascadeSummary::of(&[]), CascadeSummary::default());
    }
}
