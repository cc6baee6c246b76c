//! The `feedwright` binary: everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    feedwright::cli::main()
}
