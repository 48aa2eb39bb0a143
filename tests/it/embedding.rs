//! Embedding options Pyodide users rely on (issue 16), on the real runtime under Node:
//! `lockFileContents` with `packageBaseUrl`, `packageCacheDir` (each wheel downloaded once,
//! over a loopback `kiln serve`), `unpackArchive`, and interrupts: a worker thread writes
//! SIGINT into the interrupt buffer and `while True: pass` stops with `KeyboardInterrupt`.
//! In Chromium, the worker console (`tests/browser/worker-console.test.mjs`): `input()`, its
//! Interrupt button, and its working folder kept in IndexedDB across a reload.

use std::path::Path;
use std::process::Command;

use crate::common::{browser_test_deps, kiln, project_dir, run, scratch, text, write};
use crate::packages::wheels;

/// Runs `source` as a Node module in `dir`; it must succeed within 5 minutes (a script that
/// loops, such as an interrupt that never arrives, fails the test with what it printed so far
/// instead of holding the whole test run).
fn node(dir: &std::path::Path, source: &str) -> String {
    let script = dir.join("main.mjs");
    write(&script, source);
    let output = run(Command::new("timeout")
        .args(["--kill-after=10", "300", "node"])
        .arg(&script)
        .current_dir(dir));
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{} (124: still running after 300 s)\n{stdout}\n{}",
        output.status,
        text(&output.stderr)
    );
    stdout
}

#[test]
fn a_worker_interrupts_an_endless_loop_through_the_interrupt_buffer() {
    let dist = crate::micropip::micropip_dist();
    let dir = scratch("embedding-interrupt");
    let stdout = node(
        &dir,
        &format!(
            r#"import {{ loadPyodide }} from {module:?};
import {{ Worker }} from "node:worker_threads";
const pyodide = await loadPyodide();
const buffer = new Int32Array(new SharedArrayBuffer(4));
const sentAt = new Float64Array(new SharedArrayBuffer(8));
pyodide.setInterruptBuffer(buffer);
// Another thread asks for SIGINT while this one is busy in Python, noting when.
const worker = new Worker(`
  const {{ workerData: [buffer, sentAt] }} = require("node:worker_threads");
  setTimeout(() => {{ sentAt[0] = Date.now(); Atomics.store(buffer, 0, 2); }}, 300);
`, {{ eval: true, workerData: [buffer, sentAt] }});
// Caught in Python, to time the interrupt itself (not the traceback's formatting).
const stoppedAt = pyodide.runPython(`
import time
try:
    while True:
        pass
except KeyboardInterrupt:
    stopped = time.time()
stopped * 1000
`);
console.log("stopped", ((stoppedAt - sentAt[0]) / 1000).toFixed(3));
await worker.terminate();
// Uncaught, it reaches JS as a PythonError.
const again = new Worker(`
  const {{ workerData }} = require("node:worker_threads");
  setTimeout(() => Atomics.store(workerData, 0, 2), 300);
`, {{ eval: true, workerData: buffer }});
try {{
  pyodide.runPython("while True: pass");
  console.log("not interrupted");
}} catch (error) {{
  console.log("raised", error.type);
}}
await again.terminate();
// The runtime stays usable, and checkInterrupt raises a pending signal in JS code.
console.log("after", pyodide.runPython("sum(range(10))"));
buffer[0] = 2;
try {{
  pyodide.checkInterrupt();
  console.log("checkInterrupt did nothing");
}} catch (error) {{
  console.log("checkInterrupt", error.type, buffer[0]);
}}
// In a task (runPythonAsync): the caller awaiting it gets the exception; the event loop goes
// on (another task finishes) and prints nothing of its own.
const errors = [];
pyodide.setStderr({{ batched: (line) => errors.push(line) }});
pyodide.runPython("import asyncio"); // not while the signal may come: it takes a while
const other = pyodide.runPythonAsync("import asyncio\nawait asyncio.sleep(0.5)\n'other task done'");
// The signal is sent once the loop's task runs (it says so in `looping`): sent on a timer
// alone, on a loaded machine it could land in the other task's step and be taken there, and
// the loop would never stop.
const looping = new Int32Array(new SharedArrayBuffer(4));
globalThis.looping = looping;
const third = new Worker(`
  const {{ workerData: [buffer, looping] }} = require("node:worker_threads");
  Atomics.wait(looping, 0, 0);
  setTimeout(() => Atomics.store(buffer, 0, 2), 300);
`, {{ eval: true, workerData: [buffer, looping] }});
try {{
  await pyodide.runPythonAsync("import js\njs.Atomics.store(js.looping, 0, 1)\njs.Atomics.notify(js.looping, 0)\nwhile True: pass");
  console.log("task not interrupted");
}} catch (error) {{
  console.log("task raised", error.type);
}}
console.log(await other);
console.log("stderr lines", errors.length);
await third.terminate();
pyodide.setStderr({{}});
pyodide.setInterruptBuffer(undefined);
console.log("off", pyodide.runPython("sum(range(100000))"));
"#,
            module = dist.join("python.mjs").display().to_string()
        ),
    );
    assert!(stdout.contains("raised KeyboardInterrupt"), "{stdout}");
    let stopped = stdout
        .lines()
        .find_map(|line| line.strip_prefix("stopped "))
        .unwrap_or_else(|| panic!("no interrupt in:\n{stdout}"));
    let seconds: f64 = stopped.trim().parse().unwrap();
    // From the signal's write to the exception: CPython looks every 50 back edges.
    assert!((0.0..1.0).contains(&seconds), "{seconds}");
    assert!(stdout.contains("after 45"), "{stdout}");
    assert!(
        stdout.contains("checkInterrupt KeyboardInterrupt 0"),
        "{stdout}"
    );
    assert!(stdout.contains("task raised KeyboardInterrupt"), "{stdout}");
    assert!(stdout.contains("other task done"), "{stdout}");
    assert!(stdout.contains("stderr lines 0"), "{stdout}");
    assert!(stdout.contains("off 4999950000"), "{stdout}");
}

