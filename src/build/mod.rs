//! Building one recipe: fetch its source, merge its host dependencies, run its script in the
//! toolchain root, and store what it installed in the content-addressed cache.
//!
//! [`Builder::build`] reads as the steps of one build, each in its own file:
//! ```text
//! 1. work.rs     the work folder: locked, emptied, its log started
//! 2. (source)    the source fetched, verified, extracted and patched (crate::source)
//! 3. host.rs     the host dependencies: libraries merged into one prefix, packages found
//! 4. script.rs   build.sh rendered: the environment contract, then the body for the kind
//!                (package.rs + cross.rs for packages, rust_std.rs for Rust extensions)
//! 5. script.rs   the script run inside the toolchain root, its output into the log
//! 6. wheels.rs   a package's wheel repaired and link-checked (outputs.rs: a library's
//!                prefix holds a library)
//! 7. (test)      a package's `[test]` run in the runtime, through [`PackageTest`]
//! 8. store.rs    the prefix and the log committed into the cache
//! ```
//! A test failure fails the build before anything enters the cache, so a cached package is
//! a tested one.
//! Everything that depends on what is built for (flags, wheel tag, Python version) comes from
//! one [`Platform`] value; the compiler wrapper ([`wrapper`]) is the part of kiln that runs
//! inside a build.
//!
//! Work happens in `<project>/.kiln/build/<name>/`:
//! ```text
//! build.log   the full log: exists from the first step, so even a fetch failure has one
//! build.sh    the exact script and environment, re-runnable by hand inside the root:
//!             `kiln toolchain run -- bash .kiln/build/<name>/build.sh`
//! src/        the extracted, patched source tree
//! host/       the merged `$PREFIX`es of the host dependencies (`$KILN_HOST_PREFIX`)
//! prefix/     `$PREFIX` while the script runs; moved into the cache when it succeeds
//! ```
//! The prefix path is stable per recipe, so paths a build bakes into its outputs (pkg-config
//! files, sysconfig data) are the same on every rebuild.

