//! `pyodide-lock.json`: the index of a distribution, in the format Pyodide's runtime and the
//! `pyodide-lock` tooling read.
//!
//! The loader resolves `loadPackage("numpy")` through it: which file, its sha256, where it
//! installs (`site` for packages, `dynlib` for shared libraries loaded globally first), what
//! it depends on and which top-level imports it provides. kiln writes it as Pyodide does: one
//! line, keys sorted (struct fields below are declared in alphabetical order for that), and
//! atomically, so a reader never sees half a file.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::Sha256;

pub const LOCK_FILE: &str = "pyodide-lock.json";

/// The whole lockfile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub info: LockInfo,
    pub packages: BTreeMap<String, LockEntry>,
}

/// `info`: what runtime the packages were built for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockInfo {
    /// The ABI id from the platform file.
    pub abi_version: String,
    pub arch: String,
    /// `emscripten_<version>`, as Pyodide writes it.
    pub platform: String,
    pub python: String,
    /// The distribution's version (kiln's own, here).
    pub version: String,
}

/// One package (or shared library) in the distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub depends: Vec<String>,
    pub file_name: String,
    pub imports: Vec<String>,
    /// `site` or `dynlib`.
    pub install_dir: String,
    pub name: String,
    /// `package` or `shared_library`.
    pub package_type: String,
    pub sha256: String,
    pub unvendored_tests: bool,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a valid lockfile", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl Lockfile {
    pub fn read(path: &Path) -> Result<Self, LockError> {
        let text = fs_err::read_to_string(path).map_err(|source| LockError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| LockError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// One line, sorted keys, written atomically.
    pub fn write(&self, path: &Path) -> Result<(), LockError> {
        let text = serde_json::to_string(self).expect("a lockfile serialises");
        crate::fs::write_atomic(path, text.as_bytes()).map_err(|source| LockError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// What the recipes know about a package that its wheel does not say.
#[derive(Debug, Clone, Default)]
pub struct PackageInfo {
    pub imports: Vec<String>,
    pub depends: Vec<String>,
    /// For a shared library recipe: its version, so `<name>-<version>.zip` in the folder is
    /// its `dynlib` entry.
    pub shared_library_version: Option<String>,
}

/// Builds the lockfile for every wheel in `dist`: a `<name>_tests-…` wheel becomes the
/// `<name>-tests` entry (depending on `<name>`, whose `unvendored_tests` is then true).
/// Imports and dependencies come from `known` (the recipes), else imports from the wheel's
/// top-level entries.
pub fn from_dist(
    dist: &Path,
    info: LockInfo,
    known: &BTreeMap<String, PackageInfo>,
) -> Result<Lockfile, LockError> {
    let entries = fs_err::read_dir(dist).map_err(|source| LockError::Read {
        path: dist.to_path_buf(),
        source,
    })?;
    let mut wheels: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    wheels.sort();
    let mut packages = BTreeMap::new();
    for wheel in &wheels {
        let file_name = wheel
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut parts = file_name.split('-');
        let (Some(raw_name), Some(version)) = (
            parts.next().map(str::to_string),
            parts.next().map(str::to_string),
        ) else {
            continue;
        };
        let name = crate::recipe::normalize_name(&raw_name);
        let sha256 = Sha256::of_file(wheel).map_err(|source| LockError::Read {
            path: wheel.clone(),
            source,
        })?;
        let (base, is_tests) = match name.strip_suffix("-tests") {
            Some(base) => (base.to_string(), true),
            None => (name.clone(), false),
        };
        let info = known.get(&base).cloned().unwrap_or_default();
        let imports = if is_tests {
            Vec::new()
        } else if info.imports.is_empty() {
            top_level_names(wheel)?
        } else {
            info.imports.clone()
        };
        let depends = if is_tests {
            vec![base.clone()]
        } else {
            info.depends.clone()
        };
        packages.insert(
            name.clone(),
            LockEntry {
                depends,
                file_name,
                imports,
                install_dir: "site".into(),
                name: name.clone(),
                package_type: "package".into(),
                sha256: sha256.to_string(),
                unvendored_tests: false,
                version,
            },
        );
    }
    for (name, info) in known {
        let Some(version) = &info.shared_library_version else {
            continue;
        };
        let file_name = format!("{name}-{version}.zip");
        let path = dist.join(&file_name);
        if !path.is_file() {
            continue;
        }
        let sha256 = Sha256::of_file(&path).map_err(|source| LockError::Read {
            path: path.clone(),
            source,
        })?;
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
    Ok(Lockfile { info, packages })
}

/// Top-level importable names in a wheel: its first path segments that are packages or
/// modules, leaving out `.dist-info` and `.data`.
fn top_level_names(wheel: &Path) -> Result<Vec<String>, LockError> {
    let file = fs_err::File::open(wheel).map_err(|source| LockError::Read {
        path: wheel.to_path_buf(),
        source,
    })?;
    let Ok(mut archive) = zip::ZipArchive::new(file) else {
        return Ok(Vec::new());
    };
    let mut names = std::collections::BTreeSet::new();
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index(index) else {
            continue;
        };
        let Ok(path) = entry.name() else { continue };
        let first = path.split('/').next().unwrap_or("");
        if first.ends_with(".dist-info") || first.ends_with(".data") {
            continue;
        }
        if path.contains('/') {
            names.insert(first.to_string());
        } else if let Some(module) = first.strip_suffix(".py") {
            names.insert(module.to_string());
        } else if first.ends_with(".so") {
            names.insert(first.split('.').next().unwrap_or(first).to_string());
        }
    }
    Ok(names.into_iter().collect())
}

/// A problem `kiln verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    MissingFile {
        package: String,
        file: String,
    },
    HashMismatch {
        package: String,
        file: String,
        expected: String,
        actual: String,
    },
    DanglingDependency {
        package: String,
        dependency: String,
    },
    NotInLock {
        file: String,
    },
    Record {
        file: String,
        detail: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::MissingFile { package, file } => write!(f, "`{package}`: `{file}` is missing"),
            Problem::HashMismatch {
                package,
                file,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "`{package}`: `{file}` does not match the lock\n    expected: {expected}\n    actual:   {actual}"
                )
            }
            Problem::DanglingDependency {
                package,
                dependency,
            } => {
                write!(
                    f,
                    "`{package}` depends on `{dependency}`, which is not in the lock"
                )
            }
            Problem::NotInLock { file } => {
                write!(f, "`{file}` is in the folder but not in the lock")
            }
            Problem::Record { file, detail } => write!(f, "`{file}`: RECORD: {detail}"),
        }
    }
}

