//! Tests of the Bandwidth API client against a loopback server that replays the recorded
//! Bandwidth payloads in `tests/fixtures/` byte for byte and records every request.

mod account;
mod errors;
mod messaging;
mod numbers;
mod registration;
mod support;

/// Every payload copied into `tests/fixtures/` is exercised by some test of the crate (the
/// client's here, the emulator's, or the callback parser's unit tests).
#[test]
fn every_copied_fixture_is_used_by_a_test() {
    fn sources(dir: &std::path::Path, into: &mut String) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                sources(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push_str(&std::fs::read_to_string(&path).expect("source"));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut code = String::new();
    sources(&root.join("tests"), &mut code);
    sources(&root.join("src"), &mut code);
    let unused: Vec<String> = std::fs::read_dir(root.join("tests/fixtures"))
        .expect("fixtures")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !code.contains(&format!("\"{name}\"")))
        .collect();
    assert!(unused.is_empty(), "fixtures no test uses: {unused:?}");
}
