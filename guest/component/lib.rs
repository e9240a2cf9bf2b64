//! The seed article's guest as a Component Model component (the WIT world in `world.wit`).
//!
//! The core module's exports follow the canonical ABI by hand (Debian's rustc 1.63 has no
//! wit-bindgen): one export per WIT function under its WIT name, strings and lists arriving as
//! (pointer, length) in memory the engine obtained from `cabi_realloc`, results wider than one
//! value returned through a return area, and `cabi_post_<name>` freeing what a result pointed
//! to once the engine has copied it out. Each export is glue over the article's own functions
//! (`../article/lib.rs`, compiled in unchanged), so the guest's work is the article's; only
//! the marshalling differs. `python -m guest.build` wraps the module with `wasm-tools
//! component embed` and `component new`.

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::ptr::addr_of_mut;

#[path = "../article/lib.rs"]
mod article;

#[link(wasm_import_module = "$root")]
extern "C" {
    #[link_name = "host-add"]
    fn host_add(a: i32, b: i32) -> i32;
}

/// Where a result of two values is written; the engine reads it right after the call.
static mut RET_AREA: [i32; 2] = [0; 2];
static mut SINK: i32 = 0;

/// The engine's allocator for arguments: `old_size` 0 allocates, otherwise it reallocates.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize,
                                      new_size: usize) -> *mut u8 {
    if new_size == 0 {
        return align as *mut u8; // nothing to hold: a dangling, aligned pointer
    }
    let ptr = if old_size == 0 {
        alloc(Layout::from_size_align_unchecked(new_size, align))
    } else {
        realloc(old, Layout::from_size_align_unchecked(old_size, align), new_size)
    };
    if ptr.is_null() {
        std::process::abort();
    }
    ptr
}

/// Give back a block `cabi_realloc` made for `size` bytes of alignment `align`.
unsafe fn free(ptr: *mut u8, size: usize, align: usize) {
    if size != 0 {
        dealloc(ptr, Layout::from_size_align_unchecked(size, align));
    }
}

/// Hand (ptr, len) back through the return area.
unsafe fn ret_pair(a: i32, b: i32) -> *mut i32 {
    let area = addr_of_mut!(RET_AREA) as *mut i32;
    *area = a;
    *area.add(1) = b;
    area
}

#[export_name = "no-op"]
pub extern "C" fn wit_no_op() {
    article::no_op()
}

#[export_name = "add-numbers"]
pub extern "C" fn wit_add_numbers(a: i32, b: i32) -> i32 {
    article::add_numbers(a, b)
}

/// The argument's buffer is ours: reversed in place, it becomes the result.
#[export_name = "reverse"]
pub unsafe extern "C" fn wit_reverse(ptr: *mut u8, len: usize) -> *mut i32 {
    article::reverse_string_in_place(ptr, len);
    ret_pair(ptr as i32, len as i32)
}

#[export_name = "cabi_post_reverse"]
pub unsafe extern "C" fn wit_reverse_post(ret: *mut i32) {
    free(*ret as *mut u8, *ret.add(1) as usize, 1)
}

#[export_name = "sum"]
pub unsafe extern "C" fn wit_sum(ptr: *mut i32, len: usize) -> i32 {
    let total = article::sum_array(ptr, len);
    free(ptr as *mut u8, 4 * len, 4);
    total
}

#[export_name = "reverse-bytes"]
pub unsafe extern "C" fn wit_reverse_bytes(ptr: *mut u8, len: usize) -> *mut i32 {
    article::reverse_string_in_place(ptr, len);
    ret_pair(ptr as i32, len as i32)
}

#[export_name = "cabi_post_reverse-bytes"]
pub unsafe extern "C" fn wit_reverse_bytes_post(ret: *mut i32) {
    free(*ret as *mut u8, *ret.add(1) as usize, 1)
}

#[export_name = "translate"]
pub unsafe extern "C" fn wit_translate(x: i32, y: i32, dx: i32, dy: i32) -> *mut i32 {
    ret_pair(article::add_numbers(x, dx), article::add_numbers(y, dy))
}

/// The callbacks guest's `loop_add_import`, through the component's import.
#[export_name = "loop-host-add"]
pub extern "C" fn wit_loop_host_add(n: i32) -> i32 {
    let mut acc = 0i32;
    let mut i = 0;
    while i < n {
        acc = unsafe { host_add(acc, i) };
        unsafe { core::ptr::write_volatile(addr_of_mut!(SINK), acc) };
        i += 1;
    }
    acc
}
