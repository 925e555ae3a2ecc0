//! TCP sockets whose readiness comes from the pool's reactor (src/runtime/reactor.rs) rather than
//! tokio's I/O threads: a connection served on a runtime's loop is then read and written by the
//! worker running that runtime, with no thread in between. They implement tokio's `AsyncRead` /
//! `AsyncWrite`, so hyper, tokio-rustls and tungstenite run on them unchanged.

use crate::runtime::reactor::{IoState, Reactor, READABLE, READ_INTEREST, WRITABLE, WRITE_INTEREST};
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A mio source registered with the reactor for as long as this lives.
struct Registered<S: mio::event::Source> {
  io: S,
  token: usize,
  state: Arc<IoState>,
  reactor: &'static Reactor,
}

impl<S: mio::event::Source> Registered<S> {
  fn new(mut io: S) -> io::Result<Self> {
    let reactor = Reactor::global().ok_or_else(|| io::Error::other("the I/O reactor could not be created"))?;
    let (token, state) = reactor.register(&mut io)?;
    Ok(Self { io, token, state, reactor })
  }

  /// Runs `op` once the source is ready for `interest`, again after each `WouldBlock`. `partial`
  /// says whether a result moved fewer bytes than asked: the socket is then drained (or full), so
  /// its readiness is cleared at once, as tokio does, sparing the system call that would only
  /// return `WouldBlock`.
  fn poll_io<R>(&self, cx: &mut Context<'_>, interest: usize, bit: usize, partial: impl Fn(&R) -> bool, mut op: impl FnMut(&S) -> io::Result<R>) -> Poll<io::Result<R>> {
    loop {
      let snapshot = ready!(self.state.poll_ready(cx, interest));
      match op(&self.io) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.state.clear(snapshot, bit),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Ok(r) => {
          if partial(&r) {
            self.state.clear(snapshot, bit);
          }
          return Poll::Ready(Ok(r));
        }
        Err(e) => return Poll::Ready(Err(e)),
      }
    }
  }
}

impl<S: mio::event::Source> Drop for Registered<S> {
  fn drop(&mut self) {
    self.reactor.deregister(self.token, &mut self.io);
  }
}

/// A connected TCP stream.
pub struct TcpStream(Registered<mio::net::TcpStream>);

impl TcpStream {
  pub fn new(io: mio::net::TcpStream) -> io::Result<Self> {
    Registered::new(io).map(Self)
  }

  pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
    self.0.io.set_nodelay(on)
  }

  /// Reads into the spare capacity of `bytes`, at most `max` bytes, once readable (through a
  /// shared reference: the sockets of `connect()` read, write and write directly from the
  /// isolate on one stream).
  pub fn poll_read_vec(&self, cx: &mut Context<'_>, bytes: &mut Vec<u8>, max: usize) -> Poll<io::Result<usize>> {
    let spare = bytes.spare_capacity_mut();
    let len = max.min(spare.len());
    let Some(slice) = spare.get_mut(..len) else { return Poll::Ready(Ok(0)) };
    // SAFETY: as in `poll_read`: the kernel only writes into the slice.
    let slice = unsafe { &mut *(slice as *mut [MaybeUninit<u8>] as *mut [u8]) };
    let n = ready!(self.0.poll_io(cx, READ_INTEREST, READABLE, |&n| n > 0 && n < len, |mut io| io.read(slice)))?;
    // SAFETY: the kernel wrote the first `n` (<= len) bytes of the spare capacity.
    unsafe { bytes.set_len(bytes.len() + n.min(len)) };
    Poll::Ready(Ok(n))
  }

  /// `poll_write` through a shared reference.
  pub fn poll_write_ref(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
    let len = data.len();
    self.0.poll_io(cx, WRITE_INTEREST, WRITABLE, |&n| n > 0 && n < len, |mut io| io.write(data))
  }

  /// One write now, without waiting (WouldBlock when the kernel has no room).
  pub fn try_write(&self, data: &[u8]) -> io::Result<usize> {
    (&self.0.io).write(data)
  }

  pub fn shutdown_write(&self) -> io::Result<()> {
    match self.0.io.shutdown(std::net::Shutdown::Write) {
      Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
      r => r,
    }
  }
}

