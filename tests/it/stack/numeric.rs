//! PyWavelets (C and Cython on NumPy) and the small packages scikit-image and statsmodels
//! pull in that need only NumPy and Pillow (imageio, tifffile, lazy-loader, patsy, wrapt and
//! its C extension, interface-meta): light enough for CI (PyWavelets builds in about a minute
//! on two cores). One script using them all runs in the runtime and on the host with the same
//! versions (their own x86_64 wheels), and PyWavelets' own test suite (the `pywavelets-tests`
//! wheel) runs in the runtime.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{installed_tests_in_runtime, runtime_and_host, stack_dist};

/// The recipes, and the same versions for the host (NumPy and Pillow too: imageio decodes
/// through Pillow).
const PACKAGES: &[(&str, &str)] = &[
    ("pywavelets", "1.10.0"),
    ("imageio", "2.38.2"),
    ("tifffile", "2026.11.16"),
    ("lazy-loader", "0.6"),
    ("patsy", "1.0.3"),
    ("wrapt", "2.5.2"),
    ("interface-meta", "2.0.1"),
];

fn numeric_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let names: Vec<&str> = PACKAGES.iter().map(|(name, _)| *name).collect();
        stack_dist("dist-numeric", &names)
    })
    .clone()
}

/// Prints `RESULT {json}`: wavelet coefficients (1-D, 2-D, stationary, continuous, packets),
/// denoising, images through imageio and tifffile (decoded pixels, not encoder bytes: the
/// compressors' output may differ between zlib builds), design matrices, decorators.
const SCRIPT: &str = r#"
import io, json, sys
import numpy as np
from importlib.metadata import version
r = {"versions": {n: version(n) for n in NAMES}}
import pywt
x = np.sin(np.linspace(0, 12, 256)) + 0.25 * np.cos(np.linspace(0, 90, 256))
r["wavedec"] = [c.round(12).tolist() for c in pywt.wavedec(x, "db4", level=4, mode="symmetric")]
r["waverec_error"] = float(np.abs(pywt.waverec(pywt.wavedec(x, "sym5"), "sym5") - x).max() < 1e-12)
img = pywt.data.camera()[::8, ::8].astype(float)
cA, (cH, cV, cD) = pywt.dwt2(img, "bior2.2")
r["dwt2"] = [float(cA.sum().round(6)), float(np.abs(cH).sum().round(6)), float(cV.std().round(9)), list(cD.shape)]
r["swt"] = [c.round(10).tolist() for pair in pywt.swt(x[:64], "haar", level=2) for c in pair]
coef, freqs = pywt.cwt(x[:128], np.arange(1, 9), "morl")
r["cwt"] = [coef.round(9)[:, ::16].tolist(), freqs.round(12).tolist()]
wp = pywt.WaveletPacket(x[:64], "db2", maxlevel=3)
r["packets"] = [node.path for node in wp.get_level(3, "freq")]
noisy = x + 0.3 * np.random.default_rng(7).standard_normal(256)
coeffs = pywt.wavedec(noisy, "db8", level=5)
coeffs[1:] = [pywt.threshold(c, 0.4, mode="soft") for c in coeffs[1:]]
r["denoised"] = pywt.waverec(coeffs, "db8").round(10)[::8].tolist()
r["wavelet"] = [pywt.Wavelet("db3").dec_lo, pywt.Wavelet("coif2").vanishing_moments_psi, len(pywt.wavelist())]
import imageio.v3 as iio
from PIL import Image
rgb = np.dstack([img.astype(np.uint8), img.T.astype(np.uint8), (255 - img).astype(np.uint8)])
png = iio.imwrite("<bytes>", rgb, extension=".png")
r["imageio_png"] = [bool((iio.imread(png, extension=".png") == rgb).all()), list(iio.improps(png, extension=".png").shape)]
jpeg = iio.imwrite("<bytes>", rgb, extension=".jpeg", quality=90)
r["imageio_jpeg"] = int(np.abs(iio.imread(jpeg, extension=".jpeg").astype(int) - rgb).sum())
import tifffile
buf = io.BytesIO()
tifffile.imwrite(buf, np.stack([rgb, rgb[::-1]]), compression="zlib", photometric="rgb", metadata={"axes": "ZYXS"})
buf.seek(0)
with tifffile.TiffFile(buf) as tif:
    r["tifffile"] = [tif.series[0].axes, list(tif.series[0].shape), int(tif.asarray().astype(np.int64).sum())]
import lazy_loader as lazy
mod = lazy.load("colorsys")
r["lazy_loader"] = [round(v, 12) for v in mod.rgb_to_hsv(0.2, 0.4, 0.4)]
from patsy import dmatrices, dmatrix
data = {"y": np.arange(8.0) ** 2, "x": np.arange(8.0), "g": list("abcabcab")}
y, X = dmatrices("y ~ center(x) + I(x ** 2) + standardize(x) + C(g, Treatment('c')) + x:C(g)", data)
r["patsy"] = [X.design_info.column_names, np.asarray(X).round(12).tolist()]
r["patsy_poly"] = np.asarray(dmatrix("C(g, Poly)", data)).round(12).tolist()
import wrapt
seen = []
@wrapt.decorator
def traced(wrapped, instance, args, kwargs):
    seen.append([wrapped.__qualname__, type(instance).__name__, list(args)])
    return wrapped(*args, **kwargs)
class K:
    @traced
    def area(self, w, h):
        return w * h
r["wrapt"] = [K().area(3, 4), seen, type(wrapt.ObjectProxy([1])).__mro__[1].__module__]
from interface_meta import InterfaceMeta, override
class Base(metaclass=InterfaceMeta):
    def f(self):
        "Base docs."
class Impl(Base):
    @override
    def f(self):
        return 1
r["interface_meta"] = Impl.f.__doc__
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// Every package built with its recipe test, and the script's results equal the host's:
/// wavelet coefficients within 1e-9 (relative; the C kernels are the same but the compilers
/// and libm differ), everything else exactly.
#[test]
fn numeric_packages_match_the_host_in_the_runtime() {
    let dist = numeric_dist();
    let mut pins: Vec<String> = PACKAGES
        .iter()
        .map(|(name, version)| format!("{name}=={version}"))
        .collect();
    pins.extend(["numpy==2.5.5".into(), "pillow==13.0.0".into()]);
    let pins: Vec<&str> = pins.iter().map(String::as_str).collect();
    let names: Vec<&str> = PACKAGES.iter().map(|(name, _)| *name).collect();
    let script = SCRIPT.replace("NAMES", &format!("{names:?}"));
    let (runtime, host) = runtime_and_host(&dist, "numeric-host-venv", &pins, &script);
    super::assert_agree(&runtime, &host, 1e-9, &[]);
    assert_eq!(runtime["waverec_error"], 1.0);
    assert_eq!(runtime["imageio_png"][0], true);
}

/// PyWavelets' own tests (`pywt/tests`, from the `pywavelets-tests` wheel), all of them.
#[test]
fn pywavelets_test_suite_runs_in_the_runtime() {
    let dist = numeric_dist();
    installed_tests_in_runtime(
        &dist,
        "pywavelets-pytest",
        "pywavelets,pywavelets-tests,pytest,hypothesis",
        &["pywt/tests"],
        &[],
        DESELECTED,
    );
}

/// Known failures, with the reason; ids are relative to the rootdir (site-packages).
const DESELECTED: &[(&str, &str)] = &[];
