//! Sources: from a recipe's `[source]` table to a patched source tree ready to build.
//!
//! The flow, one function per step:
//!
//! 1. [`fetch`] gets the archive named by a [`SourceSpec`] into the source cache and checks
//!    its sha256 (`url`: https or `file://`; `pypi`: the sdist through the index's simple
//!    API; `debian`: the upstream orig tarball through `apt-get source` inside the toolchain
//!    root). A `path` source is not fetched: [`hash_tree`] gives its content hash instead.
//! 2. [`extract`] unpacks the archive into a fresh folder, refusing any entry that would
//!    land, or point, outside it.
//! 3. [`prepare`] strips the archive's single top-level folder (as Pyodide does), applies
//!    the recipe's patches in order and copies its extras, and returns the source root.
//!
//! The cache is content-addressed: an archive is found by its sha256 alone, before any
//! network access or subprocess, so the second fetch of a source never touches the network
//! and two recipes naming the same archive share it.
//!
//! ```text
//! <cache>/sources-v0/
//!   CACHEDIR.TAG              tells backup tools to skip the folder
//!   .locks/<sha256>.lock      one file lock per entry, held while it is downloaded
//!   .tmp-XXXXXX/              a download under way; renamed to `<sha256>/` once verified
//!   <sha256>/<file name>      a verified archive under its original file name
//! ```
//!
//! An entry folder appears only by renaming a complete, verified staging folder, so an
//! interrupted fetch leaves at most a `.tmp-` folder, never a partial file under a hash. The
//! `sources-v0` folder is bind-mounted at the same path inside the toolchain root, which is
//! why Debian downloads stage there too.
//!
//! This module does not build anything, and knows nothing of cache keys beyond the sha256
//! of what it fetched: the build stage puts [`Fetched::sha256`] (or [`hash_tree`] of a
//! `path` source) into its own keys.

mod extract;
mod fetch;
mod patch;
mod pypi;
mod tree;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::hash::Sha256;
use crate::recipe::{Recipe, SourceSpec};
use crate::run::RunError;
use crate::toolchain::Toolchain;

pub use extract::{ExtractError, extract};
pub use fetch::fetch;
pub use pypi::IndexFile;
pub use tree::hash_tree;

/// What [`fetch`] and [`prepare`] need from the caller.
#[derive(Debug, Clone)]
pub struct FetchContext<'a> {
    pub settings: &'a Settings,
    /// The toolchain root, needed only by `debian` sources (and by patches when the host has
    /// no `patch`).
    pub toolchain: Option<&'a Toolchain>,
    /// The recipe's log file: subprocess output (pip, apt-get, patch) is appended to it.
    pub log: PathBuf,
}

/// A fetched source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The archive in the cache; for a `path` source, the source folder itself (never copied
    /// into the cache).
    pub path: PathBuf,
    /// The archive's sha256; for a `path` source, [`hash_tree`] of the folder.
    pub sha256: Sha256,
    /// True when no download was needed. Always false for a `path` source.
    pub from_cache: bool,
}

/// Where a fetched file came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Url {
        url: String,
    },
    Pypi {
        name: String,
        version: String,
        url: String,
    },
    Debian {
        package: String,
        version: String,
        file: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Url { url } => write!(f, "`{url}`"),
            Origin::Pypi { name, version, url } => write!(f, "`{name}=={version}` (`{url}`)"),
            Origin::Debian {
                package,
                version,
                file,
            } => {
                write!(f, "Debian source `{package}` {version} (`{file}`)")
            }
        }
    }
}

