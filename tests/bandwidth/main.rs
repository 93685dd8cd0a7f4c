//! Tests of the Bandwidth API client against a loopback server that replays the recorded
//! Bandwidth payloads in `tests/fixtures/` byte for byte and records every request.

mod account;
mod errors;
mod messaging;
mod numbers;
mod support;

/// Every payload copied into `tests/fixtures/` is exercised by some test here.
#[test]
fn every_copied_fixture_is_used_by_a_test() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let sources: String = std::fs::read_dir(root.join("bandwidth"))
        .expect("test sources")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("source"))
        .collect();
    let unused: Vec<String> = std::fs::read_dir(root.join("fixtures"))
        .expect("fixtures")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !sources.contains(&format!("\"{name}\"")))
        .collect();
    assert!(unused.is_empty(), "fixtures no test uses: {unused:?}");
}
