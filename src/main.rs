//! The `sgform` binary: everything lives in the library; see `sgform::cli`.

fn main() -> std::process::ExitCode {
    sgform::cli::main()
}
