//! The remote artifact cache: build entries (and the toolchain root) on an S3-compatible store,
//! shared by every machine that builds with the same keys.
//!
//! `--remote-cache s3://bucket/prefix` (or `KILN_REMOTE_CACHE`); endpoint, region and
//! credentials come from the standard `AWS_*` variables (`AWS_ENDPOINT_URL` included), read by
//! [`crate::config`]. Plain HTTP is allowed for a loopback endpoint, elsewhere only with
//! `AWS_ALLOW_HTTP=true`. The client is `object_store` (Apache Arrow's, used by DataFusion,
//! delta-rs and polars): one well-kept crate for S3's signing, retries and multipart uploads.
//!
//! Layout under the prefix:
//! ```text
//! v0/blobs/<sha256>.tar.zst           a folder as a zstd tar; named by its own sha256
//! v0/builds/<name>/<key>.json         pointer: {sha256, size, info}; the entry `<name>/<key>`
//! v0/toolchains/<root name>.json      pointer to a toolchain root's folder
//! v0/failed/<name>/<key>              a shard's build of that key failed (shards stop waiting)
//! ```
//! An archive is uploaded before its pointer, and each is one atomic PUT: a reader sees either
//! no pointer or a pointer to a complete blob. Blobs are content-addressed, so two builders
//! pushing the same key at once write either the same blob or two different ones, and the
//! pointer that lands last names one of them, whole; nobody ever overwrites bytes another
//! pointer names. A download goes to a temporary file, is hashed on the way, and is refused
//! unless its sha256 equals both the pointer's and its name's; only then is it unpacked into
//! a staging folder that the local cache renames into place ([`super::Staging`]).
//!
//! The remote only ever costs speed: any error becomes one warning, after which this run stops
//! using the remote (a dead endpoint is not asked again for every recipe) and builds locally.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};
use serde::{Deserialize, Serialize};

use super::ArtifactInfo;
use crate::hash::Sha256;

/// The layout version of everything under the prefix.
const LAYOUT: &str = "v0";

/// The largest pointer read (they are a few hundred bytes).
const MAX_POINTER_BYTES: usize = 64 * 1024;

/// Multipart chunk size for blob uploads.
const CHUNK: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("`{0}` is not a remote cache URL")]
    Url(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the remote cache `{url}`")]
    Store {
        url: String,
        #[source]
        source: object_store::Error,
    },
    #[error(
        "the remote object `{object}` is corrupt:\n  expected sha256: {expected}\n  actual sha256:   {actual}"
    )]
    Corrupt {
        object: String,
        expected: String,
        actual: String,
    },
    #[error("the remote pointer `{object}` is not valid")]
    Pointer {
        object: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> RemoteError + 'p {
    move |source| RemoteError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// What [`crate::config`] resolved for the remote: the URL and the `AWS_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    /// `s3://bucket` or `s3://bucket/prefix`.
    pub url: String,
    /// `AWS_*` variables as set, by name (`AWS_ENDPOINT_URL`, `AWS_REGION`…).
    pub aws_env: Vec<(String, String)>,
    /// A CA bundle to trust besides the system's (kiln's `KILN_CA_BUNDLE`…).
    pub ca_bundle: Option<PathBuf>,
}

/// A pointer: which blob holds an entry, and what the entry is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pointer {
    pub sha256: String,
    pub size: u64,
    /// For a build entry, its `artifact.json`; for a toolchain root, `null`.
    pub info: Option<ArtifactInfo>,
}

/// The remote cache of one run.
pub struct RemoteCache {
    url: String,
    store: Arc<AmazonS3>,
    prefix: String,
    runtime: tokio::runtime::Runtime,
    /// Local folder for archives on their way up or down (same file system as the cache).
    scratch: PathBuf,
    /// Set after the first failure: the rest of the run is local.
    broken: AtomicBool,
    warn: Box<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for RemoteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteCache")
            .field("url", &self.url)
            .finish()
    }
}

/// True for `localhost`, `127.0.0.0/8` and `[::1]`.
fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let host = rest.split('/').next().unwrap_or("");
    let host = if let Some(bracketed) = host.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(host, _)| host)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// `s3://bucket/some/prefix` → (`bucket`, `some/prefix`).
