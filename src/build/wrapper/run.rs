//! The wrapper's entry point ([`dispatch_from_argv0`], the first thing `main` does): the call
//! read (response files expanded), rewritten, logged as two lines in the build log, and the
//! real tool found on PATH outside the wrapper folder and `exec`ed, or run as a child for a
//! side module's link ([`super::link`]).

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::env::{WRAPPER_DIR_VAR, WRAPPER_LOG_VAR, WrapperEnv};
use super::link::run_link;
use super::response::expand_response_files;
use super::rewrite::{Mode, rewrite};
use super::tool::Tool;
use crate::run::shell_quote;

/// The wrapper's entry point: when kiln was started as one of the wrapped tools (its file
/// name is `cc`, `x86_64-linux-gnu-g++`…), rewrites and `exec`s the call and returns only if
/// that fails. `None` when kiln was started as itself.
pub fn dispatch_from_argv0() -> Option<ExitCode> {
    let mut argv = std::env::args_os();
    let argv0 = argv.next()?;
    let name = Path::new(&argv0).file_name()?.to_str()?.to_string();
    let tool = Tool::from_name(&name)?;
    let args: Vec<OsString> = argv.collect();
    Some(run(tool, &name, &args))
}

fn run(tool: Tool, invoked: &str, args: &[OsString]) -> ExitCode {
    let expanded;
    let args = if tool.reads_response_files() {
        expanded = expand_response_files(args, &|path| std::fs::read(path).ok(), 0);
        &expanded[..]
    } else {
        args
    };
    let rewritten = rewrite(tool, args, &WrapperEnv::from_env());
    let wrapper_dir = std::env::var_os(WRAPPER_DIR_VAR).map(PathBuf::from);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = find_program(rewritten.program, invoked, &path, wrapper_dir.as_deref());
    if let Some(log) = std::env::var_os(WRAPPER_LOG_VAR).filter(|log| !log.is_empty()) {
        let ran = match (&rewritten.answer, &found) {
            (Some(answer), _) => Ran::Answer(answer),
            (None, Some((program, _))) => Ran::Program(program, &rewritten.args),
            (None, None) => Ran::NotFound(rewritten.program),
        };
        if let Err(error) = append_log(Path::new(&log), &log_lines(invoked, args, ran)) {
            // Not fatal: the compile itself is what the build needs.
            eprintln!(
                "kiln: cannot append to the wrapper log `{}`: {error}",
                Path::new(&log).display()
            );
        }
    }
    if let Some(answer) = rewritten.answer {
        println!("{answer}");
        return ExitCode::SUCCESS;
    }
    let Some((program, clean_path)) = found else {
        eprintln!(
            "kiln: `{}` (for `{invoked}`) not found on PATH outside the wrapper folder",
            rewritten.program
        );
        return ExitCode::from(127);
    };
    let mut command = Command::new(&program);
    command.args(&rewritten.args).env("PATH", clean_path);
    // Only a side module is checked for signature mismatches ([`super::link`]): a program
    // link in a cross build is a configure probe, and function probes declare the function
    // with a dummy type on purpose.
    if rewritten.mode == Mode::Link && rewritten.side_module {
        return run_link(command, &program, &rewritten.args);
    }
    let error = command.exec();
    eprintln!("kiln: cannot run `{}`: {error}", program.display());
    ExitCode::from(126)
}

