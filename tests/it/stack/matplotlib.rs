//! Matplotlib 3.10 with kiln's FreeType and Qhull, and kiln's contourpy, kiwisolver, fontTools
//! and Pillow: one figure (lines, filled and line contours, a histogram, a Delaunay
//! triangulation) rendered by Agg in the runtime and by Matplotlib's own x86_64 wheel on the
//! host, compared pixel by pixel, the numbers behind it, and the SVG and PDF backends.
//!
//! Matplotlib's own test suite is not run yet: its meson install leaves the baseline images
//! out of the wheel (so `matplotlib.tests` refuses to import).
//!
//! The figure holds no text: the host's wheel (3.11.2: the index has no 3.10 wheel for CPython
//! 3.15) renders glyphs with the FreeType it bundles, kiln's with FreeType 2.13, and their
//! hinting differs. Text goes through FreeType in a check of its own (a string's extent).
//!
//! These tests are heavy (docs/stack.md has the build times): `#[ignore]`d here and run by
//! `scripts/test-heavy`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{runtime_and_host, stack_dist};

pub(super) fn matplotlib_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-matplotlib", &["matplotlib"]))
        .clone()
}

/// Prints `RESULT {json}`: the figure's RGB pixels (240 × 180) and their sha256, contour
/// levels and path sizes, the triangulation, a FreeType text extent, tick labels, and the SVG
/// and PDF backends' output.
const FIGURE: &str = r#"
import hashlib, io, json
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.tri as mtri
from matplotlib import ft2font
from PIL import Image
r = {"backend": matplotlib.get_backend()}
x = np.linspace(0.0, 4.0 * np.pi, 200)
fig, axes = plt.subplots(2, 2, figsize=(4.8, 3.6), dpi=50)
axes[0, 0].plot(x, np.sin(x), "-", x, np.cos(x), "--o", markevery=20)
X, Y = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41))
Z = np.exp(-(X ** 2 + Y ** 2)) - 0.5 * np.exp(-((X - 1) ** 2 + (Y - 1) ** 2))
cs = axes[0, 1].contourf(X, Y, Z, levels=8, cmap="viridis")
axes[0, 1].contour(X, Y, Z, levels=8, colors="k", linewidths=0.5)
rng = np.random.default_rng(17)
axes[1, 0].hist(rng.normal(size=500), bins=20, color="tab:orange")
pts = rng.uniform(size=(30, 2))
tri = mtri.Triangulation(pts[:, 0], pts[:, 1])
axes[1, 1].triplot(tri, lw=0.5)
r["ticks"] = [t.get_text() for t in axes[0, 0].get_xticklabels()]
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
buf = io.BytesIO()
fig.savefig(buf, format="png")
img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
r["size"] = list(img.size)
r["pixels"] = list(img.tobytes())
r["pixels_sha256"] = hashlib.sha256(img.tobytes()).hexdigest()
r["triangles"] = len(tri.triangles)
r["contour_levels"] = [round(float(v), 12) for v in cs.levels]
r["contour_vertices"] = [len(p.vertices) for p in cs.get_paths()]
font = ft2font.FT2Font(matplotlib.font_manager.findfont("DejaVu Sans"))
font.set_size(12, 72)
font.set_text("Matplotlib in wasm")
r["text_extent"] = [round(v / 64) for v in font.get_width_height()]
svg = io.BytesIO()
plt.rcParams["svg.hashsalt"] = "kiln"
fig.savefig(svg, format="svg", metadata={"Date": None})
r["svg_paths"] = svg.getvalue().count(b"<path ")
pdf = io.BytesIO()
fig.savefig(pdf, format="pdf", metadata={"CreationDate": None})
r["pdf_pages"] = pdf.getvalue().count(b"/Type /Page\n") + pdf.getvalue().count(b"/Type /Page ")
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same script in the runtime and on the host renders the same figure: numbers agree,
/// and the pixels differ in at most 0.5% of the values, by less than 1 on average.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn matplotlib_renders_like_the_host_in_the_runtime() {
    let dist = matplotlib_dist();
    let (runtime, host) = runtime_and_host(
        &dist,
        "matplotlib-host-venv",
        // The index has no 3.10 wheel for CPython 3.15 on x86_64: the host runs 3.11.2,
        // whose Agg renders a figure without text as 3.10 does.
        &["matplotlib==3.11.2"],
        FIGURE,
    );
    super::assert_agree(
        &runtime,
        &host,
        1e-12,
        &["pixels", "pixels_sha256", "text_extent"],
    );
    let extent = |value: &serde_json::Value| -> Vec<i64> {
        let list = value.as_array().expect("a list");
        list.iter().map(|v| v.as_i64().expect("pixels")).collect()
    };
    let (ours, theirs) = (
        extent(&runtime["text_extent"]),
        extent(&host["text_extent"]),
    );
    // The host's Matplotlib 3.11 lays text out with libraqm and a newer FreeType: a string's
    // width differs by a few pixels (114 against 111 when measured), its height by at most one.
    assert!(
        (ours[0] - theirs[0]).abs() * 25 <= theirs[0] && (ours[1] - theirs[1]).abs() <= 1,
        "text extent {ours:?} against {theirs:?}"
    );
    super::assert_pixels_close("figure", &runtime["pixels"], &host["pixels"], 200);
}
