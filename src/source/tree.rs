//! Folder helpers for sources: the content hash of a `path` source, copies that keep
//! symbolic links and the executable bit, and removal of whatever sits at a path.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::SourceError;
use crate::hash::{KeyHasher, Sha256};

/// What a folder holds, as far as a build can tell.
enum Kind {
    Dir,
    File { executable: bool },
    Symlink { target: PathBuf },
}

/// Content hash of a folder, for cache keys of `path` sources: stable across machines,
/// checkouts and file times.
///
/// The key is made of, for every entry in byte order of its relative path (`/`-separated):
/// the kind and relative path, then for a file its executable bit and the sha256 of its
/// bytes, for a symbolic link its target (not followed). Empty folders count; file times,
/// owners and other mode bits do not, since a build does not see them. Sockets and fifos are
/// left out.
pub fn hash_tree(dir: &Path) -> Result<Sha256, SourceError> {
    let mut key = KeyHasher::new();
    // Bump when the list of fields changes, so old keys are not mistaken for new ones.
    key.field("kiln-tree", "1");
    for (relative, kind) in walk(dir)? {
        let name = relative.as_os_str().as_bytes();
        match kind {
            Kind::Dir => {
                key.field("dir", name);
            }
            Kind::File { executable } => {
                let path = dir.join(&relative);
                let digest =
                    Sha256::of_file(&path).map_err(|source| SourceError::Read { path, source })?;
                key.field("file", name)
                    .field("executable", if executable { "1" } else { "0" })
                    .field("sha256", digest.as_bytes());
            }
            Kind::Symlink { target } => {
                key.field("symlink", name)
                    .field("target", target.as_os_str().as_bytes());
            }
        }
    }
    Ok(key.finish())
}

/// Every entry under `root` (not `root` itself), sorted by relative path bytes, so a folder
/// comes before what it holds.
fn walk(root: &Path) -> Result<Vec<(PathBuf, Kind)>, SourceError> {
    let mut entries = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        let read_error = |source| SourceError::Read {
            path: dir.clone(),
            source,
        };
        for entry in fs_err::read_dir(&dir).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            let child = relative.join(entry.file_name());
            let path = entry.path();
            let read_error = |source| SourceError::Read {
                path: path.clone(),
                source,
            };
            let file_type = entry.file_type().map_err(read_error)?;
            if file_type.is_symlink() {
                let target = fs_err::read_link(&path).map_err(read_error)?;
                entries.push((child, Kind::Symlink { target }));
            } else if file_type.is_dir() {
                pending.push(child.clone());
                entries.push((child, Kind::Dir));
            } else if file_type.is_file() {
                let mode = entry.metadata().map_err(read_error)?.permissions().mode();
                entries.push((
                    child,
                    Kind::File {
                        executable: mode & 0o111 != 0,
                    },
                ));
            } else {
                tracing::debug!(path = %path.display(), "skipping a special file");
            }
        }
    }
    entries.sort_by(|(a, _), (b, _)| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    Ok(entries)
}

/// Copies the content of folder `from` into folder `to` (created when missing), merging with
/// what is there: files are replaced, symbolic links are copied as links, files become 0644
/// or 0755 by their executable bit.
pub(super) fn copy_tree(from: &Path, to: &Path) -> Result<(), SourceError> {
    create_dir(to)?;
    for (relative, kind) in walk(from)? {
        let source_path = from.join(&relative);
        let target = to.join(&relative);
        let write_error = |source| SourceError::Write {
            path: target.clone(),
            source,
        };
        match kind {
            Kind::Dir => {
                if !fs_err::symlink_metadata(&target).is_ok_and(|metadata| metadata.is_dir()) {
                    remove_any(&target)?;
                    create_dir(&target)?;
                }
            }
            Kind::File { executable } => {
                remove_any(&target)?;
                fs_err::copy(&source_path, &target).map_err(write_error)?;
                let mode = if executable { 0o755 } else { 0o644 };
                fs_err::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                    .map_err(write_error)?;
            }
            Kind::Symlink { target: link } => {
                remove_any(&target)?;
                fs_err::os::unix::fs::symlink(&link, &target).map_err(write_error)?;
            }
        }
    }
    Ok(())
}

