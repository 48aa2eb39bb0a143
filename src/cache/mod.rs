//! The content-addressed build cache.
//!
//! A recipe's build is stored under the hash of everything that went into it (see [`key`]),
//! so "is it built?" is a directory lookup, never a comparison of file times. Layout:
//! ```text
//! builds-v0/
//!   CACHEDIR.TAG
//!   <name>/<key>/          a finished build: renamed into place only when complete
//!     artifact.json        what was built, from which key, and how long it took
//!     prefix/              what the build script installed into $PREFIX
//!     build.log            the full build log
//!   <name>/.<key>.lock     file lock held while that key is being built
//!   <name>/.tmp-<key>-<pid>/  a build under way (removed when found stale)
//! ```
//! Concurrent kiln processes that need the same key serialise on its lock; the second
//! finds the first's result and builds nothing.
//!
//! `<name>` is always one path component ([`crate::fs::child`]), and an entry is listed only
//! when its `artifact.json` agrees with where it lies (name and key equal to its folders): a
//! tampered `name = "../../x"` never makes `kiln cache prune` remove anything outside.

pub mod key;
pub mod remote;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::Sha256;

/// Bump when the layout of an entry changes; old entries are then simply not found.
pub const BUILDS_BUCKET: &str = "builds-v0";

/// The largest `artifact.json` read; kiln writes a few hundred bytes.
const MAX_ARTIFACT_INFO_BYTES: u64 = 64 * 1024;

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is kiln's build cache; backup tools may skip it.\n";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot write to the build cache at `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the build cache entry `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Input(#[from] crate::fs::InputError),
    /// A recipe name that is not one folder name.
    #[error(transparent)]
    Outside(#[from] crate::fs::ContainmentError),
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// What `artifact.json` records about a finished build.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArtifactInfo {
    pub name: String,
    pub version: String,
    pub kind: String,
    pub key: String,
    pub build_seconds: f64,
}

/// A finished build in the cache.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub dir: PathBuf,
    pub info: ArtifactInfo,
}

impl Artifact {
    /// What the build installed into `$PREFIX`.
    pub fn prefix(&self) -> PathBuf {
        self.dir.join("prefix")
    }

    pub fn log(&self) -> PathBuf {
        self.dir.join("build.log")
    }
}

/// The build cache under the user's cache folder.
#[derive(Debug, Clone)]
pub struct BuildCache {
    dir: PathBuf,
}

