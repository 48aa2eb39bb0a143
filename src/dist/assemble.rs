//! Filling a distribution folder from finished builds: the runtime bundle ([`crate::bundle`]),
//! each package's wheels, and each shared library as the flat `<name>-<version>.zip` its
//! `dynlib` lock entry names. Every file is written atomically, with the folder locked.
//!
//! It copies what the build stage produced and checks nothing about wheels: [`super::lock()`]
//! reads them back afterwards, as it reads any wheel.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::file::FolderLock;
use crate::bundle::{self, BundleError, BundleOptions};
use crate::cache::Artifact;
use crate::recipe::{BuildKind, Recipe};
use crate::toolchain::Abi;

/// Which of the finished builds go into the folder.
#[derive(Debug, Clone, Copy)]
pub enum Contents<'a> {
    /// The runtime bundle, every package's wheels and every shared library
    /// (`build-recipes --install`).
    Everything,
    /// Only the wheels of these packages (`kiln build`: the one package asked for).
    WheelsOf(&'a BTreeSet<&'a str>),
}

pub struct AssembleOptions<'a> {
    pub abi: &'a Abi,
    pub emscripten_version: &'a str,
    pub source_date_epoch: u64,
    /// What of the stdlib ships, and how.
    pub stdlib: crate::bundle::StdlibOptions,
    pub contents: Contents<'a>,
}

/// What went into the folder.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Installed {
    pub runtime: bool,
    pub wheels: usize,
    pub shared_libraries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("cannot lock the distribution folder `{}`", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot install the runtime into `{}`", dist.display())]
    Runtime {
        dist: PathBuf,
        #[source]
        source: BundleError,
    },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("shared library `{name}` installed no `lib/*.so`")]
    EmptySharedLibrary { name: String },
}

/// Copies `built` (recipes with their finished builds, in build order) into `dist`.
pub fn assemble(
    dist: &Path,
    built: &[(&Recipe, &Artifact)],
    options: &AssembleOptions,
) -> Result<Installed, AssembleError> {
    let folder_error = |source| AssembleError::Folder {
        path: dist.to_path_buf(),
        source,
    };
    fs_err::create_dir_all(dist).map_err(folder_error)?;
    let _guard = FolderLock::acquire(dist).map_err(folder_error)?;
    let mut installed = Installed::default();
    for (recipe, artifact) in built {
        let everything = matches!(options.contents, Contents::Everything);
        match recipe.build.kind {
            BuildKind::Runtime if everything => {
                install_runtime(recipe, artifact, dist, options)?;
                installed.runtime = true;
            }
            BuildKind::SharedLibrary if everything => {
                install_shared_library(recipe, artifact, dist, options.source_date_epoch)?;
                installed.shared_libraries += 1;
            }
            BuildKind::Package => {
                let wanted = match options.contents {
                    Contents::Everything => true,
                    Contents::WheelsOf(names) => names.contains(recipe.package.name.as_str()),
                };
                if wanted {
                    installed.wheels += install_wheels(artifact, dist)?;
                }
            }
            _ => {}
        }
    }
    Ok(installed)
}

fn install_runtime(
    recipe: &Recipe,
    artifact: &Artifact,
    dist: &Path,
    options: &AssembleOptions,
) -> Result<(), AssembleError> {
    let bundle_options = BundleOptions {
        abi: options.abi,
        python_version: &recipe.package.version,
        emscripten_version: options.emscripten_version,
        source_date_epoch: options.source_date_epoch,
        stdlib: &options.stdlib,
    };
    bundle::assemble(&artifact.prefix(), dist, &bundle_options).map_err(|source| {
        AssembleError::Runtime {
            dist: dist.to_path_buf(),
            source,
        }
    })
}

/// Writes a shared library recipe's `lib/*.so` as `<name>-<version>.zip` (flat), the `dynlib`
/// entry the loader unpacks into its library folder and loads globally before its dependents.
fn install_shared_library(
    recipe: &Recipe,
    artifact: &Artifact,
    dist: &Path,
    epoch: u64,
) -> Result<(), AssembleError> {
    let lib = artifact.prefix().join("lib");
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AssembleError::Read { path, source }
    };
    let mut zip = crate::zipfile::DeterministicZip::new();
    for entry in fs_err::read_dir(&lib).map_err(read_error(&lib))? {
        let path = entry.map_err(read_error(&lib))?.path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".so") && path.is_file() {
            zip.add(name, fs_err::read(&path).map_err(read_error(&path))?, false);
        }
    }
    if zip.is_empty() {
        return Err(AssembleError::EmptySharedLibrary {
            name: recipe.package.name.clone(),
        });
    }
    let target = dist.join(format!(
        "{}-{}.zip",
        recipe.package.name, recipe.package.version
    ));
    let write_error = |source| AssembleError::Write {
        path: target.clone(),
        source,
    };
    let bytes = zip
        .write(
            std::io::Cursor::new(Vec::new()),
            epoch,
            zip::CompressionMethod::Deflated,
        )
        .map_err(|error| write_error(std::io::Error::other(error)))?
        .into_inner();
    crate::fs::write_atomic(&target, &bytes).map_err(write_error)
}

/// Copies a package's wheels into the folder (each atomically); returns how many.
fn install_wheels(artifact: &Artifact, dist: &Path) -> Result<usize, AssembleError> {
    let wheels = artifact.prefix().join("wheels");
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AssembleError::Read { path, source }
    };
    let mut count = 0;
    for entry in fs_err::read_dir(&wheels).map_err(read_error(&wheels))? {
        let path = entry.map_err(read_error(&wheels))?.path();
        let Some(file_name) = path.file_name() else {
            continue;
        };
        let bytes = fs_err::read(&path).map_err(read_error(&path))?;
        let target = dist.join(file_name);
        crate::fs::write_atomic(&target, &bytes).map_err(|source| AssembleError::Write {
            path: target.clone(),
            source,
        })?;
        count += 1;
    }
    Ok(count)
}
