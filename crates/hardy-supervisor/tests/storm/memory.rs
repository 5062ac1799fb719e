//! The process's memory as the kernel counts it: resident set now (`VmRSS`) and its
//! high-water mark since the process started (`VmHWM`), from `/proc/self/status`.
//!
//! Both in KiB; `None` where `/proc` is missing (not Linux), so the figures are then
//! reported as unknown instead of failing the run.

/// One field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Resident memory now, in KiB.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS")
}

/// The most resident memory the process ever had, in KiB.
pub fn hwm_kib() -> Option<u64> {
    status_kib("VmHWM")
}

/// KiB as MiB with one decimal, or `?`.
pub fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "?".into())
}