/// Finds `program` on `path` outside wrapper folders, and returns it with `path` minus those
/// folders (the PATH the real tool gets). A wrapper folder is `wrapper_dir`, or any folder
/// whose `invoked` entry leads to this very executable: then a missing or stale
/// `KILN_WRAPPER_DIR` still cannot make emcc call back into kiln.
fn find_program(
    program: &str,
    invoked: &str,
    path: &OsStr,
    wrapper_dir: Option<&Path>,
) -> Option<(PathBuf, OsString)> {
    let this = std::env::current_exe().ok();
    let is_wrapper_dir = |dir: &Path| {
        if wrapper_dir.is_some_and(|wrapper| wrapper == dir) {
            return true;
        }
        let entry = dir.join(invoked);
        let is_link = std::fs::symlink_metadata(&entry).is_ok_and(|meta| meta.is_symlink());
        is_link
            && this.is_some()
            && std::fs::canonicalize(&entry).ok().as_deref() == this.as_deref()
    };
    let dirs: Vec<PathBuf> = std::env::split_paths(path)
        .filter(|dir| dir.as_os_str().is_empty() || !is_wrapper_dir(dir))
        .collect();
    let found = dirs.iter().find_map(|dir| {
        let candidate = dir.join(program);
        is_executable(&candidate).then_some(candidate)
    })?;
    let clean = std::env::join_paths(&dirs).ok()?;
    Some((found, clean))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// What the wrapper did with a call, for the log.
enum Ran<'a> {
    Program(&'a Path, &'a [OsString]),
    Answer(&'a str),
    NotFound(&'a str),
}

/// The two log lines of one call: what the build asked for, and what ran instead.
fn log_lines(invoked: &str, args: &[OsString], ran: Ran) -> String {
    let mut text = String::from("[kiln wrapper] ");
    text.push_str(&shell_quote(invoked));
    push_quoted(&mut text, args);
    text.push_str("\n[kiln wrapper] => ");
    match ran {
        Ran::Program(program, new_args) => {
            text.push_str(&shell_quote(&program.to_string_lossy()));
            push_quoted(&mut text, new_args);
        }
        Ran::Answer(answer) => text.push_str(&format!("answered by kiln: {answer}")),
        Ran::NotFound(program) => text.push_str(&format!("`{program}` not found on PATH")),
    }
    text.push('\n');
    text
}

fn push_quoted(text: &mut String, args: &[OsString]) {
    for arg in args {
        text.push(' ');
        text.push_str(&shell_quote(&arg.to_string_lossy()));
    }
}

/// Appends `text` in one `write` on an `O_APPEND` file: the kernel places each such write at
/// the end as a whole, so the lines of parallel compiles do not interleave mid-line.
fn append_log(log: &Path, text: &str) -> io::Result<()> {
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    // write_all issues a second write only after a short write (a full disk), never otherwise.
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::build::wrapper::rewrite::MULTIARCH;
    use crate::build::wrapper::testing::args;

    #[test]
    fn finds_the_real_tool_outside_the_wrapper_folder() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let wrappers = root.path().join("wrappers");
        let real = root.path().join("real");
        for dir in [&wrappers, &real] {
            fs_err::create_dir_all(dir).unwrap();
            let emcc = dir.join("emcc");
            fs_err::write(&emcc, "#!/bin/sh\n").unwrap();
            fs_err::set_permissions(&emcc, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = std::env::join_paths([&wrappers, &real]).unwrap();
        let (found, clean) = find_program("emcc", "cc", &path, Some(&wrappers)).unwrap();
        assert_eq!(found, real.join("emcc"));
        assert_eq!(clean, real.clone().into_os_string());
        // A trailing slash names the same folder.
        let slashed = PathBuf::from(format!("{}/", wrappers.display()));
        let (found, _) = find_program("emcc", "cc", &path, Some(&slashed)).unwrap();
        assert_eq!(found, real.join("emcc"));
        // Without KILN_WRAPPER_DIR, a folder whose `cc` leads to this executable is skipped.
        let this = std::env::current_exe().unwrap();
        std::os::unix::fs::symlink(&this, wrappers.join("cc")).unwrap();
        let (found, clean) = find_program("emcc", "cc", &path, None).unwrap();
        assert_eq!(found, real.join("emcc"));
        assert_eq!(clean, real.into_os_string());
        assert!(find_program("emcc", "cc", &wrappers.into_os_string(), None).is_none());
    }

    #[test]
    fn log_gets_two_quoted_lines_per_call_appended() {
        let root = tempfile::tempdir().unwrap();
        let log = root.path().join("build.log");
        fs_err::write(&log, "earlier\n").unwrap();
        let new_args = [OsString::from("-DNAME=a b"), OsString::from("x.o")];
        let ran = Ran::Program(Path::new("/usr/bin/emcc"), &new_args);
        let text = log_lines("cc", &args("-O2 -shared -o x.so x.o"), ran);
        append_log(&log, &text).unwrap();
        append_log(&log, &text).unwrap();
        let written = fs_err::read_to_string(&log).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[1], "[kiln wrapper] cc -O2 -shared -o x.so x.o");
        assert_eq!(lines[2], "[kiln wrapper] => /usr/bin/emcc '-DNAME=a b' x.o");
        let answered = log_lines("cc", &args("-print-multiarch"), Ran::Answer(MULTIARCH));
        assert!(answered.ends_with("=> answered by kiln: wasm32-emscripten\n"));
    }
}
