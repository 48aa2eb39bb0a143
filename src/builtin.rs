//! kiln's own recipes and platform files, carried inside the binary.
//!
//! `build.rs` embeds every file of the checkout's `recipes/` and `platforms/` at compile
//! time. [`unpack`] writes them once into the cache, under a hash of their content:
//!
//! ```text
//! <cache>/builtin-v0/<hash>/recipes/zlib/recipe.toml
//! <cache>/builtin-v0/<hash>/platforms/pyemscripten_2026_5.toml
//! ```
//!
//! Embedded rather than installed beside the binary: `cargo install` installs a binary and
//! nothing else, and a binary copied to another machine (a release, a CI cache) must still
//! find its recipes. The cache is the place because the toolchain root can see it (it is
//! mounted into every build) and it is already content-addressed; a new kiln with other
//! recipes unpacks beside the old one and never changes it. Cache keys do not depend on
//! where a recipe lies (`cache::key` hashes recipe text and files relative to the recipe
//! folder), so a recipe built from a checkout is a cache hit from the unpacked copy.
//!
//! This layer is the bottom one ([`crate::recipe::Layers`]): a project's own `recipes/` and
//! each `--recipe-dir` override it by name.

use std::path::{Path, PathBuf};

use crate::hash::{KeyHasher, Sha256};

/// One embedded file.
pub struct BuiltinFile {
    /// Relative to the checkout, with `/` (`recipes/zlib/recipe.toml`).
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Its owner-executable bit in the checkout (a helper script among a recipe's files).
    pub executable: bool,
}

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// The cache bucket built-in files are unpacked into.
pub const BUCKET: &str = "builtin-v0";

/// The hash of every embedded path, its bytes and its mode: the unpacked folder's name.
pub fn content_hash() -> Sha256 {
    let mut hasher = KeyHasher::new();
    for file in FILES {
        hasher
            .field("path", file.path)
            .field("bytes", file.bytes)
            .field("mode", if file.executable { "755" } else { "644" });
    }
    hasher.finish()
}

/// Where [`unpack`] puts the files for `cache_dir` (a pure function: nothing is written).
pub fn dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join(BUCKET).join(content_hash().to_string())
}

/// Writes the embedded files under [`dir`] unless they are already there, and returns it.
/// The folder is made under a temporary name and renamed into place, so a reader sees all
/// of it or nothing, and two kiln processes unpacking at once agree.
pub fn unpack(cache_dir: &Path) -> std::io::Result<PathBuf> {
    let target = dir(cache_dir);
    if target.is_dir() {
        return Ok(target);
    }
    let bucket = cache_dir.join(BUCKET);
    fs_err::create_dir_all(&bucket)?;
    let temporary = tempfile::Builder::new()
        .prefix(".unpack-")
        .tempdir_in(&bucket)?;
    for file in FILES {
        let path = temporary.path().join(file.path);
        fs_err::create_dir_all(path.parent().expect("a file path has a parent"))?;
        fs_err::write(&path, file.bytes)?;
        use std::os::unix::fs::PermissionsExt;
        let mode = if file.executable { 0o755 } else { 0o644 };
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    fs_err::create_dir_all(temporary.path().join("recipes"))?;
    crate::fs::rename_dir_into_place(&temporary.keep(), &target)?;
    Ok(target)
}

/// The built-in platform file named `name` (`pyemscripten_2026_5`), when kiln carries one.
pub fn has_platform(name: &str) -> bool {
    FILES
        .iter()
        .any(|file| file.path == format!("platforms/{name}.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_the_recipes_and_the_platform_file() {
        let paths: Vec<&str> = FILES.iter().map(|file| file.path).collect();
        for expected in [
            "recipes/cpython/recipe.toml",
            "recipes/zlib/recipe.toml",
            "recipes/cpython/patches/0001-asyncio-no-self-pipe-on-emscripten.patch",
            "platforms/pyemscripten_2026_5.toml",
        ] {
            assert!(paths.contains(&expected), "{expected} is not embedded");
        }
        assert!(has_platform("pyemscripten_2026_5"));
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted, "sorted, so the hash is stable");
    }

    #[test]
    fn unpacks_once_byte_for_byte_under_the_content_hash() {
        let cache = tempfile::tempdir().unwrap();
        let dir = unpack(cache.path()).unwrap();
        assert_eq!(dir, super::dir(cache.path()));
        for file in FILES {
            assert_eq!(fs_err::read(dir.join(file.path)).unwrap(), file.bytes);
        }
        // A second call finds it and writes nothing.
        let marker = dir.join("recipes/.seen");
        fs_err::write(&marker, "").unwrap();
        assert_eq!(unpack(cache.path()).unwrap(), dir);
        assert!(marker.exists());
        let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for file in FILES {
            assert_eq!(
                fs_err::read(project.join(file.path)).unwrap(),
                file.bytes,
                "{} is the checkout's",
                file.path
            );
        }
    }
}
