//! Property tests: the readers of untrusted input, fed generated and mutated inputs, never
//! panic, and every error they return carries its place (the file, and the line and column
//! or the member where there is one).
//!
//! | input | reader | cases |
//! |---|---|---|
//! | `recipe.toml` (mutated project and fixture recipes, and generated text) | [`crate::recipe::load`] | 768 |
//! | `toolchain.toml` (mutated pin, generated text) | [`crate::toolchain::Pin::load`] | 512 |
//! | `pyodide-lock.json` (mutated lockfile, generated text) | [`crate::dist::Lockfile::read`] | 768 |
//! | wheels (mutated bytes of good wheels; generated member names and `RECORD`s) | [`crate::dist::wheel::read`] | 768 |
//! | `METADATA` text | [`crate::dist::metadata::Metadata::parse`] | 512 |
//!
//! Cases are fixed numbers so a run takes the same time everywhere (about 10 s in a debug
//! build on 2 cores); inputs are written to a temporary folder because the readers read
//! files, as they do in use.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::dist::rawzip::{RawEntry, RawZip, TestWheel};
use crate::dist::{Limits, Lockfile, Refusal, wheel};

/// A mutation of a seed: flip, delete, insert or duplicate bytes, or cut the tail.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
    Truncate(usize),
}

/// Bytes that matter to TOML, JSON, CSV, zip headers and paths.
const INTERESTING: &[&[u8]] = &[
    b"\"",
    b"'",
    b"[",
    b"]",
    b"{",
    b"}",
    b"=",
    b",",
    b"\n",
    b"\r\n",
    b"\\",
    b"/",
    b"../",
    b"\0",
    b"\xff",
    b"\xc3\xa9",
    b"#",
    b"[[",
    b"]]",
    b"\"\"\"",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"\xff\xff\xff\xff",
    b"-1",
    b"1e999",
    b"null",
    b"true",
    b"\t",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bits)| Mutation::Flip(at, bits | 1)),
        (any::<usize>(), 1usize..16).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), prop::sample::select(INTERESTING))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes.to_vec())),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for mutation in mutations {
        let len = bytes.len();
        let at = |position: usize| if len == 0 { 0 } else { position % (len + 1) };
        match mutation {
            Mutation::Flip(position, bits) if len > 0 => bytes[position % len] ^= bits,
            Mutation::Flip(..) => {}
            Mutation::Delete(position, count) => {
                let start = at(*position);
                let end = (start + count).min(len);
                bytes.drain(start..end);
            }
            Mutation::Insert(position, insert) => {
                let start = at(*position);
                bytes.splice(start..start, insert.iter().copied());
            }
            Mutation::Duplicate(position, count) => {
                let start = at(*position);
                let end = (start + count).min(len);
                let slice = bytes[start..end].to_vec();
                bytes.splice(end..end, slice);
            }
            Mutation::Truncate(position) => bytes.truncate(at(*position)),
        }
    }
    bytes
}

/// Seeds and mutations, or generated text: the inputs of one reader.
fn inputs(seeds: Vec<Vec<u8>>, alphabet: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let count = seeds.len();
    prop_oneof![
        4 => (0..count, prop::collection::vec(mutation(), 0..6))
            .prop_map(move |(index, mutations)| mutate(&seeds[index], &mutations)),
        1 => proptest::string::string_regex(alphabet)
            .expect("a valid pattern")
            .prop_map(String::into_bytes),
    ]
}

fn project_file(path: &str) -> Vec<u8> {
    fs_err::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("a project file")
}

fn recipe_seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["recipes", "tests/data/recipes/good"] {
        for entry in fs_err::read_dir(root.join(dir)).unwrap().flatten() {
            if let Ok(bytes) = fs_err::read(entry.path().join("recipe.toml")) {
                seeds.push(bytes);
            }
        }
    }
    for entry in fs_err::read_dir(root.join("tests/data/recipes/bad"))
        .unwrap()
        .flatten()
    {
        if entry.path().extension().is_some_and(|ext| ext == "toml") {
            seeds.push(fs_err::read(entry.path()).unwrap());
        }
    }
    seeds.sort();
    seeds
}

