//! Matplotlib 3.10 with kiln's FreeType and Qhull, and kiln's contourpy, kiwisolver, fontTools
//! and Pillow: one figure (lines, filled and line contours, a histogram, a Delaunay
//! triangulation) rendered by Agg in the runtime and by Matplotlib's own x86_64 wheel on the
//! host, compared pixel by pixel, the numbers behind it, and the SVG and PDF backends.
//!
//! And Matplotlib's own test suite, with its baseline images (the `matplotlib-tests` wheel),
//! run in the runtime by pytest: every test module but two, with each deselected test's
//! reason.
//!
//! The figure holds no text: the host's wheel (3.11.2: the index has no 3.10 wheel for CPython
//! 3.15) renders glyphs with the FreeType it bundles, kiln's with FreeType 2.13, and their
//! hinting differs. Text goes through FreeType in a check of its own (a string's extent).
//!
//! These tests are heavy (docs/stack.md has the build times): `#[ignore]`d here and run by
//! `scripts/test-heavy`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{installed_tests_in_runtime, runtime_and_host, stack_dist};

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

/// Matplotlib's own tests (from the `matplotlib-tests` wheel): all of `matplotlib.tests` and
/// `mpl_toolkits`' tests but two modules that fail while they are collected, and image
/// comparisons included (the recipe installs the baseline images). Deselected: see the lists
/// below. Measured: 7,173 passed, 669 skipped (no Ghostscript, Inkscape, TeX, pandas or GUI
/// toolkits), 2,024 deselected (with `slow`), 31 xfailed, in about 6 minutes.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn matplotlib_test_suite_runs_in_the_runtime() {
    let dist = matplotlib_dist();
    let mut deselected: Vec<(&str, &str)> = DESELECTED.to_vec();
    for (ids, reason) in [
        (TEXT_IMAGES, FREETYPE_GLYPHS),
        (METRICS, FREETYPE_METRICS),
        (NUMPY_25, NUMPY_25_REASON),
        (PROCESSES, NO_PROCESSES),
    ] {
        deselected.extend(ids.iter().map(|id| (*id, reason)));
    }
    let summary = installed_tests_in_runtime(
        &dist,
        "matplotlib-pytest",
        "matplotlib,matplotlib-tests,pytest,hypothesis",
        &["matplotlib/tests", "mpl_toolkits"],
        &[
            // pytest 9.2 warns on `parametrize` over a generator, which Matplotlib's tests do;
            // Matplotlib's conftest turns every warning into an error.
            "-W",
            "ignore::pytest.PytestRemovedIn10Warning",
            // (Absolute: pytest joins a relative glob to the working folder.) It asks `kpsewhich` (a process) for TeX packages while it is collected.
            "--ignore-glob=/*/matplotlib/tests/test_backend_pgf.py",
            // `os.geteuid` (in a `skipif`) does not exist on emscripten, which has `getuid`.
            "--ignore-glob=/*/matplotlib/tests/test_matplotlib.py",
        ],
        &deselected,
    );
    let passed: usize = summary
        .split(", ")
        .find_map(|part| part.strip_suffix(" passed"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no passed count in {summary:?}"));
    assert!(passed >= 7150, "{passed} passed: {summary}");
}

const FREETYPE_GLYPHS: &str = "an image comparison of a figure with text: kiln's FreeType 2.13.3 \
    rasterises glyphs differently from the 2.6.1 the baselines were made with (passes on the \
    host with Matplotlib's own wheel, which bundles 2.6.1)";
const FREETYPE_METRICS: &str = "kerning or a text extent from FreeType 2.13.3, off by one unit \
    or a fraction of a pixel from the 2.6.1 values the test holds (passes on the host with 2.6.1)";
const NUMPY_25_REASON: &str = "Matplotlib 3.10 with NumPy 2.5: the `generic` timedelta unit is \
    deprecated (an error under Matplotlib's warning filter), and dates then fail to convert; \
    fails the same way on the host";
const NO_PROCESSES: &str = "starts a process (TeX, a Python child, `ffmpeg`) or a process pool: \
    the runtime has no processes";

/// Known failures with a reason of their own; ids are relative to the rootdir (site-packages).
const DESELECTED: &[(&str, &str)] = &[
    (
        "matplotlib/tests/test_mathtext.py::test_mathtext_rendering",
        "image comparisons of mathtext: glyphs from FreeType 2.13.3, baselines from 2.6.1 (375 tests)",
    ),
    (
        "matplotlib/tests/test_mathtext.py::test_mathfont_rendering",
        "image comparisons of mathtext: glyphs from FreeType 2.13.3, baselines from 2.6.1 (280 tests)",
    ),
    (
        "matplotlib/tests/test_mathtext.py::test_mathtext_rendering_lightweight",
        "image comparisons of mathtext: glyphs from FreeType 2.13.3, baselines from 2.6.1",
    ),
    (
        "matplotlib/tests/test_mathtext.py::test_math_fontfamily",
        "an image comparison of mathtext: glyphs from FreeType 2.13.3, baselines from 2.6.1",
    ),
    (
        "matplotlib/tests/test_colors.py::test_norm_callback",
        "fails the same way on the host (Matplotlib 3.10.8's x86_64 wheel, CPython 3.14): \
         `Normalize.autoscale` sends three change signals where the test wants one",
    ),
    (
        "matplotlib/tests/test_figure.py::test_ginput",
        "starts a thread: the runtime has none",
    ),
    (
        "matplotlib/tests/test_figure.py::test_waitforbuttonpress",
        "starts a thread: the runtime has none",
    ),
    (
        "matplotlib/tests/test_mlab.py::TestGaussianKDECustom::test_silverman_multidim_dataset",
        "wants `LinAlgError` from a singular covariance: NumPy raises it from the floating-point \
         invalid flag, and wasm has no floating-point flags, so `inv` returns NaN",
    ),
    (
        "matplotlib/tests/test_mlab.py::TestGaussianKDECustom::test_scott_multidim_dataset",
        "wants `LinAlgError` from a singular covariance: NumPy raises it from the floating-point \
         invalid flag, and wasm has no floating-point flags, so `inv` returns NaN",
    ),
    (
        "matplotlib/tests/test_axes.py::test_psd_csd[png]",
        "an array over 2**31 bytes: NumPy's size limit where `intp` is 32 bits (wasm32)",
    ),
    (
        "matplotlib/tests/test_animation.py::test_movie_writer_invalid_path",
        "wants `[Errno 2]` for a missing file: emscripten's ENOENT is 44",
    ),
];

/// Image comparisons of figures that draw text (tick labels, titles, legends, annotations,
/// tables, 3D axis labels) outside `test_mathtext`: they pass on the host with FreeType 2.6.1.
const TEXT_IMAGES: &[&str] = &[
    "matplotlib/tests/test_agg_filter.py::test_agg_filter_alpha[png]",
    "matplotlib/tests/test_arrow_patches.py::test_boxarrow[png]",
    "matplotlib/tests/test_artist.py::test_default_edges[png]",
    "matplotlib/tests/test_axes.py::test_bar_tick_label_multiple[png]",
    "matplotlib/tests/test_axes.py::test_bar_tick_label_multiple_old_alignment[png]",
    "matplotlib/tests/test_axes.py::test_bar_tick_label_single[png]",
    "matplotlib/tests/test_axes.py::test_barh_tick_label[png]",
    "matplotlib/tests/test_axes.py::test_basic_annotate[png]",
    "matplotlib/tests/test_axes.py::test_boxplot[png]",
    "matplotlib/tests/test_axes.py::test_boxplot_autorange_whiskers[png]",
    "matplotlib/tests/test_axes.py::test_boxplot_custom_capwidths[png]",
    "matplotlib/tests/test_axes.py::test_bxp_baseline[png]",
    "matplotlib/tests/test_axes.py::test_bxp_custom_capwidth[png]",
    "matplotlib/tests/test_axes.py::test_bxp_custom_capwidths[png]",
    "matplotlib/tests/test_axes.py::test_bxp_percentilewhis[png]",
    "matplotlib/tests/test_axes.py::test_bxp_rangewhis[png]",
    "matplotlib/tests/test_axes.py::test_bxp_with_xlabels[png]",
    "matplotlib/tests/test_axes.py::test_bxp_with_ylabels[png]",
    "matplotlib/tests/test_axes.py::test_canonical[png]",
    "matplotlib/tests/test_axes.py::test_contour_colorbar[png]",
    "matplotlib/tests/test_axes.py::test_eb_line_zorder[png]",
    "matplotlib/tests/test_axes.py::test_errorbar[png]",
    "matplotlib/tests/test_axes.py::test_errorbar_limits[png]",
    "matplotlib/tests/test_axes.py::test_formatter_ticker[png]",
    "matplotlib/tests/test_axes.py::test_hexbin_log[png]",
    "matplotlib/tests/test_axes.py::test_hist_density[png]",
    "matplotlib/tests/test_axes.py::test_hist_offset[png]",
    "matplotlib/tests/test_axes.py::test_hist_stacked_bar[png]",
    "matplotlib/tests/test_axes.py::test_hist_stacked_density[png]",
    "matplotlib/tests/test_axes.py::test_hist_stacked_step[png]",
    "matplotlib/tests/test_axes.py::test_hist_stacked_stepfilled[png]",
    "matplotlib/tests/test_axes.py::test_hist_stacked_stepfilled_alpha[png]",
    "matplotlib/tests/test_axes.py::test_hist_stacked_weighted[png]",
    "matplotlib/tests/test_axes.py::test_hist_step_horiz[png]",
    "matplotlib/tests/test_axes.py::test_hlines[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_baseline[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_custompoints_10[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_custompoints_200[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_showall[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_showextrema[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_showmeans[png]",
    "matplotlib/tests/test_axes.py::test_horiz_violinplot_showmedians[png]",
    "matplotlib/tests/test_axes.py::test_markers_fillstyle_rcparams[png]",
    "matplotlib/tests/test_axes.py::test_markevery[png]",
    "matplotlib/tests/test_axes.py::test_markevery_line[png]",
    "matplotlib/tests/test_axes.py::test_nonfinite_limits[png]",
    "matplotlib/tests/test_axes.py::test_pie_ccw_true[png]",
    "matplotlib/tests/test_axes.py::test_pie_center_radius[png]",
    "matplotlib/tests/test_axes.py::test_pie_default[png]",
    "matplotlib/tests/test_axes.py::test_pie_frame_grid[png]",
    "matplotlib/tests/test_axes.py::test_pie_linewidth_0[png]",
    "matplotlib/tests/test_axes.py::test_pie_linewidth_2[png]",
    "matplotlib/tests/test_axes.py::test_pie_nolabel_but_legend[png]",
    "matplotlib/tests/test_axes.py::test_pie_rotatelabels_true[png]",
    "matplotlib/tests/test_axes.py::test_preset_clip_paths[png]",
    "matplotlib/tests/test_axes.py::test_rc_grid[png]",
    "matplotlib/tests/test_axes.py::test_rc_spines[png]",
    "matplotlib/tests/test_axes.py::test_retain_tick_visibility[png]",
    "matplotlib/tests/test_axes.py::test_secondary_xy[png]",
    "matplotlib/tests/test_axes.py::test_set_get_ticklabels[png]",
    "matplotlib/tests/test_axes.py::test_single_point[png]",
    "matplotlib/tests/test_axes.py::test_stackplot[png]",
    "matplotlib/tests/test_axes.py::test_stairs_options[png]",
    "matplotlib/tests/test_axes.py::test_twin_axis_locators_formatters[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_baseline[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_custompoints_10[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_custompoints_200[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_showall[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_showextrema[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_showmeans[png]",
    "matplotlib/tests/test_axes.py::test_vert_violinplot_showmedians[png]",
    "matplotlib/tests/test_axes.py::test_vlines[png]",
    "matplotlib/tests/test_axes.py::test_vlines_hlines_blended_transform[png]",
    "matplotlib/tests/test_bbox_tight.py::test_bbox_inches_tight[png]",
    "matplotlib/tests/test_bbox_tight.py::test_bbox_inches_tight_suptile_legend[png]",
    "matplotlib/tests/test_bbox_tight.py::test_bbox_inches_tight_suptitle_non_default[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__add_positions[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__append_positions[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__extend_positions[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__get_props[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__set_color[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__set_linelength[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__set_lineoffset[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__set_orientation[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__set_positions[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__set_prop[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__switch_orientation[png]",
    "matplotlib/tests/test_collections.py::test__EventCollection__switch_orientation_2x[png]",
    "matplotlib/tests/test_collections.py::test_cap_and_joinstyle_image[png]",
    "matplotlib/tests/test_colorbar.py::test_colorbar_positioning[png-False]",
    "matplotlib/tests/test_colorbar.py::test_colorbar_positioning[png-True]",
    "matplotlib/tests/test_colorbar.py::test_keeping_xlabel[png]",
    "matplotlib/tests/test_colors.py::test_boundarynorm_and_colorbarbase[png]",
    "matplotlib/tests/test_colors.py::test_cmap_and_norm_from_levels_and_colors[png]",
    "matplotlib/tests/test_contour.py::test_contour_label_with_disconnected_segments[png]",
    "matplotlib/tests/test_contour.py::test_contour_manual_labels[png]",
    "matplotlib/tests/test_figure.py::test_align_labels[png]",
    "matplotlib/tests/test_figure.py::test_align_titles[png]",
    "matplotlib/tests/test_figure.py::test_figure[png]",
    "matplotlib/tests/test_figure.py::test_figure_legend[png]",
    "matplotlib/tests/test_figure.py::test_subfigure[png]",
    "matplotlib/tests/test_figure.py::test_subfigure_double[png]",
    "matplotlib/tests/test_figure.py::test_subfigure_ss[png]",
    "matplotlib/tests/test_figure.py::test_suptitle[png]",
    "matplotlib/tests/test_image.py::test_image_clip[png]",
    "matplotlib/tests/test_image.py::test_image_cliprect[png]",
    "matplotlib/tests/test_image.py::test_nonuniform_logscale[png]",
    "matplotlib/tests/test_legend.py::test_alpha_rcparam[png]",
    "matplotlib/tests/test_legend.py::test_alpha_rgba[png]",
    "matplotlib/tests/test_legend.py::test_fancy[png]",
    "matplotlib/tests/test_legend.py::test_framealpha[png]",
    "matplotlib/tests/test_legend.py::test_hatching[png]",
    "matplotlib/tests/test_legend.py::test_labels_first[png]",
    "matplotlib/tests/test_legend.py::test_legend_auto1[png]",
    "matplotlib/tests/test_legend.py::test_legend_auto2[png]",
    "matplotlib/tests/test_legend.py::test_legend_auto3[png]",
    "matplotlib/tests/test_legend.py::test_legend_expand[png]",
    "matplotlib/tests/test_legend.py::test_legend_stackplot[png]",
    "matplotlib/tests/test_legend.py::test_multiple_keys[png]",
    "matplotlib/tests/test_legend.py::test_not_covering_scatter[png]",
    "matplotlib/tests/test_legend.py::test_not_covering_scatter_transform[png]",
    "matplotlib/tests/test_legend.py::test_rc[png]",
    "matplotlib/tests/test_legend.py::test_shadow_argument_types[png]",
    "matplotlib/tests/test_legend.py::test_various_labels[png]",
    "matplotlib/tests/test_lines.py::test_lw_scaling[png]",
    "matplotlib/tests/test_lines.py::test_striped_lines[png]",
    "matplotlib/tests/test_offsetbox.py::test_anchoredtext_horizontal_alignment[png]",
    "matplotlib/tests/test_offsetbox.py::test_paddedbox[png]",
    "matplotlib/tests/test_patches.py::test_annulus[png]",
    "matplotlib/tests/test_patches.py::test_annulus_setters2[png]",
    "matplotlib/tests/test_patches.py::test_annulus_setters[png]",
    "matplotlib/tests/test_patches.py::test_clip_to_bbox[png]",
    "matplotlib/tests/test_patches.py::test_units_rectangle[png]",
    "matplotlib/tests/test_path.py::test_log_transform_with_zero[png]",
    "matplotlib/tests/test_patheffects.py::test_collection[png]",
    "matplotlib/tests/test_patheffects.py::test_patheffect1[png]",
    "matplotlib/tests/test_patheffects.py::test_patheffect2[png]",
    "matplotlib/tests/test_patheffects.py::test_patheffect3[png]",
    "matplotlib/tests/test_patheffects.py::test_patheffects_spaces_and_newlines[png]",
    "matplotlib/tests/test_patheffects.py::test_patheffects_stroked_text[png]",
    "matplotlib/tests/test_png.py::test_pngsuite[png]",
    "matplotlib/tests/test_polar.py::test_polar_alignment[png]",
    "matplotlib/tests/test_polar.py::test_polar_annotations[png]",
    "matplotlib/tests/test_polar.py::test_polar_coord_annotations[png]",
    "matplotlib/tests/test_polar.py::test_polar_invertedylim[png]",
    "matplotlib/tests/test_polar.py::test_polar_invertedylim_rorigin[png]",
    "matplotlib/tests/test_polar.py::test_polar_log[png]",
    "matplotlib/tests/test_polar.py::test_polar_negative_rmin[png]",
    "matplotlib/tests/test_polar.py::test_polar_rlabel_position[png]",
    "matplotlib/tests/test_polar.py::test_polar_rmin[png]",
    "matplotlib/tests/test_polar.py::test_polar_rorigin[png]",
    "matplotlib/tests/test_polar.py::test_polar_theta_limits[png]",
    "matplotlib/tests/test_polar.py::test_polar_theta_position[png]",
    "matplotlib/tests/test_polar.py::test_polar_title_position[png]",
    "matplotlib/tests/test_quiver.py::test_quiver_animate[png]",
    "matplotlib/tests/test_quiver.py::test_quiver_key_pivot[png]",
    "matplotlib/tests/test_quiver.py::test_quiver_with_key[png]",
    "matplotlib/tests/test_simplification.py::test_clipping_with_nans[png]",
    "matplotlib/tests/test_spines.py::test_spines_axes_positions[png]",
    "matplotlib/tests/test_spines.py::test_spines_data_positions[png]",
    "matplotlib/tests/test_subplots.py::test_subplots_offsettext[png]",
    "matplotlib/tests/test_table.py::test_auto_column[png]",
    "matplotlib/tests/test_table.py::test_label_colours[png]",
    "matplotlib/tests/test_table.py::test_zorder[png]",
    "matplotlib/tests/test_text.py::test_agg_text_clip[png]",
    "matplotlib/tests/test_text.py::test_alignment[png]",
    "matplotlib/tests/test_text.py::test_annotation_negative_ax_coords[png]",
    "matplotlib/tests/test_text.py::test_annotation_negative_fig_coords[png]",
    "matplotlib/tests/test_text.py::test_antialiasing[png]",
    "matplotlib/tests/test_text.py::test_axes_titles[png]",
    "matplotlib/tests/test_text.py::test_basic_wrap[png]",
    "matplotlib/tests/test_text.py::test_bbox_clipping[png]",
    "matplotlib/tests/test_text.py::test_contains[png]",
    "matplotlib/tests/test_text.py::test_font_styles[png]",
    "matplotlib/tests/test_text.py::test_font_wrap[png]",
    "matplotlib/tests/test_text.py::test_large_subscript_title[png]",
    "matplotlib/tests/test_text.py::test_multiline2[png]",
    "matplotlib/tests/test_text.py::test_multiline[png]",
    "matplotlib/tests/test_text.py::test_titles[png]",
    "matplotlib/tests/test_triangulation.py::test_tripcolor[png]",
    "matplotlib/tests/test_units.py::test_numpy_facade[png]",
    "matplotlib/tests/test_widgets.py::test_check_radio_buttons_image[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_anchored_artists[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_anchored_direction_arrows[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_anchored_direction_arrows_many_args[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_image_grid_each_left_label_mode_all[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_image_grid_single_bottom[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_inset_axes[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_inset_locator[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_twin_axes_empty_and_removed[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_zooming_with_inverted_axes[png]",
    "mpl_toolkits/axisartist/tests/test_axis_artist.py::test_axis_artist[png]",
    "mpl_toolkits/axisartist/tests/test_axis_artist.py::test_labelbase[png]",
    "mpl_toolkits/axisartist/tests/test_axis_artist.py::test_ticklabels[png]",
    "mpl_toolkits/axisartist/tests/test_axislines.py::test_SubplotZero[png]",
    "mpl_toolkits/axisartist/tests/test_axislines.py::test_Subplot[png]",
    "mpl_toolkits/axisartist/tests/test_axislines.py::test_subplotzero_ylabel[png]",
    "mpl_toolkits/axisartist/tests/test_floating_axes.py::test_curvelinear4[png]",
    "mpl_toolkits/axisartist/tests/test_grid_helper_curvelinear.py::test_axis_direction[png]",
    "mpl_toolkits/axisartist/tests/test_grid_helper_curvelinear.py::test_custom_transform[png]",
    "mpl_toolkits/axisartist/tests/test_grid_helper_curvelinear.py::test_polar_box[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::TestVoxels::test_xyz[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_aspects[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_aspects_adjust_box[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axes3d_cla[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axes3d_focal_length[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axes3d_labelpad[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axes3d_ortho[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axes3d_primary_views[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axes3d_rotated[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_axis_positions[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_errorbar3d[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_minor_ticks[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_proj_axes_cube[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_proj_axes_cube_ortho[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_stem3d[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_surface3d_label_offset_tick_position[png]",
    "mpl_toolkits/mplot3d/tests/test_axes3d.py::test_text3d[png]",
    "mpl_toolkits/mplot3d/tests/test_legend3d.py::test_fancy[png]",
    "mpl_toolkits/mplot3d/tests/test_legend3d.py::test_legend_bar[png]",
    "mpl_toolkits/mplot3d/tests/test_legend3d.py::test_legend_plot[png]",
];

/// Matplotlib 3.10 and NumPy 2.5: they fail the same way on the host (Matplotlib 3.10.8's
/// x86_64 wheel, NumPy 2.5.5).
const NUMPY_25: &[&str] = &[
    "matplotlib/tests/test_axes.py::test_axhspan_epoch[png]",
    "matplotlib/tests/test_axes.py::test_axvspan_epoch[png]",
    "matplotlib/tests/test_axes.py::test_bar_datetime_start",
    "matplotlib/tests/test_axes.py::test_bar_timedelta",
    "matplotlib/tests/test_axes.py::test_barb_units",
    "matplotlib/tests/test_axes.py::test_broken_barh_timedelta",
    "matplotlib/tests/test_axes.py::test_date_timezone_x[png]",
    "matplotlib/tests/test_axes.py::test_date_timezone_x_and_y[png]",
    "matplotlib/tests/test_axes.py::test_date_timezone_y[png]",
    "matplotlib/tests/test_axes.py::test_eventplot_units_list[png]",
    "matplotlib/tests/test_axes.py::test_extent_units[png]",
    "matplotlib/tests/test_axes.py::test_fill_units[png]",
    "matplotlib/tests/test_axes.py::test_hist_datetime_datasets",
    "matplotlib/tests/test_axes.py::test_hist_datetime_datasets_bins[date2num]",
    "matplotlib/tests/test_axes.py::test_hist_datetime_datasets_bins[datetime.datetime]",
    "matplotlib/tests/test_axes.py::test_hist_datetime_datasets_bins[np.datetime64]",
    "matplotlib/tests/test_axes.py::test_limits_empty_data[png-fill_between]",
    "matplotlib/tests/test_axes.py::test_limits_empty_data[png-plot]",
    "matplotlib/tests/test_axes.py::test_limits_empty_data[png-scatter]",
    "matplotlib/tests/test_axes.py::test_pcolor_datetime_axis[png]",
    "matplotlib/tests/test_axes.py::test_pcolormesh_datetime_axis[png]",
    "matplotlib/tests/test_axes.py::test_pcolornearestunits[png]",
    "matplotlib/tests/test_axes.py::test_quiver_units",
    "matplotlib/tests/test_axes.py::test_single_date[png]",
    "matplotlib/tests/test_axes.py::test_stairs_datetime[png]",
    "matplotlib/tests/test_axes.py::test_stem_dates",
    "matplotlib/tests/test_axes.py::test_xerr_yerr_not_negative",
    "matplotlib/tests/test_backend_svg.py::test_svgnone_with_data_coordinates",
    "matplotlib/tests/test_category.py::test_overriding_units_in_plot[png]",
    "matplotlib/tests/test_collections.py::test_check_masked_offsets[png]",
    "matplotlib/tests/test_collections.py::test_set_offset_units",
    "matplotlib/tests/test_contour.py::test_contour_datetime_axis[png]",
    "matplotlib/tests/test_dates.py::test_DateFormatter[png]",
    "matplotlib/tests/test_dates.py::test_DateFormatter_settz",
    "matplotlib/tests/test_dates.py::test_DateLocator",
    "matplotlib/tests/test_dates.py::test_RRuleLocator[png]",
    "matplotlib/tests/test_dates.py::test_RRuleLocator_close_minmax",
    "matplotlib/tests/test_dates.py::test_RRuleLocator_dayrange",
    "matplotlib/tests/test_dates.py::test_YearLocator",
    "matplotlib/tests/test_dates.py::test_auto_date_locator",
    "matplotlib/tests/test_dates.py::test_auto_date_locator_intmult",
    "matplotlib/tests/test_dates.py::test_auto_date_locator_intmult_tz",
    "matplotlib/tests/test_dates.py::test_axhline",
    "matplotlib/tests/test_dates.py::test_change_converter",
    "matplotlib/tests/test_dates.py::test_change_epoch",
    "matplotlib/tests/test_dates.py::test_change_interval_multiples",
    "matplotlib/tests/test_dates.py::test_concise_converter_stays",
    "matplotlib/tests/test_dates.py::test_concise_formatter",
    "matplotlib/tests/test_dates.py::test_concise_formatter_formats",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta0-1997-Jan-01 00:00]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta1-1997-Jan-01 00:01]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta2-1997-Jan-01]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta3-1997-Jan-02]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta4-1997-Jan]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta5-]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset[t_delta6-]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_show_offset_inverted",
    "matplotlib/tests/test_dates.py::test_concise_formatter_tz",
    "matplotlib/tests/test_dates.py::test_concise_formatter_usetex[t_delta0-expected0]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_usetex[t_delta1-expected1]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_usetex[t_delta2-expected2]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_usetex[t_delta3-expected3]",
    "matplotlib/tests/test_dates.py::test_concise_formatter_zformats",
    "matplotlib/tests/test_dates.py::test_date2num_NaT[datetime64[ms]]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT[datetime64[ns]]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT[datetime64[s]]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT[datetime64[us]]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT_scalar[ms]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT_scalar[ns]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT_scalar[s]",
    "matplotlib/tests/test_dates.py::test_date2num_NaT_scalar[us]",
    "matplotlib/tests/test_dates.py::test_date2num_dst",
    "matplotlib/tests/test_dates.py::test_date2num_masked",
    "matplotlib/tests/test_dates.py::test_date_axhline[png]",
    "matplotlib/tests/test_dates.py::test_date_axhspan[png]",
    "matplotlib/tests/test_dates.py::test_date_axvline[png]",
    "matplotlib/tests/test_dates.py::test_date_axvspan[png]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[ms]-t00]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[ms]-t01]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[ms]-t02]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[ns]-t00]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[ns]-t01]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[ns]-t02]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[s]-t00]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[s]-t01]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[s]-t02]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[us]-t00]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[us]-t01]",
    "matplotlib/tests/test_dates.py::test_date_date2num_numpy[datetime64[us]-t02]",
    "matplotlib/tests/test_dates.py::test_date_empty",
    "matplotlib/tests/test_dates.py::test_date_formatter_usetex[delta0-expected0]",
    "matplotlib/tests/test_dates.py::test_date_formatter_usetex[delta1-expected1]",
    "matplotlib/tests/test_dates.py::test_date_formatter_usetex[delta2-expected2]",
    "matplotlib/tests/test_dates.py::test_date_formatter_usetex[delta3-expected3]",
    "matplotlib/tests/test_dates.py::test_date_inverted_limit[png]",
    "matplotlib/tests/test_dates.py::test_date_numpyx",
    "matplotlib/tests/test_dates.py::test_datestr2num",
    "matplotlib/tests/test_dates.py::test_datetime64_in_list",
    "matplotlib/tests/test_dates.py::test_datetime_masked",
    "matplotlib/tests/test_dates.py::test_drange",
    "matplotlib/tests/test_dates.py::test_locator_set_formatter",
    "matplotlib/tests/test_dates.py::test_offset_changes",
    "matplotlib/tests/test_dates.py::test_too_many_date_ticks",
    "matplotlib/tests/test_dates.py::test_warn_notintervals",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_annotate",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_axhline",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_axhspan",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_axvline",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_axvspan",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_bar",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_bar_label",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_barbs",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_barh",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_broken_barh",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_bxp",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_contour",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_contourf",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_errorbar",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_eventplot",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_fill",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_fill_between",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_fill_betweenx",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_hist",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_hlines",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_imshow",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_matshow",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_plot",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_plot_date",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_scatter",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_stackplot",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_stairs",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_stem",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_step",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_text",
    "matplotlib/tests/test_datetime.py::TestDatetimePlotting::test_vlines",
    "matplotlib/tests/test_figure.py::test_autofmt_xdate[both]",
    "matplotlib/tests/test_figure.py::test_autofmt_xdate[major]",
    "matplotlib/tests/test_figure.py::test_autofmt_xdate[minor]",
    "matplotlib/tests/test_figure.py::test_axes_removal",
    "matplotlib/tests/test_patches.py::test_datetime_rectangle",
    "matplotlib/tests/test_text.py::test_annotation_units[png]",
    "matplotlib/tests/test_ticker.py::test_remove_overlap[False-9]",
    "matplotlib/tests/test_ticker.py::test_remove_overlap[None-6]",
    "matplotlib/tests/test_ticker.py::test_remove_overlap[True-6]",
    "matplotlib/tests/test_units.py::test_empty_arrays",
    "matplotlib/tests/test_units.py::test_errorbar_mixed_units",
    "matplotlib/tests/test_units.py::test_jpl_bar_units[png]",
    "matplotlib/tests/test_units.py::test_jpl_barh_units[png]",
    "matplotlib/tests/test_units.py::test_jpl_datetime_units_consistent",
    "matplotlib/tests/test_units.py::test_scatter_element0_masked",
    "matplotlib/tests/test_units.py::test_shared_axis_datetime",
    "matplotlib/tests/test_units.py::test_subclass[png]",
    "mpl_toolkits/axes_grid1/tests/test_axes_grid1.py::test_twin_axes_both_with_units",
];

