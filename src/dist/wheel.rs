//! The one wheel reader of the distribution: `lock` and `verify` both read every wheel
//! through [`read`], as an installer (pip's `installer`, uv's `install-wheel`) would, and
//! refuse what must not ship.
//!
//! In order, cheapest first, stopping at the first refusal:
//! 1. the file name parses as a wheel name, and its tags are ones the [`Runtime`] loads
//!    (a platform it has, a Python tag that fits its interpreter);
//! 2. the file is a regular file (not a link, FIFO or device) of bounded size;
//! 3. it is a zip whose central directory lists at most [`Limits::members`] members, none
//!    twice, none a link or encrypted, each a plain relative path (no `/` at the start, no
//!    `..` or empty part, no drive letter, backslash or NUL), and whose declared sizes stay
//!    under the total and ratio limits, checked before a single byte is inflated;
//! 4. one top-level `{name}-{version}.dist-info` folder for this distribution, with
//!    `METADATA` (whose `Name` and `Version` match the file name, normalised), `WHEEL`
//!    (`Wheel-Version: 1.x`) and `RECORD`;
//! 5. `RECORD`, read as CSV (names holding commas are quoted), lists every member once with
//!    its sha256 and size, and lists nothing else; each member is inflated once, streamed into
//!    the hash, and never past the size its header declares.
//!
//! Everything is one pass over the members with hash-map lookups: linear in their number.
//! Memory is bounded by the central directory and `RECORD`, not by what members inflate to.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use base64::Engine;

use super::Runtime;
use super::file::{FileProblem, open_regular};
use super::metadata::{Metadata, MetadataProblem, check_wheel_file};
use crate::hash::Sha256;
use crate::wheel::WheelFilename;

/// What a wheel may cost to read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Size of the `.whl` file.
    pub file_bytes: u64,
    /// Sum of the declared uncompressed sizes of all members.
    pub uncompressed_bytes: u64,
    /// Uncompressed total over compressed total, once the total passes `ratio_floor`.
    pub ratio: u64,
    /// Below this uncompressed total, any ratio is fine (tiny files compress oddly).
    pub ratio_floor: u64,
    /// Members in the central directory.
    pub members: usize,
    /// Each of `METADATA`, `WHEEL` and `RECORD`, uncompressed.
    pub metadata_bytes: u64,
}

impl Limits {
    /// Far above any real wheel (SciPy's is 60 MB inflated, PyTorch's 1.5 GB), far below what
    /// would hurt a 2-core machine.
    pub const DEFAULT: Limits = Limits {
        file_bytes: 2 << 30,
        uncompressed_bytes: 4 << 30,
        ratio: 200,
        ratio_floor: 64 << 20,
        members: 500_000,
        metadata_bytes: 64 << 20,
    };
}

/// A wheel that passed every check.
#[derive(Debug, Clone)]
pub struct Wheel {
    pub path: PathBuf,
    pub filename: WheelFilename,
    /// The sha256 of the whole file, as the lockfile records it.
    pub sha256: Sha256,
    pub metadata: Metadata,
    /// Top-level importable names: packages (folders) and modules (`.py`, `.so`) at the root
    /// of the wheel or of its `.data/purelib` and `.data/platlib`.
    pub top_level: Vec<String>,
}

/// A wheel refused, with the file and the reason.
#[derive(Debug)]
pub struct WheelRefusal {
    pub wheel: PathBuf,
    /// Boxed: refusals are rare and some carry two digests.
    pub reason: Box<Refusal>,
}

impl fmt::Display for WheelRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.wheel.display(), self.reason)
    }
}

impl std::error::Error for WheelRefusal {}

