//! `createInMemoryDirectoryHandler(initialFiles?)`: a handler whose tree lives in the host's
//! memory, for tests and throwaway sandboxes. Its size is not limited (each write is, by the
//! runtime's memory limit): give it to scripts you would let fill the host's memory.

use napi_derive::napi;
use super::{
  max_bytes, mime_type, position, segments, shown, too_big, FsCreateOptions, FsTask, FsDirectoryEntry, FsFileData, FsFileMetadata, FsError, FsResult,
  FsReadOptions, FsRemoveOptions,
};
use napi::bindgen_prelude::{AsyncTask, Either, ToNapiValue, TypeName, Uint8Array};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// No file grows past 4 GiB here (a position far out would otherwise reserve that much).
const MAX_FILE: usize = 1 << 32;

enum Node {
  Dir,
  File { data: Vec<u8>, modified: f64 },
}

/// Entries by path ('/a/b'); '/' (the root) is not stored.
#[derive(Default)]
pub(crate) struct Tree(BTreeMap<String, Node>);

fn now() -> f64 {
  std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64)
}

fn not_found(path: &str) -> FsError {
  FsError::new("NotFoundError", format!("'{}' not found", shown(path)))
}

impl Tree {
  /// The path, normalized, after checking its parent is a directory.
  fn parent_ok(&self, path: &str) -> FsResult<String> {
    let segs = segments(path)?;
    let Some((_, parents)) = segs.split_last() else { return Ok("/".into()) };
    let mut p = String::new();
    for s in parents {
      p.push('/');
      p.push_str(s);
      match self.0.get(&p) {
        Some(Node::Dir) => {}
        Some(Node::File { .. }) => return Err(FsError::new("TypeMismatchError", format!("a parent of '{}' is not a directory", shown(path)))),
        None => return Err(not_found(path)),
      }
    }
    Ok(format!("/{}", segs.join("/")))
  }

  fn children_prefix(path: &str) -> String {
    if path == "/" {
      "/".into()
    } else {
      format!("{path}/")
    }
  }

  pub(crate) fn get_file_handle(&mut self, path: &str, create: bool) -> FsResult<()> {
    let p = self.parent_ok(path)?;
    match self.0.get(&p) {
      Some(Node::File { .. }) => Ok(()),
      Some(Node::Dir) => Err(FsError::new("TypeMismatchError", format!("'{}' is not a file", shown(path)))),
      None if p == "/" => Err(FsError::new("TypeMismatchError", "'/' is not a file")),
      None if create => {
        self.0.insert(p, Node::File { data: Vec::new(), modified: now() });
        Ok(())
      }
      None => Err(not_found(path)),
    }
  }

  pub(crate) fn get_directory_handle(&mut self, path: &str, create: bool) -> FsResult<()> {
    let p = self.parent_ok(path)?;
    match self.0.get(&p) {
      Some(Node::Dir) => Ok(()),
      None if p == "/" => Ok(()),
      Some(Node::File { .. }) => Err(FsError::new("TypeMismatchError", format!("'{}' is not a directory", shown(path)))),
      None if create => {
        self.0.insert(p, Node::Dir);
        Ok(())
      }
      None => Err(not_found(path)),
    }
  }

  pub(crate) fn remove_entry(&mut self, path: &str, recursive: bool) -> FsResult<()> {
    let p = self.parent_ok(path)?;
    if p == "/" {
      return Err(FsError::new("InvalidModificationError", "the root directory cannot be removed"));
    }
    match self.0.get(&p) {
      None => Err(not_found(path)),
      Some(Node::File { .. }) => {
        self.0.remove(&p);
        Ok(())
      }
      Some(Node::Dir) => {
        let prefix = Self::children_prefix(&p);
        let children: Vec<String> = self.0.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
        if !children.is_empty() && !recursive {
          return Err(FsError::new("InvalidModificationError", format!("'{}' is not empty (remove it with {{ recursive: true }})", shown(path))));
        }
        for c in children {
          self.0.remove(&c);
        }
        self.0.remove(&p);
        Ok(())
      }
    }
  }

