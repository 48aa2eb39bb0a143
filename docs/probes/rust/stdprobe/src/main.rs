// Checks that panic=unwind works on wasm EH: catch_unwind must catch a panic.
use std::panic;

#[inline(never)]
fn boom(n: u32) -> u32 {
    if n > 2 {
        panic!("boom at {n}");
    }
    n + 1
}

fn main() {
    let r = panic::catch_unwind(|| boom(std::hint::black_box(5)));
    match r {
        Ok(v) => println!("no panic? {v}"),
        Err(e) => println!("caught: {:?}", e.downcast_ref::<String>()),
    }
    let v: Vec<u64> = (0..10).map(|x| x * x).collect();
    println!("sum {} ; hashmap {:?}", v.iter().sum::<u64>(), std::collections::HashMap::from([(1, 2)]));
}
