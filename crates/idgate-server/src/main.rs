//! The `idgate` binary.

fn main() -> std::process::ExitCode {
    idgate_server::cli::main()
}
