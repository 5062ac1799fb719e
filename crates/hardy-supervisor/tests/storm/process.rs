//! The process as the kernel counts it: resident memory now (`VmRSS`) and its high-water
//! mark since the process started (`VmHWM`), from `/proc/self/status`, in KiB; and the CPU
//! time it used, from `/proc/self/stat`.
//!
//! `None` where `/proc` is missing (not Linux), so the figures are then reported as
//! unknown instead of failing the run.

use hardy_testkit::process::status_field as status_kib;

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

/// CPU time the process used so far (user + system), in seconds. Assumes the kernel's
/// usual 100 clock ticks a second (`getconf CLK_TCK`).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
