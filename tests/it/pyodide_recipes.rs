//! Issue 18: recipe folders in Pyodide's `meta.yaml` format build with kiln, unchanged
//! (`tests/data/meta-yaml/`, written for these tests in that format): a static library whose
//! script uses Pyodide's variables, a C extension linking it with a patch, extras, a script
//! reading `$PKGDIR` and string cflags, and a pure package needing it and kiln's own `six`.
//! The wheels then run in the runtime. The third test builds recipes taken unchanged from
//! pyodide-recipes, which `scripts/test-pyodide-recipes` exports from a checkout at run time.

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

/// The environment variable naming the folder of recipes exported from pyodide-recipes.
const EXPORTED: &str = "KILN_PYODIDE_RECIPES";

/// Issue 18's last check: recipes taken unchanged from pyodide-recipes (a third party's, so
/// not kept here: `scripts/test-pyodide-recipes` exports them from a checkout into a folder
/// and names it in `KILN_PYODIDE_RECIPES`) build with kiln, among them one with patches and
/// one with a build script, and each imports in the runtime at its recipe's version.
#[test]
#[ignore = "needs recipes exported from a pyodide-recipes checkout: run scripts/test-pyodide-recipes"]
fn issue_18_recipes_from_pyodide_recipes_build_unchanged_and_import() {
    let dir = std::env::var_os(EXPORTED).map(std::path::PathBuf::from).unwrap_or_else(|| {
        panic!(
            "`{EXPORTED}` is not set: run `scripts/test-pyodide-recipes PATH-TO-PYODIDE-RECIPES`, which exports the recipes and sets it"
        )
    });
    // (name, version) of every recipe in the folder, and which have patches or a script.
    let mut recipes = Vec::new();
    let (mut patched, mut scripted) = (Vec::new(), Vec::new());
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read `{}`: {error}", dir.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.join("meta.yaml").is_file())
        .collect();
    entries.sort();
    for folder in &entries {
        let meta: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(folder.join("meta.yaml")).unwrap())
                .unwrap_or_else(|error| panic!("{}: {error}", folder.display()));
        let field = |path: &[&str]| {
            path.iter()
                .try_fold(&meta, |value, key| value.get(*key))
                .cloned()
        };
        let name = field(&["package", "name"])
            .and_then(|name| name.as_str().map(str::to_string))
            .expect("package.name");
        let version = match field(&["package", "version"]) {
            Some(serde_yaml::Value::String(version)) => version,
            Some(serde_yaml::Value::Number(version)) => version.to_string(),
            other => panic!("{name}: package.version {other:?}"),
        };
        if field(&["source", "patches"])
            .and_then(|patches| patches.as_sequence().map(|list| !list.is_empty()))
            .unwrap_or(false)
        {
            patched.push(name.clone());
        }
        if field(&["build", "script"])
            .and_then(|script| script.as_str().map(|text| !text.trim().is_empty()))
            .unwrap_or(false)
        {
            scripted.push(name.clone());
        }
        recipes.push((name, version));
    }
    eprintln!(
        "{} recipes from `{}`; with patches: {patched:?}; with a build script: {scripted:?}",
        recipes.len(),
        dir.display()
    );
    assert!(recipes.len() >= 10, "issue 18 asks for ten: {recipes:?}");
    assert!(!patched.is_empty(), "none of {recipes:?} has patches");
    assert!(
        !scripted.is_empty(),
        "none of {recipes:?} has a build script"
    );

    toolchain();
    let dist = scratch("pyodide-recipes-dist");
    let output = run(kiln()
        .arg("--recipe-dir")
        .arg(&dir)
        .args(["build-recipes", "--no-progress"])
        .args(recipes.iter().map(|(name, _)| name))
        .arg("--install")
        .arg("--install-dir")
        .arg(&dist));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let normalise = |name: &str| name.to_lowercase().replace(['_', '.'], "-");
    for (name, _) in &recipes {
        let line = stderr
            .lines()
            .rev()
            .find(|line| line.split_whitespace().next().map(normalise) == Some(normalise(name)))
            .unwrap_or_else(|| panic!("no summary line for {name}:\n{stderr}"));
        assert!(
            line.contains(" built ") || line.contains(" cached "),
            "{line}"
        );
    }

    // Each imports in the runtime (the modules its lock entry lists), at its recipe's version.
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dist.join("pyodide-lock.json")).unwrap())
            .unwrap();
    let packages = lock["packages"].as_object().expect("the lock's packages");
    let mut load = Vec::new();
    let checks: Vec<serde_json::Value> = recipes
        .iter()
        .map(|(name, version)| {
            let entry = packages
                .values()
                .find(|entry| entry["name"].as_str().map(normalise) == Some(normalise(name)))
                .unwrap_or_else(|| panic!("{name} is not in the lock"));
            let imports = entry["imports"].as_array().expect("imports");
            assert!(
                !imports.is_empty(),
                "the lock lists nothing to import for {name}"
            );
            load.push(entry["name"].as_str().expect("a name").to_string());
            serde_json::json!([name, version, imports])
        })
        .collect();
    let script = format!(
        "import importlib, importlib.metadata, json\n\
         for name, version, imports in json.loads({:?}):\n\
         \x20   try:\n\
         \x20       for module in imports:\n\
         \x20           importlib.import_module(module)\n\
         \x20       found = importlib.metadata.version(name)\n\
         \x20       result = 'ok' if found == version else f'version {{found}}, recipe {{version}}'\n\
         \x20   except Exception as error:\n\
         \x20       result = f'{{type(error).__name__}}: {{error}}'\n\
         \x20   print(name, result)\n",
        serde_json::Value::Array(checks).to_string()
    );
    // The modules are named at run time, where the runtime cannot see them in the code: load
    // the packages (and their run requirements) first.
    let stdout = run_ok(
        python(&dist)
            .arg("--packages")
            .arg(load.join(","))
            .args(["-c", &script]),
    );
    let expected: String = recipes
        .iter()
        .map(|(name, _)| format!("{name} ok\n"))
        .collect();
    assert_eq!(stdout, expected);
}
