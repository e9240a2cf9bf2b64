//! Data crossing from the host into wasm and back: argument shapes, a buffer the guest
//! allocates and returns, and growing memory from inside the guest. It imports nothing, so
//! every runtime can load it.

/// Reserve `size` bytes in linear memory and hand their offset to the host.
#[no_mangle]
pub extern "C" fn allocate(size: usize) -> *mut u8 {
    let mut buf: Vec<u8> = Vec::with_capacity(size);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Give back a block from `allocate` (or from `upper_copy`); `capacity` is its length.
#[no_mangle]
pub unsafe extern "C" fn deallocate(ptr: *mut u8, capacity: usize) {
    drop(Vec::from_raw_parts(ptr, 0, capacity));
}

/// An ASCII-upper-cased copy of `len` bytes at `ptr`, in a block the guest allocates.
/// Returns where it is packed into one i64: offset in the high 32 bits, length in the low 32.
/// The host reads it and frees it with `deallocate(offset, length)`.
#[cfg(target_arch = "wasm32")] #[no_mangle] // 32-bit offsets: the native build has 64-bit ones
pub unsafe extern "C" fn upper_copy(ptr: *const u8, len: usize) -> i64 {
    let input = std::slice::from_raw_parts(ptr, len);
    let out: Box<[u8]> = input.iter().map(|b| b.to_ascii_uppercase()).collect();
    let out_len = out.len();
    let out_ptr = Box::into_raw(out) as *mut u8;
    ((out_ptr as u32 as u64) << 32 | out_len as u32 as u64) as i64
}

/// Grow this module's memory by `pages` from inside the guest (the `memory.grow` instruction):
/// the previous size in pages, or -1 if it cannot grow.
#[cfg(target_arch = "wasm32")] #[no_mangle] // the native floor's build has no linear memory
pub extern "C" fn grow_memory(pages: i32) -> i32 {
    core::arch::wasm32::memory_grow(0, pages as usize) as i32
}

// --- argument shapes: every function returns one i32 checksum of its parameters, so only the
// parameters differ between them. checksum = fold(sum over k of (k + 1) * bits(arg k)), with
// wrapping u64 arithmetic; bits: i32 sign-extended, i64 as is, f32/f64 their IEEE bit patterns.

trait Bits {
    fn bits(self) -> u64;
}

impl Bits for i32 {
    fn bits(self) -> u64 {
        self as i64 as u64
    }
}

impl Bits for i64 {
    fn bits(self) -> u64 {
        self as u64
    }
}

impl Bits for f32 {
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

fn fold(acc: u64) -> i32 {
    (acc ^ (acc >> 32)) as u32 as i32
}

/// No parameters: the checksum of nothing, 0.
#[no_mangle]
pub extern "C" fn args_none() -> i32 {
    fold(0)
}

macro_rules! shape {
    ($name:ident, $t:ty, $($arg:ident)+) => {
        #[no_mangle]
        pub extern "C" fn $name($($arg: $t),+) -> i32 {
            let mut acc = 0u64;
            let mut k = 0u64;
            $(
                k += 1;
                acc = acc.wrapping_add(k.wrapping_mul($arg.bits()));
            )+
            fold(acc)
        }
    };
}

shape!(args_i32x1, i32, a0);
shape!(args_i32x4, i32, a0 a1 a2 a3);
shape!(args_i32x8, i32, a0 a1 a2 a3 a4 a5 a6 a7);
shape!(args_i32x16, i32, a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15);
shape!(args_i64x1, i64, a0);
shape!(args_i64x4, i64, a0 a1 a2 a3);
shape!(args_i64x16, i64, a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15);
shape!(args_f32x1, f32, a0);
shape!(args_f32x4, f32, a0 a1 a2 a3);
shape!(args_f32x16, f32, a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15);
shape!(args_f64x1, f64, a0);
shape!(args_f64x4, f64, a0 a1 a2 a3);
shape!(args_f64x16, f64, a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15);
