//! Tests for loading recipes: each good fixture loads with the values it spells out, each
//! bad fixture (one mistake per file) fails with its exact message, location included, and
//! `docs/recipe-format.md` names every key the parser accepts and shows the good fixtures.
//!
//! Paths are relative to the crate root, where `cargo test` runs unit tests, so messages
//! read `tests/data/recipes/bad/…:line:column` as they would in a CI log.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use super::*;

const GOOD: &str = "tests/data/recipes/good";
const BAD: &str = "tests/data/recipes/bad";
const DOC: &str = "docs/recipe-format.md";
const CPYTHON_SHA256: &str = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640";

fn good(name: &str) -> Recipe {
    load(&Path::new(GOOD).join(name)).unwrap_or_else(|error| panic!("{error}"))
}

fn help(error: &RecipeError) -> Option<String> {
    Diagnostic::help(error).map(|help| help.to_string())
}

fn sha256(text: &str) -> Sha256 {
    text.parse().unwrap()
}

/// Writes `recipe.toml` into `<temp>/<name>/` and loads it.
fn load_text(name: &str, text: &str) -> (tempfile::TempDir, Result<Recipe, RecipeError>) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join(name);
    fs_err::create_dir(&dir).unwrap();
    fs_err::write(dir.join(RECIPE_FILE), text).unwrap();
    let result = load(&dir);
    (temp, result)
}

const MINIMAL: &str = r#"
[package]
name = "demo"
version = "1.0"

[source]
url = "https://example.org/demo-1.0.tar.gz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
"#;

// ---------------------------------------------------------------------------------------
// Good recipes, one per source kind and build type.

#[test]
fn pypi_package() {
    let recipe = good("markupsafe");
    assert_eq!(
        recipe.package.name, "markupsafe",
        "normalised from `MarkupSafe`"
    );
    assert_eq!(recipe.package.version, "3.0.2");
    assert_eq!(recipe.package.top_level, ["markupsafe"]);
    assert_eq!(recipe.package.tags, ["core"]);
    assert_eq!(
        recipe.source.spec,
        SourceSpec::Pypi {
            name: "markupsafe".to_string(),
            version: "3.0.2".to_string(),
            sha256: sha256("ee55d3edf80167e48ea11a923c7386f4669df67d7994554387f84e7d8b0a2bf0"),
        }
    );
    assert_eq!(recipe.build.kind, BuildKind::Package);
    assert_eq!(recipe.build.script, None);
    assert_eq!(recipe.build.cflags, ["-O2"]);
    assert_eq!(recipe.build.exports, Exports::PyInit);
    assert!(recipe.build.unvendor_tests);
    assert_eq!(recipe.requirements.build, ["setuptools>=70"]);
    assert_eq!(recipe.test.imports, ["markupsafe"]);
    assert_eq!(recipe.about.license.as_deref(), Some("BSD-3-Clause"));
    assert!(recipe.path.is_absolute() && recipe.path.ends_with("markupsafe/recipe.toml"));
    assert!(recipe.dir.is_absolute() && recipe.dir.ends_with("markupsafe"));
}

#[test]
fn url_shared_library() {
    let recipe = good("libyaml");
    assert_eq!(
        recipe.source.spec,
        SourceSpec::Url {
            url: "https://example.org/yaml-0.2.5.tar.gz".to_string(),
            sha256: sha256("c642ae9b75fee120b2d96c712538bd2cf283228d2337df2cf2988e3c02678ef4"),
        }
    );
    assert_eq!(recipe.build.kind, BuildKind::SharedLibrary);
    assert_eq!(recipe.build.exports, Exports::Requested);
    assert!(
        recipe
            .build
            .script
            .unwrap()
            .starts_with("emconfigure ./configure")
    );
    assert!(
        recipe.package.top_level.is_empty(),
        "a library is not imported by name"
    );
}

#[test]
fn debian_static_library() {
    let recipe = good("zlib");
    assert_eq!(
        recipe.source.spec,
        SourceSpec::Debian {
            package: "zlib".to_string(),
            version: "1.3.1".to_string(),
            sha256: sha256("9a93b2b7dfdac77ceba5a558a580e74667dd6fede4585b91eefb60f03b72df23"),
        }
    );
    assert_eq!(recipe.build.kind, BuildKind::StaticLibrary);
    assert_eq!(recipe.build.cflags, ["-O2", "-fPIC"]);
}

