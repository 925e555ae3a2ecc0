//! The File System Access API inside the isolate (fs.js, https://fs.spec.whatwg.org/), the Node
//! side that calls the host's handler (host.js), and two ready handlers exported to Node:
//! `createNodeDirectoryHandler(rootDir)` (node.rs) and `createInMemoryDirectoryHandler()`
//! (memory.rs). The handler interface is @ricsam/isolate-fs's: paths are '/' or '/a/b' below
//! the handler's root, errors name themselves '[NotFoundError]message'.

pub mod memory;
pub mod node;

use napi_derive::napi;
use super::{Area, Natives};
use crate::errors::ErrorInfo;
use crate::host::napi::{Env, Val};
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::Task;

pub const AREA: Area = Area { name: "fs", js: include_str!("fs.js"), natives };

fn natives() -> Natives {
  Vec::new()
}

const HOST: &str = include_str!("host.js");

/// The host function behind the isolate's fs calls for the runtime's `fs` option, or a TypeError
/// saying what `fs` must be.
pub fn host_function(env: Env, fs: Val, limit_bytes: usize) -> Result<Val, ErrorInfo> {
  let broken = |_| ErrorInfo::new("Error", "edge-isolate: could not set up the fs option");
  let factory = env.run_script(HOST).map_err(broken)?;
  let undefined = env.undefined().map_err(broken)?;
  let limit = env.double(limit_bytes as f64).map_err(broken)?;
  let made = env.call(undefined, factory, &[]).map_err(broken)?;
  let out = env.call(undefined, made, &[fs, limit]).map_err(broken)?;
  match env.type_of(out) {
    Ok(napi::sys::ValueType::napi_function) => Ok(out),
    _ => Err(ErrorInfo::type_error(env.get_string(out).unwrap_or_else(|_| "fs must be { getDirectory(path) } or a directory handler".into()))),
  }
}

/// An error a handler method rejects with: '[Name]message', as @ricsam/isolate-fs's handlers do.
#[derive(Debug)]
pub struct FsError {
  pub name: &'static str,
  pub message: String,
}

impl FsError {
  pub fn new(name: &'static str, message: impl Into<String>) -> Self {
    Self { name, message: message.into() }
  }
}

impl From<FsError> for napi::Error {
  fn from(e: FsError) -> Self {
    napi::Error::new(napi::Status::GenericFailure, format!("[{}]{}", e.name, e.message))
  }
}

pub type FsResult<T> = Result<T, FsError>;

/// A handler method's work, run on libuv's thread pool (napi's `async fn` would start a second
/// tokio runtime; the project keeps one), settling the method's promise.
pub struct FsTask<T>(Option<Box<dyn FnOnce() -> FsResult<T> + Send>>);

impl<T: Send + ToNapiValue + TypeName + 'static> FsTask<T> {
  pub fn run(f: impl FnOnce() -> FsResult<T> + Send + 'static) -> AsyncTask<Self> {
    AsyncTask::new(Self(Some(Box::new(f))))
  }
}

impl<T: Send + ToNapiValue + TypeName + 'static> Task for FsTask<T> {
  type Output = T;
  type JsValue = T;

  fn compute(&mut self) -> napi::Result<T> {
    let internal = || napi::Error::from(FsError::new("Error", "edge-isolate: internal error in the directory handler"));
    let f = self.0.take().ok_or_else(internal)?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
      Ok(r) => r.map_err(Into::into),
      Err(_) => Err(internal()),
    }
  }

  fn resolve(&mut self, _env: napi::Env, output: T) -> napi::Result<T> {
    Ok(output)
  }
}

/// The segments of a handler path: '/' (none) or '/a/b'. Every segment must be a valid file name
/// (https://fs.spec.whatwg.org/#valid-file-name), so no path can climb out of the root.
pub fn segments(path: &str) -> FsResult<Vec<&str>> {
  let bad = || FsError::new("TypeError", format!("invalid path '{}': give '/' or '/name/name'", shown(path)));
  if path.len() > 4096 {
    return Err(FsError::new("TypeError", "a path must be at most 4096 bytes long"));
  }
  let rest = path.strip_prefix('/').ok_or_else(bad)?;
  if rest.is_empty() {
    return Ok(Vec::new());
  }
  let segs: Vec<&str> = rest.split('/').collect();
  for s in &segs {
    if s.is_empty() || *s == "." || *s == ".." || s.contains('\\') || s.contains('\0') {
      return Err(bad());
    }
  }
  Ok(segs)
}

