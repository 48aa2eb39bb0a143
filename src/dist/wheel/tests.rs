//! The malicious-wheel corpus: one test per refusal, each wheel built here in memory.

use std::path::{Path, PathBuf};

use super::*;
use crate::dist::rawzip::{RawEntry, RawZip, TestWheel, deflate};
use crate::dist::tests::runtime;

fn write(dir: &Path, file_name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(file_name);
    fs_err::write(&path, bytes).unwrap();
    path
}

fn read_wheel(path: &Path) -> Result<Wheel, WheelRefusal> {
    read(path, &runtime(), &Limits::DEFAULT)
}

/// Reads `wheel` from a fresh folder and returns the refusal, checking it names the file.
fn refusal(wheel: &TestWheel) -> Refusal {
    refusal_of_bytes(&wheel.file_name(), &wheel.bytes())
}

fn refusal_of_bytes(file_name: &str, bytes: &[u8]) -> Refusal {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), file_name, bytes);
    let refusal = read_wheel(&path).expect_err("refused");
    assert!(
        refusal.to_string().contains(file_name),
        "the refusal names the file: {refusal}"
    );
    *refusal.reason
}

#[test]
fn a_good_wheel_is_read_with_its_metadata_and_top_level_names() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = TestWheel::new("Demo-Pkg", "1.0")
        .file("demo_pkg/sub/x.py", b"")
        .file("single.py", b"")
        .file("fast.cpython-315-wasm32-emscripten.so", b"\0asm")
        .file("demo_pkg-1.0.data/purelib/extra_mod/__init__.py", b"")
        .file("demo_pkg-1.0.data/scripts/tool", b"#!python")
        .file("a,b/with comma.txt", b"quoted in RECORD")
        .requires("idna>=2");
    let path = wheel.write_to(dir.path());
    let read = read_wheel(&path).unwrap();
    assert_eq!(read.filename.name(), "demo_pkg");
    assert_eq!(read.metadata.name, "Demo-Pkg");
    assert_eq!(read.metadata.requires_dist.len(), 1);
    assert_eq!(read.top_level, ["demo_pkg", "extra_mod", "fast", "single"]);
    assert_eq!(read.sha256, Sha256::of_file(&path).unwrap());
}

#[test]
fn not_a_zip_random_bytes_and_truncated() {
    let wheel = TestWheel::new("demo", "1.0");
    assert!(matches!(
        refusal_of_bytes(&wheel.file_name(), b"\x13\x37 not a zip at all"),
        Refusal::NotZip(_)
    ));
    let bytes = wheel.bytes();
    assert!(matches!(
        refusal_of_bytes(&wheel.file_name(), &bytes[..bytes.len() / 2]),
        Refusal::NotZip(_)
    ));
}

#[test]
fn a_file_name_that_is_not_a_wheel_name() {
    let reason = refusal_of_bytes("demo.whl", &TestWheel::new("demo", "1.0").bytes());
    assert!(matches!(reason, Refusal::Filename(_)), "{reason}");
}

#[test]
fn symlinks_fifos_and_devices_are_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, target) in [
        ("passwd-1.0-py3-none-any.whl", "/etc/passwd"),
        ("zero-1.0-py3-none-any.whl", "/dev/zero"),
    ] {
        let path = dir.path().join(name);
        std::os::unix::fs::symlink(target, &path).unwrap();
        let refusal = read_wheel(&path).unwrap_err();
        assert!(
            matches!(*refusal.reason, Refusal::File(FileProblem::Symlink)),
            "{refusal}"
        );
    }
    let fifo = dir.path().join("fifo-1.0-py3-none-any.whl");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let refusal = read_wheel(&fifo).unwrap_err();
    assert!(
        matches!(
            *refusal.reason,
            Refusal::File(FileProblem::NotRegular { kind: "FIFO" })
        ),
        "{refusal}"
    );
}

#[test]
fn an_oversized_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = TestWheel::new("demo", "1.0");
    let path = wheel.write_to(dir.path());
    let limits = Limits {
        file_bytes: 10,
        ..Limits::DEFAULT
    };
    let refusal = read(&path, &runtime(), &limits).unwrap_err();
    assert!(
        matches!(
            *refusal.reason,
            Refusal::File(FileProblem::TooLarge { limit: 10, .. })
        ),
        "{refusal}"
    );
}

