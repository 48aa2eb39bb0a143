//! Byte-reproducible zip files, for wheels and the zipped stdlib.
//!
//! Same inputs, same bytes: entries are written in sorted order (whatever order the caller
//! adds them in), every timestamp is `SOURCE_DATE_EPOCH` (clamped to 1980, zip's epoch), and
//! permissions are normalised to 0644 / 0755.

use std::collections::BTreeMap;
use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// One file to be written.
struct Entry {
    bytes: Vec<u8>,
    executable: bool,
}

/// Collects entries, then writes them sorted by name.
#[derive(Default)]
pub struct DeterministicZip {
    entries: BTreeMap<String, Entry>,
    /// Names that must come last, in this order (a wheel's `.dist-info` files, RECORD last).
    trailing: Vec<String>,
}

impl DeterministicZip {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file. `name` uses `/` separators and no leading slash.
    pub fn add(&mut self, name: impl Into<String>, bytes: Vec<u8>, executable: bool) {
        self.entries
            .insert(name.into(), Entry { bytes, executable });
    }

    /// Marks `name` to be written after every other entry (in the order marked).
    pub fn put_last(&mut self, name: impl Into<String>) {
        self.trailing.push(name.into());
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries.get(name).map(|entry| entry.bytes.as_slice())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the archive with `method` (deflate or stored) and every mtime at `epoch`.
    pub fn write<W: Write + Seek>(
        &self,
        writer: W,
        epoch: u64,
        method: CompressionMethod,
    ) -> zip::result::ZipResult<W> {
        let time = zip_time(epoch);
        let mut zip = ZipWriter::new(writer);
        let ordered = self
            .entries
            .keys()
            .filter(|name| !self.trailing.contains(name))
            .chain(
                self.trailing
                    .iter()
                    .filter(|name| self.entries.contains_key(*name)),
            );
        for name in ordered {
            let entry = &self.entries[name];
            let options = SimpleFileOptions::default()
                .compression_method(method)
                .last_modified_time(time)
                .unix_permissions(if entry.executable { 0o755 } else { 0o644 });
            zip.start_file(name.as_str(), options)?;
            zip.write_all(&entry.bytes)?;
        }
        zip.finish()
    }
}

/// `epoch` (seconds since 1970, UTC) as a zip timestamp, clamped to 1980–2107.
fn zip_time(epoch: u64) -> DateTime {
    const DAY: u64 = 86_400;
    let days = epoch / DAY;
    let seconds = epoch % DAY;
    // Civil-from-days (Howard Hinnant's algorithm), valid for all dates after 1970.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    if year < 1980 {
        return DateTime::default();
    }
    let year = year.min(2107) as u16;
    DateTime::from_date_and_time(
        year,
        month,
        day,
        (seconds / 3600) as u8,
        (seconds % 3600 / 60) as u8,
        (seconds % 60) as u8,
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn same_entries_in_any_order_give_the_same_bytes() {
        let mut a = DeterministicZip::new();
        a.add("b.py", b"b".to_vec(), false);
        a.add("a.py", b"a".to_vec(), true);
        let mut b = DeterministicZip::new();
        b.add("a.py", b"a".to_vec(), true);
        b.add("b.py", b"b".to_vec(), false);
        let bytes = |zip: &DeterministicZip| {
            zip.write(
                Cursor::new(Vec::new()),
                1_700_000_000,
                CompressionMethod::Deflated,
            )
            .unwrap()
            .into_inner()
        };
        assert_eq!(bytes(&a), bytes(&b));
        let archive = zip::ZipArchive::new(Cursor::new(bytes(&a))).unwrap();
        assert_eq!(archive.file_names().collect::<Vec<_>>().len(), 2);
    }

    #[test]
    fn trailing_entries_come_last() {
        let mut zip = DeterministicZip::new();
        zip.add("z.py", vec![], false);
        zip.add("pkg-1.dist-info/RECORD", vec![], false);
        zip.add("pkg-1.dist-info/METADATA", vec![], false);
        zip.put_last("pkg-1.dist-info/METADATA");
        zip.put_last("pkg-1.dist-info/RECORD");
        let bytes = zip
            .write(Cursor::new(Vec::new()), 0, CompressionMethod::Stored)
            .unwrap()
            .into_inner();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            ["z.py", "pkg-1.dist-info/METADATA", "pkg-1.dist-info/RECORD"]
        );
    }

    #[test]
    fn converts_epoch_to_civil_time() {
        let time = zip_time(1_700_000_000); // 2023-11-14 22:13:20 UTC
        assert_eq!(
            (
                time.year(),
                time.month(),
                time.day(),
                time.hour(),
                time.minute()
            ),
            (2023, 11, 14, 22, 13)
        );
        assert_eq!(zip_time(0), DateTime::default());
    }
}
