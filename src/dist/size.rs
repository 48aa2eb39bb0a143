//! The size report of a distribution folder, and the budget it is checked against.
//!
//! What a user downloads is counted the way browsers download it: every file raw and
//! compressed (gzip -9 and brotli 11, the sizes of the `.gz`/`.br` copies `--install` writes,
//! computed when a copy is missing). The runtime is split into what every boot downloads (the
//! core: interpreter, glue, loader, the stdlib's core archive) and the stdlib parts fetched on
//! first import; each package of the lockfile gets its file's size and, inside it, the
//! uncompressed size per kind of file (WebAssembly side modules, Python sources, bytecode,
//! everything else).
//!
//! A budget file (`size-budget.toml`) sets limits; [`check_budget`] names every package or
//! total over its limit with both numbers, and `--install` fails on any:
//!
//! ```toml
//! [runtime]
//! core-gzip = "4.2 MB"      # what a boot downloads, gzip
//! core-brotli = "3.6 MB"
//! [packages]
//! default = "10 MB"         # any package's file
//! scipy = "40 MB"
//! ```

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lockfile::{LOCK_FILE, Lockfile};
use crate::bundle::precompress::Memo;

/// The files every boot downloads (the stdlib's core archive included).
pub const CORE_FILES: &[&str] = &[
    "python.wasm",
    "python.js",
    "python.mjs",
    "python_stdlib.zip",
];

/// Raw, gzip and brotli sizes of one file or a sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sizes {
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl std::ops::AddAssign for Sizes {
    fn add_assign(&mut self, other: Self) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

/// The uncompressed bytes inside a wheel, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Kinds {
    /// WebAssembly side modules (`.so`).
    pub wasm: u64,
    /// Python sources (`.py`).
    pub python: u64,
    /// Bytecode (`.pyc`).
    pub bytecode: u64,
    /// Everything else (data, metadata, type stubs…).
    pub other: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageSize {
    pub name: String,
    pub file: String,
    pub size: u64,
    pub files: usize,
    pub kinds: Kinds,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    /// Every core file, by name.
    pub core_files: BTreeMap<String, Sizes>,
    /// The sum of [`Self::core_files`]: what a boot downloads.
    pub core: Sizes,
    /// The lazy stdlib parts together, and how many.
    pub stdlib_parts: Sizes,
    pub stdlib_part_count: usize,
    /// Packages of the lockfile, by name.
    pub packages: Vec<PackageSize>,
}

#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read `{}` as a lockfile", path.display())]
    Lockfile {
        path: PathBuf,
        #[source]
        source: super::lockfile::LockfileError,
    },
    #[error("`{}` is not a zip archive", path.display())]
    Archive {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("cannot read the budget file `{}`", path.display())]
    Budget {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{}", Overruns(.0))]
    OverBudget(Vec<Overrun>),
}

/// One limit exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overrun {
    /// `core-gzip`, `core-brotli`, or a package name.
    pub what: String,
    pub size: u64,
    pub limit: u64,
}

struct Overruns<'a>(&'a [Overrun]);

impl std::fmt::Display for Overruns<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} size budget(s) exceeded", self.0.len())?;
        for overrun in self.0 {
            write!(
                f,
                "\n  `{}`: {} > budget {} (by {})",
                overrun.what,
                human(overrun.size),
                human(overrun.limit),
                human(overrun.size - overrun.limit)
            )?;
        }
        Ok(())
    }
}

/// `1.23 MB` (decimal, as download sizes are usually given).
pub fn human(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.2} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} kB", bytes as f64 / 1e3)
    }
}

/// The sizes of one file: raw, and its `.gz`/`.br` copies' (computed when missing).
pub fn file_sizes(path: &Path, memo: &Memo) -> Result<Sizes, SizeError> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SizeError::Read { path, source }
    };
    let raw = fs_err::metadata(path).map_err(read_error(path))?.len();
    let copy = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        fs_err::metadata(PathBuf::from(name)).ok().map(|m| m.len())
    };
    let (gzip, brotli) = match (copy(".gz"), copy(".br")) {
        (Some(gzip), Some(brotli)) => (gzip, brotli),
        (gzip, brotli) => {
            let bytes = fs_err::read(path).map_err(read_error(path))?;
            let encoded = |suffix: &str| memo.encoded_len(&bytes, suffix).map_err(read_error(path));
            (
                match gzip {
                    Some(gzip) => gzip,
                    None => encoded(".gz")?,
                },
                match brotli {
                    Some(brotli) => brotli,
                    None => encoded(".br")?,
                },
            )
        }
    };
    Ok(Sizes {
        raw,
        gzip: gzip.min(raw),
        brotli: brotli.min(raw),
    })
}

