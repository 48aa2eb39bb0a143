//! The runtime: CPython built by kiln from recipes, booted by `dist/python.mjs` under Node.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{kiln, project_dir, run, run_ok, text, toolchain};

/// Builds the runtime (cached by content after the first time) and installs the bundle into
/// a test-owned folder; returns that folder.
pub fn runtime_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        toolchain();
        let dist = project_dir().join("target/kiln-tests/dist");
        run_ok(
            kiln()
                .args(["build-recipes", "cpython", "--install", "--install-dir"])
                .arg(&dist),
        );
        dist
    })
    .clone()
}

/// pytest options every test suite run in the runtime needs, with the slow tests left out.
pub const PYTEST_IN_RUNTIME: &[&str] = &[
    "-q",
    // pytest's fd-level capture needs fstat on unlinked temporary files, which emscripten's
    // file system lacks; faulthandler needs a real stderr fd.
    "-s",
    "-p",
    "no:faulthandler",
    "-p",
    "no:cacheprovider",
    "-m",
    "not slow",
];

pub fn python(dist: &std::path::Path) -> Command {
    let mut command = Command::new("node");
    command
        .arg(dist.join("python.mjs"))
        .current_dir(project_dir());
    command
}

#[test]
fn boots_and_imports_the_compiled_stdlib_modules() {
    let dist = runtime_dist();
    for file in [
        "python.mjs",
        "python.js",
        "python.wasm",
        "python_stdlib.zip",
        "runtime.json",
    ] {
        assert!(dist.join(file).is_file(), "missing {file}");
    }
    let stdout = run_ok(python(&dist).args([
        "-c",
        "import sys, json, re, math, zlib, bz2, lzma, sqlite3, ctypes, decimal; print(sys.platform)",
    ]));
    assert_eq!(stdout.trim(), "emscripten");
}

#[test]
fn uncaught_exception_exits_nonzero_with_traceback() {
    let dist = runtime_dist();
    let output = run(python(&dist).args(["-c", "print('before'); 1/0"]));
    assert_ne!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("before"));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("Traceback (most recent call last)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ZeroDivisionError: division by zero"),
        "{stderr}"
    );
}

#[test]
fn behaves_like_python3_for_scripts_modules_and_exit_codes() {
    let dist = runtime_dist();
    let dir = crate::common::scratch("runtime-cli");
    crate::common::write(
        &dir.join("script.py"),
        "import sys\nprint('args', sys.argv[1:])\nsys.exit(7)\n",
    );
    let output = run(python(&dist).arg(dir.join("script.py")).args(["a", "b c"]));
    assert_eq!(output.status.code(), Some(7));
    assert!(
        text(&output.stdout).contains("args ['a', 'b c']"),
        "{}",
        text(&output.stdout)
    );

    crate::common::write(&dir.join("data.json"), "{\"b\": [1, 2], \"a\": null}");
    let stdout = run_ok(
        python(&dist)
            .args(["-m", "json.tool", "--sort-keys", "data.json"])
            .current_dir(&dir),
    );
    assert_eq!(
        stdout,
        "{\n    \"a\": null,\n    \"b\": [\n        1,\n        2\n    ]\n}\n"
    );
}
