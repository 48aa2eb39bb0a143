//! kiln's setuptools-rust test extension: a loop over u64 and a panic PyO3 must turn into
//! pyo3_runtime.PanicException.
use pyo3::prelude::*;

/// The n-th Fibonacci number, wrapping on overflow (u64 crosses into JS as a BigInt).
#[pyfunction]
fn fib(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

/// Returns `n`, or panics when it is odd.
#[pyfunction]
fn must_be_even(n: i64) -> i64 {
    assert!(n % 2 == 0, "{n} is odd");
    n
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fib, m)?)?;
    m.add_function(wrap_pyfunction!(must_be_even, m)?)?;
    Ok(())
}
