//! The second stage of parsing: [`Validator`] turns the raw, spanned structs of
//! [`super::raw`] into a checked [`Recipe`](super::Recipe), stopping at the first mistake in
//! file order. Every error names the file, line, column and field ([`InvalidRecipe`]).
//!
//! This file checks `[package]`, `[build]`, `[requirements]` and `[test]`; the `[source]`
//! table, with its paths that must stay inside the recipe folder, is in [`source`].

mod source;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::error::backticked_list;
use super::raw::{RawBuild, RawExports, RawPackage, RawRecipe, RawRequirements, RawTest};
use super::{
    About, Build, BuildKind, Exports, InvalidRecipe, Package, Places, Problem, Recipe, RecipeError,
    Requirements, SourceLink, Test, close_matches, is_c_identifier, is_identifier, is_pep440,
    is_token, is_valid_name, normalize_name, normalize_requirement,
};

/// The second stage: turns [`RawRecipe`] into a [`Recipe`], checking what serde cannot.
/// Stops at the first mistake, in file order.
pub(super) struct Validator<'a> {
    /// The recipe file as the caller named it, for messages.
    pub path: &'a Path,
    pub text: &'a str,
    /// Absolute folder of the recipe; relative paths in it are resolved against this.
    pub dir: PathBuf,
    pub source_link: SourceLink,
}

/// How a validation error is built: span, field path, problem, then an optional help.
impl Validator<'_> {
    /// Parses the text (first stage) and validates it (second stage). `absolute` is the
    /// file's absolute path; `folder`, when given, is the name `package.name` must normalise
    /// to.
    pub(super) fn parse(
        &self,
        absolute: PathBuf,
        folder: Option<&str>,
    ) -> Result<Recipe, RecipeError> {
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
}

impl Validator<'_> {
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
        if let Some(script) = test
            .script
            .as_ref()
            .filter(|script| script.get_ref().trim().is_empty())
        {
            return Err(self.invalid(
                script,
                "test.script",
                "a non-empty script",
                "a few lines of Python that use the package, or remove `script`",
            ));
        }
        Ok(Test {
            imports,
            script: test.script.map(Spanned::into_inner),
        })
    }
}

fn suggestion(word: &str, candidates: &[&str]) -> Option<String> {
    close_matches(word, candidates.iter().copied())
        .first()
        .map(|closest| format!("did you mean `{closest}`?"))
}
