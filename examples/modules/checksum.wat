;; A small hand-written module for the "bring your own module" and "workloads as data"
;; examples (docs/). Rebuild checksum.wasm with `python -m guest.build`.
(module
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 1024))

  ;; add(a, b): a + b, wrapping like every i32 operation
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))

  ;; allocate(size) -> ptr: a bump allocator (8-byte aligned, never frees) that grows memory
  (func (export "allocate") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $pages i32)
    (local.set $ptr (global.get $next))
    (local.set $end (i32.add (local.get $ptr)
                             (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8))))
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable))))
    (global.set $next (local.get $end))
    (local.get $ptr))

  ;; fnv1a(ptr, len) -> the 32-bit FNV-1a hash of len bytes at ptr (as a signed i32)
  (func (export "fnv1a") (param $ptr i32) (param $len i32) (result i32)
    (local $h i32) (local $end i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $ptr)))
                               (i32.const 0x01000193)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next)))
    (local.get $h))

  ;; to_upper(ptr, len): ASCII letters a-z upper-cased in place
  (func (export "to_upper") (param $ptr i32) (param $len i32)
    (local $end i32) (local $c i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $ptr)))
        (if (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 26))
          (then (i32.store8 (local.get $ptr) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next)))))