impl BuildCache {
    pub fn new(cache_dir: &Path) -> Self {
        Self {
            dir: cache_dir.join(BUILDS_BUCKET),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `builds-v0/<name>`, refused unless `name` is one folder name.
    fn bucket(&self, name: &str) -> Result<PathBuf, CacheError> {
        Ok(crate::fs::child(&self.dir, name, "recipe name")?)
    }

    fn entry_dir(&self, name: &str, key: &Sha256) -> Result<PathBuf, CacheError> {
        Ok(self.bucket(name)?.join(key.to_string()))
    }

    /// The finished build for `key`, if there is one.
    pub fn lookup(&self, name: &str, key: &Sha256) -> Result<Option<Artifact>, CacheError> {
        let dir = self.entry_dir(name, key)?;
        let info_path = dir.join("artifact.json");
        if !info_path.exists() {
            return Ok(None);
        }
        let text = read_info(&info_path)?;
        let info = serde_json::from_str(&text).map_err(|error| CacheError::Read {
            path: info_path,
            source: std::io::Error::other(error),
        })?;
        Ok(Some(Artifact { dir, info }))
    }

    /// Takes the lock for `key` and prepares an empty staging folder for its build. Returns
    /// `Err(artifact)`-like [`Begun::Done`] when another process finished it meanwhile.
    pub fn begin(&self, name: &str, key: &Sha256) -> Result<Begun, CacheError> {
        let bucket = self.bucket(name)?;
        fs_err::create_dir_all(&bucket).map_err(write_error(&bucket))?;
        let tag = self.dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            crate::fs::write_atomic(&tag, CACHEDIR_TAG.as_bytes()).map_err(write_error(&tag))?;
        }
        let lock_path = bucket.join(format!(".{key}.lock"));
        let lock = fs_err::File::create(&lock_path).map_err(write_error(&lock_path))?;
        lock.file().lock().map_err(write_error(&lock_path))?;
        if let Some(artifact) = self.lookup(name, key)? {
            return Ok(Begun::Done(artifact));
        }
        // With the lock held, any staging folder for this key is from a dead process.
        let stale_prefix = format!(".tmp-{key}-");
        for entry in fs_err::read_dir(&bucket)
            .map_err(write_error(&bucket))?
            .flatten()
        {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(&stale_prefix)
            {
                let path = entry.path();
                fs_err::remove_dir_all(&path).map_err(write_error(&path))?;
            }
        }
        let staging = bucket.join(format!("{stale_prefix}{}", std::process::id()));
        fs_err::create_dir_all(staging.join("prefix")).map_err(write_error(&staging))?;
        Ok(Begun::Staging(Staging {
            staging,
            target: self.entry_dir(name, key)?,
            _lock: lock,
        }))
    }

    /// Removes the entry for `key` (for `--force-rebuild`), under its lock.
    pub fn remove(&self, name: &str, key: &Sha256) -> Result<(), CacheError> {
        let bucket = self.bucket(name)?;
        let dir = self.entry_dir(name, key)?;
        if !dir.exists() {
            return Ok(());
        }
        let lock_path = bucket.join(format!(".{key}.lock"));
        let lock = fs_err::File::create(&lock_path).map_err(write_error(&lock_path))?;
        lock.file().lock().map_err(write_error(&lock_path))?;
        // Rename first so no reader ever sees a half-deleted entry.
        let doomed = bucket.join(format!(".tmp-{key}-removed-{}", std::process::id()));
        fs_err::rename(&dir, &doomed).map_err(write_error(&dir))?;
        fs_err::remove_dir_all(&doomed).map_err(write_error(&doomed))
    }

    /// Every finished entry, for `kiln cache list` and `prune`. An entry whose
    /// `artifact.json` is unreadable, or names another recipe or key than the folders it lies
    /// in, is left out (and logged): its name or key is never trusted to build a path.
    pub fn entries(&self) -> Vec<Artifact> {
        let mut found = Vec::new();
        let Ok(names) = fs_err::read_dir(&self.dir) else {
            return found;
        };
        for name in names.flatten() {
            // Not following links: every entry lies inside the cache.
            if !name.file_type().is_ok_and(|kind| kind.is_dir()) {
                continue;
            }
            let Ok(keys) = fs_err::read_dir(name.path()) else {
                continue;
            };
            for key in keys.flatten() {
                if !key.file_type().is_ok_and(|kind| kind.is_dir())
                    || key.file_name().to_string_lossy().starts_with('.')
                {
                    continue;
                }
                let dir = key.path();
                let info: ArtifactInfo =
                    match read_info(&dir.join("artifact.json")).and_then(|text| {
                        serde_json::from_str(&text).map_err(|error| CacheError::Read {
                            path: dir.join("artifact.json"),
                            source: std::io::Error::other(error),
                        })
                    }) {
                        Ok(info) => info,
                        Err(error) => {
                            tracing::debug!(
                                "skipping the cache entry `{}`: {error}",
                                dir.display()
                            );
                            continue;
                        }
                    };
                let agrees = name.file_name().to_str() == Some(info.name.as_str())
                    && key.file_name().to_str() == Some(info.key.as_str())
                    && info.key.parse::<Sha256>().is_ok();
                if agrees {
                    found.push(Artifact { dir, info });
                } else {
                    tracing::warn!(
                        "skipping the cache entry `{}`: its artifact.json names `{}` `{}`",
                        dir.display(),
                        info.name.escape_debug(),
                        info.key.escape_debug()
                    );
                }
            }
        }
        found.sort_by(|a, b| a.info.name.cmp(&b.info.name).then(a.dir.cmp(&b.dir)));
        found
    }
}

/// Reads an `artifact.json`: a regular file of bounded size (the cache may be tampered with).
fn read_info(path: &Path) -> Result<String, CacheError> {
    Ok(crate::fs::read_bounded_to_string(
        path,
        MAX_ARTIFACT_INFO_BYTES,
        "the build cache entry",
    )?)
}

/// The outcome of [`BuildCache::begin`].
pub enum Begun {
    /// Someone else built this key while we waited for its lock.
    Done(Artifact),
    /// We hold the lock; build into [`Staging::prefix`], then [`Staging::commit`].
    Staging(Staging),
}

/// A build under way: a private folder and the key's lock.
pub struct Staging {
    staging: PathBuf,
    target: PathBuf,
    _lock: fs_err::File,
}

impl Staging {
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    pub fn prefix(&self) -> PathBuf {
        self.staging.join("prefix")
    }

