//! TLS on the HTTP and WebSocket listener, with rustls (ring): TLS 1.2 and 1.3, the
//! certificate chain and key from PEM files, HTTP/1.1 announced by ALPN. The key file must be
//! mode 600, as the gateway's chain key file must.

use crate::{config::Tls, error::Error};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use std::{path::Path, sync::Arc};
use tokio_rustls::TlsAcceptor;

/// The acceptor `tls` configures, or `None` for plain HTTP.
pub fn acceptor(tls: &Tls) -> Result<Option<TlsAcceptor>, Error> {
	let (cert_file, key_file) = match (&tls.cert_file, &tls.key_file) {
		(None, None) => return Ok(None),
		(Some(cert), Some(key)) => (cert, key),
		_ => return Err(Error::TlsIncomplete),
	};
	let unusable = |path: &Path, reason: String| Error::Tls { path: path.to_owned(), reason };
	let chain = CertificateDer::pem_file_iter(cert_file)
		.and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
		.map_err(|error| unusable(cert_file, error.to_string()))?;
	if chain.is_empty() {
		return Err(unusable(cert_file, "no certificate in it".into()));
	}
	let key_pem = iotchain_client::read_secret_file(key_file)?;
	let key = PrivateKeyDer::from_pem_slice(&key_pem)
		.map_err(|error| unusable(key_file, error.to_string()))?;
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	let mut config = rustls::ServerConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|error| unusable(cert_file, error.to_string()))?
		.with_no_client_auth()
		.with_single_cert(chain, key)
		.map_err(|error| unusable(key_file, error.to_string()))?;
	config.alpn_protocols = vec![b"http/1.1".to_vec()];
	Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	fn pair(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
		let certificate = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
		let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
		std::fs::write(&cert, certificate.serialize_pem().unwrap()).unwrap();
		std::fs::write(&key, certificate.serialize_private_key_pem()).unwrap();
		std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
		(cert, key)
	}

	/// Both files or neither; the key private to its owner; PEM that is a certificate and its
	/// key. Each fault is named.
	#[test]
	fn tls_takes_a_private_key_and_its_certificate_and_names_each_fault() {
		let dir = tempfile::tempdir().unwrap();
		let (cert, key) = pair(dir.path());
		let config = |cert: Option<&Path>, key: Option<&Path>| Tls {
			cert_file: cert.map(Path::to_owned),
			key_file: key.map(Path::to_owned),
		};
		assert!(acceptor(&config(None, None)).unwrap().is_none());
		assert!(acceptor(&config(Some(&cert), Some(&key))).unwrap().is_some());
		assert!(matches!(acceptor(&config(Some(&cert), None)), Err(Error::TlsIncomplete)));
		// The certificate given as the key, and a key file that is no PEM.
		std::fs::set_permissions(&cert, std::fs::Permissions::from_mode(0o600)).unwrap();
		assert!(matches!(acceptor(&config(Some(&cert), Some(&cert))), Err(Error::Tls { .. })));
		let garbage = dir.path().join("garbage.pem");
		std::fs::write(&garbage, "not PEM").unwrap();
		std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o600)).unwrap();
		assert!(matches!(acceptor(&config(Some(&garbage), Some(&key))), Err(Error::Tls { .. })));
		// Another pair's key for this certificate.
		let other = tempfile::tempdir().unwrap();
		let (_, other_key) = pair(other.path());
		assert!(matches!(acceptor(&config(Some(&cert), Some(&other_key))), Err(Error::Tls { .. })));
		// A key others may read.
		std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
		let exposed = acceptor(&config(Some(&cert), Some(&key))).err().unwrap();
		assert!(exposed.to_string().contains("chmod 600"), "{exposed}");
	}
}
