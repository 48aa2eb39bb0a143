//! Extraction tests. Every archive is built here, in memory: malicious ones by writing tar
//! headers by hand (the `tar` crate's safe setters refuse `..` and absolute names).

use std::io::{Cursor, Write};
use std::os::unix::fs::PermissionsExt;

use tar::EntryType;

use super::*;

/// A scratch folder with a `canary/` beside the extraction target: nothing may ever land in
/// it, nor anywhere else outside `out/`.
struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir(dir.path().join("canary")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn out(&self) -> PathBuf {
        self.path("out")
    }

    fn canary(&self) -> PathBuf {
        self.path("canary")
    }

    /// Writes `bytes` as an archive called `name` and extracts it into `out/`.
    fn extract(&self, name: &str, bytes: &[u8]) -> Result<(), ExtractError> {
        let archive = self.path(name);
        fs_err::write(&archive, bytes).unwrap();
        extract(&archive, &self.out())
    }

    /// After a refusal: `out/` does not exist, the canary is empty, and nothing else
    /// (no staging folder) is left beside the archive.
    fn assert_untouched(&self) {
        assert!(
            fs_err::symlink_metadata(self.out()).is_err(),
            "no half tree at the target"
        );
        let canary: Vec<_> = fs_err::read_dir(self.canary()).unwrap().collect();
        assert!(
            canary.is_empty(),
            "something was written outside the target: {canary:?}"
        );
        let mut names: Vec<String> = fs_err::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.retain(|name| name != "canary" && !name.starts_with("archive"));
        assert!(names.is_empty(), "left behind: {names:?}");
    }
}

/// One raw tar entry; `name` and `link` are written verbatim into the header.
struct Raw<'a> {
    name: &'a [u8],
    kind: EntryType,
    data: &'a [u8],
    link: &'a [u8],
    mode: u32,
}

fn file<'a>(name: &'a str, data: &'a str) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Regular,
        data: data.as_bytes(),
        link: b"",
        mode: 0o644,
    }
}

fn symlink<'a>(name: &'a str, target: &'a str) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Symlink,
        data: b"",
        link: target.as_bytes(),
        mode: 0o777,
    }
}

fn hard_link<'a>(name: &'a str, target: &'a str) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Link,
        data: b"",
        link: target.as_bytes(),
        mode: 0o644,
    }
}

fn dir(name: &str) -> Raw<'_> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Directory,
        data: b"",
        link: b"",
        mode: 0o755,
    }
}

fn raw_tar(entries: &[Raw]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let old = header.as_old_mut();
        old.name[..entry.name.len()].copy_from_slice(entry.name);
        old.linkname[..entry.link.len()].copy_from_slice(entry.link);
        header.set_entry_type(entry.kind);
        header.set_size(entry.data.len() as u64);
        header.set_mode(entry.mode);
        header.set_mtime(1_000_000_000);
        header.set_cksum();
        builder.append(&header, entry.data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn bzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), 6);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

enum ZipEntry<'a> {
    File(&'a str, &'a str, u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
}

fn zip_archive(entries: &[ZipEntry]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for entry in entries {
        match entry {
            ZipEntry::File(name, data, mode) => {
                let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
                writer.start_file(*name, options).unwrap();
                writer.write_all(data.as_bytes()).unwrap();
            }
            ZipEntry::Dir(name) => writer
                .add_directory(*name, zip::write::SimpleFileOptions::default())
                .unwrap(),
            ZipEntry::Symlink(name, target) => writer
                .add_symlink(*name, *target, zip::write::SimpleFileOptions::default())
                .unwrap(),
        }
    }
    writer.finish().unwrap().into_inner()
}

