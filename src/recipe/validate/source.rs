//! `[source]`: one source kind with its sha256, and the patches and extra files laid over
//! it, each a path that must exist inside the recipe folder (or, for `kiln build`'s
//! out-of-tree recipe, a link kiln made to the user's folder).

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::Validator;
use crate::hash::Sha256;
use crate::recipe::raw::{self, RawSource};
use crate::recipe::{
    Extra, PathProblem, Problem, RecipeError, Source, SourceLink, SourceSpec,
    is_debian_upstream_version, is_pep440, is_valid_name, normalize_name,
};

impl Validator<'_> {
    pub(super) fn source(&self, source: Spanned<RawSource>) -> Result<Source, RecipeError> {
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
