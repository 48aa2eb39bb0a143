//! Precompressed copies of a distribution's large files: `python.wasm.br` and
//! `python.wasm.gz` beside `python.wasm`, so a static server (or a CDN that serves files as
//! they are) can answer `Accept-Encoding: br` or `gzip` with the smallest bytes and no work
//! per request; `kiln serve` does (see [`crate::serve`]).
//!
//! Both are deterministic, as everything in `dist/` is: gzip's header gets no file name and
//! a zero mtime, brotli has neither. The crates: `flate2` (already kiln's zip and tar
//! deflater; its default Rust backend, miniz_oxide) and `brotli`, Dropbox's pure-Rust port
//! of Google's encoder, bit-compatible with it, no C toolchain needed, maintained since 2016.
//! Quality is the maximum for both (gzip 9, brotli 11 with a 16 MB window): files are
//! compressed once and downloaded many times.
//!
//! A copy is written only when it saves at least [`MIN_SAVING`] (wheels and the deflated
//! zips gain nothing), and stale copies of files that no longer exist are removed.
//!
//! Brotli at quality 11 costs about a second per megabyte, and every install compresses the
//! same runtime and wheels again (each test distribution, each `--install`). A [`Memo`] in
//! kiln's cache (`precompress-v0/`) keeps what was made, by the content's sha256: the
//! compressed bytes when they were worth a copy, else only their length. Compression is a
//! function of the bytes, so a memo hit gives what compressing again would.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Files smaller than this are not worth a copy (a few hundred bytes of headers either way).
pub const MIN_SIZE: u64 = 4096;

/// A copy must be at least this much smaller than the file (5 %).
pub const MIN_SAVING: f64 = 0.05;

/// The two encodings kiln writes, by file suffix and `Content-Encoding` name.
pub const ENCODINGS: &[(&str, &str)] = &[(".br", "br"), (".gz", "gzip")];

/// gzip -9 with no name and mtime 0.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// brotli at quality 11 with a 16 MB window (`lgwin` 24).
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out
}

/// Compressions already made, by content (see the module docs); `Memo::none()` keeps nothing.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    dir: Option<PathBuf>,
}

/// What one encoding of some bytes gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoded {
    /// Worth a copy: the compressed bytes.
    Copy(Vec<u8>),
    /// Not worth one (or too small to try): the compressed length, or `None` if not tried.
    Skipped(Option<u64>),
}

/// The cache bucket of the memo, under kiln's cache folder.
pub const MEMO_BUCKET: &str = "precompress-v0";

impl Memo {
    /// A memo in `cache_dir`'s [`MEMO_BUCKET`].
    pub fn in_cache(cache_dir: &Path) -> Self {
        Memo {
            dir: Some(cache_dir.join(MEMO_BUCKET)),
        }
    }

    /// No memo: everything is compressed when asked.
    pub fn none() -> Self {
        Memo { dir: None }
    }

    /// `bytes` in the encoding of `suffix` (".br" or ".gz"), from the memo or made now and
    /// remembered. A memo entry that cannot be read is made again.
    pub fn encode(&self, bytes: &[u8], suffix: &str) -> std::io::Result<Encoded> {
        let size = bytes.len() as u64;
        if size < MIN_SIZE {
            return Ok(Encoded::Skipped(None));
        }
        let Some(dir) = &self.dir else {
            return Ok(decide(size, compress(bytes, suffix)));
        };
        let digest = crate::hash::Sha256::of_bytes(bytes);
        let copy = dir.join(format!("{digest}{suffix}"));
        let length = dir.join(format!("{digest}{suffix}.len"));
        if let Ok(out) = fs_err::read(&copy) {
            return Ok(Encoded::Copy(out));
        }
        if let Some(n) = fs_err::read_to_string(&length)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return Ok(Encoded::Skipped(Some(n)));
        }
        let encoded = decide(size, compress(bytes, suffix));
        fs_err::create_dir_all(dir)?;
        match &encoded {
            Encoded::Copy(out) => crate::fs::write_atomic(&copy, out)?,
            Encoded::Skipped(Some(n)) => {
                crate::fs::write_atomic(&length, n.to_string().as_bytes())?
            }
            Encoded::Skipped(None) => {}
        }
        Ok(encoded)
    }

    /// The length of `bytes` in the encoding of `suffix` (small inputs compressed on the spot).
    pub fn encoded_len(&self, bytes: &[u8], suffix: &str) -> std::io::Result<u64> {
        Ok(match self.encode(bytes, suffix)? {
            Encoded::Copy(out) => out.len() as u64,
            Encoded::Skipped(Some(length)) => length,
            Encoded::Skipped(None) => compress(bytes, suffix).len() as u64,
        })
    }
}