fn mode(path: &Path) -> u32 {
    fs_err::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

// --- refusals -------------------------------------------------------------------------

#[test]
fn refuses_absolute_path() {
    let scene = Scene::new();
    let name = format!("{}/evil", scene.canary().display());
    let error = scene
        .extract(
            "archive.tar.gz",
            &gzip(&raw_tar(&[file("ok", "x"), file(&name, "pwned")])),
        )
        .unwrap_err();
    assert!(
        matches!(&error, ExtractError::AbsolutePath { entry } if entry == Path::new(&name)),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_parent_dir() {
    let scene = Scene::new();
    let error = scene
        .extract(
            "archive.tar.gz",
            &gzip(&raw_tar(&[file("../canary/evil", "pwned")])),
        )
        .unwrap_err();
    assert!(
        matches!(&error, ExtractError::ParentDir { entry } if entry == Path::new("../canary/evil")),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "refusing entry `../canary/evil`: it has a `..` component"
    );
    scene.assert_untouched();

    let error = scene
        .extract(
            "archive.tar",
            &raw_tar(&[file("pkg/../../canary/evil", "pwned")]),
        )
        .unwrap_err();
    assert!(matches!(error, ExtractError::ParentDir { .. }), "{error}");
    scene.assert_untouched();
}

#[test]
fn refuses_symlink_escape() {
    let scene = Scene::new();
    let error = scene
        .extract(
            "archive.tar.gz",
            &gzip(&raw_tar(&[symlink("pkg/link", "../../canary")])),
        )
        .unwrap_err();
    assert!(
        matches!(&error, ExtractError::SymlinkEscape { entry, target }
            if entry == Path::new("pkg/link") && target == Path::new("../../canary")),
        "{error}"
    );
    scene.assert_untouched();

    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&[symlink("abs", "/etc")])))
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::SymlinkEscape { .. }),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_symlink_then_write_through_it() {
    // The classic: plant `a -> outside`, then write `a/file`.
    let scene = Scene::new();
    let canary = scene.canary().display().to_string();
    let error = scene
        .extract(
            "archive.tar.gz",
            &gzip(&raw_tar(&[
                symlink("a", &canary),
                file("a/passwd", "pwned"),
            ])),
        )
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::SymlinkEscape { .. }),
        "{error}"
    );
    scene.assert_untouched();

    // Even a link that stays inside is never written through.
    let entries = [dir("real"), symlink("a", "real"), file("a/passwd", "x")];
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&entries)))
        .unwrap_err();
    assert!(
        matches!(&error, ExtractError::ThroughSymlink { entry, link }
            if entry == Path::new("a/passwd") && link == Path::new("a")),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_symlink_chain_that_escapes() {
    // Each link looks harmless by name; together, `t` resolves to the target's parent.
    let scene = Scene::new();
    let entries = [symlink("a/b/s", "../.."), symlink("a/b/t", "s/../..")];
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&entries)))
        .unwrap_err();
    assert!(
        matches!(&error, ExtractError::SymlinkEscape { entry, .. } if entry == Path::new("a/b/t")),
        "{error}"
    );
    scene.assert_untouched();

    let entries = [
        symlink("a/b/s", "../.."),
        symlink("a/b/t", "s/../../canary"),
        file("a/b/t/evil", "pwned"),
    ];
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&entries)))
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::ThroughSymlink { .. }),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_hard_link_escape() {
    let scene = Scene::new();
    fs_err::write(scene.path("secret"), "secret").unwrap();
    for target in ["../secret", "/etc/passwd"] {
        let error = scene
            .extract(
                "archive.tar.gz",
                &gzip(&raw_tar(&[file("ok", "x"), hard_link("h", target)])),
            )
            .unwrap_err();
        assert!(
            matches!(&error, ExtractError::HardLinkEscape { entry, target: t } if entry == Path::new("h") && t == Path::new(target)),
            "{error}"
        );
        fs_err::remove_file(scene.path("archive.tar.gz")).unwrap();
    }
    fs_err::remove_file(scene.path("secret")).unwrap();
    scene.assert_untouched();

    // A hard link must name a file the archive already wrote, reached without links.
    let scene = Scene::new();
    let error = scene
        .extract(
            "archive.tar.gz",
            &gzip(&raw_tar(&[hard_link("h", "missing")])),
        )
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::HardLinkTarget { .. }),
        "{error}"
    );
    scene.assert_untouched();
    let entries = [
        file("real/f", "x"),
        symlink("l", "real"),
        hard_link("h", "l/f"),
    ];
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&entries)))
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::HardLinkTarget { .. }),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_devices_and_fifos() {
    let scene = Scene::new();
    let fifo = Raw {
        name: b"pipe",
        kind: EntryType::Fifo,
        data: b"",
        link: b"",
        mode: 0o644,
    };
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&[fifo])))
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::Special { kind: "fifo", .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "refusing entry `pipe`: fifo entries are not extracted"
    );
    let device = Raw {
        name: b"sda",
        kind: EntryType::Block,
        data: b"",
        link: b"",
        mode: 0o644,
    };
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&[device])))
        .unwrap_err();
    assert!(
        matches!(
            error,
            ExtractError::Special {
                kind: "block device",
                ..
            }
        ),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_zip_parent_dir_and_absolute_names() {
    let scene = Scene::new();
    let bytes = zip_archive(&[
        ZipEntry::File("ok.txt", "x", 0o644),
        ZipEntry::File("../canary/evil", "pwned", 0o644),
    ]);
    let error = scene.extract("archive.zip", &bytes).unwrap_err();
    assert!(
        matches!(&error, ExtractError::ParentDir { entry } if entry == Path::new("../canary/evil")),
        "{error}"
    );
    scene.assert_untouched();

    let backslashes = zip_archive(&[ZipEntry::File("..\\canary\\evil", "pwned", 0o644)]);
    let error = scene.extract("archive.zip", &backslashes).unwrap_err();
    assert!(matches!(error, ExtractError::ParentDir { .. }), "{error}");
    scene.assert_untouched();

    let name = format!("{}/evil", scene.canary().display());
    let error = scene
        .extract(
            "archive.zip",
            &zip_archive(&[ZipEntry::File(&name, "pwned", 0o644)]),
        )
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::AbsolutePath { .. }),
        "{error}"
    );
    scene.assert_untouched();

    let bytes = zip_archive(&[
        ZipEntry::Symlink("link", "../canary"),
        ZipEntry::File("link/evil", "pwned", 0o644),
    ]);
    let error = scene.extract("archive.zip", &bytes).unwrap_err();
    assert!(
        matches!(error, ExtractError::SymlinkEscape { .. }),
        "{error}"
    );
    scene.assert_untouched();
}

