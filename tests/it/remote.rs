//! Issue 19: the remote artifact cache against a real S3-compatible server (moto's, installed
//! from PyPI into `target/moto-venv` by the first test that needs it and started on loopback by
//! each test), shards, and a rebuild with the network cut off.
//!
//! Each test has its own cache folders (`KILN_CACHE_DIR`) but shares the toolchain root and
//! emcc's cache through `KILN_TOOLCHAIN_DIR`, so no test installs a root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::common::{kiln, project_dir, run, scratch, text, toolchain};

/// Builds here share work folders (`.kiln/build/<name>`) with the other synthetic tests.
static SERIAL: Mutex<()> = Mutex::new(());

/// The venv with `moto[server]` (and boto3, to look at and damage objects).
fn moto_venv() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = project_dir().join("target/moto-venv");
        if !venv.join("bin/moto_server").exists() {
            let made = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .unwrap();
            assert!(made.success());
            let installed = Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "moto[server]"])
                .status()
                .unwrap();
            assert!(installed.success(), "pip install moto[server]");
        }
        venv
    })
    .clone()
}

/// A moto S3 server on a free loopback port, with the bucket `kiln`; killed on drop.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    fn start() -> Self {
        let venv = moto_venv();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server.python("c.create_bucket(Bucket='kiln')");
        server
    }

    /// Runs Python with `c`, a boto3 client of this server; returns stdout.
    fn python(&self, code: &str) -> String {
        let script = format!(
            "import boto3\nc = boto3.client('s3', endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='test', aws_secret_access_key='test')\n{code}\n",
            self.endpoint
        );
        let output = Command::new(moto_venv().join("bin/python"))
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    }

    /// Every object name under `prefix`.
    fn objects(&self, prefix: &str) -> Vec<String> {
        self.python(&format!(
            "for o in c.list_objects_v2(Bucket='kiln', Prefix='{prefix}').get('Contents', []): print(o['Key'])"
        ))
        .lines()
        .map(str::to_string)
        .collect()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The toolchain folder every test shares (the user's cache, as the other tests use it).
fn shared_toolchain_dir() -> PathBuf {
    std::env::var_os("KILN_TOOLCHAIN_DIR")
        .or_else(|| std::env::var_os("KILN_CACHE_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME");
            PathBuf::from(home).join(".cache/kiln")
        })
}

/// `kiln` with its own cache folder, the shared toolchain, and the server's endpoint.
fn kiln_with(cache: &Path, server: &S3Server) -> Command {
    let mut command = kiln();
    command
        .env("KILN_CACHE_DIR", cache)
        .env("KILN_TOOLCHAIN_DIR", shared_toolchain_dir())
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1");
    command
}

/// A private copy of the synthetic recipes with fresh keys (the `touch`ed recipes).
fn synthetic(name: &str, touched: &[&str]) -> PathBuf {
    let dir = scratch(name);
    for entry in std::fs::read_dir(project_dir().join("tests/data/synthetic"))
        .unwrap()
        .flatten()
    {
        copy_tree(&entry.path(), &dir.join(entry.file_name()));
    }
    for recipe in touched {
        let path = dir.join(recipe).join("recipe.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("# {name} {:?}\n", Instant::now()));
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .unwrap()
            .success()
    );
}

/// recipe → result from the JSON summary.
fn results(output: &Output) -> BTreeMap<String, String> {
    let stdout = text(&output.stdout);
    let summary = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary event in:\n{stdout}"));
    summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["recipe"].as_str().unwrap().to_string(),
                row["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn build_recipes(command: &mut Command, recipes: &Path, args: &[&str]) -> Output {
    run(command
        .arg("--recipe-dir")
        .arg(recipes)
        .args(["--remote-cache", "s3://kiln/ci", "build-recipes", "--json"])
        .args(args))
}

/// sha256 of every file below `dir`, by relative path.
fn digests(dir: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                found.insert(relative, kiln::hash::Sha256::of_bytes(&bytes).to_string());
            }
        }
    }
    found
}

