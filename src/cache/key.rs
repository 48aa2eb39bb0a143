//! The cache key of a recipe build.
//!
//! It hashes, as named fields in a fixed order (see [`crate::hash::KeyHasher`]):
//! - `logic`: one digest per part of kiln's build logic the recipe's kind runs (the script and
//!   environment code for every build, the compiler wrapper for shared libraries and packages,
//!   the PEP 517 script, cross environment and wheel repair for packages), each the hash of
//!   that part's source computed by `build.rs` at compile time ([`BuildLogic`]): editing the
//!   wrapper rebuilds what goes through the wrapper, and nobody bumps a constant;
//! - `generated`: the text kiln generates for this build that is known before it runs: the
//!   environment contract of `build.sh` and, for wrapped kinds, the compiler wrapper's
//!   environment, with the cache folder written as `$KILN_CACHE_DIR` (so two cache folders
//!   share keys) and without `KILN_JOBS` (parallelism does not change outputs);
//! - `recipe`: the bytes of `recipe.toml` (any edit, even a comment, rebuilds: simple and safe);
//! - `source`: the sha256 of the source archive, or the content hash of an in-tree folder;
//! - `patch` / `extra`: each file's path (relative to the recipe) and bytes, in recipe order;
//! - `toolchain`: the toolchain id (the hash of `toolchain.lock`, every package version in the
//!   root);
//! - `platform`: the bytes of the platform file (flags, tags, the root's pin);
//! - `dependency`: each host dependency's own key, sorted by name, so a change anywhere
//!   below rebuilds exactly the recipes above it.
//!
//! What is generated later from these (the package script's body, which reads the source's
//! `pyproject.toml`; the cross file, which reads the runtime's sysconfig) is a function of the
//! source, the dependencies' keys and the logic digests, so it is covered without being
//! rendered here. The exact versions of a package's build requirements are resolved on its
//! first build and kept in the cache by what was asked for (see `build::requirements`).

use std::path::Path;

use crate::hash::{KeyHasher, Sha256};

/// Digests of kiln's own build logic, one per part, from `build.rs` (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildLogic {
    /// Every build: work folder, script rendering and environment, host merge, store,
    /// extraction, patching, how commands run in the root.
    pub common: &'static str,
    /// The compiler wrapper (`src/build/wrapper/`).
    pub wrapper: &'static str,
    /// Packages: PEP 517 script, build requirements, cross environment, Rust, wheel repair.
    pub package: &'static str,
}

impl BuildLogic {
    /// The logic compiled into this kiln.
    pub const COMPILED: BuildLogic = BuildLogic {
        common: env!("KILN_LOGIC_COMMON"),
        wrapper: env!("KILN_LOGIC_WRAPPER"),
        package: env!("KILN_LOGIC_PACKAGE"),
    };

    /// The parts a build runs: `common` always, then `wrapper` and `package` when asked.
    pub fn parts(&self, wrapper: bool, package: bool) -> Vec<(&'static str, &'static str)> {
        let mut parts = vec![("common", self.common)];
        if wrapper {
            parts.push(("wrapper", self.wrapper));
        }
        if package {
            parts.push(("package", self.package));
        }
        parts
    }
}

/// Everything that decides a build's output.
pub struct KeyInputs<'a> {
    /// (part name, digest) of the build logic this kind of build runs.
    pub logic: Vec<(&'static str, &'static str)>,
    /// The generated environment text (see the module docs).
    pub generated: String,
    pub recipe_text: &'a [u8],
    pub source: Sha256,
    /// (path relative to the recipe folder, contents)
    pub patches: Vec<(String, Vec<u8>)>,
    pub extras: Vec<(String, Vec<u8>)>,
    pub toolchain_id: Sha256,
    pub platform_text: &'a [u8],
    /// (dependency name, its key)
    pub dependencies: Vec<(String, Sha256)>,
}

impl KeyInputs<'_> {
    pub fn key(&self) -> Sha256 {
        let mut hasher = KeyHasher::new();
        for (part, digest) in &self.logic {
            hasher.field("logic", part).field("logic-digest", digest);
        }
        hasher
            .field("generated", &self.generated)
            .field("recipe", self.recipe_text)
            .field("source", self.source.as_bytes())
            .field("toolchain", self.toolchain_id.as_bytes())
            .field("platform", self.platform_text);
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
            logic: BuildLogic::COMPILED.parts(true, false),
            generated: "export CFLAGS=-O2".into(),
            recipe_text: b"[package]",
            source: Sha256::of_bytes(b"src"),
            patches: vec![("p.patch".into(), b"diff".to_vec())],
            extras: vec![],
            toolchain_id: Sha256::of_bytes(b"tc"),
            platform_text: b"platform",
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
        changed.generated.push(' ');
        assert_ne!(changed.key(), base);
        let mut changed = inputs();
        changed.logic = BuildLogic::COMPILED.parts(true, true);
        assert_ne!(changed.key(), base);
        let mut changed = inputs();
        changed.platform_text = b"platform2";
        assert_ne!(changed.key(), base);
        let mut changed = inputs();
        changed.dependencies[0].1 = Sha256::of_bytes(b"b2");
        assert_ne!(changed.key(), base);
        let mut reordered = inputs();
        reordered.dependencies.reverse();
        assert_eq!(reordered.key(), base, "dependency order does not matter");
    }
}
