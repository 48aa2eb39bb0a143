//! micropip in kiln's runtime (issue 16): the real micropip from PyPI (the `micropip` recipe)
//! under Node, installing from the distribution's lockfile by name, from a wheel URL and from
//! a loopback package index served by `kiln serve` (PEP 691): a pure package with its pure
//! dependencies (pytest: iniconfig, packaging, pluggy, pygments), a C extension, and PyPI's `pyemscripten_2026_5` wheel of `librt`; `list()`,
//! `uninstall()` and `reinstall`; `freeze()` read back by `loadPyodide({lockFileURL})`; a wheel
//! of another platform refused, naming the wheel, its tag and the runtime's platform.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crate::common::{kiln, project_dir, run, run_ok, scratch, text, toolchain, write};
use crate::packages::wheels;

/// The runtime's distribution: the interpreter, micropip and `six` (a lockfile package that
/// micropip installs by name).
/// The runtime with micropip and six, built and installed once per test run (the embedding
/// tests share it).
pub fn micropip_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        toolchain();
        let dist = project_dir().join("target/kiln-tests/dist-micropip");
        run_ok(
            kiln()
                .args([
                    "build-recipes",
                    "micropip",
                    "six",
                    "--install",
                    "--install-dir",
                ])
                .arg(&dist),
        );
        dist
    })
    .clone()
}

/// The index's folder: kiln's wheels of pytest (pure; on Python 3.15 under emscripten it
/// depends on iniconfig, packaging, pluggy and pygments) and msgpack (a C extension), and
/// PyPI's librt wheel for the platform with its pure dependency, as the host's pip downloads
/// them for the platform.
fn index_folder() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        toolchain();
        let dist = project_dir().join("target/kiln-tests/dist-micropip-index");
        run_ok(
            kiln()
                .args([
                    "build-recipes",
                    "pytest",
                    "iniconfig",
                    "packaging",
                    "pluggy",
                    "pygments",
                ])
                .args(["msgpack", "--install", "--install-dir"])
                .arg(&dist),
        );
        run_ok(
            Command::new("python3")
                .args(["-m", "pip", "download", "--quiet", "--dest"])
                .arg(&dist)
                .args([
                    "--platform",
                    "pyemscripten_2026_5_wasm32",
                    "--python-version",
                    "3.15",
                    "--implementation",
                    "cp",
                    "--abi",
                    "cp315",
                    "--only-binary=:all:",
                    "librt==0.17.0",
                ]),
        );
        dist
    })
    .clone()
}

/// `kiln serve DIR --port 0`, stopped when dropped; `url` is what it printed.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let mut child = kiln()
            .arg("serve")
            .arg(dir)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kiln serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("kiln serve prints its URL");
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an ES module with the host's Node; returns its output.
fn node_module(dir: &Path, source: &str) -> std::process::Output {
    let script = dir.join("main.mjs");
    write(&script, source);
    run(Command::new("node").arg(&script).current_dir(dir))
}

fn file_named(dir: &Path, prefix: &str) -> String {
    wheels(dir)
        .into_iter()
        .map(|wheel| wheel.file_name().unwrap().to_string_lossy().into_owned())
        .find(|name| name.starts_with(prefix))
        .unwrap_or_else(|| panic!("a wheel {prefix}… in {}", dir.display()))
}

/// Python run in the runtime by [`micropip_installs_from_the_lockfile_a_wheel_url_and_a_loopback_index`];
/// `INDEX`, `MSGPACK_URL` and `BAD_URL` are set by the JS around it. Prints one line per
/// check; its value is the lockfile `freeze()` writes.
const SESSION: &str = r#"
import time, importlib, sys, micropip

t = time.perf_counter()
await micropip.install("iniconfig", index_urls=INDEX)
print("timing small", round(time.perf_counter() - t, 3))
import iniconfig
print("iniconfig", iniconfig.IniConfig("x.ini", data="[a]\nb = 1\n")["a"]["b"])

