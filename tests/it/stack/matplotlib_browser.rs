//! Matplotlib in a browser (issue 17): in Debian's Chromium, on the distribution's console page,
//! `plt.show()` draws a figure into the page through matplotlib-pyodide's canvas backend, the
//! default backend in a page with a DOM (`tests/browser/matplotlib.test.mjs`). The canvas's
//! screenshot is then compared with the host's Agg rendering of the same figure (Matplotlib's
//! own x86_64 wheel), pixel by pixel.
//!
//! The figure holds no text, for the reason given in `stack::matplotlib` (FreeType versions).
//! Heavy (it needs the Matplotlib build): `#[ignore]`d here and run by `scripts/test-heavy`.

use std::path::Path;
use std::process::Command;

use super::matplotlib::matplotlib_dist;
use crate::common::{
    browser_test_deps, kiln, project_dir, root_venv, run, run_ok, scratch, text, write,
};
use crate::scipy::result_of;

/// Makes the figure `fig` (480 × 360 pixels) with pyplot; no backend is chosen here.
const FIGURE: &str = r#"
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.tri as mtri
x = np.linspace(0.0, 4.0 * np.pi, 200)
fig, axes = plt.subplots(2, 2, figsize=(4.8, 3.6), dpi=100)
axes[0, 0].plot(x, np.sin(x), "-", x, np.cos(x), "--o", markevery=20)
X, Y = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41))
Z = np.exp(-(X ** 2 + Y ** 2)) - 0.5 * np.exp(-((X - 1) ** 2 + (Y - 1) ** 2))
axes[0, 1].contourf(X, Y, Z, levels=8, cmap="viridis")
axes[0, 1].contour(X, Y, Z, levels=8, colors="k", linewidths=0.5)
rng = np.random.default_rng(17)
axes[1, 0].hist(rng.normal(size=500), bins=20, color="tab:orange")
pts = rng.uniform(size=(30, 2))
axes[1, 1].triplot(mtri.Triangulation(pts[:, 0], pts[:, 1]), lw=0.5)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
"#;

/// On the host: renders `figure.py` with Agg and prints `RESULT {json}` with its RGB pixels and
/// those of the browser's screenshot `canvas.png` (both in the folder given as argv[1]).
const HOST_COMPARISON: &str = r#"
import json, pathlib, sys
import matplotlib
matplotlib.use("Agg")
import numpy as np
from PIL import Image
folder = pathlib.Path(sys.argv[1])
namespace = {}
exec((folder / "figure.py").read_text(), namespace)
fig = namespace["fig"]
fig.canvas.draw()
host = np.asarray(fig.canvas.buffer_rgba())[..., :3]
shot = np.asarray(Image.open(folder / "canvas.png").convert("RGB"))
print("RESULT " + json.dumps({
    "host_size": [host.shape[1], host.shape[0]],
    "browser_size": [shot.shape[1], shot.shape[0]],
    "host": host.ravel().tolist(),
    "browser": shot.ravel().tolist(),
}))
"#;

#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn matplotlib_figure_shows_in_the_browser_like_the_host() {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is installed by scripts/test (apt-get install chromium)"
    );
    let dist = matplotlib_dist();
    let folder = scratch("matplotlib-browser");
    write(&folder.join("figure.py"), FIGURE);
    browser_test_deps();
    let output = run(Command::new("node")
        .args(["--test", "tests/browser/matplotlib.test.mjs"])
        .current_dir(project_dir())
        .env("KILN_DIST", &dist)
        .env("KILN_MPL_FIGURE", folder.join("figure.py"))
        .env("KILN_MPL_SCREENSHOT", folder.join("canvas.png")));
    let stdout = text(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("# pass 1") && stdout.contains("# fail 0"),
        "{stdout}"
    );

    let venv = root_venv("matplotlib-host-venv", &["matplotlib==3.11.2"]);
    let result = result_of(&run_ok(
        kiln()
            .args(["toolchain", "run", "--"])
            .arg(venv.join("bin/python"))
            .args(["-c", HOST_COMPARISON])
            .arg(&folder),
    ));
    assert_eq!(result["browser_size"], serde_json::json!([480, 360]));
    assert_eq!(result["host_size"], result["browser_size"]);
    super::assert_pixels_close("browser canvas", &result["browser"], &result["host"], 200);
}
