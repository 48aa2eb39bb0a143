//! The first stage of reading a recipe: `recipe.toml` as written, with spans.
//!
//! These structs mirror the TOML one to one. They reject unknown keys
//! (`deny_unknown_fields`) and values of the wrong TOML type, and nothing else: every field
//! that is checked later (names, hashes, paths, the one-source-kind rule, even whether a
//! required key is present) is kept as `Option<Spanned<T>>` so that `recipe/mod.rs` can
//! point its error at the key or value in the file. Nothing here leaves the `recipe`
//! module; later stages read the validated [`super::Recipe`].
//!
//! Adding a key here means documenting it in `docs/recipe-format.md`: a test in
//! `recipe/tests.rs` asks serde for every accepted key and fails when the page lacks one.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};
use toml::Spanned;

/// A whole `recipe.toml`. `[package]` and `[source]` are required, but are optional here
/// so that their absence is reported by validation, in kiln's words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRecipe {
    pub package: Option<Spanned<RawPackage>>,
    pub source: Option<Spanned<RawSource>>,
    #[serde(default)]
    pub build: RawBuild,
    #[serde(default)]
    pub requirements: RawRequirements,
    #[serde(default)]
    pub test: RawTest,
    #[serde(default)]
    pub about: RawAbout,
}

/// `[package]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawPackage {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    /// `None` (absent) differs from `[]`: absent means "derive from the name".
    pub top_level: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
}

/// `[source]`: the four source kinds are all optional here; validation demands exactly one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSource {
    pub url: Option<Spanned<String>>,
    pub pypi: Option<Spanned<String>>,
    pub debian: Option<Spanned<RawDebian>>,
    pub path: Option<Spanned<String>>,
    pub sha256: Option<Spanned<String>>,
    #[serde(default)]
    pub patches: Vec<Spanned<String>>,
    /// Each entry should be a `[from, to]` pair. A `Vec` rather than a tuple because serde's
    /// tuples silently ignore a third element; the length is checked in validation.
    #[serde(default)]
    pub extras: Vec<Spanned<Vec<Spanned<String>>>>,
}

/// `source.debian = { package = "…", version = "…" }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawDebian {
    pub package: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
}

/// `[build]`; every key has a default, so the table itself may be absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawBuild {
    /// A string rather than an enum so that a wrong value gets kiln's message with a
    /// "did you mean" instead of serde's "unknown variant".
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub script: Option<Spanned<String>>,
    /// Flags are lists, one flag per entry: a single string would need a shell-like split
    /// that no two tools agree on.
    pub cflags: Vec<Spanned<String>>,
    pub cxxflags: Vec<Spanned<String>>,
    pub ldflags: Vec<Spanned<String>>,
    pub backend_flags: Vec<Spanned<String>>,
    pub exports: Option<Spanned<RawExports>>,
    pub unvendor_tests: Option<bool>,
}

/// `build.exports`: one of the named policies, or an explicit list of symbols. The name is
/// checked in validation, again for a better message.
#[derive(Debug)]
pub(super) enum RawExports {
    Named(String),
    Symbols(Vec<Spanned<String>>),
}

/// Hand-written because `#[serde(untagged)]` reports any mismatch as "data did not match
/// any variant", which tells a recipe author nothing.
impl<'de> Deserialize<'de> for RawExports {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExportsVisitor;

        impl<'de> Visitor<'de> for ExportsVisitor {
            type Value = RawExports;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter
                    .write_str("`pyinit`, `requested`, `whole_archive` or a list of symbol names")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawExports, E> {
                Ok(RawExports::Named(value.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawExports, A::Error> {
                let mut symbols = Vec::new();
                while let Some(symbol) = seq.next_element::<Spanned<String>>()? {
                    symbols.push(symbol);
                }
                Ok(RawExports::Symbols(symbols))
            }
        }

        deserializer.deserialize_any(ExportsVisitor)
    }
}

/// `[requirements]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRequirements {
    pub host: Vec<Spanned<String>>,
    pub run: Vec<Spanned<String>>,
    pub build: Vec<Spanned<String>>,
}

/// `[test]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTest {
    pub imports: Vec<Spanned<String>>,
    pub script: Option<Spanned<String>>,
}

/// `[about]`: free text, not validated.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAbout {
    pub home: Option<String>,
    pub summary: Option<String>,
    pub license: Option<String>,
}