t = time.perf_counter()
await micropip.install("pytest", index_urls=INDEX)
print("timing pytest", round(time.perf_counter() - t, 3))
import pytest, pluggy, pygments, packaging.version
print("pytest", pytest.approx(0.3) == 0.1 + 0.2, packaging.version.Version("1.0") < packaging.version.Version("1.1"), pygments.__name__, pluggy.__name__)

await micropip.install(MSGPACK_URL)
import msgpack, msgpack._cmsgpack
print("msgpack", msgpack.unpackb(msgpack.packb({"kiln": [1, None]})), msgpack.Packer.__module__)

await micropip.install("librt", index_urls=INDEX)
import librt.base64
print("librt", librt.base64.b64encode(b"kiln"), librt.base64.__file__.endswith(".so"))

await micropip.install("six")
import six
print("six", six.__file__)

import re
listed = micropip.list()
names = {re.sub(r"[-_.]+", "-", name).lower() for name in listed}
print("list", sorted(names & {"pytest", "iniconfig", "packaging", "pluggy", "pygments", "msgpack", "librt", "mypy-extensions", "six", "micropip"}))
print("source", listed["six"].source, listed["pytest"].source)

try:
    await micropip.install(BAD_URL)
    print("bad accepted")
except ValueError as e:
    print("bad refused", e)

try:
    await micropip.install("no-such-project", index_urls=INDEX)
    print("missing accepted")
except ValueError as e:
    print("missing refused", str(e).splitlines()[0])

try:
    await micropip.install(["no-such-a", "no-such-b"], index_urls=INDEX, keep_going=True)
    print("keep_going accepted")
except ValueError as e:
    # micropip names them in the order its lookups finished.
    head, _, names = str(e).splitlines()[0].partition(": ")
    print("keep_going", head + ":", ", ".join(sorted(names.split(", "))))

micropip.uninstall("six")
importlib.invalidate_caches()
sys.modules.pop("six", None)
try:
    importlib.import_module("six")
    print("uninstall failed")
except ImportError:
    print("uninstalled")
await micropip.install("six")
import six
print("reinstalled", six.PY3)

print("frozen")
micropip.freeze()
"#;

/// What [`SESSION`] prints when everything works (prefixes of lines).
fn expected_lines(bad: &str) -> Vec<String> {
    vec![
        "iniconfig 1".into(),
        "pytest True True pygments pluggy".into(),
        "msgpack {'kiln': [1, None]} msgpack._cmsgpack".into(),
        "librt b'a2lsbg==' True".into(),
        "six /usr/local/lib/python3.15/site-packages/six.py".into(),
        "list ['iniconfig', 'librt', 'micropip', 'msgpack', 'mypy-extensions', 'packaging', 'pluggy', 'pygments', 'pytest', 'six']".into(),
        "source pyodide pypi".into(),
        format!(
            "bad refused Wheel '{bad}' has platform tag 'pyemscripten_2026_0_wasm32', which is not \
             compatible with this runtime's platform 'pyemscripten_2026_5_wasm32' (emscripten-6.0.5-wasm32)"
        ),
        "missing refused Can't fetch metadata for 'no-such-project'".into(),
        "keep_going Can't find a pure Python 3 wheel for: 'no-such-a', 'no-such-b'".into(),
        "uninstalled".into(),
        "reinstalled True".into(),
        "frozen".into(),
    ]
}

