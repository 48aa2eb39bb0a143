//! Recipes: `recipes/<name>/recipe.toml`, the description of one thing kiln builds.
//!
//! Parsing happens in two stages, as in rattler-build: [`raw`] deserializes the TOML into
//! structs that keep spans (`toml::Spanned`) for every field validated later; [`validate`]
//! turns them into the typed [`Recipe`] below, whose fields are checked and whose paths are
//! absolute. Errors in either stage are a [`RecipeError`] that names the file, line, column
//! and field. This module knows nothing of fetching or building: later stages read a
//! [`Recipe`] and never the TOML.
//!
//! Entry points: [`load`] (one file or folder), [`load_dir`] (every recipe, all errors
//! collected) and [`load_named`] (the recipes asked for on the command line). The format is
//! documented in `docs/recipe-format.md`, which a test keeps in step with [`raw`].

mod error;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::DeTable;

use crate::hash::Sha256;
use error::close_matches;
use raw::RawRecipe;
use validate::Validator;
#[cfg(test)]
use validate::normalize_requirement;

pub use error::{InvalidRecipe, PathProblem, Problem, RecipeError};

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
    /// Top-level import names (`top-level` key); default for a `package`: the name with `-`
    /// turned into `_`; for the other build types: none (a library is not imported by name).
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
    Pypi {
        name: String,
        version: String,
        sha256: Sha256,
    },
    /// `debian = { package, version }`, with `sha256` of the upstream orig tarball.
    Debian {
        package: String,
        version: String,
        sha256: Sha256,
    },
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

/// The file that makes a folder a recipe.
pub const RECIPE_FILE: &str = "recipe.toml";

/// Loads and validates one recipe: `path` is a `recipe.toml` or the folder holding one.
///
/// When the file is named `recipe.toml`, its `package.name` must equal its folder's name.
/// A file under another name (a test fixture, a one-off recipe) skips that check; every
/// recipe found by [`load_dir`] and [`load_named`] is a `recipe.toml`, so the check holds
/// for the recipe folder.
pub fn load(path: &Path) -> Result<Recipe, RecipeError> {
    let file = if path.is_dir() {
        let file = path.join(RECIPE_FILE);
        if !file.is_file() {
            return Err(RecipeError::MissingRecipeFile {
                dir: path.to_path_buf(),
            });
        }
        file
    } else {
        path.to_path_buf()
    };
    let read_error = |source| RecipeError::Read {
        path: file.clone(),
        source,
    };
    let text = fs_err::read_to_string(&file).map_err(read_error)?;
    let absolute = std::path::absolute(&file).map_err(read_error)?;
    let dir = absolute
        .parent()
        .expect("an absolute path to a file has a parent")
        .to_path_buf();
    let folder = if file.file_name() == Some(OsStr::new(RECIPE_FILE)) {
        Some(
            dir.file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
    } else {
        None
    };
    parse(&text, &file, absolute, dir, folder.as_deref())
}

/// Loads every recipe in `recipe_dir` (each `*/recipe.toml`), sorted by folder name.
///
/// Folders whose names start with `.` or `_` are skipped: no normalised package name
/// starts that way, so `_shared/` can hold files several recipes use. Any other folder
/// without a `recipe.toml` is an error. All errors are collected, so one run of
/// `kiln recipe check` reports every broken recipe.
pub fn load_dir(recipe_dir: &Path) -> Result<Vec<Recipe>, Vec<RecipeError>> {
    let folders = recipe_folders(recipe_dir).map_err(|error| vec![error])?;
    collect(folders.iter().map(|(_, folder)| load(folder)))
}

/// Loads the recipes named in `names`, in that order, each once.
///
/// Names are normalised (PEP 503) before lookup, so `MarkupSafe` finds `markupsafe/`. A
/// name without a folder is a [`RecipeError::UnknownRecipe`] listing close matches. Names
/// are matched against the listing of `recipe_dir`, never joined onto it, so `../x` cannot
/// reach outside. Dependencies are not followed: that is the build graph's job.
pub fn load_named<S: AsRef<str>>(
    recipe_dir: &Path,
    names: &[S],
) -> Result<Vec<Recipe>, Vec<RecipeError>> {
    let folders = recipe_folders(recipe_dir).map_err(|error| vec![error])?;
    let mut seen = Vec::new();
    let results = names.iter().filter_map(|name| {
        let name = name.as_ref();
        let normalized = normalize_name(name);
        if seen.contains(&normalized) {
            return None;
        }
        seen.push(normalized.clone());
        let result = match folders.iter().find(|(folder, _)| *folder == normalized) {
            Some((_, path)) => load(path),
            None => Err(RecipeError::UnknownRecipe {
                name: name.to_string(),
                recipe_dir: recipe_dir.to_path_buf(),
                close_matches: close_matches(
                    &normalized,
                    folders.iter().map(|(folder, _)| folder.as_str()),
                )
                .into_iter()
                .take(3)
                .map(str::to_string)
                .collect(),
            }),
        };
        Some(result)
    });
    collect(results)
}

/// Normalises a package name as PEP 503 does: lower case, each run of `-`, `_` and `.`
/// turned into one `-`. Recipe folders and requirement names use this form.
pub fn normalize_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_separator_run {
                normalized.push('-');
            }
            in_separator_run = true;
        } else {
            normalized.extend(character.to_lowercase());
            in_separator_run = false;
        }
    }
    normalized
}

/// The candidate recipe folders of `recipe_dir`: (name, path), sorted by name.
fn recipe_folders(recipe_dir: &Path) -> Result<Vec<(String, PathBuf)>, RecipeError> {
    let read_error = |source| RecipeError::Read {
        path: recipe_dir.to_path_buf(),
        source,
    };
    let mut folders = Vec::new();
    for entry in fs_err::read_dir(recipe_dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(['.', '_']) || !entry.path().is_dir() {
            continue;
        }
        folders.push((name, entry.path()));
    }
    folders.sort();
    Ok(folders)
}

fn collect(
    results: impl Iterator<Item = Result<Recipe, RecipeError>>,
) -> Result<Vec<Recipe>, Vec<RecipeError>> {
    let mut recipes = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(recipe) => recipes.push(recipe),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(recipes)
    } else {
        Err(errors)
    }
}

/// Parses and validates the text of a recipe. `path` is the file as the caller named it
/// (for messages); `absolute` and `dir` are its absolute path and folder; `folder`, when
/// given, is the name `package.name` must normalise to.
fn parse(
    text: &str,
    path: &Path,
    absolute: PathBuf,
    dir: PathBuf,
    folder: Option<&str>,
) -> Result<Recipe, RecipeError> {
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if let Some(error) = syntax_errors.first() {
        return Err(InvalidRecipe::from_toml_syntax(path, text, document.get_ref(), error).into());
    }
    let raw = RawRecipe::deserialize(toml::de::Deserializer::from(document.clone()))
        .map_err(|error| InvalidRecipe::from_toml_data(path, text, document.get_ref(), &error))?;
    let validator = Validator { path, text, dir };
    validator.recipe(raw, absolute, folder)
}
