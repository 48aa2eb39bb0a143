//! Issue 24, a maintainer's first port: recipe tests that run in the runtime, host libraries
//! the compiler sees, recipe folders that layer over kiln's own, empty outputs refused,
//! `kiln build`'s recipe knobs, and broken pipes as in CPython.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{kiln, project_dir, run, run_ok, scratch, text, toolchain};
use crate::runtime::runtime_dist;

/// A user's recipe folder holding copies of the fixtures `names` (from `tests/data/port`)
/// and nothing else: kiln's own recipes (the runtime, zlib) come from the layers below.
fn user_folder(scratch_name: &str, names: &[&str]) -> PathBuf {
    let dir = scratch(scratch_name);
    for name in names {
        run_ok(
            Command::new("cp")
                .arg("-r")
                .arg(project_dir().join("tests/data/port").join(name))
                .arg(&dir),
        );
    }
    dir
}

fn build(recipes: &Path, args: &[&str]) -> Output {
    toolchain();
    run(kiln()
        .arg("--recipe-dir")
        .arg(recipes)
        .args(["build-recipes", "--no-progress", "--force-rebuild"])
        .args(args))
}

/// The summary line of `recipe` in a build's stderr.
fn summary_line(output: &Output, recipe: &str) -> String {
    text(&output.stderr)
        .lines()
        .rev()
        .find(|line| line.starts_with(&format!("{recipe} ")))
        .unwrap_or_else(|| panic!("no summary line for {recipe}"))
        .to_string()
}