fn parse_url(url: &str) -> Result<(String, String), RemoteError> {
    let error = |message: &str| RemoteError::Url(url.to_string(), message.to_string().into());
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| error("expected `s3://BUCKET/PREFIX`"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() || bucket.contains(['\\', '\0']) {
        return Err(error("no bucket name"));
    }
    let prefix = prefix.trim_matches('/').to_string();
    if prefix
        .split('/')
        .any(|part| part == ".." || part == "." || (part.is_empty() && !prefix.is_empty()))
    {
        return Err(error("the prefix must be plain folder names"));
    }
    Ok((bucket.to_string(), prefix))
}

impl RemoteCache {
    /// Connects (lazily: nothing is sent until the first request). `scratch` is a local
    /// folder for archives in transit; `warn` shows a warning to the user.
    pub fn open(
        settings: &RemoteSettings,
        scratch: PathBuf,
        warn: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<Self, RemoteError> {
        let (bucket, prefix) = parse_url(&settings.url)?;
        let mut builder = AmazonS3Builder::new();
        let mut endpoint = None;
        for (name, value) in &settings.aws_env {
            if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value);
            }
            if name == "AWS_ENDPOINT_URL" || name == "AWS_ENDPOINT" {
                endpoint = Some(value.clone());
            }
        }
        let mut options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(300));
        if endpoint.as_deref().is_some_and(is_loopback_url) {
            options = options.with_allow_http(true);
        }
        if let Some(bundle) = &settings.ca_bundle
            && let Ok(pem) = fs_err::read(bundle)
            && let Ok(certificates) = object_store::Certificate::from_pem_bundle(&pem)
        {
            for certificate in certificates {
                options = options.with_root_certificate(certificate);
            }
        }
        let has_region = settings
            .aws_env
            .iter()
            .any(|(name, _)| name == "AWS_REGION" || name == "AWS_DEFAULT_REGION");
        if !has_region {
            builder = builder.with_region("us-east-1");
        }
        let store = builder
            .with_bucket_name(bucket)
            .with_client_options(options)
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(200),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 2,
                retry_timeout: Duration::from_secs(20),
            })
            .build()
            .map_err(|source| RemoteError::Store {
                url: settings.url.clone(),
                source,
            })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(io("start the remote cache's I/O threads for", &scratch))?;
        Ok(Self {
            url: settings.url.clone(),
            store: Arc::new(store),
            prefix,
            runtime,
            scratch,
            broken: AtomicBool::new(false),
            warn,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn object(&self, relative: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(format!("{LAYOUT}/{relative}"))
        } else {
            ObjectPath::from(format!("{}/{LAYOUT}/{relative}", self.prefix))
        }
    }

    fn store_error(&self, source: object_store::Error) -> RemoteError {
        RemoteError::Store {
            url: self.url.clone(),
            source,
        }
    }

    /// Whether the remote is still in use this run.
    pub fn usable(&self) -> bool {
        !self.broken.load(Ordering::Relaxed)
    }

    /// Turns an error into the one warning of this run (later errors are quiet) and stops
    /// using the remote; `what` says what was being done.
    pub fn give_up(&self, what: &str, error: &RemoteError) {
        let mut message = format!("{what}: {error}");
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            message.push_str(&format!("\n  Caused by: {inner}"));
            cause = inner.source();
        }
        if matches!(error, RemoteError::Corrupt { .. }) {
            // A bad object is that object's problem: keep using the remote for the others.
            (self.warn)(&format!("{message}\n  (refused; building locally)"));
            return;
        }
        if !self.broken.swap(true, Ordering::Relaxed) {
            (self.warn)(&format!(
                "{message}\n  (the remote cache is not used for the rest of this run; building locally)"
            ));
        } else {
            tracing::debug!("remote cache: {message}");
        }
    }

    fn entry_pointer(name: &str, key: &Sha256) -> String {
        format!("builds/{name}/{key}.json")
    }

    fn root_pointer(root_name: &str) -> String {
        format!("toolchains/{root_name}.json")
    }

    /// Reads a pointer; `None` when there is none.
    fn read_pointer(&self, relative: &str) -> Result<Option<Pointer>, RemoteError> {
        let path = self.object(relative);
        self.runtime.block_on(async {
            let result = match self.store.get(&path).await {
                Ok(result) => result,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(error) => return Err(self.store_error(error)),
            };
            if result.meta.size > MAX_POINTER_BYTES as u64 {
                return Err(RemoteError::Pointer {
                    object: path.to_string(),
                    source: "larger than a pointer can be".into(),
                });
            }
            let bytes = result
                .bytes()
                .await
                .map_err(|error| self.store_error(error))?;
            let pointer: Pointer =
                serde_json::from_slice(&bytes).map_err(|error| RemoteError::Pointer {
                    object: path.to_string(),
                    source: error.into(),
                })?;
            pointer
                .sha256
                .parse::<Sha256>()
                .map_err(|error| RemoteError::Pointer {
                    object: path.to_string(),
                    source: error.into(),
                })?;
            Ok(Some(pointer))
        })
    }

    /// Whether the remote has an entry for `name`/`key` (its pointer exists).
    pub fn has_entry(&self, name: &str, key: &Sha256) -> Result<bool, RemoteError> {
        let path = self.object(&Self::entry_pointer(name, key));
        self.runtime.block_on(async {
            match self.store.head(&path).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(error) => Err(self.store_error(error)),
            }
        })
    }

    /// Whether a shard recorded that its build of `name`/`key` failed.
    pub fn has_failed(&self, name: &str, key: &Sha256) -> Result<bool, RemoteError> {
        let path = self.object(&format!("failed/{name}/{key}"));
        self.runtime.block_on(async {
            match self.store.head(&path).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(error) => Err(self.store_error(error)),
            }
        })
    }

    /// Records that the build of `name`/`key` failed, so shards waiting for it stop.
    pub fn mark_failed(&self, name: &str, key: &Sha256) -> Result<(), RemoteError> {
        let path = self.object(&format!("failed/{name}/{key}"));
        self.runtime.block_on(async {
            self.store
                .put(&path, PutPayload::from_static(b"failed\n"))
                .await
                .map(|_| ())
                .map_err(|error| self.store_error(error))
        })
    }

    /// Downloads the entry `name`/`key` into `staging` (an empty folder but for `prefix/`,
    /// which is replaced) and returns its info, or `None` when the remote does not have it.
    pub fn pull_entry(
        &self,
        name: &str,
        key: &Sha256,
        staging: &Path,
    ) -> Result<Option<ArtifactInfo>, RemoteError> {
        let relative = Self::entry_pointer(name, key);
        let Some(pointer) = self.read_pointer(&relative)? else {
            return Ok(None);
        };
        let info = pointer.info.clone().ok_or_else(|| RemoteError::Pointer {
            object: relative.clone(),
            source: "no artifact info".into(),
        })?;
        if info.name != name || info.key != key.to_string() {
            return Err(RemoteError::Pointer {
                object: relative,
                source: format!("it names `{}` `{}`", info.name, info.key).into(),
            });
        }
        let prefix = staging.join("prefix");
        if prefix.is_dir() {
            fs_err::remove_dir(&prefix).map_err(io("replace", &prefix))?;
        }
        self.download_and_unpack(&pointer, staging)?;
        Ok(Some(info))
    }

    /// Uploads a finished cache entry (its folder: `prefix/`, `build.log`, `artifact.json`),
    /// unless the remote already has it.
    pub fn push_entry(&self, entry_dir: &Path, info: &ArtifactInfo) -> Result<bool, RemoteError> {
        let key: Sha256 = info.key.parse().map_err(|error| RemoteError::Pointer {
            object: info.key.clone(),
            source: Box::new(error),
        })?;
        if self.has_entry(&info.name, &key)? {
            return Ok(false);
        }
        let relative = Self::entry_pointer(&info.name, &key);
        self.upload_dir(entry_dir, &relative, Some(info.clone()))?;
        Ok(true)
    }

    /// Fetches the toolchain root `root_name` into `target` (a folder that must not exist
    /// yet; the caller renames it into place). `None` when the remote has none.
    pub fn pull_root(&self, root_name: &str, target: &Path) -> Result<Option<()>, RemoteError> {
        let Some(pointer) = self.read_pointer(&Self::root_pointer(root_name))? else {
            return Ok(None);
        };
        fs_err::create_dir_all(target).map_err(io("create", target))?;
        self.download_and_unpack(&pointer, target)?;
        Ok(Some(()))
    }

    /// Uploads the toolchain root folder `home` (`root/` and `toolchain.lock`).
    pub fn push_root(&self, root_name: &str, home: &Path) -> Result<bool, RemoteError> {
        if self.read_pointer(&Self::root_pointer(root_name))?.is_some() {
            return Ok(false);
        }
        self.upload_dir(home, &Self::root_pointer(root_name), None)?;
        Ok(true)
    }

    /// Archives `dir`, uploads the blob (multipart, by its sha256), then the pointer.
    fn upload_dir(
        &self,
        dir: &Path,
        pointer_relative: &str,
        info: Option<ArtifactInfo>,
    ) -> Result<(), RemoteError> {
        fs_err::create_dir_all(&self.scratch).map_err(io("create", &self.scratch))?;
        let archive = tempfile::Builder::new()
            .prefix(".push-")
            .suffix(".tar.zst")
            .tempfile_in(&self.scratch)
            .map_err(io("create a temporary file in", &self.scratch))?;
        let (sha256, size) = write_archive(dir, archive.path())?;
        let blob = self.object(&format!("blobs/{sha256}.tar.zst"));
        let pointer = Pointer {
            sha256: sha256.to_string(),
            size,
            info,
        };
        let pointer_bytes = serde_json::to_vec_pretty(&pointer).expect("pointer serialises");
        let pointer_path = self.object(pointer_relative);
        self.runtime.block_on(async {
            let exists = match self.store.head(&blob).await {
                Ok(meta) => meta.size == size,
                Err(object_store::Error::NotFound { .. }) => false,
                Err(error) => return Err(self.store_error(error)),
            };
            if !exists {
                let upload = self
                    .store
                    .put_multipart(&blob)
                    .await
                    .map_err(|error| self.store_error(error))?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
                let mut file =
                    fs_err::File::open(archive.path()).map_err(io("read", archive.path()))?;
                let mut buffer = vec![0u8; 1024 * 1024];
                loop {
                    let read = file.read(&mut buffer).map_err(io("read", archive.path()))?;
                    if read == 0 {
                        break;
                    }
                    writer
                        .wait_for_capacity(4)
                        .await
                        .map_err(|error| self.store_error(error))?;
                    writer.write(&buffer[..read]);
                }
                writer
                    .finish()
                    .await
                    .map_err(|error| self.store_error(error))?;
            }
            self.store
                .put(&pointer_path, PutPayload::from(pointer_bytes))
                .await
                .map_err(|error| self.store_error(error))?;
            Ok(())
        })
    }

    /// Downloads the pointer's blob into a temporary file, checks its sha256, unpacks it.
    fn download_and_unpack(&self, pointer: &Pointer, target: &Path) -> Result<(), RemoteError> {
        fs_err::create_dir_all(&self.scratch).map_err(io("create", &self.scratch))?;
        let blob = self.object(&format!("blobs/{}.tar.zst", pointer.sha256));
        let mut download = tempfile::Builder::new()
            .prefix(".pull-")
            .suffix(".tar.zst")
            .tempfile_in(&self.scratch)
            .map_err(io("create a temporary file in", &self.scratch))?;
        let actual = self.runtime.block_on(async {
            let result = self
                .store
                .get(&blob)
                .await
                .map_err(|error| self.store_error(error))?;
            let mut stream = result.into_stream();
            let mut hasher = sha2::Sha256::default();
            let path = download.path().to_path_buf();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|error| self.store_error(error))?;
                sha2::Digest::update(&mut hasher, &chunk);
                download
                    .as_file_mut()
                    .write_all(&chunk)
                    .map_err(io("write", &path))?;
            }
            let digest: [u8; 32] = sha2::Digest::finalize(hasher).into();
            Ok::<_, RemoteError>(hex::encode(digest))
        })?;
        if actual != pointer.sha256 {
            return Err(RemoteError::Corrupt {
                object: blob.to_string(),
                expected: pointer.sha256.clone(),
                actual,
            });
        }
        unpack_archive(download.path(), target)
    }
}

