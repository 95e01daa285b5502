//! The `proctor` binary: everything lives in the library.

fn main() {
    std::process::exit(proctor::cli::main());
}