/// Everything that can go wrong between a `[source]` table and a patched source tree.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("sha256 mismatch for {origin}\n  expected: {expected}\n  actual:   {actual}")]
    HashMismatch {
        /// Boxed to keep every `Result<_, SourceError>` small.
        origin: Box<Origin>,
        expected: Sha256,
        actual: Sha256,
    },

    #[error(
        "the package index lists another sha256 for {origin}\n  expected: {expected}\n  listed:   {listed}"
    )]
    IndexHashMismatch {
        origin: Box<Origin>,
        expected: Sha256,
        listed: Sha256,
    },

    #[error("unsupported URL `{url}`: expected `https://`, `http://` or `file://`")]
    UnsupportedUrl { url: String },

    #[error("cannot download `{url}`")]
    Http {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },

    #[error("download of `{url}` broke off")]
    HttpBody {
        url: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read CA bundle `{}`", path.display())]
    CaBundle {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("CA bundle `{}` holds no PEM certificate", path.display())]
    CaBundleEmpty { path: PathBuf },

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

    #[error("cannot lock source cache entry `{}`", path.display())]
    CacheLock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot find the package index URL: pip's configuration names none and pip is not usable; log: `{}`", log.display())]
    IndexUrlUnknown { log: PathBuf },

    #[error("cannot read the package index page `{url}`")]
    IndexPage {
        url: String,
        #[source]
        source: Box<SourceError>,
    },

    #[error("the package index page `{url}` is not valid PEP 691 JSON")]
    IndexJson {
        url: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("the package index page `{url}` uses API version {version}; kiln reads version 1")]
    IndexApiVersion { url: String, version: String },

    #[error(
        "no sdist (`.tar.gz` or `.zip`) of `{name}=={version}` on `{url}`{}",
        list_found(found)
    )]
    SdistNotFound {
        name: String,
        version: String,
        url: String,
        /// Files on the page whose names mention the version, to show what is there.
        found: Vec<String>,
    },

    #[error("Debian source `{package}` needs the toolchain root")]
    ToolchainRequired { package: String },

    #[error("`apt-get source {package}` did not run")]
    AptSource {
        package: String,
        #[source]
        source: Box<RunError>,
    },

    #[error(
        "`apt-get source {package}` gave no `{expected}`{}\n  log: `{}`",
        list_found(found),
        log.display()
    )]
    OrigTarballMissing {
        package: String,
        version: String,
        /// The file-name pattern that was expected: `PACKAGE_VERSION.orig.tar.*`.
        expected: String,
        /// Orig tarballs that did arrive (another upstream version, usually).
        found: Vec<String>,
        log: PathBuf,
    },

    #[error("cannot extract `{}`", archive.display())]
    Extract {
        archive: PathBuf,
        #[source]
        source: ExtractError,
    },

    #[error("patch `{}` does not apply; log: `{}`", patch.display(), log.display())]
    Patch {
        patch: PathBuf,
        log: PathBuf,
        #[source]
        source: Box<RunError>,
    },

    #[error("applying patch `{}` needs `patch`, found neither on the host nor in a toolchain root", patch.display())]
    PatchToolMissing { patch: PathBuf },

    #[error("extra `{}` must go to a relative path inside the source tree, not `{}`", from.display(), to.display())]
    ExtraOutsideTree { from: PathBuf, to: PathBuf },
}

impl SourceError {
    /// What the user can do about it, shown after the error chain.
    pub fn hint(&self) -> Option<String> {
        match self {
            SourceError::ToolchainRequired { .. } => Some("Run `kiln toolchain install`".into()),
            SourceError::IndexUrlUnknown { .. } => {
                Some("Set `KILN_INDEX_URL` to the simple API of a package index".into())
            }
            SourceError::HashMismatch { .. } => Some(
                "If the new file is the one you want, put its sha256 in the recipe; nothing was kept in the cache"
                    .into(),
            ),
            SourceError::OrigTarballMissing { .. } => Some(
                "The toolchain's Debian suite has another upstream version: set `version` (and `sha256`) in the recipe to match"
                    .into(),
            ),
            SourceError::PatchToolMissing { .. } => {
                Some("Install `patch` on the host, or run `kiln toolchain install`".into())
            }
            SourceError::IndexPage { source, .. } => source.hint(),
            _ => None,
        }
    }
}

/// `; found: ` and the names, backticked and comma-separated, or `; found none`.
fn list_found(found: &[String]) -> String {
    if found.is_empty() {
        "; found none".to_string()
    } else {
        let names: Vec<String> = found.iter().map(|name| format!("`{name}`")).collect();
        format!("; found: {}", names.join(", "))
    }
}