/// Writes `dir` as a zstd-compressed tar (entries sorted, links kept as links) to `archive`;
/// returns its sha256 and size.
fn write_archive(dir: &Path, archive: &Path) -> Result<(Sha256, u64), RemoteError> {
    let file = fs_err::File::create(archive).map_err(io("create", archive))?;
    let encoder = zstd::Encoder::new(file, 3).map_err(io("compress into", archive))?;
    let mut builder = tar::Builder::new(encoder);
    builder.follow_symlinks(false);
    append_sorted(&mut builder, dir, Path::new(""))?;
    let encoder = builder.into_inner().map_err(io("write", archive))?;
    encoder
        .finish()
        .and_then(|file| file.sync_all())
        .map_err(io("write", archive))?;
    let size = fs_err::metadata(archive)
        .map_err(io("read", archive))?
        .len();
    let sha256 = Sha256::of_file(archive).map_err(io("read", archive))?;
    Ok((sha256, size))
}

fn append_sorted<W: Write>(
    builder: &mut tar::Builder<W>,
    dir: &Path,
    relative: &Path,
) -> Result<(), RemoteError> {
    let mut entries: Vec<_> = fs_err::read_dir(dir)
        .map_err(io("read", dir))?
        .flatten()
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        let name = relative.join(entry.file_name());
        let kind = entry.file_type().map_err(io("read", &path))?;
        if kind.is_dir() {
            builder
                .append_dir(&name, &path)
                .map_err(io("archive", &path))?;
            append_sorted(builder, &path, &name)?;
        } else if kind.is_file() || kind.is_symlink() {
            builder
                .append_path_with_name(&path, &name)
                .map_err(io("archive", &path))?;
        }
        // Sockets, FIFOs and device nodes are left out: a toolchain root gets /dev mounted.
    }
    Ok(())
}

