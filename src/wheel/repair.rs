//! [`repair()`]: turns a backend's wheel into kiln's wheel (and its `-tests` wheel).
//!
//! The steps, in order: read and check every entry (relative paths only, no links, one
//! `.dist-info`), drop the old `RECORD` and its signatures, copy in shared libraries, check and
//! fix every `.so` (WebAssembly side module, extension suffix, debug sections), retag, move the
//! tests out, and write both wheels with fresh `RECORD`s (see [`writer`](super::writer)).
//!
//! A bare `foo.so` that exports `PyInit_foo` is renamed to `foo.cpython-313-wasm32-emscripten.so`
//! rather than refused: CPython on emscripten imports both, the full suffix is what the
//! lockfile, `packaging` and people expect, and a backend that drops the suffix (hand-written
//! `setup.py` build steps do) is no reason to fail the build. A bare `.so` without `PyInit_`
//! is a shared library and keeps its name; code may `dlopen` it by that name.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use tracing::debug;

use super::WheelError;
use super::filename::WheelFilename;
use super::linkcheck::{LinkCheckError, SymbolSet, link_check};
use super::wasm::{SideModule, is_wasm, strip_debug};
use super::writer::{WheelContents, WheelEntry};

/// What [`repair`] produces and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairOptions {
    /// Where the wheels go (created when missing).
    pub out_dir: PathBuf,
    /// The interpreter tag, also used as the ABI tag: `cp313`.
    pub python_tag: String,
    /// The wheel platform tag, from the ABI file: `emscripten_3_1_69_wasm32`.
    pub platform: String,
    /// Remove debug sections from every `.so` ([`strip_debug`]).
    pub strip: bool,
    /// Move `test`/`tests` folders and `conftest.py` files into a `<name>-tests` wheel.
    pub unvendor_tests: bool,
    /// Files to add: (file on disk, path in the wheel such as `pkg.libs/libyaml.so`).
    pub shared_libs: Vec<(PathBuf, String)>,
    /// Every timestamp in the archives (`SOURCE_DATE_EPOCH`).
    pub source_date_epoch: u64,
}

impl RepairOptions {
    /// Defaults: strip, unvendor tests, no shared libraries, timestamps at 1980-01-01 (zip's
    /// epoch) until the caller sets `source_date_epoch`.
    pub fn new(out_dir: impl Into<PathBuf>, python_tag: &str, platform: &str) -> Self {
        Self {
            out_dir: out_dir.into(),
            python_tag: python_tag.to_string(),
            platform: platform.to_string(),
            strip: true,
            unvendor_tests: true,
            shared_libs: Vec::new(),
            source_date_epoch: 315_532_800,
        }
    }
}

/// One written wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairedWheel {
    pub path: PathBuf,
    pub filename: WheelFilename,
}

/// What [`repair`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairedWheels {
    pub wheel: RepairedWheel,
    /// The `<name>-tests` wheel, when tests were found and `unvendor_tests` is set.
    pub tests: Option<RepairedWheel>,
    /// Extension modules given the full suffix: (old path, new path) in the wheel.
    pub renamed: Vec<(String, String)>,
}