/// Why a wheel is refused. Member names are paths inside the wheel; lines are 1-based.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{}", file_problem(.0))]
    File(FileProblem),
    #[error("not named like a wheel: {0}")]
    Filename(String),
    #[error(
        "its platform tag `{found}` is not one the runtime loads (it accepts {})",
        accepted_list(accepted)
    )]
    Platform {
        found: String,
        accepted: Vec<String>,
    },
    #[error("its tags `{found}` do not fit the runtime's Python {python}")]
    Python { found: String, python: String },
    #[error("not a zip archive: {0}")]
    NotZip(String),
    #[error("it has {count} members, over the limit of {limit}")]
    TooManyMembers { count: usize, limit: usize },
    #[error(
        "its members inflate to {total} bytes, over the limit of {limit} (refused before inflating)"
    )]
    TooLargeInflated { total: u128, limit: u64 },
    #[error(
        "its members inflate to {ratio} times its compressed size, over the limit of {limit} (refused before inflating)"
    )]
    Ratio { ratio: u128, limit: u64 },
    #[error("member `{member}` {why}")]
    UnsafePath { member: String, why: &'static str },
    #[error("member {index} has a name that is not UTF-8")]
    NameNotUtf8 { index: usize },
    #[error("two members have the same name")]
    DuplicateMember,
    #[error("member `{member}` is a symbolic link, which wheels cannot hold")]
    Symlink { member: String },
    #[error("member `{member}` is encrypted")]
    Encrypted { member: String },
    #[error(
        "expected one top-level `.dist-info` folder, found {}",
        if found.is_empty() { "none".to_string() } else { format!("`{}`", found.join("`, `")) }
    )]
    DistInfo { found: Vec<String> },
    #[error("its `.dist-info` folder `{found}` is not for `{expected}`")]
    DistInfoName { found: String, expected: String },
    #[error("it has no `{member}`")]
    MissingFile { member: String },
    #[error("`{member}` is not UTF-8")]
    NotUtf8 { member: String },
    #[error("`{member}` {problem}")]
    Metadata {
        member: String,
        problem: MetadataProblem,
    },
    #[error("`METADATA` names `{metadata}`, the file name `{file_name}`")]
    NameMismatch { metadata: String, file_name: String },
    #[error("`METADATA` has version `{metadata}`, the file name `{file_name}`")]
    VersionMismatch { metadata: String, file_name: String },
    #[error("`RECORD` line {line}: {problem}")]
    Record { line: u64, problem: String },
    #[error(
        "member `{member}` does not match its `RECORD` line {line}\n    expected: {expected}\n    actual:   {actual}"
    )]
    RecordMismatch {
        member: String,
        line: u64,
        expected: String,
        actual: String,
    },
    #[error("member `{member}` is not listed in `RECORD`")]
    Unlisted { member: String },
    #[error("`RECORD` line {line} lists `{member}`, which the wheel does not hold")]
    NotInWheel { member: String, line: u64 },
    #[error("cannot inflate member `{member}`: {message}")]
    Inflate { member: String, message: String },
    #[error("member `{member}` inflates to more than the {declared} bytes its header declares")]
    SizeMismatch { member: String, declared: u64 },
}

fn file_problem(problem: &FileProblem) -> String {
    match problem {
        FileProblem::Io(error) => format!("cannot read it: {error}"),
        other => other.to_string(),
    }
}

fn accepted_list(accepted: &[String]) -> String {
    let mut all: Vec<String> = accepted.iter().map(|tag| format!("`{tag}`")).collect();
    all.push("`any`".to_string());
    all.join(", ")
}

/// Reads and checks the wheel at `path` for `runtime`.
pub fn read(path: &Path, runtime: &Runtime, limits: &Limits) -> Result<Wheel, WheelRefusal> {
    read_inner(path, runtime, limits).map_err(|reason| WheelRefusal {
        wheel: path.to_path_buf(),
        reason: Box::new(reason),
    })
}

