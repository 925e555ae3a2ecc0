//! Network I/O in Rust for the isolates' `fetch()` and `WebSocket`: one tokio runtime per
//! process, shared by every runtime; results reach an isolate as messages on its loop.

pub mod http;
pub mod policy;
pub mod tls;

use std::sync::OnceLock;

/// The process-wide tokio runtime (two worker threads: I/O only, no JS runs here).
pub fn tokio() -> Option<&'static tokio::runtime::Runtime> {
  static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
  RT.get_or_init(|| {
    tokio::runtime::Builder::new_multi_thread()
      .worker_threads(2)
      .thread_name("edge-isolate-net")
      .enable_all()
      .build()
      .ok()
  })
  .as_ref()
}
