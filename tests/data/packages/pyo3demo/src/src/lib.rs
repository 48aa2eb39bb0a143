//! A tiny PyO3 extension exercising what kiln's Rust support must get right: a function,
//! 64-bit integers across the boundary, a class, a custom exception, and a panic.
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(_pyo3demo, DemoError, PyException, "Raised by checked_div on a zero divisor.");

/// a + b on 64-bit integers (an i64 signature: needs WASM_BIGINT on both sides).
#[pyfunction]
fn add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

#[pyfunction]
fn sum_list(values: Vec<f64>) -> f64 {
    values.iter().sum()
}

#[pyfunction]
fn checked_div(a: i64, b: i64) -> PyResult<i64> {
    if b == 0 {
        return Err(DemoError::new_err(format!("cannot divide {a} by zero")));
    }
    Ok(a / b)
}

/// Panics: with panic=unwind PyO3 turns this into pyo3_runtime.PanicException.
#[pyfunction]
fn explode(message: String) -> String {
    let depth = std::hint::black_box(3);
    deep(depth, &message)
}

#[inline(never)]
fn deep(n: u32, message: &str) -> String {
    if n == 0 {
        panic!("explode: {message}");
    }
    let guard = Noisy(n);
    let out = deep(n - 1, message);
    drop(guard);
    out
}

/// Dropped while unwinding: counts how many destructors ran.
struct Noisy(u32);
static DROPS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
impl Drop for Noisy {
    fn drop(&mut self) {
        DROPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[pyfunction]
fn drops_seen() -> u32 {
    DROPS.load(std::sync::atomic::Ordering::SeqCst)
}

#[pyclass]
struct Counter {
    #[pyo3(get)]
    count: u64,
    step: u64,
}

#[pymethods]
impl Counter {
    #[new]
    #[pyo3(signature = (step = 1))]
    fn new(step: u64) -> Self {
        Counter { count: 0, step }
    }

    fn bump(&mut self) -> u64 {
        self.count += self.step;
        self.count
    }

    fn __repr__(&self) -> String {
        format!("Counter(count={}, step={})", self.count, self.step)
    }
}

#[pymodule]
fn _pyo3demo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(add, m)?)?;
    m.add_function(wrap_pyfunction!(sum_list, m)?)?;
    m.add_function(wrap_pyfunction!(checked_div, m)?)?;
    m.add_function(wrap_pyfunction!(explode, m)?)?;
    m.add_function(wrap_pyfunction!(drops_seen, m)?)?;
    m.add_class::<Counter>()?;
    m.add("DemoError", m.py().get_type::<DemoError>())?;
    Ok(())
}