pub mod clean;
pub mod cross;
mod host;
mod outputs;
pub mod package;
pub mod requirements;
pub mod rust;
mod rust_std;
mod script;
mod store;
mod wheels;
mod work;
pub mod wrapper;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache::key::{BuildLogic, KeyInputs, file_input};
use crate::cache::remote::RemoteCache;
use crate::cache::{Artifact, ArtifactInfo, Begun, BuildCache, CacheError};
use crate::config::Settings;
use crate::hash::Sha256;
use crate::recipe::{BuildKind, Recipe, SourceSpec};
use crate::run::RunError;
use crate::source::{self, FetchContext, SourceError};
use crate::toolchain::{Platform, Toolchain};
use crate::wheel::WheelError;
pub use host::merge_tree;
use work::WorkDir;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("`{name}`: cannot prepare the source; log: `{}`", log.display())]
    Source {
        name: String,
        log: PathBuf,
        #[source]
        source: Box<SourceError>,
    },
    #[error("`{name}`: the build script failed; log: `{}`\n{tail}", log.display())]
    Script {
        name: String,
        log: PathBuf,
        tail: String,
    },
    #[error("`{name}`: {action} `{}`", path.display())]
    Io {
        name: String,
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{name}`: cannot make a wheel; log: `{}`", log.display())]
    Wheel {
        name: String,
        log: PathBuf,
        #[source]
        source: Box<WheelError>,
    },
    #[error("`{name}`: the build produced no wheel in `{}`; log: `{}`", dir.display(), log.display())]
    NoWheel {
        name: String,
        dir: PathBuf,
        log: PathBuf,
    },
    #[error(
        "`{name}`: the `{kind}` recipe installed no library into `$PREFIX` (expected {expected}); log: `{}`",
        log.display()
    )]
    EmptyLibrary {
        name: String,
        kind: &'static str,
        expected: &'static str,
        log: PathBuf,
    },
    #[error("`{name}`: the recipe's test failed in the runtime; log: `{}`\n{output}", log.display())]
    Test {
        name: String,
        log: PathBuf,
        /// The test's output: what it imported, and the traceback.
        output: String,
    },
    #[error("`{name}`: cannot run the recipe's test; log: `{}`", log.display())]
    TestSetup {
        name: String,
        log: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("`{name}`: a package needs the runtime recipe (type `runtime`) in the recipe folder")]
    NoRuntime { name: String },
    #[error(
        "`{name}`: builds a Rust extension (`{}`), but `toolchain/abi.toml` has no [rust] table",
        manifest.display()
    )]
    NoRustAbi { name: String, manifest: PathBuf },
    #[error(
        "`{name}`: the Rust extension `{}` has no Cargo.lock: its crates would be resolved anew on every build. Add one to the source (e.g. a recipe patch or `source.extras`)",
        manifest.display()
    )]
    NoCargoLock { name: String, manifest: PathBuf },
    #[error("`{name}`: build cache")]
    Cache {
        name: String,
        #[source]
        source: CacheError,
    },
    /// `--shard` / `--no-build`: the artifact was to come from elsewhere and did not.
    #[error("`{name}`: not built here, and {why}")]
    Elsewhere { name: String, why: &'static str },
    #[error("`{name}`: cannot run the build script")]
    Run {
        name: String,
        #[source]
        source: RunError,
    },
}

impl BuildError {
    /// What to try next, when kiln knows.
    pub fn hint(&self) -> Option<String> {
        match self {
            BuildError::EmptyLibrary { .. } => Some(
                "install into `$PREFIX`: `./configure --prefix=\"$PREFIX\"` or \
                 `cmake -DCMAKE_INSTALL_PREFIX=\"$PREFIX\"`, then `make install`; \
                 `ls -R .kiln/build/<name>/src` shows where the library went"
                    .to_string(),
            ),
            BuildError::Test { .. } => Some(
                "the test's own files are in `.kiln/build/<name>/test/`: re-run it with \
                 `node .kiln/build/<name>/test/python.mjs --packages <name> .kiln/build/<name>/test/kiln_test.py`"
                    .to_string(),
            ),
            _ => None,
        }
    }

    /// The log a user should open, when there is one.
    pub fn log(&self) -> Option<&Path> {
        match self {
            BuildError::Source { log, .. }
            | BuildError::Script { log, .. }
            | BuildError::Wheel { log, .. }
            | BuildError::NoWheel { log, .. }
            | BuildError::EmptyLibrary { log, .. }
            | BuildError::Test { log, .. }
            | BuildError::TestSetup { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// Whether [`Builder::build`] had to run the script, and what the recipe's test said when it
/// ran (a cached package passed its test when it was built).
#[derive(Debug, Clone)]
pub enum Outcome {
    Built(Artifact, Option<TestReport>),
    Cached(Artifact),
    /// Downloaded from the remote cache.
    Pulled(Artifact),
}

impl Outcome {
    pub fn artifact(&self) -> &Artifact {
        match self {
            Outcome::Built(artifact, _) | Outcome::Cached(artifact) | Outcome::Pulled(artifact) => {
                artifact
            }
        }
    }

    /// `built`, `cached` or `pulled`, as the summary shows it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Built(..) => "built",
            Outcome::Cached(_) => "cached",
            Outcome::Pulled(_) => "pulled",
        }
    }

    /// The test run by this build, if it ran one.
    pub fn test(&self) -> Option<&TestReport> {
        match self {
            Outcome::Built(_, test) => test.as_ref(),
            Outcome::Cached(_) | Outcome::Pulled(_) => None,
        }
    }
}

/// Runs a package recipe's `[test]` on its freshly built wheels, before they enter the cache.
///
/// Defined here and implemented by a later stage ([`crate::smoke`], which needs the runtime
/// bundle and a lockfile): the build stage never imports the stages after it.
pub trait PackageTest: Sync {
    /// Tests `recipe`'s build `built` (its wheels in `built.prefix()/wheels`) with the
    /// finished artifacts `host` of its dependency closure, in `work`, appending what it
    /// ran and printed to `log`. `Ok(None)` when the recipe has nothing to test.
    fn test(
        &self,
        recipe: &Recipe,
        built: &Artifact,
        host: &[&Artifact],
        work: &Path,
        log: &Path,
    ) -> Result<Option<TestReport>, TestError>;
}

/// A passed test.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestReport {
    /// Modules imported.
    pub imports: usize,
    /// Whether `test.script` ran.
    pub script: bool,
    pub seconds: f64,
}

impl std::fmt::Display for TestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "passed ({} import", self.imports)?;
        if self.imports != 1 {
            f.write_str("s")?;
        }
        if self.script {
            f.write_str(" + script")?;
        }
        write!(f, ", {:.1} s)", self.seconds)
    }
}

/// Why a test did not pass.
#[derive(Debug)]
pub enum TestError {
    /// It ran and failed: its output, with the traceback.
    Failed { output: String },
    /// It could not be run (the runtime bundle, the lockfile, the runner).
    Setup(Box<dyn std::error::Error + Send + Sync>),
}

