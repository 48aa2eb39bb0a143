//! `kiln skeleton pypi NAME`: a first `recipe.toml` for a package on the index, written from
//! what the index and the package say, so that most packages build without a hand edit.
//!
//! A tool beside the pipeline, not a stage of it: it reads the index and the sdist (through
//! [`crate::source`]) and core metadata (through [`crate::dist::metadata`]), and writes recipe
//! text that [`crate::recipe`] then reads like any other.
//!
//! What goes where:
//! - `source`: `pypi = "name==version"` (the newest final release with an sdist, or
//!   `--version`) and the sha256 the index lists; the sdist is downloaded and checked against
//!   it (into the source cache, so the first build does not download it again);
//! - `requirements.run`: the sdist's `Requires-Dist` (`PKG-INFO`, else `pyproject.toml`'s
//!   static `[project] dependencies`), markers evaluated for the runtime, without extras;
//! - `requirements.host`: build requirements a package compiles against (NumPy), which kiln
//!   installs with the target's headers; other build tools (Cython, setuptools, maturin) come
//!   from the package's `[build-system] requires` at build time and need no line;
//! - `test.imports` and `package.top-level`: the top-level names of a wheel of that release
//!   (`top_level.txt`, else its top-level files), else the sdist's packages;
//! - `[about]`: summary, home page and license from the metadata.
//!
//! `--update` changes only `package.version`, `source.pypi` and `source.sha256` of an
//! existing recipe, in place: every other line (patches, scripts, comments) stays as written.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dist::Runtime;
use crate::dist::metadata::{self, Metadata};
use crate::hash::Sha256;
use crate::recipe::{SourceSpec, normalize_name};
use crate::source::{self, FetchContext, IndexFile, SourceError};

/// Build requirements that mean "compiles against this package's C API": such a package
/// goes in `requirements.host`, where kiln gives the build the target's headers.
const HOST_PACKAGES: &[(&str, &str)] = &[
    ("numpy", "numpy"),
    ("oldest-supported-numpy", "numpy"),
    ("scipy", "scipy"),
];

/// Top-level names that are never the package's import name.
const NOT_IMPORTS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "docs",
    "doc",
    "benchmarks",
    "examples",
];

