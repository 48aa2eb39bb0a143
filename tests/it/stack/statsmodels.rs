//! statsmodels with kiln's NumPy, SciPy, pandas, patsy and formulaic: regression from
//! formulas, generalised linear and discrete models, time series (ARIMA through the Cython
//! Kalman filter, exponential smoothing, decomposition), smoothing and tests, compared with
//! statsmodels' own x86_64 wheel on the host; and a slice of statsmodels' test suite (the
//! `statsmodels-tests` wheel) in the runtime.
//!
//! statsmodels builds in about 3.5 minutes on two cores and needs SciPy and pandas, so these
//! tests are heavy: `#[ignore]`d here, run by `scripts/test-heavy`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{installed_tests_in_runtime, runtime_and_host, stack_dist};

fn statsmodels_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-statsmodels", &["statsmodels"]))
        .clone()
}

/// Prints `RESULT {json}`: parameters, standard errors and test statistics of each model.
const MODELS: &str = r#"
import json
import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf, adfuller
from statsmodels.nonparametric.smoothers_lowess import lowess
from statsmodels.stats.weightstats import ttest_ind
r = {}
rng = np.random.default_rng(2026)
n = 120
df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.uniform(0, 3, size=n), "g": rng.choice(list("abc"), size=n)})
df["y"] = 1.5 + 2.0 * df.x - 0.7 * df.z + df.g.map({"a": 0.0, "b": 0.5, "c": -1.0}) + rng.normal(scale=0.4, size=n)
df["count"] = rng.poisson(np.exp(0.3 + 0.4 * df.x))
df["hit"] = (df.y + rng.logistic(size=n) > 1.5).astype(int)
ols = smf.ols("y ~ x + z + C(g)", data=df).fit()
r["ols"] = [ols.params.round(10).to_dict(), ols.bse.round(10).tolist(), round(ols.rsquared, 12), round(ols.fvalue, 8)]
wls = sm.WLS(df.y, sm.add_constant(df[["x", "z"]]), weights=1.0 / (1.0 + df.z)).fit()
r["wls"] = wls.params.round(10).tolist()
pois = smf.glm("count ~ x", data=df, family=sm.families.Poisson()).fit()
r["poisson"] = [pois.params.round(8).tolist(), round(pois.deviance, 8)]
logit = smf.logit("hit ~ x + z", data=df).fit(disp=0)
r["logit"] = [logit.params.round(7).tolist(), round(logit.llf, 8)]
rlm = sm.RLM(df.y, sm.add_constant(df.x), M=sm.robust.norms.HuberT()).fit()
r["rlm"] = rlm.params.round(8).tolist()
quant = smf.quantreg("y ~ x", df).fit(q=0.5)
r["quantreg"] = quant.params.round(7).tolist()
t = np.arange(96)
series = pd.Series(10 + 0.05 * t + 2 * np.sin(2 * np.pi * t / 12) + rng.normal(scale=0.3, size=96),
                   index=pd.date_range("2018-01-01", periods=96, freq="MS"))
dec = seasonal_decompose(series, model="additive", period=12)
r["decompose"] = dec.seasonal.iloc[:12].round(10).tolist()
arima = ARIMA(series, order=(1, 1, 1)).fit()
r["arima"] = [arima.params.round(5).tolist(), arima.forecast(3).round(4).tolist()]
# Fixed smoothing parameters: the optimised fit stops on a loose tolerance and lands on
# forecasts 0.5% apart between the two builds' libm; the recursions themselves agree.
hw = ExponentialSmoothing(series, trend="add", seasonal="add", seasonal_periods=12).fit(
    smoothing_level=0.3, smoothing_trend=0.05, smoothing_seasonal=0.2, optimized=False)
r["holt_winters"] = [hw.forecast(4).round(10).tolist(), round(hw.sse, 8)]
r["acf"] = acf(series.diff().dropna(), nlags=6).round(12).tolist()
r["adfuller"] = [round(v, 8) for v in adfuller(series)[:2]]
r["lowess"] = lowess(df.y, df.x, frac=0.4)[::15].round(10).tolist()
r["ttest"] = [round(v, 10) for v in ttest_ind(df.y[df.g == "a"], df.y[df.g == "b"])[:2]]
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same code in the runtime and on the host gives the same results within 1e-9
/// (relative). The iterative fits are rounded in the script to what their convergence
/// tolerance fixes (ARIMA's parameters to 5 places), or run with fixed parameters
/// (Holt-Winters: its optimiser's result moved by 0.5% between the builds).
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn statsmodels_matches_the_host_in_the_runtime() {
    let dist = statsmodels_dist();
    let (runtime, host) = runtime_and_host(
        &dist,
        "statsmodels-host-venv",
        &[
            "statsmodels==0.15.0",
            "formulaic==1.2.2",
            "patsy==1.0.3",
            "pandas==3.1.1",
            "scipy==1.18.1",
            "numpy==2.5.5",
        ],
        MODELS,
    );
    super::assert_agree(&runtime, &host, 1e-9, &[]);
}

/// statsmodels' own tests, a slice: regression, GLM, discrete models, ARIMA, smoothing,
/// statistical tests.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn statsmodels_test_suite_runs_in_the_runtime() {
    let dist = statsmodels_dist();
    installed_tests_in_runtime(
        &dist,
        "statsmodels-pytest",
        "statsmodels,statsmodels-tests,pytest,hypothesis",
        MODULES,
        // statsmodels' pytest settings (shipped in the package as `statsmodels/pyproject.toml`)
        // add options of plugins the runtime does not have (pytest-randomly); none are kept.
        &["-o", "addopts=", "-m", "not slow and not matplotlib"],
        DESELECTED,
    );
}

/// The test modules run, relative to site-packages.
const MODULES: &[&str] = &[
    "statsmodels/regression/tests/test_regression.py",
    "statsmodels/genmod/tests/test_glm.py",
    "statsmodels/discrete/tests/test_discrete.py",
    "statsmodels/tsa/arima/tests/test_model.py",
    "statsmodels/tsa/tests/test_stattools.py",
    "statsmodels/nonparametric/tests/test_lowess.py",
    "statsmodels/stats/tests/test_weightstats.py",
];

/// Known failures, with the reason; ids are relative to the rootdir (site-packages).
const DESELECTED: &[(&str, &str)] = &[];