/// What every build shares: settings, toolchain, the platform built for, cache and the job
/// budget.
pub struct Builder<'a> {
    pub settings: &'a Settings,
    pub toolchain: &'a Toolchain,
    pub platform: &'a Platform,
    pub cache: BuildCache,
    /// `-j` handed to make/ninja inside the script (`KILN_JOBS`).
    pub jobs: usize,
    /// The build logic keys are made with ([`BuildLogic::COMPILED`]; tests change it).
    pub logic: BuildLogic,
    /// The remote artifact cache, if any: pulled from before a build, pushed to after.
    pub remote: Option<&'a RemoteCache>,
    /// Runs a package's `[test]` before it is stored; `None` stores untested.
    pub tests: Option<&'a dyn PackageTest>,
}

impl<'a> Builder<'a> {
    pub fn new(
        settings: &'a Settings,
        toolchain: &'a Toolchain,
        platform: &'a Platform,
        jobs: usize,
    ) -> Self {
        Self {
            settings,
            toolchain,
            platform,
            cache: BuildCache::new(&settings.cache_dir),
            jobs,
            logic: BuildLogic::COMPILED,
            remote: None,
            tests: None,
        }
    }

    pub fn work_dir(&self, recipe: &Recipe) -> PathBuf {
        self.settings.build_dir().join(&recipe.package.name)
    }

    /// The cache key of `recipe` given its dependencies' keys (see [`crate::cache::key`]).
    pub fn key(
        &self,
        recipe: &Recipe,
        dependencies: &[(String, Sha256)],
    ) -> Result<Sha256, BuildError> {
        let name = &recipe.package.name;
        let io = |action, path: &Path| io_error(name, action, path);
        let recipe_text = recipe.key_text().map_err(io("cannot read", &recipe.path))?;
        let source = match &recipe.source.spec {
            SourceSpec::Url { sha256, .. }
            | SourceSpec::Pypi { sha256, .. }
            | SourceSpec::Debian { sha256, .. } => *sha256,
            SourceSpec::Path { path } => {
                source::hash_tree(path).map_err(|source| BuildError::Source {
                    name: name.clone(),
                    log: self.work_dir(recipe).join("build.log"),
                    source: Box::new(source),
                })?
            }
        };
        let read_all = |paths: Vec<&PathBuf>| -> Result<Vec<(String, Vec<u8>)>, BuildError> {
            paths
                .into_iter()
                .map(|path| file_input(&recipe.dir, path).map_err(io("cannot read", path)))
                .collect()
        };
        let kind = recipe.build.kind;
        let wrapped = matches!(kind, BuildKind::Package | BuildKind::SharedLibrary);
        Ok(KeyInputs {
            logic: self.logic.parts(wrapped, kind == BuildKind::Package),
            generated: self.generated_text(recipe, wrapped),
            recipe_text: &recipe_text,
            source,
            patches: read_all(recipe.source.patches.iter().collect())?,
            extras: read_all(
                recipe
                    .source
                    .extras
                    .iter()
                    .map(|extra| &extra.from)
                    .collect(),
            )?,
            toolchain_id: self.toolchain.id,
            platform_text: self.platform.abi.text.as_bytes(),
            dependencies: dependencies.to_vec(),
        }
        .key())
    }

    /// Every recipe's key, for `order` (dependencies first); `dependencies` names a recipe's
    /// host dependencies.
    pub fn keys<'r>(
        &self,
        order: &[&'r Recipe],
        dependencies: &dyn Fn(&str) -> Vec<&'r str>,
    ) -> Result<std::collections::BTreeMap<String, Sha256>, BuildError> {
        let mut keys = std::collections::BTreeMap::new();
        for recipe in order {
            let name = recipe.package.name.as_str();
            let dependency_keys: Vec<(String, Sha256)> = dependencies(name)
                .iter()
                .filter_map(|dep| keys.get(*dep).map(|key| (dep.to_string(), *key)))
                .collect();
            let key = self.key(recipe, &dependency_keys)?;
            keys.insert(name.to_string(), key);
        }
        Ok(keys)
    }

    /// The folders whose paths every compile replaces by fixed names (`-ffile-prefix-map`
    /// through the wrapper): where the project, the cache and the work folders are does not
    /// reach a build's bytes, as it does not reach its key. The last match wins in clang, so
    /// the innermost folder comes last.
    fn prefix_maps(&self) -> Vec<(std::path::PathBuf, &'static str)> {
        vec![
            (self.settings.project_dir.clone(), "/kiln/project"),
            (self.settings.cache_dir.clone(), "/kiln/cache"),
            (self.settings.build_dir(), "/kiln/build"),
        ]
    }