#[test]
fn debian_runtime_with_patches_and_extras() {
    let recipe = good("cpython");
    assert_eq!(recipe.build.kind, BuildKind::Runtime);
    assert_eq!(
        recipe.source.spec,
        SourceSpec::Debian {
            package: "python3.13".to_string(),
            version: "3.13.5".to_string(),
            sha256: sha256(CPYTHON_SHA256),
        }
    );
    let [patch] = recipe.source.patches.as_slice() else {
        panic!("one patch expected: {:?}", recipe.source.patches);
    };
    assert!(patch.is_absolute() && patch.is_file());
    assert_eq!(
        patch,
        &recipe.dir.join("patches/0001-stdio-under-noderawfs.patch")
    );
    assert_eq!(
        recipe.source.extras,
        [Extra {
            from: recipe.dir.join("files/Setup.local"),
            to: "Modules/Setup.local".into(),
        }]
    );
    assert_eq!(recipe.requirements.host, ["zlib", "bzip2"]);
    // `'''` keeps the backslashes of a line continuation for bash.
    let script = recipe.build.script.unwrap();
    assert!(
        script.contains("config.site-wasm32-emscripten \\\n"),
        "{script}"
    );
}

#[test]
fn path_source() {
    let recipe = good("hello-path");
    let SourceSpec::Path { path } = &recipe.source.spec else {
        panic!("path source expected: {:?}", recipe.source.spec);
    };
    assert!(path.is_absolute() && path.join("pyproject.toml").is_file());
    assert_eq!(recipe.package.top_level, ["hello"]);
    assert!(!recipe.build.unvendor_tests);
}

#[test]
fn a_file_and_its_folder_load_alike() {
    let from_folder = good("zlib");
    let from_file = load(&Path::new(GOOD).join("zlib/recipe.toml")).unwrap();
    assert_eq!(from_folder.path, from_file.path);
    assert_eq!(from_folder.source.spec, from_file.source.spec);
}

#[test]
fn minimal_recipe_takes_defaults() {
    let (_temp, recipe) = load_text("demo", MINIMAL);
    let recipe = recipe.unwrap();
    assert_eq!(recipe.package.top_level, ["demo"]);
    assert!(recipe.package.tags.is_empty());
    assert!(recipe.source.patches.is_empty() && recipe.source.extras.is_empty());
    let build = recipe.build;
    assert_eq!(build.kind, BuildKind::Package);
    assert_eq!(build.exports, Exports::PyInit);
    assert!(build.unvendor_tests);
    assert!(build.cflags.is_empty() && build.backend_flags.is_empty());
    assert!(recipe.requirements.host.is_empty());
    assert_eq!(recipe.about.home, None);
}

