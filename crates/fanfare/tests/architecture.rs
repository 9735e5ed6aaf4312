//! The layout rules of ARCHITECTURE.md, checked on the source tree, so that the next change
//! cannot quietly undo them: no two files of a crate import each other (directly or through a
//! circle), no source file over 800 lines (the conformance scenarios aside), and
//! `fanfare-core` free of web frameworks, runtimes and database drivers.

#![allow(clippy::unwrap_used)] // an unwrap here is a failed assertion

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Every `src` folder of the workspace's crates.
fn crate_sources() -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    sources.sort();
    assert!(sources.len() >= 8, "crates not found: {sources:?}");
    sources
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/redirect/cache.rs` is `["redirect", "cache"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file that defines the longest prefix of `path` that is a module (the crate root for none).
fn file_of(src: &Path, path: &[String]) -> PathBuf {
    for len in (1..=path.len()).rev() {
        let base = path[..len]
            .iter()
            .fold(src.to_path_buf(), |p, part| p.join(part));
        for candidate in [base.with_extension("rs"), base.join("mod.rs")] {
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    if src.join("lib.rs").is_file() {
        src.join("lib.rs")
    } else {
        src.join("main.rs")
    }
}

/// The code of a file without its comments and its unit tests (which may import anything).
fn code_of(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The module paths a piece of code names after `crate::`, `super::` or `self::`, relative to
/// the module `here`, with `crate::{a, b::c}` groups spread out.
fn named_paths(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for root in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + root.len()..];
            rest = after;
            // `$crate::` (a macro's path) and `foo_crate::` are not this crate.
            if before.is_some_and(|c| is_ident(c) || c == '$' || c == ':') {
                continue;
            }
            let base: Vec<String> = match root {
                "crate::" => Vec::new(),
                // The parent module: `a` for `a/b.rs`, the crate root for `a/mod.rs` (`here`
                // is `a` for both `a.rs` and `a/mod.rs`, and `a::b` for `a/b.rs`).
                "super::" => here[..here.len().saturating_sub(1)].to_vec(),
                _ => here.to_vec(),
            };
            let tails: Vec<&str> = if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end].split(',').map(str::trim).collect()
            } else {
                vec![after]
            };
            for tail in tails {
                let mut path = base.clone();
                for segment in tail.split("::") {
                    let name: String = segment.chars().take_while(|&c| is_ident(c)).collect();
                    if name.is_empty() {
                        break;
                    }
                    let whole = name.len() == segment.len();
                    path.push(name);
                    if !whole {
                        break;
                    }
                }
                paths.push(path);
            }
        }
    }
    paths
}

/// The child modules a file declares (`mod x;`) and names (`x::…`).
fn named_children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_owned)
        })
        .filter(|child| {
            code.match_indices(&format!("{child}::")).any(|(at, _)| {
                !code[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| is_ident(c) || c == ':')
            })
        })
        .collect()
}

/// Which files of one crate import which.
fn import_graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph = BTreeMap::new();
    for file in &files {
        let code = code_of(&fs::read_to_string(file).unwrap());
        let here = module_of(src, file);
        let mut targets = BTreeSet::new();
        for path in named_paths(&code, &here) {
            targets.insert(file_of(src, &path));
        }
        for child in named_children(&code) {
            let mut path = here.clone();
            path.push(child);
            targets.insert(file_of(src, &path));
        }
        targets.remove(file);
        graph.insert(file.clone(), targets);
    }
    graph
}

/// A circle of imports, if there is one (depth-first search, the path kept on a stack).
fn find_circle(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks: BTreeMap<&PathBuf, Mark> = graph.keys().map(|k| (k, Mark::New)).collect();
    for start in graph.keys() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(&PathBuf, Vec<&PathBuf>)> =
            vec![(start, graph[start].iter().collect())];
        marks.insert(start, Mark::Open);
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) if graph.contains_key(next) => match marks[next] {
                    Mark::New => {
                        marks.insert(next, Mark::Open);
                        stack.push((next, graph[next].iter().collect()));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|(n, _)| *n == next).unwrap();
                        let mut circle: Vec<PathBuf> =
                            stack[from..].iter().map(|(n, _)| (*n).clone()).collect();
                        circle.push(next.clone());
                        return Some(circle);
                    }
                    Mark::Done => {}
                },
                Some(_) => {}
                None => {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
    }
    None
}

#[test]
fn no_two_files_of_a_crate_import_each_other() {
    for src in crate_sources() {
        let graph = import_graph(&src);
        if let Some(circle) = find_circle(&graph) {
            let names: Vec<String> = circle
                .iter()
                .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
                .collect();
            let krate = src.strip_prefix(workspace()).unwrap_or(&src);
            panic!("{}: {}", krate.display(), names.join(" → "));
        }
    }
}

#[test]
fn the_circle_finder_finds_circles() {
    let (a, b, c) = (PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c"));
    let mut graph = BTreeMap::new();
    graph.insert(a.clone(), BTreeSet::from([b.clone()]));
    graph.insert(b.clone(), BTreeSet::from([c.clone()]));
    graph.insert(c.clone(), BTreeSet::new());
    assert_eq!(find_circle(&graph), None);
    graph.insert(c.clone(), BTreeSet::from([a.clone()]));
    assert_eq!(find_circle(&graph), Some(vec![a.clone(), b, c, a]));
}

#[test]
fn paths_are_read_from_use_lines() {
    let here = vec!["console".to_owned(), "report".to_owned()];
    let code = "use crate::context::{find, parse_slug_path};\nuse super::layout::page;\n\
                use crate::{error::ApiError, state::AppState};\n$crate::sql::prelude";
    let paths = named_paths(code, &here);
    let flat: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert!(flat.contains(&"context".to_owned()), "{flat:?}");
    assert!(
        flat.contains(&"console::layout::page".to_owned()),
        "{flat:?}"
    );
    assert!(flat.contains(&"error::ApiError".to_owned()), "{flat:?}");
    assert!(flat.contains(&"state::AppState".to_owned()), "{flat:?}");
    assert!(!flat.iter().any(|p| p.starts_with("sql")), "{flat:?}");
}

#[test]
fn no_source_file_is_over_800_lines() {
    for src in crate_sources() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            // The scenarios every backend runs read best as one list.
            if file.ends_with("fanfare-store/src/conformance.rs") {
                continue;
            }
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            assert!(lines <= 800, "{}: {lines} lines", file.display());
        }
    }
}

#[test]
fn the_core_depends_on_no_web_framework_runtime_or_driver() {
    let manifest = fs::read_to_string(workspace().join("crates/fanfare-core/Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    let dependencies = manifest["dependencies"].as_table().unwrap();
    for forbidden in [
        "axum",
        "hyper",
        "tower",
        "tokio",
        "sqlx",
        "rusqlite",
        "reqwest",
        "async-trait",
    ] {
        assert!(
            !dependencies.contains_key(forbidden),
            "fanfare-core depends on {forbidden}"
        );
    }
    // OpenAPI schemas are optional there: only the server asks for them.
    assert_eq!(dependencies["utoipa"]["optional"].as_bool(), Some(true));
}