/// Reads `input_wheel`, writes kiln's wheel (and maybe a tests wheel) into `options.out_dir`.
/// The input is read whole before anything is written, so it may live in `out_dir`.
pub fn repair(input_wheel: &Path, options: &RepairOptions) -> Result<RepairedWheels, WheelError> {
    let wheel = input_wheel.to_path_buf();
    let input_name = input_wheel
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let filename: WheelFilename = input_name.parse().map_err(|source| WheelError::Filename {
        wheel: wheel.clone(),
        source,
    })?;
    let soabi = soabi(&options.python_tag).ok_or_else(|| WheelError::PythonTag {
        tag: options.python_tag.clone(),
    })?;

    let mut files = read_wheel(input_wheel)?;
    let found_dist_info = find_dist_info(&wheel, &files)?;
    // Installers find `.data` by the file name's (normalised) name and version: give both
    // folders that spelling (`PyYAML-6.0.2.dist-info` → `pyyaml-6.0.2.dist-info`).
    let stem = format!("{}-{}", filename.name(), filename.version());
    let dist_info = format!("{stem}.dist-info");
    if found_dist_info != dist_info {
        let renames = [
            (format!("{found_dist_info}/"), format!("{dist_info}/")),
            (
                format!("{}/", data_dir_of(&found_dist_info)),
                format!("{stem}.data/"),
            ),
        ];
        files = files
            .into_iter()
            .map(|(path, entry)| {
                let renamed = renames.iter().find_map(|(old, new)| {
                    path.strip_prefix(old.as_str())
                        .map(|rest| format!("{new}{rest}"))
                });
                (renamed.unwrap_or(path), entry)
            })
            .collect();
    }
    for required in ["WHEEL", "METADATA"] {
        let entry = format!("{dist_info}/{required}");
        if !files.contains_key(&entry) {
            return Err(WheelError::MissingMetadata { wheel, entry });
        }
    }
    // Signatures of the old RECORD would no longer match; RECORD is rewritten on write.
    for stale in ["RECORD", "RECORD.jws", "RECORD.p7s"] {
        files.remove(&format!("{dist_info}/{stale}"));
    }
    // maturin writes a CycloneDX SBOM per crate with a random serial number and the build
    // time: it would make every Rust wheel differ from the last. The crates a build used are
    // pinned by the package's Cargo.lock (part of the source kiln verified) and recorded in
    // the build log.
    let sboms = format!("{dist_info}/sboms/");
    files.retain(|path, _| !path.starts_with(&sboms));

    for (source, entry) in &options.shared_libs {
        if !is_safe_path(entry) {
            return Err(WheelError::UnsafePath {
                wheel,
                entry: entry.clone(),
            });
        }
        if files.contains_key(entry) {
            return Err(WheelError::DuplicateEntry {
                wheel,
                entry: entry.clone(),
            });
        }
        let bytes = fs_err::read(source).map_err(|error| WheelError::SharedLibrary {
            path: source.clone(),
            source: error,
        })?;
        files.insert(
            entry.clone(),
            WheelEntry {
                bytes,
                executable: false,
            },
        );
    }

    let renamed = fix_shared_objects(&wheel, &dist_info, &mut files, &soabi, options.strip)?;
    let has_native_code = files
        .keys()
        .any(|path| path.ends_with(".so") && !path.starts_with(&format!("{dist_info}/")));

    let filename = if has_native_code {
        let (python, abi) = if filename.abi_tags() == ["abi3"] {
            (filename.python_tags().join("."), "abi3".to_string())
        } else {
            (options.python_tag.clone(), options.python_tag.clone())
        };
        filename
            .with_tags(&python, &abi, &options.platform)
            .map_err(|source| WheelError::Tags {
                wheel: wheel.clone(),
                source,
            })?
    } else {
        filename
    };
    let root_is_purelib = !has_native_code;
    let wheel_file = format!("{dist_info}/WHEEL");
    if has_native_code && let Some(entry) = files.get_mut(&wheel_file) {
        let text = String::from_utf8_lossy(&entry.bytes);
        entry.bytes = rewrite_wheel_metadata(&text, false, &filename.expanded_tags()).into_bytes();
    }

    let tests = if options.unvendor_tests {
        let data_dir = data_dir_of(&dist_info);
        let test_paths: Vec<String> = files
            .keys()
            .filter(|path| install_path(path, &dist_info, &data_dir).is_some_and(is_test_path))
            .cloned()
            .collect();
        if test_paths.is_empty() {
            None
        } else {
            let moved = test_paths
                .into_iter()
                .filter_map(|path| files.remove(&path).map(|entry| (path, entry)))
                .collect();
            Some(tests_wheel(
                &wheel,
                &filename,
                &files,
                &dist_info,
                moved,
                root_is_purelib,
            )?)
        }
    } else {
        None
    };

    let path = options.out_dir.join(filename.to_string());
    WheelContents { files, dist_info }.write(&path, options.source_date_epoch)?;
    debug!(wheel = %path.display(), "wrote repaired wheel");
    let tests = match tests {
        Some((tests_filename, contents)) => {
            let tests_path = options.out_dir.join(tests_filename.to_string());
            contents.write(&tests_path, options.source_date_epoch)?;
            debug!(wheel = %tests_path.display(), "wrote unvendored tests wheel");
            Some(RepairedWheel {
                path: tests_path,
                filename: tests_filename,
            })
        }
        None => None,
    };
    Ok(RepairedWheels {
        wheel: RepairedWheel { path, filename },
        tests,
        renamed,
    })
}

