//! What a login's or update report's payload carries, and whether it is about its envelope's
//! device.
//!
//! A login's payload is the SCALE encoding of the chain's `SignedLogin` (the device, the user
//! device, the nonce, the challenge block and the user device's signature); an update report's
//! is the chain's `UpdateReport`. Either must be about the envelope's own device.

use codec::DecodeAll;
use iotchain_client::{SignedLogin, UpdateReport};
use iotchain_gateway_protocol::envelope::{Envelope, Kind};

/// The chain's login record, as a login envelope's payload carries it.
pub fn decode_login(payload: &[u8]) -> Option<SignedLogin<u32>> {
	SignedLogin::decode_all(&mut &payload[..]).ok()
}

/// The chain's update report, as an update report envelope's payload carries it.
pub fn decode_report(payload: &[u8]) -> Option<UpdateReport> {
	UpdateReport::decode_all(&mut &payload[..]).ok()
}

/// Whether the envelope's payload is what its kind needs: anything for a reading; for a login
/// or update report, the chain's record of one about the envelope's own device.
pub fn payload_is_about(envelope: &Envelope) -> bool {
	match envelope.kind {
		Kind::Telemetry => true,
		Kind::Login => {
			decode_login(&envelope.payload).is_some_and(|login| login.device == envelope.device)
		},
		Kind::UpdateReport => {
			decode_report(&envelope.payload).is_some_and(|report| report.device == envelope.device)
		},
	}
}