#[test]
fn missing_metadata_wheel_or_record() {
    for missing in ["METADATA", "WHEEL", "RECORD"] {
        let wheel = TestWheel::new("demo", "1.0");
        let dist_info = wheel.dist_info();
        let mut zip = RawZip::default();
        for (name, data) in wheel.members() {
            if name != format!("{dist_info}/{missing}") {
                zip.push(RawEntry::new(name, data));
            }
        }
        let reason = refusal_of_bytes(&wheel.file_name(), &zip.bytes());
        match reason {
            Refusal::MissingFile { member } if member.ends_with(missing) => {}
            // Without RECORD, WHEEL or METADATA is still checked first: any refusal that
            // names the missing file is right, anything else is not.
            other => panic!("{missing}: {other}"),
        }
    }
}

#[test]
fn members_that_leave_the_install_folder() {
    for (name, why) in [
        ("../../../../tmp/x", "`..`"),
        ("/tmp/x", "absolute"),
        ("demo/../../x", "`..`"),
        ("demo\\..\\x", "backslash"),
        ("C:/Windows/x", "drive letter"),
        ("demo/x\0.py", "NUL"),
        ("demo//x.py", "empty path part"),
        ("./demo/x.py", "`.`"),
    ] {
        let wheel = TestWheel::new("demo", "1.0").file(name, b"evil");
        let reason = refusal(&wheel);
        assert!(
            matches!(&reason, Refusal::UnsafePath { member, .. } if member == name),
            "{name:?}: {reason}"
        );
        assert!(reason.to_string().contains(why), "{name:?}: {reason}");
    }
}

#[test]
fn duplicate_members() {
    let mut wheel = TestWheel::new("demo", "1.0");
    wheel
        .unrecorded
        .push(RawEntry::new("demo/__init__.py", b"x = 2\n"));
    assert!(matches!(refusal(&wheel), Refusal::DuplicateMember));
}

#[test]
fn a_symlink_member() {
    let mut wheel = TestWheel::new("demo", "1.0");
    let mut link = RawEntry::new("demo/passwd", b"/etc/passwd");
    link.mode = 0o120777;
    wheel.unrecorded.push(link);
    assert!(matches!(refusal(&wheel), Refusal::Symlink { member } if member == "demo/passwd"));
}

#[test]
fn record_hash_size_unlisted_and_absent_members() {
    let wheel = TestWheel::new("demo", "1.0");
    let dist_info = wheel.dist_info();
    let members = wheel.members();
    let record = String::from_utf8(members.last().unwrap().1.clone()).unwrap();

    let mut wrong_hash = wheel.clone();
    wrong_hash.record = Some(record.replacen("sha256=", "sha256=AAAA", 1));
    let reason = refusal(&wrong_hash);
    assert!(
        matches!(&reason, Refusal::RecordMismatch { member, line: 1, .. } if member == "demo/__init__.py"),
        "{reason}"
    );

    let mut wrong_size = wheel.clone();
    wrong_size.record = Some(record.replacen(",6\n", ",7\n", 1));
    assert!(matches!(
        refusal(&wrong_size),
        Refusal::RecordMismatch { .. }
    ));

    let mut unlisted = wheel.clone();
    unlisted.unrecorded.push(RawEntry::new("demo/evil.py", b""));
    assert!(matches!(refusal(&unlisted), Refusal::Unlisted { member } if member == "demo/evil.py"));

    let mut absent = wheel.clone();
    absent.record = Some(format!("{record}demo/ghost.py,sha256=x,1\n"));
    assert!(matches!(
        refusal(&absent),
        Refusal::NotInWheel { member, line: 5 } if member == "demo/ghost.py"
    ));

    let mut sha1 = wheel.clone();
    sha1.record = Some(record.replacen("sha256=", "sha1=", 1));
    assert!(matches!(refusal(&sha1), Refusal::Record { line: 1, .. }));

    let mut two_fields = wheel.clone();
    two_fields.record = Some(format!("{dist_info}/RECORD,\n"));
    assert!(matches!(
        refusal(&two_fields),
        Refusal::Record { line: 1, .. }
    ));

    let mut twice = wheel.clone();
    twice.record = Some(format!("{record}{dist_info}/RECORD,,\n"));
    assert!(matches!(refusal(&twice), Refusal::Record { line: 5, .. }));
}