/// Copies folder `from` to `to` through a staging folder beside `to`, so `to` appears only
/// complete.
pub(super) fn copy_into_place(from: &Path, to: &Path) -> Result<(), SourceError> {
    let parent = to.parent().unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(".copy-tmp-")
        .tempdir_in(parent)
        .map_err(|source| SourceError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    fs_err::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755)).map_err(
        |source| SourceError::Write {
            path: staging.path().to_path_buf(),
            source,
        },
    )?;
    copy_tree(from, staging.path())?;
    fs_err::rename(staging.path(), to).map_err(|source| SourceError::Write {
        path: to.to_path_buf(),
        source,
    })?;
    let _ = staging.keep();
    Ok(())
}

/// Removes whatever is at `path` (folder, file or link, without following links); nothing
/// there is fine.
pub(super) fn remove_any(path: &Path) -> Result<(), SourceError> {
    let result = match fs_err::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => Err(error),
        Ok(metadata) if metadata.is_dir() => fs_err::remove_dir_all(path),
        Ok(_) => fs_err::remove_file(path),
    };
    result.map_err(|source| SourceError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The only entry of `dir` when that is a real folder (an archive's `name-version/`).
pub(super) fn single_top_dir(dir: &Path) -> Result<Option<PathBuf>, SourceError> {
    let read_error = |source| SourceError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = fs_err::read_dir(dir).map_err(read_error)?;
    let Some(first) = entries.next() else {
        return Ok(None);
    };
    let first = first.map_err(read_error)?;
    if entries.next().is_some() {
        return Ok(None);
    }
    let is_dir = first.file_type().map_err(read_error)?.is_dir();
    Ok(is_dir.then(|| first.path()))
}

fn create_dir(path: &Path) -> Result<(), SourceError> {
    let write_error = |source| SourceError::Write {
        path: path.to_path_buf(),
        source,
    };
    fs_err::create_dir_all(path).map_err(write_error)?;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str, mode: u32) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn tree_hash_sees_content_names_modes_and_links_but_not_times() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("t");
        write(&root.join("a.txt"), "a", 0o644);
        write(&root.join("sub/run.sh"), "#!/bin/sh", 0o755);
        fs_err::os::unix::fs::symlink("a.txt", root.join("link")).unwrap();
        let first = hash_tree(&root).unwrap();

        let other = dir.path().join("copy");
        copy_tree(&root, &other).unwrap();
        assert_eq!(hash_tree(&other).unwrap(), first, "a copy hashes the same");
        assert!(
            fs_err::symlink_metadata(other.join("link"))
                .unwrap()
                .file_type()
                .is_symlink()
        );

        let file = fs_err::File::options()
            .write(true)
            .open(root.join("a.txt"))
            .unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(hash_tree(&root).unwrap(), first, "times do not count");

        fs_err::set_permissions(
            root.join("sub/run.sh"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let not_executable = hash_tree(&root).unwrap();
        assert_ne!(not_executable, first);

        fs_err::write(root.join("a.txt"), "b").unwrap();
        assert_ne!(hash_tree(&root).unwrap(), not_executable);

        fs_err::create_dir(root.join("empty")).unwrap();
        let with_empty = hash_tree(&root).unwrap();
        fs_err::remove_dir(root.join("empty")).unwrap();
        assert_ne!(hash_tree(&root).unwrap(), with_empty);
    }

    #[test]
    fn copy_into_place_keeps_modes() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("from/bin/tool"), "x", 0o700);
        write(&dir.path().join("from/data"), "y", 0o600);
        let to = dir.path().join("to");
        copy_into_place(&dir.path().join("from"), &to).unwrap();
        let mode = |path: &Path| fs_err::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&to.join("bin/tool")), 0o755);
        assert_eq!(mode(&to.join("data")), 0o644);
        assert_eq!(mode(&to), 0o755);
        assert_eq!(
            fs_err::read_dir(dir.path()).unwrap().count(),
            2,
            "no staging folder left"
        );
    }
}
