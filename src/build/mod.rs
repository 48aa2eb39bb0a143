//! Building one recipe: fetch its source, merge its host dependencies, run its script in the
//! toolchain root, and store what it installed in the content-addressed cache.
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
pub mod package;
pub mod rust;
pub mod wrapper;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache::key::{KeyInputs, file_input};
use crate::cache::{Artifact, ArtifactInfo, Begun, BuildCache, CacheError, Staging};
use crate::config::Settings;
use crate::hash::Sha256;
use crate::recipe::{BuildKind, Recipe, SourceSpec};
use crate::run::{self, RunError};
use crate::source::{self, FetchContext, SourceError};
use crate::toolchain::{Abi, RustAbi, Toolchain};
use crate::wheel::{self, RepairOptions, SymbolSet, WheelError};

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
        "`{name}`: builds a Rust extension (`{}`), but the platform file has no [rust] table",
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

/// What every build shares: settings, toolchain, ABI, cache and the job budget.
pub struct Builder<'a> {
    pub settings: &'a Settings,
    pub toolchain: &'a Toolchain,
    pub abi: &'a Abi,
    pub cache: BuildCache,
    /// `-j` handed to make/ninja inside the script (`KILN_JOBS`).
    pub jobs: usize,
}

impl<'a> Builder<'a> {
    pub fn new(
        settings: &'a Settings,
        toolchain: &'a Toolchain,
        abi: &'a Abi,
        jobs: usize,
    ) -> Self {
        Self {
            settings,
            toolchain,
            abi,
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
            abi_text: self.abi.text.as_bytes(),
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
        let work = self.work_dir(recipe);
        let log = work.join("build.log");
        let io = |action, path: &Path| io_error(&name, action, path);
        // Builds of other keys of this recipe (another kiln process, another recipe folder)
        // use the same work folder: wait for them instead of wiping it under their feet.
        let _work_lock = self.lock_work_dir(&name)?;
        if work.exists() {
            fs_err::remove_dir_all(&work).map_err(io("cannot clean", &work))?;
        }
        fs_err::create_dir_all(&work).map_err(io("cannot create", &work))?;
        fs_err::write(
            &log,
            format!(
                "kiln: building {name} {} (key {key})\n",
                recipe.package.version
            ),
        )
        .map_err(io("cannot write", &log))?;

        let context = FetchContext {
            settings: self.settings,
            toolchain: Some(self.toolchain),
            log: log.clone(),
        };
        let source_dir =
            source::prepare(recipe, &context, &work).map_err(|source| BuildError::Source {
                name: name.clone(),
                log: log.clone(),
                source: Box::new(source),
            })?;

        let host_prefix = work.join("host");
        // Libraries merge into one prefix; the runtime (a whole stdlib) and packages (wheels)
        // are used where they are.
        for artifact in host
            .iter()
            .filter(|artifact| is_library(&artifact.info.kind))
        {
            merge_tree(&artifact.prefix(), &host_prefix)
                .map_err(io("cannot merge host prefix into", &host_prefix))?;
        }
        fs_err::create_dir_all(host_prefix.join("lib/pkgconfig"))
            .map_err(io("cannot create", &host_prefix))?;
        fs_err::create_dir_all(host_prefix.join("include"))
            .map_err(io("cannot create", &host_prefix))?;
        let prefix = work.join("prefix");
        fs_err::create_dir_all(&prefix).map_err(io("cannot create", &prefix))?;

        let env = self.script_env(recipe, &source_dir, &prefix, &host_prefix);
        let script_path = work.join("build.sh");
        let mut rust_build = None;
        let body = match recipe.build.kind {
            BuildKind::Package => {
                let runtime = host
                    .iter()
                    .find(|artifact| artifact.info.kind == BuildKind::Runtime.as_str())
                    .ok_or_else(|| BuildError::NoRuntime { name: name.clone() })?;
                let targets = target_packages(recipe, host);
                package::gather_target_headers(&work, &targets)
                    .map_err(io("cannot gather host packages' headers into", &work))?;
                rust_build = self.rust_build(recipe, &source_dir, &work, &log)?;
                self.package_script(
                    recipe,
                    &source_dir,
                    &work,
                    &runtime.prefix(),
                    &targets,
                    rust_build.as_ref(),
                )
                .map_err(io("cannot prepare the cross-build environment in", &work))?
            }
            BuildKind::SharedLibrary => self
                .library_script(recipe, &work, &log)
                .map_err(io("cannot install the compiler wrappers in", &work))?,
            _ => recipe.build.script.clone().unwrap_or_default(),
        };
        let script = render_script(&env, &source_dir, &body);
        fs_err::write(&script_path, script).map_err(io("cannot write", &script_path))?;

        self.run_script(&name, &script_path, &source_dir, &log)?;

        if let Some(rust_build) = &rust_build {
            log_crates(&rust_build.metadata_path(), &log);
        }
        if recipe.build.kind == BuildKind::Package {
            self.finish_wheels(recipe, &work, &prefix, host, &log)?;
        }

        let info = ArtifactInfo {
            name: name.clone(),
            version: recipe.package.version.clone(),
            kind: recipe.build.kind.as_str().to_string(),
            key: key.to_string(),
            build_seconds: started.elapsed().as_secs_f64(),
        };
        store(&name, staging, &prefix, &log, info).map(Outcome::Built)
    }

    /// Runs a written build script with bash inside the root, from `dir`, its output into
    /// `log`; a failure names `name`, the log and its last lines.
    fn run_script(
        &self,
        name: &str,
        script: &Path,
        dir: &Path,
        log: &Path,
    ) -> Result<(), BuildError> {
        let argv = [OsString::from("bash"), script.as_os_str().to_owned()];
        match run::run_logged(&mut self.toolchain.command(&argv, dir, &[]), log) {
            Ok(()) => Ok(()),
            Err(RunError::Failed { tail, .. }) => Err(BuildError::Script {
                name: name.to_string(),
                log: log.to_path_buf(),
                tail,
            }),
            Err(source) => Err(BuildError::Run {
                name: name.to_string(),
                source,
            }),
        }
    }

    /// Locks `.kiln/build/.<name>.lock` exclusively (released when the returned file drops).
    /// The work folder's path is fixed per recipe name, because paths baked into outputs must
    /// be the same on every rebuild; this lock is what makes sharing it safe.
    fn lock_work_dir(&self, name: &str) -> Result<std::fs::File, BuildError> {
        let dir = self.settings.build_dir();
        let path = dir.join(format!(".{name}.lock"));
        let error = |source| BuildError::Io {
            name: name.to_string(),
            action: "cannot lock the work folder with",
            path: path.clone(),
            source,
        };
        fs_err::create_dir_all(&dir).map_err(error)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(error)?;
        file.lock().map_err(error)?;
        Ok(file)
    }

    /// The script body of a package build: venv, cross environment, wrappers, PEP 517 build.
    fn package_script(
        &self,
        recipe: &Recipe,
        source_dir: &Path,
        work: &Path,
        runtime_prefix: &Path,
        targets: &[package::TargetPackage],
        rust: Option<&rust::RustBuild>,
    ) -> std::io::Result<String> {
        let log = work.join("build.log");
        let venv_python = work.join("venv/bin/python");
        let mut cross = cross::prepare(work, runtime_prefix, self.abi, &venv_python)?;
        let wrapper_dir = work.join("wrappers");
        wrapper::install_wrappers(&wrapper_dir, &self.kiln_exe_in_reach()?)?;
        cross.env.extend(
            wrapper::wrapper_env(&wrapper_dir, &log, self.abi, "")
                .into_iter()
                .filter(|(key, _)| key != "PATH"),
        );
        if let Some(rust) = rust {
            cross.env.extend(rust.env()?);
        }
        Ok(package::script_body(
            recipe,
            source_dir,
            work,
            &wrapper_dir,
            &cross,
            targets,
            rust.map(|rust| rust.fetch_lines()).as_deref(),
        ))
    }

    /// When the package has a Cargo manifest: checks it can be built reproducibly, makes sure
    /// the std sysroot exists (building it the first time), and says where everything is.
    fn rust_build(
        &self,
        recipe: &Recipe,
        source_dir: &Path,
        work: &Path,
        log: &Path,
    ) -> Result<Option<rust::RustBuild<'a>>, BuildError> {
        let name = &recipe.package.name;
        let Some(manifest) = rust::find_manifest(source_dir) else {
            return Ok(None);
        };
        let Some(rust_abi) = &self.abi.rust else {
            return Err(BuildError::NoRustAbi {
                name: name.clone(),
                manifest,
            });
        };
        if rust::find_lockfile(&manifest, source_dir).is_none() {
            return Err(BuildError::NoCargoLock {
                name: name.clone(),
                manifest,
            });
        }
        let std = self.ensure_rust_std(rust_abi, name, log)?;
        let cargo_home = self.settings.cargo_home();
        fs_err::create_dir_all(&cargo_home).map_err(|source| BuildError::Io {
            name: name.clone(),
            action: "cannot create",
            path: cargo_home.clone(),
            source,
        })?;
        append_line(
            log,
            &format!(
                "kiln: Rust extension from `{}`; std for {} from `{}`",
                manifest.display(),
                rust_abi.target,
                std.prefix().display()
            ),
        );
        Ok(Some(rust::RustBuild {
            rust: rust_abi,
            sysroot: std.prefix(),
            cargo_home,
            manifest,
            work: work.to_path_buf(),
            source_dir: source_dir.to_path_buf(),
            jobs: self.jobs,
            python_version: self.abi.python.clone(),
        }))
    }

