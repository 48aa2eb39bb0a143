//! The toolchain root: install, run, emcc, dlopen, and clean-up after SIGKILL.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{kiln, project_dir, run_ok, scratch, toolchain, write};

#[test]
fn emcc_in_the_root_is_the_pinned_version() {
    toolchain();
    let stdout = run_ok(kiln().args(["toolchain", "run", "--", "emcc", "--version"]));
    assert!(stdout.contains("6.0.5"), "{stdout}");
    let show = run_ok(kiln().args(["toolchain", "show"]));
    assert!(show.contains("status:  matches the pin"), "{show}");
    assert!(
        show.lines()
            .any(|line| line.starts_with("id:") && line.len() > 20),
        "{show}"
    );
}

/// A MAIN_MODULE that `dlopen`s a SIDE_MODULE, both built by the root's emcc, under Node:
/// the mechanism every extension module of the runtime rests on.
#[test]
fn main_module_dlopens_side_module_under_node() {
    toolchain();
    let dir = scratch("dlopen");
    write(&dir.join("side.c"), "int answer(int x) { return x * 6; }\n");
    write(
        &dir.join("main.c"),
        r#"#include <dlfcn.h>
#include <stdio.h>
int main(void) {
    void *lib = dlopen("side.so", RTLD_NOW);
    if (!lib) { printf("dlopen failed: %s\n", dlerror()); return 1; }
    int (*answer)(int) = (int (*)(int))dlsym(lib, "answer");
    printf("answer=%d\n", answer(7));
    return 0;
}
"#,
    );
    let script = "emcc -O1 -fPIC -sSIDE_MODULE=1 side.c -o side.so \
                  && emcc -O1 -sMAIN_MODULE=2 -sNODERAWFS=1 main.c -o main.js \
                  && node main.js";
    let stdout =
        run_ok(
            kiln()
                .current_dir(&dir)
                .args(["toolchain", "run", "--", "sh", "-c", script]),
        );
    assert!(stdout.contains("answer=42"), "{stdout}");
}

/// SIGKILL kiln while a command runs in the root: the command dies with it and no mount is
/// left behind on the host.
#[test]
fn sigkill_leaves_no_process_and_no_mount() {
    toolchain();
    let marker = format!("{}", 4_000_000 + std::process::id());
    let mut child = kiln()
        .args(["toolchain", "run", "--", "sleep", &marker])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kiln starts");
    let sleeping = || {
        let output = Command::new("pgrep")
            .args(["-f", &format!("^sleep {marker}$")])
            .output()
            .expect("pgrep");
        output.status.success()
    };
    let started = Instant::now();
    while !sleeping() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the command never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().expect("SIGKILL kiln");
    child.wait().expect("reap kiln");
    let killed = Instant::now();
    while sleeping() {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "the command outlived kiln"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let root = run_ok(kiln().args(["config", "get", "toolchain_root"]));
    assert!(
        !mounts.contains(root.trim()),
        "a mount under the root is visible on the host"
    );
}

/// `toolchain prune` removes roots of earlier pins (and their logs) and keeps the current one.
#[test]
fn prune_removes_roots_of_earlier_pins_only() {
    let cache = scratch("prune-cache");
    let toolchains = cache.join("toolchains-v0");
    let current = kiln()
        .env("KILN_CACHE_DIR", &cache)
        .args(["config", "get", "toolchain_root"])
        .output()
        .unwrap();
    let current = std::path::PathBuf::from(crate::common::text(&current.stdout).trim());
    let current = current.parent().unwrap().to_path_buf();
    let old = toolchains.join("trixie-000000000000");
    for root in [&current, &old] {
        std::fs::create_dir_all(root.join("root/usr/bin")).unwrap();
        std::fs::write(root.join("toolchain.lock"), "suite\ttrixie\n").unwrap();
    }
    std::fs::create_dir_all(toolchains.join("logs")).unwrap();
    std::fs::write(toolchains.join("logs/trixie-000000000000.log"), "").unwrap();
    let listed =
        run_ok(
            kiln()
                .env("KILN_CACHE_DIR", &cache)
                .args(["toolchain", "prune", "--dry-run"]),
        );
    assert!(listed.contains("trixie-000000000000"), "{listed}");
    assert!(old.exists(), "a dry run removes nothing");
    run_ok(
        kiln()
            .env("KILN_CACHE_DIR", &cache)
            .args(["toolchain", "prune"]),
    );
    assert!(!old.exists());
    assert!(!toolchains.join("logs/trixie-000000000000.log").exists());
    assert!(
        current.join("toolchain.lock").exists(),
        "the current root stays"
    );
}

/// forky moves: a root whose packages no longer match the platform file's `[expect]` is
/// refused by builds, naming the package, the expected and the installed version, and
/// `toolchain show` says so too. (An `[expect]` edit re-checks the same root: the root's
/// folder name follows `[root]` alone.)
#[test]
fn a_root_that_drifted_from_the_pin_is_refused_naming_package_and_versions() {
    toolchain();
    let project = scratch("drift-project");
    std::fs::create_dir_all(project.join("platforms")).unwrap();
    let platform = project_dir().join("platforms/pyemscripten_2026_5.toml");
    let text = std::fs::read_to_string(&platform).unwrap();
    let drifted = text.replace(
        "emscripten = \"6.0.5\"\nclang-21",
        "emscripten = \"6.0.4\"\nclang-21",
    );
    assert_ne!(drifted, text);
    write(
        &project.join("platforms/pyemscripten_2026_5.toml"),
        &drifted,
    );
    std::fs::create_dir_all(project.join("recipes")).unwrap();
    let in_project = || {
        let mut command = kiln();
        command.env("KILN_PROJECT_DIR", &project);
        command
    };
    let show = run_ok(in_project().args(["toolchain", "show"]));
    assert!(show.contains("`emscripten` is 6.0.5"), "{show}");
    assert!(show.contains("expected 6.0.4"), "{show}");
    let output = crate::common::run(in_project().args(["toolchain", "install"]));
    assert!(!output.status.success());
    let stderr = crate::common::text(&output.stderr);
    assert!(
        stderr.contains("does not have the versions")
            && stderr.contains("`emscripten` is 6.0.5")
            && stderr.contains("expected 6.0.4*"),
        "{stderr}"
    );
    assert!(stderr.contains("docs/platform.md"), "{stderr}");
}
