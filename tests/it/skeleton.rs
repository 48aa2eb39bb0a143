//! Issue 18: `kiln skeleton pypi` writes recipes for real packages from the index that build
//! without a hand edit (pure, C, Cython, Rust), and `--update` moves a recipe to another
//! release keeping its hand edits.

use std::path::Path;
use std::process::Command;

use crate::common::{run, run_ok, text, toolchain};

/// (name, version, what it is): pinned, so the test does not move with the index.
const PACKAGES: &[(&str, &str, &str)] = &[
    ("more-itertools", "11.2.1", "pure Python, flit"),
    ("bitarray", "3.12.3", "C extension, setuptools"),
    ("toolz", "1.2.0", "pure Python; cytoolz's run requirement"),
    ("cytoolz", "1.2.0", "Cython, setuptools; runs on toolz"),
    ("jiter", "0.19.0", "Rust, PyO3 and maturin"),
];

/// kiln in `dir`, a package maintainer's folder: no kiln checkout, kiln's own recipes below
/// `dir/recipes`.
fn kiln_in(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
    command
        .current_dir(dir)
        .env_remove("KILN_PROJECT_DIR")
        .env_remove("KILN_PLATFORM");
    command
}

#[test]
fn issue_18_skeleton_recipes_of_real_packages_build_without_edits() {
    toolchain();
    let dir = tempfile::Builder::new()
        .prefix("kiln-skeleton-")
        .tempdir()
        .unwrap();
    for (name, version, _) in PACKAGES {
        run_ok(kiln_in(dir.path()).args(["skeleton", "pypi", name, "--version", version]));
        let recipe =
            std::fs::read_to_string(dir.path().join("recipes").join(name).join("recipe.toml"))
                .unwrap();
        assert!(
            recipe.contains(&format!("pypi = \"{name}=={version}\"")),
            "{recipe}"
        );
        assert!(recipe.contains("[test]\nimports = ["), "{recipe}");
    }
    let cytoolz = std::fs::read_to_string(dir.path().join("recipes/cytoolz/recipe.toml")).unwrap();
    assert!(cytoolz.contains("run = [\"toolz\"]"), "{cytoolz}");
    let jiter = std::fs::read_to_string(dir.path().join("recipes/jiter/recipe.toml")).unwrap();
    assert!(jiter.contains("A Rust extension"), "{jiter}");

    let names: Vec<&str> = PACKAGES.iter().map(|(name, _, _)| *name).collect();
    let output = run(kiln_in(dir.path())
        .args(["build-recipes", "--no-progress"])
        .args(&names));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for name in &names {
        let line = stderr
            .lines()
            .rev()
            .find(|line| line.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no summary line for {name}"));
        assert!(
            line.contains(" built ") || line.contains(" cached "),
            "{line}"
        );
    }

    // An existing recipe is not overwritten; `--update` changes its three pins only.
    let bitarray = dir.path().join("recipes/bitarray/recipe.toml");
    let refused = run(kiln_in(dir.path()).args(["skeleton", "pypi", "bitarray"]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("pass `--update`"),
        "{}",
        text(&refused.stderr)
    );
    let edited = std::fs::read_to_string(&bitarray).unwrap().replace(
        "[test]",
        "[build]\ncflags = [\"-O3\"]  # hand edit\n\n[test]",
    );
    std::fs::write(&bitarray, &edited).unwrap();
    run_ok(kiln_in(dir.path()).args([
        "skeleton",
        "pypi",
        "bitarray",
        "--version",
        "3.12.2",
        "--update",
    ]));
    let updated = std::fs::read_to_string(&bitarray).unwrap();
    assert!(
        updated.contains("cflags = [\"-O3\"]  # hand edit"),
        "{updated}"
    );
    assert!(updated.contains("version = \"3.12.2\""), "{updated}");
    assert!(updated.contains("pypi = \"bitarray==3.12.2\""), "{updated}");
    assert!(!updated.contains("3.12.3\""), "{updated}");
    assert_eq!(
        updated.lines().count(),
        edited.lines().count(),
        "nothing but the pins changed"
    );
}
