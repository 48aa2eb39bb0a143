//! The cache key of a recipe build.
//!
//! It hashes, as named fields in a fixed order (see [`crate::hash::KeyHasher`]):
//! - `kiln-build`: [`BUILD_LOGIC_VERSION`], bumped whenever kiln changes how it builds, so
//!   old artifacts are not reused with new logic;
//! - `recipe`: the bytes of `recipe.toml` (any edit, even a comment, rebuilds: simple and safe);
//! - `source`: the sha256 of the source archive, or the content hash of an in-tree folder;
//! - `patch` / `extra`: each file's path (relative to the recipe) and bytes, in recipe order;
//! - `toolchain`: the toolchain id (the hash of the installed package versions);
//! - `abi`: the bytes of the platform file, the flags every object is compiled with;
//! - `dependency`: each host dependency's own key, sorted by name, so a change anywhere
//!   below rebuilds exactly the recipes above it.

use std::path::Path;

use crate::hash::{KeyHasher, Sha256};

/// Bump when a change to kiln alters build outputs.
pub const BUILD_LOGIC_VERSION: &str = "1";

/// Everything that decides a build's output.
pub struct KeyInputs<'a> {
    pub recipe_text: &'a [u8],
    pub source: Sha256,
    /// (path relative to the recipe folder, contents)
    pub patches: Vec<(String, Vec<u8>)>,
    pub extras: Vec<(String, Vec<u8>)>,
    pub toolchain_id: Sha256,
    pub abi_text: &'a [u8],
    /// (dependency name, its key)
    pub dependencies: Vec<(String, Sha256)>,
}

impl KeyInputs<'_> {
    pub fn key(&self) -> Sha256 {
        let mut hasher = KeyHasher::new();
        hasher
            .field("kiln-build", BUILD_LOGIC_VERSION)
            .field("recipe", self.recipe_text)
            .field("source", self.source.as_bytes())
            .field("toolchain", self.toolchain_id.as_bytes())
            .field("abi", self.abi_text);
        for (path, bytes) in &self.patches {
            hasher.field("patch", path).field("patch-bytes", bytes);
        }
        for (path, bytes) in &self.extras {
            hasher.field("extra", path).field("extra-bytes", bytes);
        }
        let mut dependencies = self.dependencies.clone();
        dependencies.sort();
        for (name, key) in &dependencies {
            hasher
                .field("dependency", name)
                .field("dependency-key", key.as_bytes());
        }
        hasher.finish()
    }
}

/// A file's path relative to `base` (for stable keys across checkouts) and its bytes.
pub fn file_input(base: &Path, path: &Path) -> std::io::Result<(String, Vec<u8>)> {
    let relative = path
        .strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    Ok((relative, fs_err::read(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> KeyInputs<'static> {
        KeyInputs {
            recipe_text: b"[package]",
            source: Sha256::of_bytes(b"src"),
            patches: vec![("p.patch".into(), b"diff".to_vec())],
            extras: vec![],
            toolchain_id: Sha256::of_bytes(b"tc"),
            abi_text: b"abi",
            dependencies: vec![
                ("b".into(), Sha256::of_bytes(b"b")),
                ("a".into(), Sha256::of_bytes(b"a")),
            ],
        }
    }

    #[test]
    fn every_input_changes_the_key() {
        let base = inputs().key();
        assert_eq!(base, inputs().key(), "stable");
        let mut changed = inputs();
        changed.recipe_text = b"[package] ";
        assert_ne!(changed.key(), base);
        let mut changed = inputs();
        changed.patches[0].1 = b"diff2".to_vec();
        assert_ne!(changed.key(), base);
        let mut changed = inputs();
        changed.toolchain_id = Sha256::of_bytes(b"tc2");
        assert_ne!(changed.key(), base);
        let mut changed = inputs();
        changed.dependencies[0].1 = Sha256::of_bytes(b"b2");
        assert_ne!(changed.key(), base);
        let mut reordered = inputs();
        reordered.dependencies.reverse();
        assert_eq!(reordered.key(), base, "dependency order does not matter");
    }
}
