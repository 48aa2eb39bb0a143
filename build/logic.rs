//! Hashes the source of kiln's build logic at compile time, for cache keys.
//!
//! A cache key must change when kiln changes what a build sees or does (the script and
//! environment it writes, the compiler wrapper's rewrites, the wheel repair), and only then.
//! Instead of a constant bumped by hand, this script hashes the Rust source of each part of
//! that logic and hands the digests to the crate as `KILN_LOGIC_<PART>` (read by
//! `src/cache/logic.rs`). Which parts a recipe's key takes depends on its kind: a static
//! library never runs the wrapper or the wheel code, so editing them does not rebuild it.
//!
//! Only code counts: lines that are comments, blank lines, leading and trailing spaces, and
//! `#[cfg(test)]` modules (inline `mod tests { … }` at a file's end, or `mod tests;` with its
//! `tests.rs`/`testing.rs` file) are left out, so a comment or a new unit test rebuilds nothing.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The parts of the build logic, each a list of files and folders under `src/`. Also update
/// `BuildLogic::for_kind` in `src/cache/logic.rs` when a part is added.
const PARTS: &[(&str, &[&str])] = &[
    // Every build: the work folder, the script's environment contract and rendering, the host
    // prefix merge, the store, source extraction and patching, and how commands run in the root.
    // (`build/mod.rs` only orders these steps and computes keys: not an input of a build.)
    (
        "COMMON",
        &[
            "build/work.rs",
            "build/script.rs",
            "build/host.rs",
            "build/store.rs",
            "source/extract.rs",
            "source/patch.rs",
            "toolchain/mod.rs",
        ],
    ),
    // The compiler wrapper (shared libraries and packages build through it).
    ("WRAPPER", &["build/wrapper"]),
    // Packages: the PEP 517 script, cross environment, build requirements, Rust, wheel repair.
    (
        "PACKAGE",
        &[
            "build/package.rs",
            "build/requirements.rs",
            "build/cross.rs",
            "build/rust.rs",
            "build/rust_std.rs",
            "build/wheels.rs",
            "wheel",
            "zipfile.rs",
        ],
    ),
];

pub fn emit() {
    let src = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("src");
    for (part, paths) in PARTS {
        let mut files = Vec::new();
        for path in *paths {
            let path = src.join(path);
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, &mut files);
        }
        files.sort();
        let mut hasher = Sha256::new();
        for file in &files {
            let relative = file.strip_prefix(&src).expect("under src");
            let text = std::fs::read_to_string(file).expect("readable source file");
            hasher.update(relative.to_string_lossy().as_bytes());
            hasher.update([0]);
            hasher.update(code_only(&text).as_bytes());
            hasher.update([0]);
        }
        let digest: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        println!("cargo:rustc-env=KILN_LOGIC_{part}={digest}");
    }
}

/// Every `.rs` file at or below `path` except test modules; a missing path counts as empty.
fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("readable folder")
            .flatten()
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, files);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if name != "tests.rs" && name != "testing.rs" {
            files.push(path.to_path_buf());
        }
    }
}

/// The code of a Rust file: comment lines, blank lines, indentation and test modules removed.
fn code_only(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut code = String::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        if line == "#[cfg(test)]" {
            let next = lines.get(index + 1).copied().unwrap_or("");
            if next.starts_with("mod ") || next.starts_with("pub(crate) mod ") {
                if next.ends_with('{') {
                    // By convention the test module closes the file.
                    break;
                }
                index += 2;
                continue;
            }
        }
        if !line.is_empty() && !line.starts_with("//") {
            code.push_str(line);
            code.push('\n');
        }
        index += 1;
    }
    code
}
