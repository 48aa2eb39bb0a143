//! Getting an archive into the source cache, verified by sha256.
//!
//! Every kind of source ends the same way: the file is written into a staging folder
//! `sources-v0/.tmp-XXXXXX/<file name>`, hashed, and the folder is renamed to
//! `sources-v0/<sha256>/` only when the hash is the expected one. On a mismatch the staging
//! folder is dropped, so the cache never holds a file under a hash it does not have.
//!
//! Lookups go by the expected sha256 alone and happen before any network access or
//! subprocess. A download takes a file lock on its entry (`.locks/<sha256>.lock`) and looks
//! again once it holds it, so two kiln processes fetching the same archive download it once.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{FetchContext, Fetched, Origin, SourceError, pypi, tree};
use crate::config::Settings;
use crate::hash::Sha256;
use crate::recipe::SourceSpec;
use crate::run;

/// Marks the bucket as a cache, so backup and archiving tools skip it
/// (<https://bford.info/cachedir/>).
const CACHEDIR_TAG: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by kiln.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// Fetches the archive `spec` names into the source cache (see the module docs for the
/// layout) and returns where it is.
///
/// A `path` source is not fetched: the result is the folder itself and its [`super::hash_tree`].
pub fn fetch(spec: &SourceSpec, ctx: &FetchContext) -> Result<Fetched, SourceError> {
    let (sha256, remote) = match spec {
        SourceSpec::Path { path } => {
            return Ok(Fetched {
                path: path.clone(),
                sha256: tree::hash_tree(path)?,
                from_cache: false,
            });
        }
        SourceSpec::Url { url, sha256 } => (*sha256, Remote::Url { url }),
        SourceSpec::Pypi {
            name,
            version,
            sha256,
        } => (*sha256, Remote::Pypi { name, version }),
        SourceSpec::Debian {
            package,
            version,
            sha256,
        } => (*sha256, Remote::Debian { package, version }),
    };
    let cache = SourceCache::new(ctx.settings);
    if let Some(path) = cache.lookup(&sha256)? {
        tracing::debug!(%sha256, path = %path.display(), "source cache hit");
        return Ok(Fetched {
            path,
            sha256,
            from_cache: true,
        });
    }
    cache.init()?;
    let _lock = cache.lock(&sha256)?;
    // Another process may have fetched it while this one waited for the lock.
    if let Some(path) = cache.lookup(&sha256)? {
        tracing::debug!(%sha256, path = %path.display(), "source cache hit after waiting for the lock");
        return Ok(Fetched {
            path,
            sha256,
            from_cache: true,
        });
    }
    tracing::debug!(%sha256, ?remote, "source cache miss");
    let path = match remote {
        Remote::Url { url } => fetch_url(&cache, ctx, url, &sha256)?,
        Remote::Pypi { name, version } => fetch_pypi(&cache, ctx, name, version, &sha256)?,
        Remote::Debian { package, version } => {
            fetch_debian(&cache, ctx, package, version, &sha256)?
        }
    };
    Ok(Fetched {
        path,
        sha256,
        from_cache: false,
    })
}

/// The source kinds that are downloaded.
#[derive(Debug)]
enum Remote<'a> {
    Url { url: &'a str },
    Pypi { name: &'a str, version: &'a str },
    Debian { package: &'a str, version: &'a str },
}

/// The `sources-v0` bucket.
pub(super) struct SourceCache {
    dir: PathBuf,
}

impl SourceCache {
    pub(super) fn new(settings: &Settings) -> Self {
        Self {
            dir: settings.sources_dir(),
        }
    }

