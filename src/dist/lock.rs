//! `kiln lock`: the lockfile for the wheels and shared libraries in a distribution folder.
//!
//! Every `.whl` in the folder is read with the one wheel reader ([`super::wheel::read`]); if
//! any is refused, nothing is written and the previous lockfile stays as it was, and every
//! refusal is reported at once. Entries for packages kiln built take `imports` and `depends`
//! from their recipes ([`PackageInfo`]); a wheel kiln did not build takes `depends` from its
//! `Requires-Dist` evaluated for the runtime and `imports` from its top-level packages. A
//! `<name>_tests` wheel becomes the `<name>-tests` entry, depending on `<name>`.
//!
//! The folder is locked while the lockfile is written, and temporary files a killed run left
//! behind are removed first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::file::{FileProblem, FolderLock, open_regular, remove_stray_temporaries};
use super::lockfile::{LOCK_FILE, LockEntry, Lockfile, LockfileError};
use super::wheel::{self, Limits, WheelRefusal};
use super::{Runtime, metadata};
use crate::hash::Sha256;

/// What the recipes know about a package that its wheel does not say.
#[derive(Debug, Clone, Default)]
pub struct PackageInfo {
    pub imports: Vec<String>,
    pub depends: Vec<String>,
    /// For a shared library recipe: its version, so `<name>-<version>.zip` in the folder is
    /// its `dynlib` entry.
    pub shared_library_version: Option<String>,
}

impl PackageInfo {
    /// What the recipes say about the packages and shared libraries they build, by name.
    pub fn from_recipes(recipes: &[crate::recipe::Recipe]) -> BTreeMap<String, PackageInfo> {
        use crate::recipe::BuildKind;
        recipes
            .iter()
            .filter(|recipe| {
                matches!(
                    recipe.build.kind,
                    BuildKind::Package | BuildKind::SharedLibrary
                )
            })
            .map(|recipe| {
                let info = PackageInfo {
                    imports: recipe.package.top_level.clone(),
                    depends: recipe.requirements.run.clone(),
                    shared_library_version: (recipe.build.kind == BuildKind::SharedLibrary)
                        .then(|| recipe.package.version.clone()),
                };
                (recipe.package.name.clone(), info)
            })
            .collect()
    }
}

/// What `lock` is told besides the folder.
pub struct LockOptions<'a> {
    pub runtime: &'a Runtime,
    /// Recipe knowledge by (normalised) package name.
    pub known: &'a BTreeMap<String, PackageInfo>,
    pub limits: Limits,
}

/// The written lockfile, and what was cleaned up on the way.
#[derive(Debug)]
pub struct Locked {
    pub path: PathBuf,
    pub lockfile: Lockfile,
    /// Temporary files of an interrupted earlier run that were removed.
    pub removed_temporaries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read the distribution folder `{}`", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} wheel{} in `{}` refused; the lockfile was not written",
        refusals.len(),
        if refusals.len() == 1 { "" } else { "s" },
        dist.display()
    )]
    Refused {
        dist: PathBuf,
        refusals: Vec<WheelRefusal>,
    },
    #[error("`{}` and `{}` are both `{name}`; keep one", first.display(), second.display())]
    Conflict {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("cannot read the shared library `{}`: {}", path.display(), problem)]
    SharedLibrary { path: PathBuf, problem: FileProblem },
    #[error(
        "cannot tell the dependencies of `{}`: the project has no `runtime` recipe, so its Python version is unknown",
        wheel.display()
    )]
    UnknownPython { wheel: PathBuf },
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
}

/// Reads every wheel in `dist` and writes `dist/pyodide-lock.json`.
pub fn lock(dist: &Path, options: &LockOptions) -> Result<Locked, LockError> {
    let folder_error = |source| LockError::Folder {
        path: dist.to_path_buf(),
        source,
    };
    let _guard = FolderLock::acquire(dist).map_err(folder_error)?;
    let removed_temporaries = remove_stray_temporaries(dist).map_err(folder_error)?;
    let lockfile = build(dist, options)?;
    let path = dist.join(LOCK_FILE);
    lockfile.write(&path)?;
    Ok(Locked {
        path,
        lockfile,
        removed_temporaries,
    })
}