/// A recipe folder named like its package, so the folder-name check runs too.
fn write_recipe(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("zlib");
    fs_err::create_dir_all(folder.join("src")).unwrap();
    let path = folder.join("recipe.toml");
    fs_err::write(&path, bytes).unwrap();
    (dir, path)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn recipes_never_panic_and_errors_name_file_line_and_column(
        bytes in inputs(recipe_seeds(), "(\\[[a-z.]{0,12}\\]\n|[a-z_-]{1,10} = (\"[^\"\\\\]{0,20}\"|[0-9]{1,3}|true|\\[\\])\n){0,12}")
    ) {
        let (_dir, path) = write_recipe(&bytes);
        if let Err(error) = crate::recipe::load(&path) {
            let text = error.to_string();
            prop_assert!(text.contains(&path.display().to_string()), "{text}");
            if let Some(invalid) = error.as_invalid() {
                prop_assert!(invalid.line() >= 1 && invalid.column() >= 1);
                let place = format!("{}:{}:{}: ", path.display(), invalid.line(), invalid.column());
                prop_assert!(text.starts_with(&place), "{text}");
            }
            // The drawn frame renders too.
            let mut rendered = String::new();
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .render_report(&mut rendered, &error)
                .unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn platform_files_never_panic_and_errors_name_file_and_line(
        bytes in inputs(vec![project_file("platforms/pyemscripten_2026_5.toml")], "(\\[[a-z]{0,8}\\]\n|[a-z-]{1,10} = (\"[a-z0-9._]{0,8}\"|\\[\"[a-z,]{0,8}\"\\]|1)\n){0,10}")
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.toml");
        fs_err::write(&path, &bytes).unwrap();
        // The pin and the ABI read the same file: both must refuse it the same way.
        let pin = crate::toolchain::Pin::load(&path).err().map(|error| error.to_string());
        let abi = crate::toolchain::Abi::load(&path).err().map(|error| error.to_string());
        prop_assert_eq!(&pin, &abi);
        match crate::toolchain::Pin::load(&path) {
            Ok(_) => {}
            Err(crate::toolchain::PlatformError::Read(input)) => {
                // Not UTF-8: named, no line to give.
                prop_assert_eq!(input.path, path);
            }
            Err(error @ crate::toolchain::PlatformError::Parse { .. }) => {
                prop_assert!(error.to_string().contains(&path.display().to_string()));
                let crate::toolchain::PlatformError::Parse { source, .. } = &error else { unreachable!() };
                prop_assert!(source.span().is_some(), "{source}");
            }
            Err(error @ crate::toolchain::PlatformError::Invalid { .. }) => {
                // A value refused names the file and the field.
                let text = error.to_string();
                prop_assert!(text.contains(&path.display().to_string()), "{text}");
                let crate::toolchain::PlatformError::Invalid { field, .. } = &error else { unreachable!() };
                prop_assert!(text.contains(field.as_str()), "{text}");
            }
        }
    }
}

fn lockfile_seed() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    TestWheel::new("demo", "1.0")
        .requires("six")
        .write_to(dir.path());
    let runtime = crate::dist::tests::runtime();
    let known = Default::default();
    let options = crate::dist::LockOptions {
        runtime: &runtime,
        known: &known,
        limits: Limits::DEFAULT,
    };
    let locked = crate::dist::lock(dir.path(), &options).unwrap();
    fs_err::read(locked.path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lockfiles_never_panic_and_errors_name_file_line_and_column(
        bytes in inputs(vec![lockfile_seed()], "\\{(\"[a-z_]{1,8}\": ?(\"[^\"]{0,8}\"|[0-9]{1,3}|\\[\\]|\\{\\}|null|true),? ?){0,6}\\}?")
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::dist::LOCK_FILE);
        fs_err::write(&path, &bytes).unwrap();
        if let Ok(lockfile) = Lockfile::read(&path) {
            // Whatever it says, verifying with it stays inside the folder and never panics.
            let _ = crate::dist::verify(dir.path(), &Limits::DEFAULT);
            let _ = lockfile;
        } else if let Err(error) = Lockfile::read(&path) {
            prop_assert!(error.to_string().contains(&path.display().to_string()));
            if let crate::dist::LockfileError::Parse { source, .. } = &error {
                prop_assert!(source.line() >= 1, "{source}");
            }
        }
    }
}

fn wheel_seeds() -> Vec<Vec<u8>> {
    let requests = TestWheel::new("requests", "2.32.3")
        .file("requests/api.py", b"def get(url): ...\n")
        .file("requests/a,b.py", b"")
        .requires("idna <4,>=2.5")
        .requires("PySocks !=1.5.7,>=1.5.6 ; extra == 'socks'");
    let mut stored = RawZip::default();
    for (name, data) in requests.members() {
        let mut entry = RawEntry::new(name, data);
        entry.deflate = false;
        stored.push(entry);
    }
    vec![
        requests.bytes(),
        stored.bytes(),
        TestWheel::new("demo", "1.0").bytes(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn wheels_never_panic_and_refusals_name_the_file(
        bytes in inputs(wheel_seeds(), "PK[\\x00-\\xff]{0,64}")
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requests-2.32.3-py3-none-any.whl");
        fs_err::write(&path, &bytes).unwrap();
        let runtime = crate::dist::tests::runtime();
        if let Err(refusal) = wheel::read(&path, &runtime, &Limits::DEFAULT) {
            prop_assert!(refusal.to_string().contains("requests-2.32.3-py3-none-any.whl"));
            if let Refusal::Record { line, .. } = *refusal.reason {
                prop_assert!(line >= 1, "{refusal}");
            }
        }
    }

    #[test]
    fn generated_members_and_records_never_panic(
        names in prop::collection::vec("[a-z./\\\\:\\x00,\"é]{0,12}", 0..6),
        record in "([a-z/.,\"é]{0,12},(sha256=[A-Za-z0-9_-]{0,8})?,[0-9]{0,3}\n){0,6}",
    ) {
        let mut wheel = TestWheel::new("demo", "1.0");
        for name in &names {
            wheel = wheel.file(name, b"x");
        }
        if !record.is_empty() {
            wheel.record = Some(record);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(wheel.file_name());
        fs_err::write(&path, wheel.bytes()).unwrap();
        let runtime = crate::dist::tests::runtime();
        match wheel::read(&path, &runtime, &Limits::DEFAULT) {
            Ok(read) => {
                // Whatever was accepted is a plain relative path.
                for name in &names {
                    prop_assert!(wheel::unsafe_path(name).is_none() || name.is_empty());
                }
                let _ = read;
            }
            Err(refusal) => prop_assert!(refusal.to_string().contains(&wheel.file_name())),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn metadata_never_panics_and_problems_carry_their_line(
        text in "(Name: [a-zé_.-]{0,8}\n|Version: [0-9a-z.!+]{0,6}\n|Requires-Dist: [a-zé<>=!~;'\" .,()\\[\\]-]{0,24}\n| continued\n|[A-Za-z-]{0,8}:? ?[a-z]{0,4}\n|\n){0,8}"
    ) {
        use crate::dist::metadata::{Metadata, MetadataProblem};
        match Metadata::parse(&text) {
            Ok(metadata) => {
                let environment = crate::dist::metadata::environment(&crate::dist::tests::runtime()).unwrap();
                let _ = metadata.depends(&environment);
            }
            Err(MetadataProblem::Malformed { line } | MetadataProblem::Requirement { line, .. }) => {
                prop_assert!(line >= 1 && line <= text.lines().count());
            }
            Err(_) => {}
        }
    }
}
