//! Packages: wheels built from real sdists, loaded and exercised in the runtime under Node.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{kiln, project_dir, run, run_ok, scratch, text, toolchain};
use crate::runtime::{PYTEST_IN_RUNTIME, python};

const PACKAGES: &[&str] = &[
    "six",
    "markupsafe",
    "msgpack",
    "pyyaml",
    "kiwisolver",
    "numpy",
];

/// Builds the packages (cached by content after the first time) and installs runtime and
/// wheels into a test-owned folder.
pub fn packages_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        toolchain();
        let dist = project_dir().join("target/kiln-tests/dist-packages");
        run_ok(
            kiln()
                .args(["build-recipes"])
                .args(PACKAGES)
                .args(["--install", "--install-dir"])
                .arg(&dist),
        );
        dist
    })
    .clone()
}

pub fn wheels(dist: &Path) -> Vec<PathBuf> {
    let mut wheels: Vec<PathBuf> = std::fs::read_dir(dist)
        .expect("dist exists")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    wheels.sort();
    wheels
}

/// Unpacks every (non-test) wheel into one folder, the way an installer would, and returns it
/// for `PYTHONPATH`.
fn site_packages(dist: &Path) -> PathBuf {
    let site = scratch("site-packages");
    for wheel in wheels(dist)
        .iter()
        .filter(|wheel| !wheel.to_string_lossy().contains("_tests-"))
    {
        run_ok(
            Command::new("unzip")
                .arg("-q")
                .arg("-o")
                .arg(wheel)
                .arg("-d")
                .arg(&site),
        );
    }
    site
}

fn run_in_runtime(dist: &Path, code: &str) -> String {
    let site = site_packages(dist);
    run_ok(python(dist).args(["-c", code]).env("PYTHONPATH", &site))
}

#[test]
fn c_extensions_work_in_the_runtime() {
    let dist = packages_dist();
    let stdout = run_in_runtime(
        &dist,
        r#"
import six, markupsafe, msgpack, yaml, kiwisolver
from markupsafe import _speedups
print("escape", markupsafe.escape("<a href='x'>&</a>"))
data = {"a": [1, 2.5, "x", None], "b": {"c": True}}
assert msgpack.unpackb(msgpack.packb(data)) == data
print("msgpack", msgpack.Packer.__module__)
print("yaml", yaml.load("a: [1, 2]\nb: {c: d}", Loader=yaml.CSafeLoader), yaml.__with_libyaml__)
x, y = kiwisolver.Variable("x"), kiwisolver.Variable("y")
solver = kiwisolver.Solver()
for constraint in (x + y == 10, x - y == 4):
    solver.addConstraint(constraint)
solver.updateVariables()
print("kiwi", x.value(), y.value())
print("six", six.PY3)
"#,
    );
    assert!(
        stdout.contains("escape &lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"),
        "{stdout}"
    );
    assert!(stdout.contains("msgpack msgpack._cmsgpack"), "{stdout}");
    assert!(
        stdout.contains("yaml {'a': [1, 2], 'b': {'c': 'd'}} True"),
        "{stdout}"
    );
    assert!(stdout.contains("kiwi 7.0 3.0"), "{stdout}");
    assert!(stdout.contains("six True"), "{stdout}");
}

#[test]
fn numpy_works_in_the_runtime() {
    let dist = packages_dist();
    let stdout = run_in_runtime(
        &dist,
        r#"
import numpy as np
a = np.array([[4.0, 7.0], [2.0, 6.0]])
print("inv", np.allclose(np.linalg.inv(a) @ a, np.eye(2)))
print("ufunc", np.sin(np.array([0.0, np.pi / 2])).round(6).tolist(), np.add.reduce(np.arange(10)))
print("fft", np.allclose(np.fft.ifft(np.fft.fft(np.arange(8.0))).real, np.arange(8.0)))
rng = np.random.default_rng(42)
print("random", rng.integers(0, 100, 3).tolist() == np.random.default_rng(42).integers(0, 100, 3).tolist())
print("sum", np.arange(6).reshape(2, 3).sum())
"#,
    );
    for expected in [
        "inv True",
        "ufunc [0.0, 1.0] 45",
        "fft True",
        "random True",
        "sum 15",
    ] {
        assert!(stdout.contains(expected), "{expected} missing: {stdout}");
    }
}

