//! What names this chain in the payloads keys sign to consent to their use on it.

use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Zero;

/// This chain's genesis hash, which every possession proof and signed login payload names, so
/// a signature made for one chain is worthless on another. Every pallet reads it here.
pub fn genesis_hash<T: frame_system::Config>() -> [u8; 32] {
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
	<[u8; 32]>::try_from(genesis.as_ref()).unwrap_or_default()
}
