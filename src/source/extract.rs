//! Unpacking source archives (`.tar.gz`, `.tar.bz2`, `.tar.xz`, `.tar`, `.zip`) without
//! ever writing outside the target folder.
//!
//! An archive is untrusted input: its entries may name absolute paths, climb out with `..`,
//! or plant a symbolic link and then write through it (`a -> /etc`, then `a/passwd`). The
//! rules, each refusal a typed [`ExtractError`] naming the entry:
//!
//! - entry names must be relative and free of `..` (checked on the name itself, before
//!   anything is written);
//! - every folder on the way to an entry must be a real folder created by this extraction:
//!   kiln never follows a symbolic link while writing, so a link can only ever be a leaf;
//! - a symbolic link may point anywhere inside the target, and nowhere else. Its target is
//!   checked lexically when the entry is read, and once more at the end by resolving every
//!   link on disk the way the kernel would, since a chain of links that are each harmless
//!   alone (`s -> ../..`, then `t -> s/../..`) can still lead out;
//! - a hard link must name an earlier regular file (or link) of the same archive; its
//!   content is copied rather than linked, so patching one file never changes another;
//! - device and fifo entries are refused: a source archive has no use for them.
//!
//! Only the executable bit of a file's mode is kept (files become 0644 or 0755, folders
//! 0755) and modification times are kept, because autotools compare them to decide what to
//! regenerate. Everything is extracted into a temporary folder beside the destination and
//! renamed into place only when the whole archive succeeded: a refused or broken archive
//! leaves no half tree.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Why an archive was not extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read archive `{}`", archive.display())]
    Read {
        archive: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot read zip archive `{}`", archive.display())]
    Zip {
        archive: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },

    #[error("`{}` is not a tar.gz, tar.bz2, tar.xz, tar or zip archive", archive.display())]
    UnknownFormat { archive: PathBuf },

    #[error("`{}` already exists", path.display())]
    DestinationExists { path: PathBuf },

    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("refusing entry `{}`: it is an absolute path", entry.display())]
    AbsolutePath { entry: PathBuf },

    #[error("refusing entry `{}`: it has a `..` component", entry.display())]
    ParentDir { entry: PathBuf },

    #[error("refusing symbolic link `{}` -> `{}`: it points outside the target folder", entry.display(), target.display())]
    SymlinkEscape { entry: PathBuf, target: PathBuf },

    #[error("refusing hard link `{}` -> `{}`: it points outside the target folder", entry.display(), target.display())]
    HardLinkEscape { entry: PathBuf, target: PathBuf },

    #[error("refusing hard link `{}` -> `{}`: the target is not an earlier file of the archive", entry.display(), target.display())]
    HardLinkTarget { entry: PathBuf, target: PathBuf },

    #[error("refusing entry `{}`: it would be written through the symbolic link `{}`", entry.display(), link.display())]
    ThroughSymlink { entry: PathBuf, link: PathBuf },

    #[error("refusing entry `{}`: `{}` is a file, not a folder", entry.display(), path.display())]
    NotADirectory { entry: PathBuf, path: PathBuf },

    #[error("refusing entry `{}`: {kind} entries are not extracted", entry.display())]
    Special { entry: PathBuf, kind: &'static str },
}

/// Extracts `archive` into `dest`, which must not exist yet.
///
/// The format comes from the file name (`.tar.gz`/`.tgz`, `.tar.bz2`/`.tbz2`,
/// `.tar.xz`/`.txz`, `.tar`, `.zip`), else from the first bytes of the file.
pub fn extract(archive: &Path, dest: &Path) -> Result<(), ExtractError> {
    if fs_err::symlink_metadata(dest).is_ok() {
        return Err(ExtractError::DestinationExists {
            path: dest.to_path_buf(),
        });
    }
    let parent = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Write { path, source }
    };
    fs_err::create_dir_all(parent).map_err(write_error(parent))?;
    let name = dest
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempdir_in(parent)
        .map_err(write_error(parent))?;
    set_mode(staging.path(), 0o755)?;

    let format = detect(archive)?;
    tracing::debug!(archive = %archive.display(), ?format, dest = %dest.display(), "extracting");
    let mut unpacker = Unpacker::new(staging.path());
    let read_error = |source| ExtractError::Read {
        archive: archive.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(archive).map_err(read_error)?;
    let reader = BufReader::new(file);
    match format {
        Format::TarGz => unpack_tar(
            archive,
            flate2::read::MultiGzDecoder::new(reader),
            &mut unpacker,
        )?,
        Format::TarBz2 => unpack_tar(
            archive,
            bzip2::read::MultiBzDecoder::new(reader),
            &mut unpacker,
        )?,
        Format::TarXz => unpack_tar(
            archive,
            liblzma::read::XzDecoder::new_multi_decoder(reader),
            &mut unpacker,
        )?,
        Format::Tar => unpack_tar(archive, reader, &mut unpacker)?,
        Format::Zip => unpack_zip(archive, reader, &mut unpacker)?,
    }
    unpacker.check_symlinks()?;

    fs_err::rename(staging.path(), dest).map_err(write_error(dest))?;
    // The folder now lives at `dest`; keep the guard from deleting whatever takes its old name.
    let _ = staging.keep();
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    TarGz,
    TarBz2,
    TarXz,
    Tar,
    Zip,
}

