//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root (where `toolchain/` and `recipes/` are).
pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `kiln` command run from the project folder.
pub fn kiln() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
    command.current_dir(project_dir());
    command
}

/// Runs a command and returns its output, printing both streams for the test log.
pub fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the command starts");
    eprintln!(
        "$ {command:?}\n--- stdout\n{}--- stderr\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(command: &mut Command) -> String {
    let output = run(command);
    assert!(
        output.status.success(),
        "command failed: {command:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Installs the toolchain root once per test run (a no-op when it is already there).
pub fn toolchain() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        run_ok(kiln().args(["toolchain", "install"]));
    });
}

/// A scratch folder inside the project, so it is visible inside the toolchain root (which
/// mounts the project at its own path).
pub fn scratch(name: &str) -> PathBuf {
    let dir = project_dir().join("target/kiln-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

pub fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).expect("write fixture");
}

/// A venv of the toolchain root's Python 3.15 at `target/kiln-tests/<name>` with `packages`
/// installed (made once; reused by later runs). Tests that share a venv run in parallel, so
/// venvs are made one at a time, and one counts as made only once its packages are in (a
/// marker file): a half-made venv, from a test run that was stopped, is made again.
pub fn root_venv(name: &str, packages: &[&str]) -> PathBuf {
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let venv = project_dir().join("target/kiln-tests").join(name);
    let made = venv.join(".kiln-tests-made");
    if !made.exists() {
        let _ = std::fs::remove_dir_all(&venv);
        run_ok(
            kiln()
                .args(["toolchain", "run", "--", "python3.15", "-m", "venv"])
                .arg(&venv),
        );
        run_ok(
            kiln()
                .args(["toolchain", "run", "--"])
                .arg(venv.join("bin/pip"))
                .args(["install", "--quiet"])
                .args(packages),
        );
        write(&made, &packages.join("\n"));
    }
    venv
}

/// npm dependencies of the JS tests (playwright-core, no browser download; pyodide, for the
/// bridge's differential test and benchmark).
pub fn browser_test_deps() {
    let dir = project_dir().join("tests/browser");
    let installed = ["playwright-core", "pyodide"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).is_dir());
    if !installed {
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
}
