//! Issue 25: nothing outside its folders. Each test builds a sandbox (a project, a cache and
//! a folder "outside" holding a sentinel file) in a temporary folder, runs `kiln` on it, and
//! asserts the refusal and that the sentinel, and everything else outside, is untouched.
//!
//! None of these needs the toolchain root. As a safety net, `PATH` holds no `apt-get`: a
//! regression that reached the toolchain install would stop at "needs a Debian-like host"
//! instead of starting debootstrap.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{kiln, project_dir, text, write};

/// A project (copied pin, ABI file and one recipe), a cache, and an outside folder with a
/// sentinel.
/// The project's platform file, relative to a project folder.
const PLATFORM_FILE: &str = "platforms/pyemscripten_2026_5.toml";

struct Sandbox {
    _temp: tempfile::TempDir,
    root: PathBuf,
    project: PathBuf,
    cache: PathBuf,
    outside: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let temp = tempfile::tempdir().expect("temporary folder");
        let root = temp.path().to_path_buf();
        let project = root.join("project");
        let cache = root.join("cache");
        let outside = root.join("outside");
        for dir in [project.join("platforms"), cache.clone(), outside.clone()] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::copy(
            project_dir().join(PLATFORM_FILE),
            project.join(PLATFORM_FILE),
        )
        .unwrap();
        let recipe = project.join("recipes/hello-path");
        std::fs::create_dir_all(recipe.join("src")).unwrap();
        let good = project_dir().join("tests/data/recipes/good/hello-path");
        for file in ["recipe.toml", "src/pyproject.toml"] {
            std::fs::copy(good.join(file), recipe.join(file)).unwrap();
        }
        write(&outside.join("sentinel"), "keep");
        Self {
            _temp: temp,
            root,
            project,
            cache,
            outside,
        }
    }

    /// `kiln` in the project, with the sandbox's cache and no `apt-get` on `PATH`.
    fn kiln(&self) -> Command {
        let mut command = kiln();
        command
            .current_dir(&self.project)
            .env("KILN_PROJECT_DIR", &self.project)
            .env("KILN_CACHE_DIR", &self.cache)
            .env("PATH", "/nonexistent")
            .env_remove("KILN_TOOLCHAIN")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        command
    }

    /// Every file and folder under the sandbox except the project's `.kiln` and the cache,
    /// with file contents: what must not change.
    fn outside_state(&self) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        let mut state = Vec::new();
        walk(
            &self.root,
            &mut state,
            &[self.project.join(".kiln"), self.cache.clone()],
        );
        state
    }

    fn assert_sentinel(&self) {
        assert_eq!(
            std::fs::read_to_string(self.outside.join("sentinel")).unwrap(),
            "keep"
        );
    }
}

fn walk(dir: &Path, state: &mut Vec<(PathBuf, Option<Vec<u8>>)>, skip: &[PathBuf]) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if skip.contains(&path) {
            continue;
        }
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        if metadata.is_dir() {
            state.push((path.clone(), None));
            walk(&path, state, skip);
        } else if metadata.is_file() {
            state.push((path.clone(), Some(std::fs::read(&path).unwrap())));
        } else {
            state.push((path, None));
        }
    }
}

