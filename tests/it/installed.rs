//! Issue 18: kiln as an installed tool. `cargo install` puts it in a prefix; in a copy of a
//! package's own repository (no kiln checkout anywhere near) `kiln build .` makes the wheel,
//! `kiln venv` a venv whose `python` is the runtime, and the package's pytest suite runs there
//! with native exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{project_dir, run, run_ok, text, toolchain};

/// kiln installed with `cargo install` into a prefix outside the project (once per test run;
/// its target folder is kept, so later runs rebuild only kiln itself).
fn installed_kiln() -> PathBuf {
    static KILN: OnceLock<PathBuf> = OnceLock::new();
    KILN.get_or_init(|| {
        let prefix = std::env::temp_dir().join(format!("kiln-install-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        run_ok(
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["install", "--quiet", "--offline", "--locked", "--path"])
                .arg(project_dir())
                .arg("--root")
                .arg(&prefix)
                // Its own target folder: `cargo test` builds the library with the dev
                // dependencies' features, so sharing `target/release` would rebuild both ways.
                .arg("--target-dir")
                .arg(project_dir().join("target/kiln-install")),
        );
        let kiln = prefix.join("bin/kiln");
        assert!(kiln.is_file(), "cargo install made no {}", kiln.display());
        kiln
    })
    .clone()
}

/// The installed kiln, run in `dir` with nothing pointing at a kiln checkout.
fn kiln_in(dir: &Path) -> Command {
    let mut command = Command::new(installed_kiln());
    command
        .current_dir(dir)
        .env_remove("KILN_PROJECT_DIR")
        .env_remove("KILN_PLATFORM");
    command
}

fn copy_dir(from: &Path, to: &Path) {
    run_ok(Command::new("cp").arg("-r").arg(from).arg(to));
}

#[test]
fn issue_18_installed_kiln_builds_a_package_and_runs_its_pytest_suite_in_a_venv() {
    toolchain();
    let scratch = tempfile::Builder::new()
        .prefix("kiln-issue-18-")
        .tempdir()
        .unwrap();
    let package = scratch.path().join("kilnsum");
    copy_dir(&project_dir().join("tests/data/venv-pkg"), &package);

    // `kiln build .` in the package's own folder: the wheel lands in ./dist.
    run_ok(kiln_in(&package).args(["build", "."]));
    let wheel = package.join("dist/kilnsum-0.2.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl");
    assert!(wheel.is_file(), "no {}", wheel.display());
    // The recipes and the platform file came from inside the binary.
    let config = run_ok(kiln_in(&package).args(["config", "list"]));
    assert!(config.contains("builtin-v0"), "{config}");

    // The venv, its pip, and the package's own suite run from another folder (as cibuildwheel
    // does), so the source tree does not shadow the installed package.
    run_ok(kiln_in(&package).args(["venv", ".venv"]));
    let venv = package.join(".venv");
    run_ok(
        Command::new("sh")
            .current_dir(&package)
            .args(["-c", ".venv/bin/pip install --quiet dist/*.whl pytest"]),
    );
    let pytest = |cwd: &Path, args: &[&str]| {
        run(Command::new(venv.join("bin/python"))
            .current_dir(cwd)
            .args(["-m", "pytest", "-p", "no:cacheprovider"])
            .args(args))
    };
    let tests = package.join("tests");
    let tests = tests.to_str().unwrap();
    let passed = pytest(scratch.path(), &[tests]);
    assert!(
        text(&passed.stdout).contains("4 passed"),
        "{}",
        text(&passed.stdout)
    );
    assert_eq!(passed.status.code(), Some(0));

    // A failing test fails the run, with pytest's own status.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(package.join("tests/test_native.py"))
        .unwrap();
    use std::io::Write;
    writeln!(
        file,
        "\n\ndef test_fails_on_purpose():\n    assert kilnsum.total([1, 2]) == 4\n"
    )
    .unwrap();
    let failed = pytest(scratch.path(), &[tests]);
    let stdout = text(&failed.stdout);
    assert!(stdout.contains("1 failed, 4 passed"), "{stdout}");
    assert!(stdout.contains("assert 3 == 4"), "{stdout}");
    assert_eq!(failed.status.code(), Some(1));

    // Collecting nothing is a failure too (pytest's 5), as natively.
    let empty = scratch.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let nothing = pytest(&empty, &[]);
    assert!(
        text(&nothing.stdout).contains("no tests ran"),
        "{}",
        text(&nothing.stdout)
    );
    assert_eq!(nothing.status.code(), Some(5));

    // The venv's python is CPython on wasm32, and pip refuses a wheel for another platform.
    let platform = run_ok(Command::new(venv.join("bin/python")).args([
        "-c",
        "import sys, sysconfig; print(sys.platform, sysconfig.get_config_var('PYEMSCRIPTEN_PLATFORM_VERSION'))",
    ]));
    assert_eq!(platform.trim(), "emscripten 2026_5");
    let foreign = scratch
        .path()
        .join("other-1.0-cp315-cp315-manylinux_2_17_x86_64.whl");
    std::fs::write(&foreign, b"").unwrap();
    let refused = run(Command::new(venv.join("bin/pip"))
        .arg("install")
        .arg(&foreign));
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        text(&refused.stderr).contains("is not a supported wheel on this platform"),
        "{}",
        text(&refused.stderr)
    );
}

