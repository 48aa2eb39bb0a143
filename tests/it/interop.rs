//! Interop on PEP 783's `pyemscripten_2026_5`, both ways: wheels kiln builds load and run in
//! Pyodide 315 (the `pyodide` npm package of the same platform), a `pyemscripten_2026_5` wheel
//! from PyPI that kiln did not build loads and runs in kiln's runtime, and wheels of another
//! platform or Python are refused with both tags named.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{kiln, project_dir, run, run_ok, scratch, text, toolchain, write};
use crate::packages::wheels;
use crate::runtime::{python, runtime_dist};

/// A C package (msgpack, pyyaml), a C++ one (kiwisolver), a Rust one (rpds-py) and NumPy.
const INTEROP_PACKAGES: &[&str] = &["msgpack", "pyyaml", "kiwisolver", "rpds-py", "numpy"];

/// The wheel PyPI serves for the platform (measured: it loads in Pyodide 315).
const PYPI_WHEEL: &str = "librt==0.17.0";

fn interop_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        toolchain();
        let dist = project_dir().join("target/kiln-tests/dist-interop");
        run_ok(
            kiln()
                .args(["build-recipes"])
                .args(INTEROP_PACKAGES)
                .args(["--install", "--install-dir"])
                .arg(&dist),
        );
        dist
    })
    .clone()
}

/// The `pyodide` package of `tests/browser` (installed by `scripts/test` with `npm ci`).
fn pyodide_package() -> PathBuf {
    let package = project_dir().join("tests/browser/node_modules/pyodide");
    if !package.join("pyodide.mjs").is_file() {
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(project_dir().join("tests/browser")),
        );
    }
    let version: serde_json::Value =
        serde_json::from_slice(&std::fs::read(package.join("package.json")).unwrap()).unwrap();
    assert_eq!(
        version["version"], "315.0.0-alpha.2",
        "the oracle is Pyodide's pyemscripten_2026_5 release"
    );
    package
}

/// Runs an ES module (written to a scratch file) with the host's Node; returns stdout.
fn node_module(name: &str, source: &str) -> std::process::Output {
    let dir = scratch(name);
    let script = dir.join("main.mjs");
    write(&script, source);
    run(Command::new("node").arg(&script).current_dir(&dir))
}

fn wheel_url(dist: &Path, package: &str) -> String {
    let prefix = format!("{}-", package.replace('-', "_"));
    let wheel = wheels(dist)
        .into_iter()
        .find(|wheel| {
            let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&prefix) && !name.contains("_tests-")
        })
        .unwrap_or_else(|| panic!("a {package} wheel in {}", dist.display()));
    assert!(
        wheel
            .to_string_lossy()
            .contains("pyemscripten_2026_5_wasm32"),
        "{}",
        wheel.display()
    );
    format!("file://{}", wheel.display())
}

/// Python that exercises each package's compiled part; prints one line per package.
const EXERCISE: &str = r#"
import msgpack, msgpack._cmsgpack, yaml, kiwisolver, rpds, numpy as np
packed = msgpack.packb({"kiln": [1, 2.5, None, b"\x00"]})
print("msgpack", msgpack.unpackb(packed), msgpack.Packer.__module__)
print("yaml", yaml.__with_libyaml__, yaml.load("a: [1, 2]", Loader=yaml.CSafeLoader))
x = kiwisolver.Variable("x")
solver = kiwisolver.Solver()
solver.addConstraint(x >= 3)
solver.addConstraint((x <= 2) | "strong")
solver.updateVariables()
try:
    solver.addConstraint(x <= 1)
    solver.addConstraint(x >= 5)
    caught = "none"
except kiwisolver.UnsatisfiableConstraint:
    caught = "UnsatisfiableConstraint"  # a C++ exception, caught and turned into Python's
print("kiwisolver", x.value(), caught)
m = rpds.HashTrieMap({"a": 1}).insert("b", 2)
print("rpds", sorted(m.items()), type(m).__module__)
a = np.array([[3.0, 1.0], [1.0, 2.0]])
print("numpy", np.linalg.solve(a, [9.0, 8.0]).round(6).tolist(), int(np.fft.fft(np.ones(4))[0].real), np.arange(10).reshape(2, 5).sum(axis=1).tolist())
"#;

/// The lines [`EXERCISE`] prints on a working runtime.
const EXERCISED: &[&str] = &[
    "msgpack {'kiln': [1, 2.5, None, b'\\x00']} msgpack._cmsgpack",
    "yaml True {'a': [1, 2]}",
    "kiwisolver 3.0 UnsatisfiableConstraint",
    "rpds [('a', 1), ('b', 2)] rpds",
    "numpy [2.0, 3.0] 4 [10, 35]",
];

