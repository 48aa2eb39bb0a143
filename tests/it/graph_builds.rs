//! build-recipes over synthetic recipe sets (tiny C objects built by the root's emcc, seconds
//! each): order, parallelism, failure isolation, exact rebuilds, cycles, crashes and
//! concurrent processes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::{kiln, project_dir, run, scratch, text, toolchain};

/// The synthetic recipes share work folders by name: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// A private copy of the synthetic recipes, so a test may edit them.
fn recipes(name: &str) -> PathBuf {
    let dir = scratch(name);
    for entry in std::fs::read_dir(project_dir().join("tests/data/synthetic"))
        .unwrap()
        .flatten()
    {
        assert!(
            Command::new("cp")
                .arg("-r")
                .arg(entry.path())
                .arg(&dir)
                .status()
                .unwrap()
                .success()
        );
    }
    dir
}

/// Changes a recipe's bytes (so its key) without changing what it does.
fn touch(recipe_dir: &Path, name: &str) {
    let path = recipe_dir.join(name).join("recipe.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("# touched {:?}\n", Instant::now()));
    std::fs::write(path, text).unwrap();
}

fn build(recipe_dir: &Path, args: &[&str]) -> Output {
    run(kiln()
        .arg("--recipe-dir")
        .arg(recipe_dir)
        .args(["build-recipes", "--json"])
        .args(args))
}

/// recipe → result (`built`, `cached`, `failed`, `skipped`) from the JSON summary event.
fn results(output: &Output) -> BTreeMap<String, String> {
    let stdout = text(&output.stdout);
    let summary = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary event in:\n{stdout}"));
    summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["recipe"].as_str().unwrap().to_string(),
                row["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn times(recipe: &str, key_dir: &Path) -> (f64, f64) {
    let read = |file: &str| {
        std::fs::read_to_string(key_dir.join(file))
            .unwrap()
            .trim()
            .parse::<f64>()
            .unwrap()
    };
    let _ = recipe;
    (read("started"), read("finished"))
}

/// The cache entry folder of the build a JSON summary reports for `recipe`.
fn prefix_of(output: &Output, recipe: &str) -> PathBuf {
    let stdout = text(&output.stdout);
    let summary = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["event"] == "summary")
        .unwrap();
    let row = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["recipe"] == recipe)
        .unwrap();
    PathBuf::from(row["log"].as_str().unwrap())
        .parent()
        .unwrap()
        .join("prefix")
}

#[test]
fn diamond_builds_in_order_and_touching_one_rebuilds_exactly_its_dependents() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let dir = recipes("synthetic-diamond");
    // Start from a state nobody has built: a fresh key for the base.
    touch(&dir, "syn-base");
    let first = build(&dir, &["syn-top"]);
    assert!(first.status.success());
    assert_eq!(
        results(&first),
        BTreeMap::from(
            [
                ("syn-base", "built"),
                ("syn-left", "built"),
                ("syn-right", "built"),
                ("syn-top", "built")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        )
    );
    // Each recipe started after its dependencies finished.
    let (_, base_end) = times("syn-base", &prefix_of(&first, "syn-base"));
    let (left_start, left_end) = times("syn-left", &prefix_of(&first, "syn-left"));
    let (right_start, right_end) = times("syn-right", &prefix_of(&first, "syn-right"));
    let (top_start, _) = times("syn-top", &prefix_of(&first, "syn-top"));
    assert!(base_end <= left_start && base_end <= right_start);
    assert!(left_end <= top_start && right_end <= top_start);

    touch(&dir, "syn-left");
    let second = build(&dir, &["syn-top"]);
    assert!(second.status.success());
    assert_eq!(
        results(&second),
        BTreeMap::from(
            [
                ("syn-base", "cached"),
                ("syn-left", "built"),
                ("syn-right", "cached"),
                ("syn-top", "built")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        )
    );
}

#[test]
fn two_jobs_overlap_independent_recipes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let dir = recipes("synthetic-parallel");
    touch(&dir, "syn-slow-a");
    touch(&dir, "syn-slow-b");
    let output = build(&dir, &["syn-slow-a", "syn-slow-b", "-j", "2"]);
    assert!(output.status.success());
    let (a_start, a_end) = times("syn-slow-a", &prefix_of(&output, "syn-slow-a"));
    let (b_start, b_end) = times("syn-slow-b", &prefix_of(&output, "syn-slow-b"));
    assert!(
        a_start < b_end && b_start < a_end,
        "builds did not overlap: a {a_start}..{a_end}, b {b_start}..{b_end}"
    );
}

#[test]
fn failing_leaf_skips_dependents_but_not_the_sibling_branch() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let dir = recipes("synthetic-failure");
    touch(&dir, "syn-fine");
    let output = build(&dir, &["syn-needs-broken", "syn-fine"]);
    assert_eq!(output.status.code(), Some(1));
    let results = results(&output);
    assert_eq!(results["syn-broken"], "failed");
    assert_eq!(results["syn-needs-broken"], "skipped");
    assert_eq!(results["syn-fine"], "built");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("syn-broken fails on purpose"),
        "the log's tail is shown:\n{stderr}"
    );
    assert!(
        stderr.contains(".kiln/build/syn-broken/build.log"),
        "{stderr}"
    );
}