#[test]
fn issue_24_a_test_import_that_is_missing_fails_the_build() {
    let recipes = user_folder("port-missing-import", &["missing-import"]);
    let output = build(&recipes, &["missing-import"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`missing-import`: the recipe's test failed in the runtime"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kiln-test: import missing_import: ok"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ModuleNotFoundError: No module named 'missing_import.not_there'"),
        "{stderr}"
    );
    assert!(summary_line(&output, "missing-import").contains(" failed "));
    // Nothing untested was cached: the next run builds (and fails) again.
    let again = run(kiln().arg("--recipe-dir").arg(&recipes).args([
        "build-recipes",
        "--no-progress",
        "missing-import",
    ]));
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn issue_24_a_failing_test_script_fails_the_build_with_its_traceback() {
    let recipes = user_folder("port-script-fails", &["script-fails"]);
    let output = build(&recipes, &["script-fails"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    for expected in [
        "`script-fails`: the recipe's test failed in the runtime",
        "script-fails/recipe.toml [test.script]\", line 2, in <module>",
        "assert script_fails.ANSWER == 42",
        "AssertionError: the answer is 41",
        "hint: the test's own files are in `.kiln/build/script-fails/test/`",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    let log =
        std::fs::read_to_string(project_dir().join(".kiln/build/script-fails/build.log")).unwrap();
    assert!(log.contains("AssertionError: the answer is 41"), "{log}");
    assert!(log.contains("kiln: test failed"), "{log}");
}

/// A C extension that includes `zlib.h` and links `-lz`, with no build script and no folders
/// of its own, from a user folder holding only it: kiln's zlib and runtime come from the
/// layers below, and the host prefix reaches the compiler. Its test script runs.
#[test]
fn issue_24_a_user_folder_with_one_c_extension_builds_against_kilns_zlib() {
    let recipes = user_folder("port-zlib-ext", &["zlib-ext"]);
    let output = build(&recipes, &["zlib-ext"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let line = summary_line(&output, "zlib-ext");
    assert!(line.contains(" built "), "{line}");
    assert!(line.contains("passed (2 imports + script,"), "{line}");
    let log =
        std::fs::read_to_string(project_dir().join(".kiln/build/zlib-ext/build.log")).unwrap();
    assert!(log.contains("crc32 0x545e44ae zlib 1.3.1"), "{log}");
    assert!(
        log.contains("kiln: test passed (2 imports + script,"),
        "{log}"
    );
    let host = project_dir().join(".kiln/build/zlib-ext/host");
    assert!(
        log.contains(&format!("-L{}/lib", host.display())),
        "the link searched the host prefix"
    );
}

#[test]
fn issue_24_a_library_recipe_that_installs_nothing_fails() {
    let recipes = user_folder("port-empty-lib", &["empty-lib"]);
    let output = build(&recipes, &["empty-lib"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "`empty-lib`: the `static_library` recipe installed no library into `$PREFIX` \
             (expected `$PREFIX/lib/*.a` or `*.so`); log: "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(".kiln/build/empty-lib/build.log"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install into `$PREFIX`"), "{stderr}");
}

/// `kiln recipe list`: the project's `recipes/` over kiln's built-in ones, a `--recipe-dir`
/// over both; outside any project, the built-in recipes alone.
#[test]
fn issue_24_recipe_list_shows_where_each_recipe_comes_from() {
    let user = user_folder("port-list", &["zlib-ext"]);
    // A user's own zlib overrides the project's and the built-in one.
    run_ok(
        Command::new("cp")
            .arg("-r")
            .arg(project_dir().join("recipes/zlib"))
            .arg(&user),
    );
    let stdout = run_ok(
        kiln()
            .arg("--recipe-dir")
            .arg(&user)
            .args(["recipe", "list"]),
    );
    let line = |name: &str| {
        stdout
            .lines()
            .find(|line| line.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{stdout}"))
            .to_string()
    };
    assert!(line("zlib-ext").contains("--recipe-dir"), "{stdout}");
    assert!(
        line("zlib").contains("(overrides built-in, project)"),
        "{stdout}"
    );
    assert!(line("cpython").contains(" project "), "{stdout}");

    let elsewhere = tempfile::tempdir().unwrap();
    let stdout = run_ok(
        Command::new(env!("CARGO_BIN_EXE_kiln"))
            .current_dir(elsewhere.path())
            .args(["recipe", "list"]),
    );
    let cpython = stdout
        .lines()
        .find(|line| line.starts_with("cpython "))
        .unwrap();
    assert!(cpython.contains(" built-in "), "{stdout}");
    assert!(cpython.contains("builtin-v0"), "{stdout}");
    // And a user folder alone checks clean on top of them.
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_kiln"))
            .current_dir(elsewhere.path())
            .arg("--recipe-dir")
            .arg(&user)
            .args(["recipe", "check", "zlib-ext"]),
    );
}

/// `kiln build --host NAME -C KEY=VALUE --exports …` writes them into the out-of-tree recipe
/// with the recipe keys' meaning, and the C extension finds the host library.
#[test]
fn issue_24_kiln_build_takes_host_config_settings_and_exports() {
    toolchain();
    let source = scratch("port-oot-zlib-ext");
    run_ok(
        Command::new("cp")
            .arg("-r")
            .arg(project_dir().join("tests/data/port/zlib-ext/src/."))
            .arg(&source),
    );
    // Its own name, so its work folder is not the other zlib-ext test's.
    let pyproject = source.join("pyproject.toml");
    let text_of = std::fs::read_to_string(&pyproject).unwrap();
    std::fs::write(
        &pyproject,
        text_of.replace("\"zlib-ext\"", "\"zlib-ext-oot\""),
    )
    .unwrap();
    // A source of its own each run: the build script is read below, and a cached build
    // (this source built before, by any checkout) writes none.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::fs::write(source.join("kiln-test-run.txt"), stamp.to_string()).unwrap();
    let outdir = scratch("port-oot-dist");
    run_ok(
        kiln()
            .arg("build")
            .arg(&source)
            .args([
                "--host",
                "zlib",
                "-C",
                "kiln-setting=1",
                "--exports",
                "requested",
            ])
            .arg("--outdir")
            .arg(&outdir),
    );
    let recipe =
        std::fs::read_to_string(project_dir().join(".kiln/oot/zlib-ext-oot/recipe.toml")).unwrap();
    assert!(recipe.contains("host = [\"zlib\"]"), "{recipe}");
    assert!(
        recipe.contains("backend-flags = [\"kiln-setting=1\"]"),
        "{recipe}"
    );
    assert!(recipe.contains("exports = \"requested\""), "{recipe}");
    let script =
        std::fs::read_to_string(project_dir().join(".kiln/build/zlib-ext-oot/build.sh")).unwrap();
    assert!(script.contains("-Ckiln-setting=1"), "{script}");
    let wheels: Vec<_> = std::fs::read_dir(&outdir)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        wheels
            .iter()
            .any(|wheel| wheel
                .starts_with("zlib_ext_oot-0.1.0-cp315-cp315-pyemscripten_2026_5_wasm32")),
        "{wheels:?}"
    );
    // A bad setting is refused before anything is built.
    let output = run(kiln().arg("build").arg(&source).args(["-C", "novalue"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("`-C novalue`: expected `KEY=VALUE`"));
}

/// `python | head -1` in the runtime: output stops, CPython reports BrokenPipeError and picks
/// the exit status (1 here, as natively), and no JS stack trace appears.
#[test]
fn issue_24_a_broken_pipe_behaves_as_in_cpython() {
    let dist = runtime_dist();
    let output = run(Command::new("bash").current_dir(&dist).args([
        "-c",
        "node python.mjs -c 'for i in range(100000): print(i)' | head -1; exit ${PIPESTATUS[0]}",
    ]));
    assert_eq!(text(&output.stdout), "0\n");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("BrokenPipeError: [Errno 64] Broken pipe"),
        "{stderr}"
    );
    assert!(!stderr.contains("the runtime crashed"), "{stderr}");
    assert!(!stderr.contains("at FdSink"), "{stderr}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "CPython's status for this program"
    );
}

/// `docs/porting.md` shows the walk-through's recipes as they are in `tests/data/porting/`.
#[test]
fn issue_24_the_porting_page_shows_the_tested_recipes() {
    let page = std::fs::read_to_string(project_dir().join("docs/porting.md")).unwrap();
    for name in ["libjpeg-turbo", "pillow", "npdates"] {
        let recipe = std::fs::read_to_string(
            project_dir()
                .join("tests/data/porting")
                .join(name)
                .join("recipe.toml"),
        )
        .unwrap();
        assert!(
            page.contains(&format!("```toml\n{recipe}```\n")),
            "docs/porting.md does not show tests/data/porting/{name}/recipe.toml verbatim"
        );
    }
}

/// The walk-through of `docs/porting.md`: a CMake library (libjpeg-turbo) and Pillow linking
/// it with kiln's zlib; a meson-python package against NumPy's C API. Each recipe's
/// `[test]` runs in the runtime as part of the build.
#[test]
fn issue_24_the_porting_walkthrough_builds() {
    toolchain();
    let output = run(kiln().args(["--recipe-dir", "tests/data/porting"]).args([
        "build-recipes",
        "--no-progress",
        "pillow",
        "npdates",
    ]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for recipe in ["libjpeg-turbo", "pillow", "npdates"] {
        let line = summary_line(&output, recipe);
        assert!(
            line.contains(" built ") || line.contains(" cached "),
            "{line}"
        );
    }
}
