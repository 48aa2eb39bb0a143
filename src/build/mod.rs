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
//! 6. wheels.rs   a package's wheel repaired and link-checked
//! 7. store.rs    the prefix and the log committed into the cache
//! ```
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
pub mod package;
pub mod rust;
mod rust_std;
mod script;
mod store;
mod wheels;
mod work;
pub mod wrapper;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache::key::{KeyInputs, file_input};
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
    #[error("`{name}`: cannot run the build script")]
    Run {
        name: String,
        #[source]
        source: RunError,
    },
}

impl BuildError {
    /// The log a user should open, when there is one.
    pub fn log(&self) -> Option<&Path> {
        match self {
            BuildError::Source { log, .. }
            | BuildError::Script { log, .. }
            | BuildError::Wheel { log, .. }
            | BuildError::NoWheel { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// Whether [`Builder::build`] had to run the script.
#[derive(Debug, Clone)]
pub enum Outcome {
    Built(Artifact),
    Cached(Artifact),
}

impl Outcome {
    pub fn artifact(&self) -> &Artifact {
        match self {
            Outcome::Built(artifact) | Outcome::Cached(artifact) => artifact,
        }
    }
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
        let recipe_text = fs_err::read(&recipe.path).map_err(io("cannot read", &recipe.path))?;
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
        Ok(KeyInputs {
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
            abi_text: self.platform.abi.text.as_bytes(),
            dependencies: dependencies.to_vec(),
        }
        .key())
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
            return Ok(Outcome::Cached(artifact));
        }
        let staging = match self.cache.begin(&name, key).map_err(cache_error)? {
            Begun::Done(artifact) => return Ok(Outcome::Cached(artifact)),
            Begun::Staging(staging) => staging,
        };
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
        if recipe.build.kind == BuildKind::Package {
            self.finish_wheels(recipe, &work.dir, &prefix, host, &work.log)?;
        }
        // 7. Into the cache.
        let info = ArtifactInfo {
            name: name.clone(),
            version: recipe.package.version.clone(),
            kind: recipe.build.kind.as_str().to_string(),
            key: key.to_string(),
            build_seconds: started.elapsed().as_secs_f64(),
        };
        store::store(&name, staging, &prefix, &work.log, info).map(Outcome::Built)
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
