//! The guest of "The Interop Cost of Wasm" (seed 000): the exports its benchmarks call.
//! Arithmetic wraps (two's complement) so every runtime and the Python reference agree.

#[no_mangle]
pub extern "C" fn no_op() {}

#[no_mangle]
pub extern "C" fn add_numbers(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
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

/// Reverse `len` bytes at `ptr` in place (bytes, not characters).
#[no_mangle]
pub unsafe extern "C" fn reverse_string_in_place(ptr: *mut u8, len: usize) {
    std::slice::from_raw_parts_mut(ptr, len).reverse();
}

/// Sum `len` little-endian i32 values at `ptr`, wrapping on overflow.
#[no_mangle]
pub unsafe extern "C" fn sum_array(ptr: *const i32, len: usize) -> i32 {
    std::slice::from_raw_parts(ptr, len)
        .iter()
        .fold(0i32, |acc, x| acc.wrapping_add(*x))
}