fn read_inner(path: &Path, runtime: &Runtime, limits: &Limits) -> Result<Wheel, Refusal> {
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| Refusal::Filename("the file name is not UTF-8".into()))?;
    let filename: WheelFilename =
        file_name
            .parse()
            .map_err(|error: crate::wheel::ParseWheelFilenameError| {
                Refusal::Filename(error.problem.to_string())
            })?;
    check_tags(&filename, runtime)?;

    let (mut file, _) = open_regular(path, limits.file_bytes).map_err(Refusal::File)?;
    let sha256 = Sha256::of_reader(&mut file)
        .and_then(|digest| file.rewind().map(|()| digest))
        .map_err(|error| Refusal::File(FileProblem::Io(error)))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|error| Refusal::NotZip(error.to_string()))?;
    if archive.has_duplicate_names() {
        return Err(Refusal::DuplicateMember);
    }
    if archive.len() > limits.members {
        return Err(Refusal::TooManyMembers {
            count: archive.len(),
            limit: limits.members,
        });
    }

    // The central directory alone: names, kinds and declared sizes.
    let mut members: Vec<Member> = Vec::with_capacity(archive.len());
    let (mut inflated, mut compressed) = (0u128, 0u128);
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|error| Refusal::NotZip(error.to_string()))?;
        let name = entry
            .name()
            .map_err(|_| Refusal::NameNotUtf8 { index })?
            .into_owned();
        if let Some(why) = unsafe_path(&name) {
            return Err(Refusal::UnsafePath { member: name, why });
        }
        if entry.is_symlink() {
            return Err(Refusal::Symlink { member: name });
        }
        if entry.encrypted() {
            return Err(Refusal::Encrypted { member: name });
        }
        inflated += u128::from(entry.size());
        compressed += u128::from(entry.compressed_size());
        members.push(Member {
            index,
            is_dir: name.ends_with('/'),
            size: entry.size(),
            name,
        });
    }
    if inflated > u128::from(limits.uncompressed_bytes) {
        return Err(Refusal::TooLargeInflated {
            total: inflated,
            limit: limits.uncompressed_bytes,
        });
    }
    if inflated > u128::from(limits.ratio_floor)
        && inflated > u128::from(limits.ratio) * compressed.max(1)
    {
        return Err(Refusal::Ratio {
            ratio: inflated / compressed.max(1),
            limit: limits.ratio,
        });
    }

    let dist_info = dist_info_folder(&members, &filename)?;
    let text_of = |archive: &mut Archive, member: &str| -> Result<String, Refusal> {
        let member_path = format!("{dist_info}/{member}");
        let Some(found) = members.iter().find(|m| m.name == member_path) else {
            return Err(Refusal::MissingFile {
                member: member_path,
            });
        };
        let bytes = inflate_small(archive, found, limits.metadata_bytes)?;
        String::from_utf8(bytes).map_err(|_| Refusal::NotUtf8 {
            member: member_path,
        })
    };
    let metadata_text = text_of(&mut archive, "METADATA")?;
    let wheel_text = text_of(&mut archive, "WHEEL")?;
    let record_text = text_of(&mut archive, "RECORD")?;
    let metadata = Metadata::parse(&metadata_text).map_err(|problem| Refusal::Metadata {
        member: format!("{dist_info}/METADATA"),
        problem,
    })?;
    check_wheel_file(&wheel_text).map_err(|problem| Refusal::Metadata {
        member: format!("{dist_info}/WHEEL"),
        problem,
    })?;
    check_name_and_version(&metadata, &filename)?;

    let record_name = format!("{dist_info}/RECORD");
    let mut record = parse_record(&record_text)?;
    let directories: HashSet<&str> = members
        .iter()
        .filter(|m| m.is_dir)
        .map(|m| m.name.trim_end_matches('/'))
        .collect();
    for member in members.iter().filter(|m| !m.is_dir) {
        let Some(row) = record.remove(member.name.as_str()) else {
            return Err(Refusal::Unlisted {
                member: member.name.clone(),
            });
        };
        let unhashed = member.name == record_name
            || member.name == format!("{record_name}.jws")
            || member.name == format!("{record_name}.p7s");
        if unhashed && row.hash.is_empty() {
            continue;
        }
        let (size, digest) = hash_member(&mut archive, member)?;
        let actual = format!(
            "sha256={},{size}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_bytes())
        );
        let expected = format!("{},{}", row.hash.trim_end_matches('='), row.size);
        if actual != expected {
            return Err(Refusal::RecordMismatch {
                member: member.name.clone(),
                line: row.line,
                expected,
                actual,
            });
        }
    }
    if let Some((name, row)) = record
        .into_iter()
        .filter(|(name, _)| !directories.contains(name.trim_end_matches('/')))
        .min_by_key(|(_, row)| row.line)
    {
        return Err(Refusal::NotInWheel {
            member: name.to_string(),
            line: row.line,
        });
    }

    Ok(Wheel {
        path: path.to_path_buf(),
        top_level: top_level(&members),
        filename,
        sha256,
        metadata,
    })
}

type Archive = zip::ZipArchive<BufReader<std::fs::File>>;

/// A member as the central directory describes it.
struct Member {
    index: usize,
    name: String,
    is_dir: bool,
    /// Declared uncompressed size.
    size: u64,
}

/// Opens one member for reading, bounded to one byte past its declared size (so a member
/// that lies about its size is caught without inflating the rest).
fn open_member<'a>(
    archive: &'a mut Archive,
    member: &Member,
) -> Result<CountingReader<impl Read + 'a>, Refusal> {
    let entry = archive
        .by_index(member.index)
        .map_err(|error| inflate_error(member, &error))?;
    Ok(CountingReader {
        inner: entry.take(member.size.saturating_add(1)),
        count: 0,
    })
}

