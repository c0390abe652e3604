//! Builds the runtime's wasm twice: the release runtime (`WASM_BINARY`) and the upgrade
//! rehearsal (`upgrade_rehearsal::WASM_BINARY`, the same runtime with the `upgrade-rehearsal`
//! feature), which the upgrade test puts on a live chain. The two share one wasm target
//! directory, so the second build recompiles only this crate and the device registry.

#[cfg(feature = "std")]
fn builder() -> substrate_wasm_builder::WasmBuilder {
	let builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
	// Embeds the metadata hash that `CheckMetadataHash` lets offline signers verify; doubles the
	// build time, so off by default.
	#[cfg(feature = "metadata-hash")]
	let builder = builder.enable_metadata_hash("IOT", 12);
	builder
}

#[cfg(feature = "std")]
fn main() {
	builder().build();
	builder()
		.enable_feature("upgrade-rehearsal")
		.set_file_name("upgrade_rehearsal_wasm_binary.rs")
		.build();
}

// Compiling this crate for wasm needs no nested wasm build.
#[cfg(not(feature = "std"))]
fn main() {}
