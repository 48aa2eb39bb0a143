//! Recipes: `recipes/<name>/recipe.toml`, the description of one thing kiln builds.
//!
//! Parsing happens in two stages, as in rattler-build: [`raw`] deserializes the TOML into
//! structs that keep spans (`toml::Spanned`) for every field validated later; this module
//! turns them into the typed [`Recipe`] below, whose fields are checked and whose paths are
//! absolute. Errors in either stage are a [`RecipeError`] that names the file, line, column
//! and field. This module knows nothing of fetching or building: later stages read a
//! [`Recipe`] and never the TOML.

mod error;
mod raw;

use std::path::PathBuf;

use crate::hash::Sha256;

pub use error::RecipeError;

/// A validated recipe.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// The `recipe.toml` file this came from.
    pub path: PathBuf,
    /// The folder holding `recipe.toml`; patches and extras are relative to it.
    pub dir: PathBuf,
    pub package: Package,
    pub source: Source,
    pub build: Build,
    pub requirements: Requirements,
    pub test: Test,
    pub about: About,
}

/// `[package]`
#[derive(Debug, Clone)]
pub struct Package {
    /// Normalised (PEP 503: lower case, runs of `-_.` become `-`) and equal to the folder name.
    pub name: String,
    pub version: String,
    /// Top-level import names (`top-level` key); default: the name with `-` turned into `_`.
    pub top_level: Vec<String>,
    /// Tags for selection (`tag:core`).
    pub tags: Vec<String>,
}

/// `[source]`: where the code comes from, and what is laid over it.
#[derive(Debug, Clone)]
pub struct Source {
    pub spec: SourceSpec,
    /// Patch files, absolute, applied in order with `patch -p1`.
    pub patches: Vec<PathBuf>,
    /// Extra files copied into the source tree after patching.
    pub extras: Vec<Extra>,
}

/// Exactly one way of getting a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// `url = "https://…"` or `file://…`, with `sha256`.
    Url { url: String, sha256: Sha256 },
    /// `pypi = "name==version"`, with `sha256` of the sdist.
    Pypi { name: String, version: String, sha256: Sha256 },
    /// `debian = { package, version }`, with `sha256` of the upstream orig tarball.
    Debian { package: String, version: String, sha256: Sha256 },
    /// `path = "src"`: an in-tree folder, absolute after validation. No hash: it is hashed
    /// by content when it is used.
    Path { path: PathBuf },
}

/// One `extras` entry: copy `from` (absolute) to `to` (relative to the source root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    pub from: PathBuf,
    pub to: PathBuf,
}

/// `[build]`
#[derive(Debug, Clone, Default)]
pub struct Build {
    pub kind: BuildKind,
    /// Shell script run in the source folder (bash, `set -euo pipefail`).
    pub script: Option<String>,
    pub cflags: Vec<String>,
    pub cxxflags: Vec<String>,
    pub ldflags: Vec<String>,
    /// Extra arguments for the PEP 517 backend (`backend-flags`).
    pub backend_flags: Vec<String>,
    /// Which symbols a shared library exports (`exports`).
    pub exports: Exports,
    /// Move test folders into a separate `<name>-tests` wheel (`unvendor-tests`, default true).
    pub unvendor_tests: bool,
}

/// `build.type`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildKind {
    /// A Python package built into a wheel (`package`, the default).
    #[default]
    Package,
    /// A shared library (side module) shipped in the lockfile as a `dynlib` entry.
    SharedLibrary,
    /// A static library other recipes link against; never shipped.
    StaticLibrary,
    /// The interpreter itself and its bundle.
    Runtime,
}

impl BuildKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildKind::Package => "package",
            BuildKind::SharedLibrary => "shared_library",
            BuildKind::StaticLibrary => "static_library",
            BuildKind::Runtime => "runtime",
        }
    }
}

/// `build.exports`, as in Pyodide: which symbols of a side module are exported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Exports {
    /// `"pyinit"`: only `PyInit_*` (the default for packages).
    #[default]
    PyInit,
    /// `"requested"`: what the compile marked as exported.
    Requested,
    /// `"whole_archive"`: every symbol.
    WholeArchive,
    /// A list of symbol names.
    Explicit(Vec<String>),
}

/// `[requirements]`
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    /// Recipes built for the target that this build links or compiles against.
    pub host: Vec<String>,
    /// Recipes needed at run time (become `depends` in the lockfile).
    pub run: Vec<String>,
    /// PEP 508 requirements installed into the build venv (build tools, e.g. `cython>=3`).
    pub build: Vec<String>,
}

/// `[test]`
#[derive(Debug, Clone, Default)]
pub struct Test {
    /// Modules a test imports in the runtime after building.
    pub imports: Vec<String>,
}

/// `[about]`: informational only.
#[derive(Debug, Clone, Default)]
pub struct About {
    pub home: Option<String>,
    pub summary: Option<String>,
    pub license: Option<String>,
}