/// Runs the link check on every `.so` in the wheel at `wheel`. The exports of shipped shared
/// libraries (side modules that are not extension modules) are added to `provided`; an
/// extension module's exports serve only itself, since CPython loads it without
/// `RTLD_GLOBAL`.
pub fn link_check_wheel(wheel: &Path, provided: &SymbolSet) -> Result<(), WheelError> {
    let files = read_wheel(wheel)?;
    let shared_objects: Vec<(&str, &[u8])> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".so"))
        .map(|(path, entry)| (path.as_str(), entry.bytes.as_slice()))
        .collect();
    let mut available = provided.clone();
    for (path, bytes) in &shared_objects {
        let module = SideModule::parse(bytes).map_err(|source| WheelError::LinkCheck {
            wheel: wheel.to_path_buf(),
            source: LinkCheckError::InvalidModule {
                file: path.to_string(),
                source,
            },
        })?;
        if !module.is_extension_module() {
            available.extend(module.exports);
        }
    }
    link_check(shared_objects, &available).map_err(|source| WheelError::LinkCheck {
        wheel: wheel.to_path_buf(),
        source,
    })
}

/// Every file of a wheel by path; directories skipped, anything unsafe refused.
fn read_wheel(path: &Path) -> Result<BTreeMap<String, WheelEntry>, WheelError> {
    let wheel = path.to_path_buf();
    let file = fs_err::File::open(path).map_err(|source| WheelError::Read {
        wheel: wheel.clone(),
        source,
    })?;
    let archive_error = |source| WheelError::Archive {
        wheel: wheel.clone(),
        source,
    };
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(archive_error)?;
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(archive_error)?;
        let entry = file.name().map_err(archive_error)?.into_owned();
        if file.is_dir() {
            continue;
        }
        if !is_safe_path(&entry) {
            return Err(WheelError::UnsafePath { wheel, entry });
        }
        if file.is_symlink() {
            return Err(WheelError::Symlink { wheel, entry });
        }
        let executable = file.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
        let mut bytes = Vec::new();
        if let Err(source) = file.read_to_end(&mut bytes) {
            return Err(WheelError::ReadEntry {
                wheel,
                entry,
                source,
            });
        }
        if files.contains_key(&entry) {
            return Err(WheelError::DuplicateEntry { wheel, entry });
        }
        files.insert(entry, WheelEntry { bytes, executable });
    }
    Ok(files)
}

/// A relative `/`-separated path without `..`, `.`, empty parts, `\` or a drive letter.
fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains(':')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// The one top-level `*.dist-info` folder.
fn find_dist_info(
    wheel: &Path,
    files: &BTreeMap<String, WheelEntry>,
) -> Result<String, WheelError> {
    let found: BTreeSet<&str> = files
        .keys()
        .filter_map(|path| path.split_once('/'))
        .map(|(top, _)| top)
        .filter(|top| top.ends_with(".dist-info"))
        .collect();
    let found: Vec<String> = found.into_iter().map(str::to_string).collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(WheelError::DistInfo {
            wheel: wheel.to_path_buf(),
            found,
        }),
    }
}

/// `foo-1.0.dist-info` → `foo-1.0.data`.
fn data_dir_of(dist_info: &str) -> String {
    let stem = dist_info.strip_suffix(".dist-info").unwrap_or(dist_info);
    format!("{stem}.data")
}

