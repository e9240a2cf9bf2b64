//! Floors inside the engine: loops that run entirely in the guest, so the cost of one host
//! call is spread over many iterations and what is left is the engine's own per-step cost.
//!
//! `call_loop` and `inline_loop` compute the same value; the first makes one wasm-to-wasm
//! call per iteration, the second does the step inline, so their difference per iteration is
//! the cost of a call inside the engine. `reverse_repeat` reverses the same bytes as the
//! article's `reverse_string_in_place`, many times per host call, so the guest's own work can
//! be timed without the crossing. Every loop returns a value the host checks against the
//! Python reference, so a runtime cannot pass by skipping the work.

/// One loop step: cheap, and impossible to fold into a closed form across iterations.
#[inline(always)]
fn mix(acc: u32, i: u32) -> u32 {
    acc.rotate_left(5) ^ i
}

/// `mix` behind a real call: `inline(never)` keeps the `call` instruction in the loop.
#[inline(never)]
extern "C" fn step(acc: u32, i: u32) -> u32 {
    mix(acc, i)
}

/// `n` iterations, each one wasm-to-wasm call to `step`.
#[no_mangle]
pub extern "C" fn call_loop(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc = step(acc, i);
    }
    acc
}

/// The same `n` iterations with `step` inlined: the loop without the calls.
#[no_mangle]
pub extern "C" fn inline_loop(n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc = mix(acc, i);
    }
    acc
}

/// The article's reverse (the same line of code), kept out of line like an exported call.
#[inline(never)]
unsafe fn reverse(ptr: *mut u8, len: usize) {
    std::slice::from_raw_parts_mut(ptr, len).reverse();
}

/// Reverse `len` bytes at `ptr` in place `reps` times; return a hash of the first byte after
/// each pass (0 when `len` is 0) as proof that every pass ran.
#[no_mangle]
pub unsafe extern "C" fn reverse_repeat(ptr: *mut u8, len: usize, reps: u32) -> u32 {
    let mut acc = 0u32;
    for _ in 0..reps {
        reverse(ptr, len);
        let first = if len > 0 { *ptr } else { 0 };
        acc = acc.wrapping_mul(31).wrapping_add(first as u32);
    }
    acc
}

/// Reserve `size` bytes in linear memory and hand their offset to the host (as the article).
#[no_mangle]
pub extern "C" fn allocate(size: usize) -> *mut u8 {
    let mut buf: Vec<u8> = Vec::with_capacity(size);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Give back a block from `allocate`; `capacity` must be the size that was asked for.
#[no_mangle]
pub unsafe extern "C" fn deallocate(ptr: *mut u8, capacity: usize) {
    drop(Vec::from_raw_parts(ptr, 0, capacity));
}