    /// The generated text a build of `recipe` sees that is known before it runs: `build.sh`'s
    /// environment contract, and the compiler wrapper's environment when `wrapped`. The
    /// paths are the ones the build uses (its work folder is fixed per recipe name), with the
    /// cache, work, recipe and project folders written as placeholders (`$KILN_CACHE_DIR`…),
    /// and `KILN_JOBS` is left out.
    fn generated_text(&self, recipe: &Recipe, wrapped: bool) -> String {
        let work = self.work_dir(recipe);
        let mut env = self.script_env(
            recipe,
            &work.join("src"),
            &work.join("prefix"),
            &work.join("host"),
        );
        env.retain(|(key, _)| key != "KILN_JOBS");
        if wrapped {
            env.extend(wrapper::wrapper_env(
                &work.join("wrappers"),
                &work.join("build.log"),
                &self.platform.abi,
                Some(&work.join("host")),
                "",
                &self.prefix_maps(),
            ));
        }
        let mut text = String::new();
        for (key, value) in env {
            text.push_str(&format!("{key}={value}\n"));
        }
        // Where the checkout is does not change what is built: a clean clone elsewhere (a CI
        // runner's), or kiln run from another folder, finds the same keys.
        let placeholders = [
            (self.settings.cache_dir.clone(), "$KILN_CACHE_DIR"),
            (self.settings.build_dir(), "$KILN_BUILD_DIR"),
            (recipe.dir.clone(), "$KILN_RECIPE_DIR"),
            (self.settings.project_dir.clone(), "$KILN_PROJECT_DIR"),
        ];
        placeholders.iter().fold(text, |text, (path, placeholder)| {
            let path = path.display().to_string();
            if path.len() > 1 {
                text.replace(&path, placeholder)
            } else {
                text
            }
        })
    }

    /// Builds `recipe` unless the cache has its key. `host` are the artifacts of its host
    /// requirements, transitively, in build order.
    pub fn build(
        &self,
        recipe: &Recipe,
        key: &Sha256,
        host: &[&Artifact],
    ) -> Result<Outcome, BuildError> {
        let name = recipe.package.name.clone();
        let cache_error = |source| BuildError::Cache {
            name: name.clone(),
            source,
        };
        if let Some(artifact) = self.cache.lookup(&name, key).map_err(cache_error)? {
            tracing::debug!(%name, %key, "cache hit");
            self.push(&artifact);
            return Ok(Outcome::Cached(artifact));
        }
        let staging = match self.cache.begin(&name, key).map_err(cache_error)? {
            Begun::Done(artifact) => return Ok(Outcome::Cached(artifact)),
            Begun::Staging(staging) => staging,
        };
        if let Some(remote) = self.remote.filter(|remote| remote.usable()) {
            match remote.pull_entry(&name, key, staging.dir()) {
                Ok(Some(info)) => {
                    tracing::debug!(%name, %key, "remote cache hit");
                    let artifact = staging.commit(info).map_err(cache_error)?;
                    return Ok(Outcome::Pulled(artifact));
                }
                Ok(None) => tracing::debug!(%name, %key, "remote cache miss"),
                Err(error) => {
                    remote.give_up(
                        &format!("cannot pull `{name}` from the remote cache"),
                        &error,
                    );
                    // The staging folder may hold part of the archive: empty it.
                    staging.reset().map_err(cache_error)?;
                }
            }
        }
        tracing::debug!(%name, %key, "cache miss: building");
        let started = Instant::now();

        // 1. The work folder, locked against builds of other keys of this recipe.
        let work = WorkDir::prepare(self.settings, recipe, key)?;
        // 2. The source.
        let source_dir = self.prepare_source(recipe, &work)?;
        // 3. The host dependencies, and the empty prefix the script installs into.
        let host_prefix = host::merge_host_prefixes(&name, &work.dir, host)?;
        let prefix = work.create_prefix(&name)?;
        // 4. build.sh.
        let script = self.write_script(recipe, &work, &source_dir, &prefix, &host_prefix, host)?;
        // 5. The run, in the root.
        self.run_script(&name, &script.path, &source_dir, &work.log)?;
        // 6. What it made.
        if let Some(rust_build) = &script.rust {
            rust_std::log_crates(&rust_build.metadata_path(), &work.log);
        }
        match recipe.build.kind {
            BuildKind::Package => {
                self.finish_wheels(recipe, &work.dir, &prefix, host, &work.log)?;
            }
            kind @ (BuildKind::StaticLibrary | BuildKind::SharedLibrary) => {
                let libraries = outputs::libraries(&prefix, kind);
                if libraries.is_empty() {
                    append_line(
                        &work.log,
                        &format!("kiln: no library in `{}`", prefix.display()),
                    );
                    return Err(BuildError::EmptyLibrary {
                        name,
                        kind: kind.as_str(),
                        expected: outputs::expected(kind),
                        log: work.log.clone(),
                    });
                }
            }
            BuildKind::Runtime => {}
        }
        // 7. The package's test, on the wheels as they will be stored.
        let test = match (&self.tests, recipe.build.kind) {
            (Some(tests), BuildKind::Package) => {
                self.run_test(*tests, recipe, &prefix, key, host, &work)?
            }
            _ => None,
        };
        // 8. Into the cache.
        let info = ArtifactInfo {
            name: name.clone(),
            version: recipe.package.version.clone(),
            kind: recipe.build.kind.as_str().to_string(),
            key: key.to_string(),
            build_seconds: started.elapsed().as_secs_f64(),
        };
        let artifact = store::store(&name, staging, &prefix, &work.log, info)?;
        self.push(&artifact);
        Ok(Outcome::Built(artifact, test))
    }

