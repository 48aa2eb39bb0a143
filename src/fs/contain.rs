//! The one containment rule: a path kiln derives from input stays inside the folder it
//! belongs to.
//!
//! Input is anything kiln did not write itself: the command line, a recipe, the toolchain
//! pin, a lockfile, cache metadata, a package's own name. A path taken from it is joined
//! onto its folder only through [`contained`] (a relative path: no root, no `..`, no NUL,
//! not empty), [`contained_resolved`] (the same, and once links are followed it still lies
//! inside the folder) or [`child`] (a single name, for folder names made from package names
//! and keys). A refusal is a [`ContainmentError`] that names the field, the path as written
//! and the folder.
//!
//! Checks are on the path as written, not on its text after normalisation: `a/../b` is
//! refused although it stays inside, because nothing kiln reads needs `..`, and a rule
//! without exceptions is easy to state and to check.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// A path from input that would leave (or does not name anything inside) its folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: `{}` {escape}; it must stay inside `{}`", written.display(), base.display())]
pub struct ContainmentError {
    /// Where the path came from: `source.patches[0]`, `root.suite`, `artifact.json` `name`.
    pub field: String,
    /// The path as written in the input.
    pub written: PathBuf,
    /// The folder it must stay inside.
    pub base: PathBuf,
    pub escape: Escape,
}

/// How a path fails the containment rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escape {
    Empty,
    Absolute,
    /// It has a `..` component.
    ParentDir,
    /// It holds a NUL byte (no file name can).
    Nul,
    /// A single name was expected (a folder made from a package name or a key).
    NotAName,
    /// Relative and without `..`, but a link along it leads out: this is where it ends.
    ResolvesOutside {
        resolved: PathBuf,
    },
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Escape::Empty => f.write_str("is empty"),
            Escape::Absolute => f.write_str("is absolute"),
            Escape::ParentDir => f.write_str("goes up with `..`"),
            Escape::Nul => f.write_str("holds a NUL byte"),
            Escape::NotAName => f.write_str("is not a single file name"),
            Escape::ResolvesOutside { resolved } => {
                write!(f, "leads through a link to `{}`", resolved.display())
            }
        }
    }
}

impl Escape {
    /// A few words for a label under the path in a recipe.
    pub fn label(&self) -> &'static str {
        match self {
            Escape::Empty => "empty path",
            Escape::Absolute => "absolute path",
            Escape::ParentDir => "`..` leaves the folder",
            Escape::Nul => "NUL byte",
            Escape::NotAName => "not a single name",
            Escape::ResolvesOutside { .. } => "a link leads outside",
        }
    }
}

/// The lexical check alone; `None` when `written` passes.
pub fn escape_of(written: &Path) -> Option<Escape> {
    if written.as_os_str().is_empty() {
        return Some(Escape::Empty);
    }
    if written.as_os_str().as_encoded_bytes().contains(&0) {
        return Some(Escape::Nul);
    }
    for component in written.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Some(Escape::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Some(Escape::Absolute),
        }
    }
    None
}

/// `base` joined with `written` (its `.` components dropped), when `written` is relative,
/// not empty, free of `..` and of NUL bytes. Links are not looked at (see
/// [`contained_resolved`]).
pub fn contained(
    base: &Path,
    written: impl AsRef<Path>,
    field: &str,
) -> Result<PathBuf, ContainmentError> {
    let written = written.as_ref();
    match escape_of(written) {
        Some(escape) => Err(refusal(base, written, field, escape)),
        None => Ok(written
            .components()
            .filter(|component| *component != Component::CurDir)
            .fold(base.to_path_buf(), |path, component| path.join(component))),
    }
}

/// [`contained`], and with every link followed the path still lies inside `base` (also
/// resolved). A path that does not exist (yet) is resolved as far as it exists.
pub fn contained_resolved(
    base: &Path,
    written: impl AsRef<Path>,
    field: &str,
) -> Result<PathBuf, ContainmentError> {
    let written = written.as_ref();
    let joined = contained(base, written, field)?;
    let (Some(real_base), Some(resolved)) = (resolve(base), resolve(&joined)) else {
        // Nothing of it exists: nothing to follow.
        return Ok(joined);
    };
    if resolved.starts_with(&real_base) {
        Ok(joined)
    } else {
        Err(refusal(
            base,
            written,
            field,
            Escape::ResolvesOutside { resolved },
        ))
    }
}

/// `base` joined with `name`, which must be one plain file name (no `/`, not `.` or `..`):
/// for folders named after a package, a recipe or a key.
pub fn child(base: &Path, name: &str, field: &str) -> Result<PathBuf, ContainmentError> {
    let path = Path::new(name);
    if let Some(escape) = escape_of(path) {
        return Err(refusal(base, path, field, escape));
    }
    let mut components = path.components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) if !name.contains('/') => Ok(base.join(name)),
        _ => Err(refusal(base, path, field, Escape::NotAName)),
    }
}

fn refusal(base: &Path, written: &Path, field: &str, escape: Escape) -> ContainmentError {
    ContainmentError {
        field: field.to_string(),
        written: written.to_path_buf(),
        base: base.to_path_buf(),
        escape,
    }
}