fn assert_exercised(stdout: &str) {
    for line in EXERCISED {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

/// kiln's wheels (C, C++, Rust and NumPy) loaded into Pyodide 315 by URL and used there: the
/// platform promise, checked against Pyodide's own interpreter.
#[test]
fn kilns_wheels_load_and_run_in_pyodide_315() {
    let dist = interop_dist();
    let pyodide = pyodide_package();
    let urls: Vec<String> = INTEROP_PACKAGES
        .iter()
        .map(|package| wheel_url(&dist, package))
        .collect();
    let source = format!(
        r#"import {{ loadPyodide }} from {module:?};
const pyodide = await loadPyodide();
console.log("platform", pyodide.runPython("import sysconfig; sysconfig.get_config_var('PYEMSCRIPTEN_PLATFORM_VERSION')"));
await pyodide.loadPackage({urls:?}, {{ checkIntegrity: false }});
pyodide.runPython({exercise:?});
"#,
        module = pyodide.join("pyodide.mjs").display().to_string(),
        urls = urls,
        exercise = EXERCISE,
    );
    let output = node_module("interop-pyodide", &source);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("platform 2026_5"), "{stdout}");
    assert_exercised(&stdout);
}

/// The same code in kiln's own runtime, through the lockfile: the two runtimes agree.
#[test]
fn kilns_wheels_give_the_same_answers_in_kilns_runtime() {
    let dist = interop_dist();
    let stdout = run_ok(python(&dist).args(["-c", EXERCISE]));
    assert_exercised(&stdout);
}

/// A `pyemscripten_2026_5` wheel kiln did not build, from PyPI: `kiln lock` takes it into a
/// distribution (its tags fit), and the runtime loads it by its import name and runs its C
/// extensions.
#[test]
fn a_pypi_pyemscripten_wheel_loads_and_runs_in_kilns_runtime() {
    let runtime = runtime_dist();
    let dist = scratch("interop-pypi");
    for file in std::fs::read_dir(&runtime).unwrap().flatten() {
        if file.path().is_file() {
            std::fs::copy(file.path(), dist.join(file.file_name())).unwrap();
        }
    }
    // The host's pip downloads it (and its pure dependency, mypy-extensions) as an installer
    // for the platform would choose them.
    run_ok(
        Command::new("python3")
            .args(["-m", "pip", "download", "--quiet", "--dest"])
            .arg(&dist)
            .args([
                "--platform",
                "pyemscripten_2026_5_wasm32",
                "--python-version",
                "3.15",
                "--implementation",
                "cp",
                "--abi",
                "cp315",
                "--only-binary=:all:",
                PYPI_WHEEL,
            ]),
    );
    let wheel = wheels(&dist)
        .into_iter()
        .find(|wheel| {
            wheel
                .to_string_lossy()
                .contains("librt-0.17.0-cp315-cp315-pyemscripten_2026_5_wasm32")
        })
        .expect("pip chose the platform's wheel");
    run_ok(kiln().arg("lock").arg(&dist));
    let lock = std::fs::read_to_string(dist.join("pyodide-lock.json")).unwrap();
    assert!(lock.contains("\"imports\":[\"librt\"]"), "{lock}");
    assert!(lock.contains("\"depends\":[\"mypy-extensions\"]"), "{lock}");
    let stdout = run_ok(python(&dist).args([
        "-c",
        "import librt.base64, librt.strings; print(librt.base64.b64encode(b'kiln'), librt.base64.__file__.endswith('.so'))",
    ]));
    assert_eq!(stdout.trim(), "b'a2lsbg==' True");
    assert!(wheel.is_file());
}

/// Wheels of another platform (kiln's own before PEP 783) or another Python are refused by
/// the runtime's `loadPackage`, naming the wheel, its tag and the runtime's.
#[test]
fn wheels_of_another_platform_or_python_are_refused_by_the_runtime() {
    let runtime = runtime_dist();
    let dir = scratch("interop-refused");
    for name in [
        "old-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl",
        "other-1.0-cp314-cp314-pyemscripten_2026_5_wasm32.whl",
    ] {
        // Never read: the name alone is refused.
        write(&dir.join(name), "not a zip");
    }
    let source = format!(
        r#"import {{ loadPython }} from {module:?};
const python = await loadPython();
for (const name of ["old-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl", "other-1.0-cp314-cp314-pyemscripten_2026_5_wasm32.whl"]) {{
  try {{
    await python.loadPackage(new URL(name, {dir:?}).href);
    console.log("loaded", name);
  }} catch (error) {{
    console.log(error.message);
  }}
}}
"#,
        module = runtime.join("python.mjs").display().to_string(),
        dir = format!("file://{}/", dir.display()),
    );
    let output = node_module("interop-refused-run", &source);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains(
            "kiln: cannot load old-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl is built for \
             platform emscripten_3_1_69_wasm32, but this runtime is pyemscripten_2026_5_wasm32"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "other-1.0-cp314-cp314-pyemscripten_2026_5_wasm32.whl is built for Python \
             cp314-cp314, but this runtime is cp315 on pyemscripten_2026_5_wasm32"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("loaded"), "{stdout}");
}