#[test]
fn lockfile_contents_package_base_url_cache_dir_and_unpack_archive() {
    let dist = crate::micropip::micropip_dist();
    let dir = scratch("embedding-options");
    // The wheels in a folder of their own, served over loopback; the lockfile given as text.
    let served = dir.join("served");
    std::fs::create_dir_all(&served).unwrap();
    for wheel in wheels(&dist) {
        std::fs::copy(&wheel, served.join(wheel.file_name().unwrap())).unwrap();
    }
    let mut server = kiln()
        .arg("serve")
        .arg(&served)
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut url,
    )
    .unwrap();
    let url = url.trim().to_string();
    let cache = dir.join("cache");
    let lock = std::fs::read_to_string(dist.join("pyodide-lock.json")).unwrap();
    let six = wheels(&dist)
        .into_iter()
        .find(|w| w.file_name().unwrap().to_string_lossy().starts_with("six-"))
        .unwrap();
    let source = format!(
        r#"import {{ loadPyodide }} from {module:?};
import fs from "node:fs";
const options = {{ lockFileContents: {lock:?}, packageBaseUrl: {url:?}, packageCacheDir: {cache:?} }};
for (const round of [1, 2]) {{
  const pyodide = await loadPyodide(options);
  await pyodide.loadPackage("six");
  console.log("round", round, pyodide.loadedPackages.six.startsWith({url:?}), pyodide.runPython("import six; six.PY3"));
  if (round === 1) fs.rmSync({served:?}, {{ recursive: true }});  // the second round needs the cache
}}
console.log("cached", fs.readdirSync({cache:?}).filter((f) => f.startsWith("six-")).length);
const pyodide = await loadPyodide();
pyodide.unpackArchive(fs.readFileSync({six:?}), "whl", {{ extractDir: "/tmp/unpacked" }});
console.log("unpacked", pyodide.runPython("import os; sorted(os.listdir('/tmp/unpacked'))").toJs().join(","));
pyodide.runPython(`
import io, tarfile
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w:gz") as t:
    data = b"kiln"
    info = tarfile.TarInfo("folder/hello.txt"); info.size = len(data)
    t.addfile(info, io.BytesIO(data))
import js
js.globalThis.tarball = js.Uint8Array.new(b.getvalue())
`);
pyodide.unpackArchive(globalThis.tarball, "tar.gz", {{ extractDir: "/tmp/tar" }});
console.log("tar", pyodide.runPython("open('/tmp/tar/folder/hello.txt').read()"));
try {{
  pyodide.unpackArchive(new Uint8Array(4), "rar");
}} catch (error) {{
  // The Python exception's line, wherever the traceback puts it.
  console.log("refused", error.message.split("\n").find((line) => line.startsWith("ValueError")));
}}
"#,
        module = dist.join("python.mjs").display().to_string(),
        lock = lock,
        url = url,
        cache = cache.display().to_string(),
        served = served.display().to_string(),
        six = six.display().to_string(),
    );
    let stdout = node(&dir, &source);
    let _ = server.kill();
    let _ = server.wait();
    assert!(stdout.contains("round 1 true true"), "{stdout}");
    assert!(stdout.contains("round 2 true true"), "{stdout}");
    assert!(stdout.contains("cached 1"), "{stdout}");
    assert!(
        stdout.contains("unpacked six-1.17.0.dist-info,six.py"),
        "{stdout}"
    );
    assert!(stdout.contains("tar kiln"), "{stdout}");
    assert!(
        stdout.contains("refused ValueError: unknown archive format 'rar'"),
        "{stdout}"
    );
}

/// `console.html` served by `kiln serve`, Python in its worker: `input()` answered from the
/// page, Interrupt stopping `while True: pass` within a second, a file in the kept working
/// folder there after a reload, and the page's notice when it is not cross-origin isolated.
#[test]
fn chromium_worker_console_input_interrupt_and_kept_files() {
    let dist = crate::runtime::runtime_dist();
    browser_test_deps();
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is installed by scripts/test (apt-get install chromium)"
    );
    let output = run(Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "tests/browser/worker-console.test.mjs",
        ])
        .current_dir(project_dir())
        .env("KILN_DIST", &dist)
        .env("KILN_BIN", env!("CARGO_BIN_EXE_kiln")));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("# fail 0") && stdout.contains("# skipped 0"),
        "{stdout}"
    );
}
