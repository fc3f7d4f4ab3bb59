//! Envelope benches (placeholder until the envelope lands).
fn main() {}
