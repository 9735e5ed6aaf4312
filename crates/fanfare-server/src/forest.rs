//! Each campaign's referral forest, held in memory: loaded once, extended with the fans who
//! joined since, and computed off the async runtime into the cascades and the viral cycle time
//! of a report window. The formulas themselves are in `fanfare_core::report`.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use fanfare_core::cascade::{Cascade, NO_PARENT, cascades_of, largest_first};
use fanfare_core::report::{CascadeSummary, viral_cycle_time_hours};
use fanfare_store::{DynStore, FanNode};

use crate::error::{ApiError, ApiResult};

/// A fan list older than this is read again in full: on PostgreSQL a fan whose transaction
/// committed after a later id was read would otherwise stay missing.
const GRAPH_RELOAD_AFTER: StdDuration = StdDuration::from_secs(600);

/// Cascades listed at most (the `limit` of `/cascades`).
const LARGEST_KEPT: usize = 1000;

/// Windows whose forest figures are kept.
const MEMO_WINDOWS: usize = 8;

/// Below this many fans a computation takes about a millisecond: figures are recomputed as soon
/// as a fan joins, so a report always counts the last join.
const ALWAYS_EXACT_BELOW: usize = 20_000;

/// Past [`ALWAYS_EXACT_BELOW`] fans, figures are recomputed at most this often: under steady
/// joins every report would otherwise walk the whole forest again (O(fans) per request, the
/// report's p99 growing with the campaign). The counters of a report stay exact; only the
/// cascades and the cycle time may miss the joins of the last second.
const RECOMPUTE_AT_MOST_EVERY: StdDuration = StdDuration::from_secs(1);

/// The figures of one window and the forest they were computed on.
#[derive(Debug)]
struct Memo {
    figures: ForestFigures,
    fans: usize,
    computed_at: Instant,
}

impl Memo {
    fn serves(&self, fans: usize) -> bool {
        self.fans == fans
            || (fans >= ALWAYS_EXACT_BELOW && self.computed_at.elapsed() < RECOMPUTE_AT_MOST_EVERY)
    }
}

/// The forest's figures for one window.
#[derive(Debug, Clone)]
pub(crate) struct ForestFigures {
    /// The largest cascades (at most [`LARGEST_KEPT`]), largest first.
    pub(crate) largest: Arc<Vec<Cascade>>,
    pub(crate) summary: CascadeSummary,
    /// Median hours from a referrer's join to their referred fans' joins.
    pub(crate) cycle_hours: Option<f64>,
}

#[derive(Debug, Default)]
struct Forest {
    /// In id order: a referrer always comes before the fans they brought. Shared with the
    /// computation running off the async runtime; new fans are appended once it is done.
    nodes: Arc<Vec<FanNode>>,
    /// Each node's referrer as an index into `nodes` (`NO_PARENT` for none), found once when
    /// the node arrives.
    parent: Arc<Vec<u32>>,
    loaded_at: Option<Instant>,
    memo: HashMap<Range<i64>, Memo>,
}

/// Every campaign's forest, each behind its own lock so that one campaign's report does not wait
/// for another's.
#[derive(Debug, Default)]
pub struct Forests(std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Forest>>>>);

impl Forests {
    /// The cascades and viral cycle time of the fans who joined in `seconds`.
    pub(crate) async fn figures(
        &self,
        store: &DynStore,
        campaign_id: i64,
        seconds: Range<i64>,
    ) -> ApiResult<ForestFigures> {
        let forest = self
            .0
            .lock()
            .expect("forest map lock")
            .entry(campaign_id)
            .or_default()
            .clone();
        let mut forest = forest.lock().await;
        let stale = forest
            .loaded_at
            .is_none_or(|at| at.elapsed() > GRAPH_RELOAD_AFTER);
        if stale {
            forest.nodes = Arc::default();
            forest.parent = Arc::default();
            forest.loaded_at = Some(Instant::now());
        }
        let last = forest.nodes.last().map_or(0, |n| n.id);
        let new = store.fan_nodes(campaign_id, last).await?;
        if stale {
            forest.memo.clear();
        }
        forest.append(new);
        let fans = forest.nodes.len();
        // A window that ends after the newest fan joined holds the same fans as an open-ended
        // one: reports "until now" (a new `to` every second) share one memo, which the rules of
        // `Memo::serves` keep fresh.
        let newest = forest.nodes.last().map_or(i64::MIN, |n| n.joined_at);
        let seconds = if seconds.end > newest {
            seconds.start..i64::MAX
        } else {
            seconds
        };
        if let Some(memo) = forest.memo.get(&seconds).filter(|memo| memo.serves(fans)) {
            return Ok(memo.figures.clone());
        }
        // Tens of milliseconds at a million fans: off the async runtime's threads.
        let (nodes, parent, window) =
            (forest.nodes.clone(), forest.parent.clone(), seconds.clone());
        let figures = tokio::task::spawn_blocking(move || compute_forest(&nodes, &parent, &window))
            .await
            .map_err(|e| ApiError::Internal(format!("cascade computation: {e}")))?;
        // A few windows at a time (the dashboard's presets): each holds a list of cascades.
        if forest.memo.len() >= MEMO_WINDOWS {
            forest.memo.clear();
        }
        forest.memo.insert(
            seconds,
            Memo {
                figures: figures.clone(),
                fans,
                computed_at: Instant::now(),
            },
        );
        Ok(figures)
    }
}

