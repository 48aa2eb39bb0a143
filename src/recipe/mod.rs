//! Recipes: `recipes/<name>/recipe.toml`, the description of one thing kiln builds.
//!
//! Parsing happens in two stages, as in rattler-build: [`raw`] deserializes the TOML into
//! structs that keep spans (`toml::Spanned`) for every field validated later; this module
//! turns them into the typed [`Recipe`] below, whose fields are checked and whose paths are
//! absolute. Errors in either stage are a [`RecipeError`] that names the file, line, column
//! and field. This module knows nothing of fetching or building: later stages read a
//! [`Recipe`] and never the TOML.
//!
//! Entry points: [`load`] (one file or folder), [`load_dir`] (every recipe, all errors
//! collected) and [`load_named`] (the recipes asked for on the command line). The format is
//! documented in `docs/recipe-format.md`, which a test keeps in step with [`raw`].

mod error;
mod layers;
mod meta_yaml;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

use std::ffi::OsStr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::hash::Sha256;
use validate::Validator;

pub(crate) use error::close_matches;
pub use error::{InvalidRecipe, PathProblem, Problem, RecipeError};
pub use layers::{Layer, Layers, Listed, Origin};

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
    /// Where requirements sit in the file, for errors found after validation.
    pub places: Places,
}

/// The recipe file's text and the spans of its requirement names, so that a mistake only the
/// whole graph shows (an unknown name, a cycle) is still reported at `file:line:column`.
#[derive(Debug, Clone, Default)]
pub struct Places {
    text: std::sync::Arc<str>,
    /// The recipe file as the caller named it.
    path: PathBuf,
    host: Vec<Range<usize>>,
    run: Vec<Range<usize>>,
}

/// `requirements.host` or `requirements.run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequirementField {
    Host,
    Run,
}

impl RequirementField {
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementField::Host => "requirements.host",
            RequirementField::Run => "requirements.run",
        }
    }
}

/// Which format a recipe was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipeFormat {
    /// kiln's `recipe.toml`.
    Toml,
    /// Pyodide's `meta.yaml`, translated when read ([`meta_yaml`]); its build scripts expect
    /// Pyodide's variables (`WASM_LIBRARY_DIR`, `PYODIDE_JOBS`…).
    PyodideMetaYaml,
}

impl Recipe {
    /// The format of the file this recipe was read from.
    pub fn format(&self) -> RecipeFormat {
        if self.path.file_name() == Some(OsStr::new(meta_yaml::META_YAML)) {
            RecipeFormat::PyodideMetaYaml
        } else {
            RecipeFormat::Toml
        }
    }

    /// The recipe's text as its cache key hashes it: the file's bytes for a `recipe.toml`; for
    /// a `meta.yaml`, its translation (so that a change in how kiln translates, or in the
    /// variables it gives Pyodide's scripts, is a new key), without the folder's own path.
    pub fn key_text(&self) -> Result<Vec<u8>, std::io::Error> {
        match self.format() {
            RecipeFormat::Toml => fs_err::read(&self.path),
            RecipeFormat::PyodideMetaYaml => {
                Ok(meta_yaml::recipe_key_text(&self.places.text, &self.dir).into_bytes())
            }
        }
    }

    /// The names in `requirements.host` or `requirements.run`.
    pub fn requirement_names(&self, field: RequirementField) -> &[String] {
        match field {
            RequirementField::Host => &self.requirements.host,
            RequirementField::Run => &self.requirements.run,
        }
    }

    /// An error at the `index`th name of `field`, with its place in the file.
    pub fn requirement_error(
        &self,
        field: RequirementField,
        index: usize,
        problem: Problem,
        help: Option<String>,
    ) -> RecipeError {
        let spans = match field {
            RequirementField::Host => &self.places.host,
            RequirementField::Run => &self.places.run,
        };
        let span = spans.get(index).cloned().unwrap_or(0..0);
        let path = if self.places.path.as_os_str().is_empty() {
            &self.path
        } else {
            &self.places.path
        };
        let error = InvalidRecipe::new(
            path,
            &self.places.text,
            span,
            Some(format!("{}[{index}]", field.as_str())),
            problem,
        );
        match help {
            Some(help) => error.with_help(help).into(),
            None => error.into(),
        }
    }
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
    /// Python code run in the runtime after the imports, with the package and its run
    /// requirements installed; an exception fails the build.
    pub script: Option<String>,
}

impl Test {
    /// Whether there is anything to run.
    pub fn is_empty(&self) -> bool {
        self.imports.is_empty() && self.script.is_none()
    }
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

/// The largest `recipe.toml` kiln reads. The biggest real recipe is a few kilobytes; the
/// limit is there so that a link to a device or a huge file fails at once.
pub const MAX_RECIPE_BYTES: u64 = 1024 * 1024;

/// Loads and validates one recipe: `path` is a `recipe.toml` or the folder holding one.
///
/// When the file is named `recipe.toml`, its `package.name` must equal its folder's name.
/// A file under another name (a test fixture, a one-off recipe) skips that check; every
/// recipe found by [`load_dir`] and [`load_named`] is a `recipe.toml`, so the check holds
/// for the recipe folder.
pub fn load(path: &Path) -> Result<Recipe, RecipeError> {
    load_with(path, SourceLink::Refused)
}

/// Loads the recipe `kiln build` writes for an out-of-tree folder: as [`load`], except that
/// `source.path` may be a link leading out of the recipe folder (to the folder named on the
/// command line; kiln made the link, the user chose its target). The path as written must
/// still pass the containment rule, and [`SourceSpec::Path`] holds the link's real target.
pub fn load_out_of_tree(dir: &Path) -> Result<Recipe, RecipeError> {
    load_with(dir, SourceLink::Followed)
}

/// Whether `source.path` may lead out of the recipe folder through a link.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SourceLink {
    Refused,
    Followed,
}