    /// The cached file for `sha256`, if there is one. Only the folder name is trusted: an
    /// entry folder is created by renaming a verified staging folder, never written in place.
    pub(super) fn lookup(&self, sha256: &Sha256) -> Result<Option<PathBuf>, SourceError> {
        let entry = self.dir.join(sha256.to_string());
        let files = match fs_err::read_dir(&entry) {
            Ok(files) => files,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SourceError::Read {
                    path: entry,
                    source,
                });
            }
        };
        for file in files {
            let file = file.map_err(|source| SourceError::Read {
                path: entry.clone(),
                source,
            })?;
            let is_file = file.file_type().is_ok_and(|kind| kind.is_file());
            if is_file && !file.file_name().to_string_lossy().starts_with('.') {
                return Ok(Some(file.path()));
            }
        }
        Ok(None)
    }

    /// Creates the bucket and its `CACHEDIR.TAG`.
    fn init(&self) -> Result<(), SourceError> {
        let tag = self.dir.join("CACHEDIR.TAG");
        if tag.is_file() {
            return Ok(());
        }
        let write_error = |source| SourceError::Write {
            path: tag.clone(),
            source,
        };
        crate::fs::write_atomic(&tag, CACHEDIR_TAG).map_err(write_error)?;
        // The temporary file it was written through is private (0600); the tag is not.
        fs_err::set_permissions(&tag, std::fs::Permissions::from_mode(0o644)).map_err(write_error)
    }

    /// Takes the entry's file lock; it is released when the returned file is dropped.
    fn lock(&self, sha256: &Sha256) -> Result<fs_err::File, SourceError> {
        let locks = self.dir.join(".locks");
        let path = locks.join(format!("{sha256}.lock"));
        let lock_error = |source| SourceError::CacheLock {
            path: path.clone(),
            source,
        };
        fs_err::create_dir_all(&locks).map_err(lock_error)?;
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lock_error)?;
        file.file().lock().map_err(lock_error)?;
        Ok(file)
    }

    /// A fresh staging folder inside the bucket (same file system, so the final rename is
    /// atomic); deleted when dropped unless [`SourceCache::commit`] took it.
    pub(super) fn staging(&self) -> Result<tempfile::TempDir, SourceError> {
        fs_err::create_dir_all(&self.dir).map_err(|source| SourceError::Write {
            path: self.dir.clone(),
            source,
        })?;
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempdir_in(&self.dir)
            .map_err(|source| SourceError::Write {
                path: self.dir.clone(),
                source,
            })
    }

    /// Checks the staged `file` against `expected` and, when it matches, moves its staging
    /// folder into place as the entry for `expected`. On a mismatch nothing is kept.
    fn commit(
        &self,
        staging: tempfile::TempDir,
        file: &Path,
        expected: &Sha256,
        origin: impl FnOnce() -> Origin,
    ) -> Result<PathBuf, SourceError> {
        let actual = Sha256::of_file(file).map_err(|source| SourceError::Read {
            path: file.to_path_buf(),
            source,
        })?;
        if actual != *expected {
            return Err(SourceError::HashMismatch {
                origin: Box::new(origin()),
                expected: *expected,
                actual,
            });
        }
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SourceError::Write { path, source }
        };
        fs_err::set_permissions(file, std::fs::Permissions::from_mode(0o644))
            .map_err(write_error(file))?;
        fs_err::File::open(file)
            .and_then(|handle| handle.sync_all())
            .map_err(write_error(file))?;
        fs_err::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(write_error(staging.path()))?;
        let entry = self.dir.join(expected.to_string());
        // A folder without a file (left by hand, or by another tool) would block the rename.
        tree::remove_any(&entry)?;
        fs_err::rename(staging.path(), &entry).map_err(write_error(&entry))?;
        let name = file.file_name().unwrap_or_default();
        let _ = staging.keep();
        Ok(entry.join(name))
    }
}

/// An HTTP client that trusts the configured CA bundle.
///
/// The bundle replaces the built-in roots: behind a TLS-intercepting proxy the proxy's CA is
/// only in that bundle, and the bundle normally holds the public roots too.
pub(super) fn http_agent(settings: &Settings) -> Result<ureq::Agent, SourceError> {
    let mut config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("kiln/", env!("CARGO_PKG_VERSION")));
    if let Some(bundle) = &settings.ca_bundle {
        let pem = fs_err::read(bundle).map_err(|source| SourceError::CaBundle {
            path: bundle.clone(),
            source,
        })?;
        let certificates: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(certificate)) => Some(certificate),
                _ => None,
            })
            .collect();
        if certificates.is_empty() {
            return Err(SourceError::CaBundleEmpty {
                path: bundle.clone(),
            });
        }
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certificates)))
            .build();
        config = config.tls_config(tls);
    }
    Ok(config.build().into())
}