#[test]
fn a_record_that_is_not_utf8_is_refused_for_that_wheel() {
    let wheel = TestWheel::new("demo", "1.0");
    let dist_info = wheel.dist_info();
    let mut zip = RawZip::default();
    for (name, data) in wheel.members() {
        let data = if name.ends_with("/RECORD") {
            b"demo/__init__.py,\xff\xfe,6\n".to_vec()
        } else {
            data
        };
        zip.push(RawEntry::new(name, data));
    }
    let reason = refusal_of_bytes(&wheel.file_name(), &zip.bytes());
    assert!(
        matches!(&reason, Refusal::NotUtf8 { member } if *member == format!("{dist_info}/RECORD")),
        "{reason}"
    );
}

#[test]
fn a_bad_checksum_is_refused_for_that_member() {
    let wheel = TestWheel::new("demo", "1.0");
    let mut zip = wheel.zip();
    zip.entries[0].crc = Some(0xdead_beef);
    let reason = refusal_of_bytes(&wheel.file_name(), &zip.bytes());
    assert!(
        matches!(&reason, Refusal::Inflate { member, .. } if member == "demo/__init__.py"),
        "{reason}"
    );
}

#[test]
fn metadata_that_does_not_match_the_file_name() {
    let mut other_name = TestWheel::new("demo", "1.0");
    other_name.metadata = "Metadata-Version: 2.1\nName: other\nVersion: 1.0\n".into();
    assert!(matches!(refusal(&other_name), Refusal::NameMismatch { .. }));

    let mut other_version = TestWheel::new("demo", "1.0");
    other_version.metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n".into();
    assert!(matches!(
        refusal(&other_version),
        Refusal::VersionMismatch { .. }
    ));

    // `1.0.0` and `1.0` are the same PEP 440 version; `Demo_Pkg` and `demo-pkg` the same name.
    let mut same = TestWheel::new("demo-pkg", "1.0");
    same.metadata = "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0.0\n".into();
    let dir = tempfile::tempdir().unwrap();
    read_wheel(&same.write_to(dir.path())).unwrap();

    let mut broken = TestWheel::new("demo", "1.0");
    broken.metadata = "Name: demo\nVersion: 1.0\nRequires-Dist: ???\n".into();
    assert!(matches!(
        refusal(&broken),
        Refusal::Metadata {
            problem: MetadataProblem::Requirement { line: 3, .. },
            ..
        }
    ));
}

#[test]
fn dist_info_for_another_package_or_twice() {
    let wheel = TestWheel::new("demo", "1.0");
    let mut zip = RawZip::default();
    for (name, data) in wheel.members() {
        zip.push(RawEntry::new(name.replace("demo-1.0", "other-1.0"), data));
    }
    assert!(matches!(
        refusal_of_bytes(&wheel.file_name(), &zip.bytes()),
        Refusal::DistInfoName { .. }
    ));
    let mut two = wheel.clone();
    two.unrecorded
        .push(RawEntry::new("demo-2.0.dist-info/METADATA", b""));
    assert!(matches!(refusal(&two), Refusal::DistInfo { found } if found.len() == 2));
}

