//! Shapely with kiln's GEOS (static, C++ with wasm exceptions) and NumPy: buffers, overlay
//! operations, WKT/WKB, an STRtree, prepared geometries and vectorized functions on NumPy
//! arrays, compared with Shapely's own x86_64 wheel on the host, and Shapely's test suite (the
//! `shapely-tests` wheel kiln splits off) in the runtime.
//!
//! GEOS takes minutes to build on two cores (docs/stack.md), so these tests are heavy:
//! `#[ignore]`d here and run by `scripts/test-heavy`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{installed_tests_in_runtime, runtime_and_host, stack_dist};

fn shapely_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-shapely", &["shapely"]))
        .clone()
}

/// Prints `RESULT {json}`: the GEOS version, areas, lengths and WKT of overlay operations,
/// WKB bytes, STRtree query results, prepared-geometry counts and vectorized aggregates.
const GEOMETRY: &str = r#"
import json
import numpy as np
import shapely
from shapely import wkb, wkt
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.ops import unary_union
from shapely.prepared import prep
from shapely.strtree import STRtree

r = {}
r["geos_version"] = list(shapely.geos_version)
# Areas and lengths: buffers (the quadrant segment count fixes the polygon), unions,
# intersections, differences, convex hulls.
disc = Point(0, 0).buffer(10.0, quad_segs=16)
r["disc_area"] = disc.area
r["disc_length"] = disc.length
r["disc_vertices"] = len(disc.exterior.coords)
sq = box(0, 0, 10, 10)
tri = Polygon([(5, -5), (15, 5), (5, 15)])
r["intersection_area"] = sq.intersection(tri).area
r["union_area"] = sq.union(tri).area
r["difference_area"] = sq.difference(tri).area
r["symdiff_area"] = sq.symmetric_difference(tri).area
r["intersection_wkt"] = shapely.normalize(sq.intersection(tri)).wkt
r["hull_wkt"] = shapely.normalize(MultiPoint([(0, 0), (3, 1), (1, 3), (4, 4), (2, 2), (4, 0)]).convex_hull).wkt
r["line_buffer_area"] = LineString([(0, 0), (10, 0), (10, 10)]).buffer(1.0, cap_style="flat", join_style="mitre").area
r["unary_union_area"] = unary_union([box(i, 0, i + 2, 2) for i in range(5)]).area
r["centroid"] = list(tri.centroid.coords[0])
r["distance"] = Point(20, 20).distance(sq)
r["hausdorff"] = shapely.hausdorff_distance(sq, tri)
r["simplify_wkt"] = LineString([(0, 0), (1, 0.05), (2, -0.05), (3, 0), (3, 3)]).simplify(0.1).wkt
r["valid"] = [Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]).is_valid, sq.is_valid]
r["make_valid_area"] = shapely.make_valid(Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])).area
r["predicates"] = [sq.intersects(tri), sq.contains(Point(1, 1)), sq.touches(box(10, 0, 11, 1)),
                   sq.within(box(-1, -1, 11, 11)), sq.relate(tri)]
