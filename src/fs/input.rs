//! Reading input files that kiln does not control: recipes, the toolchain pin, the ABI file,
//! lockfiles, wheels.
//!
//! Any of them may be a named pipe (a read blocks forever), a device or a link to one
//! (`/dev/zero` never ends), or simply huge. So every such file is opened with
//! [`open_regular`]: the path must name a regular file (after following links), it is
//! opened with `O_NONBLOCK` so that a pipe swapped in between the check and the `open`
//! cannot block, and the open file is checked again. [`read_bounded`] then reads at most
//! `limit` bytes, counting what it reads rather than trusting the size on disk (files under
//! `/proc` claim to be empty). Callers pick the limit: it belongs to the kind of file.
//!
//! Nothing here decides *which* paths may be read; that is [`super::contained`]'s job.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// An input file that could not be read, or was refused.
///
/// `Display` names the file and what it is for (`cannot read the toolchain pin `…``); the
/// reason is the [`InputProblem`] in the error chain.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {what} `{}`", path.display())]
pub struct InputError {
    /// What the file is for, as a phrase: `the toolchain pin`, `recipe`, `wheel`.
    pub what: &'static str,
    pub path: PathBuf,
    #[source]
    pub problem: InputProblem,
}

/// Why an input file was refused or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A folder, pipe, socket or device where a regular file was expected.
    #[error("it is {kind}, not a regular file")]
    NotRegular { kind: FileKind },
    /// More than `limit` bytes (on disk, or as read).
    #[error("it is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// Text was expected; the bytes are not UTF-8.
    #[error("it is not UTF-8 text")]
    NotUtf8,
}

/// What a path names, for messages about files that are not regular files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Folder,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    Other,
}

impl FileKind {
    fn of(file_type: std::fs::FileType) -> Self {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_dir() {
            FileKind::Folder
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_char_device() {
            FileKind::CharacterDevice
        } else if file_type.is_block_device() {
            FileKind::BlockDevice
        } else {
            FileKind::Other
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Folder => "a folder",
            FileKind::Fifo => "a named pipe (FIFO)",
            FileKind::Socket => "a socket",
            FileKind::CharacterDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "a special file",
        })
    }
}

/// Opens `path` for reading if it is a regular file (links followed), without ever blocking
/// on a pipe; returns the file and its size on disk. `what` names the file in errors.
pub fn open_regular(path: &Path, what: &'static str) -> Result<(fs_err::File, u64), InputError> {
    use fs_err::os::unix::fs::OpenOptionsExt;
    let refuse = |problem: InputProblem| InputError {
        what,
        path: path.to_path_buf(),
        problem,
    };
    // Checked before opening, so a device is never even opened (opening some has effects).
    let metadata = fs_err::metadata(path).map_err(|error| refuse(error.into()))?;
    if !metadata.is_file() {
        return Err(refuse(InputProblem::NotRegular {
            kind: FileKind::of(metadata.file_type()),
        }));
    }
    // `O_NONBLOCK` because the path may have been replaced by a pipe since the check: the
    // open then returns at once instead of waiting for a writer. It has no effect on reads
    // of a regular file, so it stays set.
    let file = fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|error| refuse(error.into()))?;
    let metadata = file.metadata().map_err(|error| refuse(error.into()))?;
    if !metadata.is_file() {
        return Err(refuse(InputProblem::NotRegular {
            kind: FileKind::of(metadata.file_type()),
        }));
    }
    Ok((file, metadata.len()))
}

/// Reads a regular file of at most `limit` bytes (see [`open_regular`]).
pub fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    let refuse = |problem: InputProblem| InputError {
        what,
        path: path.to_path_buf(),
        problem,
    };
    let (file, size) = open_regular(path, what)?;
    if size > limit {
        return Err(refuse(InputProblem::TooLarge { limit }));
    }
    // One byte past the limit tells a file that grew (or lied about its size) from one that
    // fits exactly.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| refuse(error.into()))?;
    if bytes.len() as u64 > limit {
        return Err(refuse(InputProblem::TooLarge { limit }));
    }
    Ok(bytes)
}

