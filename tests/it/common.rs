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
/// installed (made once; reused by later runs).
pub fn root_venv(name: &str, packages: &[&str]) -> PathBuf {
    let venv = project_dir().join("target/kiln-tests").join(name);
    if !venv.join("bin/python").exists() {
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
    }
    venv
}