/// The lockfile for `dist`, without writing it.
pub fn build(dist: &Path, options: &LockOptions) -> Result<Lockfile, LockError> {
    let folder_error = |source| LockError::Folder {
        path: dist.to_path_buf(),
        source,
    };
    let mut wheel_paths = Vec::new();
    for entry in fs_err::read_dir(dist).map_err(folder_error)? {
        let entry = entry.map_err(folder_error)?;
        if entry.file_name().to_string_lossy().ends_with(".whl") {
            wheel_paths.push(entry.path());
        }
    }
    wheel_paths.sort();

    let mut wheels = Vec::new();
    let mut refusals = Vec::new();
    for path in &wheel_paths {
        match wheel::read(path, options.runtime, &options.limits) {
            Ok(wheel) => wheels.push(wheel),
            Err(refusal) => refusals.push(refusal),
        }
    }
    if !refusals.is_empty() {
        return Err(LockError::Refused {
            dist: dist.to_path_buf(),
            refusals,
        });
    }

    let environment = metadata::environment(options.runtime);
    let mut packages: BTreeMap<String, LockEntry> = BTreeMap::new();
    let mut sources: BTreeMap<String, PathBuf> = BTreeMap::new();
    for wheel in &wheels {
        let name = crate::recipe::normalize_name(wheel.filename.name());
        if let Some(first) = sources.insert(name.clone(), wheel.path.clone()) {
            return Err(LockError::Conflict {
                name,
                first,
                second: wheel.path.clone(),
            });
        }
        let (base, is_tests) = match name.strip_suffix("-tests") {
            Some(base) => (base.to_string(), true),
            None => (name.clone(), false),
        };
        let known = options.known.get(&base);
        let (imports, depends) = match (is_tests, known) {
            (true, _) => (Vec::new(), vec![base.clone()]),
            (false, Some(info)) => (
                if info.imports.is_empty() {
                    wheel.top_level.clone()
                } else {
                    info.imports.clone()
                },
                info.depends.clone(),
            ),
            (false, None) if wheel.metadata.requires_dist.is_empty() => {
                (wheel.top_level.clone(), Vec::new())
            }
            (false, None) => {
                let Some(environment) = &environment else {
                    return Err(LockError::UnknownPython {
                        wheel: wheel.path.clone(),
                    });
                };
                (wheel.top_level.clone(), wheel.metadata.depends(environment))
            }
        };
        packages.insert(
            name.clone(),
            LockEntry {
                depends,
                file_name: file_name(&wheel.path),
                imports,
                install_dir: "site".into(),
                name,
                package_type: "package".into(),
                sha256: wheel.sha256.to_string(),
                unvendored_tests: false,
                version: wheel.filename.version().to_string(),
            },
        );
    }
    for (name, info) in options.known {
        let Some(version) = &info.shared_library_version else {
            continue;
        };
        let file_name = format!("{name}-{version}.zip");
        let path = dist.join(&file_name);
        let sha256 = match open_regular(&path, options.limits.file_bytes) {
            Ok((file, _)) => {
                Sha256::of_reader(file).map_err(|source| LockError::SharedLibrary {
                    path: path.clone(),
                    problem: FileProblem::Io(source),
                })?
            }
            Err(FileProblem::NotFound) => continue,
            Err(problem) => return Err(LockError::SharedLibrary { path, problem }),
        };
        packages.insert(
            name.clone(),
            LockEntry {
                depends: info.depends.clone(),
                file_name,
                imports: Vec::new(),
                install_dir: "dynlib".into(),
                name: name.clone(),
                package_type: "shared_library".into(),
                sha256: sha256.to_string(),
                unvendored_tests: false,
                version: version.clone(),
            },
        );
    }
    let tested: Vec<String> = packages
        .keys()
        .filter_map(|key| key.strip_suffix("-tests").map(str::to_string))
        .collect();
    for base in tested {
        if let Some(entry) = packages.get_mut(&base) {
            entry.unvendored_tests = true;
        }
    }
    let mut info = options.runtime.lock_info();
    // A slim runtime (`--slim`) is not a general one: the lockfile says so too.
    info.variant =
        crate::bundle::variant(dist).filter(|variant| variant != crate::bundle::slim::FULL);
    Ok(Lockfile { info, packages })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::rawzip::TestWheel;
    use crate::dist::tests::runtime;

    fn options<'a>(
        runtime: &'a Runtime,
        known: &'a BTreeMap<String, PackageInfo>,
    ) -> LockOptions<'a> {
        LockOptions {
            runtime,
            known,
            limits: Limits::DEFAULT,
        }
    }

    #[test]
    fn a_wheel_kiln_did_not_build_gets_depends_from_its_metadata() {
        let dir = tempfile::tempdir().unwrap();
        TestWheel::new("requests", "2.32.3")
            .requires("charset-normalizer <4,>=2")
            .requires("idna <4,>=2.5")
            .requires("urllib3 <3,>=1.21.1")
            .requires("certifi >=2017.4.17")
            .requires("PySocks !=1.5.7,>=1.5.6 ; extra == 'socks'")
            .requires("win-only ; sys_platform == 'win32'")
            .write_to(dir.path());
        TestWheel::new("built-by-kiln", "1.0")
            .requires("ignored-because-the-recipe-says")
            .write_to(dir.path());
        let known = BTreeMap::from([(
            "built-by-kiln".to_string(),
            PackageInfo {
                imports: vec!["built_by_kiln".into()],
                depends: vec!["requests".into()],
                shared_library_version: None,
            },
        )]);
        let runtime = runtime();
        let locked = lock(dir.path(), &options(&runtime, &known)).unwrap();
        let requests = &locked.lockfile.packages["requests"];
        assert_eq!(
            requests.depends,
            ["certifi", "charset-normalizer", "idna", "urllib3"]
        );
        assert_eq!(requests.imports, ["requests"]);
        assert_eq!(requests.version, "2.32.3");
        assert_eq!(
            locked.lockfile.packages["built-by-kiln"].depends,
            ["requests"]
        );
        assert_eq!(locked.lockfile.info.platform, "emscripten_6_0_5");
        assert_eq!(Lockfile::read(&locked.path).unwrap(), locked.lockfile);
    }

    #[test]
    fn a_refused_wheel_leaves_the_previous_lockfile_untouched() {
        let dir = tempfile::tempdir().unwrap();
        TestWheel::new("good", "1.0").write_to(dir.path());
        let runtime = runtime();
        let known = BTreeMap::new();
        let locked = lock(dir.path(), &options(&runtime, &known)).unwrap();
        let before = fs_err::read(&locked.path).unwrap();
        TestWheel::new("evil", "1.0")
            .file("../../../../tmp/x", b"")
            .write_to(dir.path());
        fs_err::write(dir.path().join("noise-1.0-py3-none-any.whl"), b"random").unwrap();
        let error = lock(dir.path(), &options(&runtime, &known)).unwrap_err();
        let LockError::Refused { refusals, .. } = &error else {
            panic!("{error}");
        };
        assert_eq!(refusals.len(), 2, "every refusal at once");
        assert!(error.to_string().contains("2 wheels"), "{error}");
        assert_eq!(fs_err::read(&locked.path).unwrap(), before);
    }

    #[test]
    fn without_a_runtime_recipe_only_markers_need_the_python_version() {
        let dir = tempfile::tempdir().unwrap();
        TestWheel::new("plain", "1.0").write_to(dir.path());
        let runtime = Runtime {
            python: None,
            ..runtime()
        };
        let known = BTreeMap::new();
        let locked = lock(dir.path(), &options(&runtime, &known)).unwrap();
        assert_eq!(locked.lockfile.info.python, "");
        TestWheel::new("needy", "1.0")
            .requires("six")
            .write_to(dir.path());
        let error = lock(dir.path(), &options(&runtime, &known)).unwrap_err();
        assert!(matches!(error, LockError::UnknownPython { .. }), "{error}");
    }

    #[test]
    fn two_wheels_of_one_package_conflict() {
        let dir = tempfile::tempdir().unwrap();
        TestWheel::new("demo", "1.0").write_to(dir.path());
        TestWheel::new("demo", "2.0").write_to(dir.path());
        let runtime = runtime();
        let known = BTreeMap::new();
        let error = lock(dir.path(), &options(&runtime, &known)).unwrap_err();
        assert!(matches!(error, LockError::Conflict { ref name, .. } if name == "demo"));
    }

    #[test]
    fn stray_temporary_files_of_an_interrupted_run_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(".tmpXyZ123"), b"half a lockfile").unwrap();
        let runtime = runtime();
        let known = BTreeMap::new();
        let locked = lock(dir.path(), &options(&runtime, &known)).unwrap();
        assert_eq!(locked.removed_temporaries, 1);
        assert!(!dir.path().join(".tmpXyZ123").exists());
    }

    #[test]
    fn tests_wheels_and_shared_libraries_keep_their_entries() {
        let dir = tempfile::tempdir().unwrap();
        TestWheel::new("demo", "1.0").write_to(dir.path());
        TestWheel::new("demo_tests", "1.0")
            .file("demo/tests/test_x.py", b"")
            .write_to(dir.path());
        fs_err::write(dir.path().join("libdemo-2.0.zip"), b"zip").unwrap();
        let known = BTreeMap::from([(
            "libdemo".to_string(),
            PackageInfo {
                shared_library_version: Some("2.0".into()),
                ..PackageInfo::default()
            },
        )]);
        let runtime = runtime();
        let lockfile = lock(dir.path(), &options(&runtime, &known))
            .unwrap()
            .lockfile;
        assert!(lockfile.packages["demo"].unvendored_tests);
        assert_eq!(lockfile.packages["demo-tests"].depends, ["demo"]);
        assert_eq!(lockfile.packages["libdemo"].install_dir, "dynlib");
    }
}
