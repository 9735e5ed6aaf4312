//! Cascades (`docs/reports.md`): the forest of who brought whom, and how each tree spread.
//!
//! Structural virality (Goel, Anderson, Hofman and Watts, 2016) is the mean shortest-path
//! distance between all pairs of a cascade's fans. Each edge (v, parent) lies on the path of
//! exactly the pairs with one fan in v's subtree and one outside it, so the sum over pairs is
//! Σ_{v ≠ root} s(v)·(n − s(v)): one pass for the subtree sizes, O(n) in all, instead of the
//! O(n²) pairs.

use std::collections::HashMap;

use serde::Serialize;

/// A fan as the forest sees it: flagged fans are left out by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CascadeFan {
    pub id: i64,
    pub referrer_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cascade {
    /// The id of the fan who came on their own and started it.
    pub root: i64,
    pub size: u64,
    /// The deepest generation (0: the root alone).
    pub depth: u32,
    /// The most fans at one depth.
    pub max_breadth: u64,
    /// Mean distance between two fans of the cascade; 0 for a cascade of one.
    pub structural_virality: f64,
}

/// No parent (a root), or a fan not reached from any root.
const NONE: u32 = u32::MAX;

/// In [`cascades_of`], the parent of a fan who came on their own.
pub const NO_PARENT: u32 = NONE;

/// Every cascade, largest first (then deepest, then oldest root). A fan whose referrer is not
/// among `fans` (flagged, or unknown) starts a cascade of their own.
///
/// Every pass is a loop over flat arrays: a million fans take tens of milliseconds. In join order
/// (ids increasing, a referrer before the fans they brought, as the store returns them) the input
/// order is already parents-first; any other order is sorted out by a breadth-first walk.
pub fn cascades(fans: &[CascadeFan]) -> Vec<Cascade> {
    assert!(
        fans.len() < NONE as usize,
        "more fans than a cascade index can hold"
    );
    let ids: Vec<i64> = fans.iter().map(|f| f.id).collect();
    let mut result = cascades_of(&ids, &parents(fans));
    result.sort_by(largest_first);
    result
}

/// The order of [`cascades`]: largest first, then deepest, then oldest root.
pub fn largest_first(a: &Cascade, b: &Cascade) -> std::cmp::Ordering {
    b.size
        .cmp(&a.size)
        .then(b.depth.cmp(&a.depth))
        .then(a.root.cmp(&b.root))
}

/// [`cascades`], in no particular order, for a caller who already knows each fan's parent:
/// `parent[i]` is the index in `ids` of fan i's referrer, or [`NO_PARENT`].
pub fn cascades_of(ids: &[i64], parent: &[u32]) -> Vec<Cascade> {
    let n = ids.len();
    assert_eq!(parent.len(), n, "one parent per fan");
    let order = parents_first(parent);

    // Forward: each fan's cascade (numbered in order of their roots) and depth, from its
    // parent's. Per-cascade arrays are then as long as the cascades, not the fans.
    let mut cascade = vec![0u32; n];
    let mut depth = vec![0u32; n];
    let mut roots: Vec<u32> = Vec::new();
    for &i in &order {
        let i = i as usize;
        match parent[i] {
            NONE => {
                cascade[i] = roots.len() as u32;
                roots.push(i as u32);
            }
            p => {
                cascade[i] = cascade[p as usize];
                depth[i] = depth[p as usize] + 1;
            }
        }
    }
    // Backward: subtree sizes, children before their parent.
    let mut size = vec![1u32; n];
    for &i in order.iter().rev() {
        let p = parent[i as usize];
        if p != NONE {
            size[p as usize] += size[i as usize];
        }
    }
    // Per cascade: Σ s(v)(n − s(v)) over non-roots, and the deepest generation.
    let mut pairs_distance = vec![0u128; roots.len()];
    let mut deepest = vec![0u32; roots.len()];
    for &i in &order {
        let i = i as usize;
        let k = cascade[i] as usize;
        deepest[k] = deepest[k].max(depth[i]);
        if parent[i] != NONE {
            let s = u128::from(size[i]);
            pairs_distance[k] += s * (u128::from(size[roots[k] as usize]) - s);
        }
    }
    // Fans per generation: each cascade gets a slice of one flat array, one slot per depth.
    let mut offset = Vec::with_capacity(roots.len() + 1);
    offset.push(0usize);
    for &d in &deepest {
        offset.push(offset.last().copied().unwrap_or(0) + d as usize + 1);
    }
    let mut generation = vec![0u32; offset.last().copied().unwrap_or(0)];
    for &i in &order {
        let i = i as usize;
        generation[offset[cascade[i] as usize] + depth[i] as usize] += 1;
    }

    roots
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let size = u64::from(size[r as usize]);
            let structural_virality = if size < 2 {
                0.0
            } else {
                // Σ over unordered pairs, divided by their number n(n−1)/2.
                (2 * pairs_distance[k]) as f64 / (u128::from(size) * u128::from(size - 1)) as f64
            };
            Cascade {
                root: ids[r as usize],
                size,
                depth: deepest[k],
                max_breadth: u64::from(
                    generation[offset[k]..offset[k + 1]]
                        .iter()
                        .copied()
                        .max()
                        .unwrap_or(1),
                ),
                structural_virality,
            }
        })
        .collect()
}

