//! The slim variant (`build-recipes --install --slim`): an interpreter relinked to export only
//! what the distribution's side modules import. It runs NumPy (the distribution's package) and
//! the stdlib's own side modules, says it is slim, and its loader refuses a PyPI wheel whose
//! side modules import what it does not export, naming the symbols.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{kiln, project_dir, run_ok, scratch, toolchain, write};
use crate::runtime::{python, runtime_dist};

fn slim_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        toolchain();
        let dist = project_dir().join("target/kiln-tests/dist-slim");
        run_ok(
            kiln()
                .args([
                    "build-recipes",
                    "numpy",
                    "--install",
                    "--slim",
                    "--install-dir",
                ])
                .arg(&dist),
        );
        dist
    })
    .clone()
}

#[test]
fn a_slim_runtime_says_so_is_smaller_and_runs_its_packages() {
    let dist = slim_dist();
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("runtime.json")).unwrap()).unwrap();
    assert_eq!(info["variant"], "slim", "{info}");
    assert!(
        info["slim"]["side_modules"].as_u64().unwrap() > 10,
        "{info}"
    );
    let lock = std::fs::read_to_string(dist.join("pyodide-lock.json")).unwrap();
    assert!(lock.contains(r#""variant":"slim""#), "{lock}");
    let full = runtime_dist();
    let size = |dir: &PathBuf| std::fs::metadata(dir.join("python.wasm")).unwrap().len();
    assert!(
        size(&dist) < size(&full) * 9 / 10,
        "slim {} bytes, full {} bytes",
        size(&dist),
        size(&full)
    );
    let full_info = std::fs::read_to_string(full.join("runtime.json")).unwrap();
    assert!(full_info.contains(r#""variant": "full""#), "{full_info}");

    let stdout = run_ok(python(&dist).args([
        "-c",
        "import numpy as np, unicodedata, decimal, json
a = np.array([[4.0, 7.0], [2.0, 6.0]])
print('numpy', np.allclose(np.linalg.inv(a) @ a, np.eye(2)), int(np.fft.fft(np.ones(4))[0].real))
print('stdlib', unicodedata.name('a'), decimal.Decimal('1.1') + 1, json.dumps([1]))",
    ]));
    assert!(stdout.contains("numpy True 4"), "{stdout}");
    assert!(
        stdout.contains("stdlib LATIN SMALL LETTER A 2.1 [1]"),
        "{stdout}"
    );
}

/// PyPI's `librt` (C extensions kiln did not build) loads in the full runtime
/// (`interop::a_pypi_pyemscripten_wheel_loads_and_runs_in_kilns_runtime`); the slim runtime
/// made for NumPy refuses it before installing anything, naming the symbols it lacks.
#[test]
fn a_slim_runtime_refuses_a_wheel_importing_what_it_does_not_export() {
    let dist = slim_dist();
    let dir = scratch("slim-pypi");
    run_ok(
        Command::new("python3")
            .args(["-m", "pip", "download", "--quiet", "--no-deps", "--dest"])
            .arg(&dir)
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
                "librt==0.17.0",
            ]),
    );
    let wheel = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(".whl"))
        .expect("pip downloaded the wheel");
    let script = dir.join("load.mjs");
    write(
        &script,
        &format!(
            r#"const {{ loadPython }} = await import({loader:?});
const py = await loadPython();
try {{
  await py.loadPackage({wheel:?});
  console.log("loaded");
}} catch (error) {{
  console.log(error.message);
}}
console.log("installed:", py.runPython("import importlib.util; importlib.util.find_spec('librt') is not None"));
"#,
            loader = format!("file://{}", dist.join("python.mjs").display()),
            wheel = format!("file://{}", wheel.display()),
        ),
    );
    let stdout = run_ok(Command::new("node").arg(&script).current_dir(&dir));
    assert!(
        stdout.contains("this runtime is the slim variant"),
        "{stdout}"
    );
    assert!(
        stdout.contains("symbol(s) it does not export: PyErr_GetExcInfo"),
        "{stdout}"
    );
    assert!(stdout.contains("installed: false"), "{stdout}");
}
