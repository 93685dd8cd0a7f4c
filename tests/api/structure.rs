//! The layering the code promises: `services/` modules depend on each other without cycles, and
//! resolvers and routes reach the store only through services (entities aside, as output types).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without its `#[cfg(test)]` tail (tests may reach anywhere).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a source file");
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Names of services modules mentioned as `crate::services::x` or `crate::services::{x, y}`.
fn services_named(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::services::") {
        let rest = &code[at + "crate::services::".len()..];
        let group = if let Some(inner) = rest.strip_prefix('{') {
            &inner[..inner.find('}').unwrap_or(inner.len())]
        } else {
            &rest[..rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())]
        };
        for word in group.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !word.is_empty()
                && word != "self"
                && word.starts_with(|c: char| c.is_ascii_lowercase())
            {
                names.insert(word.to_owned());
            }
        }
    }
    names
}

#[test]
fn services_modules_depend_on_each_other_without_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "mod" {
            continue;
        }
        let mut named = services_named(&code_of(file));
        named.remove(&module);
        deps.entry(module).or_default().extend(named);
    }
    let known: BTreeSet<String> = deps.keys().cloned().collect();
    // Depth-first search for a path from a module back to itself.
    fn reaches(
        deps: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        target: &str,
        path: &mut Vec<String>,
    ) -> bool {
        for next in deps.get(from).into_iter().flatten() {
            if next == target {
                return true;
            }
            if !path.contains(next) {
                path.push(next.clone());
                if reaches(deps, next, target, path) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for module in &known {
        let mut path = vec![module.clone()];
        assert!(
            !reaches(&deps, module, module, &mut path),
            "services/ has a cycle: {} -> {module}",
            path.join(" -> ")
        );
    }
}

#[test]
fn resolvers_and_routes_reach_the_store_only_through_services() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for layer in ["graphql", "http"] {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        for file in files {
            let code = code_of(&file);
            for (at, _) in code.match_indices("store::") {
                let rest = &code[at + "store::".len()..];
                assert!(
                    rest.starts_with("entities"),
                    "{} calls the store directly: {}",
                    file.display(),
                    &code[at..(at + 60).min(code.len())]
                );
            }
        }
    }
}
