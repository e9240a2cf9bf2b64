//! A WASI command: prints the sum of its integer arguments (exit code 2 on a bad argument).
use std::process::exit;

fn main() {
    let mut total: i64 = 0;
    for arg in std::env::args().skip(1) {
        match arg.parse::<i64>() {
            Ok(v) => total = total.wrapping_add(v),
            Err(_) => {
                eprintln!("not an integer: {arg}");
                exit(2);
            }
        }
    }
    println!("{total}");
}
