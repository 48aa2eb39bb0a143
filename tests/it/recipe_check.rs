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
