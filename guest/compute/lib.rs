//! The guest of the interruption scenarios (seed 001: a runaway guest, and what being able to
//! stop one costs). One module holds a loop that never ends, a long finite loop and a recursive
//! function, so stopping and overhead are measured on the same compiled code.
//!
//! The optimiser must keep every loop: `spin` writes a global through a volatile pointer on
//! every turn, and `churn`'s rounds have no closed form. Arithmetic wraps so every runtime and
//! the Python reference agree.

use core::ptr::{addr_of, addr_of_mut, read_volatile, write_volatile};

static mut TURNS: u64 = 0;

/// Never returns: a runaway guest. Counts its turns in a global (an observable side effect).
#[no_mangle]
pub extern "C" fn spin() {
    loop {
        unsafe { write_volatile(addr_of_mut!(TURNS), read_volatile(addr_of!(TURNS)).wrapping_add(1)) }
    }
}

/// `rounds` steps of a 64-bit LCG whose output is folded back in (no closed form); returns the
/// low 32 bits of the state as an i32.
#[no_mangle]
pub extern "C" fn churn(rounds: u32) -> i32 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..rounds {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        x ^= x >> 29;
    }
    x as i32
}

/// The naive doubly recursive Fibonacci number (wrapping): a call-heavy workload.
#[no_mangle]
pub extern "C" fn fib(n: u32) -> u32 {
    if n < 2 {
        n
    } else {
        fib(n - 1).wrapping_add(fib(n - 2))
    }
}
