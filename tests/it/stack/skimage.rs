//! scikit-image with kiln's NumPy, SciPy, Pillow, imageio, tifffile, networkx, PyWavelets and
//! lazy-loader: filters, segmentation, morphology, measurement, geometric transforms,
//! features, restoration and colour conversion on fixed images, compared with the host; and a
//! slice of scikit-image's own test suite (in the sdist's top-level `tests/` since 0.26, not in
//! the wheel) in the runtime.
//!
//! The package index has no x86_64 wheel of 0.26.0 for Python 3.15, only 0.27.0rc1, so the host
//! runs 0.27.0rc1; the algorithms compared here did not change between the two (the script
//! prints both versions).
//!
//! scikit-image builds in about 4 minutes on two cores and needs SciPy, so these tests are
//! heavy: `#[ignore]`d here, run by `scripts/test-heavy`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{fetched_source, pytest_in_runtime, runtime_and_host, stack_dist};

fn skimage_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-skimage", &["scikit-image"]))
        .clone()
}

/// Prints `RESULT {json}`.
const IMAGES: &str = r#"
import json
import numpy as np
import skimage as ski
from skimage import color, data, exposure, feature, filters, measure, morphology, restoration, segmentation, transform, util
r = {"version": ski.__version__}
cam = util.img_as_float(data.camera()[::4, ::4])
coins = data.coins()[::2, ::2]
r["otsu"] = float(filters.threshold_otsu(coins))
r["sobel"] = float(filters.sobel(cam).sum().round(8))
r["gaussian"] = filters.gaussian(cam, sigma=2)[::16, ::16].round(10).tolist()
r["sato"] = float(filters.sato(cam[:64, :64], sigmas=[1, 2]).sum().round(6))
labels = measure.label(morphology.remove_small_objects(coins > filters.threshold_otsu(coins), max_size=20))
props = measure.regionprops(labels)
r["labels"] = [int(labels.max()), sorted(int(p.area) for p in props)[-8:], [round(p.eccentricity, 8) for p in props[:5]]]
r["contours"] = [len(c) for c in measure.find_contours(cam, 0.5)][:10]
r["morphology"] = [int(morphology.opening(coins, morphology.disk(3)).sum()), int(morphology.skeletonize(coins > 100).sum())]
r["watershed"] = np.bincount(segmentation.watershed(filters.sobel(coins), markers=25, compactness=0.001).ravel()).tolist()[:20]
r["slic"] = int(segmentation.slic(color.gray2rgb(cam[:64, :64]), n_segments=20, start_label=1).max())
r["canny"] = int(feature.canny(cam, sigma=2).sum())
r["corners"] = feature.corner_peaks(feature.corner_harris(cam), min_distance=5)[:10].tolist()
r["hog"] = feature.hog(cam[:64, :64], pixels_per_cell=(16, 16))[:20].round(10).tolist()
r["glcm"] = feature.graycoprops(feature.graycomatrix(util.img_as_ubyte(cam[:64, :64]), [1], [0, np.pi / 2]), "contrast").round(8).tolist()
r["rotate"] = transform.rotate(cam, 30)[::16, ::16].round(10).tolist()
r["resize"] = transform.resize(cam, (40, 30), anti_aliasing=True)[::5, ::5].round(10).tolist()
r["radon"] = transform.radon(cam[:64, :64], theta=[0, 45, 90])[::8].round(8).tolist()
r["hough"] = [int(v) for v in transform.hough_line_peaks(*transform.hough_line(feature.canny(cam)))[0][:5]]
r["equalize"] = exposure.equalize_hist(cam)[::16, ::16].round(10).tolist()
r["denoise_tv"] = restoration.denoise_tv_chambolle(cam[:64, :64], weight=0.1)[::8, ::8].round(8).tolist()
r["lab"] = color.rgb2lab(data.astronaut()[::64, ::64]).round(8).tolist()
r["hsv"] = color.rgb2hsv(data.astronaut()[::64, ::64]).round(10).tolist()
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same code in the runtime and on the host gives the same results (floats within 1e-7,
/// relative: iterative filters such as total-variation denoising stop on a tolerance).
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn skimage_matches_the_host_in_the_runtime() {
    let dist = skimage_dist();
    let (runtime, host) = runtime_and_host(
        &dist,
        "skimage-host-venv",
        &[
            "scikit-image==0.27.0rc1",
            "scipy==1.18.1",
            "numpy==2.5.5",
            "pillow==13.0.0",
            "networkx==3.7",
        ],
        IMAGES,
    );
    assert_eq!(runtime["version"], "0.26.0");
    super::assert_agree(&runtime, &host, 1e-7, &["version"]);
}

/// scikit-image's own tests, a slice, from its sdist: filters, measure, morphology,
/// segmentation, transform, feature, color, exposure.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn skimage_test_suite_runs_in_the_runtime() {
    let dist = skimage_dist();
    let source = fetched_source("scikit-image");
    pytest_in_runtime(
        &dist,
        &source,
        "scikit-image,pytest,hypothesis",
        MODULES,
        // The sdist's top conftest only swaps the terminal reporter for pytest-pretty's (not
        // in the runtime): conftest files above `tests/skimage` are not read. Its `addopts`
        // stop after 5 failures; none are kept.
        &[
            "-p",
            "no:doctest",
            "--confcutdir=tests/skimage",
            "-o",
            "addopts=",
            "-m",
            "not slow",
        ],
        DESELECTED,
    );
}

/// The test modules run, relative to the sdist.
const MODULES: &[&str] = &[
    "tests/skimage/filters/test_thresholding.py",
    "tests/skimage/filters/test_edges.py",
    "tests/skimage/measure/test_regionprops.py",
    "tests/skimage/morphology/test_gray.py",
    "tests/skimage/segmentation/test_watershed.py",
    "tests/skimage/transform/test_warps.py",
    "tests/skimage/feature/test_canny.py",
    "tests/skimage/color/test_colorconv.py",
    "tests/skimage/exposure/test_exposure.py",
];

/// Known failures, with the reason; ids are relative to the sdist.
const DESELECTED: &[(&str, &str)] = &[
    (
        "tests/skimage/measure/test_regionprops.py::test_all_props_3d",
        "marching cubes sets an array's `shape`, deprecated in NumPy 2.5 (newer than this \
         scikit-image), and the suite turns warnings into errors",
    ),
    (
        "tests/skimage/measure/test_regionprops.py::test_feret_diameter_max_3d",
        "the same NumPy 2.5 deprecation in marching cubes",
    ),
];
