//! The distribution: lockfile (checked by the `pyodide-lock` package itself), `kiln verify`,
//! package loading in Node, and the console page in a real Chromium.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{kiln, project_dir, run, run_ok, scratch, text};
use crate::packages::{packages_dist, wheels};

/// `pyodide-lock` 0.2 needs Python >= 3.12 (on the host's 3.11 pip would silently pick the
/// old 0.1 line), so it runs in a venv of the root's Python 3.15.
fn lock_tools_venv() -> std::path::PathBuf {
    crate::common::root_venv("pyodide-lock-venv", &["pyodide-lock>=0.2", "packaging"])
}

#[test]
fn lockfile_is_accepted_by_pyodide_lock() {
    let dist = packages_dist();
    let venv = lock_tools_venv();
    let script = r#"
import sys, pathlib, importlib.metadata
from pyodide_lock import PyodideLockSpec
spec = PyodideLockSpec.from_json(pathlib.Path(sys.argv[1]))
spec.check_wheel_filenames()
print("pyodide-lock", importlib.metadata.version("pyodide-lock"), "packages", len(spec.packages))
print("numpy", spec.packages["numpy"].depends, spec.packages["numpy"].unvendored_tests, spec.packages["numpy-tests"].depends)
"#;
    let stdout = run_ok(
        kiln()
            .args(["toolchain", "run", "--"])
            .arg(venv.join("bin/python"))
            .args(["-c", script])
            .arg(dist.join("pyodide-lock.json")),
    );
    assert!(stdout.contains("pyodide-lock 0.2"), "{stdout}");
    assert!(stdout.contains("numpy [] True ['numpy']"), "{stdout}");
    let lock = std::fs::read_to_string(dist.join("pyodide-lock.json")).unwrap();
    assert_eq!(lock.lines().count(), 1, "one line, as Pyodide writes it");
}

#[test]
fn verify_catches_tampered_missing_and_dangling() {
    let dist = packages_dist();
    let copy = scratch("verify-dist");
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(format!("{}/.", dist.display()))
            .arg(&copy)
            .status()
            .unwrap()
            .success()
    );
    let verify = |dir: &Path| run(kiln().args(["verify"]).arg(dir));
    assert!(
        verify(&copy).status.success(),
        "a fresh distribution verifies"
    );

    let wheel = wheels(&copy)
        .into_iter()
        .find(|w| w.to_string_lossy().contains("msgpack-"))
        .unwrap();
    let original = std::fs::read(&wheel).unwrap();
    let mut tampered = original.clone();
    tampered.push(0);
    std::fs::write(&wheel, &tampered).unwrap();
    let output = verify(&copy);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).contains("does not match the lock"),
        "{}",
        text(&output.stdout)
    );

    std::fs::remove_file(&wheel).unwrap();
    let output = verify(&copy);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).contains("is missing"),
        "{}",
        text(&output.stdout)
    );
    std::fs::write(&wheel, &original).unwrap();

    let lock_path = copy.join("pyodide-lock.json");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&lock).unwrap();
    value["packages"]["six"]["depends"] = serde_json::json!(["no-such-package"]);
    std::fs::write(&lock_path, value.to_string()).unwrap();
    let output = verify(&copy);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).contains("`six` depends on `no-such-package`"),
        "{}",
        text(&output.stdout)
    );
}

/// npm dependencies of the JS tests (playwright-core only; no browser download).
fn browser_test_deps() {
    let dir = project_dir().join("tests/browser");
    if !dir.join("node_modules/playwright-core").is_dir() {
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
}

#[test]
fn node_loads_packages_with_dependencies_and_shared_libraries() {
    let dist = packages_dist();
    browser_test_deps();
    let output = run(Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "tests/browser/loader.test.mjs",
        ])
        .current_dir(project_dir())
        .env("KILN_DIST", &dist)
        .env("KILN_BIN", env!("CARGO_BIN_EXE_kiln")));
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert!(
        text(&output.stdout).contains("# fail 0"),
        "{}",
        text(&output.stdout)
    );
}

/// `kiln serve` + Debian's Chromium: console.html runs numpy and shows 15.
#[test]
fn chromium_console_runs_numpy() {
    let dist = packages_dist();
    browser_test_deps();
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is installed by scripts/test (apt-get install chromium)"
    );
    let mut server = kiln()
        .args(["serve", "--port", "0"])
        .arg(&dist)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kiln serve starts");
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let screenshot = project_dir().join("target/browser-console.png");
    let output = run(Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "tests/browser/console.test.mjs",
        ])
        .current_dir(project_dir())
        .env("KILN_DIST", &dist)
        .env("KILN_SERVE_URL", url.trim())
        .env("KILN_SCREENSHOT", &screenshot)
        .env("KILN_BIN", env!("CARGO_BIN_EXE_kiln")));
    let _ = server.kill();
    let _ = server.wait();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("# fail 0") && stdout.contains("# skipped 0"),
        "{stdout}"
    );
    assert!(screenshot.is_file());
}
