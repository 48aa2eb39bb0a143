//! Issue 18: recipes in Pyodide's `meta.yaml` format, taken unchanged from pyodide-recipes
//! (`tests/data/pyodide-recipes/`, with its license), build with kiln: a package with patches
//! (pytest-benchmark), one with a build script (orjson, Rust), C extensions, pure packages and
//! one depending on a kiln recipe (retrying on six). Each one's imports run in the runtime as
//! part of its build.

use crate::common::{kiln, run, text, toolchain};

const RECIPES: &[&str] = &[
    "pytest-benchmark",
    "orjson",
    "xxhash",
    "bitarray",
    "crc32c",
    "mmh3",
    "termcolor",
    "retrying",
    "pyrsistent",
    "simplejson",
];

#[test]
fn issue_18_ten_pyodide_recipes_build_unchanged() {
    toolchain();
    let output = run(kiln()
        .args(["--recipe-dir", "tests/data/pyodide-recipes"])
        .args(["build-recipes", "--no-progress"])
        .args(RECIPES));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for recipe in RECIPES {
        let line = stderr
            .lines()
            .rev()
            .find(|line| line.starts_with(&format!("{recipe} ")))
            .unwrap_or_else(|| panic!("no summary line for {recipe}"));
        assert!(
            line.contains(" built ") || line.contains(" cached "),
            "{line}"
        );
    }
    // They are listed as coming from the user's folder, over kiln's own where names meet.
    let list = run(kiln()
        .args(["--recipe-dir", "tests/data/pyodide-recipes"])
        .args(["recipe", "list"]));
    let stdout = text(&list.stdout);
    let orjson = stdout
        .lines()
        .find(|line| line.starts_with("orjson "))
        .unwrap_or_else(|| panic!("no orjson in:\n{stdout}"));
    assert!(orjson.contains("--recipe-dir"), "{orjson}");
}
