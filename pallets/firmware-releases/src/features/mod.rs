//! The pallet's logic by capability, as `pallet-nfts` keeps it: each module is one
//! `impl<T: Config> Pallet<T>` block with the `do_*` functions the calls in `lib.rs` delegate to,
//! and their helpers.

mod approvers;
mod fleet;
mod models;
mod releases;
mod reports;
