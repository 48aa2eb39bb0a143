//! Step 6 for a library: its `$PREFIX` must hold a library. A `static_library` or
//! `shared_library` recipe whose install went elsewhere (the source tree, `/usr/local`)
//! otherwise "builds" into an empty cache entry, and the mistake shows up much later as
//! another recipe's missing header or an unresolved symbol.

use std::path::{Path, PathBuf};

use crate::recipe::BuildKind;

/// The libraries a finished `$PREFIX` holds: `lib/` (and `lib64/`), one level deep,
/// `*.a` (or a lone object, `*.o`) for a static library and `*.so` (or `*.so.N`) for either
/// kind.
pub(super) fn libraries(prefix: &Path, kind: BuildKind) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for folder in ["lib", "lib64"] {
        let Ok(entries) = fs_err::read_dir(prefix.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let shared = name.ends_with(".so") || name.contains(".so.");
            let wanted = match kind {
                BuildKind::StaticLibrary => name.ends_with(".a") || name.ends_with(".o") || shared,
                BuildKind::SharedLibrary => shared,
                _ => true,
            };
            if wanted && entry.path().is_file() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// What a library of `kind` should have installed, for the error message.
pub(super) fn expected(kind: BuildKind) -> &'static str {
    match kind {
        BuildKind::SharedLibrary => "`$PREFIX/lib/*.so`",
        _ => "`$PREFIX/lib/*.a` or `*.so`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_is_an_archive_or_a_side_module_in_lib() {
        let prefix = tempfile::tempdir().unwrap();
        let p = prefix.path();
        assert!(libraries(p, BuildKind::StaticLibrary).is_empty());
        fs_err::create_dir_all(p.join("include")).unwrap();
        fs_err::write(p.join("include/x.h"), "").unwrap();
        fs_err::create_dir_all(p.join("lib/pkgconfig")).unwrap();
        fs_err::write(p.join("lib/pkgconfig/x.pc"), "").unwrap();
        assert!(
            libraries(p, BuildKind::StaticLibrary).is_empty(),
            "headers are not a library"
        );
        fs_err::write(p.join("lib/libx.a"), "").unwrap();
        assert_eq!(
            libraries(p, BuildKind::StaticLibrary),
            [p.join("lib/libx.a")]
        );
        fs_err::write(p.join("lib/y.o"), "").unwrap();
        assert_eq!(
            libraries(p, BuildKind::StaticLibrary).len(),
            2,
            "an object links too"
        );
        assert!(
            libraries(p, BuildKind::SharedLibrary).is_empty(),
            "an archive is not a side module"
        );
        fs_err::write(p.join("lib/libx.so.1"), "").unwrap();
        assert_eq!(
            libraries(p, BuildKind::SharedLibrary),
            [p.join("lib/libx.so.1")]
        );
    }
}
