//! coffer layer 1: the envelope format.
#![forbid(unsafe_code)]