  pub(crate) fn read_directory(&self, path: &str) -> FsResult<Vec<FsDirectoryEntry>> {
    let p = self.parent_ok(path)?;
    match self.0.get(&p) {
      Some(Node::Dir) => {}
      None if p == "/" => {}
      Some(Node::File { .. }) => return Err(FsError::new("TypeMismatchError", format!("'{}' is not a directory", shown(path)))),
      None => return Err(not_found(path)),
    }
    let prefix = Self::children_prefix(&p);
    Ok(
      self
        .0
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, n)| k.get(prefix.len()..).filter(|rest| !rest.contains('/')).map(|rest| (rest, n)))
        .map(|(name, n)| FsDirectoryEntry {
          name: name.to_string(),
          kind: if matches!(n, Node::Dir) { "directory" } else { "file" }.into(),
        })
        .collect(),
    )
  }

  fn file_mut(&mut self, path: &str) -> FsResult<(&mut Vec<u8>, &mut f64)> {
    let p = self.parent_ok(path)?;
    match self.0.get_mut(&p) {
      Some(Node::File { data, modified }) => Ok((data, modified)),
      Some(Node::Dir) => Err(FsError::new("TypeMismatchError", format!("'{}' is not a file", shown(path)))),
      None if p == "/" => Err(FsError::new("TypeMismatchError", "'/' is not a file")),
      None => Err(not_found(path)),
    }
  }

  pub(crate) fn read_file(&mut self, path: &str, max: u64) -> FsResult<(Vec<u8>, f64)> {
    let (data, modified) = self.file_mut(path)?;
    if data.len() as u64 > max {
      return Err(too_big(path, data.len() as u64, max));
    }
    Ok((data.clone(), *modified))
  }

  pub(crate) fn write_file(&mut self, path: &str, bytes: &[u8], at: Option<u64>) -> FsResult<()> {
    let (data, modified) = self.file_mut(path)?;
    match at {
      None => *data = bytes.to_vec(),
      Some(at) => {
        let at = usize::try_from(at).map_err(|_| FsError::new("QuotaExceededError", "position too large"))?;
        let end = at.checked_add(bytes.len()).filter(|e| *e <= MAX_FILE).ok_or_else(|| FsError::new("QuotaExceededError", "position too large"))?;
        if end > data.len() {
          data.try_reserve(end - data.len()).map_err(|_| FsError::new("QuotaExceededError", "out of memory"))?;
          data.resize(end, 0);
        }
        if let Some(slot) = data.get_mut(at..end) {
          slot.copy_from_slice(bytes);
        }
      }
    }
    *modified = now();
    Ok(())
  }

  pub(crate) fn truncate_file(&mut self, path: &str, size: u64) -> FsResult<()> {
    let (data, modified) = self.file_mut(path)?;
    let size = usize::try_from(size).ok().filter(|s| *s <= MAX_FILE).ok_or_else(|| FsError::new("QuotaExceededError", "size too large"))?;
    if size > data.len() {
      data.try_reserve(size - data.len()).map_err(|_| FsError::new("QuotaExceededError", "out of memory"))?;
    }
    data.resize(size, 0);
    *modified = now();
    Ok(())
  }

  pub(crate) fn metadata(&mut self, path: &str) -> FsResult<(u64, f64)> {
    let (data, modified) = self.file_mut(path)?;
    Ok((data.len() as u64, *modified))
  }

  /// Adds a file (and its missing parent directories) for `initialFiles`.
  fn seed(&mut self, path: &str, bytes: Vec<u8>) -> FsResult<()> {
    let full = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    let segs = segments(&full)?;
    let mut p = String::new();
    for (i, s) in segs.iter().enumerate() {
      p.push('/');
      p.push_str(s);
      if i + 1 == segs.len() {
        if matches!(self.0.get(&p), Some(Node::Dir)) {
          return Err(FsError::new("TypeMismatchError", format!("'{}' is both a file and a directory", shown(&full))));
        }
        self.0.insert(p.clone(), Node::File { data: bytes, modified: now() });
        break;
      }
      match self.0.get(&p) {
        Some(Node::File { .. }) => return Err(FsError::new("TypeMismatchError", format!("'{}' is both a file and a directory", shown(&p)))),
        Some(Node::Dir) => {}
        None => {
          self.0.insert(p.clone(), Node::Dir);
        }
      }
    }
    Ok(())
  }
}

/// A handler over a tree in memory (made by `createInMemoryDirectoryHandler`).
#[napi]
pub struct InMemoryDirectoryHandler {
  tree: Arc<Mutex<Tree>>,
}

/// A handler whose files live in the host's memory: `initialFiles` maps paths ('a/b.txt' or
/// '/a/b.txt') to contents; their directories are made.
#[napi(catch_unwind, ts_args_type = "initialFiles?: Record<string, string | Uint8Array>")]
// Called from JS only (napi registers it); unit tests do not build that registration.
#[cfg_attr(test, allow(dead_code))]
pub fn create_in_memory_directory_handler(initial_files: Option<HashMap<String, Either<String, Uint8Array>>>) -> napi::Result<InMemoryDirectoryHandler> {
  let mut tree = Tree::default();
  for (path, content) in initial_files.unwrap_or_default() {
    let bytes = match content {
      Either::A(s) => s.into_bytes(),
      Either::B(b) => b.to_vec(),
    };
    tree.seed(&path, bytes).map_err(|e| napi::Error::new(napi::Status::InvalidArg, format!("createInMemoryDirectoryHandler: {}", e.message)))?;
  }
  Ok(InMemoryDirectoryHandler { tree: Arc::new(Mutex::new(tree)) })
}

