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
    OutsideFolder { package: String, file: String },
    MissingFile { package: String, file: String },
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
    DanglingDependency { package: String, dependency: String },
    NotInLock { file: String },
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
                FileProblem::Io(error) => write!(f, "`{package}`: `{file}`: cannot read it: {error}"),
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