fn compress(bytes: &[u8], suffix: &str) -> Vec<u8> {
    if suffix == ".br" {
        brotli(bytes)
    } else {
        gzip(bytes)
    }
}

/// A copy if `out` saves at least [`MIN_SAVING`] of `size`.
fn decide(size: u64, out: Vec<u8>) -> Encoded {
    if (out.len() as f64) <= size as f64 * (1.0 - MIN_SAVING) {
        Encoded::Copy(out)
    } else {
        Encoded::Skipped(Some(out.len() as u64))
    }
}

/// What [`precompress_dir`] did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    pub file: String,
    pub size: u64,
    pub gzip: Option<u64>,
    pub brotli: Option<u64>,
}

/// Whether `name` is a copy kiln writes (`x.br`, `x.gz`) rather than a file of its own.
pub fn is_copy(name: &str) -> bool {
    ENCODINGS.iter().any(|(suffix, _)| name.ends_with(suffix))
}

/// Writes `.br` and `.gz` beside every file of `dir` (not recursing) that is large enough and
/// compresses well enough; removes copies whose file is gone or no longer worth one.
/// Files are compressed in parallel (rayon's pool would be overkill: one thread per file,
/// at most as many as cores).
pub fn precompress_dir(dir: &Path, memo: &Memo) -> std::io::Result<Vec<Compressed>> {
    let mut files = Vec::new();
    let mut copies = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type()?.is_file() || name.starts_with('.') {
            continue;
        }
        if is_copy(&name) {
            copies.push(name);
        } else {
            files.push(name);
        }
    }
    files.sort();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let queue = std::sync::Mutex::new(files.iter());
    let results = std::sync::Mutex::new(Vec::new());
    let first_error: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                loop {
                    let Some(name) = queue.lock().expect("not poisoned").next() else {
                        break;
                    };
                    match compress_one(dir, name, memo) {
                        Ok(done) => results.lock().expect("not poisoned").push(done),
                        Err(error) => {
                            first_error
                                .lock()
                                .expect("not poisoned")
                                .get_or_insert(error);
                        }
                    }
                }
            });
        }
    });
    if let Some(error) = first_error.into_inner().expect("not poisoned") {
        return Err(error);
    }
    let mut results = results.into_inner().expect("not poisoned");
    results.sort_by(|a, b| a.file.cmp(&b.file));
    // Copies of files that are gone.
    for copy in copies {
        let original = ENCODINGS
            .iter()
            .find_map(|(suffix, _)| copy.strip_suffix(suffix))
            .expect("a copy has a suffix");
        if !files.iter().any(|file| file == original) {
            fs_err::remove_file(dir.join(&copy))?;
        }
    }
    Ok(results)
}

