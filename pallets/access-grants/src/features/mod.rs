//! The pallet's logic, by capability: calls stay thin in `lib.rs` and call into these.

mod checking;
mod expiry;
mod issuing;
mod revoking;
