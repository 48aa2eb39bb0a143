//! Rust extensions: PyO3 packages built with maturin against kiln's prebuilt std, loaded and
//! exercised in the runtime under Node.

use std::path::{Path, PathBuf};

use crate::common::{kiln, run, run_ok, scratch, text, toolchain, write};
use crate::packages::{recipes_with_fixture, wheels};
use crate::runtime::python;

/// The sha256 of every wheel in `dist`, by file name.
fn wheel_digests(dist: &Path) -> Vec<(String, String)> {
    wheels(dist)
        .iter()
        .map(|wheel| {
            let bytes = std::fs::read(wheel).unwrap();
            (
                wheel.file_name().unwrap().to_string_lossy().into_owned(),
                kiln::hash::Sha256::of_bytes(&bytes).to_string(),
            )
        })
        .collect()
}

/// The demo's Cargo.lock, made in the scratch copy by the root's cargo. The lockfile names
/// the registry's address, which this repository never does, so it is not committed; the
/// manifest pins pyo3 exactly.
fn lock_demo(recipes: &Path, fixture: &str) -> PathBuf {
    let source = recipes.join(fixture).join("src");
    let cargo_home = text(
        &kiln()
            .args(["config", "get", "cache_dir"])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_string()
        + "/cargo-v0";
    std::fs::create_dir_all(&cargo_home).unwrap();
    run_ok(kiln().args(["toolchain", "run", "--", "sh", "-c"]).arg(format!(
        "CARGO_HOME={cargo_home} CARGO_HTTP_CAINFO=\"$SSL_CERT_FILE\" cargo generate-lockfile --manifest-path {}/Cargo.toml",
        source.display()
    )));
    assert!(source.join("Cargo.lock").is_file());
    source
}

/// Function, i64 arguments, class, custom exception and a panic: with panic=unwind on wasm
/// exception handling the panic unwinds through Rust frames (destructors run) and PyO3 turns
/// it into `pyo3_runtime.PanicException`; the interpreter goes on. A rebuild gives the same
/// wheel byte for byte.
#[test]
fn pyo3_extension_panics_become_python_exceptions() {
    toolchain();
    let recipes = recipes_with_fixture("pyo3demo-recipes", "pyo3demo");
    lock_demo(&recipes, "pyo3demo");
    let dist = scratch("pyo3demo-dist");
    // Returns build-recipes' summary table (stderr).
    let build = |extra: &[&str]| {
        let output = run(kiln()
            .arg("--recipe-dir")
            .arg(&recipes)
            .args(["build-recipes", "pyo3demo", "--install", "--install-dir"])
            .arg(&dist)
            .args(extra));
        assert!(output.status.success());
        text(&output.stderr)
    };
    let first_summary = build(&[]);
    let first = wheel_digests(&dist);
    let demo = first
        .iter()
        .find(|(name, _)| name.starts_with("pyo3demo-"))
        .expect("a pyo3demo wheel");
    assert_eq!(
        demo.0, "pyo3demo-0.1.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
        "maturin tags the wheel for the target"
    );
    let log = std::fs::read_to_string(cached_log(&first_summary, "pyo3demo")).unwrap();
    assert!(
        log.contains("kiln: crates ("),
        "the build log lists the crates"
    );
    assert!(log.contains("pyo3 0.30.1"), "the build log lists pyo3");

    let check = scratch("pyo3demo-check").join("check.py");
    write(
        &check,
        r#"
from pyo3demo import Counter, DemoError, add, checked_div, drops_seen, explode, sum_list
assert add(2**40, 2**41) == 3 * 2**40 and add(-5, 3) == -2
assert sum_list([0.5, 1.25, 2.0]) == 3.75
c = Counter(step=5); c.bump(); c.bump()
assert c.count == 10 and repr(c) == "Counter(count=10, step=5)"
try:
    checked_div(7, 0)
except DemoError as error:
    assert str(error) == "cannot divide 7 by zero" and isinstance(error, Exception)
else:
    raise AssertionError("no DemoError")
assert checked_div(7, 2) == 3
try:
    explode("kaboom")
except BaseException as error:
    print("caught", type(error).__module__, type(error).__name__, error)
assert drops_seen() == 3, drops_seen()
try:
    explode("again")
except BaseException as error:
    print("caught again", type(error).__name__)
print("drops", drops_seen(), "alive", add(1, 1))
"#,
    );
    let output = python(&dist).arg(&check).output().unwrap();
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("caught pyo3_runtime PanicException explode: kaboom"),
        "{stdout}"
    );
    assert!(stdout.contains("caught again PanicException"), "{stdout}");
    assert!(stdout.contains("drops 6 alive 2"), "{stdout}");
    assert!(
        stderr.contains("panicked at"),
        "Rust's panic message goes to stderr"
    );

    build(&["--force-rebuild"]);
    assert_eq!(
        wheel_digests(&dist),
        first,
        "a rebuild gives identical wheels"
    );
}

