//! `kiln verify`: does a distribution folder match its lockfile?
//!
//! The lockfile is read as untrusted input: each `file_name` must be a plain name inside the
//! folder (a lock entry `../elsewhere/x.whl` or `/etc/passwd` is a problem, never opened).
//! Each wheel goes through the same reader as `lock` ([`super::wheel::read`]), with the tags
//! the lockfile's own `info` names, so a folder that verifies holds only wheels `lock` would
//! accept. Problems are reported per package and the run goes on: one broken wheel does not
//! hide the next. Only a lockfile that cannot be read at all is an error.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use super::Runtime;
use super::file::{FileProblem, is_plain_name, open_regular};
use super::lockfile::{LOCK_FILE, Lockfile, LockfileError};
use super::wheel::{self, Limits, Refusal, WheelRefusal};
use crate::hash::Sha256;

/// A problem `kiln verify` found.
#[derive(Debug)]
pub enum Problem {
    /// The entry's `file_name` is not a plain name in the folder; it was not opened.
    OutsideFolder {
        package: String,
        file: String,
    },
    MissingFile {
        package: String,
        file: String,
    },
    /// A non-wheel file (a shared library's zip) that is not a readable regular file.
    Unreadable {
        package: String,
        file: String,
        problem: FileProblem,
    },
    HashMismatch {
        package: String,
        file: String,
        expected: String,
        actual: String,
    },
    /// The wheel reader refused the wheel.
    Wheel {
        package: String,
        refusal: WheelRefusal,
    },
    /// The entry's name or version is not the wheel's.
    EntryMismatch {
        package: String,
        field: &'static str,
        lock: String,
        wheel: String,
    },
    DanglingDependency {
        package: String,
        dependency: String,
    },
    NotInLock {
        file: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::OutsideFolder { package, file } => write!(
                f,
                "`{package}`: `{file}` is not a file name in the distribution folder; lockfile entries name files beside the lockfile"
            ),
            Problem::MissingFile { package, file } => write!(f, "`{package}`: `{file}` is missing"),
            Problem::Unreadable {
                package,
                file,
                problem,
            } => match problem {
                FileProblem::Io(error) => {
                    write!(f, "`{package}`: `{file}`: cannot read it: {error}")
                }
                other => write!(f, "`{package}`: `{file}`: {other}"),
            },
            Problem::HashMismatch {
                package,
                file,
                expected,
                actual,
            } => write!(
                f,
                "`{package}`: `{file}` does not match the lock\n    expected: {expected}\n    actual:   {actual}"
            ),
            Problem::Wheel { package, refusal } => write!(
                f,
                "`{package}`: `{}`: {}",
                refusal
                    .wheel
                    .file_name()
                    .map(|name| name.to_string_lossy())
                    .unwrap_or_default(),
                refusal.reason
            ),
            Problem::EntryMismatch {
                package,
                field,
                lock,
                wheel,
            } => write!(
                f,
                "`{package}`: the lock says {field} `{lock}`, the wheel `{wheel}`"
            ),
            Problem::DanglingDependency {
                package,
                dependency,
            } => write!(
                f,
                "`{package}` depends on `{dependency}`, which is not in the lock"
            ),
            Problem::NotInLock { file } => {
                write!(f, "`{file}` is in the folder but not in the lock")
            }
        }
    }
}