/// The host's `packaging` accepts every wheel name and tag, and `installer` installs each
/// wheel (verifying RECORD) into a scratch folder. Both run in a venv of the root's Python.
#[test]
fn wheels_are_accepted_by_packaging_and_installer() {
    let dist = packages_dist();
    let venv = crate::common::root_venv("wheel-tools-venv", &["packaging", "installer"]);
    let target = scratch("installer-target");
    let script = r#"
import sys, pathlib
from packaging.utils import parse_wheel_filename
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
target = pathlib.Path(sys.argv[1])
for wheel in sys.argv[2:]:
    name, version, build, tags = parse_wheel_filename(pathlib.Path(wheel).name)
    print(name, version, sorted(str(t) for t in tags))
    scheme = {key: str(target / key) for key in ("purelib", "platlib", "headers", "scripts", "data")}
    with WheelFile.open(wheel) as source:
        install(source, SchemeDictionaryDestination(scheme, interpreter="/usr/bin/python3", script_kind="posix"), {})
print("installed", len(sys.argv) - 2)
"#;
    let wheels = wheels(&dist);
    assert!(wheels.len() >= PACKAGES.len(), "{wheels:?}");
    let stdout = run_ok(
        kiln()
            .args(["toolchain", "run", "--"])
            .arg(venv.join("bin/python"))
            .args(["-c", script])
            .arg(&target)
            .args(&wheels),
    );
    assert!(
        stdout.contains(&format!("installed {}", wheels.len())),
        "{stdout}"
    );
    assert!(
        stdout.contains("numpy 2.5.5 ['cp315-cp315-pyemscripten_2026_5_wasm32']"),
        "{stdout}"
    );
    assert!(
        stdout.contains("six 1.17.0 ['py2-none-any', 'py3-none-any']"),
        "{stdout}"
    );
    assert!(
        stdout.contains("numpy-tests 2.5.5 ['cp315-cp315-pyemscripten_2026_5_wasm32']"),
        "{stdout}"
    );
}