/// Unpacks a verified archive into `target`; entries that would land outside are refused by
/// the tar crate's `unpack_in`.
fn unpack_archive(archive: &Path, target: &Path) -> Result<(), RemoteError> {
    let file = fs_err::File::open(archive).map_err(io("read", archive))?;
    let decoder = zstd::Decoder::new(file).map_err(io("decompress", archive))?;
    let mut tar = tar::Archive::new(decoder);
    tar.set_preserve_permissions(true);
    tar.set_preserve_ownerships(true);
    tar.set_unpack_xattrs(false);
    tar.set_overwrite(true);
    for entry in tar.entries().map_err(io("read", archive))? {
        let mut entry = entry.map_err(io("read", archive))?;
        entry.unpack_in(target).map_err(io("unpack into", target))?;
    }
    Ok(())
}

/// Waits until the remote has `name`/`key`, a shard marked it failed, or `timeout` passed.
pub fn wait_for(
    remote: &RemoteCache,
    name: &str,
    key: &Sha256,
    timeout: Duration,
    poll: Duration,
) -> Result<WaitOutcome, RemoteError> {
    let started = std::time::Instant::now();
    loop {
        if remote.has_entry(name, key)? {
            return Ok(WaitOutcome::Present);
        }
        if remote.has_failed(name, key)? {
            return Ok(WaitOutcome::Failed);
        }
        if started.elapsed() >= timeout {
            return Ok(WaitOutcome::TimedOut);
        }
        std::thread::sleep(poll);
    }
}

