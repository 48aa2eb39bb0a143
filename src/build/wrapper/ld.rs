//! `ld` called by a build, turned into the compiler driver. It is supported for what build
//! systems use it for: `ld -r` object merges and simple shared links. Its arguments become
//! driver arguments (`-o -L -l -r -shared` as they are, every other option behind `-Wl,`,
//! `-m <emulation>` and `-x` dropped) and then take the path of any other link through
//! [`super::rewrite`]. Response files (`@file`) pass through unread and count as inputs.

use super::flags::LD_TAKES_VALUE;
use super::rewrite::{Arg, flatten};

/// Turns `ld` arguments into emcc driver arguments (the module header says how).
pub(super) fn from_ld(parsed: Vec<Arg>) -> Vec<Arg> {
    if !parsed.iter().any(|arg| matches!(arg, Arg::Input(_))) {
        // `ld --version`, `ld -v`: emcc answers (libtool looks for "GNU" in it, which emcc's
        // "linker emulating GNU ld" has).
        return parsed;
    }
    let mut flat = flatten(parsed).into_iter();
    let mut out = Vec::new();
    while let Some(arg) = flat.next() {
        let Some(text) = arg.to_str().map(str::to_string) else {
            out.push(Arg::Input(arg));
            continue;
        };
        let wl = |items: &[&str]| Arg::Opt(format!("-Wl,{}", items.join(",")).into());
        match text.as_str() {
            "-" => out.push(Arg::Input(arg)),
            _ if !text.starts_with('-') => out.push(Arg::Input(arg)),
            "-o" | "-L" | "-l" | "-u" | "-T" | "-z" => match flat.next() {
                Some(value) => out.push(match text.as_str() {
                    "-o" | "-L" | "-l" => Arg::Pair(arg, value),
                    _ => wl(&[&text, &*value.to_string_lossy()]),
                }),
                None => out.push(Arg::Opt(arg)),
            },
            "-r" | "--relocatable" | "-i" | "-Ur" => out.push(Arg::Opt("-r".into())),
            "-shared" | "--shared" | "-Bshareable" => out.push(Arg::Opt("-shared".into())),
            "-static" => out.push(Arg::Opt(arg)),
            // Emulation (`-m elf_x86_64`) and discarding local symbols mean nothing for wasm.
            "-x" | "-X" | "--discard-all" | "--discard-locals" => {}
            "-m" => {
                flat.next();
            }
            _ if text.starts_with("-m") && text != "-mllvm" => {}
            "-s" | "--strip-all" => {}
            "-S" | "--strip-debug" => out.push(wl(&["--strip-debug"])),
            _ if text.starts_with("-L") || text.starts_with("-l") || text.starts_with("-o") => {
                out.push(Arg::Opt(arg))
            }
            _ if text.starts_with("--library-path=") => out.push(Arg::Opt(
                format!("-L{}", &text["--library-path=".len()..]).into(),
            )),
            _ if text.starts_with("--library=") => out.push(Arg::Opt(
                format!("-l{}", &text["--library=".len()..]).into(),
            )),
            _ if LD_TAKES_VALUE.contains(&text.as_str()) => match flat.next() {
                Some(value) => out.push(wl(&[&text, &*value.to_string_lossy()])),
                None => out.push(wl(&[&text])),
            },
            _ => out.push(wl(&[&text])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::build::wrapper::Tool;
    use crate::build::wrapper::testing::{line, run};

    #[test]
    fn ld_arguments_become_driver_arguments() {
        let merge = run(Tool::Ld, "-r -x -o all.o a.o b.o");
        assert_eq!(
            line(&merge),
            "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -r -o all.o a.o b.o"
        );
        assert!(!merge.side_module);
        let shared = run(
            Tool::Ld,
            "-m elf_x86_64 -shared -soname libx.so.1 -o libx.so a.o -L/usr/lib -L lib -lz \
             --as-needed -rpath /opt --whole-archive -s",
        );
        assert!(shared.side_module);
        assert_eq!(
            line(&shared),
            "emcc -fwasm-exceptions -sSUPPORT_LONGJMP=wasm -sWASM_BIGINT -sSIDE_MODULE=1 \
             -shared -o libx.so a.o -L lib -lz -Wl,--whole-archive"
        );
        // Version queries reach emcc unchanged.
        assert_eq!(line(&run(Tool::Ld, "--version")), "emcc --version");
    }
}
