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
mod raw;
#[cfg(test)]
mod tests;

use std::ffi::OsStr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use crate::hash::Sha256;
use error::backticked_list;
use raw::{RawBuild, RawExports, RawPackage, RawRecipe, RawRequirements, RawSource, RawTest};

pub(crate) use error::close_matches;
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

impl Recipe {
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
        // Anything there (even a pipe or a dangling link) is read, and refused by the read.
        if fs_err::symlink_metadata(&file).is_err() {
            return Err(RecipeError::MissingRecipeFile {
                dir: path.to_path_buf(),
            });
        }
        file
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
    let text = crate::fs::read_bounded_to_string(&file, MAX_RECIPE_BYTES, "the recipe")?;
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

/// The second stage: turns [`RawRecipe`] into a [`Recipe`], checking what serde cannot.
/// Stops at the first mistake, in file order.
struct Validator<'a> {
    /// The recipe file as the caller named it, for messages.
    path: &'a Path,
    text: &'a str,
    /// Absolute folder of the recipe; relative paths in it are resolved against this.
    dir: PathBuf,
    source_link: SourceLink,
}

/// How a validation error is built: span, field path, problem, then an optional help.
impl Validator<'_> {
    /// Parses the text (first stage) and validates it (second stage). `absolute` is the
    /// file's absolute path; `folder`, when given, is the name `package.name` must normalise
    /// to.
    fn parse(&self, absolute: PathBuf, folder: Option<&str>) -> Result<Recipe, RecipeError> {
        let (path, text) = (self.path, self.text);
        let (document, syntax_errors) = DeTable::parse_recoverable(text);
        if let Some(error) = syntax_errors.first() {
            return Err(
                InvalidRecipe::from_toml_syntax(path, text, document.get_ref(), error).into(),
            );
        }
        let raw = RawRecipe::deserialize(toml::de::Deserializer::from(document.clone())).map_err(
            |error| InvalidRecipe::from_toml_data(path, text, document.get_ref(), &error),
        )?;
        self.recipe(raw, absolute, folder)
    }

    fn error(&self, span: Range<usize>, field: &str, problem: Problem) -> InvalidRecipe {
        InvalidRecipe::new(self.path, self.text, span, Some(field.to_string()), problem)
    }

    fn invalid(
        &self,
        value: &Spanned<String>,
        field: &str,
        expected: &str,
        help: impl Into<String>,
    ) -> RecipeError {
        self.error(
            value.span(),
            field,
            Problem::InvalidValue {
                expected: expected.to_string(),
                found: value.get_ref().clone(),
            },
        )
        .with_help(help)
        .into()
    }

    fn required(
        &self,
        value: Option<Spanned<String>>,
        table_span: Range<usize>,
        field: &str,
        help: &str,
    ) -> Result<Spanned<String>, RecipeError> {
        value.ok_or_else(|| {
            self.error(table_span, field, Problem::Missing { what: "key" })
                .with_help(help)
                .into()
        })
    }

    fn recipe(
        &self,
        raw: RawRecipe,
        path: PathBuf,
        folder: Option<&str>,
    ) -> Result<Recipe, RecipeError> {
        let Some(package) = raw.package else {
            return Err(self
                .error(0..0, "package", Problem::Missing { what: "table" })
                .with_help("every recipe has a `[package]` table with `name` and `version`")
                .into());
        };
        let Some(source) = raw.source else {
            return Err(self
                .error(0..0, "source", Problem::Missing { what: "table" })
                .with_help("add a `[source]` table with one of `url`, `pypi`, `debian` or `path`")
                .into());
        };
        let (package, top_level) = self.package(package, folder)?;
        let source = self.source(source)?;
        let build = self.build(raw.build)?;
        let places = Places {
            text: self.text.into(),
            path: self.path.to_path_buf(),
            host: raw.requirements.host.iter().map(Spanned::span).collect(),
            run: raw.requirements.run.iter().map(Spanned::span).collect(),
        };
        let top_level = top_level.unwrap_or_else(|| match build.kind {
            BuildKind::Package => vec![package.name.replace('-', "_")],
            _ => Vec::new(),
        });
        Ok(Recipe {
            path,
            dir: self.dir.clone(),
            package: Package {
                top_level,
                ..package
            },
            source,
            build,
            requirements: self.requirements(raw.requirements)?,
            test: self.test(raw.test)?,
            about: About {
                home: raw.about.home,
                summary: raw.about.summary,
                license: raw.about.license,
            },
            places,
        })
    }

    /// `[package]`; `top_level` comes back separately because its default depends on
    /// `build.type`, which is read later.
    fn package(
        &self,
        package: Spanned<RawPackage>,
        folder: Option<&str>,
    ) -> Result<(Package, Option<Vec<String>>), RecipeError> {
        let header = package.span();
        let package = package.into_inner();
        let name = self.required(
            package.name,
            header.clone(),
            "package.name",
            "the package's name; the recipe folder is named after it",
        )?;
        if !is_valid_name(name.get_ref()) {
            return Err(self.invalid(
                &name,
                "package.name",
                "a package name of letters, digits, `-`, `_` and `.`",
                "a name starts and ends with a letter or digit (PEP 508)",
            ));
        }
        let normalized = normalize_name(name.get_ref());
        if let Some(folder) = folder.filter(|folder| *folder != normalized) {
            return Err(self
                .error(
                    name.span(),
                    "package.name",
                    Problem::NameMismatch {
                        name: normalized.clone(),
                        folder: folder.to_string(),
                    },
                )
                .with_help(format!(
                    "rename the folder to `{normalized}`, or set `name = \"{folder}\"`"
                ))
                .into());
        }
        let version = self.required(
            package.version,
            header,
            "package.version",
            "the version this recipe builds, e.g. `version = \"1.3.1\"`",
        )?;
        if !is_pep440(version.get_ref()) {
            return Err(self.invalid(
                &version,
                "package.version",
                "a PEP 440 version",
                "the version this recipe builds, e.g. `version = \"1.3.1\"`; \
                 it names the wheel and the lockfile entry",
            ));
        }
        let top_level = match package.top_level {
            None => None,
            Some(names) => Some(
                names
                    .into_iter()
                    .enumerate()
                    .map(|(index, import)| {
                        if is_identifier(import.get_ref()) {
                            Ok(import.into_inner())
                        } else {
                            Err(self.invalid(
                                &import,
                                &format!("package.top-level[{index}]"),
                                "a Python identifier",
                                "`top-level` lists the names `import` uses, e.g. `[\"yaml\"]` for PyYAML",
                            ))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let tags = package
            .tags
            .into_iter()
            .enumerate()
            .map(|(index, tag)| {
                let valid = !tag.get_ref().is_empty()
                    && tag
                        .get_ref()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if valid {
                    Ok(tag.into_inner())
                } else {
                    Err(self.invalid(
                        &tag,
                        &format!("package.tags[{index}]"),
                        "a tag of letters, digits, `-` and `_`",
                        "tags select recipes on the command line, as in `tag:core`",
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        let package = Package {
            name: normalized,
            version: version.into_inner(),
            top_level: Vec::new(),
            tags,
        };
        Ok((package, top_level))
    }

    fn source(&self, source: Spanned<RawSource>) -> Result<Source, RecipeError> {
        let header = source.span();
        let source = source.into_inner();
        let mut kinds = Vec::new();
        kinds.extend(source.url.map(SourceKind::Url));
        kinds.extend(source.pypi.map(SourceKind::Pypi));
        kinds.extend(source.debian.map(SourceKind::Debian));
        kinds.extend(source.path.map(SourceKind::Path));
        if kinds.len() != 1 {
            let found = kinds.iter().map(SourceKind::name).collect();
            return Err(match kinds.get(1) {
                None => self
                    .error(header, "source", Problem::SourceKinds { found })
                    .with_help(
                        "`url` downloads a file, `pypi` an sdist from the package index, \
                         `debian` an upstream tarball of a Debian source package; \
                         `path` names a folder beside the recipe",
                    ),
                Some(second) => self
                    .error(second.span(), "source", Problem::SourceKinds { found })
                    .with_help("a recipe has one source; keep one of these keys"),
            }
            .into());
        }
        let kind = kinds.remove(0);

        let spec = match (kind, source.sha256) {
            (SourceKind::Path(path), None) => SourceSpec::Path {
                path: self.source_folder(&path)?,
            },
            (SourceKind::Path(_), Some(sha256)) => {
                return Err(self
                    .error(
                        sha256.span(),
                        "source.sha256",
                        Problem::NotAllowed { with: "path" },
                    )
                    .with_help("remove it: a `path` source is hashed by content when it is used")
                    .into());
            }
            (kind, None) => {
                return Err(self
                    .error(
                        kind.span(),
                        "source.sha256",
                        Problem::Missing { what: "key" },
                    )
                    .with_label("needs a `sha256`")
                    .with_help(format!(
                        "a `{}` source is verified by the SHA-256 of what it downloads; \
                         add `sha256 = \"…\"` as printed by `sha256sum`",
                        kind.name()
                    ))
                    .into());
            }
            (SourceKind::Url(url), Some(sha256)) => self.url(url, self.sha256(&sha256)?)?,
            (SourceKind::Pypi(pypi), Some(sha256)) => self.pypi(pypi, self.sha256(&sha256)?)?,
            (SourceKind::Debian(debian), Some(sha256)) => {
                self.debian(debian, self.sha256(&sha256)?)?
            }
        };

        let patches = source
            .patches
            .iter()
            .enumerate()
            .map(|(index, patch)| {
                self.existing(patch, &format!("source.patches[{index}]"), FileKind::File)
            })
            .collect::<Result<_, _>>()?;
        let extras = source
            .extras
            .iter()
            .enumerate()
            .map(|(index, extra)| self.extra(extra, &format!("source.extras[{index}]")))
            .collect::<Result<_, _>>()?;
        Ok(Source {
            spec,
            patches,
            extras,
        })
    }

    fn sha256(&self, sha256: &Spanned<String>) -> Result<Sha256, RecipeError> {
        sha256
            .get_ref()
            .parse()
            .map_err(|error: crate::hash::ParseSha256Error| {
                self.error(
                    sha256.span(),
                    "source.sha256",
                    Problem::InvalidValue {
                        expected: "64 hexadecimal digits".to_string(),
                        found: error.found,
                    },
                )
                .with_help("the SHA-256 of the downloaded file, as printed by `sha256sum`")
                .into()
            })
    }

    fn url(&self, url: Spanned<String>, sha256: Sha256) -> Result<SourceSpec, RecipeError> {
        let text = url.get_ref();
        let valid = ["https://", "file://"]
            .iter()
            .any(|scheme| text.len() > scheme.len() && text.starts_with(scheme));
        if !valid {
            return Err(self.invalid(
                &url,
                "source.url",
                "an `https://` or `file://` URL",
                "kiln downloads over https only; a local file is `file:///path/to/file`",
            ));
        }
        Ok(SourceSpec::Url {
            url: url.into_inner(),
            sha256,
        })
    }

    fn pypi(&self, pypi: Spanned<String>, sha256: Sha256) -> Result<SourceSpec, RecipeError> {
        let pinned = pypi
            .get_ref()
            .split_once("==")
            .map(|(name, version)| (name.trim(), version.trim()))
            .filter(|(name, version)| is_valid_name(name) && is_pep440(version));
        match pinned {
            Some((name, version)) => Ok(SourceSpec::Pypi {
                name: normalize_name(name),
                version: version.to_string(),
                sha256,
            }),
            None => Err(self.invalid(
                &pypi,
                "source.pypi",
                "`name==version`",
                "pin one release of the sdist, e.g. `pypi = \"markupsafe==3.0.2\"`",
            )),
        }
    }

    fn debian(
        &self,
        debian: Spanned<raw::RawDebian>,
        sha256: Sha256,
    ) -> Result<SourceSpec, RecipeError> {
        let span = debian.span();
        let debian = debian.into_inner();
        let package = self.required(
            debian.package,
            span.clone(),
            "source.debian.package",
            "the Debian source package, e.g. `debian = { package = \"zlib\", version = \"1.3.1\" }`",
        )?;
        if !crate::toolchain::platform::is_debian_package_name(package.get_ref()) {
            return Err(self.invalid(
                &package,
                "source.debian.package",
                "a Debian source package name",
                "source package names use lower case letters, digits, `+`, `-` and `.`",
            ));
        }
        let version_help = "the upstream version, as in `PACKAGE_VERSION.orig.tar.*`: \
                            no epoch (`1:`) and no Debian revision (`-1`)";
        let version = self.required(debian.version, span, "source.debian.version", version_help)?;
        if !is_debian_upstream_version(version.get_ref()) {
            return Err(self.invalid(
                &version,
                "source.debian.version",
                "an upstream version",
                version_help,
            ));
        }
        Ok(SourceSpec::Debian {
            package: package.into_inner(),
            version: version.into_inner(),
            sha256,
        })
    }

    /// One `extras` entry: `[from, to]`, `from` beside the recipe, `to` inside the source.
    fn extra(
        &self,
        extra: &Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Result<Extra, RecipeError> {
        let [from, to] = extra.get_ref().as_slice() else {
            return Err(self
                .error(
                    extra.span(),
                    field,
                    Problem::WrongType {
                        expected: "a `[from, to]` pair".to_string(),
                        found: match extra.get_ref().len() {
                            1 => "a list of 1 entry".to_string(),
                            entries => format!("a list of {entries} entries"),
                        },
                    },
                )
                .with_help(
                    "`from` is relative to the recipe folder, `to` to the source tree, \
                     e.g. `[\"files/setup.cfg\", \"setup.cfg\"]`",
                )
                .into());
        };
        let from = self.existing(from, field, FileKind::File)?;
        // The source tree does not exist yet: only the path as written can be checked.
        if let Some(escape) = crate::fs::escape_of(Path::new(to.get_ref())) {
            return Err(self
                .error(
                    to.span(),
                    field,
                    Problem::Outside {
                        path: to.get_ref().clone(),
                        escape,
                        folder: "the source tree",
                    },
                )
                .with_help("`to` is relative to the unpacked source and may not use `..`")
                .into());
        }
        Ok(Extra {
            from,
            to: PathBuf::from(to.get_ref()),
        })
    }

    /// `source.path`: a folder inside the recipe folder, or for an out-of-tree build
    /// ([`load_out_of_tree`]) a link kiln made to the folder the user named.
    fn source_folder(&self, path: &Spanned<String>) -> Result<PathBuf, RecipeError> {
        if self.source_link == SourceLink::Refused
            || crate::fs::escape_of(Path::new(path.get_ref())).is_some()
        {
            return self.existing(path, "source.path", FileKind::Folder);
        }
        let link = self.dir.join(path.get_ref());
        match fs_err::canonicalize(&link) {
            Ok(real) if real.is_dir() => Ok(real),
            _ => self.existing(path, "source.path", FileKind::Folder),
        }
    }

    /// Resolves a path written relative to the recipe folder and checks that it exists.
    fn existing(
        &self,
        relative: &Spanned<String>,
        field: &str,
        kind: FileKind,
    ) -> Result<PathBuf, RecipeError> {
        let written = relative.get_ref();
        let shown_dir = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.display().to_string(),
            _ => ".".to_string(),
        };
        let absolute =
            crate::fs::contained_resolved(&self.dir, written, field).map_err(|error| {
                self.error(
                    relative.span(),
                    field,
                    Problem::Outside {
                        path: written.clone(),
                        escape: error.escape,
                        folder: "the recipe folder",
                    },
                )
                .with_help(format!(
                    "paths are relative to the recipe folder `{shown_dir}` and stay inside it"
                ))
            })?;
        let reason = match fs_err::metadata(&absolute) {
            Ok(metadata) if kind.matches(&metadata) => return Ok(absolute),
            Ok(_) => PathProblem::WrongKind,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => PathProblem::NotFound,
            Err(error) => PathProblem::Unreadable(error.kind().to_string()),
        };
        Err(self
            .error(
                relative.span(),
                field,
                Problem::MissingPath {
                    path: written.clone(),
                    expected: kind.name(),
                    reason,
                },
            )
            .with_help(format!(
                "paths are relative to the recipe folder `{shown_dir}`"
            ))
            .into())
    }

    fn build(&self, build: RawBuild) -> Result<Build, RecipeError> {
        let kind = match &build.kind {
            None => BuildKind::Package,
            Some(kind) => {
                const KINDS: [BuildKind; 4] = [
                    BuildKind::Package,
                    BuildKind::SharedLibrary,
                    BuildKind::StaticLibrary,
                    BuildKind::Runtime,
                ];
                match KINDS.iter().find(|known| known.as_str() == kind.get_ref()) {
                    Some(known) => *known,
                    None => {
                        let names = KINDS.map(BuildKind::as_str);
                        return Err(self.invalid(
                            kind,
                            "build.type",
                            &format!("one of {}", backticked_list(&names, "or")),
                            suggestion(kind.get_ref(), &names).unwrap_or_else(|| {
                                "`package` builds a wheel, `shared_library` a side module, \
                                 `static_library` a library other recipes link, \
                                 `runtime` the interpreter"
                                    .to_string()
                            }),
                        ));
                    }
                }
            }
        };
        if let Some(script) = build
            .script
            .as_ref()
            .filter(|script| script.get_ref().trim().is_empty())
        {
            return Err(self.invalid(
                script,
                "build.script",
                "a non-empty script",
                "remove `script` to build a `package` with its own build backend",
            ));
        }
        let exports = match build.exports {
            None => Exports::default(),
            Some(exports) => self.exports(exports)?,
        };
        Ok(Build {
            kind,
            script: build.script.map(Spanned::into_inner),
            cflags: self.flags(build.cflags, "build.cflags")?,
            cxxflags: self.flags(build.cxxflags, "build.cxxflags")?,
            ldflags: self.flags(build.ldflags, "build.ldflags")?,
            backend_flags: self.flags(build.backend_flags, "build.backend-flags")?,
            exports,
            unvendor_tests: build.unvendor_tests.unwrap_or(true),
        })
    }

    /// One flag per entry: flags reach the build as `CFLAGS="a b c"`, where an entry with a
    /// space inside would silently become two.
    fn flags(&self, flags: Vec<Spanned<String>>, field: &str) -> Result<Vec<String>, RecipeError> {
        flags
            .into_iter()
            .enumerate()
            .map(|(index, flag)| {
                if is_token(flag.get_ref()) {
                    return Ok(flag.into_inner());
                }
                let split: Vec<String> = flag
                    .get_ref()
                    .split_whitespace()
                    .map(|part| format!("\"{part}\""))
                    .collect();
                let help = if split.is_empty() {
                    "remove the empty entry".to_string()
                } else {
                    format!("split it into separate entries: `{}`", split.join(", "))
                };
                Err(self.invalid(
                    &flag,
                    &format!("{field}[{index}]"),
                    "one flag per entry",
                    help,
                ))
            })
            .collect()
    }

    fn exports(&self, exports: Spanned<RawExports>) -> Result<Exports, RecipeError> {
        let span = exports.span();
        match exports.into_inner() {
            RawExports::Named(name) => {
                const NAMES: [&str; 3] = ["pyinit", "requested", "whole_archive"];
                match name.as_str() {
                    "pyinit" => Ok(Exports::PyInit),
                    "requested" => Ok(Exports::Requested),
                    "whole_archive" => Ok(Exports::WholeArchive),
                    _ => Err(self.invalid(
                        &Spanned::new(span, name.clone()),
                        "build.exports",
                        "`pyinit`, `requested`, `whole_archive` or a list of symbol names",
                        suggestion(&name, &NAMES).unwrap_or_else(|| {
                            "`pyinit` exports `PyInit_*` only, `requested` what the code marks \
                             as exported, `whole_archive` everything"
                                .to_string()
                        }),
                    )),
                }
            }
            RawExports::Symbols(symbols) => symbols
                .into_iter()
                .enumerate()
                .map(|(index, symbol)| {
                    if is_c_identifier(symbol.get_ref()) {
                        Ok(symbol.into_inner())
                    } else {
                        Err(self.invalid(
                            &symbol,
                            &format!("build.exports[{index}]"),
                            "a C symbol name",
                            "list symbols as the linker sees them, e.g. `[\"PyInit__foo\"]`",
                        ))
                    }
                })
                .collect::<Result<_, _>>()
                .map(Exports::Explicit),
        }
    }

    fn requirements(&self, requirements: RawRequirements) -> Result<Requirements, RecipeError> {
        let recipe_names = |names: Vec<Spanned<String>>, field: &str| {
            names
                .into_iter()
                .enumerate()
                .map(|(index, name)| {
                    if is_valid_name(name.get_ref()) {
                        Ok(normalize_name(name.get_ref()))
                    } else {
                        Err(self.invalid(
                            &name,
                            &format!("{field}[{index}]"),
                            "a recipe name",
                            "host and run requirements name recipes; \
                             their versions come from those recipes",
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let build = requirements
            .build
            .into_iter()
            .enumerate()
            .map(|(index, requirement)| {
                normalize_requirement(requirement.get_ref()).ok_or_else(|| {
                    self.invalid(
                        &requirement,
                        &format!("requirements.build[{index}]"),
                        "a PEP 508 requirement",
                        "a build tool for the build environment, e.g. `\"cython>=3\"`",
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Requirements {
            host: recipe_names(requirements.host, "requirements.host")?,
            run: recipe_names(requirements.run, "requirements.run")?,
            build,
        })
    }

    fn test(&self, test: RawTest) -> Result<Test, RecipeError> {
        let imports = test
            .imports
            .into_iter()
            .enumerate()
            .map(|(index, module)| {
                if module.get_ref().split('.').all(is_identifier) {
                    Ok(module.into_inner())
                } else {
                    Err(self.invalid(
                        &module,
                        &format!("test.imports[{index}]"),
                        "a dotted module name",
                        "modules to import after the build, e.g. `[\"yaml\", \"yaml.cyaml\"]`",
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Test { imports })
    }
}

/// The one source kind a `[source]` table names, still raw.
enum SourceKind {
    Url(Spanned<String>),
    Pypi(Spanned<String>),
    Debian(Spanned<raw::RawDebian>),
    Path(Spanned<String>),
}

impl SourceKind {
    fn name(&self) -> &'static str {
        match self {
            SourceKind::Url(_) => "url",
            SourceKind::Pypi(_) => "pypi",
            SourceKind::Debian(_) => "debian",
            SourceKind::Path(_) => "path",
        }
    }

    fn span(&self) -> Range<usize> {
        match self {
            SourceKind::Url(value) | SourceKind::Pypi(value) | SourceKind::Path(value) => {
                value.span()
            }
            SourceKind::Debian(value) => value.span(),
        }
    }
}

#[derive(Clone, Copy)]
enum FileKind {
    File,
    Folder,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Folder => "folder",
        }
    }

    fn matches(self, metadata: &std::fs::Metadata) -> bool {
        match self {
            FileKind::File => metadata.is_file(),
            FileKind::Folder => metadata.is_dir(),
        }
    }
}

fn suggestion(word: &str, candidates: &[&str]) -> Option<String> {
    close_matches(word, candidates.iter().copied())
        .first()
        .map(|closest| format!("did you mean `{closest}`?"))
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