/// Copies what `url` names into `dest`: an `http(s)` download or a `file://` copy.
pub(super) fn download_to(agent: &ureq::Agent, url: &str, dest: &Path) -> Result<(), SourceError> {
    let write_error = |source| SourceError::Write {
        path: dest.to_path_buf(),
        source,
    };
    let mut out = fs_err::File::create(dest).map_err(write_error)?;
    if let Some(path) = file_url_path(url) {
        let read_error = |source| SourceError::Read {
            path: path.clone(),
            source,
        };
        let mut input = fs_err::File::open(&path).map_err(read_error)?;
        copy_stream(&mut input, &mut out, read_error, write_error)?;
    } else if url.starts_with("https://") || url.starts_with("http://") {
        tracing::debug!(url, "downloading");
        let response = agent
            .get(url)
            // Ask for the bytes as stored: a server that gzips a `.tar.gz` on the fly would
            // hand back different bytes than the ones the sha256 is of.
            .header("Accept-Encoding", "identity")
            .call()
            .map_err(|source| SourceError::Http {
                url: url.to_string(),
                source: Box::new(source),
            })?;
        let mut body = response.into_body().into_reader();
        let body_error = |source| SourceError::HttpBody {
            url: url.to_string(),
            source,
        };
        copy_stream(&mut body, &mut out, body_error, write_error)?;
    } else {
        return Err(SourceError::UnsupportedUrl {
            url: url.to_string(),
        });
    }
    out.flush().map_err(write_error)
}

/// Copies `input` to `out`, telling a failed read (a broken connection, a folder named as a
/// file) from a failed write.
fn copy_stream(
    input: &mut dyn Read,
    out: &mut dyn Write,
    read_error: impl Fn(io::Error) -> SourceError,
    write_error: impl Fn(io::Error) -> SourceError,
) -> Result<(), SourceError> {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(read_error(source)),
        };
        out.write_all(&buffer[..read]).map_err(&write_error)?;
    }
}

/// The local path of a `file://` URL (`file:///abs` or `file://localhost/abs`), with
/// percent escapes decoded.
pub(super) fn file_url_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let bytes: OsString = std::os::unix::ffi::OsStringExt::from_vec(percent_decode(path));
    Some(PathBuf::from(bytes))
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = match bytes[index] {
            b'%' => bytes.get(index + 1..index + 3).and_then(|hex| {
                std::str::from_utf8(hex)
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            }),
            _ => None,
        };
        if let Some(byte) = escaped {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    out
}

/// The file name a URL ends in, made safe to use as a name in the cache.
pub(super) fn file_name_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    safe_file_name(&String::from_utf8_lossy(&percent_decode(last)))
}

/// `name` if it is a plain file name; else `download`.
pub(super) fn safe_file_name(name: &str) -> String {
    let plain = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0']);
    if plain {
        name.to_string()
    } else {
        "download".to_string()
    }
}