#[test]
fn tags_the_runtime_does_not_load_name_both_tags() {
    let wrong_platform = TestWheel::new("demo", "1.0").tag("cp315-cp315-emscripten_3_1_69_wasm32");
    let reason = refusal(&wrong_platform);
    let text = reason.to_string();
    assert!(
        text.contains("emscripten_3_1_69_wasm32") && text.contains("pyemscripten_2026_5_wasm32"),
        "{text}"
    );
    let linux = TestWheel::new("demo", "1.0").tag("cp315-cp315-manylinux_2_17_x86_64");
    assert!(matches!(refusal(&linux), Refusal::Platform { .. }));
    let old_python = TestWheel::new("demo", "1.0").tag("cp314-cp314-pyemscripten_2026_5_wasm32");
    assert!(
        matches!(refusal(&old_python), Refusal::Python { found, python } if found == "cp314-cp314" && python == "3.15")
    );
    let dir = tempfile::tempdir().unwrap();
    for good in [
        "py3-none-any",
        "py2.py3-none-any",
        "cp315-cp315-pyemscripten_2026_5_wasm32",
        "cp39-abi3-pyemscripten_2026_5_wasm32",
        "py315-none-any",
    ] {
        let wheel = TestWheel::new("demo", "1.0").tag(good);
        read_wheel(&wheel.write_to(dir.path())).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        "py316-none-any",
        "cp315-abi3-any",
        "cp316-abi3-pyemscripten_2026_5_wasm32",
    ] {
        let wheel = TestWheel::new("demo", "1.0").tag(bad);
        assert!(
            matches!(refusal(&wheel), Refusal::Python { .. }),
            "{bad} is refused"
        );
    }
}

#[test]
fn a_one_gib_zip_bomb_is_refused_before_it_is_inflated() {
    let mut wheel = TestWheel::new("demo", "1.0");
    // The headers declare 1 GiB; the payload is a few bytes that could never inflate to it.
    // Had the reader started inflating, it would have failed on the size or the checksum.
    let mut bomb = RawEntry::new("demo/zeros.bin", b"");
    bomb.declared_size = Some(1 << 30);
    bomb.raw_payload = Some(deflate(&[0u8; 4096]));
    wheel.unrecorded.push(bomb);
    let reason = refusal(&wheel);
    assert!(matches!(reason, Refusal::Ratio { .. }), "{reason}");
    assert!(reason.to_string().contains("before inflating"), "{reason}");
    let mut many = TestWheel::new("demo", "1.0");
    for index in 0..2 {
        let mut big = RawEntry::new(format!("demo/{index}.bin"), b"");
        big.declared_size = Some(3 << 29);
        big.deflate = false;
        big.raw_payload = Some(Vec::new());
        many.unrecorded.push(big);
    }
    let limits = Limits {
        uncompressed_bytes: 1 << 30,
        ..Limits::DEFAULT
    };
    let dir = tempfile::tempdir().unwrap();
    let path = many.write_to(dir.path());
    let refusal = read(&path, &runtime(), &limits).unwrap_err();
    assert!(
        matches!(*refusal.reason, Refusal::TooLargeInflated { .. }),
        "{refusal}"
    );
}

#[test]
fn a_member_that_inflates_past_its_declared_size_stops_there() {
    let mut wheel = TestWheel::new("demo", "1.0");
    let data = vec![0u8; 8 << 20];
    let mut liar = RawEntry::new("demo/liar.bin", &data);
    liar.declared_size = Some(1000);
    wheel.files.push(("demo/liar.bin".into(), data.clone()));
    wheel.unrecorded.push(liar);
    // `files` put it in RECORD (and in the zip, as a duplicate): use a zip without the
    // honest copy.
    let mut zip = wheel.zip();
    zip.entries
        .retain(|entry| entry.name != b"demo/liar.bin" || entry.declared_size.is_some());
    let reason = refusal_of_bytes(&wheel.file_name(), &zip.bytes());
    assert!(
        matches!(&reason, Refusal::SizeMismatch { member, declared: 1000 } if member == "demo/liar.bin")
            || matches!(&reason, Refusal::Inflate { member, .. } if member == "demo/liar.bin"),
        "{reason}"
    );
}

#[test]
fn many_members_are_read_in_linear_time() {
    let count = 120_000;
    let mut wheel = TestWheel::new("demo", "1.0");
    wheel.files = (0..count)
        .map(|index| (format!("demo/m{index}.py"), Vec::new()))
        .collect();
    let mut zip = RawZip::default();
    for (name, data) in wheel.members() {
        let mut entry = RawEntry::new(name, data);
        entry.deflate = false;
        zip.push(entry);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &wheel.file_name(), &zip.bytes());
    let started = std::time::Instant::now();
    let read = read_wheel(&path).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(read.top_level, ["demo"]);
    // Linear: well under a second in release, a few in debug. The quadratic reader this
    // replaced took 23 s in release.
    assert!(elapsed.as_secs() < 20, "{elapsed:?} for {count} members");
}
