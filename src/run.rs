//! The one way kiln runs a build tool (debootstrap, apt-get, configure, make, emcc, pip…).
//!
//! Every command's standard output and error go straight into a log file (the same open file
//! for both, so their lines interleave as they happened), never to the terminal: parallel
//! builds would tear each other's output, and a log that exists from the first byte is the
//! first thing a user needs when a build fails. On failure the error carries the log path
//! and its last lines.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

pub mod groups;

/// How many trailing lines of a failed command's log are shown to the user.
pub const TAIL_LINES: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot open log file `{}`", path.display())]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` failed ({status}); log: `{}`\n{tail}", log.display())]
    Failed {
        program: String,
        status: ExitStatus,
        log: PathBuf,
        /// The last [`TAIL_LINES`] lines of the log.
        tail: String,
    },
}

/// Runs `command` with its output appended to `log`, and fails with the log's tail unless it
/// exits with status 0.
pub fn run_logged(command: &mut Command, log: &Path) -> Result<(), RunError> {
    let status = run_logged_status(command, log)?;
    if status.success() {
        Ok(())
    } else {
        Err(RunError::Failed {
            program: program_name(command),
            status,
            log: log.to_path_buf(),
            tail: tail(log, TAIL_LINES),
        })
    }
}

/// Like [`run_logged`], but hands back the exit status for callers that judge success by
/// other means (apt-get source may fail over a `.dsc` while the tarball they want arrived).
pub fn run_logged_status(command: &mut Command, log: &Path) -> Result<ExitStatus, RunError> {
    let log_error = |source| RunError::Log {
        path: log.to_path_buf(),
        source,
    };
    if let Some(parent) = log.parent() {
        fs_err::create_dir_all(parent).map_err(log_error)?;
    }
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(log_error)?;
    writeln!(file, "+ {}", describe(command)).map_err(log_error)?;
    let stdout = file.file().try_clone().map_err(log_error)?;
    let stderr = file.file().try_clone().map_err(log_error)?;
    tracing::debug!(command = %describe(command), log = %log.display(), "running");
    let program = program_name(command);
    // A group of its own, which the signals that stop kiln are passed to (see `groups`).
    let started = std::os::unix::process::CommandExt::process_group(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr)),
        0,
    )
    .spawn();
    let mut child = match started {
        Ok(child) => child,
        Err(source) => return Err(RunError::Spawn { program, source }),
    };
    let _listed = groups::list(child.id());
    child
        .wait()
        .map_err(|source| RunError::Spawn { program, source })
}

/// The last `count` lines of a file, decoded lossily (build tools print any bytes).
pub fn tail(path: &Path, count: usize) -> String {
    let Ok(file) = fs_err::File::open(path) else {
        return String::new();
    };
    let mut lines = VecDeque::with_capacity(count);
    let mut reader = BufReader::new(file);
    let mut buffer = Vec::new();
    while reader.read_until(b'\n', &mut buffer).unwrap_or(0) > 0 {
        if lines.len() == count {
            lines.pop_front();
        }
        lines.push_back(String::from_utf8_lossy(&buffer).trim_end().to_string());
        buffer.clear();
    }
    Vec::from(lines).join("\n")
}

/// The command line as a shell would show it, for logs and re-running by hand.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            // Inline scripts (the toolchain's mount setup) would bury the command in the log.
            match part.lines().count() {
                0 | 1 => shell_quote(&part),
                lines => format!("<script of {lines} lines>"),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn program_name(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}

/// Quotes `text` for a POSIX shell when it holds anything but safe characters.
pub fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_carries_log_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("logs/x.log");
        let error = run_logged(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            &log,
        )
        .unwrap_err();
        let RunError::Failed {
            tail, log: path, ..
        } = &error
        else {
            panic!("unexpected {error:?}");
        };
        assert_eq!(path, &log);
        assert!(tail.contains("out") && tail.contains("err"), "{tail}");
        assert!(error.to_string().contains("exit status: 3"), "{error}");
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(shell_quote("emcc"), "emcc");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