/// Each fan's referrer as an index into `fans` (`NONE` for a root or a referrer not among them).
fn parents(fans: &[CascadeFan]) -> Vec<u32> {
    let in_id_order = fans.windows(2).all(|w| w[0].id < w[1].id);
    let index: Option<HashMap<i64, u32>> = (!in_id_order).then(|| {
        fans.iter()
            .enumerate()
            .map(|(i, f)| (f.id, i as u32))
            .collect()
    });
    fans.iter()
        .enumerate()
        .map(|(i, fan)| {
            let Some(referrer) = fan.referrer_id else {
                return NONE;
            };
            let found = match &index {
                Some(index) => index.get(&referrer).copied(),
                None => fans
                    .binary_search_by_key(&referrer, |f| f.id)
                    .ok()
                    .map(|p| p as u32),
            };
            found.filter(|&p| p as usize != i).unwrap_or(NONE)
        })
        .collect()
}

/// The fans in an order where each comes after its parent; fans caught in a referral loop (which
/// joins cannot make) are left out, as no root reaches them.
fn parents_first(parent: &[u32]) -> Vec<u32> {
    let n = parent.len();
    if parent
        .iter()
        .enumerate()
        .all(|(i, &p)| p == NONE || (p as usize) < i)
    {
        return (0..n as u32).collect();
    }
    // Children lists in one flat array (counting sort by parent), then breadth-first from roots.
    let mut start = vec![0usize; n + 1];
    for &p in parent {
        if p != NONE {
            start[p as usize + 1] += 1;
        }
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut children = vec![0u32; start[n]];
    for (i, &p) in parent.iter().enumerate() {
        if p != NONE {
            children[fill[p as usize]] = i as u32;
            fill[p as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&i| parent[i as usize] == NONE)
        .collect();
    let mut next = 0;
    while next < order.len() {
        let node = order[next] as usize;
        order.extend_from_slice(&children[start[node]..start[node + 1]]);
        next += 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fan(id: i64, referrer_id: Option<i64>) -> CascadeFan {
        CascadeFan { id, referrer_id }
    }

    /// All-pairs breadth-first distances: the definition, in O(n²).
    fn brute_force(fans: &[CascadeFan], root: i64) -> f64 {
        let mut adjacency: HashMap<i64, Vec<i64>> = HashMap::new();
        for f in fans {
            if let Some(r) = f.referrer_id {
                adjacency.entry(f.id).or_default().push(r);
                adjacency.entry(r).or_default().push(f.id);
            }
        }
        // The members of root's tree.
        let mut members = vec![root];
        let mut k = 0;
        while k < members.len() {
            for &next in adjacency.get(&members[k]).into_iter().flatten() {
                if !members.contains(&next) {
                    members.push(next);
                }
            }
            k += 1;
        }
        let n = members.len();
        if n < 2 {
            return 0.0;
        }
        let mut total = 0u64;
        for &source in &members {
            let mut distance: HashMap<i64, u64> = HashMap::from([(source, 0)]);
            let mut queue = std::collections::VecDeque::from([source]);
            while let Some(v) = queue.pop_front() {
                for &w in adjacency.get(&v).into_iter().flatten() {
                    if !distance.contains_key(&w) {
                        distance.insert(w, distance[&v] + 1);
                        queue.push_back(w);
                    }
                }
            }
            total += members.iter().map(|m| distance[m]).sum::<u64>();
        }
        total as f64 / (n * (n - 1)) as f64
    }

    #[test]
    fn a_chain_a_star_and_a_lone_fan() {
        // 1 → 2 → 3 (a chain of three), 4 ← 5, 6, 7 (a star of four), 8 alone.
        let fans = [
            fan(1, None),
            fan(2, Some(1)),
            fan(3, Some(2)),
            fan(4, None),
            fan(5, Some(4)),
            fan(6, Some(4)),
            fan(7, Some(4)),
            fan(8, None),
        ];
        let found = cascades(&fans);
        assert_eq!(found.len(), 3);
        assert_eq!(
            (
                found[0].root,
                found[0].size,
                found[0].depth,
                found[0].max_breadth
            ),
            (4, 4, 1, 3)
        );
        // Star of 4: pairs root-leaf 3×1, leaf-leaf 3×2 → 9 / 6 = 1.5.
        assert!((found[0].structural_virality - 1.5).abs() < 1e-12);
        assert_eq!(
            (
                found[1].root,
                found[1].size,
                found[1].depth,
                found[1].max_breadth
            ),
            (1, 3, 2, 1)
        );
        // Chain of 3: distances 1, 1, 2 → 4 / 3.
        assert!((found[1].structural_virality - 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            (found[2].root, found[2].size, found[2].structural_virality),
            (8, 1, 0.0)
        );
    }

    #[test]
    fn a_fan_whose_referrer_is_left_out_starts_a_cascade() {
        let found = cascades(&[fan(2, Some(1)), fan(3, Some(2))]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].root, found[0].size), (2, 2));
    }

    #[test]
    fn any_input_order_gives_the_same_cascades() {
        let in_join_order = [
            fan(1, None),
            fan(2, Some(1)),
            fan(3, Some(2)),
            fan(4, Some(1)),
            fan(5, None),
            fan(6, Some(5)),
        ];
        let mut shuffled = in_join_order;
        shuffled.reverse();
        shuffled.swap(1, 4);
        assert_eq!(cascades(&shuffled), cascades(&in_join_order));
        // A loop (which joins cannot make) is left out rather than looping forever.
        let looped = [fan(1, Some(2)), fan(2, Some(1)), fan(3, None)];
        assert_eq!(cascades(&looped).len(), 1);
    }

    proptest! {
        #[test]
        fn matches_the_all_pairs_definition(parents in proptest::collection::vec(proptest::option::of(0usize..1000), 1..80)) {
            // Fan i's referrer is an earlier fan (or nobody), as joins make it.
            let fans: Vec<CascadeFan> = parents
                .iter()
                .enumerate()
                .map(|(i, p)| fan(i as i64 + 1, p.filter(|_| i > 0).map(|p| (p % i) as i64 + 1)))
                .collect();
            let found = cascades(&fans);
            prop_assert_eq!(found.iter().map(|c| c.size).sum::<u64>(), fans.len() as u64);
            // The same forest in reverse order: the breadth-first path agrees with the fast one.
            let reversed: Vec<CascadeFan> = fans.iter().rev().copied().collect();
            prop_assert_eq!(&cascades(&reversed), &found);
            // Depths by walking each fan's chain up to its root, one fan at a time.
            let by_id: HashMap<i64, Option<i64>> = fans.iter().map(|f| (f.id, f.referrer_id)).collect();
            let mut generations: HashMap<(i64, u32), u64> = HashMap::new();
            for f in &fans {
                let (mut at, mut depth) = (f.id, 0u32);
                while let Some(Some(up)) = by_id.get(&at) {
                    at = *up;
                    depth += 1;
                }
                *generations.entry((at, depth)).or_default() += 1;
            }
            for cascade in &found {
                let mine: Vec<(u32, u64)> = generations
                    .iter()
                    .filter(|((r, _), _)| *r == cascade.root)
                    .map(|((_, d), n)| (*d, *n))
                    .collect();
                prop_assert_eq!(cascade.depth, mine.iter().map(|(d, _)| *d).max().unwrap_or(0));
                prop_assert_eq!(cascade.max_breadth, mine.iter().map(|(_, n)| *n).max().unwrap_or(0));
                prop_assert_eq!(cascade.size, mine.iter().map(|(_, n)| *n).sum::<u64>());
            }
            for cascade in found {
                let expected = brute_force(&fans, cascade.root);
                prop_assert!((cascade.structural_virality - expected).abs() < 1e-9,
                    "root {}: {} vs {}", cascade.root, cascade.structural_virality, expected);
            }
        }
    }
}
