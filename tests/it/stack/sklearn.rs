//! scikit-learn with kiln's NumPy, SciPy, joblib, threadpoolctl and narwhals: estimators that
//! run its compiled code (liblinear, libsvm, the tree builders, k-means, ball and KD trees,
//! coordinate descent, histogram gradient boosting, t-SNE's Barnes-Hut) fitted on fixed data,
//! their predictions and parameters compared with scikit-learn's own x86_64 wheel on the host;
//! and a slice of scikit-learn's own test suite (the `scikit-learn-tests` wheel) in the runtime.
//!
//! scikit-learn builds in about 12 minutes on two cores and needs SciPy, so these tests are
//! heavy: `#[ignore]`d here, run by `scripts/test-heavy`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{installed_tests_in_runtime, runtime_and_host, stack_dist};

fn sklearn_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-sklearn", &["scikit-learn"]))
        .clone()
}

/// Prints `RESULT {json}`: per estimator, its predictions (labels exactly) and fitted values.
const MODELS: &str = r#"
import json
import numpy as np
from sklearn.cluster import KMeans, DBSCAN, AgglomerativeClustering
from sklearn.datasets import load_diabetes, load_iris, load_digits, make_classification
from sklearn.decomposition import PCA, NMF
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import Lasso, LogisticRegression, Ridge, ElasticNet
from sklearn.manifold import TSNE
from sklearn.metrics import accuracy_score, pairwise_distances, roc_auc_score
from sklearn.model_selection import cross_val_score, train_test_split, KFold
from sklearn.neighbors import KNeighborsClassifier, KDTree
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeRegressor, export_text
r = {}
X, y = load_iris(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
Xd, yd = load_diabetes(return_X_y=True)
Xc, yc = make_classification(n_samples=400, n_features=12, n_informative=6, random_state=3)
def fit(name, model, Xa=Xtr, ya=ytr, Xb=Xte):
    model.fit(Xa, ya)
    r[name] = model.predict(Xb).tolist()
    return model
lr = fit("logreg_lbfgs", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)))
r["logreg_coef"] = lr[-1].coef_.round(6).tolist()
lib = fit("logreg_liblinear", LogisticRegression(solver="liblinear", C=0.5), Xc[:300], yc[:300], Xc[300:])
r["liblinear_coef"] = lib.coef_.round(8).tolist()
svc = fit("svc", SVC(kernel="rbf", C=3.0, gamma="scale", probability=False))
r["svc_support"] = svc.n_support_.tolist()
r["svc_decision"] = svc.decision_function(Xte[:5]).round(8).tolist()
fit("knn_ball_tree", KNeighborsClassifier(n_neighbors=7, algorithm="ball_tree", weights="distance"))
tree = KDTree(Xd, leaf_size=10)
dist, ind = tree.query(Xd[:5], k=4)
r["kdtree"] = [dist.round(12).tolist(), ind.tolist()]
rf = fit("forest", RandomForestClassifier(n_estimators=25, max_depth=4, random_state=0), Xc[:300], yc[:300], Xc[300:])
r["forest_importances"] = rf.feature_importances_.round(12).tolist()
hgb = fit("hist_gradient_boosting", HistGradientBoostingClassifier(max_iter=40, random_state=0), Xc[:300], yc[:300], Xc[300:])
r["hgb_auc"] = round(roc_auc_score(yc[300:], hgb.predict_proba(Xc[300:])[:, 1]), 10)
dt = DecisionTreeRegressor(max_depth=3, random_state=0).fit(Xd, yd)
r["tree_text"] = export_text(dt, decimals=6)
r["ridge"] = Ridge(alpha=0.7).fit(Xd, yd).coef_.round(8).tolist()
r["lasso"] = Lasso(alpha=0.05).fit(Xd, yd).coef_.round(6).tolist()
r["elasticnet"] = ElasticNet(alpha=0.01, l1_ratio=0.3).fit(Xd, yd).coef_.round(6).tolist()
r["svr"] = SVR(C=50.0, epsilon=5.0).fit(Xd, yd).predict(Xd[:6]).round(6).tolist()
km = KMeans(n_clusters=3, n_init=4, random_state=0).fit(X)
r["kmeans"] = [km.labels_.tolist(), round(km.inertia_, 8), np.sort(km.cluster_centers_[:, 0]).round(8).tolist()]
r["dbscan"] = DBSCAN(eps=0.5, min_samples=5).fit(X).labels_.tolist()
r["agglomerative"] = AgglomerativeClustering(n_clusters=3, linkage="ward").fit(X).labels_.tolist()
pca = PCA(n_components=3).fit(load_digits().data)
r["pca"] = pca.explained_variance_ratio_.round(10).tolist()
nmf = NMF(n_components=2, init="nndsvd", max_iter=400, random_state=0).fit(X)
r["nmf"] = round(nmf.reconstruction_err_, 6)
r["cross_val"] = cross_val_score(SVC(), X, y, cv=KFold(5, shuffle=True, random_state=1)).round(12).tolist()
r["pairwise"] = pairwise_distances(X[:4], metric="manhattan").round(12).tolist()
emb = TSNE(n_components=2, perplexity=10, init="pca", random_state=0, max_iter=250, method="barnes_hut").fit_transform(X[:60])
r["tsne_shape"] = list(emb.shape)
r["accuracy"] = accuracy_score(yte, r["svc"])
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same code in the runtime and on the host gives the same results: labels and
/// predictions of classifiers exactly, fitted values within 1e-7 relative (the script rounds
/// iterative solvers' results to what their tolerances fix).
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn sklearn_matches_the_host_in_the_runtime() {
    let dist = sklearn_dist();
    let (runtime, host) = runtime_and_host(
        &dist,
        "sklearn-host-venv",
        &[
            "scikit-learn==1.9.1",
            "scipy==1.18.1",
            "numpy==2.5.5",
            "joblib==1.6.0",
            "threadpoolctl==3.8.0",
            "narwhals==2.29.0",
        ],
        MODELS,
    );
    super::assert_agree(&runtime, &host, 1e-7, &[]);
    assert!(runtime["accuracy"].as_f64().unwrap() > 0.9);
}

/// scikit-learn's own tests, a slice: linear models, SVMs, trees, neighbours, k-means,
/// metrics, preprocessing.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn sklearn_test_suite_runs_in_the_runtime() {
    let dist = sklearn_dist();
    installed_tests_in_runtime(
        &dist,
        "sklearn-pytest",
        "scikit-learn,scikit-learn-tests,pytest,hypothesis",
        MODULES,
        &[],
        DESELECTED,
    );
}

/// The test modules run, relative to site-packages.
const MODULES: &[&str] = &[
    "sklearn/linear_model/tests/test_logistic.py",
    "sklearn/linear_model/tests/test_coordinate_descent.py",
    "sklearn/svm/tests/test_svm.py",
    "sklearn/tree/tests/test_tree.py",
    "sklearn/neighbors/tests/test_neighbors.py",
    "sklearn/cluster/tests/test_k_means.py",
    "sklearn/metrics/tests/test_classification.py",
    "sklearn/preprocessing/tests/test_data.py",
];

/// Known failures, with the reason; ids are relative to the rootdir (site-packages).
const DESELECTED: &[(&str, &str)] = &[];