#[test]
fn micropip_installs_from_the_lockfile_a_wheel_url_and_a_loopback_index() {
    let dist = micropip_dist();
    let index = index_folder();
    let server = Server::start(&index);
    let dir = scratch("micropip-session");
    let frozen = dir.join("frozen-lock.json");
    let msgpack_url = format!("{}{}", server.url, file_named(&index, "msgpack-"));
    let bad = "kilnbad-1.0-cp315-cp315-pyemscripten_2026_0_wasm32.whl";

    // The index answers as PEP 691 and PEP 503 say.
    let page = run_ok(Command::new("node").args([
        "--input-type=module",
        "-e",
        &format!(
            "const r = await fetch({:?}, {{headers: {{accept: 'application/vnd.pypi.simple.v1+json'}}}}); \
             console.log(r.headers.get('content-type')); console.log(await r.text());",
            format!("{}simple/pytest/", server.url)
        ),
    ]));
    assert!(
        page.starts_with("application/vnd.pypi.simple.v1+json\n"),
        "{page}"
    );
    assert!(page.contains("\"name\":\"pytest\""), "{page}");
    let html = run_ok(Command::new("node").args([
        "--input-type=module",
        "-e",
        &format!(
            "const r = await fetch({:?}); console.log(await r.text());",
            format!("{}simple/", server.url)
        ),
    ]));
    for project in [
        "iniconfig",
        "librt",
        "msgpack",
        "mypy-extensions",
        "pluggy",
        "pytest",
    ] {
        assert!(
            html.contains(&format!("<a href=\"{project}/\">{project}</a>")),
            "{project} in {html}"
        );
    }

    let source = format!(
        r#"import {{ loadPyodide }} from {module:?};
const pyodide = await loadPyodide();
const started = performance.now();
await pyodide.loadPackage("micropip");
console.log("timing loadPackage(micropip)", ((performance.now() - started) / 1000).toFixed(3));
pyodide.globals.set("INDEX", {index:?});
pyodide.globals.set("MSGPACK_URL", {msgpack:?});
pyodide.globals.set("BAD_URL", {bad_url:?});
const frozen = await pyodide.runPythonAsync({session:?});
(await import("node:fs")).writeFileSync({frozen:?}, frozen);
"#,
        module = dist.join("python.mjs").display().to_string(),
        index = format!("{}simple", server.url),
        msgpack = msgpack_url,
        bad_url = format!("{}{bad}", server.url),
        frozen = frozen.display().to_string(),
        session = SESSION,
    );
    let output = node_module(&dir, &source);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    for line in expected_lines(bad) {
        assert!(
            stdout.lines().any(|l| l.starts_with(&line)),
            "missing {line:?} in:\n{stdout}"
        );
    }

    // freeze() wrote a lockfile that loadPyodide takes: the packages micropip installed load
    // from it by name, in a fresh runtime, with their sha256 checked.
    let lock: serde_json::Value = serde_json::from_slice(&std::fs::read(&frozen).unwrap()).unwrap();
    let packages = lock["packages"].as_object().unwrap();
    for name in [
        "pytest",
        "pluggy",
        "pygments",
        "iniconfig",
        "packaging",
        "msgpack",
        "librt",
        "micropip",
        "six",
    ] {
        assert!(packages.contains_key(name), "{name} in {lock}");
    }
    assert_eq!(lock["info"]["abi_version"], "2026_5", "{}", lock["info"]);
    let pytest = &packages["pytest"];
    assert!(
        pytest["file_name"]
            .as_str()
            .unwrap()
            .starts_with(&server.url),
        "{pytest}"
    );
    let mut depends: Vec<&str> = pytest["depends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    depends.sort();
    assert_eq!(depends, ["iniconfig", "packaging", "pluggy", "pygments"]);

    let source = format!(
        r#"import {{ loadPyodide }} from {module:?};
const pyodide = await loadPyodide({{ lockFileURL: {frozen:?} }});
const loaded = await pyodide.loadPackage(["pytest", "msgpack", "librt", "six"]);
console.log("loaded", JSON.stringify(loaded.sort()));
pyodide.runPython(`
import pytest, pluggy, msgpack._cmsgpack, librt.base64, six
print("round trip", librt.base64.b64encode(b"kiln"), msgpack.unpackb(msgpack.packb([1])))
`);
"#,
        module = dist.join("python.mjs").display().to_string(),
        frozen = frozen.display().to_string(),
    );
    let output = node_module(&scratch("micropip-frozen"), &source);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains(
            r#"loaded ["iniconfig","librt","msgpack","mypy-extensions","packaging","pluggy","pygments","pytest","six"]"#
        ),
        "{stdout}"
    );
    assert!(stdout.contains("round trip b'a2lsbg==' [1]"), "{stdout}");
    drop(server);
}