fn inflate_error(member: &Member, error: &dyn fmt::Display) -> Refusal {
    Refusal::Inflate {
        member: member.name.clone(),
        message: error.to_string(),
    }
}

fn check_declared_size(member: &Member, count: u64) -> Result<(), Refusal> {
    if count > member.size {
        return Err(Refusal::SizeMismatch {
            member: member.name.clone(),
            declared: member.size,
        });
    }
    Ok(())
}

/// Inflates a small member (`METADATA`, `WHEEL`, `RECORD`) into memory.
fn inflate_small(archive: &mut Archive, member: &Member, limit: u64) -> Result<Vec<u8>, Refusal> {
    if member.size > limit {
        return Err(inflate_error(
            member,
            &format!("{} bytes, over the limit of {limit}", member.size),
        ));
    }
    let mut reader = open_member(archive, member)?;
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|error| inflate_error(member, &error))?;
    check_declared_size(member, reader.count)?;
    Ok(bytes)
}

/// Streams a member into a sha256: (size, digest), in constant memory.
fn hash_member(archive: &mut Archive, member: &Member) -> Result<(u64, Sha256), Refusal> {
    let mut reader = open_member(archive, member)?;
    let digest = Sha256::of_reader(&mut reader).map_err(|error| inflate_error(member, &error))?;
    check_declared_size(member, reader.count)?;
    Ok((reader.count, digest))
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.count += read as u64;
        Ok(read)
    }
}

/// Why a member name is not a plain relative path, if it is not.
pub fn unsafe_path(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("has an empty name");
    }
    if name.contains('\0') {
        return Some("holds a NUL character");
    }
    if name.contains('\\') {
        return Some("holds a backslash");
    }
    if name.starts_with('/') {
        return Some("is an absolute path");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for (position, part) in trimmed.split('/').enumerate() {
        match part {
            "" => return Some("has an empty path part"),
            "." => return Some("has a `.` path part"),
            ".." => return Some("has a `..` path part, which leaves the install folder"),
            _ => {}
        }
        let bytes = part.as_bytes();
        if position == 0 && bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
            return Some("starts with a drive letter");
        }
    }
    None
}

/// The wheel's tags against the runtime: a platform it has (or `any`), and a Python/ABI
/// pair its interpreter loads, as `packaging.tags` orders them for CPython.
fn check_tags(filename: &WheelFilename, runtime: &Runtime) -> Result<(), Refusal> {
    let platform_ok =
        |platform: &str| platform == "any" || runtime.platforms.iter().any(|p| p == platform);
    if !filename.platform_tags().iter().any(|p| platform_ok(p)) {
        return Err(Refusal::Platform {
            found: filename.platform_tags().join("."),
            accepted: runtime.platforms.clone(),
        });
    }
    let Some(python) = runtime.python else {
        return Ok(());
    };
    let (major, minor) = (python.major, python.minor);
    let own = format!("cp{major}{minor}");
    let python_ok = |python: &str, abi: &str, platform: &str| -> bool {
        let version_at_most = |prefix: &str| {
            python
                .strip_prefix(prefix)
                .and_then(|digits| {
                    let major_text = major.to_string();
                    let rest = digits.strip_prefix(&major_text)?;
                    if rest.is_empty() {
                        return Some(prefix == "py");
                    }
                    rest.parse::<u32>().ok().map(|m| m <= minor)
                })
                .unwrap_or(false)
        };
        match abi {
            "none" => python == own || version_at_most("py"),
            "abi3" => platform != "any" && version_at_most("cp") && python != format!("cp{major}"),
            _ => platform != "any" && abi == own && python == own,
        }
    };
    let fits = filename.python_tags().iter().any(|python| {
        filename.abi_tags().iter().any(|abi| {
            filename
                .platform_tags()
                .iter()
                .any(|platform| platform_ok(platform) && python_ok(python, abi, platform))
        })
    });
    if fits {
        Ok(())
    } else {
        Err(Refusal::Python {
            found: format!(
                "{}-{}",
                filename.python_tags().join("."),
                filename.abi_tags().join(".")
            ),
            python: format!("{major}.{minor}"),
        })
    }
}

