//! A package recipe's `[test]`, run in the runtime after its build: `test.imports` imported
//! and `test.script` run by the real runtime under Node, against the new wheels and those of
//! its dependencies, loaded from a lockfile as a user's would be.
//!
//! The build stage calls this through [`crate::build::PackageTest`] before the package enters
//! the cache, so a failed test fails the build and nothing untested is cached. For each test:
//!
//! ```text
//! .kiln/build/.runtime/<hash>/          the runtime bundle, assembled once per runtime build
//! .kiln/build/<name>/test/              python.mjs … (hard links to the bundle), the wheels of
//!                                       the package and its dependencies, shared libraries,
//!                                       pyodide-lock.json, kiln_test.py
//! .kiln/build/<name>/test/test.log      what the test printed (also appended to build.log)
//! ```
//! The command is `node test/python.mjs --packages <name> test/kiln_test.py`, in the toolchain
//! root, under `timeout`: the loader installs the package and its `depends` from the
//! lockfile, and `kiln_test.py` imports each module (timing it) and then runs the script.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::build::{PackageTest, TestError, TestReport};
use crate::bundle::{self, BundleOptions};
use crate::cache::Artifact;
use crate::config::Settings;
use crate::dist::{self, AssembleOptions, Contents, Limits, LockOptions, PackageInfo, Runtime};
use crate::recipe::{BuildKind, Recipe};
use crate::run;
use crate::toolchain::{Abi, Toolchain};

/// How long one recipe's test may run before it is stopped (a hung test fails the build).
pub const TIMEOUT_SECONDS: u32 = 600;

/// The file the test runs.
const TEST_FILE: &str = "kiln_test.py";

/// Runs package tests for one set of recipes (those of the build graph).
pub struct RuntimeTests<'a> {
    settings: &'a Settings,
    toolchain: &'a Toolchain,
    abi: &'a Abi,
    recipes: &'a [Recipe],
    known: BTreeMap<String, PackageInfo>,
    runtime: Runtime,
}

impl<'a> RuntimeTests<'a> {
    pub fn new(
        settings: &'a Settings,
        toolchain: &'a Toolchain,
        abi: &'a Abi,
        recipes: &'a [Recipe],
    ) -> Result<Self, dist::RuntimeError> {
        Ok(Self {
            settings,
            toolchain,
            abi,
            recipes,
            known: PackageInfo::from_recipes(recipes),
            runtime: Runtime::of_project(abi, recipes)?,
        })
    }

