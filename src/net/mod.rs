//! Network I/O in Rust for the isolates' `fetch()` and `WebSocket`: one tokio runtime per
//! process, shared by every runtime; results reach an isolate as messages on its loop.

pub mod http;
pub mod local;
pub mod policy;
pub mod stream;
pub mod tls;

use std::sync::OnceLock;

/// The process-wide tokio runtime (two worker threads: I/O only, no JS runs here).
pub fn tokio() -> Option<&'static tokio::runtime::Runtime> {
  static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
  RT.get_or_init(|| {
    tokio::runtime::Builder::new_multi_thread()
      .worker_threads(2)
      .thread_name("edge-isolate-net")
      // Blocking threads (crypto work, DNS) are few (crypto takes one per CPU) and go soon when
      // idle: a burst of work leaves no threads behind.
      .max_blocking_threads(32)
      .thread_keep_alive(std::time::Duration::from_millis(500))
      .enable_all()
      .build()
      .ok()
  })
  .as_ref()
}
