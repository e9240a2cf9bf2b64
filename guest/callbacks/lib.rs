//! Wasm calling the host: loops that call an imported host function `n` times.
//!
//! Every loop does the same guest-side work per iteration (a wrapping add and a volatile store,
//! so the optimiser keeps the loop) and returns the same sum; they differ only in the import
//! they call. `loop_no_import` is that loop with no call at all: subtracting it from a loop with
//! an import and dividing by `n` gives the cost of one guest-to-host crossing, the engine floor
//! for host callbacks (scenario `host_call`).

extern "C" {
    /// Does nothing (the host counts the call).
    fn host_noop();
    /// Two i32 in, one out: the host returns `a + b`.
    fn host_add(a: i32, b: i32) -> i32;
    /// The "log" pattern: the host reads `len` bytes at `ptr` out of this module's memory.
    fn host_log(ptr: *const u8, len: usize);
}

static mut SINK: i32 = 0;

/// A store the optimiser may not remove, so every loop really runs `n` times.
#[inline(always)]
fn keep(value: i32) {
    unsafe { core::ptr::write_volatile(core::ptr::addr_of_mut!(SINK), value) }
}

/// The host_call loop without an import call: the baseline subtracted from the others.
#[no_mangle]
pub extern "C" fn loop_no_import(n: i32) -> i32 {
    let mut acc = 0i32;
    let mut i = 0;
    while i < n {
        acc = acc.wrapping_add(i);
        keep(acc);
        i += 1;
    }
    acc
}

/// The same loop calling `host_noop` once per iteration.
#[no_mangle]
pub extern "C" fn loop_noop_import(n: i32) -> i32 {
    let mut acc = 0i32;
    let mut i = 0;
    while i < n {
        unsafe { host_noop() };
        acc = acc.wrapping_add(i);
        keep(acc);
        i += 1;
    }
    acc
}

/// The same loop with the add done by the host: `acc = host_add(acc, i)`.
#[no_mangle]
pub extern "C" fn loop_add_import(n: i32) -> i32 {
    let mut acc = 0i32;
    let mut i = 0;
    while i < n {
        acc = unsafe { host_add(acc, i) };
        keep(acc);
        i += 1;
    }
    acc
}

/// The same loop handing the host `len` bytes at `ptr` to read on every iteration.
#[no_mangle]
pub unsafe extern "C" fn loop_log_import(ptr: *const u8, len: usize, n: i32) -> i32 {
    let mut acc = 0i32;
    let mut i = 0;
    while i < n {
        host_log(ptr, len);
        acc = acc.wrapping_add(i);
        keep(acc);
        i += 1;
    }
    acc
}

/// Reserve `size` bytes in linear memory and hand their offset to the host.
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
