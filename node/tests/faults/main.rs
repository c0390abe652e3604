//! The faults a consortium runs into over years, each on four real validator processes of a
//! `new-consortium.sh` chain: every validator killed at once mid-flood (`crash`), two of four
//! lost for good and finality restored by the council (`stall`), and a 2|2 partition and a slow
//! link in network namespaces (`partition`, root needed).
//!
//! One test binary for the three, so that `cargo test --test faults` also runs them side by
//! side (`scripts/test.sh` runs every test so, under nextest): most of their time is spent
//! waiting for slots and session boundaries, not computing.

mod crash;
mod partition;
mod stall;