/// The canonical form of `path`, or of its longest existing ancestor with the rest
/// appended; `None` when not even the root of it exists.
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut rest = Vec::new();
    let mut current = path;
    loop {
        if let Ok(real) = fs_err::canonicalize(current) {
            return Some(rest.iter().rev().fold(real, |path, part| path.join(part)));
        }
        rest.push(current.file_name()?.to_os_string());
        current = current.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_inside_pass() {
        let base = Path::new("/project/recipes/zlib");
        assert_eq!(
            contained(base, "patches/a.patch", "source.patches[0]").unwrap(),
            base.join("patches/a.patch")
        );
        assert_eq!(
            contained(base, "./src", "source.path").unwrap(),
            base.join("./src")
        );
    }

    #[test]
    fn escapes_are_refused_with_field_and_folder() {
        let base = Path::new("/project/recipes/zlib");
        for (written, escape) in [
            ("", Escape::Empty),
            ("/etc/passwd", Escape::Absolute),
            ("../x", Escape::ParentDir),
            ("a/../../x", Escape::ParentDir),
            ("a/..", Escape::ParentDir),
            ("a\0b", Escape::Nul),
        ] {
            let error = contained(base, written, "source.path").unwrap_err();
            assert_eq!(error.escape, escape, "{written:?}");
            assert_eq!(error.field, "source.path");
            assert_eq!(error.base, base);
        }
        assert_eq!(
            contained(base, "../x", "source.path")
                .unwrap_err()
                .to_string(),
            "source.path: `../x` goes up with `..`; it must stay inside `/project/recipes/zlib`"
        );
    }

    #[test]
    fn a_child_is_one_name() {
        let base = Path::new("/cache/builds-v0");
        assert_eq!(child(base, "zlib", "name").unwrap(), base.join("zlib"));
        for name in ["", ".", "..", "a/b", "/x", "../../x", "a/", "a\0"] {
            assert!(child(base, name, "name").is_err(), "{name:?}");
        }
    }

    #[test]
    fn links_that_lead_out_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let sentinel = outside.path().join("secret");
        fs_err::write(&sentinel, "x").unwrap();
        let base = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&sentinel, base.path().join("link.patch")).unwrap();
        std::os::unix::fs::symlink(outside.path(), base.path().join("dir")).unwrap();
        fs_err::write(base.path().join("real.patch"), "x").unwrap();
        std::os::unix::fs::symlink("real.patch", base.path().join("inner.patch")).unwrap();

        let error = contained_resolved(base.path(), "link.patch", "source.patches[0]").unwrap_err();
        assert!(matches!(error.escape, Escape::ResolvesOutside { .. }));
        // Through a linked folder, to a file that does not exist yet.
        let error = contained_resolved(base.path(), "dir/new", "to").unwrap_err();
        assert!(matches!(error.escape, Escape::ResolvesOutside { .. }));
        assert!(contained_resolved(base.path(), "inner.patch", "p").is_ok());
        assert!(contained_resolved(base.path(), "missing/file", "p").is_ok());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// `path` with `.` and `..` applied lexically (`..` at the top stays).
        fn lexical(path: &Path) -> PathBuf {
            let mut parts: Vec<Component> = Vec::new();
            for component in path.components() {
                match component {
                    Component::CurDir => {}
                    Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                        parts.pop();
                    }
                    other => parts.push(other),
                }
            }
            parts.iter().collect()
        }

        fn written() -> impl Strategy<Value = String> {
            let part = prop::sample::select(vec![
                "a",
                "b",
                "..",
                ".",
                "",
                "é",
                "\0",
                "a\0b",
                "...",
                "link_in",
                "link_out",
                "link_up",
                "link_root",
                "dangling",
                "loop",
                "in_dir",
                "file",
            ]);
            (any::<bool>(), prop::collection::vec(part, 0..6)).prop_map(|(rooted, parts)| {
                format!("{}{}", if rooted { "/" } else { "" }, parts.join("/"))
            })
        }

        /// A base folder holding a file, a folder, and links that stay, leave upwards, leave
        /// to `/`, dangle and loop; and an outside folder beside it.
        fn tree() -> (tempfile::TempDir, PathBuf) {
            let temp = tempfile::tempdir().unwrap();
            let base = temp.path().join("base");
            fs_err::create_dir_all(base.join("in_dir/a")).unwrap();
            fs_err::create_dir_all(temp.path().join("outside/a")).unwrap();
            fs_err::write(base.join("file"), "x").unwrap();
            let link = |target: &str, name: &str| {
                std::os::unix::fs::symlink(target, base.join(name)).unwrap();
            };
            link("in_dir", "link_in");
            link("../outside", "link_out");
            link("..", "link_up");
            link("/", "link_root");
            link("nowhere", "dangling");
            link("loop", "loop");
            (temp, base)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Whatever is written, an accepted path is lexically inside the base, and every
            /// `..` or root or NUL is refused.
            #[test]
            fn contained_never_leaves_lexically(written in written()) {
                let base = Path::new("/project/recipes/zlib");
                match contained(base, &written, "field") {
                    Ok(path) => {
                        prop_assert!(lexical(&path).starts_with(base), "{written:?} -> {path:?}");
                        prop_assert!(!written.starts_with('/') && !written.contains('\0'));
                        prop_assert!(!Path::new(&written)
                            .components()
                            .any(|c| c == Component::ParentDir));
                    }
                    Err(error) => prop_assert_eq!(error.field, "field"),
                }
                if let Ok(path) = child(base, &written, "name") {
                    prop_assert_eq!(path.parent(), Some(base));
                }
            }
        }

        /// With real links: an accepted path that exists resolves inside the base. One tree
        /// for all cases (it is only read).
        #[test]
        fn contained_resolved_never_leaves_through_links() {
            let (_temp, base) = tree();
            let real_base = fs_err::canonicalize(&base).unwrap();
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
            runner
                .run(&written(), |written| {
                    if let Ok(path) = contained_resolved(&base, &written, "field")
                        && let Ok(real) = fs_err::canonicalize(&path)
                    {
                        prop_assert!(real.starts_with(&real_base), "{written:?} -> {real:?}");
                    }
                    Ok(())
                })
                .unwrap();
        }
    }
}
