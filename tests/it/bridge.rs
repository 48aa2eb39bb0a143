//! The JavaScript ⟺ Python bridge (issue 15) on the built runtime: its Node tests
//! (`tests/browser/bridge*.test.mjs`: the `js` module, `pyodide.ffi`, the JS API, errors,
//! asyncio, the proxy-leak test and the differential test against Pyodide's npm package) and
//! its Chromium test (`tests/browser/dom.test.mjs`: DOM elements and a click handler made in
//! Python, and the console's REPL). Both need only the runtime (`cpython`), not packages.

use std::path::Path;
use std::process::Command;

use crate::common::{browser_test_deps, project_dir, run, text};
use crate::runtime::runtime_dist;

/// Runs `node --test` on `files` against the runtime; all must pass, none may be skipped.
fn node_tests(files: &[&str], extra: &[&str]) {
    let dist = runtime_dist();
    browser_test_deps();
    let output = run(Command::new("node")
        .arg("--test")
        .args(extra)
        .args(files)
        .current_dir(project_dir())
        .env("KILN_DIST", &dist));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("# fail 0") && stdout.contains("# skipped 0"),
        "{stdout}"
    );
}

#[test]
fn bridge_in_node() {
    // --expose-gc: the leak test and the FinalizationRegistry test collect garbage on purpose.
    node_tests(
        &[
            "tests/browser/bridge.test.mjs",
            "tests/browser/bridge-leak.test.mjs",
            "tests/browser/bridge-pyodide.test.mjs",
        ],
        &["--expose-gc", "--test-concurrency=1"],
    );
}

#[test]
fn bridge_in_chromium() {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is installed by scripts/test (apt-get install chromium)"
    );
    node_tests(&["tests/browser/dom.test.mjs"], &["--test-concurrency=1"]);
}