/// Where a file lands under site-packages, or `None` for metadata, scripts, headers and data.
fn install_path<'a>(path: &'a str, dist_info: &str, data_dir: &str) -> Option<&'a str> {
    if let Some(rest) = path
        .strip_prefix(data_dir)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        return rest
            .strip_prefix("purelib/")
            .or_else(|| rest.strip_prefix("platlib/"));
    }
    let in_dist_info = path
        .strip_prefix(dist_info)
        .is_some_and(|rest| rest.starts_with('/'));
    (!in_dist_info).then_some(path)
}

/// A file in a `test` or `tests` folder, or a `conftest.py`.
fn is_test_path(install_path: &str) -> bool {
    let mut parts: Vec<&str> = install_path.split('/').collect();
    let file = parts.pop().unwrap_or_default();
    file == "conftest.py" || parts.iter().any(|part| matches!(*part, "test" | "tests"))
}

/// `cp313` → `cpython-313-wasm32-emscripten` (CPython's `SOABI` on this target).
fn soabi(python_tag: &str) -> Option<String> {
    let digits = python_tag.strip_prefix("cp")?;
    let valid = digits.len() >= 2 && digits.chars().all(|c| c.is_ascii_digit());
    valid.then(|| format!("cpython-{digits}-wasm32-emscripten"))
}

/// Checks every `.so` outside `.dist-info` is a side module, gives extension modules the full
/// suffix, and strips debug sections. Returns the renames.
fn fix_shared_objects(
    wheel: &Path,
    dist_info: &str,
    files: &mut BTreeMap<String, WheelEntry>,
    soabi: &str,
    strip: bool,
) -> Result<Vec<(String, String)>, WheelError> {
    let metadata_prefix = format!("{dist_info}/");
    let shared_objects: Vec<String> = files
        .keys()
        .filter(|path| path.ends_with(".so") && !path.starts_with(&metadata_prefix))
        .cloned()
        .collect();
    let expected_suffix = format!(".{soabi}.so");
    let mut renamed = Vec::new();
    for path in shared_objects {
        let Some(mut entry) = files.remove(&path) else {
            continue;
        };
        if !is_wasm(&entry.bytes) {
            return Err(WheelError::NotWasm {
                wheel: wheel.to_path_buf(),
                entry: path,
            });
        }
        let module = SideModule::parse(&entry.bytes).map_err(|source| WheelError::Wasm {
            wheel: wheel.to_path_buf(),
            entry: path.clone(),
            source,
        })?;
        let (folder, file) = match path.rsplit_once('/') {
            Some((folder, file)) => (Some(folder), file),
            None => (None, path.as_str()),
        };
        let mut target = path.clone();
        if file.ends_with(&expected_suffix) || file.ends_with(".abi3.so") {
            // Already named for this interpreter.
        } else if file.contains(".cpython-") || file.contains(".pypy") {
            return Err(WheelError::ForeignExtension {
                wheel: wheel.to_path_buf(),
                entry: path,
                expected_suffix,
            });
        } else if let Some(stem) = file.strip_suffix(".so")
            && !stem.contains('.')
            && module.exports.contains(&format!("PyInit_{stem}"))
        {
            target = match folder {
                Some(folder) => format!("{folder}/{stem}{expected_suffix}"),
                None => format!("{stem}{expected_suffix}"),
            };
            if files.contains_key(&target) {
                return Err(WheelError::RenameCollision {
                    wheel: wheel.to_path_buf(),
                    entry: path,
                    target,
                });
            }
            debug!(from = %path, to = %target, "renamed extension module");
            renamed.push((path.clone(), target.clone()));
        }
        if strip {
            entry.bytes = strip_debug(&entry.bytes).map_err(|source| WheelError::Wasm {
                wheel: wheel.to_path_buf(),
                entry: path.clone(),
                source,
            })?;
        }
        files.insert(target, entry);
    }
    Ok(renamed)
}

