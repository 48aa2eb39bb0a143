//! The builder's part of a Rust extension package ([`super::rust`] has the scripts and the
//! environment): before the script is written, the package's Cargo manifest and lockfile are
//! checked, and the Rust standard library for the platform's target is taken from the cache
//! or built now (once per toolchain and ABI); after the run, the crates it used go into the
//! build log.

use std::path::Path;
use std::time::Instant;

use super::script::render_script;
use super::store::store;
use super::{BuildError, Builder, append_line, io_error, rust};
use crate::cache::{Artifact, ArtifactInfo, Begun};
use crate::recipe::Recipe;
use crate::toolchain::RustAbi;

impl<'a> Builder<'a> {
    /// When the package has a Cargo manifest: checks it can be built reproducibly, makes sure
    /// the std sysroot exists (building it the first time), and says where everything is.
    pub(super) fn rust_build(
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
        let Some(rust_abi) = &self.platform.abi.rust else {
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
            python_version: self.platform.python.to_string(),
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
        let key = rust::std_key(&self.toolchain.id, &self.platform.abi);
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
}

/// Writes the crates a Rust build used into its log (from the saved `cargo metadata`).
pub(super) fn log_crates(metadata: &Path, log: &Path) {
    let line = match fs_err::read(metadata)
        .map_err(|error| error.to_string())
        .and_then(|bytes| rust::crates_used(&bytes).map_err(|error| error.to_string()))
    {
        Ok(crates) => format!("kiln: crates ({}): {}", crates.len(), crates.join(", ")),
        Err(error) => format!("kiln: cannot list the crates used: {error}"),
    };
    append_line(log, &line);
}
