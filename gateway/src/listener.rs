//! The HTTP and WebSocket listener (HTTP/1.1), and what one peer on the network can hold of it.
//!
//! - Connections are capped in all (`max_connections`) and per peer address
//!   (`max_connections_per_peer`). One beyond either cap gets a `503` with Retry-After, written
//!   without waiting, and is closed at once.
//! - A request's head must arrive within `header_timeout_ms`. hyper starts that clock whenever
//!   it waits for a head, so it is also how long a kept-alive connection may sit idle: a
//!   slow-loris connection is closed, whatever it sends.
//! - Every write must make progress within [`WRITE_TIMEOUT`] ([`WriteDeadline`]): a peer that
//!   stops taking its answers (a zero receive window) is cut off, upgraded WebSocket streams
//!   included.
//! - The body's deadline (`body_timeout_ms`), and the WebSocket caps and idle timeout, are the
//!   handlers' (`http.rs`), which know the peer from the request's `ConnectInfo`.
//!
//! - With TLS configured (`tls.rs`), every connection is TLS: the handshake must complete
//!   within `header_timeout_ms`, or the connection is closed (`tls-handshake`).
//!
//! On shutdown the listener stops accepting, lets each connection finish the request it is
//! answering, and waits for them for [`SHUTDOWN_GRACE`] at most.

use crate::{config::Limits, metrics::Metrics};
use axum::{extract::ConnectInfo, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::{
	collections::HashMap,
	future::Future,
	io,
	net::IpAddr,
	pin::Pin,
	sync::{Arc, Mutex},
	task::{Context, Poll},
	time::Duration,
};
use tokio::{
	io::{AsyncRead, AsyncWrite, ReadBuf},
	net::TcpListener,
	sync::Semaphore,
	task::JoinSet,
};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long shutdown waits for open connections before the gateway returns anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a write may wait for the peer to take bytes before the connection is cut off.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait after the listener fails to accept (out of file descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// What a connection over a cap is told before it is closed.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Content-Type: application/json\r\nContent-Length: 61\r\nConnection: close\r\n\r\n\
{\"error\":\"too-many-connections\",\"detail\":\"retry in a second\"}";

/// Slots per peer address, each given back when its [`PeerSlot`] is dropped.
#[derive(Clone)]
pub struct PeerSlots {
	taken: Arc<Mutex<HashMap<IpAddr, usize>>>,
	max: usize,
}

/// One peer's slot, held for as long as its connection or stream is open.
pub struct PeerSlot {
	slots: PeerSlots,
	peer: IpAddr,
}

impl PeerSlots {
	pub fn new(max: usize) -> Self {
		PeerSlots { taken: Default::default(), max }
	}

	/// A slot for `peer`, unless it holds `max` already. An IPv4 address mapped into IPv6
	/// counts as the IPv4 address; an IPv6 address counts as its /64, the block one host is
	/// usually given.
	pub fn take(&self, peer: IpAddr) -> Option<PeerSlot> {
		let peer = peer_key(peer);
		let mut taken = self.taken.lock().expect("not poisoned");
		let held = taken.entry(peer).or_default();
		if *held >= self.max {
			return None;
		}
		*held += 1;
		Some(PeerSlot { slots: self.clone(), peer })
	}
}

/// The address a peer's slots are counted under.
fn peer_key(peer: IpAddr) -> IpAddr {
	match peer.to_canonical() {
		IpAddr::V6(address) => {
			IpAddr::V6(std::net::Ipv6Addr::from(u128::from(address) & !((1u128 << 64) - 1)))
		},
		v4 => v4,
	}
}

/// A connection whose writes must make progress: a write or flush the peer leaves waiting
/// for longer than its limit fails (`TimedOut`), and hyper closes the connection.
pub struct WriteDeadline<S> {
	inner: S,
	limit: Duration,
	stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteDeadline<S> {
	pub fn new(inner: S, limit: Duration) -> Self {
		WriteDeadline { inner, limit, stalled: None }
	}

	/// What a write that got `written` becomes: the same when it is ready (and the clock
	/// stops); a `TimedOut` error once it has waited `limit`.
	fn watch<T>(
		&mut self,
		cx: &mut Context<'_>,
		written: Poll<io::Result<T>>,
	) -> Poll<io::Result<T>> {
		if written.is_ready() {
			self.stalled = None;
			return written;
		}
		let limit = self.limit;
		let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
		match stalled.as_mut().poll(cx) {
			Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
				io::ErrorKind::TimedOut,
				"the peer took no bytes within the write deadline",
			))),
			Poll::Pending => Poll::Pending,
		}
	}
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
	fn poll_read(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<io::Result<()>> {
		Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
	}
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
	fn poll_write(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		let this = self.get_mut();
		let written = Pin::new(&mut this.inner).poll_write(cx, buf);
		this.watch(cx, written)
	}

	fn poll_write_vectored(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[io::IoSlice<'_>],
	) -> Poll<io::Result<usize>> {
		let this = self.get_mut();
		let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
		this.watch(cx, written)
	}

	fn is_write_vectored(&self) -> bool {
		self.inner.is_write_vectored()
	}

	fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		let this = self.get_mut();
		let flushed = Pin::new(&mut this.inner).poll_flush(cx);
		this.watch(cx, flushed)
	}

	fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
	}
}

impl Drop for PeerSlot {
	fn drop(&mut self) {
		let mut taken = self.slots.taken.lock().expect("not poisoned");
		if let Some(held) = taken.get_mut(&self.peer) {
			*held -= 1;
			if *held == 0 {
				taken.remove(&self.peer);
			}
		}
	}
}

/// A connection as hyper serves it: plain TCP, or TLS over it.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// Serves `routes` on `listener` under `limits` until `shutdown` completes; over TLS when `tls`
/// is given (its handshake bounded by the head's deadline, so a stalled handshake holds a slot
/// no longer than a stalled head).
pub async fn serve(
	listener: TcpListener,
	routes: Router,
	limits: &Limits,
	tls: Option<TlsAcceptor>,
	metrics: Arc<Metrics>,
	shutdown: impl Future<Output = ()>,
) {
	let connections = Arc::new(Semaphore::new(limits.max_connections));
	let peers = PeerSlots::new(limits.max_connections_per_peer);
	let header_timeout = Duration::from_millis(limits.header_timeout_ms);
	let (closing, closed) = tokio::sync::watch::channel(());
	let mut open = JoinSet::new();
	tokio::pin!(shutdown);
	loop {
		let (stream, peer) = tokio::select! {
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(error) => {
					tracing::warn!(%error, "accepting a connection failed");
					tokio::time::sleep(ACCEPT_BACKOFF).await;
					continue;
				},
			},
			() = &mut shutdown => break,
		};
		while open.try_join_next().is_some() {}
		let refuse = |reason: &str| {
			metrics.connections_refused.with_label_values(&[reason]).inc();
			// Written only if the socket takes it at once: a refused peer never holds the loop.
			let _ = stream.try_write(REFUSED);
		};
		let Ok(connection) = connections.clone().try_acquire_owned() else {
			refuse("too-many-connections");
			continue;
		};
		let Some(peer_slot) = peers.take(peer.ip()) else {
			refuse("too-many-from-peer");
			continue;
		};
		let routes = routes.clone();
		let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
			request.extensions_mut().insert(ConnectInfo(peer));
			routes.clone().oneshot(request)
		});
		let (metrics, mut closed, tls) = (metrics.clone(), closed.clone(), tls.clone());
		open.spawn(async move {
			let mut builder = hyper::server::conn::http1::Builder::new();
			builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
			let stream = WriteDeadline::new(stream, WRITE_TIMEOUT);
			let stream: Box<dyn Connection> = match tls {
				None => Box::new(stream),
				Some(tls) => match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
					Ok(Ok(stream)) => Box::new(stream),
					// Not TLS (plain HTTP on a TLS port, a scanner), a failed handshake, or
					// one that stalled: closed (by the handshake, before this count), nothing
					// answered but TLS's own alert.
					_ => {
						metrics.connections_cut.with_label_values(&["tls-handshake"]).inc();
						drop((connection, peer_slot));
						return;
					},
				},
			};
			let served = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
			tokio::pin!(served);
			let result = tokio::select! {
				result = served.as_mut() => result,
				_ = closed.changed() => {
					served.as_mut().graceful_shutdown();
					served.await
				},
			};
			if let Err(error) = result {
				if error.is_timeout() {
					metrics.connections_cut.with_label_values(&["header-timeout"]).inc();
				} else if is_write_timeout(&error) {
					metrics.connections_cut.with_label_values(&["write-timeout"]).inc();
				}
			}
			drop((connection, peer_slot));
		});
	}
	drop(listener);
	drop(closing);
	let drained =
		tokio::time::timeout(SHUTDOWN_GRACE, async { while open.join_next().await.is_some() {} });
	if drained.await.is_err() {
		tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; stopping anyway");
	}
}