/// `build-recipes --install --compile` and `kiln py-compile`: wheels and the stdlib hold `.pyc`
/// files the runtime imports, RECORDs and the lockfile stay right.
#[test]
fn issue_18_py_compile_byte_compiles_wheels_and_the_stdlib() {
    toolchain();
    let dist = crate::common::scratch("pyc-dist");
    run_ok(
        crate::common::kiln()
            .args([
                "build-recipes",
                "six",
                "pyyaml",
                "--install",
                "--compile",
                "--install-dir",
            ])
            .arg(&dist),
    );
    let stdout = run_ok(Command::new("node").arg(dist.join("python.mjs")).args([
        "-c",
        "import json, six, yaml; print(six.__file__, yaml.__file__, json.__file__); print(yaml.safe_load('a: [1]'))",
    ]));
    // The wheels' modules are `.pyc` in site-packages; the stdlib's too (`--compile` ships it
    // as bytecode), wherever the bundle puts it.
    let (files, loaded) = stdout.split_once('\n').unwrap();
    let files: Vec<&str> = files.split(' ').collect();
    assert_eq!(
        files[..2],
        [
            "/usr/local/lib/python3.15/site-packages/six.pyc",
            "/usr/local/lib/python3.15/site-packages/yaml/__init__.pyc"
        ],
        "{stdout}"
    );
    assert!(
        files[2].starts_with("/usr/local/lib/") && files[2].ends_with("json/__init__.pyc"),
        "{stdout}"
    );
    assert_eq!(loaded, "{'a': [1]}\n");
    // A stdlib archive is not a wheel: py-compile says what to do instead.
    let refused = run(crate::common::kiln()
        .arg("py-compile")
        .arg(dist.join("python_stdlib.zip")));
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("--stdlib-bytecode"),
        "{}",
        text(&refused.stderr)
    );
    run_ok(crate::common::kiln().arg("verify").arg(&dist));

    // Compiling again changes nothing: no source is left, and the bytes are reproducible.
    let wheel = dist.join("six-1.17.0-py2.py3-none-any.whl");
    let compiled = std::fs::read(&wheel).unwrap();
    run_ok(crate::common::kiln().args(["py-compile"]).arg(&wheel));
    assert_eq!(std::fs::read(&wheel).unwrap(), compiled, "reproducible");
    let listing = run_ok(Command::new("unzip").arg("-l").arg(&wheel));
    assert!(
        listing.contains("six.pyc") && !listing.contains("six.py\n"),
        "{listing}"
    );
}