/// Checks a distribution folder against its lockfile: files exist with their sha256, every
/// dependency resolves, every wheel is listed, and each wheel's RECORD matches its contents.
pub fn verify(dist: &Path) -> Result<Vec<Problem>, LockError> {
    let lock = Lockfile::read(&dist.join(LOCK_FILE))?;
    let mut problems = Vec::new();
    for (key, entry) in &lock.packages {
        let path = dist.join(&entry.file_name);
        if !path.is_file() {
            problems.push(Problem::MissingFile {
                package: key.clone(),
                file: entry.file_name.clone(),
            });
        } else {
            let actual = Sha256::of_file(&path).map_err(|source| LockError::Read {
                path: path.clone(),
                source,
            })?;
            if actual.to_string() != entry.sha256 {
                problems.push(Problem::HashMismatch {
                    package: key.clone(),
                    file: entry.file_name.clone(),
                    expected: entry.sha256.clone(),
                    actual: actual.to_string(),
                });
            }
            if entry.file_name.ends_with(".whl") {
                problems.extend(check_record(&path)?);
            }
        }
        for dependency in &entry.depends {
            if !lock.packages.contains_key(dependency) {
                problems.push(Problem::DanglingDependency {
                    package: key.clone(),
                    dependency: dependency.clone(),
                });
            }
        }
    }
    let listed: Vec<&str> = lock
        .packages
        .values()
        .map(|entry| entry.file_name.as_str())
        .collect();
    let entries = fs_err::read_dir(dist).map_err(|source| LockError::Read {
        path: dist.to_path_buf(),
        source,
    })?;
    let mut unlisted: Vec<String> = entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".whl") && !listed.contains(&name.as_str()))
        .collect();
    unlisted.sort();
    problems.extend(unlisted.into_iter().map(|file| Problem::NotInLock { file }));
    Ok(problems)
}

