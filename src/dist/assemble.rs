//! Filling a distribution folder from finished builds: the runtime bundle ([`crate::bundle`]),
//! each package's wheels, and each shared library as the flat `<name>-<version>.zip` its
//! `dynlib` lock entry names. Every file is written atomically, with the folder locked.
//!
//! It copies what the build stage produced and checks nothing about wheels: [`super::lock()`]
//! reads them back afterwards, as it reads any wheel.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::file::FolderLock;
use crate::bundle::{self, BundleError, BundleOptions};
use crate::cache::Artifact;
use crate::recipe::{BuildKind, Recipe};
use crate::toolchain::Abi;
use crate::wheel::filename::{WheelFilename, normalize_name};

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
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Installed {
    pub runtime: bool,
    pub wheels: usize,
    pub shared_libraries: usize,
    /// Files of earlier builds removed because a build installed the same package or library
    /// in another version or with another tag: (removed, installed in its place).
    pub replaced: Vec<(String, String)>,
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
                let file =
                    install_shared_library(recipe, artifact, dist, options.source_date_epoch)?;
                installed
                    .replaced
                    .extend(remove_other_versions(dist, &file)?);
                installed.shared_libraries += 1;
            }
            BuildKind::Package => {
                let wanted = match options.contents {
                    Contents::Everything => true,
                    Contents::WheelsOf(names) => names.contains(recipe.package.name.as_str()),
                };
                if wanted {
                    for file in install_wheels(artifact, dist)? {
                        installed
                            .replaced
                            .extend(remove_other_versions(dist, &file)?);
                        installed.wheels += 1;
                    }
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
) -> Result<String, AssembleError> {
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
    let file_name = format!("{}-{}.zip", recipe.package.name, recipe.package.version);
    let target = dist.join(&file_name);
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
    crate::fs::write_atomic(&target, &bytes).map_err(write_error)?;
    Ok(file_name)
}

/// Copies a package's wheels into the folder (each atomically); returns their file names.
fn install_wheels(artifact: &Artifact, dist: &Path) -> Result<Vec<String>, AssembleError> {
    let wheels = artifact.prefix().join("wheels");
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AssembleError::Read { path, source }
    };
    let mut installed = Vec::new();
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
        installed.push(file_name.to_string_lossy().into_owned());
    }
    installed.sort();
    Ok(installed)
}

/// The package a distribution file is of, for files kiln installs: a wheel's distribution
/// name (read by [`WheelFilename`]) or a shared library's (`openssl` of `openssl-3.5.7.zip`),
/// normalized as wheel file names are. `None` for other files (`python_stdlib.zip`…).
fn package_of(file_name: &str) -> Option<(String, &'static str)> {
    if file_name.ends_with(".whl") {
        let wheel = WheelFilename::from_str(file_name).ok()?;
        return Some((normalize_name(wheel.name())?, "whl"));
    }
    let (name, version) = file_name.strip_suffix(".zip")?.split_once('-')?;
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((normalize_name(name)?, "zip"))
}

/// Removes the files in `dist` of the same package as `installed` (a file just written there)
/// in another version or with other tags: an earlier `--install` of another version left them,
/// and two wheels of one package make the lockfile ambiguous. The `python_stdlib*.zip` files
/// and files of other packages are left alone.
fn remove_other_versions(
    dist: &Path,
    installed: &str,
) -> Result<Vec<(String, String)>, AssembleError> {
    let Some(package) = package_of(installed) else {
        return Ok(Vec::new());
    };
    let read_error = |source| AssembleError::Read {
        path: dist.to_path_buf(),
        source,
    };
    let mut removed = Vec::new();
    for entry in fs_err::read_dir(dist).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == installed || package_of(&name).as_ref() != Some(&package) {
            continue;
        }
        let path = entry.path();
        if !entry.file_type().map_err(read_error)?.is_file() {
            continue;
        }
        fs_err::remove_file(&path).map_err(|source| AssembleError::Write {
            path: path.clone(),
            source,
        })?;
        removed.push((name, installed.to_string()));
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_matched_by_package_not_by_prefix() {
        assert_eq!(
            package_of("charset_normalizer-3.5.3-py3-none-any.whl"),
            Some(("charset_normalizer".into(), "whl"))
        );
        assert_eq!(
            package_of("openssl-3.5.7.zip"),
            Some(("openssl".into(), "zip"))
        );
        assert_eq!(package_of("python_stdlib.zip"), None);
        assert_eq!(package_of("python_stdlib-sources.zip"), None);
        assert_eq!(package_of("pyodide-lock.json"), None);
    }

    #[test]
    fn an_install_replaces_other_versions_of_the_package_only() {
        let dist = tempfile::tempdir().unwrap();
        for name in [
            "mpmath-1.4.1-py3-none-any.whl",
            "mpmath-1.3.0-py3-none-any.whl",
            "mpmath_tests-1.4.1-py3-none-any.whl",
            "numpy-2.5.5-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
            "openssl-3.5.6.zip",
            "openssl-3.5.7.zip",
            "python_stdlib.zip",
        ] {
            fs_err::write(dist.path().join(name), b"x").unwrap();
        }
        let removed = remove_other_versions(dist.path(), "mpmath-1.3.0-py3-none-any.whl").unwrap();
        assert_eq!(
            removed,
            [(
                "mpmath-1.4.1-py3-none-any.whl".to_string(),
                "mpmath-1.3.0-py3-none-any.whl".to_string()
            )]
        );
        let removed = remove_other_versions(dist.path(), "openssl-3.5.7.zip").unwrap();
        assert_eq!(removed.len(), 1, "{removed:?}");
        let mut left: Vec<String> = fs_err::read_dir(dist.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "mpmath-1.3.0-py3-none-any.whl",
                "mpmath_tests-1.4.1-py3-none-any.whl",
                "numpy-2.5.5-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
                "openssl-3.5.7.zip",
                "python_stdlib.zip",
            ]
        );
    }
}