/// Runs `command`, failing the test if it has not finished within `limit` (a FIFO or
/// `/dev/zero` read would block or run forever).
fn run_within(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kiln starts");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    eprintln!(
        "$ {command:?}\n--- stdout\n{}--- stderr\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

fn run(command: &mut Command) -> Output {
    run_within(command, Duration::from_secs(60))
}

/// Exit code 1 (refused, not crashed) and the stderr.
fn refused(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("crashed"), "{stderr}");
    stderr
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn issue_25_clean_refuses_a_path_and_removes_only_work_folders() {
    let sandbox = Sandbox::new();
    let build = sandbox.project.join(".kiln/build");
    std::fs::create_dir_all(build.join("hello-path/src")).unwrap();
    std::fs::create_dir_all(build.join("zlib")).unwrap();
    // A link inside a work folder to the outside: removing the folder removes the link only.
    std::os::unix::fs::symlink(&sandbox.outside, build.join("hello-path/src/out")).unwrap();
    let before = sandbox.outside_state();

    for path in [
        sandbox.outside.display().to_string(),
        "../outside".to_string(),
        "..".to_string(),
        "".to_string(),
    ] {
        let stderr = refused(&run(sandbox.kiln().args(["clean", "zlib"]).arg(&path)));
        assert!(stderr.contains("is not a recipe name"), "{stderr}");
        assert!(
            build.join("zlib").is_dir(),
            "nothing is removed when one name is bad"
        );
    }
    assert_eq!(sandbox.outside_state(), before);

    let output = run(sandbox.kiln().args(["clean", "Hello_Path"]));
    assert!(output.status.success());
    assert!(!build.join("hello-path").exists());
    assert!(build.join("zlib").is_dir());
    let output = run(sandbox.kiln().arg("clean"));
    assert!(output.status.success());
    assert!(!build.join("zlib").exists());
    assert_eq!(sandbox.outside_state(), before);
    sandbox.assert_sentinel();
}

#[test]
fn issue_25_build_with_a_path_as_its_name_writes_nothing() {
    let sandbox = Sandbox::new();
    let source = sandbox.root.join("pkg");
    std::fs::create_dir_all(&source).unwrap();
    let target = sandbox.outside.join("planted");
    write(
        &source.join("pyproject.toml"),
        &format!(
            "[project]\nname = \"{}\"\nversion = \"1.0\"\n",
            target.display()
        ),
    );
    let before = sandbox.outside_state();
    let stderr = refused(&run(sandbox.kiln().arg("build").arg(&source)));
    assert!(stderr.contains("is not a package name"), "{stderr}");
    assert!(!target.exists());
    assert!(!sandbox.project.join(".kiln/oot").exists());

    write(
        &source.join("pyproject.toml"),
        "[project]\nname = \"pkg\"\nversion = \"1.0/../../x\"\n",
    );
    let stderr = refused(&run(sandbox.kiln().arg("build").arg(&source)));
    assert!(stderr.contains("is not a PEP 440 version"), "{stderr}");
    let stderr = refused(&run(sandbox.kiln().args(["build", "../../x==1.0"])));
    assert!(stderr.contains("is not a package name"), "{stderr}");
    assert!(!sandbox.project.join(".kiln/oot").exists());
    assert_eq!(sandbox.outside_state(), {
        let mut expected = before;
        // Only the source's own pyproject.toml changed (rewritten above).
        for (path, contents) in &mut expected {
            if path.ends_with("pkg/pyproject.toml") {
                *contents = Some(std::fs::read(path).unwrap());
            }
        }
        expected
    });
    sandbox.assert_sentinel();
}

/// A finished-looking cache entry whose `artifact.json` says `name` and `key`.
fn plant_entry(cache: &Path, folder: &str, key_folder: &str, name: &str, key: &str) {
    let dir = cache.join("builds-v0").join(folder).join(key_folder);
    std::fs::create_dir_all(dir.join("prefix")).unwrap();
    let info = serde_json::json!({
        "name": name, "version": "1", "kind": "package", "key": key, "build_seconds": 1.0
    });
    write(&dir.join("artifact.json"), &info.to_string());
}

#[test]
fn issue_25_cache_prune_and_list_trust_no_artifact_json() {
    let sandbox = Sandbox::new();
    let key = "a".repeat(64);
    // `builds-v0/../../outside` is the sandbox's outside folder: the old `prune` removed
    // `outside/<key>`.
    let victim = sandbox.outside.join(&key);
    std::fs::create_dir_all(&victim).unwrap();
    write(&victim.join("sentinel"), "keep");
    plant_entry(&sandbox.cache, "zlib", &key, "../../outside", &key);
    // A multi-byte key: `cache list` sliced it at byte 12 and panicked.
    plant_entry(&sandbox.cache, "numpy", &key, "numpy", &"é".repeat(40));
    plant_entry(&sandbox.cache, "six", &key, "six", &key);
    let before = sandbox.outside_state();

    let output = run(sandbox.kiln().args(["cache", "list"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("six"), "{stdout}");
    assert!(
        !stdout.contains("numpy") && !stdout.contains("outside"),
        "{stdout}"
    );

    let output = run(sandbox.kiln().args(["cache", "prune"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!sandbox.cache.join("builds-v0/six").join(&key).exists());
    assert_eq!(sandbox.outside_state(), before);
    assert_eq!(
        std::fs::read_to_string(victim.join("sentinel")).unwrap(),
        "keep"
    );
}

#[test]
fn issue_25_pin_values_are_refused_with_file_and_field() {
    let sandbox = Sandbox::new();
    let pin = sandbox.project.join(PLATFORM_FILE);
    let original = std::fs::read_to_string(&pin).unwrap();
    for (from, to, field) in [
        (
            "suite = \"forky\"",
            "suite = \"../../../../tmp/x\"",
            "root.suite",
        ),
        ("\"emscripten\", ", "\"a,b\", ", "root.packages[0]"),
        (
            "variant = \"minbase\"",
            "variant = \"minbase --foreign\"",
            "root.variant",
        ),
    ] {
        assert!(original.contains(from), "{from}");
        write(&pin, &original.replace(from, to));
        let stderr = refused(&run(sandbox.kiln().args(["config", "list"])));
        assert!(stderr.contains(&format!("`{field}` must be")), "{stderr}");
        assert!(stderr.contains(PLATFORM_FILE), "{stderr}");
        // build-recipes refuses it before installing anything.
        let stderr = refused(&run(sandbox.kiln().args(["build-recipes", "hello-path"])));
        assert!(stderr.contains(&format!("`{field}` must be")), "{stderr}");
        assert!(!sandbox.cache.join("toolchains-v0").exists());
    }
    sandbox.assert_sentinel();
}

#[test]
fn issue_25_a_fifo_or_dev_zero_input_is_refused_without_blocking() {
    let sandbox = Sandbox::new();
    let limit = Duration::from_secs(20);
    let platform = sandbox.project.join(PLATFORM_FILE);

    std::fs::remove_file(&platform).unwrap();
    mkfifo(&platform);
    let stderr = refused(&run_within(sandbox.kiln().args(["config", "list"]), limit));
    assert!(stderr.contains("named pipe"), "{stderr}");

    std::fs::remove_file(&platform).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &platform).unwrap();
    let stderr = refused(&run_within(
        sandbox.kiln().args(["build-recipes", "hello-path"]),
        limit,
    ));
    assert!(stderr.contains("cannot read the platform file"), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert!(!sandbox.cache.join("toolchains-v0").exists());
    std::fs::remove_file(&platform).unwrap();
    std::fs::copy(project_dir().join(PLATFORM_FILE), &platform).unwrap();

    // A recipe that is a FIFO, and one that links to a file outside its folder: refused,
    // unread, so none of that file's lines is printed.
    let recipe = sandbox.project.join("recipes/hello-path/recipe.toml");
    std::fs::remove_file(&recipe).unwrap();
    mkfifo(&recipe);
    let stderr = refused(&run_within(sandbox.kiln().args(["recipe", "check"]), limit));
    assert!(stderr.contains("named pipe"), "{stderr}");
    std::fs::remove_file(&recipe).unwrap();
    write(
        &sandbox.outside.join("secret.toml"),
        "[package]\nname = \"SECRET-LINE\"\n",
    );
    std::os::unix::fs::symlink(sandbox.outside.join("secret.toml"), &recipe).unwrap();
    let stderr = refused(&run_within(sandbox.kiln().args(["recipe", "check"]), limit));
    assert!(stderr.contains("refusing to read the recipe"), "{stderr}");
    assert!(!stderr.contains("SECRET-LINE"), "{stderr}");
    sandbox.assert_sentinel();
}

#[test]
fn issue_25_an_invalid_selection_installs_nothing() {
    let sandbox = Sandbox::new();
    for (pattern, message) in [
        ("!", "names no recipe and no tag"),
        ("tag:", "names no recipe and no tag"),
        ("nope", "no recipe named `nope`"),
        ("tag:nothing-has-this", "nothing selected by"),
    ] {
        let stderr = refused(&run(sandbox.kiln().args(["build-recipes", pattern])));
        assert!(stderr.contains(message), "{pattern}: {stderr}");
        assert!(!stderr.contains("toolchain"), "{pattern}: {stderr}");
        assert!(!sandbox.cache.join("toolchains-v0").exists());
    }
    sandbox.assert_sentinel();
}

#[test]
fn issue_25_recipe_paths_stay_inside_and_long_lines_print() {
    let sandbox = Sandbox::new();
    let recipe = sandbox.project.join("recipes/hello-path/recipe.toml");
    let original = std::fs::read_to_string(&recipe).unwrap();
    for (from, to, message) in [
        (
            "path = \"src\"",
            "path = \"../../../outside\"",
            "goes up with `..`",
        ),
        ("path = \"src\"", "path = \"/etc\"", "is absolute"),
        (
            "version = \"0.1.0\"",
            "version = \"1.0/../x\"",
            "expected a PEP 440 version",
        ),
    ] {
        write(&recipe, &original.replace(from, to));
        let stderr = refused(&run(sandbox.kiln().args(["recipe", "check"])));
        assert!(stderr.contains(message), "{stderr}");
    }
    // An error past column 65,536 crashed the printer.
    let flags = "\"-O2\", ".repeat(14_000);
    write(
        &recipe,
        &format!("{original}cflags = [{flags}\"-O2 -g\"]\n"),
    );
    let stderr = refused(&run(sandbox.kiln().args(["recipe", "check"])));
    assert!(stderr.contains("build.cflags[14000]"), "{stderr}");
    sandbox.assert_sentinel();
}
