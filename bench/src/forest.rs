//! The cascade computation alone, on a synthetic forest of a million fans (80% brought by one of
//! the 50,000 fans before them, as in a long campaign), against the floor of any computation
//! over it: one pass that reads every fan's parent.

use std::time::{Duration, Instant};

use clap::Args;
use fanfare_core::cascade::{NO_PARENT, cascades_of};
use rand::{Rng, SeedableRng};

#[derive(Debug, Args)]
pub struct ForestArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub fans: usize,
    #[arg(long, default_value_t = 10)]
    pub rounds: usize,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

pub fn run(args: ForestArgs) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let ids: Vec<i64> = (1..=args.fans as i64).collect();
    let parent: Vec<u32> = (0..args.fans)
        .map(|i| {
            if i > 0 && rng.random_bool(0.8) {
                (i - rng.random_range(1..=i.min(50_000))) as u32
            } else {
                NO_PARENT
            }
        })
        .collect();
    let mut floor = Vec::new();
    let mut forest = Vec::new();
    let mut count = 0;
    for _ in 0..args.rounds.max(1) {
        let t0 = Instant::now();
        let roots = std::hint::black_box(&parent)
            .iter()
            .filter(|&&p| p == NO_PARENT)
            .count();
        floor.push(t0.elapsed());
        let t0 = Instant::now();
        count = std::hint::black_box(cascades_of(&ids, &parent)).len();
        forest.push(t0.elapsed());
        anyhow::ensure!(count == roots, "one cascade per root");
    }
    let (floor, forest) = (median(floor), median(forest));
    println!(
        "{} fans, {count} cascades: one pass over the parents {:.2} ms; cascades_of {:.2} ms ({:.0}x the pass)",
        args.fans,
        floor.as_secs_f64() * 1000.0,
        forest.as_secs_f64() * 1000.0,
        forest.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
    Ok(())
}