fn compress_one(dir: &Path, name: &str, memo: &Memo) -> std::io::Result<Compressed> {
    let path = dir.join(name);
    let bytes = fs_err::read(&path)?;
    let mut done = Compressed {
        file: name.to_string(),
        size: bytes.len() as u64,
        gzip: None,
        brotli: None,
    };
    for (suffix, _) in ENCODINGS {
        let copy: PathBuf = dir.join(format!("{name}{suffix}"));
        match memo.encode(&bytes, suffix)? {
            Encoded::Copy(out) => {
                // Unchanged copies are left alone (no new mtime for the server's caches).
                if fs_err::read(&copy).ok().as_deref() != Some(out.as_slice()) {
                    crate::fs::write_atomic(&copy, &out)?;
                }
                let length = Some(out.len() as u64);
                if *suffix == ".br" {
                    done.brotli = length;
                } else {
                    done.gzip = length;
                }
            }
            Encoded::Skipped(_) => {
                if copy.exists() {
                    fs_err::remove_file(&copy)?;
                }
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// `len` pseudo-random bytes (xorshift from `seed`): they do not compress.
    fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn copies_are_deterministic_and_decompress_to_the_file() {
        let text = "def f():\n    return 1\n".repeat(2000);
        let gz = gzip(text.as_bytes());
        assert_eq!(gz, gzip(text.as_bytes()));
        // No name, mtime 0: bytes 4..8 of the header.
        assert_eq!(&gz[4..8], &[0, 0, 0, 0]);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        let br = brotli(text.as_bytes());
        assert_eq!(br, brotli(text.as_bytes()));
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, text.as_bytes());
    }

    #[test]
    fn writes_copies_only_where_they_pay_and_removes_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let text = "import os\n".repeat(1000);
        fs_err::write(dir.path().join("python.mjs"), &text).unwrap();
        fs_err::write(dir.path().join("small.json"), "{}").unwrap();
        // Bytes that do not compress, as a wheel's deflated members.
        let noise = noise(20_000, 0x2545_f491_4f6c_dd1d);
        fs_err::write(dir.path().join("x.whl"), &noise).unwrap();
        fs_err::write(dir.path().join("gone.zip.br"), "old").unwrap();
        let done = precompress_dir(dir.path(), &Memo::none()).unwrap();
        let mjs = done.iter().find(|c| c.file == "python.mjs").unwrap();
        assert!(mjs.brotli.unwrap() < mjs.gzip.unwrap());
        let mut names: Vec<String> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "python.mjs",
                "python.mjs.br",
                "python.mjs.gz",
                "small.json",
                "x.whl"
            ]
        );
    }

    #[test]
    fn the_memo_gives_what_compressing_gives_and_keeps_only_lengths_of_what_does_not_pay() {
        let cache = tempfile::tempdir().unwrap();
        let memo = Memo::in_cache(cache.path());
        let text = "import sys\n".repeat(1000);
        let made = memo.encode(text.as_bytes(), ".br").unwrap();
        assert_eq!(made, Encoded::Copy(brotli(text.as_bytes())));
        // Made once: a second call reads the memo (a planted entry shows it was read).
        let digest = crate::hash::Sha256::of_bytes(text.as_bytes());
        let entry = cache.path().join(MEMO_BUCKET).join(format!("{digest}.br"));
        assert!(entry.is_file());
        fs_err::write(&entry, b"planted").unwrap();
        assert_eq!(
            memo.encode(text.as_bytes(), ".br").unwrap(),
            Encoded::Copy(b"planted".to_vec())
        );
        // Bytes that do not compress: only the length is kept, and it is the real one.
        let noise = noise(10_000, 0x9e37_79b9_7f4a_7c15);
        let skipped = memo.encode(&noise, ".gz").unwrap();
        assert_eq!(skipped, Encoded::Skipped(Some(gzip(&noise).len() as u64)));
        let digest = crate::hash::Sha256::of_bytes(&noise);
        let bucket = cache.path().join(MEMO_BUCKET);
        assert!(!bucket.join(format!("{digest}.gz")).exists());
        assert!(bucket.join(format!("{digest}.gz.len")).is_file());
        assert_eq!(memo.encode(&noise, ".gz").unwrap(), skipped);
        assert_eq!(
            memo.encoded_len(&noise, ".gz").unwrap(),
            gzip(&noise).len() as u64
        );
        // Small inputs are not tried, and nothing is kept for them.
        assert_eq!(memo.encode(b"{}", ".br").unwrap(), Encoded::Skipped(None));
        assert_eq!(
            Memo::none().encode(text.as_bytes(), ".gz").unwrap(),
            Encoded::Copy(gzip(text.as_bytes()))
        );
    }
}