#[test]
fn top_level_default_turns_dashes_into_underscores() {
    let text = MINIMAL.replace(r#"name = "demo""#, r#"name = "Demo_Lib""#);
    let (_temp, recipe) = load_text("demo-lib", &text);
    let recipe = recipe.unwrap();
    assert_eq!(recipe.package.name, "demo-lib");
    assert_eq!(recipe.package.top_level, ["demo_lib"]);
}

#[test]
fn exports_list_and_requirement_names_are_read() {
    let text = format!(
        "{MINIMAL}\n[build]\ntype = \"shared_library\"\nexports = [\"PyInit__demo\", \"demo_init\"]\n\
         backend-flags = [\"setup-args=-Dblas=none\"]\n\n\
         [requirements]\nhost = [\"Lib_FFI\"]\nrun = [\"PyYAML\"]\nbuild = [\"Cython >= 3\", \"meson-python[ninja]; python_version >= '3.12'\"]\n"
    );
    let (_temp, recipe) = load_text("demo", &text);
    let recipe = recipe.unwrap();
    assert_eq!(
        recipe.build.exports,
        Exports::Explicit(vec!["PyInit__demo".to_string(), "demo_init".to_string()])
    );
    assert_eq!(recipe.build.backend_flags, ["setup-args=-Dblas=none"]);
    assert_eq!(recipe.requirements.host, ["lib-ffi"]);
    assert_eq!(recipe.requirements.run, ["pyyaml"]);
    assert_eq!(
        recipe.requirements.build,
        [
            "cython >= 3",
            "meson-python[ninja]; python_version >= '3.12'"
        ]
    );
}

#[test]
fn file_urls_are_accepted() {
    let text = MINIMAL.replace("https://example.org/", "file:///srv/mirror/");
    let (_temp, recipe) = load_text("demo", &text);
    assert!(
        matches!(recipe.unwrap().source.spec, SourceSpec::Url { url, .. } if url.starts_with("file:///"))
    );
}

// ---------------------------------------------------------------------------------------
// Bad recipes: one mistake per file, exact message and help.

/// (file in `tests/data/recipes/bad/`, message, help)
const BAD_CASES: &[(&str, &str, &str)] = &[
    (
        "bad-build-type.toml",
        r#"10:8: build.type: expected one of `package`, `shared_library`, `static_library` or `runtime`, found "shared""#,
        "did you mean `shared_library`?",
    ),
    (
        "bad-exports.toml",
        r#"11:11: build.exports: expected `pyinit`, `requested`, `whole_archive` or a list of symbol names, found "whole-archive""#,
        "did you mean `whole_archive`?",
    ),
    (
        "bad-host-requirement.toml",
        r#"10:9: requirements.host[0]: expected a recipe name, found "zlib>=1.3""#,
        "host and run requirements name recipes; their versions come from those recipes",
    ),
    (
        "bad-name.toml",
        r#"2:8: package.name: expected a package name of letters, digits, `-`, `_` and `.`, found "my demo""#,
        "a name starts and ends with a letter or digit (PEP 508)",
    ),
    (
        "bad-pypi-pin.toml",
        r#"6:8: source.pypi: expected `name==version`, found "demo>=1.0""#,
        r#"pin one release of the sdist, e.g. `pypi = "markupsafe==3.0.2"`"#,
    ),
    (
        "bad-sha256.toml",
        r#"7:10: source.sha256: expected 64 hexadecimal digits, found "abc""#,
        "the SHA-256 of the downloaded file, as printed by `sha256sum`",
    ),
    (
        "bad-url-scheme.toml",
        r#"6:7: source.url: expected an `https://` or `file://` URL, found "http://example.org/demo-1.0.tar.gz""#,
        "kiln downloads over https only; a local file is `file:///path/to/file`",
    ),
    (
        "debian-version-with-epoch.toml",
        r#"6:40: source.debian.version: expected an upstream version, found "1:1.0""#,
        "the upstream version, as in `PACKAGE_VERSION.orig.tar.*`: no epoch (`1:`) and no Debian revision (`-1`)",
    ),
    (
        "duplicate-key.toml",
        "4:1: invalid TOML: duplicate key",
        "a key appears once in a table; remove one of them",
    ),
    (
        "empty-script.toml",
        r#"10:10: build.script: expected a non-empty script, found """#,
        "remove `script` to build a `package` with its own build backend",
    ),
    (
        "empty-version.toml",
        r#"3:11: package.version: expected a PEP 440 version, found """#,
        r#"the version this recipe builds, e.g. `version = "1.3.1"`; it names the wheel and the lockfile entry"#,
    ),
    (
        "exports-wrong-type.toml",
        "10:11: build.exports: expected `pyinit`, `requested`, `whole_archive` or a list of symbol names, found integer `3`",
        "",
    ),
    (
        "extra-escapes-source.toml",
        "8:32: source.extras[0]: `../outside.toml` goes up with `..`; paths stay inside the source tree",
        "`to` is relative to the unpacked source and may not use `..`",
    ),
    (
        "extra-from-escapes-folder.toml",
        "8:12: source.extras[0]: `../good/zlib/recipe.toml` goes up with `..`; paths stay inside the recipe folder",
        "paths are relative to the recipe folder `tests/data/recipes/bad` and stay inside it",
    ),
    (
        "extra-not-a-pair.toml",
        "8:11: source.extras[0]: expected a `[from, to]` pair, found a list of 1 entry",
        r#"`from` is relative to the recipe folder, `to` to the source tree, e.g. `["files/setup.cfg", "setup.cfg"]`"#,
    ),
    (
        "flag-with-space.toml",
        r#"10:20: build.cflags[1]: expected one flag per entry, found "-O2 -g""#,
        r#"split it into separate entries: `"-O2", "-g"`"#,
    ),
    (
        "flags-as-string.toml",
        r#"10:10: build.cflags: expected a list, found string "-O2 -g""#,
        r#"write a list of strings: `["-O2", "-g"]`"#,
    ),
    (
        "missing-debian-version.toml",
        "6:10: source.debian.version: required key is missing",
        "the upstream version, as in `PACKAGE_VERSION.orig.tar.*`: no epoch (`1:`) and no Debian revision (`-1`)",
    ),
    (
        "missing-extra.toml",
        "8:12: source.extras[0]: `files/missing.h` does not exist",
        "paths are relative to the recipe folder `tests/data/recipes/bad`",
    ),
    (
        "missing-name.toml",
        "1:1: package.name: required key is missing",
        "the package's name; the recipe folder is named after it",
    ),
    (
        "missing-package-table.toml",
        "1:1: package: required table is missing",
        "every recipe has a `[package]` table with `name` and `version`",
    ),
    (
        "missing-patch.toml",
        "8:12: source.patches[0]: `patches/0001-missing.patch` does not exist",
        "paths are relative to the recipe folder `tests/data/recipes/bad`",
    ),
    (
        "missing-path-source.toml",
        "6:8: source.path: `src` does not exist",
        "paths are relative to the recipe folder `tests/data/recipes/bad`",
    ),
    (
        "missing-sha256.toml",
        "6:7: source.sha256: required key is missing",
        "a `url` source is verified by the SHA-256 of what it downloads; add `sha256 = \"…\"` as printed by `sha256sum`",
    ),
    (
        "missing-source-table.toml",
        "1:1: source: required table is missing",
        "add a `[source]` table with one of `url`, `pypi`, `debian` or `path`",
    ),
    (
        "name-folder-mismatch/recipe.toml",
        "2:8: package.name: `demo` does not match the recipe folder `name-folder-mismatch`",
        r#"rename the folder to `demo`, or set `name = "name-folder-mismatch"`"#,
    ),
    (
        "no-source-kind.toml",
        "5:1: source: expected one of `url`, `pypi`, `debian` or `path`, found none",
        "`url` downloads a file, `pypi` an sdist from the package index, `debian` an upstream tarball of a Debian source package; `path` names a folder beside the recipe",
    ),
    (
        "sha256-with-path.toml",
        "7:10: source.sha256: not allowed with `path`",
        "remove it: a `path` source is hashed by content when it is used",
    ),
    (
        "toml-syntax-error.toml",
        "1:9: invalid TOML: unclosed table",
        "expected `]`",
    ),
    (
        "two-source-kinds.toml",
        "7:8: source: expected only one of `url`, `pypi`, `debian` or `path`, found `url` and `pypi`",
        "a recipe has one source; keep one of these keys",
    ),
    (
        "unknown-key.toml",
        "10:1: build.cflag: unknown key `cflag`",
        "did you mean `cflags`? Expected one of `type`, `script`, `cflags`, `cxxflags`, `ldflags`, `backend-flags`, `exports` or `unvendor-tests`",
    ),
    (
        "unknown-table.toml",
        "9:2: tests: unknown key `tests`",
        "did you mean `test`? Expected one of `package`, `source`, `build`, `requirements`, `test` or `about`",
    ),
    (
        "unvendor-tests-not-bool.toml",
        r#"10:18: build.unvendor-tests: expected a boolean, found string "no""#,
        "write `true` or `false`, without quotes",
    ),
    (
        "patch-absolute.toml",
        "8:12: source.patches[0]: `/etc/passwd` is absolute; paths stay inside the recipe folder",
        "paths are relative to the recipe folder `tests/data/recipes/bad` and stay inside it",
    ),
    (
        "patch-escapes-folder.toml",
        "8:12: source.patches[0]: `../good/zlib/recipe.toml` goes up with `..`; paths stay inside the recipe folder",
        "paths are relative to the recipe folder `tests/data/recipes/bad` and stay inside it",
    ),
    (
        "path-source-escapes-folder.toml",
        "6:8: source.path: `../good/hello-path/src` goes up with `..`; paths stay inside the recipe folder",
        "paths are relative to the recipe folder `tests/data/recipes/bad` and stay inside it",
    ),
    (
        "version-with-nul.toml",
        r#"3:11: package.version: expected a PEP 440 version, found "1.0\0""#,
        r#"the version this recipe builds, e.g. `version = "1.3.1"`; it names the wheel and the lockfile entry"#,
    ),
    (
        "version-with-slash.toml",
        r#"3:11: package.version: expected a PEP 440 version, found "1.0/../x""#,
        r#"the version this recipe builds, e.g. `version = "1.3.1"`; it names the wheel and the lockfile entry"#,
    ),
    (
        "wrong-value-type.toml",
        "3:11: package.version: expected a string, found floating point `1.0`",
        r#"quote it: `"1.0"`"#,
    ),
];

#[test]
fn bad_recipes_fail_with_location_field_and_help() {
    let mut failures = Vec::new();
    for (file, message, expected_help) in BAD_CASES {
        let path = Path::new(BAD).join(file);
        let Err(error) = load(&path) else {
            failures.push(format!("{file}: loaded without error"));
            continue;
        };
        let expected = format!("{}:{message}", path.display());
        let actual = error.to_string();
        if actual != expected {
            failures.push(format!(
                "{file}:\n  expected: {expected}\n    actual: {actual}"
            ));
        }
        let actual_help = help(&error).unwrap_or_default();
        if actual_help != *expected_help {
            failures.push(format!(
                "{file} help:\n  expected: {expected_help}\n    actual: {actual_help}"
            ));
        }
        let invalid = error.as_invalid().expect("a spanned error");
        assert_eq!(invalid.path(), path);
        assert!(invalid.span().end <= invalid.source_text().len());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_bad_fixture_is_asserted() {
    let covered: BTreeSet<&str> = BAD_CASES
        .iter()
        .map(|(file, ..)| file.split('/').next().unwrap())
        .collect();
    for entry in fs_err::read_dir(BAD).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            covered.contains(name.as_str()),
            "`{BAD}/{name}` has no entry in BAD_CASES"
        );
    }
}

#[test]
fn spanned_errors_are_typed() {
    let error = load(&Path::new(BAD).join("two-source-kinds.toml")).unwrap_err();
    let invalid = error.as_invalid().unwrap();
    assert_eq!(
        invalid.problem(),
        &Problem::SourceKinds {
            found: vec!["url", "pypi"]
        }
    );
    assert_eq!(invalid.field(), Some("source"));
    assert_eq!((invalid.line(), invalid.column()), (7, 8));
    assert_eq!(&invalid.source_text()[invalid.span()], r#""demo==1.0""#);

    let error = load(&Path::new(BAD).join("unknown-key.toml")).unwrap_err();
    let Problem::UnknownKey { key, expected } = error.as_invalid().unwrap().problem() else {
        panic!("unknown key expected: {error}");
    };
    assert_eq!(key, "cflag");
    assert!(expected.iter().any(|key| key == "cflags"));
}

/// The drawn report: the one-line message, the frame at the field with its label, the help.
#[test]
fn renders_a_miette_report() {
    let error = load(&Path::new(BAD).join("bad-sha256.toml")).unwrap_err();
    let mut report = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        // Wide enough not to wrap, as under CI.
        .with_width(200)
        .render_report(&mut report, &error)
        .unwrap();
    let expected = r#"
  × tests/data/recipes/bad/bad-sha256.toml:7:10: source.sha256: expected 64 hexadecimal digits, found "abc"
   ╭─[tests/data/recipes/bad/bad-sha256.toml:7:10]
 6 │ url = "https://example.org/demo-1.0.tar.gz"
 7 │ sha256 = "abc"
   ·          ──┬──
   ·            ╰── expected 64 hexadecimal digits
   ╰────
  help: the SHA-256 of the downloaded file, as printed by `sha256sum`
"#;
    assert_eq!(report, &expected[1..]);
}

#[test]
fn a_recipe_keeps_the_path_it_was_given() {
    let (temp, result) = load_text("demo", "[package\n");
    let expected = format!(
        "{}:1:9: invalid TOML: unclosed table",
        temp.path().join("demo/recipe.toml").display()
    );
    assert_eq!(result.unwrap_err().to_string(), expected);
}

// ---------------------------------------------------------------------------------------
// Files and folders.

#[test]
fn folder_without_recipe_file() {
    let folder = Path::new(GOOD).join("cpython/patches");
    let error = load(&folder).unwrap_err();
    assert_eq!(
        error.to_string(),
        "recipe folder `tests/data/recipes/good/cpython/patches` has no `recipe.toml` (or Pyodide `meta.yaml`)"
    );
    assert!(matches!(error, RecipeError::MissingRecipeFile { dir } if dir == folder));
}

#[test]
fn unreadable_file_names_its_path() {
    let error = load(Path::new("tests/data/recipes/no-such-recipe.toml")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot read the recipe `tests/data/recipes/no-such-recipe.toml`"
    );
    let RecipeError::Input(crate::fs::InputError {
        problem: crate::fs::InputProblem::Io(source),
        ..
    }) = &error
    else {
        panic!("read error expected: {error}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
}

/// Renders an error as `kiln recipe check` prints it, without colour.
fn rendered(error: &RecipeError) -> String {
    let mut report = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut report, error)
        .unwrap();
    report
}

/// Issue 25: a `recipe.toml` that links to a file outside its folder is refused unread, so
/// none of that file's lines reach the error.
#[test]
fn a_recipe_linking_outside_its_folder_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    fs_err::write(&secret, "[package]\nname = \"SECRET-LINE\"\n").unwrap();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("demo");
    fs_err::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&secret, dir.join(RECIPE_FILE)).unwrap();

    let error = load(&dir).unwrap_err();
    let RecipeError::Outside { source, .. } = &error else {
        panic!("a refusal expected: {error}");
    };
    assert!(matches!(
        source.escape,
        crate::fs::Escape::ResolvesOutside { .. }
    ));
    let report = rendered(&error);
    assert!(!report.contains("SECRET-LINE"), "{report}");
    assert!(report.contains("refusing to read the recipe"), "{report}");
    // A link inside the folder is fine.
    let inner = temp.path().join("inner");
    fs_err::create_dir(&inner).unwrap();
    fs_err::write(inner.join("real.toml"), MINIMAL.replace("demo", "inner")).unwrap();
    std::os::unix::fs::symlink("real.toml", inner.join(RECIPE_FILE)).unwrap();
    load(&inner).unwrap();
}

/// Issue 25: a recipe that is a FIFO or a link to `/dev/zero` is refused without blocking
/// or reading forever; one over the size limit is refused too.
#[test]
fn a_recipe_must_be_a_regular_file_of_bounded_size() {
    let temp = tempfile::tempdir().unwrap();
    let fifo = temp.path().join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let zero = temp.path().join("zero.toml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let error = load(&fifo).unwrap_err();
    assert!(
        matches!(
            &error,
            RecipeError::Input(crate::fs::InputError {
                problem: crate::fs::InputProblem::NotRegular { .. },
                ..
            })
        ),
        "{error}"
    );
    // The link leads out of the folder, which is refused first.
    let error = load(&zero).unwrap_err();
    assert!(matches!(&error, RecipeError::Outside { .. }), "{error}");
    let huge = temp.path().join("huge.toml");
    let file = fs_err::File::create(&huge).unwrap();
    file.set_len(MAX_RECIPE_BYTES + 1).unwrap();
    let error = load(&huge).unwrap_err();
    assert!(
        matches!(
            &error,
            RecipeError::Input(crate::fs::InputError {
                problem: crate::fs::InputProblem::TooLarge { .. },
                ..
            })
        ),
        "{error}"
    );
}

/// `kiln build` reaches a folder outside the project through a `src` link it makes; only
/// [`load_out_of_tree`] follows it, and the path as written must still stay inside.
#[test]
fn only_an_out_of_tree_recipe_follows_its_source_link() {
    let outside = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("demo");
    fs_err::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("src")).unwrap();
    let text = "[package]\nname = \"demo\"\nversion = \"1.0\"\n[source]\npath = \"src\"\n";
    fs_err::write(dir.join(RECIPE_FILE), text).unwrap();
    let error = load(&dir).unwrap_err();
    assert_eq!(error.as_invalid().unwrap().field(), Some("source.path"));
    let recipe = load_out_of_tree(&dir).unwrap();
    assert_eq!(
        recipe.source.spec,
        SourceSpec::Path {
            path: fs_err::canonicalize(outside.path()).unwrap()
        }
    );
    fs_err::write(
        dir.join(RECIPE_FILE),
        text.replace("\"src\"", "\"../demo/src\""),
    )
    .unwrap();
    assert!(load_out_of_tree(&dir).is_err());
}

/// Issue 25: a patch (or extra, or `path` source) that is a link leading out of the recipe
/// folder is refused with the field named.
#[test]
fn a_patch_linking_outside_the_recipe_folder_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    fs_err::write(outside.path().join("secret"), "x").unwrap();
    let text = format!("{MINIMAL}patches = [\"patches/a.patch\"]\n");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("demo");
    fs_err::create_dir_all(dir.join("patches")).unwrap();
    fs_err::write(dir.join(RECIPE_FILE), &text).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), dir.join("patches/a.patch")).unwrap();
    let error = load(&dir).unwrap_err();
    let invalid = error.as_invalid().expect("a spanned error");
    assert_eq!(invalid.field(), Some("source.patches[0]"));
    assert!(
        matches!(
            invalid.problem(),
            Problem::Outside {
                escape: crate::fs::Escape::ResolvesOutside { .. },
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn load_dir_sorts_by_name() {
    let recipes = load_dir(Path::new(GOOD)).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let names: Vec<&str> = recipes
        .iter()
        .map(|recipe| recipe.package.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["cpython", "hello-path", "libyaml", "markupsafe", "zlib"]
    );
}

#[test]
fn load_dir_collects_every_error() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    for (folder, text) in [
        ("a-good", MINIMAL.replace("\"demo\"", "\"a-good\"")),
        (
            "b-bad",
            MINIMAL
                .replace("\"demo\"", "\"b-bad\"")
                .replace("93e5", "zz"),
        ),
        ("d-mismatch", MINIMAL.to_string()),
    ] {
        fs_err::create_dir(root.join(folder)).unwrap();
        fs_err::write(root.join(folder).join(RECIPE_FILE), text).unwrap();
    }
    // Not recipes: a folder without `recipe.toml` is an error; `_`/`.` folders and files
    // are skipped.
    for folder in ["c-empty", "_shared", ".git"] {
        fs_err::create_dir(root.join(folder)).unwrap();
    }
    fs_err::write(root.join("README.md"), "recipes").unwrap();

    let errors = load_dir(root).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let root = root.display();
    assert_eq!(
        messages,
        [
            format!(
                "{root}/b-bad/recipe.toml:8:10: source.sha256: expected 64 hexadecimal digits, found \"zz83f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640\""
            ),
            format!("recipe folder `{root}/c-empty` has no `recipe.toml` (or Pyodide `meta.yaml`)"),
            format!(
                "{root}/d-mismatch/recipe.toml:3:8: package.name: `demo` does not match the recipe folder `d-mismatch`"
            ),
        ]
    );
}

#[test]
fn load_dir_of_a_missing_folder() {
    let errors = load_dir(Path::new("tests/data/no-such-folder")).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages, ["cannot read `tests/data/no-such-folder`"]);
}

#[test]
fn load_named_normalises_and_deduplicates() {
    let recipes = load_named(Path::new(GOOD), &["ZLIB", "MarkupSafe", "zlib"]).unwrap();
    let names: Vec<&str> = recipes
        .iter()
        .map(|recipe| recipe.package.name.as_str())
        .collect();
    assert_eq!(names, ["zlib", "markupsafe"]);
}

#[test]
fn load_named_reports_unknown_names_with_close_matches() {
    let names = [
        "zlb".to_string(),
        "nothing-like-it".to_string(),
        "../bad".to_string(),
    ];
    let errors = load_named(Path::new(GOOD), &names).unwrap_err();
    let rendered: Vec<(String, Option<String>)> = errors
        .iter()
        .map(|error| (error.to_string(), help(error)))
        .collect();
    let no_match_help = Some(
        "recipe names are the folders of the recipe folder that hold a `recipe.toml`".to_string(),
    );
    assert_eq!(
        rendered,
        [
            (
                "no recipe named `zlb` in `tests/data/recipes/good`".to_string(),
                Some("did you mean `zlib`?".to_string())
            ),
            (
                "no recipe named `nothing-like-it` in `tests/data/recipes/good`".to_string(),
                no_match_help.clone()
            ),
            (
                "no recipe named `../bad` in `tests/data/recipes/good`".to_string(),
                no_match_help
            ),
        ]
    );
    assert!(matches!(
        &errors[0],
        RecipeError::UnknownRecipe { close_matches, .. } if close_matches == &["zlib"]
    ));
}

// ---------------------------------------------------------------------------------------
// Names.

#[test]
fn normalises_names_as_pep_503() {
    assert_eq!(normalize_name("MarkupSafe"), "markupsafe");
    assert_eq!(normalize_name("Foo.Bar__baz-_-qux"), "foo-bar-baz-qux");
    assert_eq!(normalize_name("zope.interface"), "zope-interface");
}

#[test]
fn normalises_the_name_of_a_pep_508_requirement() {
    assert_eq!(
        normalize_requirement("Cython>=3").as_deref(),
        Some("cython>=3")
    );
    assert_eq!(
        normalize_requirement(" Meson_Python ").as_deref(),
        Some("meson-python")
    );
    assert_eq!(
        normalize_requirement("numpy @ file:///x").as_deref(),
        Some("numpy @ file:///x")
    );
    assert_eq!(normalize_requirement(">=3"), None);
    assert_eq!(normalize_requirement("two words"), None);
    assert_eq!(normalize_requirement("trailing-"), None);
}

// ---------------------------------------------------------------------------------------
// docs/recipe-format.md against the parser.

/// The keys serde accepts in each table, asked of the parser itself: an unknown key makes
/// `deny_unknown_fields` list the allowed ones. A key added to `raw.rs` shows up here
/// without anyone editing this test.
fn accepted_keys() -> BTreeSet<String> {
    let probes = [
        ("", "__probe__ = 1\n"),
        ("package.", "[package]\n__probe__ = 1\n"),
        ("source.", "[source]\n__probe__ = 1\n"),
        ("source.debian.", "[source]\ndebian = { __probe__ = 1 }\n"),
        ("build.", "[build]\n__probe__ = 1\n"),
        ("requirements.", "[requirements]\n__probe__ = 1\n"),
        ("test.", "[test]\n__probe__ = 1\n"),
        ("about.", "[about]\n__probe__ = 1\n"),
    ];
    let mut keys = BTreeSet::new();
    for (prefix, text) in probes {
        let path = Path::new("probe.toml");
        let error = parse(text, path, path.to_path_buf(), PathBuf::from("/"), None).unwrap_err();
        let Some(Problem::UnknownKey { expected, .. }) =
            error.as_invalid().map(InvalidRecipe::problem)
        else {
            panic!("probe `{text}` gave {error}");
        };
        for key in expected {
            // Tables are documented as `[package]`, keys with their table: `build.cflags`.
            if prefix.is_empty() {
                keys.insert(format!("[{key}]"));
            } else {
                keys.insert(format!("{prefix}{key}"));
            }
        }
    }
    keys
}

/// Keys in the first column of the reference tables (those headed `| Key | Type |…`).
fn documented_keys(doc: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut in_key_table = false;
    for line in doc.lines() {
        if line.starts_with("| Key | Type |") {
            in_key_table = true;
        } else if !line.starts_with('|') {
            in_key_table = false;
        } else if let Some((key, _)) = line
            .strip_prefix("| `")
            .and_then(|row| row.split_once("` |"))
            .filter(|_| in_key_table)
        {
            keys.insert(key.to_string());
        }
    }
    keys
}

#[test]
fn doc_lists_every_key_the_parser_accepts() {
    let doc = fs_err::read_to_string(DOC).unwrap();
    let accepted = accepted_keys();
    assert!(
        accepted.contains("build.unvendor-tests") && accepted.contains("source.debian.version")
    );
    let documented = documented_keys(&doc);
    let undocumented: Vec<_> = accepted.difference(&documented).collect();
    assert!(undocumented.is_empty(), "add to {DOC}: {undocumented:?}");
    let unknown: Vec<_> = documented.difference(&accepted).collect();
    assert!(
        unknown.is_empty(),
        "{DOC} documents keys the parser rejects: {unknown:?}"
    );
}

#[test]
fn doc_examples_are_the_good_fixtures() {
    let doc = fs_err::read_to_string(DOC).unwrap();
    for name in ["markupsafe", "libyaml", "zlib", "cpython", "hello-path"] {
        let recipe = fs_err::read_to_string(Path::new(GOOD).join(name).join(RECIPE_FILE)).unwrap();
        assert!(
            doc.contains(&format!("```toml\n{recipe}```")),
            "{DOC} should show `{GOOD}/{name}/recipe.toml` verbatim in a ```toml block"
        );
    }
}

/// The project's own recipes must load, once there are any.
#[test]
fn repository_recipes_are_valid() {
    let recipes = Path::new("recipes");
    if !recipes.is_dir() {
        eprintln!("skipped: no `recipes/` folder");
        return;
    }
    if let Err(errors) = load_dir(recipes) {
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("{}", messages.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------
// Printing an error never panics (issue 25: a column past 65,536 crashed miette's printer).

/// Renders `error` as `kiln recipe check` does, at `width` columns, with or without colour
/// and line wrapping.
fn render_with(error: &dyn Diagnostic, width: usize, colour: bool, wrap: bool) -> String {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut report = String::new();
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_wrap_lines(wrap)
        .render_report(&mut report, error)
        .expect("rendering into a String cannot fail");
    report
}

#[test]
fn issue_25_an_error_past_column_65536_renders() {
    let flags = "\"-O2\", ".repeat(14_000);
    let text = format!("{MINIMAL}\n[build]\ncflags = [{flags}\"a b\"]\n");
    let (_temp, result) = load_text("demo", &text);
    let error = result.unwrap_err();
    let invalid = error.as_invalid().unwrap();
    assert!(invalid.column() > 65_536, "{error}");
    let report = render_with(&error, 80, false, true);
    assert!(report.contains("build.cflags[14000]"), "{report}");
    assert!(
        report.contains("help: split it into separate entries"),
        "{report}"
    );
    // The frame would be a line no terminal shows; the location is in the message.
    assert!(!report.contains("-O2\", \"-O2"), "{report}");
}

mod rendering {
    use proptest::prelude::*;

    use super::*;

    /// Pieces that have broken error printers: long runs, tabs, wide, combining and
    /// zero-width characters, CR, NUL, TOML punctuation.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-z0-9 =\"'\\[\\].,{}#-]{0,12}",
            4 => prop::sample::select(vec![
                "\t", "é", "中文", "👩‍👩‍👧", "e\u{301}", "\u{200b}", "\r", "\n", "\r\n", "\0",
                "\u{feff}", "\u{202e}", "\"\"\"", "[", "]", "=", "\\",
            ])
            .prop_map(str::to_string),
            1 => (60_000usize..70_000).prop_map(|n| "x".repeat(n)),
            1 => (900usize..1_100).prop_map(|n| "中".repeat(n)),
            1 => (900usize..1_100).prop_map(|n| "\t".repeat(n)),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
    }

    /// Renders with the graphical handler (three widths, colour and wrapping on and off) and
    /// the narratable one miette picks for screen readers and `NO_COLOR`-like terminals.
    fn check_renders(error: &dyn Diagnostic) {
        for (width, colour, wrap) in [(80, false, true), (12, true, true), (300, false, false)] {
            let report = render_with(error, width, colour, wrap);
            assert!(!report.is_empty());
        }
        let mut narrated = String::new();
        miette::NarratableReportHandler::new()
            .render_report(&mut narrated, error)
            .expect("rendering into a String cannot fail");
        assert!(!narrated.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A recipe with odd text in every value: whatever error it gives renders.
        #[test]
        fn any_recipe_error_renders(
            name in text(), version in text(), url in text(), flag in text(), tail in text()
        ) {
            let recipe = format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\n[source]\nurl = \"{url}\"\n\
                 sha256 = \"{CPYTHON_SHA256}\"\n[build]\ncflags = [\"{flag}\"]\n{tail}"
            );
            let path = Path::new("recipes/demo/recipe.toml");
            let result = parse(
                &recipe,
                path,
                PathBuf::from("/nonexistent/recipes/demo/recipe.toml"),
                PathBuf::from("/nonexistent/recipes/demo"),
                Some("demo"),
            );
            if let Err(error) = result {
                check_renders(&error);
                prop_assert!(error.to_string().starts_with("recipes/demo/recipe.toml:"));
            }
        }

        /// Any text, any span (even out of range or inside a character): the error renders.
        #[test]
        fn any_span_renders(text in text(), start in 0usize..200_000, len in 0usize..200_000) {
            let invalid = InvalidRecipe::new(
                Path::new("recipe.toml"),
                &text,
                start..start.saturating_add(len),
                Some("package.name".to_string()),
                Problem::InvalidValue {
                    expected: "a name".to_string(),
                    found: text.chars().take(50).collect(),
                },
            )
            .with_help("a help");
            prop_assert!(invalid.span().end <= text.len());
            check_renders(&invalid);
        }
    }
}
