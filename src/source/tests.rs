//! Tests of the whole flow over local files: `file://` URLs and a local index stand in for
//! the network (live network tests are not unit tests).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::config::Overrides;
use crate::recipe::{About, Build, Extra, Package, Requirements, Source, Test};

struct Env {
    dir: tempfile::TempDir,
    settings: Settings,
}

impl Env {
    fn new() -> Self {
        Self::with_index(None)
    }

    fn with_index(index: Option<String>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache").display().to_string();
        let settings =
            Settings::from_lookup(Overrides::default(), dir.path(), &|name| match name {
                "KILN_CACHE_DIR" => Some(cache.clone()),
                "KILN_INDEX_URL" => index.clone(),
                _ => None,
            });
        Self { dir, settings }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn ctx(&self) -> FetchContext<'_> {
        FetchContext {
            settings: &self.settings,
            toolchain: None,
            log: self.path("logs/recipe.log"),
        }
    }

    /// Everything in the source cache except its tag and lock files.
    fn cache_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = match fs_err::read_dir(self.settings.sources_dir()) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.retain(|name| name != "CACHEDIR.TAG" && name != ".locks");
        names.sort();
        names
    }
}

/// A small sdist-like `.tar.gz` with one top-level folder.
fn sdist(top: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_000_000_000);
        builder
            .append_data(&mut header, format!("{top}/{name}"), content.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn recipe(spec: SourceSpec, patches: Vec<PathBuf>, extras: Vec<Extra>, dir: &Path) -> Recipe {
    Recipe {
        path: dir.join("recipe.toml"),
        dir: dir.to_path_buf(),
        package: Package {
            name: "demo".into(),
            version: "1.0".into(),
            top_level: vec!["demo".into()],
            tags: vec![],
        },
        source: Source {
            spec,
            patches,
            extras,
        },
        build: Build::default(),
        requirements: Requirements::default(),
        test: Test::default(),
        about: About::default(),
        places: Default::default(),
    }
}

#[test]
fn fetches_verifies_and_caches_by_hash() {
    let env = Env::new();
    let bytes = sdist("demo-1.0", &[("setup.py", "print()")]);
    let archive = env.path("demo-1.0.tar.gz");
    fs_err::write(&archive, &bytes).unwrap();
    let sha256 = Sha256::of_bytes(&bytes);
    let spec = SourceSpec::Url {
        url: file_url(&archive),
        sha256,
    };

    let first = fetch(&spec, &env.ctx()).unwrap();
    assert!(!first.from_cache);
    assert_eq!(first.sha256, sha256);
    assert_eq!(
        first.path,
        env.settings
            .sources_dir()
            .join(sha256.to_string())
            .join("demo-1.0.tar.gz")
    );
    assert_eq!(fs_err::read(&first.path).unwrap(), bytes);
    assert!(env.settings.sources_dir().join("CACHEDIR.TAG").is_file());
    assert_eq!(
        env.cache_entries(),
        [sha256.to_string()],
        "no staging folder left"
    );

    // The URL is gone: the hash alone finds the file, without reading the URL.
    fs_err::remove_file(&archive).unwrap();
    let second = fetch(&spec, &env.ctx()).unwrap();
    assert_eq!(
        second,
        Fetched {
            from_cache: true,
            ..first.clone()
        }
    );

    // A different URL with the same hash is the same source.
    let elsewhere = SourceSpec::Url {
        url: "https://nowhere.invalid/x.tar.gz".into(),
        sha256,
    };
    assert!(fetch(&elsewhere, &env.ctx()).unwrap().from_cache);
}

#[test]
fn hash_mismatch_shows_both_digests_and_keeps_nothing() {
    let env = Env::new();
    let archive = env.path("demo-1.0.tar.gz");
    fs_err::write(&archive, b"the real bytes").unwrap();
    let expected = Sha256::of_bytes(b"other bytes");
    let actual = Sha256::of_bytes(b"the real bytes");
    let url = file_url(&archive);

    let error = fetch(
        &SourceSpec::Url {
            url: url.clone(),
            sha256: expected,
        },
        &env.ctx(),
    )
    .unwrap_err();
    match &error {
        SourceError::HashMismatch {
            origin,
            expected: e,
            actual: a,
        } => {
            assert_eq!((e, a), (&expected, &actual));
            assert_eq!(**origin, Origin::Url { url: url.clone() });
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!("sha256 mismatch for `{url}`\n  expected: {expected}\n  actual:   {actual}")
    );
    assert!(
        env.cache_entries().is_empty(),
        "cache holds {:?}",
        env.cache_entries()
    );
}

#[test]
fn refuses_unknown_url_schemes_and_reports_missing_files() {
    let env = Env::new();
    let sha256 = Sha256::of_bytes(b"x");
    let error = fetch(
        &SourceSpec::Url {
            url: "ftp://h.invalid/x.tgz".into(),
            sha256,
        },
        &env.ctx(),
    )
    .unwrap_err();
    assert!(
        matches!(error, SourceError::UnsupportedUrl { .. }),
        "{error}"
    );
    let missing = env.path("missing.tar.gz");
    let error = fetch(
        &SourceSpec::Url {
            url: file_url(&missing),
            sha256,
        },
        &env.ctx(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, SourceError::Read { path, .. } if path == &missing),
        "{error}"
    );
    assert!(env.cache_entries().is_empty());
}

#[test]
fn debian_sources_need_the_toolchain() {
    let env = Env::new();
    let spec = SourceSpec::Debian {
        package: "zlib".into(),
        version: "1.3".into(),
        sha256: Sha256::of_bytes(b"z"),
    };
    let error = fetch(&spec, &env.ctx()).unwrap_err();
    assert!(
        matches!(error, SourceError::ToolchainRequired { .. }),
        "{error}"
    );
    assert_eq!(
        error.hint().as_deref(),
        Some("Run `kiln toolchain install`")
    );
}

/// A PEP 503 index on disk (`<root>/<project>/index.html`), as pip reads `file://` indexes.
#[test]
fn fetches_a_pypi_sdist_through_a_local_index() {
    let bytes = sdist("Demo_Pkg-1.0", &[("setup.py", "print()")]);
    let sha256 = Sha256::of_bytes(&bytes);
    let index_dir = tempfile::tempdir().unwrap();
    let files = index_dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    fs_err::write(files.join("Demo_Pkg-1.0.tar.gz"), &bytes).unwrap();
    fs_err::write(files.join("Demo_Pkg-0.9.tar.gz"), b"old").unwrap();
    let page = index_dir.path().join("simple/demo-pkg");
    fs_err::create_dir_all(&page).unwrap();
    fs_err::write(
        page.join("index.html"),
        format!(
            "<html><body>\n<a href=\"../../files/Demo_Pkg-0.9.tar.gz\">Demo_Pkg-0.9.tar.gz</a>\n\
             <a href=\"../../files/Demo_Pkg-1.0.tar.gz#sha256={sha256}\">Demo_Pkg-1.0.tar.gz</a>\n</body></html>"
        ),
    )
    .unwrap();
    let env = Env::with_index(Some(file_url(&index_dir.path().join("simple"))));
    let spec = SourceSpec::Pypi {
        name: "demo.pkg".into(),
        version: "1.0".into(),
        sha256,
    };
    let fetched = fetch(&spec, &env.ctx()).unwrap();
    assert_eq!(fetched.path.file_name().unwrap(), "Demo_Pkg-1.0.tar.gz");
    assert_eq!(fs_err::read(&fetched.path).unwrap(), bytes);

    // An index that lists another digest is refused before downloading.
    let wrong = Sha256::of_bytes(b"wrong");
    let spec = SourceSpec::Pypi {
        name: "demo-pkg".into(),
        version: "1.0".into(),
        sha256: wrong,
    };
    let error = fetch(&spec, &env.ctx()).unwrap_err();
    assert!(
        matches!(error, SourceError::IndexHashMismatch { .. }),
        "{error}"
    );

    let spec = SourceSpec::Pypi {
        name: "demo-pkg".into(),
        version: "2.0".into(),
        sha256: wrong,
    };
    let error = fetch(&spec, &env.ctx()).unwrap_err();
    assert!(
        matches!(&error, SourceError::SdistNotFound { found, .. } if found.is_empty()),
        "{error}"
    );
}

#[test]
fn prepare_strips_the_top_folder_patches_and_copies_extras() {
    let env = Env::new();
    let bytes = sdist(
        "demo-1.0",
        &[
            ("hello.c", "int main(void) { return 1; }\n"),
            ("README", "x\n"),
        ],
    );
    let archive = env.path("demo-1.0.tar.gz");
    fs_err::write(&archive, &bytes).unwrap();
    let recipe_dir = env.path("recipes/demo");
    fs_err::create_dir_all(recipe_dir.join("extras/sub")).unwrap();
    let patch = recipe_dir.join("0001-return-zero.patch");
    fs_err::write(
        &patch,
        "--- a/hello.c\n+++ b/hello.c\n@@ -1 +1 @@\n-int main(void) { return 1; }\n+int main(void) { return 0; }\n",
    )
    .unwrap();
    fs_err::write(recipe_dir.join("extras/config.h"), "#define X 1\n").unwrap();
    fs_err::write(recipe_dir.join("extras/sub/more.txt"), "more\n").unwrap();
    let extras = vec![
        Extra {
            from: recipe_dir.join("extras/config.h"),
            to: "include/config.h".into(),
        },
        Extra {
            from: recipe_dir.join("extras/sub"),
            to: "sub".into(),
        },
    ];
    let spec = SourceSpec::Url {
        url: file_url(&archive),
        sha256: Sha256::of_bytes(&bytes),
    };
    let recipe = recipe(spec, vec![patch.clone()], extras, &recipe_dir);
    let work = env.path("build/demo");

    let root = prepare(&recipe, &env.ctx(), &work).unwrap();
    assert_eq!(root, work.join("src"));
    assert_eq!(
        fs_err::read_to_string(root.join("hello.c")).unwrap(),
        "int main(void) { return 0; }\n"
    );
    assert_eq!(
        fs_err::read_to_string(root.join("include/config.h")).unwrap(),
        "#define X 1\n"
    );
    assert_eq!(
        fs_err::read_to_string(root.join("sub/more.txt")).unwrap(),
        "more\n"
    );
    let mut left: Vec<_> = fs_err::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["src"], "no staging folder left");
    let log = fs_err::read_to_string(env.path("logs/recipe.log")).unwrap();
    assert!(log.contains("patch -p1 --batch --forward"), "{log}");

    // Preparing again starts from scratch (the patch would not apply twice).
    fs_err::write(root.join("stray"), "x").unwrap();
    let root = prepare(&recipe, &env.ctx(), &work).unwrap();
    assert!(!root.join("stray").exists());

    // A patch that does not apply names itself and the log.
    let mut file = fs_err::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&patch)
        .unwrap();
    file.write_all(b"--- a/hello.c\n+++ b/hello.c\n@@ -1 +1 @@\n-nothing like this\n+x\n")
        .unwrap();
    let error = prepare(&recipe, &env.ctx(), &work).unwrap_err();
    assert!(
        matches!(&error, SourceError::Patch { patch: p, .. } if p == &patch),
        "{error}"
    );
    assert!(error.to_string().contains("recipe.log"), "{error}");
}