fn load_with(path: &Path, source_link: SourceLink) -> Result<Recipe, RecipeError> {
    let file = if path.is_dir() {
        let file = path.join(RECIPE_FILE);
        let meta = path.join(meta_yaml::META_YAML);
        // Anything there (even a pipe or a dangling link) is read, and refused by the read.
        if fs_err::symlink_metadata(&file).is_ok() {
            file
        } else if fs_err::symlink_metadata(&meta).is_ok() {
            meta
        } else {
            return Err(RecipeError::MissingRecipeFile {
                dir: path.to_path_buf(),
            });
        }
    } else {
        path.to_path_buf()
    };
    // The file's lines may be printed in an error, so it must be the folder's own file: a
    // `recipe.toml` that links to a file elsewhere (`/etc/passwd`) is refused unread.
    if let Some(name) = file.file_name() {
        let folder = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        crate::fs::contained_resolved(folder, name, "recipe file").map_err(|source| {
            RecipeError::Outside {
                path: file.clone(),
                source,
            }
        })?;
    }
    let mut text = crate::fs::read_bounded_to_string(&file, MAX_RECIPE_BYTES, "the recipe")?;
    let pyodide = file.file_name() == Some(OsStr::new(meta_yaml::META_YAML));
    if pyodide {
        text = meta_yaml::translate(&file, &text)?;
    }
    let absolute = std::path::absolute(&file).map_err(|source| RecipeError::Read {
        path: file.clone(),
        source,
    })?;
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
    } else if pyodide {
        // Pyodide names folders as the package is written (`MarkupSafe/`, `Pillow/`).
        dir.file_name()
            .map(|name| normalize_name(&name.to_string_lossy()))
    } else {
        None
    };
    let validator = Validator {
        path: &file,
        text: &text,
        dir,
        source_link,
    };
    validator.parse(absolute, folder.as_deref())
}

/// Loads every recipe in `recipe_dir` (each `*/recipe.toml`), sorted by folder name.
///
/// Folders whose names start with `.` or `_` are skipped: no normalised package name
/// starts that way, so `_shared/` can hold maintainers' scripts and notes (a recipe reads
/// only files in its own folder). Any other folder without a `recipe.toml` is an error. All
/// errors are collected, so one run of `kiln recipe check` reports every broken recipe.
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
                recipe_dirs: vec![recipe_dir.to_path_buf()],
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

/// The names of the recipes in `recipe_dir` (its recipe folders), without loading them.
pub fn recipe_names(recipe_dir: &Path) -> Result<Vec<String>, RecipeError> {
    Ok(recipe_folders(recipe_dir)?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
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
        // A recipe's name is its folder's, normalised (a Pyodide folder may be `MarkupSafe/`).
        folders.push((normalize_name(&name), entry.path()));
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
#[cfg(test)]
fn parse(
    text: &str,
    path: &Path,
    absolute: PathBuf,
    dir: PathBuf,
    folder: Option<&str>,
) -> Result<Recipe, RecipeError> {
    let validator = Validator {
        path,
        text,
        dir,
        source_link: SourceLink::Refused,
    };
    validator.parse(absolute, folder)
}

/// A PEP 508 project name: ASCII letters, digits, `-_.`, starting and ending with a letter
/// or digit. Such a name, normalised, is one plain file name: recipe folders, work folders and
/// cache entries are named after it.
pub fn is_valid_name(name: &str) -> bool {
    let alphanumeric_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    alphanumeric_ends
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Non-empty and free of whitespace.
fn is_token(text: &str) -> bool {
    !text.is_empty() && !text.contains(char::is_whitespace)
}

/// A version as PEP 440 defines it (`1.0`, `2.0rc1`, `1!2.0+local`), written without
/// surrounding spaces. Parsed by `pep440_rs`, the parser uv grew from, so `1.0/../x` or a
/// NUL byte never reaches a wheel's file name.
pub fn is_pep440(version: &str) -> bool {
    is_token(version) && version.parse::<pep440_rs::Version>().is_ok()
}

/// The upstream part of a Debian version (`1.3.1`, `1.3.dfsg+really1.3.1`): letters,
/// digits and `.+~-`, starting with a letter or digit; no epoch (`1:`) and nothing a path or
/// a shell would read specially.
fn is_debian_upstream_version(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | '-'))
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn is_c_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Normalises the name at the start of a PEP 508 requirement and keeps the rest as written
/// (`Cython >= 3` → `cython >= 3`). `None` when it does not start with a valid name.
fn normalize_requirement(requirement: &str) -> Option<String> {
    let requirement = requirement.trim();
    let name_end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let (name, rest) = requirement.split_at(name_end);
    let rest_is_plausible = rest.trim_start().is_empty()
        || rest
            .trim_start()
            .starts_with(|c: char| "[(<>=!~;@".contains(c));
    (is_valid_name(name) && rest_is_plausible).then(|| format!("{}{rest}", normalize_name(name)))
}
