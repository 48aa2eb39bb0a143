//! The scientific and web stack (issue 17): each package built from its recipe, used in the
//! runtime under Node and compared with the same code on the host (the toolchain root's
//! Python 3.15 with the packages' own x86_64 wheels), and a slice of its own test suite run
//! in the runtime by pytest, with every deselection listed with its reason.
//!
//! Light packages (their build fits CI's budget) run with `scripts/test`; heavy ones are
//! `#[ignore]`d and run by `scripts/test-heavy` (docs/stack.md has the figures).

mod cryptography;
mod lxml;
mod matplotlib;
mod matplotlib_browser;
mod numeric;
mod orjson;
mod pandas;
mod pillow;
mod pure;
mod pydantic;
mod shapely;
mod skimage;
mod sklearn;
mod ssl;
mod statsmodels;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::{kiln, project_dir, root_venv, run, run_ok, scratch, text, toolchain};
use crate::runtime::{PYTEST_IN_RUNTIME, python};
use crate::scipy::{agree, result_of, summary_line};

/// Builds `recipes` (with pytest and hypothesis for the test suites) and installs them, with
/// the runtime, into `target/kiln-tests/<dist>`.
pub fn stack_dist(dist: &str, recipes: &[&str]) -> PathBuf {
    toolchain();
    let dir = project_dir().join("target/kiln-tests").join(dist);
    let started = Instant::now();
    run_ok(
        kiln()
            .arg("build-recipes")
            .args(recipes)
            .args([
                "pytest",
                "hypothesis",
                "--no-progress",
                "--install",
                "--install-dir",
            ])
            .arg(&dir),
    );
    eprintln!("{dist} built in {:.1} s", started.elapsed().as_secs_f64());
    dir
}

/// Runs `code` (which prints one `RESULT {json}` line) in the runtime and on the host, with
/// the host venv `venv` holding `host_packages`; returns both results.
pub fn runtime_and_host(
    dist: &Path,
    venv: &str,
    host_packages: &[&str],
    code: &str,
) -> (serde_json::Value, serde_json::Value) {
    let runtime = result_of(&run_ok(python(dist).args(["-c", code])));
    let venv = root_venv(venv, host_packages);
    let host = result_of(&run_ok(
        kiln()
            .args(["toolchain", "run", "--"])
            .arg(venv.join("bin/python"))
            .args(["-c", code]),
    ));
    eprintln!("runtime: {runtime}\nhost:    {host}");
    (runtime, host)
}

/// Asserts that every key of `host` agrees with `runtime` within `tolerance` (relative, see
/// [`agree`]), except `skip`.
pub fn assert_agree(
    runtime: &serde_json::Value,
    host: &serde_json::Value,
    tolerance: f64,
    skip: &[&str],
) {
    let keys = host.as_object().expect("an object").keys();
    for key in keys.filter(|key| !skip.contains(&key.as_str())) {
        assert!(
            agree(&runtime[key], &host[key], tolerance),
            "{key}: runtime {} host {}",
            runtime[key],
            host[key]
        );
    }
}

/// Asserts that two lists of pixel values (JSON arrays of bytes) have the same length, that at
/// most one value in `per` differs, and that the mean absolute difference is below 1.
pub fn assert_pixels_close(
    what: &str,
    runtime: &serde_json::Value,
    host: &serde_json::Value,
    per: usize,
) {
    let pixels = |value: &serde_json::Value| -> Vec<i64> {
        value
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_i64().expect("a byte"))
            .collect()
    };
    let (ours, theirs) = (pixels(runtime), pixels(host));
    assert_eq!(ours.len(), theirs.len());
    let differing = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
    let total: i64 = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).sum();
    let mean = total as f64 / ours.len() as f64;
    eprintln!(
        "{what}: {differing} of {} values differ, mean absolute difference {mean:.4}",
        ours.len()
    );
    assert!(
        differing * per <= ours.len() && mean < 1.0,
        "{what}: {differing} values differ"
    );
}

/// The unpacked source of `recipe` (its sdist, for test suites that are not in the wheel):
/// `kiln fetch` unpacks it into `.kiln/build/<recipe>/src`, copied to a scratch folder.
pub fn fetched_source(recipe: &str) -> PathBuf {
    run_ok(kiln().args(["fetch", recipe]));
    let copy = scratch(&format!("{recipe}-source"));
    run_ok(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(project_dir().join(".kiln/build").join(recipe).join("src/."))
            .arg(&copy),
    );
    copy
}

/// Where the runtime installs wheels: the rootdir of test suites shipped inside a package.
const SITE_PACKAGES: &str = "/usr/local/lib/python3.15/site-packages";

/// A test suite shipped in a package's `-tests` wheel, run in the runtime from a scratch folder
/// `work`: `paths` are relative to site-packages, which is the rootdir (so the `deselected`
/// ids are relative to it too). See [`pytest_in_runtime`].
pub fn installed_tests_in_runtime(
    dist: &Path,
    work: &str,
    packages: &str,
    paths: &[&str],
    extra: &[&str],
    deselected: &[(&str, &str)],
) -> String {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| format!("{SITE_PACKAGES}/{p}"))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let rootdir = format!("--rootdir={SITE_PACKAGES}");
    let mut options = vec![rootdir.as_str()];
    options.extend_from_slice(extra);
    pytest_in_runtime(dist, &scratch(work), packages, &paths, &options, deselected)
}

/// A test run in the runtime: pytest over `paths` from `cwd`, with `packages` loaded and the
/// `deselected` test ids (with their reasons) left out. Fails on any failure; returns the
/// summary line.
pub fn pytest_in_runtime(
    dist: &Path,
    cwd: &Path,
    packages: &str,
    paths: &[&str],
    extra: &[&str],
    deselected: &[(&str, &str)],
) -> String {
    let mut command = python(dist);
    command
        .current_dir(cwd)
        .args(["--packages", packages, "-m", "pytest"])
        .args(paths)
        .args(PYTEST_IN_RUNTIME)
        .args(extra);
    for (test, _reason) in deselected {
        command.args(["--deselect", test]);
    }
    let started = Instant::now();
    let output = run(&mut command);
    let stdout = text(&output.stdout);
    let summary = summary_line(&stdout);
    eprintln!(
        "tests: {paths:?}: {summary} ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.code() == Some(0)
            && !summary.contains(" failed")
            && summary.contains(" passed"),
        "{paths:?}: {summary}"
    );
    summary
}