/// The same through setuptools-rust (which reads `CARGO_BUILD_TARGET` and links a side module
/// itself).
#[test]
fn setuptools_rust_extension_builds_and_panics_cleanly() {
    toolchain();
    let recipes = recipes_with_fixture("pyo3demo-st-recipes", "pyo3demo-st");
    lock_demo(&recipes, "pyo3demo-st");
    let dist = scratch("pyo3demo-st-dist");
    run_ok(
        kiln()
            .arg("--recipe-dir")
            .arg(&recipes)
            .args(["build-recipes", "pyo3demo-st", "--install", "--install-dir"])
            .arg(&dist),
    );
    assert_has_wheel(
        &dist,
        "pyo3demo_st-0.1.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
    );
    let stdout = run_ok(python(&dist).args([
        "-c",
        "from pyo3demo_st import fib, must_be_even\n\
         assert fib(90) == 2880067194370816120 and must_be_even(4) == 4\n\
         try:\n    must_be_even(3)\nexcept BaseException as error:\n    print(type(error).__name__, error)\n\
         print(fib(10))",
    ]));
    assert_eq!(stdout, "PanicException 3 is odd\n55\n");
}

/// Fails unless `dist` holds a wheel of exactly this file name (the target's tags).
fn assert_has_wheel(dist: &Path, file_name: &str) {
    let names: Vec<String> = wheel_digests(dist)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(names.iter().any(|name| name == file_name), "{names:?}");
}

/// The build log of `name` in the cache, from build-recipes' summary table (its last column;
/// the table comes last, after any size report).
fn cached_log(summary: &str, name: &str) -> PathBuf {
    summary
        .lines()
        .rev()
        .find(|line| line.split_whitespace().next() == Some(name))
        .and_then(|line| line.split_whitespace().last())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no summary line for {name}:\n{summary}"))
}

/// rpds-py from its sdist (maturin + PyO3, crates from its Cargo.lock) and jsonschema, which
/// resolves `$ref`s through referencing's rpds-backed registry, validating in the runtime.
#[test]
fn jsonschema_validates_on_rpds_py() {
    toolchain();
    let dist = scratch("jsonschema-dist");
    run_ok(
        kiln()
            .args(["build-recipes", "jsonschema", "--install", "--install-dir"])
            .arg(&dist),
    );
    assert_has_wheel(
        &dist,
        "rpds_py-2026.9.1-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
    );
    let stdout = run_ok(python(&dist).args([
        "-c",
        r##"
import rpds, jsonschema
m = rpds.HashTrieMap({"a": 1}).insert("b", 2)
assert m["b"] == 2 and len(m) == 2 and list(rpds.List([1, 2]).push_front(0)) == [0, 1, 2]
try:
    rpds.HashTrieMap().remove("missing")
except KeyError:
    pass
else:
    raise AssertionError("no KeyError from Rust")
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
                   "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}}},
    "required": ["name"],
    "$defs": {"tag": {"type": "string", "pattern": "^[a-z]+$"}},
}
jsonschema.validate({"name": "kiln", "age": 1, "tags": ["wasm", "rust"]}, schema)
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors({"age": -1, "tags": ["Bad"]}), key=str)
for error in errors:
    print(list(error.absolute_path), error.message)
"##,
    ]));
    assert!(
        stdout.contains("[] 'name' is a required property"),
        "{stdout}"
    );
    assert!(
        stdout.contains("['age'] -1 is less than the minimum of 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("['tags', 0] 'Bad' does not match '^[a-z]+$'"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
}

/// A Rust package without a Cargo.lock would resolve its crates anew on every build: kiln
/// refuses it before building anything, naming the manifest.
#[test]
fn rust_package_without_cargo_lock_is_refused() {
    toolchain();
    let recipes = recipes_with_fixture("pyo3demo-nolock-recipes", "pyo3demo");
    let output = run(kiln()
        .arg("--recipe-dir")
        .arg(&recipes)
        .args(["build-recipes", "pyo3demo"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("pyo3demo/src/Cargo.toml` has no Cargo.lock"),
        "{stderr}"
    );
}