fn detect(archive: &Path) -> Result<Format, ExtractError> {
    let name = archive
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let by_name = [
        (".tar.gz", Format::TarGz),
        (".tgz", Format::TarGz),
        (".tar.bz2", Format::TarBz2),
        (".tbz2", Format::TarBz2),
        (".tbz", Format::TarBz2),
        (".tar.xz", Format::TarXz),
        (".txz", Format::TarXz),
        (".tar", Format::Tar),
        (".zip", Format::Zip),
    ];
    if let Some((_, format)) = by_name.iter().find(|(suffix, _)| name.ends_with(suffix)) {
        return Ok(*format);
    }
    let mut head = Vec::with_capacity(512);
    fs_err::File::open(archive)
        .and_then(|file| file.take(512).read_to_end(&mut head))
        .map_err(|source| ExtractError::Read {
            archive: archive.to_path_buf(),
            source,
        })?;
    let format = if head.starts_with(&[0x1f, 0x8b]) {
        Format::TarGz
    } else if head.starts_with(b"BZh") {
        Format::TarBz2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Format::TarXz
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else if head.get(257..262) == Some(b"ustar") {
        Format::Tar
    } else {
        return Err(ExtractError::UnknownFormat {
            archive: archive.to_path_buf(),
        });
    };
    Ok(format)
}

fn unpack_tar(
    archive: &Path,
    reader: impl Read,
    unpacker: &mut Unpacker,
) -> Result<(), ExtractError> {
    use tar::EntryType;

    let read_error = |source| ExtractError::Read {
        archive: archive.to_path_buf(),
        source,
    };
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(read_error)? {
        let mut entry = entry.map_err(read_error)?;
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            EntryType::XGlobalHeader
                | EntryType::XHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        ) {
            continue;
        }
        let name = entry.path().map_err(read_error)?.into_owned();
        let relative = enclosed(&name)?;
        if relative.as_os_str().is_empty() {
            // The archive's own `./` entry.
            continue;
        }
        let special = |kind| {
            Err(ExtractError::Special {
                entry: name.clone(),
                kind,
            })
        };
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mode = entry.header().mode().map_err(read_error)?;
                let mtime = entry.header().mtime().ok();
                unpacker.file(&name, &relative, &mut entry, mode & 0o111 != 0, mtime)?;
            }
            EntryType::Directory => unpacker.dir(&name, &relative)?,
            EntryType::Symlink | EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(read_error)?
                    .map(|target| target.into_owned())
                    .unwrap_or_default();
                if kind == EntryType::Symlink {
                    unpacker.symlink(&name, &relative, &target)?;
                } else {
                    unpacker.hard_link(&name, &relative, &target)?;
                }
            }
            EntryType::Char => special("character device")?,
            EntryType::Block => special("block device")?,
            EntryType::Fifo => special("fifo")?,
            _ => special("unknown tar")?,
        }
    }
    Ok(())
}

/// Largest symbolic-link target read from a zip entry; anything longer is not a path.
const MAX_ZIP_LINK: u64 = 4096;

fn unpack_zip(
    archive: &Path,
    reader: impl Read + io::Seek,
    unpacker: &mut Unpacker,
) -> Result<(), ExtractError> {
    let zip_error = |source| ExtractError::Zip {
        archive: archive.to_path_buf(),
        source,
    };
    let read_error = |source| ExtractError::Read {
        archive: archive.to_path_buf(),
        source,
    };
    let mut zip = zip::ZipArchive::new(reader).map_err(zip_error)?;
    for index in 0..zip.len() {
        let mut file = zip.by_index(index).map_err(zip_error)?;
        // Zip names use `/`; one made on Windows may use `\`. Treat both as separators so a
        // `..\..\x` name is caught too.
        let raw = file.name().map_err(zip_error)?.replace('\\', "/");
        let name = PathBuf::from(&raw);
        if raw.contains('\0') || raw.as_bytes().get(1) == Some(&b':') {
            return Err(ExtractError::AbsolutePath { entry: name });
        }
        let relative = enclosed(&name)?;
        if relative.as_os_str().is_empty() {
            continue;
        }
        if file.is_dir() {
            unpacker.dir(&name, &relative)?;
        } else if file.is_symlink() {
            let mut target = Vec::new();
            (&mut file)
                .take(MAX_ZIP_LINK)
                .read_to_end(&mut target)
                .map_err(read_error)?;
            let target = PathBuf::from(String::from_utf8_lossy(&target).into_owned());
            unpacker.symlink(&name, &relative, &target)?;
        } else {
            let executable = file.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
            let mtime = file.last_modified().and_then(|time| {
                unix_time(
                    time.year(),
                    time.month(),
                    time.day(),
                    time.hour(),
                    time.minute(),
                    time.second(),
                )
            });
            unpacker.file(&name, &relative, &mut file, executable, mtime)?;
        }
    }
    Ok(())
}