    fn recipe(&self, name: &str) -> Option<&'a Recipe> {
        self.recipes
            .iter()
            .find(|recipe| recipe.package.name == name)
    }

    /// The runtime bundle of `runtime` (python.mjs, python.wasm, the zipped stdlib…),
    /// assembled once per runtime build and loader into `.kiln/build/.runtime/<key>/` (the
    /// key hashes both: a new kiln brings a new loader).
    fn bundle(&self, runtime: &Artifact) -> Result<PathBuf, TestError> {
        let home = self.settings.build_dir().join(".runtime");
        let mut key = crate::hash::KeyHasher::new();
        key.field("runtime", &runtime.info.key).field(
            "loader",
            bundle::runtime::loader_for(self.abi, bundle::slim::FULL),
        );
        let dir = home.join(key.finish().short(16));
        if dir.join("runtime.json").is_file() {
            return Ok(dir);
        }
        let recipe = self
            .recipe(&runtime.info.name)
            .ok_or_else(|| setup(format!("no recipe for the runtime `{}`", runtime.info.name)))?;
        fs_err::create_dir_all(&home).map_err(setup)?;
        let temporary = tempfile::Builder::new()
            .prefix(".bundle-")
            .tempdir_in(&home)
            .map_err(setup)?;
        let options = BundleOptions {
            abi: self.abi,
            python_version: &recipe.package.version,
            emscripten_version: &self.abi.emscripten,
            source_date_epoch: self.settings.source_date_epoch,
            stdlib: &bundle::StdlibOptions::default(),
        };
        bundle::assemble(&runtime.prefix(), temporary.path(), &options).map_err(setup)?;
        crate::fs::rename_dir_into_place(&temporary.keep(), &dir).map_err(setup)?;
        Ok(dir)
    }

    /// Fills `dir` with the runtime (hard links to its bundle), the wheels and shared
    /// libraries of `built` and of the packages and libraries among `host`, and their
    /// lockfile.
    fn prepare(
        &self,
        dir: &Path,
        recipe: &'a Recipe,
        built: &Artifact,
        host: &[&Artifact],
    ) -> Result<(), TestError> {
        let runtime = host
            .iter()
            .find(|artifact| artifact.info.kind == BuildKind::Runtime.as_str())
            .ok_or_else(|| setup("the package was built without a runtime".to_string()))?;
        let bundle = self.bundle(runtime)?;
        if dir.exists() {
            fs_err::remove_dir_all(dir).map_err(setup)?;
        }
        fs_err::create_dir_all(dir).map_err(setup)?;
        for entry in fs_err::read_dir(&bundle).map_err(setup)? {
            let entry = entry.map_err(setup)?;
            let target = dir.join(entry.file_name());
            // A hard link, so `python.mjs` finds the lockfile beside itself, not the bundle's.
            if std::fs::hard_link(entry.path(), &target).is_err() {
                fs_err::copy(entry.path(), &target).map_err(setup)?;
            }
        }
        let mut contents: Vec<(&Recipe, &Artifact)> = host
            .iter()
            .filter(|artifact| {
                artifact.info.kind == BuildKind::Package.as_str()
                    || artifact.info.kind == BuildKind::SharedLibrary.as_str()
            })
            .filter_map(|artifact| Some((self.recipe(&artifact.info.name)?, *artifact)))
            .collect();
        contents.push((recipe, built));
        let options = AssembleOptions {
            abi: self.abi,
            emscripten_version: &self.abi.emscripten,
            source_date_epoch: self.settings.source_date_epoch,
            stdlib: Default::default(),
            contents: Contents::Everything,
        };
        dist::assemble(dir, &contents, &options).map_err(setup)?;
        let lock = LockOptions {
            runtime: &self.runtime,
            known: &self.known,
            limits: Limits::DEFAULT,
        };
        dist::lock(dir, &lock).map_err(setup)?;
        Ok(())
    }
}

impl PackageTest for RuntimeTests<'_> {
    fn test(
        &self,
        recipe: &Recipe,
        built: &Artifact,
        host: &[&Artifact],
        work: &Path,
        log: &Path,
    ) -> Result<Option<TestReport>, TestError> {
        if recipe.test.is_empty() {
            return Ok(None);
        }
        let started = Instant::now();
        // The graph's own recipe for this name: the one the lockfile's entries come from.
        let recipe = self.recipe(&recipe.package.name).unwrap_or_else(|| {
            unreachable!(
                "the package `{}` is one of the graph's recipes",
                recipe.package.name
            )
        });
        let dir = work.join("test");
        self.prepare(&dir, recipe, built, host)?;
        let script = dir.join(TEST_FILE);
        fs_err::write(&script, test_program(recipe)).map_err(setup)?;
        let test_log = dir.join("test.log");
        let argv: Vec<std::ffi::OsString> = vec![
            "timeout".into(),
            TIMEOUT_SECONDS.to_string().into(),
            "node".into(),
            dir.join("python.mjs").into(),
            "--packages".into(),
            recipe.package.name.clone().into(),
            script.into(),
        ];
        let mut command = self.toolchain.command(&argv, &dir, &[]);
        let status = run::run_logged_status(&mut command, &test_log).map_err(setup)?;
        let output = fs_err::read_to_string(&test_log).unwrap_or_default();
        append(log, &output);
        if !status.success() {
            // What the test printed, without the command line `run` logged first.
            let printed: Vec<&str> = output.lines().skip(1).collect();
            let mut output = printed[printed.len().saturating_sub(run::TAIL_LINES)..].join("\n");
            if status.code() == Some(124) {
                output.push_str(&format!(
                    "\nkiln: the test was stopped after {TIMEOUT_SECONDS} s"
                ));
            }
            return Err(TestError::Failed { output });
        }
        Ok(Some(TestReport {
            imports: recipe.test.imports.len(),
            script: recipe.test.script.is_some(),
            seconds: started.elapsed().as_secs_f64(),
        }))
    }
}