#[test]
fn cycle_is_reported_with_its_chain() {
    let output = run(kiln()
        .arg("--recipe-dir")
        .arg(project_dir().join("tests/data/synthetic-cycle"))
        .args(["build-recipes", "syn-cycle-a"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("dependency cycle: syn-cycle-a → syn-cycle-b → syn-cycle-c → syn-cycle-a"),
        "{stderr}"
    );
}

#[test]
fn sigkill_mid_build_then_rerun_completes_and_verifies() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let dir = recipes("synthetic-sigkill");
    touch(&dir, "syn-slow-a");
    let dist = scratch("sigkill-dist");
    let mut child = kiln()
        .arg("--recipe-dir")
        .arg(&dir)
        .args(["build-recipes", "syn-slow-a", "--install", "--install-dir"])
        .arg(&dist)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it while the slow script sleeps.
    let marker = project_dir().join(".kiln/build/syn-slow-a/prefix/started");
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the build never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let rerun = build(
        &dir,
        &[
            "syn-slow-a",
            "--install",
            "--install-dir",
            dist.to_str().unwrap(),
        ],
    );
    assert!(rerun.status.success());
    assert_eq!(results(&rerun)["syn-slow-a"], "built");
    let verify = run(kiln().args(["verify"]).arg(&dist));
    assert!(verify.status.success(), "{}", text(&verify.stdout));
}

/// SIGTERM (a CI job's timeout, `kill`) while a build script waits on a tool it started: kiln
/// passes the signal to the build's process group, so nothing of the build outlives kiln, and
/// kiln ends by that signal. (Before, the tool was left to init, still running.)
#[test]
fn sigterm_mid_build_leaves_no_process_of_the_build() {
    use std::os::unix::process::ExitStatusExt;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let dir = recipes("synthetic-sigterm");
    let marker = 4_100_000 + std::process::id();
    let recipe = dir.join("syn-slow-a/recipe.toml");
    let text = std::fs::read_to_string(&recipe).unwrap();
    assert!(text.contains("\nsleep 3\n"), "{text}");
    let text = text.replace("\nsleep 3\n", &format!("\nsleep {marker} & wait\n"));
    std::fs::write(&recipe, text).unwrap();
    let mut child = kiln()
        .arg("--recipe-dir")
        .arg(&dir)
        .args(["build-recipes", "syn-slow-a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sleeping = || {
        Command::new("pgrep")
            .args(["-f", &format!("^sleep {marker}$")])
            .output()
            .expect("pgrep")
            .status
            .success()
    };
    let started = Instant::now();
    while !sleeping() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the build never started its tool"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: a plain kill(2) of the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    let stopped = Instant::now();
    while sleeping() {
        assert!(
            stopped.elapsed() < Duration::from_secs(5),
            "the build's tool outlived kiln"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_processes_building_the_same_recipes_both_succeed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let dir = recipes("synthetic-concurrent");
    touch(&dir, "syn-slow-b");
    let spawn = || {
        kiln()
            .arg("--recipe-dir")
            .arg(&dir)
            .args(["build-recipes", "--json", "syn-slow-b"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success() && second.status.success());
    let mut outcomes = vec![
        results(&first)["syn-slow-b"].clone(),
        results(&second)["syn-slow-b"].clone(),
    ];
    outcomes.sort();
    assert_eq!(
        outcomes,
        ["built", "cached"],
        "exactly one process built it"
    );
    let again = build(&dir, &["syn-slow-b"]);
    assert_eq!(
        results(&again)["syn-slow-b"],
        "cached",
        "the cache entry is intact"
    );
}

/// Two processes building *different* versions of one recipe (two recipe folders) share its
/// work folder; the second waits for the first instead of wiping the folder mid-build.
#[test]
fn two_processes_building_different_keys_of_a_recipe_both_succeed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let one = recipes("synthetic-keys-one");
    let two = recipes("synthetic-keys-two");
    touch(&one, "syn-slow-b");
    touch(&two, "syn-slow-b");
    let spawn = |dir: &Path| {
        kiln()
            .arg("--recipe-dir")
            .arg(dir)
            .args(["build-recipes", "--json", "syn-slow-b"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(&one), spawn(&two));
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    for output in [&first, &second] {
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(results(output)["syn-slow-b"], "built");
    }
}

/// A build's work folder is inside the project (`.kiln/build/`), which is a git checkout: git
/// run by a build must not find that repository, or its commit ends up in the package (meson's
/// `vcs_tag` put kiln's commit hash into SciPy's HiGHS, so each kiln commit changed the wheel).
#[test]
fn builds_do_not_see_the_projects_git_repository() {
    toolchain();
    assert!(
        project_dir().join(".git").exists(),
        "this test needs the project to be a git checkout (as CI's clone is)"
    );
    let dir = scratch("git-ceiling");
    let recipe = dir.join("syn-git");
    std::fs::create_dir_all(recipe.join("src")).unwrap();
    std::fs::write(recipe.join("src/empty.c"), "").unwrap();
    std::fs::write(
        recipe.join("recipe.toml"),
        r#"[package]
name = "syn-git"
version = "1.0"

[source]
path = "src"

[build]
type = "static_library"
script = """
if top=$(git rev-parse --show-toplevel 2>/dev/null); then
  echo "kiln test: git found the repository $top from $SRC_DIR" >&2
  exit 1
fi
mkdir -p "$PREFIX/lib"
emcc -c empty.c -o "$PREFIX/lib/empty.o"
"""
"#,
    )
    .unwrap();
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let output = run(kiln().arg("--recipe-dir").arg(&dir).args([
        "build-recipes",
        "syn-git",
        "--force-rebuild",
        "--no-progress",
    ]));
    assert!(output.status.success(), "{}", text(&output.stderr));
}