#[test]
fn prepare_keeps_archives_with_several_top_entries_whole() {
    let env = Env::new();
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for name in ["a.txt", "b/c.txt"] {
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, &b"x"[..]).unwrap();
    }
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    let archive = env.path("flat.tar.gz");
    fs_err::write(&archive, &bytes).unwrap();
    let spec = SourceSpec::Url {
        url: file_url(&archive),
        sha256: Sha256::of_bytes(&bytes),
    };
    let recipe = recipe(spec, vec![], vec![], env.dir.path());
    let root = prepare(&recipe, &env.ctx(), &env.path("work")).unwrap();
    assert!(root.join("a.txt").is_file() && root.join("b/c.txt").is_file());
}

#[test]
fn prepare_copies_path_sources_and_refuses_escaping_extras() {
    let env = Env::new();
    let tree = env.path("in-tree");
    fs_err::create_dir_all(tree.join("pkg")).unwrap();
    fs_err::write(tree.join("pkg/run.sh"), "#!/bin/sh\n").unwrap();
    fs_err::set_permissions(
        tree.join("pkg/run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let spec = SourceSpec::Path { path: tree.clone() };

    let fetched = fetch(&spec, &env.ctx()).unwrap();
    assert_eq!(fetched.path, tree);
    assert_eq!(fetched.sha256, hash_tree(&tree).unwrap());
    assert!(
        env.cache_entries().is_empty(),
        "a path source is not cached"
    );

    let recipe = recipe(spec.clone(), vec![], vec![], env.dir.path());
    let root = prepare(&recipe, &env.ctx(), &env.path("work")).unwrap();
    let mode = fs_err::metadata(root.join("pkg/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);

    let escaping = vec![Extra {
        from: tree.join("pkg/run.sh"),
        to: "../outside.sh".into(),
    }];
    let recipe = super::tests::recipe(spec.clone(), vec![], escaping, env.dir.path());
    let error = prepare(&recipe, &env.ctx(), &env.path("work")).unwrap_err();
    assert!(
        matches!(error, SourceError::ExtraOutsideTree { .. }),
        "{error}"
    );
    assert!(!env.path("work/outside.sh").exists());

    // Issue 25: a link in the source tree does not take an extra out of it.
    let outside = env.path("outside");
    fs_err::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, tree.join("out")).unwrap();
    let through_link = vec![Extra {
        from: tree.join("pkg/run.sh"),
        to: "out/planted.sh".into(),
    }];
    let recipe = super::tests::recipe(spec, vec![], through_link, env.dir.path());
    let error = prepare(&recipe, &env.ctx(), &env.path("work")).unwrap_err();
    assert!(
        matches!(error, SourceError::ExtraOutsideTree { .. }),
        "{error}"
    );
    assert!(!outside.join("planted.sh").exists());
}

#[test]
fn refused_archives_surface_as_extract_errors() {
    let env = Env::new();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..8].copy_from_slice(b"../evil\0");
    header.set_size(1);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append(&header, &b"x"[..]).unwrap();
    let bytes = builder.into_inner().unwrap();
    let archive = env.path("evil.tar");
    fs_err::write(&archive, &bytes).unwrap();
    let spec = SourceSpec::Url {
        url: file_url(&archive),
        sha256: Sha256::of_bytes(&bytes),
    };
    let recipe = recipe(spec, vec![], vec![], env.dir.path());
    let error = prepare(&recipe, &env.ctx(), &env.path("work")).unwrap_err();
    assert!(
        matches!(
            &error,
            SourceError::Extract {
                source: ExtractError::ParentDir { .. },
                ..
            }
        ),
        "{error}"
    );
    assert!(!env.path("evil").exists() && !env.path("work/src").exists());
}

#[test]
fn concurrent_fetches_of_one_source_all_succeed() {
    let env = Env::new();
    let bytes = sdist("demo-1.0", &[("big", &"x".repeat(1 << 20))]);
    let archive = env.path("demo-1.0.tar.gz");
    fs_err::write(&archive, &bytes).unwrap();
    let sha256 = Sha256::of_bytes(&bytes);
    let spec = SourceSpec::Url {
        url: file_url(&archive),
        sha256,
    };
    let results: Vec<Fetched> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| fetch(&spec, &env.ctx()).unwrap()))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(results.iter().all(|fetched| fetched.sha256 == sha256));
    assert!(results.iter().filter(|fetched| !fetched.from_cache).count() <= 1);
    assert_eq!(env.cache_entries(), [sha256.to_string()]);
    assert_eq!(fs_err::read(&results[0].path).unwrap(), bytes);
}

#[test]
fn cache_tag_is_written_once_and_readable() {
    let env = Env::new();
    let archive = env.path("a.tar.gz");
    let bytes = sdist("a", &[("f", "x")]);
    fs_err::write(&archive, &bytes).unwrap();
    let spec = SourceSpec::Url {
        url: file_url(&archive),
        sha256: Sha256::of_bytes(&bytes),
    };
    fetch(&spec, &env.ctx()).unwrap();
    let tag = env.settings.sources_dir().join("CACHEDIR.TAG");
    let text = fs_err::read_to_string(&tag).unwrap();
    assert!(text.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    assert_eq!(
        fs_err::metadata(&tag).unwrap().permissions().mode() & 0o777,
        0o644
    );
}