/// A fan of a drawn cascade: its parent's index in the list (the root has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TreeNode {
    pub parent: Option<usize>,
    pub depth: u32,
}

impl Forests {
    /// The first `max_nodes` fans to join the cascade started by `root`, over the non-flagged
    /// fans who joined in `seconds`, parents before children. Reads the forest as the last report
    /// left it.
    pub(crate) async fn tree(
        &self,
        campaign_id: i64,
        seconds: Range<i64>,
        root: i64,
        max_nodes: usize,
    ) -> Vec<TreeNode> {
        let Some(forest) = self
            .0
            .lock()
            .expect("forest map lock")
            .get(&campaign_id)
            .cloned()
        else {
            return Vec::new();
        };
        let forest = forest.lock().await;
        let Ok(start) = forest.nodes.binary_search_by_key(&root, |n| n.id) else {
            return Vec::new();
        };
        // One pass in join order: a fan is in the tree when its parent is (parents come first).
        let mut position = vec![usize::MAX; forest.nodes.len() - start];
        let mut tree: Vec<TreeNode> = Vec::new();
        for (i, node) in forest.nodes.iter().enumerate().skip(start) {
            if tree.len() >= max_nodes {
                break;
            }
            if node.flagged || !seconds.contains(&node.joined_at) {
                continue;
            }
            let entry = if i == start {
                Some(TreeNode {
                    parent: None,
                    depth: 0,
                })
            } else {
                let p = forest.parent[i];
                (p != NO_PARENT && p as usize >= start)
                    .then(|| position[p as usize - start])
                    .filter(|&at| at != usize::MAX)
                    .map(|at| TreeNode {
                        parent: Some(at),
                        depth: tree[at].depth + 1,
                    })
            };
            if let Some(entry) = entry {
                position[i - start] = tree.len();
                tree.push(entry);
            }
        }
        tree
    }
}

impl Forest {
    fn append(&mut self, new: Vec<FanNode>) {
        if new.is_empty() {
            return;
        }
        // No computation holds them between reports: no copy is made here.
        let nodes = Arc::make_mut(&mut self.nodes);
        let parents = Arc::make_mut(&mut self.parent);
        nodes.reserve(new.len());
        parents.reserve(new.len());
        for node in new {
            // Referrers joined earlier, so they are already in place (ids increase).
            let parent = node
                .referrer_id
                .and_then(|r| nodes.binary_search_by_key(&r, |n| n.id).ok())
                .map_or(NO_PARENT, |p| p as u32);
            nodes.push(node);
            parents.push(parent);
        }
    }
}

/// The cascades and cycle time of the non-flagged fans who joined in `seconds`: one pass to
/// pick them and renumber their parents, one to build the forest (every array flat).
fn compute_forest(nodes: &[FanNode], parent: &[u32], seconds: &Range<i64>) -> ForestFigures {
    let mut renumbered = vec![NO_PARENT; nodes.len()];
    let mut ids = Vec::with_capacity(nodes.len());
    let mut parents = Vec::with_capacity(nodes.len());
    let mut cycles = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        if node.flagged || !seconds.contains(&node.joined_at) {
            continue;
        }
        renumbered[i] = ids.len() as u32;
        ids.push(node.id);
        let p = parent[i];
        // A referrer outside the window or flagged: the fan starts a cascade of their own here.
        parents.push(if p == NO_PARENT {
            NO_PARENT
        } else {
            renumbered[p as usize]
        });
        if p != NO_PARENT && !nodes[p as usize].flagged {
            cycles.push(node.joined_at - nodes[p as usize].joined_at);
        }
    }
    let mut all = cascades_of(&ids, &parents);
    let summary = CascadeSummary::of(&all);
    // Only the largest are ever listed: no need to sort the hundreds of thousands of others.
    if all.len() > LARGEST_KEPT {
        all.select_nth_unstable_by(LARGEST_KEPT, largest_first);
        all.truncate(LARGEST_KEPT);
        // The memo keeps these: without this, the room of every cascade (one per fan when
        // few were referred) stays allocated behind the thousand kept.
        all.shrink_to_fit();
    }
    all.sort_by(largest_first);
    ForestFigures {
        largest: Arc::new(all),
        summary,
        cycle_hours: viral_cycle_time_hours(&mut cycles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo(fans: usize, age: StdDuration) -> Memo {
        Memo {
            figures: ForestFigures {
                largest: Arc::default(),
                summary: CascadeSummary::default(),
                cycle_hours: None,
            },
            fans,
            computed_at: Instant::now() - age,
        }
    }

    #[test]
    fn a_small_forest_is_recomputed_as_soon_as_a_fan_joins() {
        let fresh = memo(100, StdDuration::ZERO);
        assert!(fresh.serves(100));
        assert!(!fresh.serves(101));
    }

    #[test]
    fn a_large_forest_is_recomputed_at_most_once_a_second() {
        let fans = ALWAYS_EXACT_BELOW + 5;
        assert!(memo(fans, StdDuration::ZERO).serves(fans + 50));
        assert!(!memo(fans, RECOMPUTE_AT_MOST_EVERY).serves(fans + 50));
        // With no new fan, figures stay valid however old.
        assert!(memo(fans, StdDuration::from_secs(60)).serves(fans));
    }
}