    /// Empties the staging folder (after a download that failed half-way).
    pub fn reset(&self) -> Result<(), CacheError> {
        fs_err::remove_dir_all(&self.staging).map_err(write_error(&self.staging))?;
        fs_err::create_dir_all(self.staging.join("prefix")).map_err(write_error(&self.staging))
    }

    /// Writes `artifact.json` and renames the folder into place: from here on the build is
    /// visible to every kiln process, and never half of it.
    pub fn commit(self, info: ArtifactInfo) -> Result<Artifact, CacheError> {
        let info_path = self.staging.join("artifact.json");
        let text = serde_json::to_string_pretty(&info).expect("artifact info serialises");
        crate::fs::write_atomic(&info_path, text.as_bytes()).map_err(write_error(&info_path))?;
        crate::fs::rename_dir_into_place(&self.staging, &self.target)
            .map_err(write_error(&self.target))?;
        Ok(Artifact {
            dir: self.target.clone(),
            info,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // A build that failed leaves nothing in the cache (its log was copied out first).
        if self.staging.exists() {
            let _ = fs_err::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(key: &Sha256) -> ArtifactInfo {
        ArtifactInfo {
            name: "zlib".into(),
            version: "1".into(),
            kind: "static_library".into(),
            key: key.to_string(),
            build_seconds: 0.5,
        }
    }

    #[test]
    fn commit_makes_the_entry_visible_and_failure_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BuildCache::new(dir.path());
        let key = Sha256::of_bytes(b"k");
        assert!(cache.lookup("zlib", &key).unwrap().is_none());
        let Begun::Staging(staging) = cache.begin("zlib", &key).unwrap() else {
            panic!()
        };
        fs_err::write(staging.prefix().join("lib.a"), b"x").unwrap();
        drop(staging);
        assert!(
            cache.lookup("zlib", &key).unwrap().is_none(),
            "a dropped build is not cached"
        );
        assert_eq!(
            fs_err::read_dir(dir.path().join("builds-v0/zlib"))
                .unwrap()
                .count(),
            1,
            "only the lock file remains"
        );

        let Begun::Staging(staging) = cache.begin("zlib", &key).unwrap() else {
            panic!()
        };
        fs_err::write(staging.prefix().join("lib.a"), b"x").unwrap();
        let artifact = staging.commit(info(&key)).unwrap();
        assert!(artifact.prefix().join("lib.a").is_file());
        assert_eq!(
            cache.lookup("zlib", &key).unwrap().unwrap().info,
            info(&key)
        );
        assert!(matches!(cache.begin("zlib", &key).unwrap(), Begun::Done(_)));
        assert_eq!(cache.entries().len(), 1);
    }

    /// Issue 25: a tampered `artifact.json` never names a path outside the cache.
    #[test]
    fn entries_that_disagree_with_their_folders_are_left_out() {
        let temp = tempfile::tempdir().unwrap();
        let cache_dir = temp.path().join("cache");
        let victim = temp.path().join("victim");
        fs_err::create_dir_all(&victim).unwrap();
        fs_err::write(victim.join("sentinel"), "keep").unwrap();
        let cache = BuildCache::new(&cache_dir);
        let key = Sha256::of_bytes(b"k");
        let Begun::Staging(staging) = cache.begin("zlib", &key).unwrap() else {
            panic!()
        };
        staging.commit(info(&key)).unwrap();

        let other = Sha256::of_bytes(b"other");
        for (folder, name, key) in [
            ("zlib", "../../victim", other.to_string()),
            ("zlib", "zlib", "é".repeat(40)),
            ("numpy", "zlib", other.to_string()),
        ] {
            let dir = cache.dir().join(folder).join(other.to_string());
            fs_err::create_dir_all(&dir).unwrap();
            let text = serde_json::json!({
                "name": name, "version": "1", "kind": "x", "key": key, "build_seconds": 1.0
            });
            fs_err::write(dir.join("artifact.json"), text.to_string()).unwrap();
            let entries = cache.entries();
            assert_eq!(entries.len(), 1, "{name} {key}");
            assert_eq!(entries[0].info, info(&Sha256::of_bytes(b"k")));
            fs_err::remove_dir_all(&dir).unwrap();
        }
        let error = cache.remove("../../victim", &other).unwrap_err();
        assert!(matches!(error, CacheError::Outside(_)), "{error}");
        assert!(cache.lookup("/etc", &other).is_err());
        assert_eq!(
            fs_err::read_to_string(victim.join("sentinel")).unwrap(),
            "keep"
        );
    }
}
