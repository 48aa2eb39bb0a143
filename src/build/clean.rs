//! `kiln clean`: removing the work folders builds leave in `<project>/.kiln/build/`.
//!
//! Only what kiln made goes: the work folder of each named recipe (`.kiln/build/<name>/`), or
//! everything inside `.kiln/build/` when no name is given. A name is a recipe name, checked
//! (PEP 508) and normalised before it is joined onto `.kiln/build/` as one path component, so
//! `kiln clean /some/dir` or `kiln clean ../..` is refused before anything is removed. Links
//! are removed as links, never followed; a `.kiln/build` that is itself a link, or that
//! resolves outside the project, is refused.

use std::path::{Path, PathBuf};

use crate::fs::ContainmentError;
use crate::recipe;

#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// A name on the command line that is not a recipe name.
    #[error("`{name}` is not a recipe name; `kiln clean` removes the work folders of recipes")]
    NotARecipeName { name: String },
    /// `.kiln/build` (or a folder above it in the project) leads out of the project.
    #[error("refusing to clean `{}`", path.display())]
    Outside {
        path: PathBuf,
        #[source]
        source: ContainmentError,
    },
    /// `.kiln/build` is a link or a file: not a folder kiln made.
    #[error("refusing to clean `{}`: it is not a folder (a link?)", path.display())]
    NotAFolder { path: PathBuf },
    #[error("cannot remove `{}`", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Removes the work folders of `names` (all of `build_dir`'s contents when empty) and returns
/// what was removed. `build_dir` is `<project>/.kiln/build`; every name is checked before
/// anything is removed.
pub fn clean(
    project_dir: &Path,
    build_dir: &Path,
    names: &[String],
) -> Result<Vec<PathBuf>, CleanError> {
    let targets: Vec<String> = names
        .iter()
        .map(|name| {
            if recipe::is_valid_name(name) {
                Ok(recipe::normalize_name(name))
            } else {
                Err(CleanError::NotARecipeName { name: name.clone() })
            }
        })
        .collect::<Result<_, _>>()?;
    let relative = build_dir.strip_prefix(project_dir).unwrap_or(build_dir);
    crate::fs::contained_resolved(project_dir, relative, "work folder").map_err(|source| {
        CleanError::Outside {
            path: build_dir.to_path_buf(),
            source,
        }
    })?;
    match fs_err::symlink_metadata(build_dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(CleanError::Remove {
                path: build_dir.to_path_buf(),
                source,
            });
        }
        Ok(metadata) if !metadata.is_dir() => {
            return Err(CleanError::NotAFolder {
                path: build_dir.to_path_buf(),
            });
        }
        Ok(_) => {}
    }

    let paths: Vec<PathBuf> = if targets.is_empty() {
        let entries = fs_err::read_dir(build_dir).map_err(|source| CleanError::Remove {
            path: build_dir.to_path_buf(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        paths
    } else {
        targets
            .iter()
            .map(|name| {
                crate::fs::child(build_dir, name, "recipe name")
                    .expect("a valid recipe name is one path component")
            })
            .collect()
    };
    let mut removed = Vec::new();
    for path in paths {
        if remove_without_following(&path).map_err(|source| CleanError::Remove {
            path: path.clone(),
            source,
        })? {
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Removes a folder with what it holds, or a file or link (not what it points to); `false`
/// when nothing was there.
fn remove_without_following(path: &Path) -> std::io::Result<bool> {
    match fs_err::symlink_metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
        // `remove_dir_all` does not follow links inside the folder either.
        Ok(metadata) if metadata.is_dir() => fs_err::remove_dir_all(path).map(|()| true),
        Ok(_) => fs_err::remove_file(path).map(|()| true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project with two work folders, and a sentinel outside it reachable through a link.
    fn sandbox() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
        let temp = tempfile::tempdir().unwrap();
        let project = temp.path().join("project");
        let build = project.join(".kiln/build");
        for name in ["zlib/src", "numpy"] {
            fs_err::create_dir_all(build.join(name)).unwrap();
        }
        fs_err::write(build.join(".zlib.lock"), "").unwrap();
        let outside = temp.path().join("outside");
        fs_err::create_dir_all(&outside).unwrap();
        let sentinel = outside.join("sentinel");
        fs_err::write(&sentinel, "keep").unwrap();
        std::os::unix::fs::symlink(&outside, build.join("zlib/src/link")).unwrap();
        (temp, project, build, sentinel)
    }

    #[test]
    fn names_that_are_not_recipe_names_are_refused_before_anything_goes() {
        let (_temp, project, build, sentinel) = sandbox();
        let outside = sentinel.parent().unwrap().to_string_lossy().into_owned();
        for bad in [outside.as_str(), "..", "../..", "a/b", "", "zlib/../.."] {
            let names = vec!["zlib".to_string(), bad.to_string()];
            let error = clean(&project, &build, &names).unwrap_err();
            assert!(
                matches!(&error, CleanError::NotARecipeName { name } if name == bad),
                "{error}"
            );
            assert!(build.join("zlib").is_dir(), "nothing removed for {bad:?}");
        }
        assert_eq!(fs_err::read_to_string(&sentinel).unwrap(), "keep");
    }

    #[test]
    fn removes_named_work_folders_without_following_links() {
        let (_temp, project, build, sentinel) = sandbox();
        let removed = clean(&project, &build, &["ZLib".to_string()]).unwrap();
        assert_eq!(removed, [build.join("zlib")]);
        assert!(build.join("numpy").is_dir());
        assert_eq!(fs_err::read_to_string(&sentinel).unwrap(), "keep");
        let removed = clean(&project, &build, &[]).unwrap();
        assert_eq!(removed, [build.join(".zlib.lock"), build.join("numpy")]);
        assert!(build.is_dir(), "the folder itself stays");
        assert_eq!(fs_err::read_to_string(&sentinel).unwrap(), "keep");
    }

    #[test]
    fn a_work_folder_that_leads_out_of_the_project_is_refused() {
        let (temp, project, build, sentinel) = sandbox();
        // `.kiln` is a link to a folder outside the project.
        let elsewhere = temp.path().join("elsewhere");
        fs_err::rename(project.join(".kiln"), &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, project.join(".kiln")).unwrap();
        let error = clean(&project, &build, &[]).unwrap_err();
        assert!(matches!(error, CleanError::Outside { .. }), "{error}");
        assert!(elsewhere.join("build/numpy").is_dir());
        assert_eq!(fs_err::read_to_string(&sentinel).unwrap(), "keep");
    }
}