/// `kiln_test.py`: each import timed and reported (all of them, even after a failure, so one
/// run shows every missing module), then the recipe's script, compiled under a name that
/// says where it came from so its traceback points at the recipe.
pub fn test_program(recipe: &Recipe) -> String {
    let literal = |text: &str| serde_json::to_string(text).expect("a string serialises");
    let imports: Vec<String> = recipe
        .test
        .imports
        .iter()
        .map(|name| literal(name))
        .collect();
    let origin = format!("{} [test.script]", recipe.path.display());
    let mut program = format!(
        "# Written by kiln: the [test] of {path}, run in the runtime.\n\
         import importlib, sys, time, traceback\n\
         \n\
         def _kiln_imports(names):\n\
         \x20   failed = 0\n\
         \x20   for name in names:\n\
         \x20       started = time.perf_counter()\n\
         \x20       try:\n\
         \x20           importlib.import_module(name)\n\
         \x20       except BaseException:\n\
         \x20           traceback.print_exc()\n\
         \x20           print(f\"kiln-test: import {{name}}: FAILED\", flush=True)\n\
         \x20           failed += 1\n\
         \x20       else:\n\
         \x20           print(f\"kiln-test: import {{name}}: ok ({{time.perf_counter() - started:.2f}} s)\", flush=True)\n\
         \x20   return failed\n\
         \n\
         if _kiln_imports([{imports}]):\n\
         \x20   sys.exit(1)\n",
        path = recipe.path.display(),
        imports = imports.join(", "),
    );
    if let Some(script) = &recipe.test.script {
        // linecache holds the script's lines under its name, so a traceback shows them.
        program.push_str(&format!(
            "\nimport linecache\n\
             _kiln_source = {source}\n\
             _kiln_origin = {origin}\n\
             linecache.cache[_kiln_origin] = (len(_kiln_source), None, _kiln_source.splitlines(True), _kiln_origin)\n\
             _kiln_started = time.perf_counter()\n\
             exec(compile(_kiln_source, _kiln_origin, \"exec\"), {{\"__name__\": \"__main__\"}})\n\
             print(f\"kiln-test: script: ok ({{time.perf_counter() - _kiln_started:.2f}} s)\", flush=True)\n",
            source = literal(script),
            origin = literal(&origin),
        ));
    }
    program
}

fn setup(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> TestError {
    TestError::Setup(error.into())
}

/// Appends `text` to a build log; a log that cannot be written is not worth failing over.
fn append(log: &Path, text: &str) {
    use std::io::Write;
    let _ = fs_err::OpenOptions::new()
        .append(true)
        .open(log)
        .and_then(|mut file| file.write_all(text.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_imports_every_module_then_runs_the_script_under_the_recipes_name() {
        let dir = tempfile::tempdir().unwrap();
        let recipe_dir = dir.path().join("demo");
        fs_err::create_dir_all(recipe_dir.join("src")).unwrap();
        fs_err::write(
            recipe_dir.join("recipe.toml"),
            "[package]\nname = \"demo\"\nversion = \"1.0\"\n\n[source]\npath = \"src\"\n\n\
             [test]\nimports = [\"demo\", \"demo.sub\"]\nscript = '''\nimport demo\nassert demo.f(\"é\\\\n\") == 2\n'''\n",
        )
        .unwrap();
        let recipe = crate::recipe::load(&recipe_dir).unwrap();
        let program = test_program(&recipe);
        assert!(
            program.contains("if _kiln_imports([\"demo\", \"demo.sub\"]):"),
            "{program}"
        );
        assert!(
            program.contains(r#"_kiln_source = "import demo\nassert demo.f(\"é\\\\n\") == 2\n""#),
            "{program}"
        );
        assert!(
            program.contains("demo/recipe.toml [test.script]"),
            "{program}"
        );
    }
}
