//! Cascades (DESIGN §5): the forest of who brought whom, and how each tree spread.
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

/// Every cascade, largest first (then deepest, then oldest root). A fan whose referrer is not
/// among `fans` (flagged, or unknown) starts a cascade of their own.
pub fn cascades(fans: &[CascadeFan]) -> Vec<Cascade> {
    let index: HashMap<i64, usize> = fans.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); fans.len()];
    let mut roots = Vec::new();
    for (i, fan) in fans.iter().enumerate() {
        match fan.referrer_id.and_then(|r| index.get(&r)) {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(fans.len());
    let mut subtree = vec![1u64; fans.len()];
    let mut result = Vec::with_capacity(roots.len());
    for root in roots {
        // Breadth-first: generation by generation, which gives depth and breadth directly.
        order.clear();
        order.push(root);
        let mut generation_start = 0;
        let mut depth = 0u32;
        let mut max_breadth = 1u64;
        while generation_start < order.len() {
            let generation_end = order.len();
            for k in generation_start..generation_end {
                let node = order[k];
                order.extend_from_slice(&children[node]);
            }
            let next = (order.len() - generation_end) as u64;
            if next > 0 {
                depth += 1;
                max_breadth = max_breadth.max(next);
            }
            generation_start = generation_end;
        }
        // Children come after their parent in `order`: walking it backwards completes every
        // subtree before its parent is reached.
        let n = order.len() as u64;
        let mut pairs_distance: u128 = 0;
        for &node in order.iter().rev() {
            subtree[node] = 1 + children[node].iter().map(|&c| subtree[c]).sum::<u64>();
            if node != root {
                let s = u128::from(subtree[node]);
                pairs_distance += s * (u128::from(n) - s);
            }
        }
        let structural_virality = if n < 2 {
            0.0
        } else {
            // Σ over unordered pairs, divided by their number n(n−1)/2.
            (2 * pairs_distance) as f64 / (u128::from(n) * u128::from(n - 1)) as f64
        };
        result.push(Cascade {
            root: fans[root].id,
            size: n,
            depth,
            max_breadth,
            structural_virality,
        });
    }
    result.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(b.depth.cmp(&a.depth))
            .then(a.root.cmp(&b.root))
    });
    result
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
            for cascade in found {
                let expected = brute_force(&fans, cascade.root);
                prop_assert!((cascade.structural_virality - expected).abs() < 1e-9,
                    "root {}: {} vs {}", cascade.root, cascade.structural_virality, expected);
            }
        }
    }
}