/// Rebuilding a recipe from scratch gives a byte-identical wheel.
#[test]
fn rebuilding_gives_the_same_wheel() {
    let dist = packages_dist();
    let digest = |dist: &Path| {
        let wheel = wheels(dist)
            .into_iter()
            .find(|w| w.to_string_lossy().contains("markupsafe-"))
            .expect("markupsafe wheel");
        let output = run_ok(Command::new("sha256sum").arg(&wheel));
        output
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let before = digest(&dist);
    let again = project_dir().join("target/kiln-tests/dist-rebuild");
    run_ok(
        kiln()
            .args([
                "build-recipes",
                "markupsafe",
                "--force-rebuild",
                "--install",
                "--install-dir",
            ])
            .arg(&again),
    );
    assert_eq!(digest(&again), before);
}

/// A recipe folder holding the project's recipes plus the fixture `tests/data/packages/NAME`
/// (copies keep their cache keys: keys hash recipe bytes, not paths).
pub fn recipes_with_fixture(scratch_name: &str, fixture: &str) -> PathBuf {
    recipes_with_fixtures(scratch_name, &[fixture])
}

/// [`recipes_with_fixture`] with several fixtures.
pub fn recipes_with_fixtures(scratch_name: &str, fixtures: &[&str]) -> PathBuf {
    let recipes = scratch(scratch_name);
    for entry in std::fs::read_dir(project_dir().join("recipes"))
        .unwrap()
        .flatten()
    {
        run_ok(Command::new("cp").arg("-r").arg(entry.path()).arg(&recipes));
    }
    for fixture in fixtures {
        let fixture = project_dir().join("tests/data/packages").join(fixture);
        run_ok(Command::new("cp").arg("-r").arg(fixture).arg(&recipes));
    }
    recipes
}

/// A package whose extension needs a symbol nothing provides fails at build time, with the
/// symbol named.
#[test]
fn link_check_fails_a_missing_symbol() {
    toolchain();
    let recipes = recipes_with_fixture("linkcheck-recipes", "linkcheck-missing");
    let output = run(kiln()
        .arg("--recipe-dir")
        .arg(&recipes)
        .args(["build-recipes", "linkcheck-missing"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("kiln_no_such_function"), "{stderr}");
    assert!(
        stderr.contains("_ext.cpython-315-wasm32-emscripten.so"),
        "{stderr}"
    );
}

/// NumPy's own test suite inside the runtime (pytest, loaded from wheels kiln built).
/// Known failures are deselected here with their reason, so anything new fails the test.
#[test]
fn numpy_test_suite_passes_in_the_runtime() {
    toolchain();
    let dist = project_dir().join("target/kiln-tests/dist-numpy-tests");
    run_ok(
        kiln()
            .args([
                "build-recipes",
                "numpy",
                "pytest",
                "hypothesis",
                "--install",
                "--install-dir",
            ])
            .arg(&dist),
    );
    let site = scratch("numpy-tests-site");
    for wheel in wheels(&dist) {
        run_ok(
            Command::new("unzip")
                .arg("-q")
                .arg("-o")
                .arg(&wheel)
                .arg("-d")
                .arg(&site),
        );
    }
    const DESELECTED: &[(&str, &str)] = &[(
        "numpy/_core/tests/test_multiarray.py::TestFromBuffer::test_mmap_close",
        "emscripten's mmap of a file fails with EINVAL",
    )];
    let mut command = python(&dist);
    command.env("PYTHONPATH", &site).current_dir(&site).args([
        "-m",
        "pytest",
        "numpy/_core/tests/test_multiarray.py",
        "numpy/_core/tests/test_umath.py",
        "numpy/linalg/tests",
    ]);
    command.args(PYTEST_IN_RUNTIME);
    // Test ids (and so `--deselect`) are relative to the rootdir, which pytest would otherwise
    // place at the nearest folder above with a pyproject.toml or setup.cfg.
    command.arg("--rootdir").arg(&site);
    for (test, _reason) in DESELECTED {
        command.args(["--deselect", test]);
    }
    let output = run(&mut command);
    let stdout = text(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default().to_string();
    eprintln!("numpy test summary: {summary}");
    assert_eq!(output.status.code(), Some(0), "{summary}");
    let failed = summary
        .split(", ")
        .any(|part| part.split_whitespace().nth(1) == Some("failed"));
    assert!(summary.contains(" passed") && !failed, "{summary}");
}

/// A package compiled against NumPy's C API gets the target numpy's headers (4-byte `long`
/// on wasm32), and its arrays agree with numpy's own in the runtime.
#[test]
fn package_builds_against_the_target_numpy_headers() {
    toolchain();
    let recipes = recipes_with_fixture("numpy-capi-recipes", "numpy-capi");
    let dist = scratch("numpy-capi-dist");
    run_ok(
        kiln()
            .arg("--recipe-dir")
            .arg(&recipes)
            .args(["build-recipes", "numpy-capi", "--install", "--install-dir"])
            .arg(&dist),
    );
    let stdout = run_ok(python(&dist).args([
        "-c",
        "import numpy, numpy_capi\n\
         a = numpy_capi.arange_long(10)\n\
         print(numpy_capi.sizeof_long(), numpy_capi.npy_sizeof_long(), a.dtype == numpy.dtype('long'), a.dtype.itemsize, int(a.sum()))",
    ]));
    assert_eq!(stdout.trim(), "4 4 True 4 45");
}

/// A shared library recipe ships as a `dynlib` lock entry; a package calling into it passes the
/// link check (the library's exports count) and works in the runtime, the loader fetching and
/// loading the library globally first.
#[test]
fn shared_library_recipe_is_a_dynlib_its_dependents_use() {
    toolchain();
    let recipes =
        recipes_with_fixtures("shared-library-recipes", &["libkilndemo", "uses-kilndemo"]);
    let dist = scratch("shared-library-dist");
    run_ok(
        kiln()
            .arg("--recipe-dir")
            .arg(&recipes)
            .args([
                "build-recipes",
                "uses-kilndemo",
                "--install",
                "--install-dir",
            ])
            .arg(&dist),
    );
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dist.join("pyodide-lock.json")).unwrap())
            .unwrap();
    assert_eq!(lock["packages"]["libkilndemo"]["install_dir"], "dynlib");
    assert_eq!(
        lock["packages"]["libkilndemo"]["package_type"],
        "shared_library"
    );
    assert_eq!(
        lock["packages"]["uses-kilndemo"]["depends"],
        serde_json::json!(["libkilndemo"])
    );
    let stdout =
        run_ok(python(&dist).args(["-c", "import uses_kilndemo; print(uses_kilndemo.answer(7))"]));
    assert_eq!(stdout.trim(), "42");
    run_ok(kiln().args(["verify"]).arg(&dist));
}
