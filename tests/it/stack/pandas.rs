//! pandas with kiln's NumPy, python-dateutil and tzdata: CSV round trip, groupby, a datetime
//! index (resampling, rolling windows, time zones from tzdata), joins and JSON, compared with
//! pandas' own x86_64 wheel on the host, and a slice of pandas' test suite (the `pandas-tests`
//! wheel kiln splits off) in the runtime.
//!
//! pandas takes minutes to build on two cores (docs/stack.md), so these tests are heavy: `#[ignore]`d
//! here and run by `scripts/test-heavy` (docs/stack.md has the figures).

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{installed_tests_in_runtime, runtime_and_host, stack_dist};

fn pandas_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-pandas", &["pandas", "pytz"]))
        .clone()
}

/// Prints `RESULT {json}`: the CSV text and what reading it back gives, group aggregates,
/// resampled and rolling series, time zone conversions, parsed dates, a join, categoricals,
/// hashes and JSON.
const FRAMES: &str = r#"
import io, json
import numpy as np
import pandas as pd
r = {}
# CSV round trip: ints, floats with NaN, strings, dates, booleans.
df = pd.DataFrame({
    "id": range(1, 13),
    "city": ["Oslo", "Lima", "Pune", "Oslo", "Lima", "Pune"] * 2,
    "temp": [3.5, 18.25, 31.0, np.nan, 19.75, 29.5, 1.25, 17.0, 33.5, 2.0, np.nan, 30.25],
    "when": pd.date_range("2024-01-30", periods=12, freq="36h"),
    "ok": [True, False] * 6,
})
text = df.to_csv(index=False)
back = pd.read_csv(io.StringIO(text), parse_dates=["when"])
r["csv"] = text
r["csv_dtypes"] = {c: str(t) for c, t in back.dtypes.items()}
r["csv_equal"] = bool(back.equals(df))
r["csv_c_vs_python"] = bool(pd.read_csv(io.StringIO(text), engine="python", parse_dates=["when"]).equals(back))
# groupby: several aggregations, transform, and a multi-key group.
g = df.groupby("city")["temp"]
r["groupby"] = json.loads(g.agg(["sum", "mean", "std", "count", "min", "max"]).to_json())
r["groupby_transform"] = df.assign(rank=g.rank()).groupby("city")["rank"].sum().to_dict()
r["groupby_two_keys"] = {f"{a}/{b}": v for (a, b), v in df.groupby(["city", "ok"])["id"].sum().items()}
r["describe"] = json.loads(df["temp"].describe().to_json())
r["pivot"] = json.loads(df.pivot_table(index="city", columns="ok", values="temp", aggfunc="mean").to_json())
# Datetime index: resample, rolling, shift, time zones (tzdata), periods, parsing.
s = pd.Series(np.arange(100, dtype="float64") ** 1.5, index=pd.date_range("2024-02-25", periods=100, freq="7h"))
r["index_dtype"] = str(s.index.dtype)
r["resample_daily"] = [round(v, 9) for v in s.resample("D").mean().tolist()]
r["resample_weekly_last"] = {str(k.date()): v for k, v in s.resample("W-MON").last().items()}
r["rolling"] = [round(v, 9) for v in s.rolling("1D").sum().iloc[::10].tolist()]
r["day_names"] = s.index[::13].day_name().tolist()
paris = s.index[:5].tz_localize("UTC").tz_convert("Europe/Paris")
r["tz"] = [str(t) for t in paris]
r["dst"] = str(pd.Timestamp("2024-03-31 01:30", tz="UTC").tz_convert("Europe/Paris"))
r["to_datetime"] = [str(t) for t in pd.to_datetime(["2024-02-29", "2023-12-31 23:59:59", "1970-01-01T00:00:01.5"], format="ISO8601")]
r["to_datetime_format"] = str(pd.to_datetime("04/07/2024 13:05", format="%d/%m/%Y %H:%M"))
r["timedelta"] = str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=59, hours=25, minutes=61))
r["periods"] = [str(p) for p in pd.period_range("2023-11", periods=4, freq="M")]
r["bdays"] = [str(d.date()) for d in pd.bdate_range("2024-12-20", periods=6)]
# Joins, categoricals, strings, hashing, JSON, missing data.
left = pd.DataFrame({"k": ["a", "b", "c", "d"], "x": [1, 2, 3, 4]})
right = pd.DataFrame({"k": ["b", "d", "e"], "y": [20.5, 40.5, 50.5]})
r["merge"] = json.loads(left.merge(right, on="k", how="outer").to_json(orient="records"))
cat = pd.Categorical(["lo", "hi", "mid", "hi", "lo", "lo"], categories=["lo", "mid", "hi"], ordered=True)
r["categorical"] = {"codes": cat.codes.tolist(), "max": cat.max(), "counts": pd.Series(cat).value_counts().to_dict()}
r["strings"] = pd.Series(["Kiln ", " wasm", "PyOdide"]).str.strip().str.lower().str.replace("o", "0").tolist()
r["hash"] = [str(h) for h in pd.util.hash_pandas_object(left)]
r["json"] = df.to_json(orient="records", date_format="iso")
r["json_roundtrip"] = bool(pd.read_json(io.StringIO(r["json"]))[["id", "temp", "ok"]].equals(df[["id", "temp", "ok"]]))
r["fillna_interpolate"] = df["temp"].interpolate().round(6).tolist()
r["quantiles"] = df["temp"].quantile([0.1, 0.5, 0.9]).round(9).tolist()
r["sorted"] = df.sort_values(["city", "temp"], na_position="first")["id"].tolist()
r["int_dtype"] = str(pd.Series([1, 2, 3]).dtype)
print("RESULT " + json.dumps(r, sort_keys=True, default=str))
"#;