impl InMemoryDirectoryHandler {
  /// Runs `f` on the tree off Node's main thread (a large copy should not stall it either).
  fn run<T: Send + ToNapiValue + TypeName + 'static>(&self, f: impl FnOnce(&mut Tree) -> FsResult<T> + Send + 'static) -> AsyncTask<FsTask<T>> {
    let tree = self.tree.clone();
    FsTask::run(move || {
      let mut t = tree.lock().map_err(|_| FsError::new("Error", "the in-memory handler is broken"))?;
      f(&mut t)
    })
  }
}

fn name_of(path: &str) -> &str {
  path.rsplit('/').next().unwrap_or("")
}

#[napi]
impl InMemoryDirectoryHandler {
  #[napi(ts_return_type = "Promise<void>")]
  pub fn get_file_handle(&self, path: String, options: Option<FsCreateOptions>) -> AsyncTask<FsTask<()>> {
    let create = options.and_then(|o| o.create).unwrap_or(false);
    self.run(move |t| t.get_file_handle(&path, create))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn get_directory_handle(&self, path: String, options: Option<FsCreateOptions>) -> AsyncTask<FsTask<()>> {
    let create = options.and_then(|o| o.create).unwrap_or(false);
    self.run(move |t| t.get_directory_handle(&path, create))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn remove_entry(&self, path: String, options: Option<FsRemoveOptions>) -> AsyncTask<FsTask<()>> {
    let recursive = options.and_then(|o| o.recursive).unwrap_or(false);
    self.run(move |t| t.remove_entry(&path, recursive))
  }

  #[napi(ts_return_type = "Promise<Array<FsDirectoryEntry>>")]
  pub fn read_directory(&self, path: String) -> AsyncTask<FsTask<Vec<FsDirectoryEntry>>> {
    self.run(move |t| t.read_directory(&path))
  }

  #[napi(ts_return_type = "Promise<FsFileData>")]
  pub fn read_file(&self, path: String, options: Option<FsReadOptions>) -> AsyncTask<FsTask<FsFileData>> {
    let max = max_bytes(&options);
    self.run(move |t| {
      let (data, last_modified) = t.read_file(&path, max)?;
      Ok(FsFileData { size: data.len() as f64, data: data.into(), last_modified, mime: mime_type(name_of(&path)).into() })
    })
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn write_file(&self, path: String, data: Uint8Array, position: Option<f64>) -> AsyncTask<FsTask<()>> {
    let bytes = data.to_vec();
    self.run(move |t| {
      let at = position.map(|p| super::position(p, "writeFile: position")).transpose()?;
      t.write_file(&path, &bytes, at)
    })
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn truncate_file(&self, path: String, size: f64) -> AsyncTask<FsTask<()>> {
    self.run(move |t| t.truncate_file(&path, position(size, "truncateFile: size")?))
  }

  #[napi(ts_return_type = "Promise<FsFileMetadata>")]
  pub fn get_file_metadata(&self, path: String) -> AsyncTask<FsTask<FsFileMetadata>> {
    self.run(move |t| {
      let (size, last_modified) = t.metadata(&path)?;
      Ok(FsFileMetadata { size: size as f64, last_modified, mime: mime_type(name_of(&path)).into() })
    })
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn tree_operations() {
    let mut t = Tree::default();
    assert!(t.seed("a/b.txt", b"hi".to_vec()).is_ok());
    assert!(t.get_file_handle("/a/b.txt", false).is_ok());
    assert!(t.get_file_handle("/a", false).is_err_and(|e| e.name == "TypeMismatchError"));
    assert!(t.get_file_handle("/x/y", true).is_err_and(|e| e.name == "NotFoundError"));
    assert!(t.write_file("/a/b.txt", b"!", Some(4)).is_ok());
    assert_eq!(t.read_file("/a/b.txt", 100).ok().map(|r| r.0), Some(b"hi\0\0!".to_vec()));
    let names: Vec<String> = t.read_directory("/").map(|v| v.into_iter().map(|e| e.name).collect()).unwrap_or_default();
    assert_eq!(names, vec!["a".to_string()]);
    assert!(t.remove_entry("/a", false).is_err_and(|e| e.name == "InvalidModificationError"));
    assert!(t.remove_entry("/a", true).is_ok());
    assert!(t.read_directory("/").is_ok_and(|v| v.is_empty()));
    assert!(t.read_file("/../etc/passwd", 100).is_err_and(|e| e.name == "TypeError"));
  }
}