/// Whether hyper gave up on a connection because a write missed its deadline.
fn is_write_timeout(error: &hyper::Error) -> bool {
	let mut source = std::error::Error::source(error);
	while let Some(cause) = source {
		if cause
			.downcast_ref::<io::Error>()
			.is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
		{
			return true;
		}
		source = cause.source();
	}
	false
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_peer_holds_at_most_its_slots_and_gets_them_back() {
		let slots = PeerSlots::new(2);
		let (one, other): (IpAddr, IpAddr) =
			("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
		let first = slots.take(one).expect("a first slot");
		let _second = slots.take(one).expect("a second slot");
		assert!(slots.take(one).is_none(), "a third is refused");
		// The same address mapped into IPv6 is the same peer; so is one IPv6 /64.
		assert!(slots.take("::ffff:127.0.0.1".parse().unwrap()).is_none());
		assert!(slots.take(other).is_some(), "another peer is not held up");
		let _in_block = slots.take("2001:db8::1".parse().unwrap()).unwrap();
		let _also = slots.take("2001:db8::ffff:2".parse().unwrap()).unwrap();
		assert!(slots.take("2001:db8::3".parse().unwrap()).is_none(), "the same /64");
		assert!(slots.take("2001:db8:0:1::3".parse().unwrap()).is_some(), "another /64");
		drop(first);
		let _again = slots.take(one).expect("a slot given back is taken again");
		assert!(slots.take(one).is_none());
	}

	#[test]
	fn the_refusal_is_a_whole_http_response() {
		let text = std::str::from_utf8(REFUSED).unwrap();
		let (head, body) = text.split_once("\r\n\r\n").unwrap();
		assert!(head.contains(&format!("Content-Length: {}", body.len())), "{head}");
		let _: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
	}
}