/// Compares a wheel's RECORD with its entries: every file listed with the right digest and
/// size, and no file unlisted.
pub fn check_record(wheel: &Path) -> Result<Vec<Problem>, LockError> {
    use base64::Engine;
    let read_error = |source| LockError::Read {
        path: wheel.to_path_buf(),
        source,
    };
    let file_name = wheel
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let problem = |detail: String| Problem::Record {
        file: file_name.clone(),
        detail,
    };
    let file = fs_err::File::open(wheel).map_err(read_error)?;
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(archive) => archive,
        Err(error) => return Ok(vec![problem(format!("not a zip file: {error}"))]),
    };
    let names: Vec<String> = (0..archive.len())
        .filter_map(|index| {
            archive
                .by_index(index)
                .ok()
                .and_then(|entry| entry.name().ok().map(|name| name.to_string()))
        })
        .collect();
    let Some(record_name) = names
        .iter()
        .find(|name| name.ends_with(".dist-info/RECORD"))
        .cloned()
    else {
        return Ok(vec![problem("no RECORD".into())]);
    };
    let mut record = String::new();
    match archive.by_name(&record_name) {
        Ok(mut entry) => entry.read_to_string(&mut record).map_err(read_error)?,
        Err(error) => return Ok(vec![problem(format!("unreadable: {error}"))]),
    };
    let mut problems = Vec::new();
    let mut listed = Vec::new();
    for line in record.lines().filter(|line| !line.is_empty()) {
        let mut fields = line.rsplitn(3, ',');
        let (size, digest, path) = (
            fields.next().unwrap_or(""),
            fields.next().unwrap_or(""),
            fields.next().unwrap_or(""),
        );
        listed.push(path.to_string());
        if path == record_name {
            continue;
        }
        let mut bytes = Vec::new();
        match archive.by_name(path) {
            Ok(mut entry) => entry.read_to_end(&mut bytes).map_err(read_error)?,
            Err(_) => {
                problems.push(problem(format!(
                    "lists `{path}`, which the wheel does not contain"
                )));
                continue;
            }
        };
        let actual = format!(
            "sha256={}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::of_bytes(&bytes).as_bytes())
        );
        if digest != actual || size != bytes.len().to_string() {
            problems.push(problem(format!("`{path}` does not match its RECORD line")));
        }
    }
    for name in names
        .iter()
        .filter(|name| !name.ends_with('/') && !listed.contains(name))
    {
        problems.push(problem(format!("`{name}` is not listed")));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, depends: &[&str]) -> LockEntry {
        LockEntry {
            depends: depends.iter().map(|d| d.to_string()).collect(),
            file_name: format!("{name}-1.0-py3-none-any.whl"),
            imports: vec![name.to_string()],
            install_dir: "site".into(),
            name: name.into(),
            package_type: "package".into(),
            sha256: String::new(),
            unvendored_tests: false,
            version: "1.0".into(),
        }
    }

    /// A wheel whose RECORD lists `files` with their real digests, then `tamper` applied.
    fn wheel_with_record(
        dir: &Path,
        files: &[(&str, &[u8])],
        tamper: Option<(&str, &[u8])>,
    ) -> PathBuf {
        use base64::Engine;
        let mut zip = crate::zipfile::DeterministicZip::new();
        let mut record = String::new();
        for (name, bytes) in files {
            let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::of_bytes(bytes).as_bytes());
            record.push_str(&format!("{name},sha256={digest},{}\n", bytes.len()));
            zip.add(*name, bytes.to_vec(), false);
        }
        record.push_str("demo-1.0.dist-info/RECORD,,\n");
        zip.add("demo-1.0.dist-info/RECORD", record.into_bytes(), false);
        if let Some((name, bytes)) = tamper {
            zip.add(name, bytes.to_vec(), false);
        }
        let path = dir.join("demo-1.0-py3-none-any.whl");
        let cursor = zip
            .write(
                std::io::Cursor::new(Vec::new()),
                0,
                zip::CompressionMethod::Deflated,
            )
            .unwrap();
        fs_err::write(&path, cursor.into_inner()).unwrap();
        path
    }

    #[test]
    fn record_check_finds_changed_and_unlisted_files() {
        let dir = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[
            ("demo/__init__.py", b"x = 1\n"),
            ("demo-1.0.dist-info/METADATA", b"Name: demo\n"),
        ];
        let good = wheel_with_record(dir.path(), files, None);
        assert_eq!(check_record(&good).unwrap(), vec![]);
        let changed = wheel_with_record(dir.path(), files, Some(("demo/__init__.py", b"x = 2\n")));
        let problems = check_record(&changed).unwrap();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .to_string()
                .contains("`demo/__init__.py` does not match its RECORD line"),
            "{}",
            problems[0]
        );
        let extra = wheel_with_record(dir.path(), files, Some(("demo/evil.py", b"")));
        let problems = check_record(&extra).unwrap();
        assert!(
            problems[0]
                .to_string()
                .contains("`demo/evil.py` is not listed"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn writes_one_line_with_sorted_keys() {
        let lock = Lockfile {
            info: LockInfo {
                abi_version: "a".into(),
                arch: "wasm32".into(),
                platform: "emscripten_3_1_69".into(),
                python: "3.13.5".into(),
                version: "0.1.0".into(),
            },
            packages: BTreeMap::from([
                ("b".to_string(), entry("b", &[])),
                ("a".to_string(), entry("a", &["b"])),
            ]),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        lock.write(&path).unwrap();
        let text = fs_err::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(
            text.starts_with(r#"{"info":{"abi_version":"a","arch":"wasm32","#),
            "{text}"
        );
        assert!(text.find(r#""a":{"depends":["b"]"#).unwrap() < text.find(r#""b":{"#).unwrap());
        assert_eq!(Lockfile::read(&path).unwrap(), lock);
    }
}
