//! Step 3 of a build: its host dependencies (the artifacts of its host requirements,
//! transitively, in build order). Static and shared libraries are merged into one prefix,
//! `host/` (`$KILN_HOST_PREFIX`, with its `lib/pkgconfig`); the runtime (a whole stdlib) and
//! packages (wheels) are used where they are in the cache.

use std::path::{Path, PathBuf};

use super::{BuildError, io_error, package};
use crate::cache::Artifact;
use crate::recipe::{BuildKind, Recipe};

/// Merges the libraries among `host` into `<work>/host` and returns that folder, with its
/// `lib/pkgconfig` and `include` present even when nothing was merged.
pub(super) fn merge_host_prefixes(
    name: &str,
    work: &Path,
    host: &[&Artifact],
) -> Result<PathBuf, BuildError> {
    let io = |action, path: &Path| io_error(name, action, path);
    let host_prefix = work.join("host");
    for artifact in host
        .iter()
        .filter(|artifact| is_library(&artifact.info.kind))
    {
        merge_tree(&artifact.prefix(), &host_prefix)
            .map_err(io("cannot merge host prefix into", &host_prefix))?;
    }
    fs_err::create_dir_all(host_prefix.join("lib/pkgconfig"))
        .map_err(io("cannot create", &host_prefix))?;
    fs_err::create_dir_all(host_prefix.join("include"))
        .map_err(io("cannot create", &host_prefix))?;
    Ok(host_prefix)
}

/// The runtime among the host artifacts (packages build on it), if there is one.
pub(super) fn runtime<'h>(host: &[&'h Artifact]) -> Option<&'h Artifact> {
    host.iter()
        .find(|artifact| artifact.info.kind == BuildKind::Runtime.as_str())
        .copied()
}

/// The packages among the recipe's host requirements (built for the target), with their main
/// wheels. Run requirements are not needed to build.
pub(super) fn target_packages(recipe: &Recipe, host: &[&Artifact]) -> Vec<package::TargetPackage> {
    host.iter()
        .filter(|artifact| artifact.info.kind == BuildKind::Package.as_str())
        .filter(|artifact| recipe.requirements.host.contains(&artifact.info.name))
        .map(|artifact| package::TargetPackage {
            name: artifact.info.name.clone(),
            version: artifact.info.version.clone(),
            wheels: fs_err::read_dir(artifact.prefix().join("wheels"))
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|entry| entry.path())
                        .filter(|path| !path.to_string_lossy().contains("_tests-"))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Static and shared libraries are merged into `$KILN_HOST_PREFIX`; the runtime and
/// packages are not.
fn is_library(kind: &str) -> bool {
    kind == BuildKind::StaticLibrary.as_str() || kind == BuildKind::SharedLibrary.as_str()
}

/// Copies `from` into `to`, merging folders and keeping symlinks as symlinks.
pub fn merge_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            merge_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            let _ = fs_err::remove_file(&target);
            std::os::unix::fs::symlink(fs_err::read_link(entry.path())?, &target)?;
        } else {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::ArtifactInfo;

    fn artifact(root: &Path, name: &str, kind: BuildKind, files: &[&str]) -> Artifact {
        let dir = root.join(name);
        for file in files {
            let path = dir.join("prefix").join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, name).unwrap();
        }
        Artifact {
            dir,
            info: ArtifactInfo {
                name: name.into(),
                version: "1".into(),
                kind: kind.as_str().into(),
                key: "k".into(),
                build_seconds: 0.0,
            },
        }
    }

    #[test]
    fn libraries_merge_into_the_host_prefix_the_runtime_and_packages_do_not() {
        let root = tempfile::tempdir().unwrap();
        let zlib = artifact(
            root.path(),
            "zlib",
            BuildKind::StaticLibrary,
            &["lib/libz.a", "include/zlib.h"],
        );
        let ffi = artifact(
            root.path(),
            "libffi",
            BuildKind::SharedLibrary,
            &["lib/libffi.so"],
        );
        std::os::unix::fs::symlink("libffi.so", ffi.prefix().join("lib/libffi.so.8")).unwrap();
        let python = artifact(
            root.path(),
            "cpython",
            BuildKind::Runtime,
            &["lib/python3.13/os.py"],
        );
        let numpy = artifact(
            root.path(),
            "numpy",
            BuildKind::Package,
            &["wheels/numpy.whl"],
        );
        let host = [&zlib, &ffi, &python, &numpy];

        let work = root.path().join("work");
        let prefix = merge_host_prefixes("demo", &work, &host).unwrap();
        assert_eq!(prefix, work.join("host"));
        assert!(prefix.join("lib/libz.a").is_file() && prefix.join("include/zlib.h").is_file());
        assert_eq!(
            fs_err::read_link(prefix.join("lib/libffi.so.8")).unwrap(),
            Path::new("libffi.so"),
            "symlinks stay symlinks"
        );
        assert!(!prefix.join("lib/python3.13").exists() && !prefix.join("wheels").exists());
        assert!(prefix.join("lib/pkgconfig").is_dir());
        assert_eq!(
            runtime(&host).map(|a| a.info.name.as_str()),
            Some("cpython")
        );
        assert!(runtime(&[&zlib]).is_none());
    }
}
