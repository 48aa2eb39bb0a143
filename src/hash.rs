//! SHA-256 digests: the one content identity kiln uses for sources, caches and wheels.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use sha2::{Digest, Sha256 as Hasher};

/// A SHA-256 digest, parsed once from 64 hex digits and printed back in lower case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

/// Why a string is not a SHA-256 digest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("expected 64 hexadecimal digits, found {found:?}")]
pub struct ParseSha256Error {
    pub found: String,
}

impl Sha256 {
    /// Digest of a byte slice.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(Hasher::digest(bytes).into())
    }

    /// Digest of everything a reader yields, streamed in 64 KiB blocks.
    pub fn of_reader(mut reader: impl Read) -> std::io::Result<Self> {
        let mut hasher = Hasher::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = reader.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        Ok(Self(hasher.finalize().into()))
    }

    /// Digest of a file's contents.
    pub fn of_file(path: &Path) -> std::io::Result<Self> {
        Self::of_reader(fs_err::File::open(path)?)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first `n` hex digits, for short ids shown to people and used in folder names.
    pub fn short(&self, n: usize) -> String {
        let mut text = self.to_string();
        text.truncate(n);
        text
    }
}

impl FromStr for Sha256 {
    type Err = ParseSha256Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseSha256Error {
            found: text.to_string(),
        };
        if text.len() != 64 {
            return Err(error());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| error())?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

/// Builds a stable hash over an explicit list of named fields.
///
/// Each field is written as `name`, its length and its bytes, so that `("ab","c")` and
/// `("a","bc")` never collide and adding a field changes every key. Never feed it
/// `std::hash::Hash` output: that is not stable across Rust versions.
#[derive(Default)]
pub struct KeyHasher(Hasher);

impl KeyHasher {
    pub fn new() -> Self {
        Self(Hasher::new())
    }

    pub fn field(&mut self, name: &str, value: impl AsRef<[u8]>) -> &mut Self {
        let value = value.as_ref();
        for part in [name.as_bytes(), value] {
            self.0.update((part.len() as u64).to_le_bytes());
            self.0.update(part);
        }
        self
    }

    pub fn finish(self) -> Sha256 {
        Sha256(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_hex() {
        let text = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640";
        let digest: Sha256 = text.parse().unwrap();
        assert_eq!(digest.to_string(), text);
        assert_eq!(digest.short(12), "93e583f24345");
    }

    #[test]
    fn rejects_bad_digests() {
        assert!("abc".parse::<Sha256>().is_err());
        let not_hex = "z".repeat(64);
        assert_eq!(
            not_hex.parse::<Sha256>(),
            Err(ParseSha256Error {
                found: not_hex.clone()
            })
        );
    }

    #[test]
    fn hashes_known_bytes() {
        assert_eq!(
            Sha256::of_bytes(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn key_fields_are_delimited() {
        let mut a = KeyHasher::new();
        a.field("x", "ab").field("y", "c");
        let mut b = KeyHasher::new();
        b.field("x", "a").field("y", "bc");
        assert_ne!(a.finish(), b.finish());
    }
}
