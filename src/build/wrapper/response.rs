//! `@file` response files, read as gcc and clang read them, for the compiler drivers and `ld`
//! (the archivers' hold only member names, which the wrapper never rewrites). meson writes a
//! long link to one; unexpanded, a `-shared` in it would go unseen.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// How deep `@file` inside a response file is followed (gcc's own limit is far higher, but a
/// build never nests more than once; a file that names itself must still end).
const RESPONSE_FILE_DEPTH: usize = 8;

/// Replaces each `@file` argument by the arguments written in that file, as gcc and clang
/// read them: separated by white space, grouped by single or double quotes, a backslash
/// taking the next character as it is; `@file` inside is read in turn. An `@file` that
/// cannot be read stays as it is (gcc's rule: then it is an input named `@file`).
///
/// meson writes a link's objects to `NAME.rsp` when the command line is long (SciPy's
/// `unuran_wrapper` link has 150 objects). Unexpanded, the wrapper saw no `-shared` in it,
/// so the link became a program rather than a side module, and the signature mismatch check
/// was skipped. The expanded arguments are what runs: Linux takes 2 MB of them.
pub(super) fn expand_response_files(
    args: &[OsString],
    read: &dyn Fn(&Path) -> Option<Vec<u8>>,
    depth: usize,
) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        let bytes = arg.as_bytes();
        let contents = match bytes.strip_prefix(b"@") {
            Some(name) if !name.is_empty() && depth < RESPONSE_FILE_DEPTH => {
                read(Path::new(OsStr::from_bytes(name)))
            }
            _ => None,
        };
        match contents {
            Some(contents) => out.extend(expand_response_files(
                &split_response_file(&contents),
                read,
                depth + 1,
            )),
            None => out.push(arg.clone()),
        }
    }
    out
}

/// The arguments of a response file (see [`expand_response_files`] for the syntax).
fn split_response_file(contents: &[u8]) -> Vec<OsString> {
    let mut args = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut in_arg = false;
    let mut quote: Option<u8> = None;
    let mut bytes = contents.iter().copied();
    while let Some(byte) = bytes.next() {
        match (quote, byte) {
            (_, b'\\') => {
                if let Some(next) = bytes.next() {
                    current.push(next);
                }
                in_arg = true;
            }
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => current.push(byte),
            (None, b'\'' | b'"') => {
                quote = Some(byte);
                in_arg = true;
            }
            (None, _) if byte.is_ascii_whitespace() => {
                if in_arg {
                    args.push(OsString::from_vec(std::mem::take(&mut current)));
                    in_arg = false;
                }
            }
            (None, _) => {
                current.push(byte);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(OsString::from_vec(current));
    }
    args
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::Path;

    use super::*;
    use crate::build::wrapper::testing::{abi_env, args};
    use crate::build::wrapper::{Mode, Tool, rewrite};

    #[test]
    fn response_files_are_split_like_gcc() {
        let split = split_response_file(b"a.o  'b c.o'\n\"-DX=\\\"1\\\"\" d\\ e.o\t-shared\n");
        let expected: Vec<OsString> = ["a.o", "b c.o", "-DX=\"1\"", "d e.o", "-shared"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(split, expected);
        assert!(split_response_file(b" \n\t").is_empty());
        assert_eq!(split_response_file(b"''"), vec![OsString::new()]);
    }

    #[test]
    fn response_files_are_expanded_and_the_link_becomes_a_side_module() {
        let files = |path: &Path| -> Option<Vec<u8>> {
            match path.to_str()? {
                "x.so.rsp" => Some(b"-o x.so a.o b.o -shared @more.rsp".to_vec()),
                "more.rsp" => Some(b"-lm".to_vec()),
                "loop.rsp" => Some(b"@loop.rsp".to_vec()),
                _ => None,
            }
        };
        let expanded = expand_response_files(&args("-O2 @x.so.rsp @missing.rsp"), &files, 0);
        assert_eq!(
            expanded,
            args("-O2 -o x.so a.o b.o -shared -lm @missing.rsp")
        );
        // A file naming itself ends (left as `@loop.rsp` at the depth limit).
        assert_eq!(
            expand_response_files(&args("@loop.rsp"), &files, 0),
            args("@loop.rsp")
        );
        let rewritten = rewrite(Tool::Cc, &expanded, &abi_env());
        assert_eq!(rewritten.mode, Mode::Link);
        assert!(rewritten.args.contains(&OsString::from("-sSIDE_MODULE=1")));
        assert!(Tool::Cc.reads_response_files() && !Tool::Ar.reads_response_files());
    }
}
