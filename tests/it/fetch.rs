//! `kiln fetch`: download, verify, cache, extract; a second run needs no network.

use std::process::Command;

use crate::common::{kiln, project_dir, run, run_ok, text, toolchain};

#[test]
fn fetch_cpython_zlib_bzip2_then_again_without_network() {
    toolchain();
    let first = run_ok(kiln().args(["fetch", "cpython", "zlib", "bzip2"]));
    for name in ["cpython", "zlib", "bzip2"] {
        let line = first
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("no line for {name}: {first}"));
        assert!(
            line.contains("downloaded") || line.contains("cached"),
            "{line}"
        );
    }
    let cpython_src = project_dir().join(".kiln/build/cpython/src");
    assert!(
        cpython_src.join("Include/Python.h").is_file(),
        "CPython's source was extracted"
    );
    assert!(
        cpython_src
            .join("Platforms/emscripten/config.site-wasm32-emscripten")
            .is_file()
    );

    // A new network namespace has no interfaces at all: any download attempt would fail.
    let mut offline = Command::new("unshare");
    offline
        .arg("--net")
        .arg(env!("CARGO_BIN_EXE_kiln"))
        .args(["fetch", "cpython", "zlib", "bzip2"])
        .current_dir(project_dir());
    let output = run(&mut offline);
    assert!(
        output.status.success(),
        "offline fetch failed: {}",
        text(&output.stderr)
    );
    let second = text(&output.stdout);
    assert_eq!(
        second
            .lines()
            .filter(|line| line.contains(" cached "))
            .count(),
        3,
        "{second}"
    );
}