/// The largest sdist member read (pyproject.toml, PKG-INFO, top_level.txt).
const MAX_MEMBER_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SkeletonError {
    #[error("cannot read the package index for `{name}`")]
    Index {
        name: String,
        #[source]
        source: Box<SourceError>,
    },
    #[error("the index lists no sdist of `{name}`{}", version.as_ref().map_or(String::new(), |version| format!(" {version}")))]
    NoSdist {
        name: String,
        version: Option<String>,
    },
    #[error("the index lists no sha256 for `{file}`")]
    NoSha256 { file: String },
    #[error("cannot download the sdist of `{name}=={version}`")]
    Fetch {
        name: String,
        version: String,
        #[source]
        source: Box<SourceError>,
    },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` exists; pass `--update` to move it to {version}, keeping its other lines", path.display())]
    Exists { path: PathBuf, version: String },
    #[error("`{}` has no `{field}` to update", path.display())]
    NotUpdatable { path: PathBuf, field: &'static str },
    #[error("`{}` line {line}, column {column}: {message} (fix the TOML, then `--update` again)", path.display())]
    NotToml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What `kiln skeleton pypi` is asked for.
pub struct Request<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
    /// The recipe folder the recipe goes into (`<dir>/<name>/recipe.toml`).
    pub recipe_dir: &'a Path,
    pub update: bool,
    /// The runtime, for evaluating dependency markers.
    pub runtime: &'a Runtime,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub version: String,
    /// `Some(old version)` when an existing recipe was updated.
    pub updated_from: Option<String>,
    /// Run requirements named in the recipe, for the caller to check against the recipes.
    pub run: Vec<String>,
}

/// Writes (or with `update`, updates) the recipe for `request.name` from the index.
pub fn pypi(ctx: &FetchContext, request: &Request) -> Result<Written, SkeletonError> {
    let name = normalize_name(request.name);
    let files = source::index_files(ctx, &name).map_err(|source| SkeletonError::Index {
        name: name.clone(),
        source: Box::new(source),
    })?;
    let releases = releases(&name, &files);
    let version = match request.version {
        Some(version) => version.to_string(),
        None => newest_with_sdist(&releases).ok_or_else(|| SkeletonError::NoSdist {
            name: name.clone(),
            version: None,
        })?,
    };
    let release = releases
        .get(&version)
        .filter(|release| release.sdist.is_some())
        .ok_or_else(|| SkeletonError::NoSdist {
            name: name.clone(),
            version: Some(version.clone()),
        })?;
    let sdist = release.sdist.as_ref().expect("filtered above");
    let sha256 = sdist.sha256.ok_or_else(|| SkeletonError::NoSha256 {
        file: sdist.filename.clone(),
    })?;
    let path = request.recipe_dir.join(&name).join("recipe.toml");
    if path.exists() {
        if !request.update {
            return Err(SkeletonError::Exists { path, version });
        }
        let text = fs_err::read_to_string(&path).map_err(|source| SkeletonError::Read {
            path: path.clone(),
            source,
        })?;
        let (updated, old) = update_pins(&text, &path, &name, &version, &sha256)?;
        crate::fs::write_atomic(&path, updated.as_bytes()).map_err(|source| {
            SkeletonError::Write {
                path: path.clone(),
                source,
            }
        })?;
        return Ok(Written {
            path,
            version,
            updated_from: Some(old),
            run: Vec::new(),
        });
    }
    // The sdist, verified, into the source cache.
    let spec = SourceSpec::Pypi {
        name: name.clone(),
        version: version.clone(),
        sha256,
    };
    let fetched = source::fetch(&spec, ctx).map_err(|source| SkeletonError::Fetch {
        name: name.clone(),
        version: version.clone(),
        source: Box::new(source),
    })?;
    let sdist = read_sdist(&fetched.path)?;
    let top_level = match wheel_top_level(ctx, &release.wheels) {
        Some(names) if !names.is_empty() => names,
        _ => sdist.packages.clone(),
    };
    let facts = Facts::gather(&name, &sdist, request.runtime, top_level);
    let text = facts.render(&name, &version, &sha256);
    crate::fs::write_atomic(&path, text.as_bytes()).map_err(|source| SkeletonError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(Written {
        path,
        version,
        updated_from: None,
        run: facts.run,
    })
}

/// One version's files on the index.
#[derive(Debug, Default, Clone)]
struct Release {
    sdist: Option<IndexFile>,
    wheels: Vec<IndexFile>,
}

/// The index's files of `name`, by version (as written in the file names).
fn releases(name: &str, files: &[IndexFile]) -> BTreeMap<String, Release> {
    let mut releases: BTreeMap<String, Release> = BTreeMap::new();
    for file in files {
        let filename = file.filename.as_str();
        if let Some(stem) = filename.strip_suffix(".whl") {
            let mut parts = stem.split('-');
            if let (Some(project), Some(version)) = (parts.next(), parts.next())
                && normalize_name(project) == name
            {
                releases
                    .entry(version.to_string())
                    .or_default()
                    .wheels
                    .push(file.clone());
            }
            continue;
        }
        let Some(stem) = [".tar.gz", ".zip"]
            .iter()
            .find_map(|extension| filename.strip_suffix(extension))
        else {
            continue;
        };
        if let Some((project, version)) = stem.rsplit_once('-')
            && normalize_name(project) == name
        {
            releases.entry(version.to_string()).or_default().sdist = Some(file.clone());
        }
    }
    releases
}

/// The newest final release (no pre-, dev- or local part) with an sdist.
fn newest_with_sdist(releases: &BTreeMap<String, Release>) -> Option<String> {
    releases
        .iter()
        .filter(|(_, release)| release.sdist.is_some())
        .filter_map(|(text, _)| Some((text.parse::<pep440_rs::Version>().ok()?, text)))
        .filter(|(version, _)| !version.any_prerelease() && version.local().is_empty())
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, text)| text.clone())
}

/// What kiln reads from an sdist.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Sdist {
    pyproject: Option<String>,
    pkg_info: Option<String>,
    /// Import packages found in the tree (`pkg/__init__.py`, `src/pkg/__init__.py`).
    packages: Vec<String>,
    /// A Cargo manifest somewhere near the top (a Rust extension), and whether a lockfile
    /// is beside one.
    cargo: bool,
    cargo_lock: bool,
}

/// Reads an sdist's `pyproject.toml`, `PKG-INFO` and the shape of its tree.
fn read_sdist(path: &Path) -> Result<Sdist, SkeletonError> {
    let error = |source| SkeletonError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut sdist = Sdist::default();
    let mut packages = BTreeSet::new();
    let mut visit = |member: &str, read: &mut dyn FnMut() -> std::io::Result<String>| {
        // Paths below the sdist's single top folder.
        let Some((_, inner)) = member.split_once('/') else {
            return Ok::<(), std::io::Error>(());
        };
        let parts: Vec<&str> = inner.split('/').collect();
        match parts.as_slice() {
            ["pyproject.toml"] => sdist.pyproject = Some(read()?),
            ["PKG-INFO"] => sdist.pkg_info = Some(read()?),
            [package, "__init__.py"] | ["src", package, "__init__.py"] => {
                packages.insert(package.to_string());
            }
            _ => {}
        }
        if parts.len() <= 3 {
            match parts.last() {
                Some(&"Cargo.toml") => sdist.cargo = true,
                Some(&"Cargo.lock") => sdist.cargo_lock = true,
                _ => {}
            }
        }
        Ok(())
    };
    let file = fs_err::File::open(path).map_err(error)?;
    if path.to_string_lossy().ends_with(".zip") {
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| error(std::io::Error::other(e)))?;
        for index in 0..archive.len() {
            let mut entry = archive
                .by_index(index)
                .map_err(|e| error(std::io::Error::other(e)))?;
            let name = entry
                .name()
                .map_err(|e| error(std::io::Error::other(e)))?
                .into_owned();
            let mut read = || read_member(&mut entry);
            visit(&name, &mut read).map_err(error)?;
        }
    } else {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        for entry in archive.entries().map_err(error)? {
            let mut entry = entry.map_err(error)?;
            let name = entry.path().map_err(error)?.to_string_lossy().into_owned();
            let mut read = || read_member(&mut entry);
            visit(&name, &mut read).map_err(error)?;
        }
    }
    sdist.packages = packages
        .into_iter()
        .filter(|package| is_import_name(package))
        .collect();
    Ok(sdist)
}

fn read_member(reader: &mut dyn Read) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(MAX_MEMBER_BYTES).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn is_import_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !NOT_IMPORTS.contains(&name)
}

/// The top-level import names of a wheel of the release (a pure one first: the smallest
/// download), or `None` when there is none or it cannot be read.
fn wheel_top_level(ctx: &FetchContext, wheels: &[IndexFile]) -> Option<Vec<String>> {
    let wheel = wheels
        .iter()
        .find(|wheel| wheel.filename.ends_with("-none-any.whl"))
        .or_else(|| wheels.first())?;
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("wheel.whl");
    source::download_index_file(ctx, wheel, &path)
        .inspect_err(|error| tracing::debug!(%error, "cannot read a wheel for top-level names"))
        .ok()?;
    let mut archive = zip::ZipArchive::new(fs_err::File::open(&path).ok()?).ok()?;
    let mut names = BTreeSet::new();
    let mut listed: Option<String> = None;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).ok()?;
        let member = entry.name().ok()?.into_owned();
        let first = member.split('/').next().unwrap_or_default();
        if first.ends_with(".dist-info") {
            if member.ends_with("/top_level.txt") {
                listed = read_member(&mut entry).ok();
            }
            continue;
        }
        if first.ends_with(".data") || first.ends_with(".pth") {
            continue;
        }
        let name = if member.contains('/') {
            first
        } else {
            // A module at the top: `six.py`, `_cffi_backend.cpython-315-….so`.
            first.split('.').next().unwrap_or_default()
        };
        if is_import_name(name) {
            names.insert(name.to_string());
        }
    }
    if let Some(listed) = listed {
        let listed: Vec<String> = listed
            .lines()
            .map(str::trim)
            .filter(|name| is_import_name(name))
            .map(str::to_string)
            .collect();
        if !listed.is_empty() {
            return Some(listed);
        }
    }
    Some(names.into_iter().collect())
}

/// Everything the recipe says besides its pins.
#[derive(Debug, Default, Clone)]
struct Facts {
    backend: Option<String>,
    host: Vec<String>,
    run: Vec<String>,
    top_level: Vec<String>,
    summary: Option<String>,
    home: Option<String>,
    license: Option<String>,
    rust: Option<bool>,
}

#[derive(Deserialize, Default)]
struct Pyproject {
    #[serde(default, rename = "build-system")]
    build_system: BuildSystem,
    #[serde(default)]
    project: Option<Project>,
}

#[derive(Deserialize, Default)]
struct BuildSystem {
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default, rename = "build-backend")]
    build_backend: Option<String>,
}

#[derive(Deserialize, Default)]
struct Project {
    #[serde(default)]
    dependencies: Option<Vec<String>>,
}

impl Facts {
    fn gather(name: &str, sdist: &Sdist, runtime: &Runtime, top_level: Vec<String>) -> Self {
        let pyproject: Pyproject = sdist
            .pyproject
            .as_deref()
            .and_then(|text| toml::from_str(text).ok())
            .unwrap_or_default();
        let requirement_name = |text: &str| {
            let end = text
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                .unwrap_or(text.len());
            normalize_name(&text[..end])
        };
        let host: BTreeSet<String> = pyproject
            .build_system
            .requires
            .iter()
            .filter_map(|requirement| {
                let wanted = requirement_name(requirement.trim());
                HOST_PACKAGES
                    .iter()
                    .find(|(build, _)| *build == wanted)
                    .map(|(_, host)| host.to_string())
            })
            .collect();
        let environment = metadata::environment(runtime);
        let from_metadata = sdist
            .pkg_info
            .as_deref()
            .and_then(|text| Metadata::parse(text).ok());
        let mut run: Vec<String> = match (&from_metadata, &environment) {
            (Some(metadata), Some(environment)) if !metadata.requires_dist.is_empty() => {
                metadata.depends(environment)
            }
            _ => Vec::new(),
        };
        if run.is_empty()
            && let (Some(dependencies), Some(environment)) = (
                pyproject
                    .project
                    .as_ref()
                    .and_then(|project| project.dependencies.as_ref()),
                &environment,
            )
        {
            let listed: String = dependencies
                .iter()
                .map(|dependency| format!("Requires-Dist: {dependency}\n"))
                .collect();
            if let Ok(metadata) = Metadata::parse(&format!("Name: {name}\nVersion: 0\n{listed}")) {
                run = metadata.depends(environment);
            }
        }
        let header = |field: &str| {
            sdist.pkg_info.as_deref().and_then(|text| {
                text.lines()
                    .take_while(|line| !line.is_empty())
                    .find_map(|line| {
                        let (key, value) = line.split_once(':')?;
                        (key.eq_ignore_ascii_case(field) && !value.trim().is_empty())
                            .then(|| value.trim().to_string())
                    })
            })
        };
        let home = header("Home-page").or_else(|| {
            sdist.pkg_info.as_deref().and_then(|text| {
                text.lines()
                    .take_while(|line| !line.is_empty())
                    .filter_map(|line| line.strip_prefix("Project-URL:"))
                    .filter_map(|value| value.split_once(','))
                    .find(|(label, _)| {
                        let label = label.trim().to_ascii_lowercase();
                        ["homepage", "home", "source", "repository", "source code"]
                            .contains(&label.as_str())
                    })
                    .map(|(_, url)| url.trim().to_string())
            })
        });
        let license = header("License-Expression").or_else(|| {
            header("License").filter(|license| license.len() <= 60 && !license.contains("  "))
        });
        Facts {
            backend: pyproject.build_system.build_backend,
            host: host.into_iter().collect(),
            run,
            top_level,
            summary: header("Summary"),
            home,
            license,
            rust: sdist.cargo.then_some(sdist.cargo_lock),
        }
    }

    fn render(&self, name: &str, version: &str, sha256: &Sha256) -> String {
        let string = |text: &str| toml::Value::String(text.to_string()).to_string();
        let list = |items: &[String]| {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|item| string(item))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        // No version in the comment: `--update` changes the pins only, and would leave it stale.
        let mut text = format!("# Written by `kiln skeleton pypi {name}` from the package index");
        match &self.backend {
            Some(backend) => text.push_str(&format!(
                ",\n# built by `{backend}` (its build requirements come from pyproject.toml).\n"
            )),
            None => text.push_str(".\n"),
        }
        match self.rust {
            Some(true) => text.push_str("# A Rust extension: kiln builds it with the platform's Rust std.\n"),
            Some(false) => text.push_str(
                "# A Rust extension without Cargo.lock: add one with `source.extras` (see docs/recipe-format.md).\n",
            ),
            None => {}
        }
        text.push_str(&format!(
            "[package]\nname = {}\nversion = {}\n",
            string(name),
            string(version)
        ));
        let default_top_level = vec![name.replace('-', "_")];
        if !self.top_level.is_empty() && self.top_level != default_top_level {
            text.push_str(&format!("top-level = {}\n", list(&self.top_level)));
        }
        text.push_str(&format!(
            "\n[source]\npypi = {}\nsha256 = {}\n",
            string(&format!("{name}=={version}")),
            string(&sha256.to_string())
        ));
        if !self.host.is_empty() || !self.run.is_empty() {
            text.push_str("\n[requirements]\n");
            if !self.host.is_empty() {
                text.push_str(&format!("host = {}\n", list(&self.host)));
            }
            if !self.run.is_empty() {
                text.push_str(&format!("run = {}\n", list(&self.run)));
            }
        }
        let imports = if self.top_level.is_empty() {
            default_top_level
        } else {
            self.top_level.clone()
        };
        text.push_str(&format!("\n[test]\nimports = {}\n", list(&imports)));
        let about: Vec<String> = [
            ("home", &self.home),
            ("summary", &self.summary),
            ("license", &self.license),
        ]
        .iter()
        .filter_map(|(key, value)| {
            value
                .as_ref()
                .map(|value| format!("{key} = {}", string(value)))
        })
        .collect();
        if !about.is_empty() {
            text.push_str(&format!("\n[about]\n{}\n", about.join("\n")));
        }
        text
    }
}

/// `recipe.toml` with `package.version`, `source.pypi` and `source.sha256` replaced in
/// place (each value where it is written; nothing else changes), and the old version.
fn update_pins(
    text: &str,
    path: &Path,
    name: &str,
    version: &str,
    sha256: &Sha256,
) -> Result<(String, String), SkeletonError> {
    #[derive(Deserialize)]
    struct Pins {
        package: Option<PackagePins>,
        source: Option<SourcePins>,
    }
    #[derive(Deserialize)]
    struct PackagePins {
        version: Option<toml::Spanned<String>>,
    }
    #[derive(Deserialize)]
    struct SourcePins {
        pypi: Option<toml::Spanned<String>>,
        sha256: Option<toml::Spanned<String>>,
    }
    let missing = |field| SkeletonError::NotUpdatable {
        path: path.to_path_buf(),
        field,
    };
    let pins: Pins = toml::from_str(text).map_err(|error: toml::de::Error| {
        let at = error.span().map_or(0, |span| span.start).min(text.len());
        let before = &text[..at];
        SkeletonError::NotToml {
            path: path.to_path_buf(),
            line: before.matches('\n').count() + 1,
            column: before.chars().rev().take_while(|&c| c != '\n').count() + 1,
            message: error.message().to_string(),
        }
    })?;
    let old_version = pins
        .package
        .and_then(|package| package.version)
        .ok_or_else(|| missing("package.version"))?;
    let source = pins.source.ok_or_else(|| missing("source"))?;
    let pypi = source.pypi.ok_or_else(|| missing("source.pypi"))?;
    let sha = source.sha256.ok_or_else(|| missing("source.sha256"))?;
    let string = |value: &str| toml::Value::String(value.to_string()).to_string();
    let mut replacements = [
        (old_version.span(), string(version)),
        (pypi.span(), string(&format!("{name}=={version}"))),
        (sha.span(), string(&sha256.to_string())),
    ];
    replacements.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut updated = text.to_string();
    for (span, value) in replacements {
        updated.replace_range(span, &value);
    }
    Ok((updated, old_version.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(filename: &str) -> IndexFile {
        IndexFile {
            filename: filename.to_string(),
            url: format!("https://index.invalid/{filename}"),
            sha256: Some(Sha256::of_bytes(filename.as_bytes())),
        }
    }

    #[test]
    fn picks_the_newest_final_release_with_an_sdist() {
        let files = [
            file("More_Itertools-10.7.0.tar.gz"),
            file("more_itertools-10.8.0-py3-none-any.whl"),
            file("more_itertools-10.8.0.tar.gz"),
            file("more_itertools-11.0.0rc1.tar.gz"),
            file("more_itertools-11.0.0-py3-none-any.whl"),
            file("other-12.0.tar.gz"),
        ];
        let releases = releases("more-itertools", &files);
        assert_eq!(
            releases.keys().collect::<Vec<_>>(),
            ["10.7.0", "10.8.0", "11.0.0", "11.0.0rc1"]
        );
        assert_eq!(newest_with_sdist(&releases).as_deref(), Some("10.8.0"));
        assert_eq!(releases["10.8.0"].wheels.len(), 1);
    }

    #[test]
    fn renders_a_recipe_kiln_reads() {
        let sdist = Sdist {
            pyproject: Some(
                "[build-system]\nrequires = [\"meson-python\", \"numpy>=2.0\", \"Cython>=3\"]\nbuild-backend = \"mesonpy\"\n"
                    .into(),
            ),
            pkg_info: Some(
                "Metadata-Version: 2.4\nName: demo-pkg\nVersion: 1.2\nSummary: A demo\n\
                 License-Expression: MIT\nProject-URL: Homepage, https://example.org/demo\n\
                 Requires-Dist: numpy>=2\nRequires-Dist: pywin32; sys_platform == \"win32\"\n\
                 Requires-Dist: pytest; extra == \"test\"\n\nDescription\n"
                    .into(),
            ),
            packages: vec!["demo".into()],
            cargo: false,
            cargo_lock: false,
        };
        let runtime = Runtime {
            abi_version: "2026_5".into(),
            platforms: vec!["pyemscripten_2026_5_wasm32".into()],
            python: Some("3.15.0".parse().unwrap()),
            emscripten: "6.0.5".into(),
        };
        let facts = Facts::gather("demo-pkg", &sdist, &runtime, vec!["demo".into()]);
        let text = facts.render("demo-pkg", "1.2", &Sha256::of_bytes(b"sdist"));
        assert!(text.contains("top-level = [\"demo\"]\n"), "{text}");
        assert!(
            text.contains("host = [\"numpy\"]\nrun = [\"numpy\"]\n"),
            "{text}"
        );
        assert!(text.contains("imports = [\"demo\"]\n"), "{text}");
        assert!(text.contains("license = \"MIT\""), "{text}");
        assert!(text.contains("built by `mesonpy`"), "{text}");
        let first_line = text.lines().next().unwrap();
        assert!(
            !first_line.contains("1.2"),
            "no version to go stale: {first_line}"
        );
        let dir = tempfile::tempdir().unwrap();
        let recipe = dir.path().join("demo-pkg/recipe.toml");
        fs_err::create_dir_all(recipe.parent().unwrap()).unwrap();
        fs_err::write(&recipe, &text).unwrap();
        let loaded = crate::recipe::load(&recipe).unwrap();
        assert_eq!(loaded.requirements.host, ["numpy"]);
        assert_eq!(loaded.test.imports, ["demo"]);
    }

    #[test]
    fn update_of_a_broken_recipe_names_line_and_column() {
        let sha = Sha256::of_bytes(b"x");
        let text = "[package]\nname = \"six\"\nversion = 1.16.0\n";
        let error = update_pins(text, Path::new("six/recipe.toml"), "six", "1.17.0", &sha)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`six/recipe.toml` line 3, column 15: "),
            "{error}"
        );
    }

    #[test]
    fn update_changes_only_the_three_pins() {
        let text = "# mine\n[package]\nname = \"six\"\nversion = \"1.16.0\" # pinned\n\n[source]\n\
                    pypi = \"six==1.16.0\"\nsha256 = \"aa\"\npatches = [\"p.patch\"]\n\n[build]\nscript = '''\necho hi\n'''\n";
        let sha = Sha256::of_bytes(b"new");
        let (updated, old) =
            update_pins(text, Path::new("six/recipe.toml"), "six", "1.17.0", &sha).unwrap();
        assert_eq!(old, "1.16.0");
        assert_eq!(
            updated,
            text.replace("\"1.16.0\" #", "\"1.17.0\" #")
                .replace("six==1.16.0", "six==1.17.0")
                .replace("\"aa\"", &format!("\"{sha}\""))
        );
    }
}
