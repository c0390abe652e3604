//! Merkle trees in the style of RFC 6962 (Certificate Transparency), section 2.1.
//!
//! - A leaf's hash is `SHA-256(0x00 || leaf)`, an inner node's `SHA-256(0x01 || left || right)`,
//!   so no leaf passes for a node (the second-preimage attack on plain Merkle trees).
//! - A tree of `n > 1` leaves splits at the largest power of two below `n`: the left subtree is
//!   full and the tree needs no padding, so a root commits to the exact leaf count.
//! - Inclusion proofs are RFC 6962's audit paths and verify as RFC 9162 section 2.1.3.2 says.
//!
//! A gateway's leaves are the wire forms of the envelopes it accepted, in acceptance order:
//! a reading that was altered, dropped or moved after acceptance no longer proves against the
//! anchored root.

use crate::{sha256, Hash};
use alloc::vec::Vec;

/// The prefix of a leaf's hash input.
const LEAF_PREFIX: u8 = 0x00;
/// The prefix of an inner node's hash input.
const NODE_PREFIX: u8 = 0x01;

/// The hash of the leaf `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
	sha256(&[&[LEAF_PREFIX], data])
}

/// A leaf's hash taken as its bytes stream by, for a leaf too large to hold (an oversized
/// envelope a gateway skips): the same hash as [`leaf_hash`] of the bytes given, in order.
#[derive(Clone)]
pub struct LeafHasher(sha2::Sha256);

impl Default for LeafHasher {
	fn default() -> Self {
		use sha2::Digest;
		let mut hasher = sha2::Sha256::new();
		hasher.update([LEAF_PREFIX]);
		LeafHasher(hasher)
	}
}

impl LeafHasher {
	/// The leaf's next bytes.
	pub fn update(&mut self, bytes: &[u8]) {
		use sha2::Digest;
		self.0.update(bytes);
	}

	pub fn finish(self) -> Hash {
		use sha2::Digest;
		self.0.finalize().into()
	}
}

/// The hash of the inner node over `left` and `right`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
	sha256(&[&[NODE_PREFIX], left, right])
}

/// The largest power of two strictly below `n` (for `n > 1`): where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
	let mut k = 1;
	while k << 1 < n {
		k <<= 1;
	}
	k
}

/// The root of the tree whose leaves hash to `leaves`; the empty tree's root is `SHA-256()`.
pub fn root(leaves: &[Hash]) -> Hash {
	match leaves.len() {
		0 => sha256(&[]),
		1 => leaves[0],
		n => {
			let k = split(n);
			node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
		},
	}
}

/// The audit path of leaf `index` in the tree of `leaves`, from the leaf up; `None` when the
/// index is outside the tree.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
	if index >= leaves.len() {
		return None;
	}
	let mut path = Vec::new();
	audit_path(leaves, index, &mut path);
	Some(path)
}

fn audit_path(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
	let n = leaves.len();
	if n <= 1 {
		return;
	}
	let k = split(n);
	if index < k {
		audit_path(&leaves[..k], index, path);
		path.push(root(&leaves[k..]));
	} else {
		audit_path(&leaves[k..], index - k, path);
		path.push(root(&leaves[..k]));
	}
}

/// Whether the leaf hashing to `leaf` is leaf `index` of a tree of `size` leaves with root
/// `root`, as `proof` claims.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
	if index >= size {
		return false;
	}
	let (mut fn_, mut sn) = (index, size - 1);
	let mut r = *leaf;
	for p in proof {
		if sn == 0 {
			return false;
		}
		if fn_ & 1 == 1 || fn_ == sn {
			r = node_hash(p, &r);
			if fn_ & 1 == 0 {
				while fn_ & 1 == 0 && fn_ != 0 {
					fn_ >>= 1;
					sn >>= 1;
				}
			}
		} else {
			r = node_hash(&r, p);
		}
		fn_ >>= 1;
		sn >>= 1;
	}
	sn == 0 && r == *root
}
