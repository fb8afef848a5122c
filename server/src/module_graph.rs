//! Architecture check (issue 9): no import cycles between the modules of `server/src`.
//!
//! Each file is a node keyed by its first two module segments (`jobs::worker`, `plugins`,
//! `downloads`); every `crate::…` and `super::…` path it uses (use-trees included) is an edge
//! to the module that path names. Tests and `lib.rs`/`main.rs` (the wiring) are left out.
//! A strongly connected component with more than one node is a cycle, and fails the test
//! with its members. The same holds one level up, between the top-level modules (`jobs`,
//! `library`, `handoff`): files that avoid a cycle between them one by one can still make
//! two folders depend on each other. A text scan, not a compiler: good enough for a
//! codebase that writes its paths plainly, and it needs no tool beyond the test runner.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `jobs/worker/mod.rs` → `["jobs", "worker"]`.
fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn key(path: &[String]) -> String {
    path.iter().take(2).cloned().collect::<Vec<_>>().join("::")
}

/// The code before the unit tests, without line comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names from `crate::` or `super::`, as segments, use-trees expanded one
/// level (`crate::{a::b, c}` → `a::b`, `c`).
fn used_paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    for anchor in ["crate::", "super::"] {
        let from_crate = anchor == "crate::";
        let mut rest = code;
        while let Some(at) = rest.find(anchor) {
            let preceded_by_ident = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            let after = &rest[at + anchor.len()..];
            rest = after;
            if preceded_by_ident {
                continue;
            }
            if let Some(tree) = after.strip_prefix('{') {
                let mut depth = 1;
                let end = tree
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += match c {
                            '{' => 1,
                            '}' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map_or(tree.len(), |(i, _)| i);
                let mut depth = 0;
                let mut item = String::new();
                for c in tree[..end].chars().chain(std::iter::once(',')) {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.push((from_crate, segments(&item)));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
            } else {
                out.push((from_crate, segments(after)));
            }
        }
    }
    out
}

fn segments(path: &str) -> Vec<String> {
    let path = path.trim();
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(path.len());
    path[..end]
        .split("::")
        .take_while(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn module_graph(root: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(root, f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let path = module_path(root, file);
        let name = path.last().map(String::as_str).unwrap_or("");
        if path.len() == 1 && ["lib", "main"].contains(&name) || name.ends_with("tests") {
            continue;
        }
        let from = key(&path);
        let edges = graph.entry(from.clone()).or_default();
        let text = std::fs::read_to_string(file).unwrap();
        for (from_crate, used) in used_paths(&code(&text)) {
            let base: Vec<String> = if from_crate {
                Vec::new()
            } else {
                path[..path.len() - 1].to_vec()
            };
            // The longest prefix that names a module file.
            let target = (1..=used.len()).rev().find_map(|n| {
                let candidate: Vec<String> = base.iter().chain(&used[..n]).cloned().collect();
                modules.contains(&candidate).then_some(candidate)
            });
            let to = key(&target.unwrap_or(base));
            if !to.is_empty() && to != from {
                edges.insert(to);
            }
        }
    }
    graph
}

/// Tarjan's strongly connected components with more than one member.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.graph.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|&s| s == v).unwrap();
                let component: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

/// The graph as text, a module per line: `jobs::worker -> domain, jobs, store`.
fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, uses)| {
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            format!("{module} -> {}\n", uses.join(", "))
        })
        .collect()
}

/// The same graph one level up: `jobs::worker -> store, library::scan` becomes
/// `jobs -> store, library`.
fn top_level(graph: &Graph) -> Graph {
    let top = |module: &str| module.split("::").next().unwrap_or(module).to_owned();
    let mut out = Graph::new();
    for (module, uses) in graph {
        let from = top(module);
        let uses: Vec<String> = uses.iter().map(|u| top(u)).filter(|u| *u != from).collect();
        out.entry(from).or_default().extend(uses);
    }
    out
}

/// Prints both graphs (`cargo nextest run -E 'test(module_graph)' --no-capture` shows them).
#[test]
fn server_modules_import_each_other_without_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&root);
    println!("{}", render(&graph));
    assert!(
        graph.len() > 40,
        "the scan found too few modules: {graph:?}"
    );
    // The domain vocabulary is a leaf: it imports nothing of the server.
    assert!(graph["domain"].is_empty(), "{:?}", graph["domain"]);
    assert!(!graph["api"].is_empty(), "the scan sees edges");
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles: {found:?}");
    let top = top_level(&graph);
    println!("{}", render(&top));
    let found = cycles(&top);
    assert!(
        found.is_empty(),
        "import cycles between top-level modules: {found:?}"
    );
}

#[test]
fn files_without_a_cycle_can_still_make_one_between_folders() {
    let graph: Graph = [("a::x", vec!["b::y"]), ("b::z", vec!["a::w"])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
    assert!(cycles(&graph).is_empty());
    let mut found = cycles(&top_level(&graph));
    found.iter_mut().for_each(|c| c.sort());
    assert_eq!(found, [vec!["a", "b"]]);
}

#[test]
fn the_check_finds_a_cycle_when_there_is_one() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    let mut found = cycles(&graph);
    found.iter_mut().for_each(|c| c.sort());
    assert_eq!(found, [vec!["a", "b", "c"]]);
}

#[test]
fn use_trees_are_read_one_level_deep() {
    let paths = used_paths("use crate::{a::b, c::{d, e}};\nlet x = super::f::g();");
    let names: Vec<_> = paths.iter().map(|(_, p)| p.join("::")).collect();
    assert_eq!(names, ["a::b", "c", "f::g"]);
}
