//! Step 7 of a build: the finished prefix and the build log committed into the
//! content-addressed cache ([`crate::cache`]), where the entry appears by an atomic rename.

use std::path::Path;

use super::host::merge_tree;
use super::{BuildError, io_error};
use crate::cache::{Artifact, ArtifactInfo, Staging};

/// Replaces the (empty) staging prefix with a finished build's prefix, keeps its log beside it
/// and commits the cache entry.
pub(super) fn store(
    name: &str,
    staging: Staging,
    prefix: &Path,
    log: &Path,
    info: ArtifactInfo,
) -> Result<Artifact, BuildError> {
    let io = |action, path: &Path| io_error(name, action, path);
    let staged_prefix = staging.prefix();
    fs_err::remove_dir(&staged_prefix).map_err(io("cannot replace", &staged_prefix))?;
    move_tree(prefix, &staged_prefix).map_err(io("cannot store", &staged_prefix))?;
    let staged_log = staging.dir().join("build.log");
    fs_err::copy(log, &staged_log).map_err(io("cannot store", &staged_log))?;
    staging.commit(info).map_err(|source| BuildError::Cache {
        name: name.to_string(),
        source,
    })
}

/// Renames `from` to `to`, or copies and removes it when they are on different file systems.
fn move_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    merge_tree(from, to)?;
    fs_err::remove_dir_all(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{Begun, BuildCache};
    use crate::hash::Sha256;

    #[test]
    fn the_prefix_and_the_log_become_a_cache_entry() {
        let root = tempfile::tempdir().unwrap();
        let cache = BuildCache::new(&root.path().join("cache"));
        let key = Sha256::of_bytes(b"demo");
        let Begun::Staging(staging) = cache.begin("demo", &key).unwrap() else {
            panic!("nothing cached yet");
        };
        let prefix = root.path().join("work/prefix");
        fs_err::create_dir_all(prefix.join("lib")).unwrap();
        fs_err::write(prefix.join("lib/libdemo.a"), "archive").unwrap();
        let log = root.path().join("work/build.log");
        fs_err::write(&log, "kiln: building demo\n").unwrap();
        let info = ArtifactInfo {
            name: "demo".into(),
            version: "1.0".into(),
            kind: crate::recipe::BuildKind::StaticLibrary.as_str().into(),
            key: key.to_string(),
            build_seconds: 1.5,
        };

        let artifact = store("demo", staging, &prefix, &log, info).unwrap();
        assert!(!prefix.exists(), "moved, not copied");
        assert_eq!(
            fs_err::read_to_string(artifact.prefix().join("lib/libdemo.a")).unwrap(),
            "archive"
        );
        assert_eq!(
            fs_err::read_to_string(artifact.dir.join("build.log")).unwrap(),
            "kiln: building demo\n"
        );
        let found = cache.lookup("demo", &key).unwrap().expect("committed");
        assert_eq!(found.info.version, "1.0");
    }
}
