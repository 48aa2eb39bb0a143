//! `kiln recipe check`: the project's recipes are valid; a bad one is reported with its place.

use crate::common::{kiln, run, run_ok, scratch, text, write};

#[test]
fn project_recipes_check_clean() {
    let stdout = run_ok(kiln().args(["recipe", "check"]));
    for name in ["cpython", "zlib", "bzip2"] {
        assert!(stdout.lines().any(|line| line.contains(name)), "{stdout}");
    }
}

#[test]
fn bad_recipe_names_file_line_and_field() {
    let dir = scratch("bad-recipes");
    std::fs::create_dir_all(dir.join("broken")).unwrap();
    write(
        &dir.join("broken/recipe.toml"),
        "[package]\nname = \"broken\"\nversion = \"1.0\"\n\n[source]\nurl = \"https://example.invalid/x.tar.gz\"\nsha256 = \"abc\"\n",
    );
    let output = run(kiln()
        .args(["--recipe-dir"])
        .arg(&dir)
        .args(["recipe", "check"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("broken/recipe.toml:7:10"), "{stderr}");
    assert!(stderr.contains("source.sha256"), "{stderr}");
}

/// Issue 23: three unknown requirements (each with its place and a "did you mean") and a
/// cycle, all reported by one run.
#[test]
fn graph_errors_are_all_reported_in_one_run() {
    let output = run(kiln()
        .args(["--recipe-dir", "tests/data/graph-errors"])
        .args(["recipe", "check"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    for expected in [
        "graph-errors/app/recipe.toml:13:8:",
        "requirements.run[0]: no recipe named `reqests`",
        "did you mean `requests`?",
        "graph-errors/app/recipe.toml:13:19:",
        "requirements.run[1]: no recipe named `numpyy`",
        "did you mean `numpy`?",
        "graph-errors/libpng/recipe.toml:13:9:",
        "requirements.host[0]: no recipe named `zlibb`",
        "did you mean `zlib`?",
        "graph-errors/cycle-a/recipe.toml:13:9:",
        "dependency cycle: cycle-a → cycle-b → cycle-a",
        "error: 4 recipe errors",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}
