//! Embeds kiln's own recipes (`recipes/`) and platform files (`platforms/`) into the binary,
//! so an installed kiln (`cargo install --path .`, a release binary) carries them and needs
//! no checkout: `src/builtin.rs` unpacks them into the cache. Generates
//! `$OUT_DIR/builtin_files.rs`: one `BuiltinFile` per file, sorted by path.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const FOLDERS: &[&str] = &["recipes", "platforms"];

pub fn emit() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    for folder in FOLDERS {
        // A folder makes cargo rerun this script when anything under it changes.
        println!("cargo:rerun-if-changed={folder}");
        walk(&manifest, &manifest.join(folder), &mut files);
    }
    files.sort();
    let mut code = String::from("pub static FILES: &[BuiltinFile] = &[\n");
    for (relative, absolute, executable) in &files {
        writeln!(
            code,
            "    BuiltinFile {{ path: {relative:?}, bytes: include_bytes!({absolute:?}), executable: {executable} }},"
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_files.rs"), code).expect("OUT_DIR is writable");
}

/// Every regular file under `dir` as (path relative to `root` with `/`, absolute path,
/// executable). Links and names starting with `.` are left out, as a checkout's stray files.
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, String, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(root, &path, files);
        } else if kind.is_file() {
            let relative = path
                .strip_prefix(root)
                .expect("walked from the root")
                .to_string_lossy()
                .into_owned();
            let executable = entry
                .metadata()
                .is_ok_and(|metadata| metadata.permissions().mode() & 0o100 != 0);
            files.push((relative, path.display().to_string(), executable));
        }
    }
}