/// Downloads a `url` source. When the URL cannot be read and its file is named like an sdist
/// (`NAME-VERSION.tar.gz`, as in a Pyodide recipe's package-index URL), the configured
/// package index is asked for that sdist instead: a mirror or proxy serves the same file under
/// another address, and the recipe's sha256 still decides whether it is the same file.
fn fetch_url(
    cache: &SourceCache,
    ctx: &FetchContext,
    url: &str,
    expected: &Sha256,
) -> Result<PathBuf, SourceError> {
    let settings = ctx.settings;
    let is_supported = ["https://", "http://", "file://"]
        .iter()
        .any(|scheme| url.starts_with(scheme));
    if !is_supported {
        return Err(SourceError::UnsupportedUrl {
            url: url.to_string(),
        });
    }
    let agent = http_agent(settings)?;
    let staging = cache.staging()?;
    let file = staging.path().join(file_name_of(url));
    match download_to(&agent, url, &file) {
        Ok(()) => {}
        Err(error @ SourceError::Http { .. }) => {
            let Some((name, version)) = sdist_name_version(&file_name_of(url)) else {
                return Err(error);
            };
            let index = pypi::index_url(ctx)?;
            let Ok(sdist) = pypi::find_sdist(&agent, &index, &name, &version) else {
                return Err(error);
            };
            append_log(
                &ctx.log,
                &format!(
                    "kiln: `{url}` failed ({error}); the package index's `{}` instead\n",
                    sdist.url
                ),
            );
            download_to(&agent, &sdist.url, &file)?;
        }
        Err(error) => return Err(error),
    }
    cache.commit(staging, &file, expected, || Origin::Url {
        url: url.to_string(),
    })
}

/// `(name, version)` of an sdist file name (`pytest-benchmark-4.0.0.tar.gz`), when it is one.
fn sdist_name_version(file_name: &str) -> Option<(String, String)> {
    let stem = [".tar.gz", ".zip"]
        .iter()
        .find_map(|extension| file_name.strip_suffix(extension))?;
    let (name, version) = stem.rsplit_once('-')?;
    (crate::recipe::is_valid_name(name) && crate::recipe::is_pep440(version))
        .then(|| (name.to_string(), version.to_string()))
}

fn fetch_pypi(
    cache: &SourceCache,
    ctx: &FetchContext,
    name: &str,
    version: &str,
    expected: &Sha256,
) -> Result<PathBuf, SourceError> {
    let agent = http_agent(ctx.settings)?;
    let index = pypi::index_url(ctx)?;
    let sdist = pypi::find_sdist(&agent, &index, name, version)?;
    if let Some(listed) = sdist.sha256.filter(|listed| listed != expected) {
        return Err(SourceError::IndexHashMismatch {
            origin: Box::new(Origin::Pypi {
                name: name.to_string(),
                version: version.to_string(),
                url: sdist.url,
            }),
            expected: *expected,
            listed,
        });
    }
    let staging = cache.staging()?;
    let file = staging.path().join(safe_file_name(&sdist.filename));
    download_to(&agent, &sdist.url, &file)?;
    cache.commit(staging, &file, expected, || Origin::Pypi {
        name: name.to_string(),
        version: version.to_string(),
        url: sdist.url.clone(),
    })
}

/// The orig tarball of a Debian source package: first straight from the mirror's pool (the
/// file of exactly that version, which stays there as long as any suite or snapshot holds it),
/// then through `apt-get source` in the root (which only knows the suite's current version).
///
/// A moving suite (forky) drops versions from its index long before the pool drops the files,
/// and some mirrors serve the pool partially: the pool path pins the bytes, the sha256 checks
/// them, and `apt-get source` remains for mirrors whose pool kiln cannot guess.
fn fetch_debian(
    cache: &SourceCache,
    ctx: &FetchContext,
    package: &str,
    version: &str,
    expected: &Sha256,
) -> Result<PathBuf, SourceError> {
    let mirror = ctx
        .settings
        .debian_mirror
        .clone()
        .or_else(|| crate::toolchain::mirror::host_debian_mirror(Path::new("/etc/apt")));
    if let Some(mirror) = mirror {
        match fetch_debian_pool(cache, ctx, &mirror, package, version, expected) {
            Ok(path) => return Ok(path),
            // A wrong hash is an answer, not a reason to try elsewhere.
            Err(error @ SourceError::HashMismatch { .. }) => return Err(error),
            Err(error) => {
                tracing::debug!(%error, package, version, "not in the mirror's pool; trying apt-get source");
                append_log(
                    &ctx.log,
                    &format!(
                        "kiln: {package} {version} is not in the pool of `{mirror}` ({error}); trying `apt-get source`\n"
                    ),
                );
            }
        }
    }
    fetch_debian_apt(cache, ctx, package, version, expected)
}

