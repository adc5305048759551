//! The `idgate` binary.

// mimalloc: the request path allocates many small strings and JSON values; glibc malloc showed
// up at ~15% of server CPU in bench/session_create profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Transparent huge pages let the allocator's freed memory stay resident in whole 2 MiB pages
    // (~60 MB of peak RSS with the face models loaded, bench/faces); the server's allocations are
    // small or short-lived, so the process opts out before it allocates much (what mimalloc's
    // MIMALLOC_ALLOW_THP=0 does at its start).
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    idgate_server::cli::main()
}
