//! Tests of [`repair()`] and [`link_check_wheel`] on wheels built here, in the shapes backends
//! write them (unsorted entries, directory entries, real mtimes, a stale RECORD).

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;

use super::*;
use crate::hash::Sha256;
use crate::wheel::WasmError;
use crate::wheel::wasm::tests::side_module;
use crate::wheel::writer::record_hash;

const PLATFORM: &str = "emscripten_3_1_69_wasm32";
const EPOCH: u64 = 1_700_000_000;

/// An extension module `_speedups` that calls into the shipped `libpkg.so` and the runtime.
const SPEEDUPS: &str = r#"(module
    (import "env" "memory" (memory 0))
    (import "env" "PyLong_FromLong" (func $long (param i32) (result i32)))
    (import "env" "pkg_helper" (func $helper (result i32)))
    (func (export "PyInit__speedups") (result i32) call $helper call $long)
    (@custom ".debug_info" "not really dwarf")
    (@custom "name" "\01\00")
)"#;

const LIBPKG: &str = r#"(module
    (func (export "pkg_helper") (result i32) i32.const 42)
    (@custom ".debug_line" "lines")
)"#;

const WHEEL: &str = "Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nRoot-Is-Purelib: true\n\
                     Tag: cp313-cp313-linux_x86_64\n\n";

/// Writes a zip with entries in the given order, real-looking mtimes and modes.
fn write_zip(path: &Path, entries: &[(&str, Vec<u8>, u32)]) {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (index, (name, bytes, mode)) in entries.iter().enumerate() {
        let time = zip::DateTime::from_date_and_time(2024, 5, 1 + index as u8, 12, 0, 0).unwrap();
        let options = SimpleFileOptions::default()
            .last_modified_time(time)
            .unix_permissions(*mode);
        if name.ends_with('/') {
            zip.add_directory(*name, options).unwrap();
        } else {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
    }
    fs_err::write(path, zip.finish().unwrap().into_inner()).unwrap();
}

fn fixture_entries() -> Vec<(&'static str, Vec<u8>, u32)> {
    vec![
        ("pkg/", vec![], 0o755),
        (
            "pkg/__init__.py",
            b"from ._speedups import *\n".to_vec(),
            0o664,
        ),
        (
            "pkg/_speedups.so",
            side_module(SPEEDUPS, &["libpkg.so"], &[]),
            0o775,
        ),
        ("pkg/testing.py", b"def helper(): pass\n".to_vec(), 0o644),
        ("pkg/tests/__init__.py", b"".to_vec(), 0o644),
        (
            "pkg/tests/test_speedups.py",
            b"def test(): pass\n".to_vec(),
            0o644,
        ),
        ("pkg/conftest.py", b"".to_vec(), 0o644),
        (
            "Pkg-1.0.data/scripts/pkg-tool",
            b"#!python\n".to_vec(),
            0o755,
        ),
        (
            "Pkg-1.0.data/purelib/pkg/tests/data.txt",
            b"42\n".to_vec(),
            0o644,
        ),
        (
            "Pkg-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: Pkg\nVersion: 1.0\n\nLong description.\n".to_vec(),
            0o644,
        ),
        ("Pkg-1.0.dist-info/WHEEL", WHEEL.as_bytes().to_vec(), 0o644),
        ("Pkg-1.0.dist-info/RECORD", b"stale,,\n".to_vec(), 0o644),
    ]
}

/// The fixture wheel and `libpkg.so` on disk, and options that ship the library.
fn fixture(dir: &Path, reversed: bool) -> (PathBuf, RepairOptions) {
    let input = dir.join("Pkg-1.0-cp313-cp313-linux_x86_64.whl");
    let mut entries = fixture_entries();
    if reversed {
        entries.reverse();
        entries.retain(|(name, ..)| !name.ends_with('/'));
    }
    write_zip(&input, &entries);
    let library = dir.join("libpkg.so");
    fs_err::write(&library, side_module(LIBPKG, &[], &[])).unwrap();
    let mut options = RepairOptions::new(dir.join("dist"), "cp313", PLATFORM);
    options.shared_libs = vec![(library, "pkg.libs/libpkg.so".to_string())];
    options.source_date_epoch = EPOCH;
    (input, options)
}

struct Unpacked {
    /// (name, mode, bytes) in archive order.
    entries: Vec<(String, u32, Vec<u8>)>,
    mtimes: Vec<zip::DateTime>,
}

fn unpack(path: &Path) -> Unpacked {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(path).unwrap()).unwrap();
    let mut unpacked = Unpacked {
        entries: Vec::new(),
        mtimes: Vec::new(),
    };
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        unpacked.mtimes.push(file.last_modified().unwrap());
        unpacked.entries.push((
            file.name().unwrap().into_owned(),
            file.unix_mode().unwrap() & 0o7777,
            bytes,
        ));
    }
    unpacked
}