/// The one top-level `.dist-info` folder, which must be this distribution's.
fn dist_info_folder(members: &[Member], filename: &WheelFilename) -> Result<String, Refusal> {
    let found: BTreeSet<&str> = members
        .iter()
        .filter_map(|member| member.name.split_once('/').map(|(first, _)| first))
        .filter(|first| first.ends_with(".dist-info"))
        .collect();
    let [folder] = found.iter().copied().collect::<Vec<_>>()[..] else {
        return Err(Refusal::DistInfo {
            found: found.into_iter().map(str::to_string).collect(),
        });
    };
    let stem = folder.trim_end_matches(".dist-info");
    let name = stem.rsplit_once('-').map_or(stem, |(name, _)| name);
    if crate::recipe::normalize_name(name) != crate::recipe::normalize_name(filename.name()) {
        return Err(Refusal::DistInfoName {
            found: folder.to_string(),
            expected: filename.name().to_string(),
        });
    }
    Ok(folder.to_string())
}

fn check_name_and_version(metadata: &Metadata, filename: &WheelFilename) -> Result<(), Refusal> {
    use crate::recipe::normalize_name;
    if normalize_name(&metadata.name) != normalize_name(filename.name()) {
        return Err(Refusal::NameMismatch {
            metadata: metadata.name.clone(),
            file_name: filename.name().to_string(),
        });
    }
    let parse = |text: &str| text.parse::<pep508_rs::pep440_rs::Version>().ok();
    let same = match (
        parse(&metadata.version),
        parse(&filename.version().replace('_', "-")),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => metadata.version.replace('-', "_") == filename.version(),
    };
    if !same {
        return Err(Refusal::VersionMismatch {
            metadata: metadata.version.clone(),
            file_name: filename.version().to_string(),
        });
    }
    Ok(())
}

/// One `RECORD` row.
struct RecordRow {
    line: u64,
    hash: String,
    size: String,
}

/// `RECORD` as CSV: path → row. Each row has three fields; a path appears once; a hash is
/// `sha256=` followed by the urlsafe base64 digest (others are refused: it is what the
/// lockfile and the loader trust).
fn parse_record(text: &str) -> Result<HashMap<String, RecordRow>, Refusal> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = HashMap::new();
    for result in reader.records() {
        let record = result.map_err(|error| Refusal::Record {
            line: error.position().map_or(0, |position| position.line()),
            problem: match error.kind() {
                csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8: {err}"),
                _ => error.to_string(),
            },
        })?;
        let line = record.position().map_or(0, |position| position.line());
        let problem = |problem: String| Refusal::Record { line, problem };
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        if record.len() != 3 {
            return Err(problem(format!(
                "expected 3 fields (path, hash, size), found {}",
                record.len()
            )));
        }
        let (path, hash, size) = (&record[0], &record[1], &record[2]);
        if !hash.is_empty() && !hash.starts_with("sha256=") {
            return Err(problem(format!(
                "the hash of `{path}` is not `sha256=…`: `{hash}`"
            )));
        }
        if !size.is_empty() && !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(problem(format!(
                "the size of `{path}` is not a number: `{size}`"
            )));
        }
        let row = RecordRow {
            line,
            hash: hash.to_string(),
            size: size.to_string(),
        };
        if rows.insert(path.to_string(), row).is_some() {
            return Err(problem(format!("`{path}` is listed twice")));
        }
    }
    Ok(rows)
}

/// Top-level importable names, for the lock entry's `imports`.
fn top_level(members: &[Member]) -> Vec<String> {
    let mut names = BTreeSet::new();
    for member in members {
        let mut path = member.name.as_str();
        let first = path.split('/').next().unwrap_or("");
        if first.ends_with(".dist-info") {
            continue;
        }
        if first.ends_with(".data") {
            // Only the folders that install into site-packages.
            let rest = &path[first.len()..];
            match rest
                .strip_prefix("/purelib/")
                .or_else(|| rest.strip_prefix("/platlib/"))
            {
                Some(inside) => path = inside,
                None => continue,
            }
        }
        let name = match path.split_once('/') {
            Some((folder, _)) => Some(folder),
            None if member.is_dir => None,
            None => path.strip_suffix(".py").or_else(|| {
                path.ends_with(".so")
                    .then(|| path.split('.').next().unwrap_or(""))
            }),
        };
        if let Some(name) = name.filter(|name| is_identifier(name) && *name != "__pycache__") {
            names.insert(name.to_string());
        }
    }
    names.into_iter().collect()
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests;
