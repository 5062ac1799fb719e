//! Supervisor costs against Erlang/OTP (filled in below).
fn main() {}
