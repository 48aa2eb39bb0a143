//! CPython's own test suite, run inside the runtime under Node.

use crate::common::{kiln, project_dir, run, run_ok, scratch, text};
use crate::runtime::{python, runtime_dist};

/// The modules the runtime issue names. Each must run and pass.
const MODULES: &[&str] = &[
    "test_json",
    "test_re",
    "test_math",
    "test_string",
    "test_list",
    "test_dict",
    "test_zlib",
    "test_sqlite3",
    "test_decimal",
    "test_datetime",
];

/// Test cases left out, each with the reason (also in docs/runtime.md).
const IGNORED: &[(&str, &str)] = &[(
    "*test_strftime_trailing_percent*",
    "emscripten's strftime drops a trailing `%` (a libc difference, not CPython's)",
)];

#[test]
fn cpython_test_suite_passes_for_core_modules() {
    let dist = runtime_dist();
    // The test package is not in the bundle's zip (and its data files cannot be read from a
    // zip): take it from the recipe's own (patched) source tree.
    run_ok(kiln().args(["fetch", "cpython"]));
    let testlib = scratch("cpython-testlib");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(project_dir().join(".kiln/build/cpython/src/Lib/test"))
        .arg(&testlib)
        .status()
        .expect("cp runs");
    assert!(copied.success());
    // test_decimal tests the pure-Python `_pydecimal` too, which the bundle leaves out by
    // default (`--stdlib-include _pydecimal` ships it): from the same source tree.
    std::fs::copy(
        project_dir().join(".kiln/build/cpython/src/Lib/_pydecimal.py"),
        testlib.join("_pydecimal.py"),
    )
    .expect("the source tree has _pydecimal.py");
    let mut command = python(&dist);
    command
        .env("PYTHONPATH", &testlib)
        .args(["-m", "test", "--verbose2"]);
    for (pattern, _reason) in IGNORED {
        command.args(["-i", pattern]);
    }
    let output = run(command.args(MODULES));
    let stdout = text(&output.stdout);
    for module in MODULES {
        assert!(stdout.contains(module), "{module} did not run:\n{stdout}");
    }
    assert!(
        stdout.contains("Tests result: SUCCESS"),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
}