    /// The Rust standard library for the ABI's target, from the cache or built now (once per
    /// toolchain and ABI; about a minute). Concurrent builds wait on the cache lock.
    fn ensure_rust_std(
        &self,
        rust_abi: &RustAbi,
        for_package: &str,
        package_log: &Path,
    ) -> Result<Artifact, BuildError> {
        let key = rust::std_key(&self.toolchain.id, self.abi);
        let label = format!("{for_package} (Rust std)");
        let cache_error = |source| BuildError::Cache {
            name: label.clone(),
            source,
        };
        if let Some(artifact) = self
            .cache
            .lookup(rust::STD_NAME, &key)
            .map_err(cache_error)?
        {
            return Ok(artifact);
        }
        let staging = match self
            .cache
            .begin(rust::STD_NAME, &key)
            .map_err(cache_error)?
        {
            Begun::Done(artifact) => return Ok(artifact),
            Begun::Staging(staging) => staging,
        };
        let started = Instant::now();
        let work = self
            .settings
            .build_dir()
            .join(format!(".{}", rust::STD_NAME));
        let log = work.join("build.log");
        let io = |action, path: &Path| io_error(&label, action, path);
        append_line(
            package_log,
            &format!(
                "kiln: building Rust std for {} (once per toolchain and ABI); log: `{}`",
                rust_abi.target,
                log.display()
            ),
        );
        if work.exists() {
            fs_err::remove_dir_all(&work).map_err(io("cannot clean", &work))?;
        }
        let prefix = work.join("prefix");
        fs_err::create_dir_all(&prefix).map_err(io("cannot create", &prefix))?;
        fs_err::write(&log, format!("kiln: building Rust std (key {key})\n"))
            .map_err(io("cannot write", &log))?;
        let env = vec![
            ("PREFIX".to_string(), prefix.display().to_string()),
            ("KILN_JOBS".to_string(), self.jobs.to_string()),
        ];
        let script_path = work.join("build.sh");
        let script = render_script(&env, &work, &rust::std_script(rust_abi, &work));
        fs_err::write(&script_path, script).map_err(io("cannot write", &script_path))?;
        self.run_script(&label, &script_path, &work, &log)?;
        let seconds = started.elapsed().as_secs_f64();
        append_line(
            package_log,
            &format!("kiln: Rust std built in {seconds:.1} s"),
        );
        let info = ArtifactInfo {
            name: rust::STD_NAME.to_string(),
            // rustc's upstream version (`1.96.0` of `1.96.0+dfsg1-1~deb13u1+b1`).
            version: self
                .toolchain
                .packages
                .get("rustc-web")
                .and_then(|version| version.split(['+', '-', '~']).next())
                .unwrap_or("unknown")
                .to_string(),
            kind: rust::STD_NAME.to_string(),
            key: key.to_string(),
            build_seconds: seconds,
        };
        store(&label, staging, &prefix, &log, info)
    }