#[test]
fn refuses_existing_destination_and_unknown_formats() {
    let scene = Scene::new();
    fs_err::create_dir(scene.out()).unwrap();
    let error = scene
        .extract("archive.tar.gz", &gzip(&raw_tar(&[file("a", "b")])))
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::DestinationExists { .. }),
        "{error}"
    );
    fs_err::remove_dir(scene.out()).unwrap();

    let error = scene
        .extract("archive.bin", b"not an archive at all")
        .unwrap_err();
    assert!(
        matches!(error, ExtractError::UnknownFormat { .. }),
        "{error}"
    );
    let error = scene.extract("archive.tar.gz", b"not gzip").unwrap_err();
    assert!(matches!(error, ExtractError::Read { .. }), "{error}");
    scene.assert_untouched();
}

// --- round trips ----------------------------------------------------------------------

/// A realistic sdist: top folder, executable script, nested file, in-tree links, and a name
/// longer than the 100 bytes a plain tar header holds.
fn good_tar() -> Vec<u8> {
    let long = format!("pkg-1.0/{}/deep.txt", "d".repeat(120));
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, kind: EntryType, data: &[u8], mode: u32, link: Option<&str>| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(1_234_567_890);
        match link {
            Some(target) => builder.append_link(&mut header, path, target).unwrap(),
            None => builder.append_data(&mut header, path, data).unwrap(),
        }
    };
    add("pkg-1.0/", EntryType::Directory, b"", 0o755, None);
    add(
        "pkg-1.0/README",
        EntryType::Regular,
        b"read me",
        0o664,
        None,
    );
    add(
        "pkg-1.0/configure",
        EntryType::Regular,
        b"#!/bin/sh\n",
        0o775,
        None,
    );
    add(
        "pkg-1.0/src/a.c",
        EntryType::Regular,
        b"int a;",
        0o600,
        None,
    );
    add(&long, EntryType::Regular, b"deep", 0o644, None);
    add(
        "pkg-1.0/link",
        EntryType::Symlink,
        b"",
        0o777,
        Some("README"),
    );
    add(
        "pkg-1.0/src/up",
        EntryType::Symlink,
        b"",
        0o777,
        Some("../configure"),
    );
    add(
        "pkg-1.0/hard",
        EntryType::Link,
        b"",
        0o644,
        Some("pkg-1.0/configure"),
    );
    builder.into_inner().unwrap()
}

