//! The largest cascades of a report window, each drawn as a tree.

use maud::{Markup, html};

use crate::error::ApiResult;
use crate::forest::TreeNode;
use crate::state::AppState;
use crate::stats::{self, Window};

/// Fans drawn per cascade tree: beyond that a drawing says less than the numbers beside it.
const TREE_NODES: usize = 400;
const TREES: usize = 3;

pub async fn cascades(state: &AppState, campaign_id: i64, window: Window) -> ApiResult<Markup> {
    let largest = stats::largest_cascades(state, campaign_id, window, TREES).await?;
    let mut drawn = Vec::new();
    for cascade in largest.iter().filter(|c| c.size >= 2) {
        let nodes = state
            .forests
            .tree(campaign_id, window.seconds(), cascade.root_id, TREE_NODES)
            .await;
        drawn.push((cascade, nodes));
    }
    Ok(html! {
        section #cascades {
            h2 { "Largest cascades" }
            @if drawn.is_empty() {
                p { "No fan has brought another in this range." }
            }
            @for (cascade, nodes) in &drawn {
                @let root = cascade.root.as_deref();
                figure.tree {
                    figcaption {
                        "Started by " code { (root.unwrap_or("(erased)")) } ": "
                        b { (cascade.size) } " fans"
                        @if (nodes.len() as u64) < cascade.size {
                            " (the first " (nodes.len()) " drawn)"
                        }
                        ", depth " (cascade.depth)
                        ", widest generation " (cascade.max_breadth)
                        ", structural virality " (format!("{:.2}", cascade.structural_virality))
                    }
                    (tree_svg(nodes, &format!(
                        "Cascade started by {}: {} fans, {} generations deep",
                        root.unwrap_or("an erased fan"),
                        cascade.size,
                        cascade.depth
                    )))
                }
            }
        }
    })
}

/// A tree drawn top-down: a generation per row, leaves one column each, a parent in the middle
/// of its children.
fn tree_svg(nodes: &[TreeNode], label: &str) -> Markup {
    if nodes.is_empty() {
        return html! {};
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if let Some(parent) = node.parent {
            children[parent].push(i);
        }
    }
    // Depth-first: leaves take the next row; a parent takes the mean of its children's rows.
    let mut y = vec![0.0f64; nodes.len()];
    let mut next_row = 0.0;
    let mut stack = vec![(0usize, false)];
    while let Some((node, visited)) = stack.pop() {
        if visited || children[node].is_empty() {
            if children[node].is_empty() {
                y[node] = next_row;
                next_row += 1.0;
            } else {
                let ys: Vec<f64> = children[node].iter().map(|&c| y[c]).collect();
                y[node] = ys.iter().sum::<f64>() / ys.len() as f64;
            }
            continue;
        }
        stack.push((node, true));
        for &child in children[node].iter().rev() {
            stack.push((child, false));
        }
    }
    // Top-down: generations are rows, leaves spread across.
    let (dx, dy, pad) = (14.0, 36.0, 8.0);
    let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    let width = (next_row - 1.0).max(0.0) * dx + 2.0 * pad;
    let height = f64::from(depth) * dy + 2.0 * pad;
    let point = |i: usize| (pad + y[i] * dx, pad + f64::from(nodes[i].depth) * dy);
    let edge = |parent: usize, child: usize| {
        let ((x1, y1), (x2, y2)) = (point(parent), point(child));
        let my = (y1 + y2) / 2.0;
        format!("M{x1:.1} {y1:.1}C{x1:.1} {my:.1} {x2:.1} {my:.1} {x2:.1} {y2:.1}")
    };
    html! {
        // A small tree is drawn at its own size (a bit larger), a large one shrinks to fit.
        svg viewBox=(format!("0 0 {width:.0} {height:.0}")) width=(format!("{:.0}", width * 1.5))
            role="img" aria-label=(label) {
            g stroke="#c9c9cf" stroke-width="1.2" fill="none" {
                @for (i, node) in nodes.iter().enumerate() {
                    @if let Some(parent) = node.parent {
                        path d=(edge(parent, i)) {}
                    }
                }
            }
            @for i in 0..nodes.len() {
                @let (x, y) = point(i);
                @let (r, fill) = if i == 0 { ("5.5", "#1b1b1b") } else { ("3.5", "#b4235a") };
                circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r=(r) fill=(fill) {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_sits_between_its_children() {
        // Root with two children; the first child has one child.
        let nodes = [
            TreeNode {
                parent: None,
                depth: 0,
            },
            TreeNode {
                parent: Some(0),
                depth: 1,
            },
            TreeNode {
                parent: Some(0),
                depth: 1,
            },
            TreeNode {
                parent: Some(1),
                depth: 2,
            },
        ];
        let svg = tree_svg(&nodes, "test").into_string();
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches("<path").count(), 3);
        // Leaves in columns 0 (the grandchild) and 1; the root halfway: x = 8 + 0.5 × 14.
        assert!(svg.contains("cx=\"15.0\" cy=\"8.0\" r=\"5.5\""), "{svg}");
    }

    #[test]
    fn a_label_cannot_break_out_of_its_attribute() {
        let nodes = [TreeNode {
            parent: None,
            depth: 0,
        }];
        let svg = tree_svg(&nodes, "\"><script>alert(1)</script>").into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&quot;&gt;&lt;script&gt;"), "{svg}");
    }
}
