//! Test wheels, well-formed and malicious, built in memory: a zip writer that writes exactly
//! what it is told (any name, a lying size or checksum, a symlink mode, duplicates), and a
//! wheel builder over it that writes `METADATA`, `WHEEL` and a correct `RECORD`.
//!
//! Shared by the unit tests (`src/dist/wheel/tests.rs`) and the end-to-end tests
//! (`tests/it/dist.rs`) through `#[path]`, so no binary fixture is committed.

#![allow(dead_code)]

use std::io::Write;

use base64::Engine;
use sha2::Digest;

/// One member, written as given.
#[derive(Clone)]
pub struct RawEntry {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub deflate: bool,
    /// The uncompressed size the headers declare (default: the real one).
    pub declared_size: Option<u32>,
    /// The CRC-32 the headers declare (default: the real one).
    pub crc: Option<u32>,
    /// Unix mode, in the high half of the external attributes.
    pub mode: u32,
    /// Deflated bytes to write instead of compressing `data` (a bomb's payload).
    pub raw_payload: Option<Vec<u8>>,
}

impl RawEntry {
    pub fn new(name: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> Self {
        Self {
            name: name.as_ref().to_vec(),
            data: data.as_ref().to_vec(),
            deflate: true,
            declared_size: None,
            crc: None,
            mode: 0o100644,
            raw_payload: None,
        }
    }
}

/// A zip archive, member by member.
#[derive(Clone, Default)]
pub struct RawZip {
    pub entries: Vec<RawEntry>,
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

impl RawZip {
    pub fn push(&mut self, entry: RawEntry) -> &mut Self {
        self.entries.push(entry);
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for entry in &self.entries {
            let payload = match (&entry.raw_payload, entry.deflate) {
                (Some(payload), _) => payload.clone(),
                (None, true) => deflate(&entry.data),
                (None, false) => entry.data.clone(),
            };
            let crc = entry.crc.unwrap_or_else(|| crc32(&entry.data));
            let size = entry.declared_size.unwrap_or(entry.data.len() as u32);
            let method: u16 = if entry.deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            let header = |out: &mut Vec<u8>, central: bool| {
                out.extend_from_slice(if central {
                    &[0x50, 0x4b, 0x01, 0x02]
                } else {
                    &[0x50, 0x4b, 0x03, 0x04]
                });
                if central {
                    out.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
                }
                out.extend_from_slice(&20u16.to_le_bytes());
                out.extend_from_slice(&0x0800u16.to_le_bytes());
                out.extend_from_slice(&method.to_le_bytes());
                out.extend_from_slice(&0u16.to_le_bytes());
                out.extend_from_slice(&0x21u16.to_le_bytes());
                out.extend_from_slice(&crc.to_le_bytes());
                out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
                out.extend_from_slice(&0u16.to_le_bytes());
                if central {
                    out.extend_from_slice(&0u16.to_le_bytes());
                    out.extend_from_slice(&0u16.to_le_bytes());
                    out.extend_from_slice(&0u16.to_le_bytes());
                    out.extend_from_slice(&(entry.mode << 16).to_le_bytes());
                    out.extend_from_slice(&offset.to_le_bytes());
                }
                out.extend_from_slice(&entry.name);
            };
            header(&mut out, false);
            out.extend_from_slice(&payload);
            header(&mut central, true);
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        let count = self.entries.len();
        // More members than the classic record counts (65,535): a zip64 end record and its
        // locator carry the count, and the classic one says 0xFFFF.
        if count > 0xFFFE {
            let record_offset = out.len() as u64;
            out.extend_from_slice(&[0x50, 0x4b, 0x06, 0x06]);
            out.extend_from_slice(&44u64.to_le_bytes());
            out.extend_from_slice(&((3u16 << 8) | 45).to_le_bytes());
            out.extend_from_slice(&45u16.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(count as u64).to_le_bytes());
            out.extend_from_slice(&(count as u64).to_le_bytes());
            out.extend_from_slice(&(central.len() as u64).to_le_bytes());
            out.extend_from_slice(&u64::from(central_offset).to_le_bytes());
            out.extend_from_slice(&[0x50, 0x4b, 0x06, 0x07]);
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&record_offset.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        let count = count.min(0xFFFF) as u16;
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }
}

/// A wheel: its members, then `METADATA`, `WHEEL` and `RECORD` in `{name}-{version}.dist-info`.
#[derive(Clone)]
pub struct TestWheel {
    pub name: String,
    pub version: String,
    pub tag: String,
    pub files: Vec<(String, Vec<u8>)>,
    pub metadata: String,
    pub wheel: String,
    /// Members added after `RECORD` was computed (so it does not list them).
    pub unrecorded: Vec<RawEntry>,
    /// Replaces the computed `RECORD` text.
    pub record: Option<String>,
}

/// `RECORD`'s urlsafe base64 sha256 (no padding) of `data`.
pub fn record_hash(data: &[u8]) -> String {
    let digest = sha2::Sha256::digest(data);
    format!(
        "sha256={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
pub fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

impl TestWheel {
    pub fn new(name: &str, version: &str) -> Self {
        let module = name.replace('-', "_").to_lowercase();
        Self {
            name: name.to_string(),
            version: version.to_string(),
            tag: "py3-none-any".to_string(),
            files: vec![(format!("{module}/__init__.py"), b"x = 1\n".to_vec())],
            metadata: format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
            wheel: "Wheel-Version: 1.0\nGenerator: kiln-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_string(),
            unrecorded: Vec::new(),
            record: None,
        }
    }

    pub fn file(mut self, name: &str, data: impl AsRef<[u8]>) -> Self {
        self.files.push((name.to_string(), data.as_ref().to_vec()));
        self
    }

    pub fn requires(mut self, requirement: &str) -> Self {
        self.metadata
            .push_str(&format!("Requires-Dist: {requirement}\n"));
        self
    }

    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = tag.to_string();
        self
    }

    pub fn dist_info(&self) -> String {
        format!(
            "{}-{}.dist-info",
            self.name.replace('-', "_").to_lowercase(),
            self.version
        )
    }

    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.whl",
            self.name.replace('-', "_").to_lowercase(),
            self.version,
            self.tag
        )
    }

    /// Every member with its bytes, `RECORD` last.
    pub fn members(&self) -> Vec<(String, Vec<u8>)> {
        let dist_info = self.dist_info();
        let mut members = self.files.clone();
        members.push((
            format!("{dist_info}/METADATA"),
            self.metadata.clone().into_bytes(),
        ));
        members.push((
            format!("{dist_info}/WHEEL"),
            self.wheel.clone().into_bytes(),
        ));
        let record = self.record.clone().unwrap_or_else(|| {
            let mut record = String::new();
            for (name, data) in &members {
                record.push_str(&format!(
                    "{},{},{}\n",
                    csv_field(name),
                    record_hash(data),
                    data.len()
                ));
            }
            record.push_str(&format!("{dist_info}/RECORD,,\n"));
            record
        });
        members.push((format!("{dist_info}/RECORD"), record.into_bytes()));
        members
    }

    pub fn zip(&self) -> RawZip {
        let mut zip = RawZip::default();
        for (name, data) in self.members() {
            zip.push(RawEntry::new(name, data));
        }
        for entry in &self.unrecorded {
            zip.push(entry.clone());
        }
        zip
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.zip().bytes()
    }

    /// Writes the wheel into `dir` under its file name; returns the path.
    pub fn write_to(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join(self.file_name());
        std::fs::write(&path, self.bytes()).unwrap();
        path
    }
}