/// Reports on the distribution folder `dist`.
pub fn report(dist: &Path, memo: &Memo) -> Result<SizeReport, SizeError> {
    let mut core_files = BTreeMap::new();
    let mut core = Sizes::default();
    for name in CORE_FILES {
        let path = dist.join(name);
        if path.is_file() {
            let sizes = file_sizes(&path, memo)?;
            core += sizes;
            core_files.insert(name.to_string(), sizes);
        }
    }
    let mut stdlib_parts = Sizes::default();
    let mut stdlib_part_count = 0;
    let mut names: Vec<String> = fs_err::read_dir(dist)
        .map_err(|source| SizeError::Read {
            path: dist.to_path_buf(),
            source,
        })?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        if name.starts_with("python_stdlib-") && name.ends_with(".zip") {
            stdlib_parts += file_sizes(&dist.join(name), memo)?;
            stdlib_part_count += 1;
        }
    }
    let mut packages = Vec::new();
    let lock_path = dist.join(LOCK_FILE);
    if lock_path.is_file() {
        let lockfile = Lockfile::read(&lock_path).map_err(|source| SizeError::Lockfile {
            path: lock_path.clone(),
            source,
        })?;
        for (name, entry) in &lockfile.packages {
            let path = dist.join(&entry.file_name);
            if !path.is_file() {
                continue;
            }
            let (files, kinds) = archive_kinds(&path)?;
            packages.push(PackageSize {
                name: name.clone(),
                file: entry.file_name.clone(),
                size: fs_err::metadata(&path)
                    .map_err(|source| SizeError::Read {
                        path: path.clone(),
                        source,
                    })?
                    .len(),
                files,
                kinds,
            });
        }
    }
    Ok(SizeReport {
        core_files,
        core,
        stdlib_parts,
        stdlib_part_count,
        packages,
    })
}

/// Number of files in a wheel (or zip) and their uncompressed bytes by kind.
fn archive_kinds(path: &Path) -> Result<(usize, Kinds), SizeError> {
    let file = fs_err::File::open(path).map_err(|source| SizeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let archive_error = |source| SizeError::Archive {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(file).map_err(archive_error)?;
    let mut kinds = Kinds::default();
    let mut count = 0;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(archive_error)?;
        if entry.is_dir() {
            continue;
        }
        count += 1;
        let size = entry.size();
        let name = entry.name().map_err(archive_error)?.into_owned();
        let slot = if name.ends_with(".py") {
            &mut kinds.python
        } else if name.ends_with(".pyc") {
            &mut kinds.bytecode
        } else if name.ends_with(".so") || name.contains(".so.") {
            // Only WebAssembly counts as a side module.
            let mut magic = [0u8; 4];
            if entry.read_exact(&mut magic).is_ok() && &magic == b"\0asm" {
                &mut kinds.wasm
            } else {
                &mut kinds.other
            }
        } else {
            &mut kinds.other
        };
        *slot += size;
    }
    Ok((count, kinds))
}

/// The budget file's contents: limits in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    pub core_gzip: Option<u64>,
    pub core_brotli: Option<u64>,
    /// Per package name; `default` for any other package.
    pub packages: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    #[serde(default)]
    runtime: RawRuntime,
    #[serde(default)]
    packages: BTreeMap<String, SizeText>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRuntime {
    core_gzip: Option<SizeText>,
    core_brotli: Option<SizeText>,
}

/// A size as `"4.2 MB"`, `"800 kB"`, `"123 B"` or a number of bytes.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeText {
    Bytes(u64),
    Text(String),
}

