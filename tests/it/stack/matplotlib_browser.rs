//! Matplotlib in a browser (issue 17): in Debian's Chromium, on the distribution's console page,
//! `plt.show()` draws a figure into the page through matplotlib-pyodide's canvas backend, the
//! default backend in a page with a DOM (`tests/browser/matplotlib.test.mjs`). The canvas's
//! screenshot must equal, pixel for pixel, the same figure rendered by Agg in the runtime
//! under Node (the way to the page adds nothing), and agree with the host's Agg rendering
//! (Matplotlib's own x86_64 wheel).
//!
//! The figure holds no text, for the reason given in `stack::matplotlib` (FreeType versions),
//! and its axes are placed by hand: `tight_layout` put one spine a pixel apart (its position
//! came out one ulp different on the host, 0.5156249999999999 against 0.515625).
//! Heavy (it needs the Matplotlib build): `#[ignore]`d here and run by `scripts/test-heavy`.

use std::path::Path;
use std::process::Command;

use super::matplotlib::matplotlib_dist;
use crate::common::{
    browser_test_deps, kiln, project_dir, root_venv, run, run_ok, scratch, text, write,
};
use crate::runtime::python;
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
fig.subplots_adjust(left=0.04, right=0.96, bottom=0.05, top=0.95, wspace=0.08, hspace=0.12)
"#;

/// Renders `figure.py` (in the folder argv[1]) with Agg and saves its RGB pixels as the PNG
/// argv[2] there: run in the runtime and on the host.
const RENDER: &str = r#"
import pathlib, sys
import matplotlib
matplotlib.use("Agg")
import numpy as np
from PIL import Image
folder = pathlib.Path(sys.argv[1])
namespace = {}
exec((folder / "figure.py").read_text(), namespace)
fig = namespace["fig"]
fig.canvas.draw()
Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()).save(folder / sys.argv[2])
"#;

/// On the host: prints `RESULT {json}` with the sizes and RGB pixels of the browser's canvas
/// screenshot and of the runtime's and the host's renderings (PNGs in the folder argv[1]).
const PIXELS: &str = r#"
import json, pathlib, sys
from PIL import Image
folder = pathlib.Path(sys.argv[1])
result = {}
for name in ("canvas", "runtime", "host"):
    image = Image.open(folder / f"{name}.png").convert("RGB")
    result[f"{name}_size"] = list(image.size)
    result[name] = list(image.tobytes())
print("RESULT " + json.dumps(result))
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

    run_ok(
        python(&dist)
            .args(["-c", RENDER])
            .arg(&folder)
            .arg("runtime.png"),
    );
    let venv = root_venv("matplotlib-host-venv", &["matplotlib==3.11.2"]);
    let on_host = |code: &str, args: &[&str]| {
        run_ok(
            kiln()
                .args(["toolchain", "run", "--"])
                .arg(venv.join("bin/python"))
                .args(["-c", code])
                .arg(&folder)
                .args(args),
        )
    };
    on_host(RENDER, &["host.png"]);
    let result = result_of(&on_host(PIXELS, &[]));
    for name in ["canvas", "runtime", "host"] {
        assert_eq!(
            result[format!("{name}_size")],
            serde_json::json!([480, 360]),
            "{name}"
        );
    }
    // The page shows exactly what Agg drew in the runtime.
    assert!(
        result["canvas"] == result["runtime"],
        "the canvas differs from the runtime's own rendering"
    );
    super::assert_pixels_close("browser canvas", &result["canvas"], &result["host"], 200);
}