    /// Pushes a finished entry to the remote cache unless it has it; a failure is a warning.
    fn push(&self, artifact: &Artifact) {
        let Some(remote) = self.remote.filter(|remote| remote.usable()) else {
            return;
        };
        match remote.push_entry(&artifact.dir, &artifact.info) {
            Ok(true) => {
                tracing::debug!(name = %artifact.info.name, key = %artifact.info.key, "pushed to the remote cache")
            }
            Ok(false) => {}
            Err(error) => remote.give_up(
                &format!("cannot push `{}` to the remote cache", artifact.info.name),
                &error,
            ),
        }
    }

    /// Step 7: `tests` on the build in `prefix`, its result in the log.
    fn run_test(
        &self,
        tests: &dyn PackageTest,
        recipe: &Recipe,
        prefix: &Path,
        key: &Sha256,
        host: &[&Artifact],
        work: &WorkDir,
    ) -> Result<Option<TestReport>, BuildError> {
        let name = recipe.package.name.clone();
        let built = Artifact {
            dir: prefix.parent().unwrap_or(prefix).to_path_buf(),
            info: ArtifactInfo {
                name: name.clone(),
                version: recipe.package.version.clone(),
                kind: recipe.build.kind.as_str().to_string(),
                key: key.to_string(),
                build_seconds: 0.0,
            },
        };
        match tests.test(recipe, &built, host, &work.dir, &work.log) {
            Ok(Some(report)) => {
                append_line(&work.log, &format!("kiln: test {report}"));
                Ok(Some(report))
            }
            Ok(None) => Ok(None),
            Err(TestError::Failed { output }) => {
                append_line(&work.log, "kiln: test failed");
                Err(BuildError::Test {
                    name,
                    log: work.log.clone(),
                    output,
                })
            }
            Err(TestError::Setup(source)) => Err(BuildError::TestSetup {
                name,
                log: work.log.clone(),
                source,
            }),
        }
    }

    /// Step 2: fetches, verifies, extracts and patches the source into the work folder.
    fn prepare_source(&self, recipe: &Recipe, work: &WorkDir) -> Result<PathBuf, BuildError> {
        let context = FetchContext {
            settings: self.settings,
            toolchain: Some(self.toolchain),
            log: work.log.clone(),
        };
        source::prepare(recipe, &context, &work.dir).map_err(|source| BuildError::Source {
            name: recipe.package.name.clone(),
            log: work.log.clone(),
            source: Box::new(source),
        })
    }
}