impl SizeText {
    fn bytes(&self) -> Result<u64, String> {
        match self {
            SizeText::Bytes(bytes) => Ok(*bytes),
            SizeText::Text(text) => parse_size(text),
        }
    }
}

/// `4.2 MB` → 4 200 000 (decimal units: B, kB, MB, GB).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (expected e.g. `4.2 MB`)"))?;
    let factor = match unit.trim() {
        "" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (B, kB, MB, GB)"
            ));
        }
    };
    Ok((number * factor).round() as u64)
}

impl Budget {
    pub fn read(path: &Path) -> Result<Self, SizeError> {
        let budget_error = |source: Box<dyn std::error::Error + Send + Sync>| SizeError::Budget {
            path: path.to_path_buf(),
            source,
        };
        let text = fs_err::read_to_string(path).map_err(|e| budget_error(Box::new(e)))?;
        Self::parse(&text).map_err(budget_error)
    }

    pub fn parse(text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let raw: RawBudget = toml::from_str(text)?;
        let mut packages = BTreeMap::new();
        for (name, size) in raw.packages {
            packages.insert(name, size.bytes()?);
        }
        Ok(Self {
            core_gzip: raw.runtime.core_gzip.map(|s| s.bytes()).transpose()?,
            core_brotli: raw.runtime.core_brotli.map(|s| s.bytes()).transpose()?,
            packages,
        })
    }
}

/// Every limit of `budget` that `report` exceeds (an error naming them all), or `Ok`.
pub fn check_budget(report: &SizeReport, budget: &Budget) -> Result<(), SizeError> {
    let mut overruns = Vec::new();
    for (what, size, limit) in [
        ("core-gzip", report.core.gzip, budget.core_gzip),
        ("core-brotli", report.core.brotli, budget.core_brotli),
    ] {
        if let Some(limit) = limit
            && size > limit
        {
            overruns.push(Overrun {
                what: what.to_string(),
                size,
                limit,
            });
        }
    }
    for package in &report.packages {
        let limit = budget
            .packages
            .get(&package.name)
            .or_else(|| budget.packages.get("default"));
        if let Some(&limit) = limit
            && package.size > limit
        {
            overruns.push(Overrun {
                what: package.name.clone(),
                size: package.size,
                limit,
            });
        }
    }
    if overruns.is_empty() {
        Ok(())
    } else {
        Err(SizeError::OverBudget(overruns))
    }
}

