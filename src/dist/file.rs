//! Opening the files a distribution holds without trusting them.
//!
//! A `.whl` or `pyodide-lock.json` in a folder someone hands kiln may be a symbolic link (to
//! `/etc/passwd`, to `/dev/zero`), a FIFO that blocks a reader forever, or larger than any
//! wheel. [`open_regular`] opens without following a link and without blocking, then looks at
//! what it opened: only a regular file of bounded size is read. [`is_plain_name`] is the
//! containment rule for names a lockfile gives: one file name, inside the folder.
//!
//! The project's general bounded reader and containment helpers are meant to live in
//! `crate::fs`; these are the minimal ones the distribution needs.

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Why a file in a distribution is not read.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("it is a symbolic link; a distribution holds the files themselves")]
    Symlink,
    #[error("it is a {kind}, not a regular file")]
    NotRegular { kind: &'static str },
    #[error("it is {size} bytes, over the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("it does not exist")]
    NotFound,
    #[error("cannot read it")]
    Io(#[source] std::io::Error),
}

/// Opens `path` for reading if it is a regular file of at most `limit` bytes; returns the
/// file and its size. A symbolic link is refused (even one to a regular file), and so is a
/// FIFO or device, without blocking on it.
pub fn open_regular(path: &Path, limit: u64) -> Result<(std::fs::File, u64), FileProblem> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. O_NOFOLLOW:
    // the last component must not be a link (ELOOP when it is).
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(error) if error.raw_os_error() == Some(libc::ELOOP) => {
            return Err(FileProblem::Symlink);
        }
        Err(error) if error.kind() == ErrorKind::NotFound => return Err(FileProblem::NotFound),
        Err(error) => return Err(FileProblem::Io(error)),
    };
    let metadata = file.metadata().map_err(FileProblem::Io)?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(FileProblem::NotRegular {
            kind: if kind.is_dir() {
                "folder"
            } else if kind.is_fifo() {
                "FIFO"
            } else if kind.is_char_device() || kind.is_block_device() {
                "device"
            } else if kind.is_socket() {
                "socket"
            } else {
                "special file"
            },
        });
    }
    if metadata.len() > limit {
        return Err(FileProblem::TooLarge {
            size: metadata.len(),
            limit,
        });
    }
    Ok((file, metadata.len()))
}

/// Reads a whole regular file of at most `limit` bytes (see [`open_regular`]).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileProblem> {
    use std::io::Read;
    let (file, size) = open_regular(path, limit)?;
    let mut bytes = Vec::with_capacity(size as usize);
    // `take`: a file that grows while it is read still stops at the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(FileProblem::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileProblem::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// True when `name` is one plain file name: not empty, not `.` or `..`, without `/`, `\` or
/// NUL. Joined onto a folder it names a file directly in that folder and nowhere else.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Holds an exclusive lock on a distribution folder while kiln writes into it, so that
/// two writers (an install and a `lock`) never interleave and a writer can tell that the
/// temporary files it finds are strays. The lock is on the folder itself: nothing is added
/// to what gets published. Released on drop.
pub struct FolderLock {
    _file: std::fs::File,
}

impl FolderLock {
    pub fn acquire(dir: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(dir)?;
        file.lock()?;
        Ok(Self { _file: file })
    }
}

/// The prefix of the temporary files [`crate::fs::write_atomic`] leaves when killed between
/// creating and renaming one (`tempfile`'s default).
pub const TEMPORARY_PREFIX: &str = ".tmp";

/// Removes the temporary files an interrupted write left in `dir` (regular files whose names
/// start with [`TEMPORARY_PREFIX`]). Call it only while holding the folder's [`FolderLock`]:
/// then no other kiln is writing them. Returns how many were removed.
pub fn remove_stray_temporaries(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let is_temporary = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(TEMPORARY_PREFIX));
        if is_temporary && entry.file_type()?.is_file() {
            fs_err::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_links_fifos_devices_and_large_files_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let regular = dir.path().join("a.whl");
        fs_err::write(&regular, b"12345").unwrap();
        assert_eq!(read_regular(&regular, 5).unwrap(), b"12345");
        assert!(matches!(
            read_regular(&regular, 4),
            Err(FileProblem::TooLarge { size: 5, limit: 4 })
        ));
        let link = dir.path().join("link.whl");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(read_regular(&link, 10), Err(FileProblem::Symlink)));
        let fifo = dir.path().join("fifo.whl");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
        assert!(matches!(
            read_regular(&fifo, 10),
            Err(FileProblem::NotRegular { kind: "FIFO" })
        ));
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 10),
            Err(FileProblem::NotRegular { kind: "device" })
        ));
        assert!(matches!(
            read_regular(&dir.path().join("none"), 10),
            Err(FileProblem::NotFound)
        ));
    }

    #[test]
    fn plain_names_stay_in_the_folder() {
        assert!(is_plain_name("numpy-2.0-cp313-cp313-x.whl"));
        for bad in [
            "",
            ".",
            "..",
            "../x.whl",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "a\0b",
        ] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn stray_temporaries_are_removed_under_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(".tmpAbC123"), b"half").unwrap();
        fs_err::write(dir.path().join("keep.whl"), b"").unwrap();
        fs_err::create_dir(dir.path().join(".tmpdir")).unwrap();
        let _lock = FolderLock::acquire(dir.path()).unwrap();
        assert_eq!(remove_stray_temporaries(dir.path()).unwrap(), 1);
        assert!(dir.path().join("keep.whl").exists());
        assert!(dir.path().join(".tmpdir").is_dir());
    }
}
