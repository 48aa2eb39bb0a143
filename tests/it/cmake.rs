//! CMake projects through kiln's compiler wrapper (issue 17): kiln's CMake toolchain file makes
//! CMake, and scikit-build-core on top of it, compile, probe and link with the wrapper, not
//! with emcc directly.

use crate::common::{kiln, run, run_ok, scratch, text, toolchain};
use crate::packages::recipes_with_fixture;
use crate::runtime::python;

/// A scikit-build-core package: every compile and link of its CMake build is in the build log
/// as the wrapper's two lines, its `check_function_exists` probes give the right answers
/// (`strlen` found, although the probe declares it with a dummy type; `backtrace` not), and
/// the extension, compiled with the platform's flags, loads and longjmps in the runtime.
#[test]
fn cmake_builds_go_through_the_compiler_wrapper() {
    toolchain();
    let recipes = recipes_with_fixture("cmake-ext-recipes", "cmake-ext");
    let dist = scratch("cmake-ext-dist");
    let output = run(kiln()
        .arg("--recipe-dir")
        .arg(&recipes)
        .args(["build-recipes", "cmake-ext", "--install", "--install-dir"])
        .arg(&dist));
    let summary = text(&output.stderr);
    assert!(output.status.success(), "{summary}");
    // The summary table comes last (after `--install`'s size report, whose rows start with
    // package names too).
    let log_path = summary
        .lines()
        .rev()
        .find(|line| line.split_whitespace().next() == Some("cmake-ext"))
        .and_then(|line| line.split_whitespace().last())
        .expect("a summary line for cmake-ext");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        log.contains("-- cmake-ext probes: strlen=[1] backtrace=[]"),
        "{log}"
    );
    // The extension's compile and its side-module link, as the wrapper logged them.
    let compile = log
        .lines()
        .find(|line| line.starts_with("[kiln wrapper] cc ") && line.contains("cmake_ext.c"))
        .unwrap_or_else(|| panic!("no wrapper line for the compile:\n{log}"));
    assert!(compile.contains(" -c "), "{compile}");
    let link = log
        .lines()
        .skip_while(|line| {
            !(line.starts_with("[kiln wrapper] cc ")
                && line.contains(" -shared ")
                && line.contains("_cmake_ext"))
        })
        .nth(1)
        .unwrap_or_else(|| panic!("no wrapper line for the link:\n{log}"));
    assert!(
        link.contains("-sSIDE_MODULE=1") && link.contains("-fwasm-exceptions"),
        "{link}"
    );
    assert!(!log.contains("/usr/include/python3.15"), "{log}");

    let stdout = run_ok(python(&dist).args([
        "-c",
        "import cmake_ext; print(cmake_ext.probes(), cmake_ext.throws())",
    ]));
    assert_eq!(stdout.trim(), "{'strlen': True} 42");
}