/// The report as text: one table for the runtime, one for the packages.
pub fn render(report: &SizeReport) -> String {
    let mut out = String::new();
    let row = |out: &mut String, name: &str, s: &Sizes| {
        out.push_str(&format!(
            "{name:<28} {:>11} {:>11} {:>11}\n",
            human(s.raw),
            human(s.gzip),
            human(s.brotli)
        ));
    };
    out.push_str(&format!(
        "{:<28} {:>11} {:>11} {:>11}\n",
        "runtime", "raw", "gzip", "brotli"
    ));
    for (name, sizes) in &report.core_files {
        row(&mut out, name, sizes);
    }
    row(&mut out, "= core (every boot)", &report.core);
    row(
        &mut out,
        &format!("stdlib parts ({}, lazy)", report.stdlib_part_count),
        &report.stdlib_parts,
    );
    if !report.packages.is_empty() {
        out.push_str(&format!(
            "\n{:<28} {:>11} {:>6} {:>11} {:>11} {:>11} {:>11}\n",
            "package (file)", "size", "files", "wasm", "python", "bytecode", "other"
        ));
        let mut total = 0;
        for package in &report.packages {
            total += package.size;
            out.push_str(&format!(
                "{:<28} {:>11} {:>6} {:>11} {:>11} {:>11} {:>11}\n",
                package.name,
                human(package.size),
                package.files,
                human(package.kinds.wasm),
                human(package.kinds.python),
                human(package.kinds.bytecode),
                human(package.kinds.other)
            ));
        }
        out.push_str(&format!(
            "{:<28} {:>11}\n",
            format!("= {} packages", report.packages.len()),
            human(total)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_decimal_units() {
        assert_eq!(parse_size("4.2 MB").unwrap(), 4_200_000);
        assert_eq!(parse_size("800kB").unwrap(), 800_000);
        assert_eq!(parse_size("12").unwrap(), 12);
        assert!(parse_size("4 MiB").unwrap_err().contains("unknown unit"));
        let budget = Budget::parse(
            "[runtime]\ncore-gzip = \"4 MB\"\n[packages]\ndefault = 1000\nscipy = \"40 MB\"\n",
        )
        .unwrap();
        assert_eq!(budget.core_gzip, Some(4_000_000));
        assert_eq!(budget.packages["scipy"], 40_000_000);
        assert!(Budget::parse("[runtime]\ncore = 1\n").is_err());
    }

    #[test]
    fn an_overrun_names_the_package_and_the_numbers() {
        let report = SizeReport {
            core_files: BTreeMap::new(),
            core: Sizes {
                raw: 9_000_000,
                gzip: 3_000_000,
                brotli: 2_500_000,
            },
            stdlib_parts: Sizes::default(),
            stdlib_part_count: 0,
            packages: vec![PackageSize {
                name: "numpy".into(),
                file: "numpy-2.5.5-cp315-cp315-pyemscripten_2026_5_wasm32.whl".into(),
                size: 5_400_000,
                files: 900,
                kinds: Kinds::default(),
            }],
        };
        let budget = Budget::parse(
            "[runtime]\ncore-gzip = \"4 MB\"\ncore-brotli = \"2 MB\"\n[packages]\ndefault = \"5 MB\"\n",
        )
        .unwrap();
        let error = check_budget(&report, &budget).unwrap_err();
        assert_eq!(
            error.to_string(),
            "2 size budget(s) exceeded\n  `core-brotli`: 2.50 MB > budget 2.00 MB (by 500.0 kB)\n  \
             `numpy`: 5.40 MB > budget 5.00 MB (by 400.0 kB)"
        );
        let roomy = Budget::parse("[packages]\nnumpy = \"6 MB\"\n").unwrap();
        check_budget(&report, &roomy).unwrap();
    }

    #[test]
    fn reports_core_parts_and_package_kinds() {
        let dist = tempfile::tempdir().unwrap();
        fs_err::write(dist.path().join("python.wasm"), b"\0asm".repeat(5000)).unwrap();
        fs_err::write(
            dist.path().join("python_stdlib-email.zip"),
            b"x".repeat(100),
        )
        .unwrap();
        let mut wheel = crate::zipfile::DeterministicZip::new();
        wheel.add("pkg/__init__.py", b"x = 1\n".to_vec(), false);
        wheel.add(
            "pkg/_x.cpython-315-wasm32-emscripten.so",
            b"\0asm....".to_vec(),
            false,
        );
        wheel.add("pkg-1.0.dist-info/METADATA", b"Name: pkg\n".to_vec(), false);
        let bytes = wheel
            .write(
                std::io::Cursor::new(Vec::new()),
                0,
                zip::CompressionMethod::Stored,
            )
            .unwrap()
            .into_inner();
        fs_err::write(dist.path().join("pkg-1.0-py3-none-any.whl"), &bytes).unwrap();
        fs_err::write(
            dist.path().join(LOCK_FILE),
            r#"{"info":{"abi_version":"2026_5","arch":"wasm32","platform":"emscripten_6_0_5","python":"3.15.0","version":"0.1.0"},"packages":{"pkg":{"depends":[],"file_name":"pkg-1.0-py3-none-any.whl","imports":["pkg"],"install_dir":"site","name":"pkg","package_type":"package","sha256":"00","unvendored_tests":false,"version":"1.0"}}}"#,
        )
        .unwrap();
        let report = report(dist.path(), &Memo::none()).unwrap();
        assert_eq!(report.core.raw, 20_000);
        assert!(report.core.gzip < 1000 && report.core.brotli < 1000);
        assert_eq!(report.stdlib_part_count, 1);
        assert_eq!(
            report.packages[0].kinds,
            Kinds {
                wasm: 8,
                python: 6,
                bytecode: 0,
                other: 10
            }
        );
        let text = render(&report);
        assert!(text.contains("= core (every boot)"), "{text}");
        assert!(text.contains("pkg "), "{text}");
    }
}
