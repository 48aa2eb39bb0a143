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
pub fn precompress_dir(dir: &Path) -> std::io::Result<Vec<Compressed>> {
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
                    match compress_one(dir, name) {
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

fn compress_one(dir: &Path, name: &str) -> std::io::Result<Compressed> {
    let path = dir.join(name);
    let bytes = fs_err::read(&path)?;
    let size = bytes.len() as u64;
    let mut done = Compressed {
        file: name.to_string(),
        size,
        gzip: None,
        brotli: None,
    };
    for (suffix, _) in ENCODINGS {
        let copy: PathBuf = dir.join(format!("{name}{suffix}"));
        let worth = size >= MIN_SIZE;
        let compressed = if worth {
            Some(if *suffix == ".br" {
                brotli(&bytes)
            } else {
                gzip(&bytes)
            })
        } else {
            None
        };
        match compressed {
            Some(out) if (out.len() as f64) <= size as f64 * (1.0 - MIN_SAVING) => {
                let length = out.len() as u64;
                // Unchanged copies are left alone (no new mtime for the server's caches).
                if fs_err::read(&copy).ok().as_deref() != Some(out.as_slice()) {
                    crate::fs::write_atomic(&copy, &out)?;
                }
                if *suffix == ".br" {
                    done.brotli = Some(length);
                } else {
                    done.gzip = Some(length);
                }
            }
            _ => {
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
        // Pseudo-random bytes (xorshift) do not compress, as a wheel's deflated members.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..20_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        fs_err::write(dir.path().join("x.whl"), &noise).unwrap();
        fs_err::write(dir.path().join("gone.zip.br"), "old").unwrap();
        let done = precompress_dir(dir.path()).unwrap();
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
}