/// Checks `dist` against `dist/pyodide-lock.json`.
pub fn verify(dist: &Path, limits: &Limits) -> Result<Vec<Problem>, LockfileError> {
    let lock_path = dist.join(LOCK_FILE);
    let lock = Lockfile::read(&lock_path)?;
    let runtime = Runtime::from_lock_info(&lock.info, lock_path.clone())?;
    let mut problems = Vec::new();
    for (key, entry) in &lock.packages {
        let package = key.clone();
        let file = entry.file_name.clone();
        for dependency in &entry.depends {
            if !lock.packages.contains_key(dependency) {
                problems.push(Problem::DanglingDependency {
                    package: package.clone(),
                    dependency: dependency.clone(),
                });
            }
        }
        if !is_plain_name(&file) {
            problems.push(Problem::OutsideFolder { package, file });
            continue;
        }
        let path = dist.join(&file);
        match open_regular(&path, limits.file_bytes)
            .and_then(|(file, _)| Sha256::of_reader(file).map_err(FileProblem::Io))
        {
            Ok(sha256) if sha256.to_string() != entry.sha256 => {
                problems.push(Problem::HashMismatch {
                    package: package.clone(),
                    file: file.clone(),
                    expected: entry.sha256.clone(),
                    actual: sha256.to_string(),
                });
            }
            Ok(_) => {}
            Err(FileProblem::NotFound) => {
                problems.push(Problem::MissingFile { package, file });
                continue;
            }
            Err(problem) if !file.ends_with(".whl") => {
                problems.push(Problem::Unreadable {
                    package,
                    file,
                    problem,
                });
                continue;
            }
            // A wheel's reader reports it, naming the file kind or the limit.
            Err(_) => {}
        }
        if !file.ends_with(".whl") {
            continue;
        }
        match wheel::read(&path, &runtime, limits) {
            Ok(wheel) => {
                let name = crate::recipe::normalize_name(wheel.filename.name());
                if name != *key {
                    problems.push(Problem::EntryMismatch {
                        package: package.clone(),
                        field: "name",
                        lock: key.clone(),
                        wheel: name,
                    });
                }
                if wheel.filename.version() != entry.version {
                    problems.push(Problem::EntryMismatch {
                        package,
                        field: "version",
                        lock: entry.version.clone(),
                        wheel: wheel.filename.version().to_string(),
                    });
                }
            }
            Err(refusal) if matches!(*refusal.reason, Refusal::File(FileProblem::NotFound)) => {
                problems.push(Problem::MissingFile { package, file })
            }
            Err(refusal) => problems.push(Problem::Wheel { package, refusal }),
        }
    }
    let listed: HashSet<&str> = lock
        .packages
        .values()
        .map(|entry| entry.file_name.as_str())
        .collect();
    let read_error = |source| LockfileError::Read {
        path: dist.to_path_buf(),
        source: FileProblem::Io(source),
    };
    let mut unlisted = Vec::new();
    for entry in fs_err::read_dir(dist).map_err(read_error)? {
        let name = entry
            .map_err(read_error)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".whl") && !listed.contains(name.as_str()) {
            unlisted.push(name);
        }
    }
    unlisted.sort();
    problems.extend(unlisted.into_iter().map(|file| Problem::NotInLock { file }));
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::dist::lock::{LockOptions, lock};
    use crate::dist::rawzip::TestWheel;
    use crate::dist::tests::runtime;

    fn locked_dist(wheels: &[TestWheel]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for wheel in wheels {
            wheel.write_to(dir.path());
        }
        let runtime = runtime();
        let known = BTreeMap::new();
        let options = LockOptions {
            runtime: &runtime,
            known: &known,
            limits: Limits::DEFAULT,
        };
        lock(dir.path(), &options).unwrap();
        dir
    }

    fn edit_lock(dir: &Path, edit: impl FnOnce(&mut Lockfile)) {
        let path = dir.join(LOCK_FILE);
        let mut lockfile = Lockfile::read(&path).unwrap();
        edit(&mut lockfile);
        lockfile.write(&path).unwrap();
    }

    fn problems(dir: &Path) -> Vec<String> {
        verify(dir, &Limits::DEFAULT)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_fresh_lock_verifies() {
        let dir = locked_dist(&[
            TestWheel::new("a", "1.0"),
            TestWheel::new("b", "1.0").file("b/with,comma.py", b""),
        ]);
        assert_eq!(problems(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn lockfile_paths_outside_the_folder_are_problems_and_never_opened() {
        let dir = locked_dist(&[]);
        edit_lock(dir.path(), |lockfile| {
            for (key, file) in [
                ("up", "../elsewhere/x.whl"),
                ("passwd", "/etc/passwd"),
                ("environ", "/proc/self/environ"),
            ] {
                let mut entry = lockfile.packages.get("none").cloned().unwrap_or_else(|| {
                    crate::dist::lockfile::LockEntry {
                        depends: vec![],
                        file_name: String::new(),
                        imports: vec![],
                        install_dir: "site".into(),
                        name: key.into(),
                        package_type: "package".into(),
                        sha256: String::new(),
                        unvendored_tests: false,
                        version: "1".into(),
                    }
                });
                entry.file_name = file.into();
                lockfile.packages.insert(key.into(), entry);
            }
        });
        let found = problems(dir.path());
        assert_eq!(found.len(), 3, "{found:#?}");
        for problem in &found {
            assert!(
                problem.contains("is not a file name in the distribution folder"),
                "{problem}"
            );
        }
    }

    #[test]
    fn each_broken_wheel_is_reported_and_the_run_goes_on() {
        let dir = locked_dist(&[
            TestWheel::new("a", "1.0"),
            TestWheel::new("b", "1.0"),
            TestWheel::new("c", "1.0"),
        ]);
        let a = dir.path().join(TestWheel::new("a", "1.0").file_name());
        let mut bytes = fs_err::read(&a).unwrap();
        // Corrupt the deflated payload of the first member: a bad checksum, not a bad zip.
        bytes[30 + "a/__init__.py".len() + 2] ^= 0xff;
        fs_err::write(&a, &bytes).unwrap();
        let b = dir.path().join(TestWheel::new("b", "1.0").file_name());
        fs_err::remove_file(&b).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &b).unwrap();
        let found = problems(dir.path());
        assert!(
            found.iter().any(
                |p| p.starts_with("`a`: `a-1.0-py3-none-any.whl`: cannot inflate")
                    || p.starts_with("`a`: `a-1.0-py3-none-any.whl`: member")
            ),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.contains("`b`") && p.contains("symbolic link")),
            "{found:#?}"
        );
        assert!(!found.iter().any(|p| p.contains("`c`")), "{found:#?}");
    }

    #[test]
    fn tampered_missing_dangling_and_unlisted() {
        let dir = locked_dist(&[TestWheel::new("a", "1.0"), TestWheel::new("b", "1.0")]);
        let a = dir.path().join(TestWheel::new("a", "1.0").file_name());
        fs_err::remove_file(&a).unwrap();
        edit_lock(dir.path(), |lockfile| {
            lockfile.packages.get_mut("b").unwrap().depends = vec!["ghost".into()];
            lockfile.packages.get_mut("b").unwrap().sha256 = "0".repeat(64);
        });
        TestWheel::new("extra", "1.0").write_to(dir.path());
        let found = problems(dir.path()).join("\n");
        assert!(
            found.contains("`a`: `a-1.0-py3-none-any.whl` is missing"),
            "{found}"
        );
        assert!(found.contains("`b` depends on `ghost`"), "{found}");
        assert!(found.contains("does not match the lock"), "{found}");
        assert!(
            found.contains("`extra-1.0-py3-none-any.whl` is in the folder but not in the lock"),
            "{found}"
        );
    }
}