/// `WHEEL` with `Root-Is-Purelib` set and the `Tag:` lines replaced (at the place of the first
/// old one, else at the end). Other lines are kept as they were.
fn rewrite_wheel_metadata(text: &str, root_is_purelib: bool, tags: &[String]) -> String {
    let key_of = |line: &str| {
        line.split_once(':')
            .map(|(key, _)| key.trim().to_ascii_lowercase())
    };
    let mut lines: Vec<String> = Vec::new();
    let mut tags_written = false;
    let mut purelib_written = false;
    let purelib_line = format!("Root-Is-Purelib: {root_is_purelib}");
    let tag_lines: Vec<String> = tags.iter().map(|tag| format!("Tag: {tag}")).collect();
    for line in text.lines() {
        match key_of(line).as_deref() {
            Some("tag") => {
                if !tags_written {
                    lines.extend(tag_lines.iter().cloned());
                    tags_written = true;
                }
            }
            Some("root-is-purelib") => {
                lines.push(purelib_line.clone());
                purelib_written = true;
            }
            _ => lines.push(line.to_string()),
        }
    }
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    if !purelib_written {
        lines.push(purelib_line);
    }
    if !tags_written {
        lines.extend(tag_lines);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The `<name>-tests` wheel for `moved` files: same version and tags, its own minimal
/// `.dist-info` (METADATA naming the package as its one requirement, WHEEL, RECORD).
fn tests_wheel(
    wheel: &Path,
    filename: &WheelFilename,
    main_files: &BTreeMap<String, WheelEntry>,
    dist_info: &str,
    moved: BTreeMap<String, WheelEntry>,
    root_is_purelib: bool,
) -> Result<(WheelFilename, WheelContents), WheelError> {
    let metadata = main_files
        .get(&format!("{dist_info}/METADATA"))
        .map(|entry| String::from_utf8_lossy(&entry.bytes).into_owned())
        .unwrap_or_default();
    let field = |key: &str| {
        metadata
            .lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case(key)
                    .then(|| value.trim().to_string())
            })
    };
    let name = field("Name").unwrap_or_else(|| filename.name().to_string());
    let version = field("Version").unwrap_or_else(|| filename.version().to_string());
    let tests_name = format!("{name}-tests");
    let tests_filename = filename
        .with_name(&tests_name)
        .map_err(|source| WheelError::Tags {
            wheel: wheel.to_path_buf(),
            source,
        })?;
    let stem = format!("{}-{}", tests_filename.name(), tests_filename.version());
    let tests_dist_info = format!("{stem}.dist-info");
    let old_data = format!("{}/", data_dir_of(dist_info));
    let new_data = format!("{stem}.data/");
    let mut files: BTreeMap<String, WheelEntry> = moved
        .into_iter()
        .map(|(path, entry)| match path.strip_prefix(&old_data) {
            Some(rest) => (format!("{new_data}{rest}"), entry),
            None => (path, entry),
        })
        .collect();
    let text = |text: String| WheelEntry {
        bytes: text.into_bytes(),
        executable: false,
    };
    files.insert(
        format!("{tests_dist_info}/METADATA"),
        text(format!(
            "Metadata-Version: 2.1\nName: {tests_name}\nVersion: {version}\n\
             Summary: The tests of {name}, moved out of its wheel\n\
             Requires-Dist: {name}=={version}\n"
        )),
    );
    let mut wheel_text = format!(
        "Wheel-Version: 1.0\nGenerator: kiln {}\nRoot-Is-Purelib: {root_is_purelib}\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(build) = tests_filename.build_tag() {
        wheel_text.push_str(&format!("Build: {build}\n"));
    }
    for tag in tests_filename.expanded_tags() {
        wheel_text.push_str(&format!("Tag: {tag}\n"));
    }
    files.insert(format!("{tests_dist_info}/WHEEL"), text(wheel_text));
    Ok((
        tests_filename,
        WheelContents {
            files,
            dist_info: tests_dist_info,
        },
    ))
}

#[cfg(test)]
mod tests;