#[test]
fn push_pull_and_a_corrupted_object_is_refused() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let server = S3Server::start();
    let recipes = synthetic("remote-push-pull", &["syn-base"]);
    let caches = scratch("remote-push-pull-caches");

    let first = build_recipes(
        &mut kiln_with(&caches.join("a"), &server),
        &recipes,
        &["syn-left"],
    );
    assert!(first.status.success());
    assert_eq!(results(&first)["syn-left"], "built");
    assert_eq!(
        server.objects("ci/v0/builds/").len(),
        2,
        "both entries pushed"
    );

    let second = build_recipes(
        &mut kiln_with(&caches.join("b"), &server),
        &recipes,
        &["syn-left"],
    );
    assert!(second.status.success());
    assert_eq!(results(&second)["syn-base"], "pulled");
    assert_eq!(results(&second)["syn-left"], "pulled");
    let entry = |cache: &str| {
        let bucket = caches.join(cache).join("builds-v0/syn-left");
        let key = std::fs::read_dir(&bucket)
            .unwrap()
            .flatten()
            .find(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .unwrap()
            .path();
        digests(&key.join("prefix"))
    };
    assert_eq!(
        entry("a"),
        entry("b"),
        "the pulled prefix is the pushed one"
    );

    // Damage syn-left's blob on the server: the next pull refuses it and builds locally.
    let pointer = server
        .objects("ci/v0/builds/syn-left/")
        .pop()
        .expect("a pointer");
    let blob = server.python(&format!(
        "import json\nprint(json.loads(c.get_object(Bucket='kiln', Key='{pointer}')['Body'].read())['sha256'])"
    ));
    server.python(&format!(
        "c.put_object(Bucket='kiln', Key='ci/v0/blobs/{}.tar.zst', Body=b'not what was pushed')",
        blob.trim()
    ));
    let third = build_recipes(
        &mut kiln_with(&caches.join("c"), &server),
        &recipes,
        &["syn-left"],
    );
    assert!(third.status.success());
    assert_eq!(results(&third)["syn-base"], "pulled");
    assert_eq!(results(&third)["syn-left"], "built");
    let stderr = text(&third.stderr);
    assert!(
        stderr.contains("is corrupt") && stderr.contains("expected sha256"),
        "{stderr}"
    );
}

#[test]
fn the_server_killed_mid_build_costs_only_the_remote() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let mut server = S3Server::start();
    let recipes = synthetic("remote-killed", &["syn-slow-a", "syn-base"]);
    let cache = scratch("remote-killed-cache");
    let child = kiln_with(&cache, &server)
        .arg("--recipe-dir")
        .arg(&recipes)
        .args(["--remote-cache", "s3://kiln/ci", "build-recipes", "--json"])
        .args(["syn-base", "syn-slow-a"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let marker = project_dir().join(".kiln/build/syn-slow-a/prefix/started");
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no build started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    let output = child.wait_with_output().unwrap();
    eprintln!("{}", text(&output.stderr));
    assert!(output.status.success());
    let results = results(&output);
    assert_eq!(results["syn-slow-a"], "built");
    assert_eq!(results["syn-base"], "built");
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("warning:"))
            .count(),
        1,
        "one warning, then the run is local: {stderr}"
    );
    assert!(stderr.contains("to the remote cache") || stderr.contains("from the remote cache"));
    assert!(stderr.contains("building locally"), "{stderr}");
}

#[test]
fn two_builders_pushing_the_same_key_at_once_leave_one_valid_entry() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let server = S3Server::start();
    let recipes = synthetic("remote-race", &["syn-slow-b"]);
    let caches = scratch("remote-race-caches");
    // Two cache folders each build the recipe on their own (no remote), so each holds an
    // entry of the same key with different bytes (the synthetic builds record times)...
    for cache in ["one", "two"] {
        let local = run(kiln()
            .env("KILN_CACHE_DIR", caches.join(cache))
            .env("KILN_TOOLCHAIN_DIR", shared_toolchain_dir())
            .arg("--recipe-dir")
            .arg(&recipes)
            .args(["build-recipes", "--json", "syn-slow-b"]));
        assert_eq!(results(&local)["syn-slow-b"], "built");
    }
    // ...then both push it at the same moment.
    let spawn = |cache: &str| {
        kiln_with(&caches.join(cache), &server)
            .arg("--recipe-dir")
            .arg(&recipes)
            .args(["--remote-cache", "s3://kiln/ci", "build-recipes", "--json"])
            .arg("syn-slow-b")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (spawn("one"), spawn("two"));
    let (one, two) = (
        one.wait_with_output().unwrap(),
        two.wait_with_output().unwrap(),
    );
    for output in [&one, &two] {
        eprintln!("{}", text(&output.stderr));
        assert!(output.status.success());
        assert_eq!(results(output)["syn-slow-b"], "cached");
        assert!(!text(&output.stderr).contains("warning"));
    }
    // One pointer, naming one of the (one or two) blobs, whole.
    assert_eq!(server.objects("ci/v0/builds/syn-slow-b/").len(), 1);
    let blobs = server.objects("ci/v0/blobs/").len();
    eprintln!("blobs after the race: {blobs}");
    assert!((1..=2).contains(&blobs));
    let third = build_recipes(
        &mut kiln_with(&caches.join("three"), &server),
        &recipes,
        &["syn-slow-b"],
    );
    assert!(third.status.success());
    assert_eq!(results(&third)["syn-slow-b"], "pulled");
    assert!(!text(&third.stderr).contains("warning"), "verified");
}

