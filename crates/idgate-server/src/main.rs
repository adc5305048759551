//! The `idgate` binary.

// mimalloc: the request path allocates many small strings and JSON values; glibc malloc showed
// up at ~15% of server CPU in bench/session_create profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    idgate_server::cli::main()
}
