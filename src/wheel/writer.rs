//! Writing a wheel: files in, one byte-reproducible `.whl` out, with a fresh `RECORD`.
//!
//! Order is fixed: every file sorted by name, then the `.dist-info` files sorted, `RECORD` last
//! (installers read the metadata at the end; streaming readers find `RECORD` after everything
//! it lists). Timestamps are `SOURCE_DATE_EPOCH`, modes 0644 or 0755 ([`DeterministicZip`]).
//! `RECORD` lists every file as `path,sha256=<urlsafe base64, no padding>,size` and itself as
//! `path,,`. The archive is built in memory and renamed into place, never left half-written.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zip::CompressionMethod;

use super::WheelError;
use crate::zipfile::DeterministicZip;

/// One file of a wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelEntry {
    pub bytes: Vec<u8>,
    /// Written as 0755 (scripts); everything else is 0644.
    pub executable: bool,
}

/// A wheel's files by archive path, and the name of its `.dist-info` folder.
#[derive(Debug, Clone, Default)]
pub struct WheelContents {
    pub files: BTreeMap<String, WheelEntry>,
    /// `{name}-{version}.dist-info`, without a trailing slash.
    pub dist_info: String,
}

impl WheelContents {
    pub fn record_path(&self) -> String {
        format!("{}/RECORD", self.dist_info)
    }

    /// The archive's bytes. Any `RECORD` in `files` is replaced by a fresh one.
    pub fn to_bytes(&self, source_date_epoch: u64) -> zip::result::ZipResult<Vec<u8>> {
        let record_path = self.record_path();
        let prefix = format!("{}/", self.dist_info);
        let mut zip = DeterministicZip::new();
        let (metadata, payload): (Vec<_>, Vec<_>) = self
            .files
            .iter()
            .filter(|(path, _)| **path != record_path)
            .partition(|(path, _)| path.starts_with(&prefix));
        let mut record = String::new();
        for (path, entry) in payload.iter().chain(&metadata) {
            record.push_str(&record_line(path, &entry.bytes));
            zip.add(path.as_str(), entry.bytes.clone(), entry.executable);
        }
        for (path, _) in &metadata {
            zip.put_last(path.as_str());
        }
        record.push_str(&csv_field(&record_path));
        record.push_str(",,\n");
        zip.add(record_path.as_str(), record.into_bytes(), false);
        zip.put_last(record_path.as_str());
        Ok(zip
            .write(
                Cursor::new(Vec::new()),
                source_date_epoch,
                CompressionMethod::Deflated,
            )?
            .into_inner())
    }

    /// Writes the archive to `path` atomically.
    pub fn write(&self, path: &Path, source_date_epoch: u64) -> Result<(), WheelError> {
        let bytes = self
            .to_bytes(source_date_epoch)
            .map_err(|source| WheelError::Zip {
                wheel: path.to_path_buf(),
                source,
            })?;
        crate::fs::write_atomic(path, &bytes).map_err(|source| WheelError::Write {
            wheel: path.to_path_buf(),
            source,
        })
    }
}

/// `sha256=<urlsafe base64 without padding>`, the form `RECORD` uses.
pub fn record_hash(bytes: &[u8]) -> String {
    let digest = crate::hash::Sha256::of_bytes(bytes);
    format!("sha256={}", URL_SAFE_NO_PAD.encode(digest.as_bytes()))
}

fn record_line(path: &str, bytes: &[u8]) -> String {
    format!(
        "{},{},{}\n",
        csv_field(path),
        record_hash(bytes),
        bytes.len()
    )
}

/// A CSV field as Python's `csv` module writes it: quoted only when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(bytes: &[u8]) -> WheelEntry {
        WheelEntry {
            bytes: bytes.to_vec(),
            executable: false,
        }
    }

    #[test]
    fn hashes_like_pip() {
        // `hashlib.sha256(b"hello").digest()` in urlsafe base64 without padding.
        assert_eq!(
            record_hash(b"hello"),
            "sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"
        );
        assert_eq!(csv_field("a,b\"c"), "\"a,b\"\"c\"");
    }

    #[test]
    fn record_lists_everything_and_comes_last() {
        let mut contents = WheelContents {
            dist_info: "six-1.0.dist-info".to_string(),
            ..Default::default()
        };
        for (path, bytes) in [
            ("six.py", &b"x = 1\n"[..]),
            ("six-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
            ("six-1.0.dist-info/METADATA", b"Name: six\n"),
            ("six-1.0.dist-info/RECORD", b"stale"),
            ("zz.py", b""),
        ] {
            contents.files.insert(path.to_string(), entry(bytes));
        }
        let bytes = contents.to_bytes(1_700_000_000).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut ordered = Vec::new();
        for index in 0..archive.len() {
            ordered.push(archive.by_index(index).unwrap().name().unwrap().to_string());
        }
        assert_eq!(
            ordered,
            [
                "six.py",
                "zz.py",
                "six-1.0.dist-info/METADATA",
                "six-1.0.dist-info/WHEEL",
                "six-1.0.dist-info/RECORD"
            ]
        );
        let mut record = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("six-1.0.dist-info/RECORD").unwrap(),
            &mut record,
        )
        .unwrap();
        assert_eq!(
            record,
            format!(
                "six.py,{},6\nzz.py,{},0\nsix-1.0.dist-info/METADATA,{},10\n\
                 six-1.0.dist-info/WHEEL,{},19\nsix-1.0.dist-info/RECORD,,\n",
                record_hash(b"x = 1\n"),
                record_hash(b""),
                record_hash(b"Name: six\n"),
                record_hash(b"Wheel-Version: 1.0\n"),
            )
        );
    }
}