/// What [`wait_for`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    Present,
    Failed,
    TimedOut,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_loopback() {
        assert_eq!(
            parse_url("s3://bucket/ci/kiln/").unwrap(),
            ("bucket".into(), "ci/kiln".into())
        );
        assert_eq!(
            parse_url("s3://bucket").unwrap(),
            ("bucket".into(), "".into())
        );
        assert!(parse_url("https://bucket/x").is_err());
        assert!(parse_url("s3://bucket/a/../b").is_err());
        assert!(parse_url("s3:///x").is_err());
        assert!(is_loopback_url("http://127.0.0.1:9000"));
        assert!(is_loopback_url("http://localhost:9000/"));
        assert!(is_loopback_url("http://[::1]:9000"));
        assert!(!is_loopback_url("http://10.0.0.1:9000"));
        assert!(!is_loopback_url("http://example.invalid"));
    }

    #[test]
    fn archives_round_trip_with_links_and_modes() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("entry");
        fs_err::create_dir_all(dir.join("prefix/lib")).unwrap();
        fs_err::write(dir.join("prefix/lib/libx.so"), b"so").unwrap();
        std::os::unix::fs::symlink("libx.so", dir.join("prefix/lib/libx.so.1")).unwrap();
        fs_err::write(dir.join("prefix/run.sh"), b"#!/bin/sh\n").unwrap();
        fs_err::set_permissions(
            dir.join("prefix/run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let archive = temp.path().join("a.tar.zst");
        let (sha, size) = write_archive(&dir, &archive).unwrap();
        assert_eq!(size, fs_err::metadata(&archive).unwrap().len());
        assert_eq!(sha, Sha256::of_file(&archive).unwrap());
        let out = temp.path().join("out");
        fs_err::create_dir_all(&out).unwrap();
        unpack_archive(&archive, &out).unwrap();
        assert_eq!(fs_err::read(out.join("prefix/lib/libx.so")).unwrap(), b"so");
        assert_eq!(
            fs_err::read_link(out.join("prefix/lib/libx.so.1")).unwrap(),
            Path::new("libx.so")
        );
        let mode = fs_err::metadata(out.join("prefix/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
}
