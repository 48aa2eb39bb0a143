//! Pillow with kiln's libjpeg-turbo, libpng (zlib) and FreeType: JPEG and PNG encode and
//! decode, resampling, filters and text, compared with Pillow's own x86_64 wheel on the host,
//! and a slice of Pillow's test suite (from its sdist: the wheel has no tests) in the runtime.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{fetched_source, pytest_in_runtime, runtime_and_host, stack_dist};

fn pillow_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-pillow", &["pillow"]))
        .clone()
}

/// One synthetic image through every codec and operation; prints `RESULT {json}`: sha256s of
/// pixels and encoded files, and the text raster itself.
const IMAGING: &str = r#"
import hashlib, io, json
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features
w, h = 160, 120
img = Image.new("RGB", (w, h))
img.putdata([((x * 255) // w, (y * 255) // h, ((x + y) * 3) % 256) for y in range(h) for x in range(w)])
d = ImageDraw.Draw(img)
d.ellipse((20, 15, 90, 80), fill=(200, 30, 60), outline=(0, 0, 0), width=3)
d.rectangle((100, 60, 150, 110), fill=(20, 180, 90))
d.line((0, 119, 159, 0), fill=(255, 255, 255), width=2)
sha = lambda b: hashlib.sha256(b).hexdigest()
r = {"features": {f: features.check(f) for f in ("jpg", "zlib", "freetype2")}}
r["pixels"] = sha(img.tobytes())
buf = io.BytesIO(); img.save(buf, "PNG"); png = buf.getvalue()
r["png_roundtrip"] = sha(Image.open(io.BytesIO(png)).convert("RGB").tobytes())
buf = io.BytesIO(); img.save(buf, "JPEG", quality=90); jpeg = buf.getvalue()
r["jpeg"] = sha(jpeg)
r["jpeg_decoded"] = sha(Image.open(io.BytesIO(jpeg)).tobytes())
buf = io.BytesIO(); img.save(buf, "JPEG", quality=40, progressive=True, subsampling=2)
r["jpeg_progressive"] = sha(buf.getvalue())
r["resize"] = sha(img.resize((80, 60), Image.Resampling.LANCZOS).tobytes())
r["blur"] = sha(img.filter(ImageFilter.GaussianBlur(2)).tobytes())
r["rotate"] = sha(img.rotate(33, resample=Image.Resampling.BICUBIC, expand=True).tobytes())
font = ImageFont.load_default(size=14)
t = Image.new("L", (120, 30))
ImageDraw.Draw(t).text((2, 2), "kiln 17", font=font, fill=255)
r["text_bbox"] = list(font.getbbox("kiln 17"))
r["text"] = list(t.tobytes())
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same code in the runtime and on the host gives the same pixels and the same JPEG and
/// PNG bytes; text differs in a handful of anti-aliased pixels (kiln's FreeType 2.13.3
/// against the newer one in Pillow's wheel).
#[test]
fn pillow_matches_the_host_in_the_runtime() {
    let dist = pillow_dist();
    let (runtime, host) = runtime_and_host(&dist, "pillow-host-venv", &["pillow==13.0.0"], IMAGING);
    super::assert_agree(&runtime, &host, 0.0, &["text"]);
    super::assert_pixels_close("text", &runtime["text"], &host["text"], 100);
}

/// Pillow's own tests (the sdist's `Tests/`), a slice of codecs and core operations. The whole
/// suite passes too (4949 passed, 728 skipped, `test_main` deselected): see docs/stack.md.
#[test]
fn pillow_test_suite_runs_in_the_runtime() {
    let dist = pillow_dist();
    let source = fetched_source("pillow");
    const NO_PROCESSES: &str = "runs `python -m PIL` in a subprocess: no processes in the runtime";
    pytest_in_runtime(
        &dist,
        &source,
        "pillow,pytest",
        &[
            "Tests/test_file_jpeg.py",
            "Tests/test_file_png.py",
            "Tests/test_file_gif.py",
            "Tests/test_image.py",
            "Tests/test_image_resample.py",
            "Tests/test_imagedraw.py",
            "Tests/test_imagefont.py",
            "Tests/test_image_filter.py",
            "Tests/test_imageops.py",
            "Tests/test_main.py",
        ],
        &[],
        &[
            ("Tests/test_main.py::test_main[args0-False]", NO_PROCESSES),
            ("Tests/test_main.py::test_main[args1-True]", NO_PROCESSES),
            ("Tests/test_main.py::test_main[args2-True]", NO_PROCESSES),
        ],
    );
}