/// [`read_bounded`] for text files: the bytes must be UTF-8.
pub fn read_bounded_to_string(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<String, InputError> {
    let bytes = read_bounded(path, limit, what)?;
    String::from_utf8(bytes).map_err(|_| InputError {
        what,
        path: path.to_path_buf(),
        problem: InputProblem::NotUtf8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(result: Result<Vec<u8>, InputError>) -> InputProblem {
        result.expect_err("refused").problem
    }

    #[test]
    fn reads_a_regular_file_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pin.toml");
        fs_err::write(&path, b"12345").unwrap();
        assert_eq!(read_bounded(&path, 5, "test file").unwrap(), b"12345");
        assert!(matches!(
            problem(read_bounded(&path, 4, "test file")),
            InputProblem::TooLarge { limit: 4 }
        ));
    }

    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo.toml");
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = read_bounded(&path, 1024, "the toolchain pin").unwrap_err();
        assert!(matches!(
            error.problem,
            InputProblem::NotRegular {
                kind: FileKind::Fifo
            }
        ));
        assert_eq!(
            error.to_string(),
            format!("cannot read the toolchain pin `{}`", path.display())
        );
        assert_eq!(
            std::error::Error::source(&error).unwrap().to_string(),
            "it is a named pipe (FIFO), not a regular file"
        );
    }

    #[test]
    fn refuses_a_link_to_a_device_and_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("abi.toml");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(
            problem(read_bounded(&zero, 1024, "test file")),
            InputProblem::NotRegular {
                kind: FileKind::CharacterDevice
            }
        ));
        assert!(matches!(
            problem(read_bounded(dir.path(), 1024, "test file")),
            InputProblem::NotRegular {
                kind: FileKind::Folder
            }
        ));
    }

    #[test]
    fn counts_bytes_read_when_the_size_on_disk_lies() {
        // `/proc` files report a size of 0 and can be far longer.
        let path = Path::new("/proc/self/maps");
        if path.exists() {
            assert!(matches!(
                problem(read_bounded(path, 8, "test file")),
                InputProblem::TooLarge { limit: 8 }
            ));
        }
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recipe.toml");
        fs_err::write(&path, b"name = \"\xff\"").unwrap();
        let error = read_bounded_to_string(&path, 1024, "recipe").unwrap_err();
        assert!(matches!(error.problem, InputProblem::NotUtf8));
    }

    /// Any kind of file at the path (regular of any size, FIFO, device, folder, links to
    /// each, dangling link): `read_bounded` returns the bytes exactly when the path leads to
    /// a regular file within the limit, and never blocks.
    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        use proptest::prelude::*;

        #[derive(Debug, Clone, Copy)]
        enum Kind {
            Regular(usize),
            Fifo,
            Folder,
            Device,
            Dangling,
        }
        let kind = prop_oneof![
            (0usize..64).prop_map(Kind::Regular),
            Just(Kind::Fifo),
            Just(Kind::Folder),
            Just(Kind::Device),
            Just(Kind::Dangling),
        ];
        let dir = tempfile::tempdir().unwrap();
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
        runner
            .run(&(kind, any::<bool>(), 0u64..48), |(kind, linked, limit)| {
                let counter = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let target = dir.path().join(format!("target-{counter}"));
                match kind {
                    Kind::Regular(size) => fs_err::write(&target, vec![b'x'; size]).unwrap(),
                    Kind::Fifo => {
                        let c_path =
                            std::ffi::CString::new(target.as_os_str().as_encoded_bytes()).unwrap();
                        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
                        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
                    }
                    Kind::Folder => fs_err::create_dir(&target).unwrap(),
                    Kind::Device => std::os::unix::fs::symlink("/dev/zero", &target).unwrap(),
                    Kind::Dangling => std::os::unix::fs::symlink("nowhere", &target).unwrap(),
                }
                let path = if linked {
                    let link = dir.path().join(format!("link-{counter}"));
                    std::os::unix::fs::symlink(&target, &link).unwrap();
                    link
                } else {
                    target
                };
                let result = read_bounded(&path, limit, "test file");
                let expected = match (kind, &result) {
                    (Kind::Regular(size), Ok(bytes)) => size as u64 <= limit && bytes.len() == size,
                    (Kind::Regular(_), Err(error)) => {
                        matches!(error.problem, InputProblem::TooLarge { .. })
                    }
                    (Kind::Dangling, Err(error)) => matches!(error.problem, InputProblem::Io(_)),
                    (_, Err(error)) => matches!(error.problem, InputProblem::NotRegular { .. }),
                    (_, Ok(_)) => false,
                };
                prop_assert!(
                    expected,
                    "{:?} linked={} limit={}: {:?}",
                    kind,
                    linked,
                    limit,
                    result
                );
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let error = read_bounded(Path::new("/nonexistent/kiln"), 1, "test file").unwrap_err();
        assert!(
            matches!(&error.problem, InputProblem::Io(io) if io.kind() == io::ErrorKind::NotFound)
        );
    }
}
