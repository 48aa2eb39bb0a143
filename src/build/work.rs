//! Step 1 of a build: its work folder, `.kiln/build/<name>/`. The path is fixed per recipe
//! name (paths baked into outputs must be the same on every rebuild), so a build holds
//! `.kiln/build/.<name>.lock` while it uses the folder: a build of another key of the same
//! recipe (another kiln process, another recipe folder) waits rather than wiping the folder
//! under it. The folder is emptied and its log started before anything else happens, so even
//! a failed fetch leaves a log.

use std::path::{Path, PathBuf};

use super::{BuildError, io_error};
use crate::config::Settings;
use crate::hash::Sha256;
use crate::recipe::Recipe;

/// A build's work folder, locked for as long as this value lives.
pub(super) struct WorkDir {
    /// `.kiln/build/<name>/`
    pub dir: PathBuf,
    /// `build.log` in it.
    pub log: PathBuf,
    _lock: std::fs::File,
}

impl WorkDir {
    /// Locks, empties and creates the work folder of `recipe`, and starts its log.
    pub fn prepare(settings: &Settings, recipe: &Recipe, key: &Sha256) -> Result<Self, BuildError> {
        let name = &recipe.package.name;
        let dir = settings.build_dir().join(name);
        let log = dir.join("build.log");
        let io = |action, path: &Path| io_error(name, action, path);
        let lock = lock(settings, name)?;
        if dir.exists() {
            fs_err::remove_dir_all(&dir).map_err(io("cannot clean", &dir))?;
        }
        fs_err::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
        fs_err::write(
            &log,
            format!(
                "kiln: building {name} {} (key {key})\n",
                recipe.package.version
            ),
        )
        .map_err(io("cannot write", &log))?;
        Ok(Self {
            dir,
            log,
            _lock: lock,
        })
    }

    /// `prefix/`, created empty: `$PREFIX` while the script runs.
    pub fn create_prefix(&self, name: &str) -> Result<PathBuf, BuildError> {
        let prefix = self.dir.join("prefix");
        fs_err::create_dir_all(&prefix).map_err(io_error(name, "cannot create", &prefix))?;
        Ok(prefix)
    }

    /// `build.sh`: the script kiln writes and runs.
    pub fn script(&self) -> PathBuf {
        self.dir.join("build.sh")
    }
}

/// Locks `.kiln/build/.<name>.lock` exclusively (released when the returned file drops).
fn lock(settings: &Settings, name: &str) -> Result<std::fs::File, BuildError> {
    let dir = settings.build_dir();
    let path = dir.join(format!(".{name}.lock"));
    let error = |source| BuildError::Io {
        name: name.to_string(),
        action: "cannot lock the work folder with",
        path: path.clone(),
        source,
    };
    fs_err::create_dir_all(&dir).map_err(error)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(error)?;
    file.lock().map_err(error)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    #[test]
    fn prepare_empties_the_folder_starts_the_log_and_holds_the_lock() {
        let project = tempfile::tempdir().unwrap();
        let recipe_dir = project.path().join("recipes/demo");
        fs_err::create_dir_all(recipe_dir.join("src")).unwrap();
        fs_err::write(
            recipe_dir.join("recipe.toml"),
            "[package]\nname = \"demo\"\nversion = \"1.0\"\n\n[source]\npath = \"src\"\n\n\
             [build]\ntype = \"static_library\"\nscript = \"true\"\n",
        )
        .unwrap();
        let recipe = crate::recipe::load(&recipe_dir.join("recipe.toml")).unwrap();
        let settings = Settings::from_lookup(Overrides::default(), project.path(), &|name| {
            (name == "KILN_PROJECT_DIR").then(|| project.path().display().to_string())
        });
        let stale = settings.build_dir().join("demo/src/stale.c");
        fs_err::create_dir_all(stale.parent().unwrap()).unwrap();
        fs_err::write(&stale, "").unwrap();

        let key = Sha256::of_bytes(b"inputs");
        let work = WorkDir::prepare(&settings, &recipe, &key).unwrap();
        assert_eq!(work.dir, settings.build_dir().join("demo"));
        assert!(!stale.exists(), "the folder starts empty");
        assert_eq!(
            fs_err::read_to_string(&work.log).unwrap(),
            format!("kiln: building demo 1.0 (key {key})\n")
        );
        assert_eq!(work.script(), work.dir.join("build.sh"));
        assert!(work.create_prefix("demo").unwrap().is_dir());

        // Another build of the recipe waits while this one holds the folder.
        let lock_path = settings.build_dir().join(".demo.lock");
        let other = std::fs::File::options()
            .write(true)
            .open(&lock_path)
            .unwrap();
        assert!(other.try_lock().is_err());
        drop(work);
        // A child another test thread is starting may hold a copy of the descriptor until it
        // execs (close-on-exec), so the release is seen within a moment, not at once.
        let released = (0..200).any(|_| {
            other.try_lock().is_ok() || {
                std::thread::sleep(std::time::Duration::from_millis(10));
                false
            }
        });
        assert!(released, "the lock is released when the work folder drops");
    }
}
