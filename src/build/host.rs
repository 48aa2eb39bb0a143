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
    for folder in ["lib/pkgconfig", "share/pkgconfig"] {
        relocate_pkg_config(&host_prefix.join(folder))
            .map_err(io("cannot relocate the pkg-config files in", &host_prefix))?;
    }
    Ok(host_prefix)
}

/// Makes the `.pc` files in `folder` point at where they are now.
///
/// A library's `make install` writes its build's `$PREFIX` into its `.pc` file
/// (`prefix=/project/.kiln/build/zlib/prefix`, and often `libdir=` and `includedir=` spelled
/// out in full): a folder that was moved into the cache, and that a later build of the same
/// recipe, in this project or another checkout, empties or fills with other files. So the
/// `prefix=` line becomes `${pcfiledir}/../..` (pkg-config's own variable: the file's folder,
/// two levels below the prefix for `lib/pkgconfig` and `share/pkgconfig`) and every other
/// occurrence of the old prefix becomes `${prefix}`. Files whose prefix is already relative
/// are left as they are.
fn relocate_pkg_config(folder: &Path) -> std::io::Result<()> {
    let Ok(entries) = fs_err::read_dir(folder) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|extension| extension != "pc") || !path.is_file() {
            continue;
        }
        let text = fs_err::read_to_string(&path)?;
        if let Some(relocated) = relocated_pc(&text) {
            // Never through a link into the artifact: a fresh file in the host prefix.
            fs_err::remove_file(&path)?;
            fs_err::write(&path, relocated)?;
        }
    }
    Ok(())
}

/// A `.pc` file's text with its absolute prefix made relative to the file ([`relocate_pkg_config`]);
/// `None` when there is nothing to change.
fn relocated_pc(text: &str) -> Option<String> {
    let old = text
        .lines()
        .find_map(|line| line.strip_prefix("prefix="))?
        .trim();
    if !old.starts_with('/') || old == "/" {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with("prefix=") {
            out.push_str("prefix=${pcfiledir}/../..\n");
        } else {
            out.push_str(&replace_path(line, old));
        }
    }
    Some(out)
}

/// `line` with each occurrence of the folder `old` (itself, or followed by `/`) made `${prefix}`.
fn replace_path(line: &str, old: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(old) {
        let after = &rest[at + old.len()..];
        let whole = after
            .chars()
            .next()
            .is_none_or(|c| c == '/' || c.is_whitespace() || c == '"');
        out.push_str(&rest[..at]);
        out.push_str(if whole { "${prefix}" } else { old });
        rest = after;
    }
    out.push_str(rest);
    out
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
    fn pkg_config_files_are_relocated_to_where_they_are() {
        let text = "prefix=/w/.kiln/build/libpng/prefix\nexec_prefix=${prefix}\n\
                    libdir=/w/.kiln/build/libpng/prefix/lib\n\
                    includedir=/w/.kiln/build/libpng/prefix/include/libpng16\n\
                    other=/w/.kiln/build/libpng/prefix2\n\
                    Libs: -L${libdir} -lpng16\n";
        assert_eq!(
            relocated_pc(text).unwrap(),
            "prefix=${pcfiledir}/../..\nexec_prefix=${prefix}\nlibdir=${prefix}/lib\n\
             includedir=${prefix}/include/libpng16\nother=/w/.kiln/build/libpng/prefix2\n\
             Libs: -L${libdir} -lpng16\n"
        );
        assert_eq!(relocated_pc("prefix=${pcfiledir}/../..\n"), None);
        assert_eq!(relocated_pc("Name: x\n"), None);

        let root = tempfile::tempdir().unwrap();
        let zlib = artifact(root.path(), "zlib", BuildKind::StaticLibrary, &[]);
        let pc = zlib.prefix().join("lib/pkgconfig/zlib.pc");
        fs_err::create_dir_all(pc.parent().unwrap()).unwrap();
        fs_err::write(&pc, "prefix=/elsewhere/zlib/prefix\nlibdir=${prefix}/lib\n").unwrap();
        let prefix = merge_host_prefixes("demo", &root.path().join("work"), &[&zlib]).unwrap();
        assert_eq!(
            fs_err::read_to_string(prefix.join("lib/pkgconfig/zlib.pc")).unwrap(),
            "prefix=${pcfiledir}/../..\nlibdir=${prefix}/lib\n"
        );
        assert!(
            fs_err::read_to_string(&pc)
                .unwrap()
                .starts_with("prefix=/elsewhere"),
            "the cached artifact is untouched"
        );
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
