//! File-system helpers.
//!
//! Writes keep the cache and `dist/` consistent: every write lands in a temporary file beside
//! its target and is renamed into place, so a reader (or a run that was killed half-way) sees
//! the old file or the new one, never a torn one.
//!
//! Reads of input files go through [`read_bounded`] (`input.rs`): regular files only, never
//! blocking on a pipe, never more than a limit. Paths derived from input are joined onto
//! their folder through [`contained`] and its siblings (`contain.rs`): nothing outside.

mod contain;
mod input;

use std::io::Write;
use std::path::Path;

pub use contain::{ContainmentError, Escape, child, contained, contained_resolved, escape_of};
pub use input::{
    FileKind, InputError, InputProblem, open_regular, read_bounded, read_bounded_to_string,
};

/// Writes `contents` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let parent = parent_of(path);
    fs_err::create_dir_all(parent)?;
    let mut temporary = tempfile::NamedTempFile::new_in(parent)?;
    temporary.write_all(contents)?;
    // Temporary files are created 0600; the outputs are meant to be read (and served) by
    // others, like any file a build tool writes.
    use std::os::unix::fs::PermissionsExt;
    temporary
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| {
        std::io::Error::new(
            error.error.kind(),
            format!("{}: {}", path.display(), error.error),
        )
    })?;
    Ok(())
}

/// Moves a finished folder into place. `target` must not exist yet; when it does (another
/// process won the race) the new folder is dropped and the existing one kept, since both
/// were built from the same content key.
pub fn rename_dir_into_place(from: &Path, target: &Path) -> std::io::Result<()> {
    fs_err::create_dir_all(parent_of(target))?;
    match std::fs::rename(from, target) {
        Ok(()) => Ok(()),
        Err(_) if target.is_dir() => {
            fs_err::remove_dir_all(from)?;
            Ok(())
        }
        Err(error) => Err(std::io::Error::new(
            error.kind(),
            format!(
                "cannot rename `{}` to `{}`: {error}",
                from.display(),
                target.display()
            ),
        )),
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/file.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "second");
        let leftovers: Vec<_> = fs_err::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}