/// The recipes of a small real distribution: the runtime, a C extension, a pure package, and
/// the synthetic libraries.
fn distribution_recipes(name: &str) -> PathBuf {
    let dir = synthetic(name, &[]);
    for recipe in [
        "cpython",
        "zlib",
        "bzip2",
        "xz",
        "sqlite3",
        "libffi",
        "lz4",
        "markupsafe",
        "six",
    ] {
        copy_tree(
            &project_dir().join("recipes").join(recipe),
            &dir.join(recipe),
        );
    }
    for broken in ["syn-broken", "syn-needs-broken"] {
        std::fs::remove_dir_all(dir.join(broken)).unwrap();
    }
    dir
}

const DISTRIBUTION: &[&str] = &["cpython", "markupsafe", "six", "syn-top", "syn-fine"];

#[test]
fn two_shards_then_an_install_from_the_remote_equal_an_unsharded_build() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let server = S3Server::start();
    let recipes = distribution_recipes("remote-shards");
    let user_cache = shared_toolchain_dir();
    let caches = scratch("remote-shards-caches");
    let dists = scratch("remote-shards-dist");

    // The reference: one unsharded build in the user's cache, no remote.
    let reference = run(kiln()
        .arg("--recipe-dir")
        .arg(&recipes)
        .args(["build-recipes", "--json", "--install", "--install-dir"])
        .arg(dists.join("unsharded"))
        .args(DISTRIBUTION));
    assert!(reference.status.success());

    // CI's first job puts the runtime in the remote (it is what every package needs).
    let seed = build_recipes(&mut kiln_with(&user_cache, &server), &recipes, &["cpython"]);
    assert!(seed.status.success());

    // Two shards at once, each in a fresh cache folder.
    let shard = |index: &str| {
        kiln_with(&caches.join(format!("shard-{}", &index[..1])), &server)
            .arg("--recipe-dir")
            .arg(&recipes)
            .args(["--remote-cache", "s3://kiln/ci", "build-recipes", "--json"])
            .args(["--shard", index])
            .args(DISTRIBUTION)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (shard("1/2"), shard("2/2"));
    let (one, two) = (
        one.wait_with_output().unwrap(),
        two.wait_with_output().unwrap(),
    );
    let mut built = Vec::new();
    for output in [&one, &two] {
        eprintln!("{}", text(&output.stderr));
        assert!(output.status.success());
        built.extend(
            results(output)
                .into_iter()
                .filter(|(_, result)| result == "built")
                .map(|(name, _)| name),
        );
    }
    built.sort();
    let mut expected = vec![
        "markupsafe",
        "six",
        "syn-base",
        "syn-fine",
        "syn-left",
        "syn-right",
        "syn-top",
    ];
    expected.sort();
    assert_eq!(built, expected, "each recipe built by exactly one shard");

    // The final job: a fresh cache, everything from the remote.
    let install = build_recipes(
        &mut kiln_with(&caches.join("install"), &server),
        &recipes,
        &["--no-build", "--install", "--install-dir"]
            .iter()
            .copied()
            .chain([dists.join("sharded").to_str().unwrap()])
            .chain(DISTRIBUTION.iter().copied())
            .collect::<Vec<_>>(),
    );
    assert!(install.status.success());
    assert!(results(&install).values().all(|result| result == "pulled"));
    let (unsharded, sharded) = (
        digests(&dists.join("unsharded")),
        digests(&dists.join("sharded")),
    );
    assert!(unsharded.contains_key("pyodide-lock.json"));
    assert!(unsharded.keys().any(|name| name.starts_with("markupsafe-")));
    assert_eq!(unsharded, sharded, "dist/ byte for byte");
}

/// A package rebuilt from a warm cache with no network at all: its source, its build
/// requirements (resolved once, pinned with hashes) and the runtime come from the cache.
#[test]
fn a_rebuild_with_the_network_cut_off_succeeds_from_a_warm_cache() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    toolchain();
    let warm = run(kiln().args(["build-recipes", "--no-progress", "markupsafe", "six"]));
    assert!(warm.status.success());
    let offline = run(Command::new("unshare")
        .args(["--net", "--"])
        .arg(env!("CARGO_BIN_EXE_kiln"))
        .current_dir(project_dir())
        .args([
            "build-recipes",
            "--json",
            "--force-rebuild",
            "markupsafe",
            "six",
        ]));
    assert!(offline.status.success(), "{}", text(&offline.stderr));
    let results = results(&offline);
    assert_eq!(results["markupsafe"], "built");
    assert_eq!(results["six"], "built");
}