fn check_good_tree(out: &Path) {
    let root = out.join("pkg-1.0");
    assert_eq!(
        fs_err::read_to_string(root.join("README")).unwrap(),
        "read me"
    );
    assert_eq!(mode(&root.join("README")), 0o644);
    assert_eq!(mode(&root.join("configure")), 0o755);
    assert_eq!(mode(&root.join("src/a.c")), 0o644);
    assert_eq!(mode(out), 0o755);
    assert_eq!(
        fs_err::read_link(root.join("link")).unwrap(),
        Path::new("README")
    );
    assert_eq!(
        fs_err::read_to_string(root.join("src/up")).unwrap(),
        "#!/bin/sh\n"
    );
    assert_eq!(
        fs_err::read_to_string(root.join("hard")).unwrap(),
        "#!/bin/sh\n"
    );
    assert_eq!(mode(&root.join("hard")), 0o755);
    let deep = root.join("d".repeat(120)).join("deep.txt");
    assert_eq!(fs_err::read_to_string(deep).unwrap(), "deep");
    let modified = fs_err::metadata(root.join("README"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        modified,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890),
        "times are kept"
    );
}

#[test]
fn round_trips_tar_formats() {
    let tar = good_tar();
    for (name, bytes) in [
        ("archive.tar.gz", gzip(&tar)),
        ("archive.tgz", gzip(&tar)),
        ("archive.tar.bz2", bzip(&tar)),
        ("archive.tar.xz", xz(&tar)),
        ("archive.tar", tar.clone()),
        // No telling extension: found by magic bytes.
        ("archive-gz", gzip(&tar)),
        ("archive-bz2", bzip(&tar)),
        ("archive-xz", xz(&tar)),
        ("archive-plain", tar.clone()),
    ] {
        let scene = Scene::new();
        scene
            .extract(name, &bytes)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        check_good_tree(&scene.out());
        let left: Vec<_> = fs_err::read_dir(scene.dir.path()).unwrap().collect();
        assert_eq!(left.len(), 3, "{name}: only archive, canary and out remain");
    }
}

#[test]
fn round_trips_zip() {
    let bytes = zip_archive(&[
        ZipEntry::Dir("pkg-1.0/"),
        ZipEntry::File("pkg-1.0/README", "read me", 0o644),
        ZipEntry::File("pkg-1.0/configure", "#!/bin/sh\n", 0o755),
        ZipEntry::File("pkg-1.0/src/a.c", "int a;", 0o600),
        ZipEntry::Symlink("pkg-1.0/link", "README"),
    ]);
    for name in ["archive.zip", "archive-zip"] {
        let scene = Scene::new();
        scene.extract(name, &bytes).unwrap();
        let root = scene.out().join("pkg-1.0");
        assert_eq!(
            fs_err::read_to_string(root.join("README")).unwrap(),
            "read me"
        );
        assert_eq!(mode(&root.join("configure")), 0o755);
        assert_eq!(mode(&root.join("src/a.c")), 0o644);
        assert_eq!(
            fs_err::read_link(root.join("link")).unwrap(),
            Path::new("README")
        );
    }
}

#[test]
fn converts_zip_times() {
    assert_eq!(unix_time(1970, 1, 1, 0, 0, 0), Some(0));
    assert_eq!(unix_time(2009, 2, 13, 23, 31, 30), Some(1_234_567_890));
    assert_eq!(unix_time(2024, 2, 29, 12, 0, 0), Some(1_709_208_000));
    assert_eq!(unix_time(2024, 13, 1, 0, 0, 0), None);
}

#[test]
fn later_entries_replace_earlier_files() {
    let scene = Scene::new();
    scene
        .extract(
            "archive.tar",
            &raw_tar(&[
                file("a", "first"),
                file("a", "second"),
                symlink("l", "a"),
                file("l", "plain"),
            ]),
        )
        .unwrap();
    assert_eq!(
        fs_err::read_to_string(scene.out().join("a")).unwrap(),
        "second"
    );
    assert!(
        fs_err::symlink_metadata(scene.out().join("l"))
            .unwrap()
            .is_file()
    );
    assert_eq!(
        fs_err::read_to_string(scene.out().join("a")).unwrap(),
        "second",
        "the link was replaced, not followed"
    );
}
