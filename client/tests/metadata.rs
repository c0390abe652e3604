//! The committed metadata the client's types are generated from must be the metadata of the
//! runtime in this tree; otherwise the client would encode calls the chain does not take.

#[test]
fn committed_metadata_is_the_runtime_metadata() {
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/artifacts/iotchain.scale");
	let committed = std::fs::read(path).expect("client/artifacts/iotchain.scale is committed");
	let built = iotchain_runtime::Runtime::metadata_at_version(16)
		.expect("the runtime serves metadata V16");
	assert!(
		committed.as_slice() == built.as_slice(),
		"client/artifacts/iotchain.scale ({} bytes) differs from the runtime's metadata ({} bytes): \
		 run scripts/refresh-metadata.sh and rebuild the client",
		committed.len(),
		built.len()
	);
}