impl Unpacked {
    fn names(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(|(name, ..)| name.as_str())
            .collect()
    }

    fn text(&self, name: &str) -> String {
        let (_, _, bytes) = self
            .entries
            .iter()
            .find(|(entry, ..)| entry == name)
            .unwrap_or_else(|| panic!("no {name}"));
        String::from_utf8(bytes.clone()).unwrap()
    }

    fn bytes(&self, name: &str) -> &[u8] {
        &self
            .entries
            .iter()
            .find(|(entry, ..)| entry == name)
            .unwrap()
            .2
    }

    /// Checks RECORD as an installer does: every file listed once with its hash and size.
    fn check_record(&self, record_path: &str) {
        let record = self.text(record_path);
        let mut listed: Vec<&str> = Vec::new();
        for line in record.lines() {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "{line}");
            listed.push(fields[0]);
            if fields[0] == record_path {
                assert_eq!(&fields[1..], ["", ""]);
                continue;
            }
            let bytes = self.bytes(fields[0]);
            assert_eq!(fields[1], record_hash(bytes), "{line}");
            assert_eq!(fields[2], bytes.len().to_string(), "{line}");
        }
        assert_eq!(listed, self.names());
    }
}

fn custom_sections(bytes: &[u8]) -> Vec<String> {
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .filter_map(|payload| match payload.unwrap() {
            wasmparser::Payload::CustomSection(section) => Some(section.name().to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn repairs_a_platform_wheel() {
    let dir = tempfile::tempdir().unwrap();
    let (input, options) = fixture(dir.path(), false);
    let repaired = repair(&input, &options).unwrap();

    assert_eq!(
        repaired.wheel.path,
        dir.path()
            .join("dist/pkg-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl")
    );
    assert_eq!(
        repaired.renamed,
        [(
            "pkg/_speedups.so".to_string(),
            "pkg/_speedups.cpython-313-wasm32-emscripten.so".to_string()
        )]
    );
    let main = unpack(&repaired.wheel.path);
    assert_eq!(
        main.names(),
        [
            "pkg-1.0.data/scripts/pkg-tool",
            "pkg.libs/libpkg.so",
            "pkg/__init__.py",
            "pkg/_speedups.cpython-313-wasm32-emscripten.so",
            "pkg/testing.py",
            "pkg-1.0.dist-info/METADATA",
            "pkg-1.0.dist-info/WHEEL",
            "pkg-1.0.dist-info/RECORD",
        ]
    );
    let modes: Vec<u32> = main.entries.iter().map(|(_, mode, _)| *mode).collect();
    assert_eq!(
        modes,
        [0o755, 0o644, 0o644, 0o755, 0o644, 0o644, 0o644, 0o644]
    );
    let (year, month, day) = (2023, 11, 14);
    assert!(
        main.mtimes
            .iter()
            .all(|time| (time.year(), time.month(), time.day()) == (year, month, day))
    );
    assert_eq!(
        main.text("pkg-1.0.dist-info/WHEEL"),
        "Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nRoot-Is-Purelib: false\n\
         Tag: cp313-cp313-emscripten_3_1_69_wasm32\n"
    );
    main.check_record("pkg-1.0.dist-info/RECORD");
    for library in [
        "pkg.libs/libpkg.so",
        "pkg/_speedups.cpython-313-wasm32-emscripten.so",
    ] {
        let sections = custom_sections(main.bytes(library));
        assert_eq!(sections, ["dylink.0"], "{library} is stripped");
    }

    let tests = repaired.tests.expect("a tests wheel");
    assert_eq!(
        tests.filename.to_string(),
        "pkg_tests-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl"
    );
    let tests = unpack(&tests.path);
    assert_eq!(
        tests.names(),
        [
            "pkg/conftest.py",
            "pkg/tests/__init__.py",
            "pkg/tests/test_speedups.py",
            "pkg_tests-1.0.data/purelib/pkg/tests/data.txt",
            "pkg_tests-1.0.dist-info/METADATA",
            "pkg_tests-1.0.dist-info/WHEEL",
            "pkg_tests-1.0.dist-info/RECORD",
        ]
    );
    assert_eq!(
        tests.text("pkg_tests-1.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: Pkg-tests\nVersion: 1.0\n\
         Summary: The tests of Pkg, moved out of its wheel\nRequires-Dist: Pkg==1.0\n"
    );
    assert_eq!(
        tests.text("pkg_tests-1.0.dist-info/WHEEL"),
        format!(
            "Wheel-Version: 1.0\nGenerator: kiln {}\nRoot-Is-Purelib: false\n\
             Tag: cp313-cp313-emscripten_3_1_69_wasm32\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    tests.check_record("pkg_tests-1.0.dist-info/RECORD");
}

#[test]
fn repairing_is_byte_reproducible() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let (input, options) = fixture(first.path(), false);
    let one = repair(&input, &options).unwrap();
    // Same content, entries in another order and without directory entries.
    let (input, options) = fixture(second.path(), true);
    let two = repair(&input, &options).unwrap();
    let bytes = |path: &Path| fs_err::read(path).unwrap();
    assert_eq!(bytes(&one.wheel.path), bytes(&two.wheel.path));
    let tests = |wheels: &RepairedWheels| bytes(&wheels.tests.as_ref().unwrap().path);
    assert_eq!(tests(&one), tests(&two));
    // Pinned: a change here changes every wheel kiln writes. Update it on purpose only
    // (a new zip or deflate implementation, a new entry order, a new RECORD format).
    assert_eq!(
        Sha256::of_bytes(&bytes(&one.wheel.path)).to_string(),
        "53786218dc12b5704b01a896bf4e0f5bd378c33d3137ebae63146a6803769fcd"
    );
    // Repairing kiln's own output changes nothing.
    let again = repair(
        &one.wheel.path,
        &RepairOptions {
            shared_libs: Vec::new(),
            out_dir: first.path().join("again"),
            ..options
        },
    )
    .unwrap();
    assert_eq!(bytes(&again.wheel.path), bytes(&one.wheel.path));
    assert!(again.tests.is_none());
}

#[test]
fn keeps_a_pure_wheel_pure() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("six-1.17.0-py2.py3-none-any.whl");
    let wheel = "Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: true\n\
                 Tag: py2-none-any\nTag: py3-none-any\n";
    write_zip(
        &input,
        &[
            ("six.py", b"x = 1\n".to_vec(), 0o644),
            (
                "six-1.17.0.dist-info/METADATA",
                b"Name: six\n".to_vec(),
                0o644,
            ),
            (
                "six-1.17.0.dist-info/WHEEL",
                wheel.as_bytes().to_vec(),
                0o644,
            ),
        ],
    );
    let options = RepairOptions::new(dir.path().join("dist"), "cp313", PLATFORM);
    let repaired = repair(&input, &options).unwrap();
    assert_eq!(
        repaired.wheel.filename.to_string(),
        "six-1.17.0-py2.py3-none-any.whl"
    );
    assert!(repaired.tests.is_none());
    let unpacked = unpack(&repaired.wheel.path);
    assert_eq!(unpacked.text("six-1.17.0.dist-info/WHEEL"), wheel);
    unpacked.check_record("six-1.17.0.dist-info/RECORD");
}

#[test]
fn keeps_abi3_and_tests_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ext-2.0-cp39-abi3-linux_x86_64.whl");
    let module = side_module(r#"(module (func (export "PyInit__ext")))"#, &[], &[]);
    write_zip(
        &input,
        &[
            ("ext/_ext.abi3.so", module, 0o755),
            ("ext/tests/test_ext.py", b"".to_vec(), 0o644),
            ("ext-2.0.dist-info/METADATA", b"Name: ext\n".to_vec(), 0o644),
            (
                "ext-2.0.dist-info/WHEEL",
                b"Tag: cp39-abi3-linux_x86_64\n".to_vec(),
                0o644,
            ),
        ],
    );
    let mut options = RepairOptions::new(dir.path().join("dist"), "cp313", PLATFORM);
    options.unvendor_tests = false;
    options.strip = false;
    let repaired = repair(&input, &options).unwrap();
    assert_eq!(
        repaired.wheel.filename.to_string(),
        "ext-2.0-cp39-abi3-emscripten_3_1_69_wasm32.whl"
    );
    assert!(repaired.tests.is_none());
    let unpacked = unpack(&repaired.wheel.path);
    assert!(unpacked.names().contains(&"ext/tests/test_ext.py"));
    assert_eq!(
        unpacked.text("ext-2.0.dist-info/WHEEL"),
        "Tag: cp39-abi3-emscripten_3_1_69_wasm32\nRoot-Is-Purelib: false\n"
    );
}

/// Repairs a wheel `bad-1.0-py3-none-any.whl` holding `entries` plus minimal metadata.
fn repair_with(entries: &[(&str, Vec<u8>, u32)]) -> WheelError {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad-1.0-py3-none-any.whl");
    let mut all = entries.to_vec();
    all.push(("bad-1.0.dist-info/METADATA", b"Name: bad\n".to_vec(), 0o644));
    all.push((
        "bad-1.0.dist-info/WHEEL",
        b"Tag: py3-none-any\n".to_vec(),
        0o644,
    ));
    write_zip(&input, &all);
    let options = RepairOptions::new(dir.path().join("dist"), "cp313", PLATFORM);
    let error = repair(&input, &options).unwrap_err();
    assert!(
        !dir.path().join("dist").exists(),
        "nothing is written on error"
    );
    error
}

#[test]
fn refuses_native_code_for_the_build_machine() {
    let error = repair_with(&[("bad/_x.so", b"\x7fELF\x02\x01\x01".to_vec(), 0o755)]);
    assert!(matches!(&error, WheelError::NotWasm { entry, .. } if entry == "bad/_x.so"));
    assert!(error.to_string().contains("compiled for the build machine"));
}

#[test]
fn refuses_extension_modules_for_another_platform() {
    let module = side_module(r#"(module (func (export "PyInit__x")))"#, &[], &[]);
    let error = repair_with(&[("bad/_x.cpython-313-x86_64-linux-gnu.so", module, 0o755)]);
    assert!(matches!(
        &error,
        WheelError::ForeignExtension { expected_suffix, .. }
            if expected_suffix == ".cpython-313-wasm32-emscripten.so"
    ));
}

#[test]
fn refuses_wasm_that_is_not_a_side_module() {
    let module = wat::parse_str("(module)").unwrap();
    let error = repair_with(&[("bad/_x.so", module, 0o755)]);
    assert!(matches!(
        &error,
        WheelError::Wasm {
            source: WasmError::NotSideModule,
            ..
        }
    ));
}

#[test]
fn refuses_unsafe_paths_and_ambiguous_metadata() {
    let error = repair_with(&[("../evil.py", b"".to_vec(), 0o644)]);
    assert!(matches!(&error, WheelError::UnsafePath { entry, .. } if entry == "../evil.py"));
    let error = repair_with(&[("other-2.dist-info/METADATA", b"".to_vec(), 0o644)]);
    assert!(matches!(&error, WheelError::DistInfo { found, .. } if found.len() == 2));
    assert!(
        error
            .to_string()
            .ends_with("found `bad-1.0.dist-info`, `other-2.dist-info`"),
        "{error}"
    );
}

#[test]
fn link_check_uses_shipped_libraries_and_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (input, mut options) = fixture(dir.path(), false);
    let runtime = SymbolSet::from_exports_txt("PyLong_FromLong\n");
    let repaired = repair(&input, &options).unwrap();
    link_check_wheel(&repaired.wheel.path, &runtime).unwrap();

    options.shared_libs.clear();
    options.out_dir = dir.path().join("without-library");
    let repaired = repair(&input, &options).unwrap();
    let error = link_check_wheel(&repaired.wheel.path, &runtime).unwrap_err();
    let WheelError::LinkCheck { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        source.unresolved(),
        [(
            "pkg/_speedups.cpython-313-wasm32-emscripten.so".to_string(),
            vec!["pkg_helper".to_string()]
        )]
    );
}

#[test]
fn drops_maturins_sboms_which_differ_on_every_build() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("Pkg-1.0-cp313-cp313-linux_x86_64.whl");
    let mut entries = fixture_entries();
    entries.push((
        "Pkg-1.0.dist-info/sboms/pkg.cyclonedx.json",
        br#"{"serialNumber":"urn:uuid:random","metadata":{"timestamp":"now"}}"#.to_vec(),
        0o644,
    ));
    write_zip(&input, &entries);
    let mut options = RepairOptions::new(dir.path().join("dist"), "cp313", PLATFORM);
    options.source_date_epoch = EPOCH;
    options.shared_libs = vec![(dir.path().join("libpkg.so"), "pkg.libs/libpkg.so".into())];
    fs_err::write(dir.path().join("libpkg.so"), side_module(LIBPKG, &[], &[])).unwrap();
    let repaired = repair(&input, &options).unwrap();
    let names: Vec<String> = unpack(&repaired.wheel.path)
        .entries
        .into_iter()
        .map(|(name, ..)| name)
        .collect();
    assert!(
        names.iter().all(|name| !name.contains("sboms")),
        "{names:?}"
    );
    assert!(names.iter().any(|name| name == "pkg-1.0.dist-info/RECORD"));
}
