//! The current process as the kernel counts it, for the soak and storm runs that report
//! memory and threads: one number field of `/proc/self/status`.

/// A number field of `/proc/self/status` (`VmRSS`, `VmHWM` in KiB, `Threads`, ...), or
/// `None` where `/proc` is missing (not Linux) or the field is unknown, so a run reports
/// the figure as unknown instead of failing.
pub fn status_field(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process_memory_and_threads() {
        assert!(status_field("VmRSS").is_some_and(|kib| kib > 0));
        assert!(status_field("Threads").is_some_and(|n| n >= 1));
        assert_eq!(status_field("NoSuchField"), None);
    }
}