    /// The script body of a shared library build: the compiler wrappers first on PATH (so
    /// `CC=cc` links go through kiln's checks, as a package's do), then the recipe's script.
    /// Scripts calling `emcc` directly are unaffected.
    fn library_script(&self, recipe: &Recipe, work: &Path, log: &Path) -> std::io::Result<String> {
        let wrapper_dir = work.join("wrappers");
        wrapper::install_wrappers(&wrapper_dir, &self.kiln_exe_in_reach()?)?;
        let mut body =
            String::from("# the compiler wrappers (`cc`, `c++`, `ar`… for emscripten)\n");
        for (key, value) in wrapper::wrapper_env(&wrapper_dir, log, self.abi, "") {
            if key == "PATH" {
                body.push_str(&format!(
                    "export PATH={}:\"$PATH\"\n",
                    run::shell_quote(&value)
                ));
            } else {
                body.push_str(&format!("export {key}={}\n", run::shell_quote(&value)));
            }
        }
        body.push_str(recipe.build.script.as_deref().unwrap_or_default());
        Ok(body)
    }

    /// The kiln binary at a path the toolchain root can see (the compiler wrappers are links
    /// to it): a hard link (or copy) in the build folder, renewed when the binary changes.
    /// Never the binary itself: a `cargo build` replacing it mid-build would leave dangling
    /// wrapper links, and the build would silently find the host's `cc` next on PATH.
    fn kiln_exe_in_reach(&self) -> std::io::Result<PathBuf> {
        let mut exe = std::env::current_exe()?;
        if !exe.is_file() {
            // Replaced on disk while running (a rebuild): the kernel still has our image.
            exe = PathBuf::from("/proc/self/exe");
        }
        let metadata = fs_err::metadata(&exe)?;
        let stamp = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |time| time.as_nanos());
        let bin = self.settings.build_dir().join(".bin");
        let copy = bin.join(format!("kiln-{}-{stamp}", metadata.len()));
        if !copy.is_file() {
            fs_err::create_dir_all(&bin)?;
            let temporary = bin.join(format!(".kiln-{}.tmp", std::process::id()));
            let _ = fs_err::remove_file(&temporary);
            if std::fs::hard_link(&exe, &temporary).is_err() {
                fs_err::copy(&exe, &temporary)?;
            }
            fs_err::rename(&temporary, &copy)?;
        }
        Ok(copy)
    }

    /// Turns the backend's wheel into kiln's wheel(s) in `<prefix>/wheels`, and checks every
    /// side module's imports against the runtime's exports and the shared libraries it ships
    /// or depends on.
    fn finish_wheels(
        &self,
        recipe: &Recipe,
        work: &Path,
        prefix: &Path,
        host: &[&Artifact],
        log: &Path,
    ) -> Result<(), BuildError> {
        let name = recipe.package.name.clone();
        let raw_dir = work.join(package::RAW_WHEEL_DIR);
        let raw = fs_err::read_dir(&raw_dir)
            .ok()
            .and_then(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.path())
                    .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
            })
            .ok_or_else(|| BuildError::NoWheel {
                name: name.clone(),
                dir: raw_dir.clone(),
                log: log.to_path_buf(),
            })?;
        let wheel_error = |source| BuildError::Wheel {
            name: name.clone(),
            log: log.to_path_buf(),
            source: Box::new(source),
        };
        let out_dir = prefix.join("wheels");
        let mut options = RepairOptions::new(&out_dir, &self.abi.python_tag(), &self.abi.platform);
        options.unvendor_tests = recipe.build.unvendor_tests;
        options.source_date_epoch = self.settings.source_date_epoch;
        let repaired = wheel::repair(&raw, &options).map_err(wheel_error)?;

        // The runtime's exports (one runtime among the host artifacts: packages build on it).
        let mut provided = SymbolSet::new();
        for artifact in host
            .iter()
            .filter(|artifact| artifact.info.kind == BuildKind::Runtime.as_str())
        {
            let exports = artifact.prefix().join("runtime/exports.txt");
            provided = SymbolSet::read_exports_txt(&exports).map_err(|source| BuildError::Io {
                name: name.clone(),
                action: "cannot read",
                path: exports.clone(),
                source,
            })?;
        }
        // Shared library recipes it depends on are loaded globally first: their exports count,
        // and their own imports are checked here too, against the runtime and each other
        // (a library build has no runtime to check against: libraries do not depend on it).
        let mut libraries = Vec::new();
        for artifact in host
            .iter()
            .filter(|artifact| artifact.info.kind == BuildKind::SharedLibrary.as_str())
        {
            let lib = artifact.prefix().join("lib");
            for entry in fs_err::read_dir(&lib).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "so") {
                    let bytes = fs_err::read(&path).map_err(|source| BuildError::Io {
                        name: name.clone(),
                        action: "cannot read",
                        path: path.clone(),
                        source,
                    })?;
                    let exports = wheel::exports_of_wasm(&bytes).map_err(|source| {
                        wheel_error(WheelError::Wasm {
                            wheel: lib.clone(),
                            entry: entry.file_name().to_string_lossy().into_owned(),
                            source,
                        })
                    })?;
                    provided.extend(exports);
                    libraries.push((path, bytes));
                }
            }
        }
        for (path, bytes) in &libraries {
            let file = path.to_string_lossy();
            wheel::link_check([(file.as_ref(), bytes.as_slice())], &provided).map_err(
                |source| {
                    wheel_error(WheelError::LibraryLinkCheck {
                        library: path.clone(),
                        source,
                    })
                },
            )?;
        }
        for wheel in std::iter::once(&repaired.wheel).chain(repaired.tests.as_ref()) {
            wheel::link_check_wheel(&wheel.path, &provided).map_err(wheel_error)?;
        }
        let _ = fs_err::OpenOptions::new()
            .append(true)
            .open(log)
            .and_then(|mut file| {
                use std::io::Write;
                writeln!(
                    file,
                    "kiln: wheel {} (link check passed)",
                    repaired.wheel.path.display()
                )
            });
        Ok(())
    }

    /// The build-script contract (documented in `docs/recipe-format.md`).
    fn script_env(
        &self,
        recipe: &Recipe,
        source_dir: &Path,
        prefix: &Path,
        host_prefix: &Path,
    ) -> Vec<(String, String)> {
        let join = |abi: &[String], own: &[String]| {
            abi.iter().chain(own).cloned().collect::<Vec<_>>().join(" ")
        };
        let path = |path: &Path| path.display().to_string();
        vec![
            ("SRC_DIR".into(), path(source_dir)),
            ("PREFIX".into(), path(prefix)),
            ("KILN_HOST_PREFIX".into(), path(host_prefix)),
            ("KILN_JOBS".into(), self.jobs.to_string()),
            ("PKG_NAME".into(), recipe.package.name.clone()),
            ("PKG_VERSION".into(), recipe.package.version.clone()),
            (
                "SOURCE_DATE_EPOCH".into(),
                self.settings.source_date_epoch.to_string(),
            ),
            // The work folder sits inside the user's project, usually a git checkout: without a
            // ceiling, `git describe` in a build (meson's `vcs_tag`, setuptools-scm) finds the
            // project's repository and writes its commit into the package (SciPy's HiGHS
            // printed kiln's own commit hash, so every kiln commit changed SciPy's wheel).
            (
                "GIT_CEILING_DIRECTORIES".into(),
                path(source_dir.parent().unwrap_or(source_dir)),
            ),
            (
                "CFLAGS".into(),
                join(&self.abi.cflags, &recipe.build.cflags),
            ),
            (
                "CXXFLAGS".into(),
                join(&self.abi.cxxflags, &recipe.build.cxxflags),
            ),
            (
                "LDFLAGS".into(),
                join(&self.abi.ldflags, &recipe.build.ldflags),
            ),
            (
                "KILN_MAIN_MODULE_LDFLAGS".into(),
                self.abi.main_module_ldflags.join(" "),
            ),
            (
                "KILN_SIDE_MODULE_LDFLAGS".into(),
                self.abi.side_module_ldflags.join(" "),
            ),
            ("KILN_PLATFORM".into(), self.abi.platform.clone()),
            ("KILN_ABI_ID".into(), self.abi.id.clone()),
            ("KILN_ABI_VERSION".into(), self.abi.abi_version.clone()),
            ("KILN_PYTHON_VERSION".into(), self.abi.python.clone()),
            ("KILN_EMSCRIPTEN_VERSION".into(), self.abi.emscripten.clone()),
            ("KILN_BUILD_PYTHON".into(), self.abi.python_command()),
            (
                "PKG_CONFIG_PATH".into(),
                path(&host_prefix.join("lib/pkgconfig")),
            ),
        ]
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

/// Writes the crates a Rust build used into its log (from the saved `cargo metadata`).
fn log_crates(metadata: &Path, log: &Path) {
    let line = match fs_err::read(metadata)
        .map_err(|error| error.to_string())
        .and_then(|bytes| rust::crates_used(&bytes).map_err(|error| error.to_string()))
    {
        Ok(crates) => format!("kiln: crates ({}): {}", crates.len(), crates.join(", ")),
        Err(error) => format!("kiln: cannot list the crates used: {error}"),
    };
    append_line(log, &line);
}

/// The packages among the recipe's host requirements (built for the target), with their main
/// wheels. Run requirements are not needed to build.
fn target_packages(recipe: &Recipe, host: &[&Artifact]) -> Vec<package::TargetPackage> {
    host.iter()
        .filter(|artifact| artifact.info.kind == BuildKind::Package.as_str())
        .filter(|artifact| recipe.requirements.host.contains(&artifact.info.name))
        .map(|artifact| package::TargetPackage {
            name: artifact.info.name.clone(),
            version: artifact.info.version.clone(),
            wheels: fs_err::read_dir(artifact.prefix().join("wheels"))
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|entry| entry.path())
                        .filter(|path| !path.to_string_lossy().contains("_tests-"))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Static and shared libraries are merged into `$KILN_HOST_PREFIX`; the runtime and
/// packages are not.
fn is_library(kind: &str) -> bool {
    kind == BuildKind::StaticLibrary.as_str() || kind == BuildKind::SharedLibrary.as_str()
}

/// The script kiln runs: the environment as `export` lines, then the recipe's own lines.
fn render_script(env: &[(String, String)], source_dir: &Path, body: &str) -> String {
    let mut script = String::from(
        "#!/bin/bash\n# Written by kiln. Re-run inside the root: kiln toolchain run -- bash THIS_FILE\nset -euo pipefail\n",
    );
    for (key, value) in env {
        script.push_str(&format!("export {key}={}\n", run::shell_quote(value)));
    }
    script.push_str(&format!(
        "cd {}\n",
        run::shell_quote(&source_dir.display().to_string())
    ));
    script.push_str(body);
    if !body.ends_with('\n') {
        script.push('\n');
    }
    script
}

/// Copies `from` into `to`, merging folders and keeping symlinks as symlinks.
pub fn merge_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            merge_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            let _ = fs_err::remove_file(&target);
            std::os::unix::fs::symlink(fs_err::read_link(entry.path())?, &target)?;
        } else {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Replaces the (empty) staging prefix with a finished build's prefix, keeps its log beside it
/// and commits the cache entry.
fn store(
    name: &str,
    staging: Staging,
    prefix: &Path,
    log: &Path,
    info: ArtifactInfo,
) -> Result<Artifact, BuildError> {
    let io = |action, path: &Path| io_error(name, action, path);
    let staged_prefix = staging.prefix();
    fs_err::remove_dir(&staged_prefix).map_err(io("cannot replace", &staged_prefix))?;
    move_tree(prefix, &staged_prefix).map_err(io("cannot store", &staged_prefix))?;
    let staged_log = staging.dir().join("build.log");
    fs_err::copy(log, &staged_log).map_err(io("cannot store", &staged_log))?;
    staging.commit(info).map_err(|source| BuildError::Cache {
        name: name.to_string(),
        source,
    })
}

/// Renames `from` to `to`, or copies and removes it when they are on different file systems.
fn move_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    merge_tree(from, to)?;
    fs_err::remove_dir_all(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_exports_the_environment_quoted() {
        let env = vec![("CFLAGS".to_string(), "-O2 -fPIC".to_string())];
        let script = render_script(&env, Path::new("/w/src"), "make");
        assert!(script.contains("set -euo pipefail\n"));
        assert!(script.contains("export CFLAGS='-O2 -fPIC'\n"));
        assert!(script.ends_with("cd /w/src\nmake\n"));
    }
}
