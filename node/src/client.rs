//! The node's client and backend types, named once for the service, the network and the
//! subcommands.

use iotchain_runtime::{apis::RuntimeApi, opaque::Block};

/// The host functions the runtime may call; a node built for benchmarking also serves the
/// benchmarking ones, which its runtime (built with `runtime-benchmarks`) imports.
#[cfg(not(feature = "runtime-benchmarks"))]
pub(crate) type HostFunctions = sp_io::SubstrateHostFunctions;
#[cfg(feature = "runtime-benchmarks")]
pub(crate) type HostFunctions =
	(sp_io::SubstrateHostFunctions, frame_benchmarking::benchmarking::HostFunctions);

pub(crate) type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
pub(crate) type FullBackend = sc_service::TFullBackend<Block>;