# WKT and WKB round trips (hex and binary, with and without SRID).
g = shapely.from_wkt("POLYGON ((0 0, 4 0, 4 3, 0 3, 0 0), (1 1, 2 1, 2 2, 1 2, 1 1))")
r["wkt_roundtrip"] = wkt.loads(g.wkt).equals_exact(g, 0)
r["wkb_hex"] = g.wkb_hex
r["wkb_roundtrip"] = wkb.loads(g.wkb).equals(g) and wkb.loads(g.wkb_hex, hex=True).equals(g)
with_srid = shapely.set_srid(Point(1.5, 2.5), 4326)
r["ewkb_hex"] = shapely.to_wkb(with_srid, hex=True, include_srid=True)
r["ewkb_srid"] = int(shapely.get_srid(shapely.from_wkb(r["ewkb_hex"])))
r["geojson"] = shapely.to_geojson(LineString([(0, 0), (1, 2)]))
# STRtree: a 20x20 grid of unit boxes queried by a disc, and nearest neighbours.
grid = [box(x, y, x + 1, y + 1) for x in range(20) for y in range(20)]
tree = STRtree(grid)
q = Point(10, 10).buffer(3.0)
r["tree_query"] = sorted(int(i) for i in tree.query(q))
r["tree_query_intersects"] = sorted(int(i) for i in tree.query(q, predicate="intersects"))
r["tree_query_contains"] = sorted(int(i) for i in tree.query(q, predicate="contains"))
r["tree_nearest"] = int(tree.nearest(Point(-3.0, 7.5)))
# Prepared geometry against many points.
pts = [Point(x * 0.5, y * 0.5) for x in range(-4, 30) for y in range(-4, 30)]
p = prep(tri)
r["prepared_contains"] = sum(p.contains(pt) for pt in pts)
r["prepared_intersects"] = sum(p.intersects(pt) for pt in pts)
# Vectorized operations on numpy arrays.
rng = np.random.default_rng(17)
xy = rng.uniform(0, 100, size=(2000, 2))
points = shapely.points(xy)
circles = shapely.buffer(points, 2.5, quad_segs=8)
r["vec_area_sum"] = float(shapely.area(circles).sum())
r["vec_contains"] = int(shapely.contains_xy(box(20, 20, 60, 70), xy[:, 0], xy[:, 1]).sum())
r["vec_distance"] = float(shapely.distance(points, Point(50, 50)).mean())
r["vec_bounds"] = shapely.total_bounds(circles).round(9).tolist()
r["vec_union_area"] = float(shapely.union_all(circles[:300]).area)
lines = shapely.linestrings(xy.reshape(200, 10, 2))
r["vec_length_sum"] = float(shapely.length(lines).sum())
r["vec_coords"] = float(shapely.get_coordinates(shapely.centroid(circles[:50])).sum())
r["vec_is_valid"] = int(shapely.is_valid(lines).sum())
r["vec_wkt"] = shapely.to_wkt(points[:3], rounding_precision=6).tolist()
arr = np.array([sq, tri, None], dtype=object)
r["vec_none"] = [None if v != v else v for v in shapely.area(arr).tolist()]
# GEOS errors reach Python as exceptions (C++ exceptions caught inside GEOS's C API).
try:
    shapely.from_wkt("POLYGON ((0 0, 1 1")
    r["bad_wkt"] = "no error"
except shapely.errors.GEOSException as e:
    r["bad_wkt"] = type(e).__name__
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same code in the runtime and on the host gives the same results (floats within 1e-9,
/// relative). The host wheel bundles its own GEOS (3.14.1 for Shapely 2.2.0's wheel), kiln's
/// is 3.13.1: `geos_version` is compared apart, and every other value is one that both GEOS
/// versions compute alike (overlay results are normalized before their WKT is compared).
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn shapely_matches_the_host_in_the_runtime() {
    let dist = shapely_dist();
    let (runtime, host) = runtime_and_host(
        &dist,
        "shapely-host-venv",
        &["shapely==2.2.0", "numpy==2.5.5"],
        GEOMETRY,
    );
    assert_eq!(runtime["geos_version"], serde_json::json!([3, 13, 1]));
    super::assert_agree(&runtime, &host, 1e-9, &["geos_version"]);
    assert_eq!(runtime["wkb_roundtrip"], true);
    assert_eq!(runtime["bad_wkt"], "GEOSException");
}

/// Shapely's own tests (from the `shapely-tests` wheel), all of them but two that need a
/// subprocess or threads.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn shapely_test_suite_runs_in_the_runtime() {
    let dist = shapely_dist();
    installed_tests_in_runtime(
        &dist,
        "shapely-pytest",
        "shapely,shapely-tests,pytest,hypothesis",
        &["shapely/tests"],
        &[],
        DESELECTED,
    );
}

/// Known failures, with the reason; ids are relative to the rootdir (site-packages).
const DESELECTED: &[(&str, &str)] = &[
    (
        "shapely/tests/test_strtree.py::test_pickle_persistence",
        "runs Python in a subprocess: the runtime has no processes",
    ),
    (
        "shapely/tests/test_strtree.py::test_strtree_threaded_query",
        "queries from a ThreadPoolExecutor: the runtime has no threads",
    ),
];
