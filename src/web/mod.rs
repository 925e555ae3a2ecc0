//! The Web platform inside the isolate. Each area is a JS file plus the Rust natives it calls.
//!
//! An area's JS is a classic script whose completion value is a function, called once per context
//! as `fn(global, natives, internals)`: `natives` holds the area's Rust functions, `internals` is an
//! object shared by all areas (and never reachable from user code) for what one area offers
//! another, e.g. the streams machinery the body mixin uses.

mod events;
mod encoding;
pub mod serve;
mod url;
pub mod util;
mod streams;
mod blob;
mod fetch;
mod crypto;
mod egress;
pub mod websocket;
pub mod sockets;
mod wasm;
mod path;
mod timing;
pub mod fs;

pub type Natives = Vec<(&'static str, v8::FunctionCallback)>;

pub struct Area {
  pub name: &'static str,
  pub js: &'static str,
  pub natives: fn() -> Natives,
}

/// A module the runtime provides by name (e.g. `cloudflare:sockets`), resolved before the host's
/// moduleLoader and registered on first import under its first name.
pub struct BuiltinModule {
  pub names: &'static [&'static str],
  pub make: for<'s> fn(&mut v8::PinScope<'s, '_>) -> Option<v8::Local<'s, v8::Module>>,
}

pub const BUILTIN_MODULES: &[BuiltinModule] = &[sockets::MODULE];

/// In install order: an area may use what earlier ones put on `internals` or the global.
pub const AREAS: &[Area] = &[
  events::AREA,
  timing::AREA,
  encoding::AREA,
  url::AREA,
  streams::AREA,
  blob::AREA,
  fetch::AREA,
  crypto::AREA,
  serve::AREA,
  websocket::AREA,
  egress::AREA,
  sockets::AREA,
  wasm::AREA,
  path::AREA,
  fs::AREA,
  crate::testenv::AREA,
];