/// Tests that start a process (TeX, a Python child, `ffmpeg`) or a process pool.
const PROCESSES: &[&str] = &[
    "matplotlib/tests/test_animation.py::test_movie_writer_registry",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[eps with usetex-landscape-figure]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[eps with usetex-landscape-letter]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[eps with usetex-portrait-figure]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[eps with usetex-portrait-letter]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[ps with usetex-landscape-figure]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[ps with usetex-landscape-letter]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[ps with usetex-portrait-figure]",
    "matplotlib/tests/test_backend_ps.py::test_savefig_to_stringio[ps with usetex-portrait-letter]",
    "matplotlib/tests/test_backends_interactive.py::test_lazy_auto_backend_selection",
    "matplotlib/tests/test_backends_interactive.py::test_qt_missing",
    "matplotlib/tests/test_basic.py::test_lazy_imports",
    "matplotlib/tests/test_determinism.py::test_determinism_check[-pdf-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[h-pdf-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[i-pdf-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[m-pdf-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[mhip-pdf-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[mhip-ps-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[mhip-svg-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_check[p-svg-False]",
    "matplotlib/tests/test_determinism.py::test_determinism_source_date_epoch[pdf-/CreationDate (D:20000101000000Z)]",
    "matplotlib/tests/test_determinism.py::test_determinism_source_date_epoch[ps-%%CreationDate: Sat Jan 01 00:00:00 2000]",
    "matplotlib/tests/test_font_manager.py::test_fontcache_thread_safe",
    "matplotlib/tests/test_font_manager.py::test_fork",
    "matplotlib/tests/test_font_manager.py::test_lockfilefailure",
    "matplotlib/tests/test_pickle.py::test_axeswidget_interactive",
    "matplotlib/tests/test_pickle.py::test_pickle_load_from_subprocess[png]",
    "matplotlib/tests/test_preprocess_data.py::test_data_parameter_replacement",
    "matplotlib/tests/test_ticker.py::test_locale_comma",
];

/// Text metrics from FreeType 2.13.3: kerning values and text extents differ by a pixel
/// or less from 2.6.1's, which these tests hold.
const METRICS: &[&str] = &[
    "matplotlib/tests/test_axes.py::test_normal_axes",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[A-A-57-248-256]",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[A-\\xc0-57-248-256]",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[A-\\xc1-57-248-256]",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[A-\\xc2-57-248-256]",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[A-\\xc3-57-248-256]",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[A-\\xc4-57-248-256]",
    "matplotlib/tests/test_ft2font.py::test_ft2font_get_kerning[T-.--243--1056--1024]",
    "matplotlib/tests/test_legend.py::test_figure_legend_outside",
    "matplotlib/tests/test_polar.py::test_get_tightbbox_polar",
];