/// A path for a message, cut short.
pub fn shown(path: &str) -> String {
  if path.len() <= 200 {
    return path.to_string();
  }
  let mut end = 200;
  while !path.is_char_boundary(end) {
    end -= 1;
  }
  format!("{}…", &path[..end])
}

/// The MIME type getFile() reports, from the name's extension ('' when unknown, as browsers do).
/// A short table of the common types: enough for File.type, no dependency for it.
pub fn mime_type(name: &str) -> &'static str {
  let ext = match name.rsplit_once('.') {
    Some((_, e)) => e.to_ascii_lowercase(),
    None => return "",
  };
  match ext.as_str() {
    "txt" => "text/plain",
    "html" | "htm" => "text/html",
    "css" => "text/css",
    "js" | "mjs" | "cjs" => "text/javascript",
    "json" => "application/json",
    "md" => "text/markdown",
    "csv" => "text/csv",
    "xml" => "application/xml",
    "svg" => "image/svg+xml",
    "png" => "image/png",
    "jpg" | "jpeg" => "image/jpeg",
    "gif" => "image/gif",
    "webp" => "image/webp",
    "avif" => "image/avif",
    "ico" => "image/vnd.microsoft.icon",
    "pdf" => "application/pdf",
    "zip" => "application/zip",
    "gz" => "application/gzip",
    "wasm" => "application/wasm",
    "mp3" => "audio/mpeg",
    "wav" => "audio/wav",
    "mp4" => "video/mp4",
    "webm" => "video/webm",
    "woff" => "font/woff",
    "woff2" => "font/woff2",
    "ttf" => "font/ttf",
    _ => "",
  }
}

/// `{ create }` of getFileHandle/getDirectoryHandle.
#[napi(object)]
pub struct FsCreateOptions {
  pub create: Option<bool>,
}

/// `{ recursive }` of removeEntry.
#[napi(object)]
pub struct FsRemoveOptions {
  pub recursive: Option<bool>,
}

/// `{ maxBytes }` of readFile: a larger file is refused (RangeError) instead of read.
#[napi(object)]
pub struct FsReadOptions {
  pub max_bytes: Option<f64>,
}

/// One entry of readDirectory.
#[napi(object)]
pub struct FsDirectoryEntry {
  pub name: String,
  #[napi(ts_type = "'file' | 'directory'")]
  pub kind: String,
}

/// What readFile gives.
#[napi(object)]
pub struct FsFileData {
  pub data: napi::bindgen_prelude::Uint8Array,
  pub size: f64,
  /// Milliseconds since the epoch.
  pub last_modified: f64,
  #[napi(js_name = "type")]
  pub mime: String,
}

/// What getFileMetadata gives.
#[napi(object)]
pub struct FsFileMetadata {
  pub size: f64,
  pub last_modified: f64,
  #[napi(js_name = "type")]
  pub mime: String,
}

fn max_bytes(o: &Option<FsReadOptions>) -> u64 {
  match o.as_ref().and_then(|o| o.max_bytes) {
    Some(n) if n.is_finite() && n >= 0.0 => n as u64,
    _ => u64::MAX,
  }
}

fn too_big(path: &str, size: u64, max: u64) -> FsError {
  FsError::new("RangeError", format!("'{}' is {size} bytes, more than the {max} bytes allowed", shown(path)))
}

/// A write position from JS (a safe non-negative integer).
fn position(p: f64, what: &str) -> FsResult<u64> {
  if !p.is_finite() || !(0.0..=9007199254740991.0).contains(&p) {
    return Err(FsError::new("TypeError", format!("{what} must be a non-negative integer")));
  }
  Ok(p as u64)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn segments_refuse_climbing_and_junk() {
    assert_eq!(segments("/").map(|s| s.len()).ok(), Some(0));
    assert_eq!(segments("/a/b").ok(), Some(vec!["a", "b"]));
    for bad in ["", "a", "/a/../b", "/..", "/.", "//", "/a/", "/a\\b", "/a\0", "/a//b"] {
      assert!(segments(bad).is_err(), "{bad:?} accepted");
    }
    assert!(segments(&format!("/{}", "a".repeat(5000))).is_err());
  }

  #[test]
  fn mime_types() {
    assert_eq!(mime_type("a.JSON"), "application/json");
    assert_eq!(mime_type("noext"), "");
    assert_eq!(mime_type("x.unknown"), "");
  }
}