impl AsyncRead for TcpStream {
  fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
    // SAFETY: `read` on a socket only writes into the slice (the kernel copies in), never reads
    // it, so uninitialised bytes are never observed, and nothing de-initialises the buffer;
    // only the `n` bytes it reports are marked initialised below. tokio's own TcpStream reads
    // the same way.
    let slice = unsafe { &mut *(buf.unfilled_mut() as *mut [MaybeUninit<u8>] as *mut [u8]) };
    let len = slice.len();
    // A read of 0 (end of stream) or of less than asked drained the socket.
    let n = ready!(self.0.poll_io(cx, READ_INTEREST, READABLE, |&n| n > 0 && n < len, |mut io| io.read(slice)))?;
    // SAFETY: the kernel wrote `n` bytes at the start of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
  }
}

impl AsyncWrite for TcpStream {
  fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
    let len = data.len();
    self.0.poll_io(cx, WRITE_INTEREST, WRITABLE, |&n| n > 0 && n < len, |mut io| io.write(data))
  }

  fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
    let len = bufs.iter().map(|b| b.len()).sum::<usize>();
    self.0.poll_io(cx, WRITE_INTEREST, WRITABLE, |&n| n > 0 && n < len, |mut io| io.write_vectored(bufs))
  }

  fn is_write_vectored(&self) -> bool {
    true
  }

  fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Poll::Ready(Ok(()))
  }

  fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Poll::Ready(match self.0.io.shutdown(std::net::Shutdown::Write) {
      Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
      r => r,
    })
  }
}

/// A listening TCP socket.
pub struct TcpListener(Registered<mio::net::TcpListener>);

impl TcpListener {
  /// Binds `addr` (the usual socket options of a server: SO_REUSEADDR, as std and tokio set).
  pub fn bind(addr: SocketAddr) -> io::Result<Self> {
    let std = std::net::TcpListener::bind(addr)?;
    std.set_nonblocking(true)?;
    Registered::new(mio::net::TcpListener::from_std(std)).map(Self)
  }

  pub fn local_addr(&self) -> io::Result<SocketAddr> {
    self.0.io.local_addr()
  }

  pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
    let (io, peer) = ready!(self.0.poll_io(cx, READ_INTEREST, READABLE, |_| false, |io| io.accept()))?;
    Poll::Ready(TcpStream::new(io).map(|s| (s, peer)))
  }

  pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
    std::future::poll_fn(|cx| self.poll_accept(cx)).await
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use tokio::io::{AsyncReadExt, AsyncWriteExt};

  // Readiness comes from the reactor: these tests poll it themselves, as an idle pool worker does.
  fn drive() -> std::thread::JoinHandle<()> {
    std::thread::spawn(|| {
      let Some(r) = Reactor::global() else { return };
      for _ in 0..2000 {
        match r.try_driver() {
          Some(mut d) => {
            r.wait(&mut d, std::time::Duration::from_millis(5));
          }
          None => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
      }
    })
  }

  #[test]
  fn echoes_over_loopback_in_order() {
    let Some(rt) = crate::net::tokio() else { return };
    let _driver = drive();
    let result = rt.block_on(async {
      let listener = TcpListener::bind("127.0.0.1:0".parse().map_err(io::Error::other)?)?;
      let addr = listener.local_addr()?;
      let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
          let n = s.read(&mut buf).await?;
          if n == 0 {
            s.shutdown().await?;
            return Ok::<_, io::Error>(());
          }
          s.write_all(&buf[..n]).await?;
        }
      });
      let std = std::net::TcpStream::connect(addr)?;
      std.set_nonblocking(true)?;
      let mut client = TcpStream::new(mio::net::TcpStream::from_std(std))?;
      // More than the socket buffers hold: writes must wait for readiness, reads must see all.
      let sent: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
      let (mut r, mut w) = tokio::io::split(client);
      let writer = async {
        w.write_all(&sent).await?;
        w.shutdown().await
      };
      let mut got = Vec::new();
      let reader = r.read_to_end(&mut got);
      let (a, b) = tokio::join!(writer, reader);
      a?;
      b?;
      client = r.unsplit(w);
      drop(client);
      server.await.map_err(io::Error::other)??;
      Ok::<_, io::Error>(got == sent)
    });
    assert!(matches!(result, Ok(true)), "{result:?}");
  }
}
