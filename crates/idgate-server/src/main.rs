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
    raise_open_files();
    idgate_server::cli::main()
}

/// Raises the soft limit on open files to the hard limit: every connection and web socket is a
/// file, and the default soft limit (often 1,024) would cap the server far below
/// `limits.max_connections`.
fn raise_open_files() {
    #[cfg(target_os = "linux")]
    // SAFETY: getrlimit/setrlimit read and write a plain struct owned by this frame.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}