/// Seconds since 1970 of a zip (MS-DOS) time stamp, read as UTC: zip stores no time zone.
fn unix_time(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<u64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    u64::try_from(seconds).ok()
}

/// The entry's name as a relative path without `.` components; refuses absolute names and
/// any `..` (even one that would stay inside: no honest source archive needs it, and
/// refusing it keeps every later check lexical).
fn enclosed(name: &Path) -> Result<PathBuf, ExtractError> {
    let mut relative = PathBuf::new();
    for component in name.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(ExtractError::ParentDir {
                    entry: name.to_path_buf(),
                });
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(ExtractError::AbsolutePath {
                    entry: name.to_path_buf(),
                });
            }
        }
    }
    Ok(relative)
}

/// Whether a symbolic link at `link` (relative to the target folder) pointing at `target`
/// stays inside, judged by the names alone.
fn link_stays_inside(link: &Path, target: &Path) -> bool {
    let mut depth = link
        .parent()
        .map_or(0, |parent| parent.components().count());
    if target.as_os_str().is_empty() {
        return false;
    }
    for component in target.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Writes entries under `root` without following any symbolic link.
struct Unpacker {
    root: PathBuf,
    /// Every symbolic link written (relative path, target), checked again at the end.
    symlinks: Vec<(PathBuf, PathBuf)>,
}

impl Unpacker {
    fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            symlinks: Vec::new(),
        }
    }

    /// Makes sure every component of `relative` is a real folder, creating missing ones,
    /// and refuses to pass through a symbolic link or a file.
    fn ensure_dir(&self, entry: &Path, relative: &Path) -> Result<(), ExtractError> {
        let mut current = self.root.clone();
        let mut walked = PathBuf::new();
        for component in relative.components() {
            current.push(component);
            walked.push(component);
            match fs_err::symlink_metadata(&current) {
                Ok(metadata) if metadata.is_dir() => {}
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    return Err(ExtractError::ThroughSymlink {
                        entry: entry.to_path_buf(),
                        link: walked,
                    });
                }
                Ok(_) => {
                    return Err(ExtractError::NotADirectory {
                        entry: entry.to_path_buf(),
                        path: walked,
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    fs_err::create_dir(&current).map_err(|source| ExtractError::Write {
                        path: current.clone(),
                        source,
                    })?;
                    set_mode(&current, 0o755)?;
                }
                Err(source) => {
                    return Err(ExtractError::Write {
                        path: current,
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Readies the place for a leaf entry: its folders exist and nothing but a folder is in
    /// the way (a file or link of the same name, from an earlier entry, is replaced: later
    /// entries win, as with `tar`).
    fn leaf(&self, entry: &Path, relative: &Path) -> Result<PathBuf, ExtractError> {
        if let Some(parent) = relative.parent() {
            self.ensure_dir(entry, parent)?;
        }
        let path = self.root.join(relative);
        match fs_err::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => Err(ExtractError::Write {
                path,
                source: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a folder of that name was extracted earlier",
                ),
            }),
            // `remove_file` on a link removes the link, never what it points at.
            Ok(_) => fs_err::remove_file(&path)
                .map(|()| path.clone())
                .map_err(|source| ExtractError::Write {
                    path: path.clone(),
                    source,
                }),
            Err(_) => Ok(path),
        }
    }

    fn dir(&mut self, entry: &Path, relative: &Path) -> Result<(), ExtractError> {
        self.ensure_dir(entry, relative)
    }

    fn file(
        &mut self,
        entry: &Path,
        relative: &Path,
        content: &mut dyn Read,
        executable: bool,
        mtime: Option<u64>,
    ) -> Result<(), ExtractError> {
        let path = self.leaf(entry, relative)?;
        let write_error = |source| ExtractError::Write {
            path: path.clone(),
            source,
        };
        // `create_new` fails rather than follow a link that appeared at the last component.
        let mut file = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(write_error)?;
        io::copy(content, &mut file).map_err(write_error)?;
        file.set_permissions(std::fs::Permissions::from_mode(if executable {
            0o755
        } else {
            0o644
        }))
        .map_err(write_error)?;
        if let Some(seconds) = mtime {
            file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
                .map_err(write_error)?;
        }
        Ok(())
    }

    fn symlink(
        &mut self,
        entry: &Path,
        relative: &Path,
        target: &Path,
    ) -> Result<(), ExtractError> {
        if !link_stays_inside(relative, target) {
            return Err(ExtractError::SymlinkEscape {
                entry: entry.to_path_buf(),
                target: target.to_path_buf(),
            });
        }
        let path = self.leaf(entry, relative)?;
        fs_err::os::unix::fs::symlink(target, &path)
            .map_err(|source| ExtractError::Write { path, source })?;
        self.symlinks
            .push((relative.to_path_buf(), target.to_path_buf()));
        Ok(())
    }

    fn hard_link(
        &mut self,
        entry: &Path,
        relative: &Path,
        target: &Path,
    ) -> Result<(), ExtractError> {
        let escape = || ExtractError::HardLinkEscape {
            entry: entry.to_path_buf(),
            target: target.to_path_buf(),
        };
        let not_found = || ExtractError::HardLinkTarget {
            entry: entry.to_path_buf(),
            target: target.to_path_buf(),
        };
        // Hard-link targets are archive names, relative to the archive root.
        let target_relative = enclosed(target).map_err(|_| escape())?;
        if target_relative.as_os_str().is_empty() {
            return Err(escape());
        }
        // Read the target without following links on the way to it.
        let mut current = self.root.clone();
        let parts: Vec<_> = target_relative.components().collect();
        for (index, component) in parts.iter().enumerate() {
            current.push(component);
            let metadata = fs_err::symlink_metadata(&current).map_err(|_| not_found())?;
            let last = index + 1 == parts.len();
            if !last && !metadata.is_dir() {
                return Err(not_found());
            }
        }
        let metadata = fs_err::symlink_metadata(&current).map_err(|_| not_found())?;
        if metadata.file_type().is_symlink() {
            let link_target = fs_err::read_link(&current).map_err(|_| not_found())?;
            return self.symlink(entry, relative, &link_target);
        }
        if !metadata.is_file() {
            return Err(not_found());
        }
        let executable = metadata.permissions().mode() & 0o111 != 0;
        let mtime = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|duration| duration.as_secs());
        let mut source = fs_err::File::open(&current).map_err(|_| not_found())?;
        self.file(entry, relative, &mut source, executable, mtime)
    }

    /// Resolves every symbolic link written, on disk, as the kernel would, and refuses the
    /// extraction if one leads outside the root.
    fn check_symlinks(&self) -> Result<(), ExtractError> {
        for (relative, target) in &self.symlinks {
            if resolves_outside(&self.root, relative) {
                return Err(ExtractError::SymlinkEscape {
                    entry: relative.clone(),
                    target: target.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Largest number of links followed while resolving one path (the kernel's limit is 40).
const MAX_LINK_HOPS: usize = 40;

/// Whether resolving `relative` under `root`, following symbolic links, ever climbs above
/// `root`. Missing components are taken as plain names. Loops and unreadable links count as
/// leaving, to stay on the safe side.
fn resolves_outside(root: &Path, relative: &Path) -> bool {
    let mut resolved: Vec<OsString> = Vec::new();
    let mut pending: VecDeque<OsString> = VecDeque::new();
    for component in relative.components() {
        pending.push_back(component.as_os_str().to_os_string());
    }
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        match part.to_str() {
            Some("") | Some(".") => continue,
            Some("..") => {
                if resolved.pop().is_none() {
                    return true;
                }
                continue;
            }
            _ => {}
        }
        if part.to_str() == Some("/") {
            return true;
        }
        resolved.push(part);
        let current: PathBuf = std::iter::once(root.as_os_str().to_os_string())
            .chain(resolved.iter().cloned())
            .collect();
        let Ok(metadata) = fs_err::symlink_metadata(&current) else {
            continue;
        };
        if !metadata.file_type().is_symlink() {
            continue;
        }
        hops += 1;
        let Ok(target) = fs_err::read_link(&current) else {
            return true;
        };
        if hops > MAX_LINK_HOPS || target.has_root() {
            return true;
        }
        resolved.pop();
        for component in target.components().rev() {
            pending.push_front(component.as_os_str().to_os_string());
        }
    }
    false
}

fn set_mode(path: &Path, mode: u32) -> Result<(), ExtractError> {
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|source| {
        ExtractError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests;