/// Fetches, extracts and patches `recipe`'s source into `work_dir/src` and returns that
/// folder, the source root.
///
/// Any previous `work_dir/src` is removed first: a source tree is always made from scratch,
/// so a half-patched tree from an interrupted run is never built. The extracted tree appears
/// under `src` only once complete (before patching); a failed patch leaves the tree as far as
/// it got, for inspection, and the next call starts over.
pub fn prepare(
    recipe: &Recipe,
    ctx: &FetchContext,
    work_dir: &Path,
) -> Result<PathBuf, SourceError> {
    let root = work_dir.join("src");
    tree::remove_any(&root)?;
    fs_err::create_dir_all(work_dir).map_err(|source| SourceError::Write {
        path: work_dir.to_path_buf(),
        source,
    })?;
    match &recipe.source.spec {
        SourceSpec::Path { path } => tree::copy_into_place(path, &root)?,
        spec => {
            let fetched = fetch(spec, ctx)?;
            unpack_stripped(&fetched.path, work_dir, &root)?;
        }
    }
    patch::apply_patches(&recipe.source.patches, &root, ctx)?;
    patch::copy_extras(&recipe.source.extras, &root)?;
    Ok(root)
}

/// Extracts `archive` next to `root`, then moves the archive's single top-level folder (or,
/// when it has several entries, the whole extracted folder) to `root`.
fn unpack_stripped(archive: &Path, work_dir: &Path, root: &Path) -> Result<(), SourceError> {
    let staging = work_dir.join(".src-unpacked");
    tree::remove_any(&staging)?;
    extract(archive, &staging).map_err(|source| SourceError::Extract {
        archive: archive.to_path_buf(),
        source,
    })?;
    let top = tree::single_top_dir(&staging)?.unwrap_or_else(|| staging.clone());
    fs_err::rename(&top, root).map_err(|source| SourceError::Write {
        path: root.to_path_buf(),
        source,
    })?;
    tree::remove_any(&staging)
}

#[cfg(test)]
mod tests;

/// The sha256 the package index lists for the sdist of `name==version`, for building a
/// package that has no recipe (`kiln build name==version`): the index's own hash is then the
/// pin, and the download is verified against it like any other.
pub fn index_sdist_sha256(
    ctx: &FetchContext,
    name: &str,
    version: &str,
) -> Result<Sha256, SourceError> {
    let agent = fetch::http_agent(ctx.settings)?;
    let index = pypi::index_url(ctx)?;
    let sdist = pypi::find_sdist(&agent, &index, name, version)?;
    sdist.sha256.ok_or_else(|| SourceError::SdistNotFound {
        name: name.to_string(),
        version: version.to_string(),
        url: sdist.url,
        found: vec![format!(
            "{} (the index lists no sha256 for it)",
            sdist.filename
        )],
    })
}

/// Every file the package index lists for the project `name` (sdists and wheels of every
/// version), for writing a recipe (`kiln skeleton pypi`).
pub fn index_files(ctx: &FetchContext, name: &str) -> Result<Vec<IndexFile>, SourceError> {
    let agent = fetch::http_agent(ctx.settings)?;
    let index = pypi::index_url(ctx)?;
    Ok(pypi::project_files(&agent, &index, name)?.1)
}

/// Downloads a file the index lists to `dest`, checked against the sha256 the index lists
/// for it (a file listed without one is refused: nothing unverified is read).
pub fn download_index_file(
    ctx: &FetchContext,
    file: &IndexFile,
    dest: &Path,
) -> Result<(), SourceError> {
    let Some(expected) = file.sha256 else {
        return Err(SourceError::SdistNotFound {
            name: file.filename.clone(),
            version: String::new(),
            url: file.url.clone(),
            found: vec![format!(
                "{} (the index lists no sha256 for it)",
                file.filename
            )],
        });
    };
    let agent = fetch::http_agent(ctx.settings)?;
    fetch::download_to(&agent, &file.url, dest)?;
    let actual = Sha256::of_file(dest).map_err(|source| SourceError::Read {
        path: dest.to_path_buf(),
        source,
    })?;
    if actual != expected {
        let _ = fs_err::remove_file(dest);
        return Err(SourceError::HashMismatch {
            origin: Box::new(Origin::Url {
                url: file.url.clone(),
            }),
            expected,
            actual,
        });
    }
    Ok(())
}