/// `<mirror>/pool/main/<prefix>/<package>/<package>_<version>.orig.tar.<xz|gz|bz2>`.
fn fetch_debian_pool(
    cache: &SourceCache,
    ctx: &FetchContext,
    mirror: &str,
    package: &str,
    version: &str,
    expected: &Sha256,
) -> Result<PathBuf, SourceError> {
    let agent = http_agent(ctx.settings)?;
    let folder = pool_url(mirror, package);
    let mut last_error = None;
    for extension in ["xz", "gz", "bz2"] {
        let name = format!("{package}_{version}.orig.tar.{extension}");
        let url = format!("{folder}/{}", name.replace('~', "%7E"));
        let staging = cache.staging()?;
        let file = staging.path().join(&name);
        match download_to(&agent, &url, &file) {
            Ok(()) => {
                return cache.commit(staging, &file, expected, || Origin::Debian {
                    package: package.to_string(),
                    version: version.to_string(),
                    file: url.clone(),
                });
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.expect("three extensions were tried"))
}

/// The pool folder of a source package: `lib` packages are filed under four letters.
fn pool_url(mirror: &str, package: &str) -> String {
    let prefix = if package.starts_with("lib") && package.len() > 3 {
        &package[..4]
    } else {
        &package[..1]
    };
    format!(
        "{}/pool/main/{prefix}/{package}",
        mirror.trim_end_matches('/')
    )
}

fn append_log(log: &Path, text: &str) {
    use std::io::Write as _;
    if let Ok(mut file) = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = file.write_all(text.as_bytes());
    }
}

/// Runs `apt-get source --download-only PACKAGE` inside the toolchain root, in a staging
/// folder of the bind-mounted bucket (the same path inside and out), and keeps the upstream
/// orig tarball.
///
/// apt may exit non-zero while the tarball arrived (a `.dsc` it cannot verify, say), so the
/// result is judged by the file and its hash, never by the exit status alone.
fn fetch_debian_apt(
    cache: &SourceCache,
    ctx: &FetchContext,
    package: &str,
    version: &str,
    expected: &Sha256,
) -> Result<PathBuf, SourceError> {
    let toolchain = ctx
        .toolchain
        .ok_or_else(|| SourceError::ToolchainRequired {
            package: package.to_string(),
        })?;
    let download = cache.staging()?;
    let argv: Vec<OsString> = ["apt-get", "source", "--download-only", package]
        .iter()
        .map(OsString::from)
        .collect();
    let mut command = toolchain.command(&argv, download.path(), &[]);
    let status = run::run_logged_status(&mut command, &ctx.log).map_err(|source| {
        SourceError::AptSource {
            package: package.to_string(),
            source: Box::new(source),
        }
    })?;
    let mut names: Vec<String> = fs_err::read_dir(download.path())
        .map_err(|source| SourceError::Read {
            path: download.path().to_path_buf(),
            source,
        })?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let chosen = pick_orig_tarball(&names, package, version).map_err(|found| {
        tracing::debug!(%status, ?names, "apt-get source gave no matching orig tarball");
        SourceError::OrigTarballMissing {
            package: package.to_string(),
            version: version.to_string(),
            expected: format!("{package}_{version}.orig.tar.*"),
            found,
            log: ctx.log.clone(),
        }
    })?;
    if !status.success() {
        tracing::debug!(%status, file = chosen, "apt-get source failed, but the orig tarball arrived");
    }
    // Stage the tarball alone, so the entry folder holds nothing else.
    let staging = cache.staging()?;
    let file = staging.path().join(&chosen);
    fs_err::rename(download.path().join(&chosen), &file).map_err(|source| SourceError::Write {
        path: file.clone(),
        source,
    })?;
    cache.commit(staging, &file, expected, || Origin::Debian {
        package: package.to_string(),
        version: version.to_string(),
        file: chosen.clone(),
    })
}

/// Picks `PACKAGE_VERSION.orig.tar.EXT` among the files apt downloaded. Component tarballs
/// (`.orig-COMPONENT.tar.*`) and signatures (`.asc`) are never picked. When `package` is a
/// binary package, apt names the files after the source package, so a single orig tarball
/// of the right version under another name is taken too.
///
/// On failure, returns the orig tarballs that were there, to show what the suite has.
pub(super) fn pick_orig_tarball(
    names: &[String],
    package: &str,
    version: &str,
) -> Result<String, Vec<String>> {
    let origs: Vec<(&str, &str, &String)> = names
        .iter()
        .filter_map(|name| {
            let (stem, extension) = name.split_once(".orig.tar.")?;
            if extension.is_empty() || extension.contains('.') {
                return None;
            }
            let (source_package, upstream) = stem.split_once('_')?;
            Some((source_package, upstream, name))
        })
        .collect();
    if let Some((_, _, name)) = origs
        .iter()
        .find(|(source, upstream, _)| *source == package && *upstream == version)
    {
        return Ok((*name).clone());
    }
    let same_version: Vec<_> = origs
        .iter()
        .filter(|(_, upstream, _)| *upstream == version)
        .collect();
    if let [(_, _, name)] = same_version.as_slice() {
        return Ok((*name).clone());
    }
    Err(origs.iter().map(|(_, _, name)| (*name).clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn pool_folders_follow_debian_layout() {
        assert_eq!(
            pool_url("http://m/debian/", "python3.15"),
            "http://m/debian/pool/main/p/python3.15"
        );
        assert_eq!(
            pool_url("http://m/debian", "libffi"),
            "http://m/debian/pool/main/libf/libffi"
        );
        assert_eq!(
            pool_url("http://m/debian", "lz4"),
            "http://m/debian/pool/main/l/lz4"
        );
    }

    #[test]
    fn picks_the_orig_tarball_not_components_or_signatures() {
        let files = names(&[
            "python3.13_3.13.5-2.debian.tar.xz",
            "python3.13_3.13.5-2.dsc",
            "python3.13_3.13.5.orig-docs.tar.xz",
            "python3.13_3.13.5.orig.tar.xz",
            "python3.13_3.13.5.orig.tar.xz.asc",
        ]);
        assert_eq!(
            pick_orig_tarball(&files, "python3.13", "3.13.5").unwrap(),
            "python3.13_3.13.5.orig.tar.xz"
        );
    }

    #[test]
    fn another_upstream_version_is_reported() {
        let files = names(&["zlib_1.3.1.orig.tar.gz", "zlib_1.3.1-1.dsc"]);
        assert_eq!(
            pick_orig_tarball(&files, "zlib", "1.3"),
            Err(names(&["zlib_1.3.1.orig.tar.gz"]))
        );
        assert_eq!(
            pick_orig_tarball(&names(&["x.dsc"]), "zlib", "1.3"),
            Err(vec![])
        );
    }

    #[test]
    fn binary_package_name_finds_the_source_package_tarball() {
        let files = names(&["zlib_1.3.1.orig.tar.gz"]);
        assert_eq!(
            pick_orig_tarball(&files, "zlib1g", "1.3.1").unwrap(),
            "zlib_1.3.1.orig.tar.gz"
        );
    }

    #[test]
    fn file_urls_and_names() {
        assert_eq!(
            file_url_path("file:///tmp/a%20b/x.tar.gz"),
            Some(PathBuf::from("/tmp/a b/x.tar.gz"))
        );
        assert_eq!(
            file_url_path("file://localhost/x"),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(file_url_path("file://host/x"), None);
        assert_eq!(
            file_name_of("https://example.invalid/d/pkg-1.0.tar.gz?x=1#frag"),
            "pkg-1.0.tar.gz"
        );
        assert_eq!(file_name_of("https://example.invalid/d/"), "download");
        assert_eq!(file_name_of("https://example.invalid/%2e%2e"), "download");
    }
}
