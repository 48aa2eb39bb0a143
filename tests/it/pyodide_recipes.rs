//! Issue 18: recipe folders in Pyodide's `meta.yaml` format build with kiln, unchanged
//! (`tests/data/meta-yaml/`, written for these tests in that format): a static library whose
//! script uses Pyodide's variables, a C extension linking it with a patch, extras, a script
//! reading `$PKGDIR` and string cflags, and a pure package needing it and kiln's own `six`.
//! The wheels then run in the runtime.

use crate::common::{kiln, run, run_ok, scratch, text, toolchain, write};
use crate::runtime::python;

const RECIPES: &str = "tests/data/meta-yaml";

#[test]
fn issue_18_pyodide_meta_yaml_recipes_build_and_run() {
    toolchain();
    let dist = scratch("meta-yaml-dist");
    let output = run(kiln()
        .args(["--recipe-dir", RECIPES])
        .args(["build-recipes", "--no-progress", "tally-words", "--install"])
        .arg("--install-dir")
        .arg(&dist));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for recipe in ["libtally", "tally", "tally-words", "six"] {
        let line = stderr
            .lines()
            .rev()
            .find(|line| line.split_whitespace().next() == Some(recipe))
            .unwrap_or_else(|| panic!("no summary line for {recipe}:\n{stderr}"));
        assert!(
            line.contains(" built ") || line.contains(" cached "),
            "{line}"
        );
    }
    // The patch was applied, `source.extras` and the script's `$PKGDIR` copy are in the wheel,
    // libtally (installed into `$WASM_LIBRARY_DIR` by its script) is linked in, the cflags
    // reached the compiler (`TALLY_SCALE`, or the extension does not compile), and the run
    // requirements load with the pure package.
    let stdout = run_ok(python(&dist).args([
        "-c",
        "import tally, tally_words\n\
         print(tally.PATCHED, tally.words(), tally.greeting(), tally.library_version())\n\
         print(tally.total([1, 2, 39]), tally_words.letters('kiln reads meta yaml'))",
    ]));
    assert_eq!(
        stdout,
        "True ['one', 'two', 'three'] hello from the recipe folder 1.2.0\n42 17\n"
    );

    // Listed as the user's recipes, under their normalised names (the folder is `Tally/`).
    let list = run_ok(kiln().args(["--recipe-dir", RECIPES, "recipe", "list"]));
    let tally = list
        .lines()
        .find(|line| line.starts_with("tally "))
        .unwrap_or_else(|| panic!("no tally in:\n{list}"));
    assert!(tally.contains("--recipe-dir"), "{tally}");
}

/// What kiln cannot do is refused before anything builds, naming the file and the key.
#[test]
fn issue_18_a_meta_yaml_with_a_post_step_is_refused_naming_file_and_key() {
    let dir = scratch("meta-yaml-bad");
    std::fs::create_dir_all(dir.join("posty")).unwrap();
    write(
        &dir.join("posty/meta.yaml"),
        "package:\n  name: posty\n  version: 1.0.0\nsource:\n  path: src\nbuild:\n  post: |\n    rm -rf $SITEPACKAGES/posty/tests\n",
    );
    let output = run(kiln()
        .arg("--recipe-dir")
        .arg(&dir)
        .args(["recipe", "check", "posty"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // The report is wrapped to the terminal's width: compare its words.
    let words = stderr
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("posty/meta.yaml"), "{stderr}");
    assert!(words.contains("`build.post` is not supported"), "{stderr}");
}