/// The same code in the runtime and on the host gives the same results (floats within
/// 1e-12, relative).
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn pandas_matches_the_host_in_the_runtime() {
    let dist = pandas_dist();
    let (runtime, host) = runtime_and_host(&dist, "pandas-host-venv", &["pandas==3.1.1"], FRAMES);
    super::assert_agree(&runtime, &host, 1e-12, &[]);
    assert_eq!(runtime["csv_equal"], true);
    assert_eq!(runtime["json_roundtrip"], true);
}

/// pandas' own tests (from the `pandas-tests` wheel), a slice: time series internals,
/// parsing, groupby, resampling, joins, rolling windows. `slow`, `network` and `db` tests
/// are left out by marker, as pandas' CI does for quick runs.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn pandas_test_suite_runs_in_the_runtime() {
    let dist = pandas_dist();
    installed_tests_in_runtime(
        &dist,
        "pandas-pytest",
        "pandas,pandas-tests,pytz,pytest,hypothesis",
        MODULES,
        &["-m", "not slow and not network and not db"],
        DESELECTED,
    );
}

/// The test modules run, relative to site-packages.
const MODULES: &[&str] = &[
    "pandas/tests/tslibs",
    "pandas/tests/libs",
    "pandas/tests/io/parser/test_c_parser_only.py",
    "pandas/tests/io/parser/test_parse_dates.py",
    "pandas/tests/io/parser/test_na_values.py",
    "pandas/tests/groupby/test_groupby.py",
    "pandas/tests/groupby/aggregate/test_aggregate.py",
    "pandas/tests/resample/test_datetime_index.py",
    "pandas/tests/reshape/merge/test_merge.py",
    "pandas/tests/window/test_rolling.py",
    "pandas/tests/io/json/test_ujson.py",
];

/// Known failures, with the reason; ids are relative to the rootdir (site-packages).
const DESELECTED: &[(&str, &str)] = &[
    (
        "pandas/tests/tslibs/test_timezones.py::test_no_timezone_data",
        "runs Python in a subprocess: the runtime has no processes",
    ),
    (
        "pandas/tests/io/parser/test_c_parser_only.py::test_read_tarfile",
        "reads `parser/data/tar_csv.tar`, which pandas' sdist does not ship",
    ),
];