/// A `map_err` adapter: an I/O failure while building `name`, with what was being done to
/// which path.
fn io_error(
    name: &str,
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> BuildError + use<> {
    let (name, path) = (name.to_string(), path.to_path_buf());
    move |source| BuildError::Io {
        name,
        action,
        path,
        source,
    }
}

/// Appends one line to a build log; a log that cannot be written is not worth failing over.
fn append_line(log: &Path, line: &str) {
    use std::io::Write;
    let _ = fs_err::OpenOptions::new()
        .append(true)
        .open(log)
        .and_then(|mut file| writeln!(file, "{line}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};
    use crate::toolchain::{Abi, Platform, Toolchain};

    fn write_recipe(dir: &Path, name: &str, kind: &str, host: &[&str]) {
        let folder = dir.join(name);
        fs_err::create_dir_all(folder.join("src")).unwrap();
        fs_err::write(folder.join("src/a.c"), name).unwrap();
        let host: Vec<String> = host.iter().map(|dep| format!("{dep:?}")).collect();
        fs_err::write(
            folder.join("recipe.toml"),
            format!(
                "[package]\nname = {name:?}\nversion = \"1\"\n\n[source]\npath = \"src\"\n\n\
                 [build]\ntype = {kind:?}\nscript = \"true\"\n\n[requirements]\nhost = [{}]\n",
                host.join(", ")
            ),
        )
        .unwrap();
    }

    /// Issue 19: a change to one part of kiln's build logic (here the compiler wrapper's code,
    /// as `build.rs` hashes it) changes the keys of exactly the builds that run it and of
    /// what depends on them.
    #[test]
    fn changed_build_logic_rebuilds_exactly_its_users_and_their_dependents() {
        let temp = tempfile::tempdir().unwrap();
        let recipes_dir = temp.path().join("recipes");
        write_recipe(&recipes_dir, "base", "static_library", &[]);
        write_recipe(&recipes_dir, "other", "static_library", &[]);
        write_recipe(&recipes_dir, "shared", "shared_library", &["base"]);
        write_recipe(&recipes_dir, "above", "static_library", &["shared"]);
        let mut recipes = crate::recipe::load_dir(&recipes_dir).unwrap();
        recipes.sort_by(|a, b| a.package.name.cmp(&b.package.name));
        let order: Vec<&Recipe> = ["base", "other", "shared", "above"]
            .iter()
            .map(|name| recipes.iter().find(|r| r.package.name == *name).unwrap())
            .collect();
        let settings = Settings::from_lookup(Overrides::default(), temp.path(), &|name| {
            (name == "KILN_CACHE_DIR").then(|| temp.path().join("cache").display().to_string())
        });
        let toolchain = Toolchain::new(
            &settings,
            crate::config::ToolchainMode::System,
            None,
            Default::default(),
            Sha256::of_bytes(b"test toolchain"),
        );
        let platform =
            Platform::new(Abi::load(&crate::toolchain::platform::project_platform()).unwrap());
        let dependencies = |name: &str| -> Vec<&str> {
            order
                .iter()
                .find(|recipe| recipe.package.name == name)
                .map(|recipe| {
                    recipe
                        .requirements
                        .host
                        .iter()
                        .map(String::as_str)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut builder = Builder::new(&settings, &toolchain, &platform, 2);
        let before = builder.keys(&order, &dependencies).unwrap();
        assert_eq!(
            before,
            builder.keys(&order, &dependencies).unwrap(),
            "stable"
        );
        let rebuilt = |builder: &Builder| -> Vec<String> {
            let after = builder.keys(&order, &dependencies).unwrap();
            after
                .iter()
                .filter(|(name, key)| before[*name] != **key)
                .map(|(name, _)| name.clone())
                .collect()
        };

        builder.logic.wrapper = "edited wrapper";
        assert_eq!(rebuilt(&builder), ["above", "shared"]);
        builder.logic = BuildLogic::COMPILED;
        builder.logic.package = "edited wheel repair";
        assert!(rebuilt(&builder).is_empty(), "no package in this graph");
        builder.logic = BuildLogic::COMPILED;
        builder.logic.common = "edited script rendering";
        assert_eq!(rebuilt(&builder), ["above", "base", "other", "shared"]);

        // Parallelism is not an input; the cache folder's location is not either.
        builder.logic = BuildLogic::COMPILED;
        builder.jobs = 7;
        assert!(rebuilt(&builder).is_empty());
        let moved = Settings {
            cache_dir: temp.path().join("elsewhere"),
            ..settings.clone()
        };
        let moved_builder = Builder::new(&moved, &toolchain, &platform, 2);
        assert_eq!(moved_builder.keys(&order, &dependencies).unwrap(), before);
        // A generated value (the timestamp every build exports) is.
        let epoch = Settings {
            source_date_epoch: 1,
            ..settings.clone()
        };
        let epoch_builder = Builder::new(&epoch, &toolchain, &platform, 2);
        let changed = epoch_builder.keys(&order, &dependencies).unwrap();
        assert!(before.iter().all(|(name, key)| changed[name] != *key));
    }
}
