//! `createNodeDirectoryHandler(rootDir)`: a handler over a real directory, confined to it.
//!
//! Confinement: a handler path is made of valid file names only (no '..', see `segments`), and
//! every entry is reached through its parent's canonical path (symlinks resolved), which must lie
//! inside the canonical root; an entry that is itself a symlink must resolve inside the root too,
//! and files are opened with O_NOFOLLOW, so a symlink swapped in at the last moment is not
//! followed. A script cannot make symlinks (no operation does), so what could race these checks
//! is only another process changing the directory at the same moment.

use napi_derive::napi;
use super::{
  max_bytes, mime_type, position, segments, shown, too_big, FsCreateOptions, FsTask, FsDirectoryEntry, FsFileData, FsFileMetadata, FsError, FsResult,
  FsReadOptions, FsRemoveOptions,
};
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// A handler over `rootDir` (made by `createNodeDirectoryHandler`).
#[napi]
pub struct NodeDirectoryHandler {
  root: Arc<PathBuf>,
  max_file: u64,
}

/// A file may grow to this by default: a script writing at a huge position or truncating to a
/// huge size would otherwise make a file of that size (sparse or not) in the host's directory.
const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// `createNodeDirectoryHandler`'s options.
#[napi(object)]
pub struct NodeDirectoryOptions {
  /// The largest size a write or truncate may give a file (default 1 GiB); past it the script's
  /// write rejects with QuotaExceededError.
  pub max_file_bytes: Option<f64>,
}

/// A handler over the real directory `rootDir` (it must exist) for the `fs` option: every path it
/// is given stays inside `rootDir` (`..` and symlinks out are refused with NotAllowedError).
#[napi(catch_unwind)]
// Called from JS only (napi registers it); unit tests do not build that registration.
#[cfg_attr(test, allow(dead_code))]
pub fn create_node_directory_handler(root_dir: String, options: Option<NodeDirectoryOptions>) -> napi::Result<NodeDirectoryHandler> {
  let max_file = match options.and_then(|o| o.max_file_bytes) {
    None => DEFAULT_MAX_FILE_BYTES,
    Some(n) if n.is_finite() && (0.0..=9007199254740991.0).contains(&n) => n as u64,
    Some(n) => {
      return Err(napi::Error::new(napi::Status::InvalidArg, format!("createNodeDirectoryHandler: maxFileBytes must be a non-negative integer number of bytes (got {n})")))
    }
  };
  let root = fs::canonicalize(&root_dir)
    .map_err(|e| napi::Error::new(napi::Status::InvalidArg, format!("createNodeDirectoryHandler: cannot open '{root_dir}': {e}")))?;
  if !root.is_dir() {
    return Err(napi::Error::new(napi::Status::InvalidArg, format!("createNodeDirectoryHandler: '{root_dir}' is not a directory")));
  }
  Ok(NodeDirectoryHandler { root: Arc::new(root), max_file })
}

/// Refuses a file size past the handler's `maxFileBytes`.
fn within(path: &str, size: Option<u64>, max: u64) -> FsResult<()> {
  match size {
    Some(n) if n <= max => Ok(()),
    _ => Err(FsError::new(
      "QuotaExceededError",
      format!("'{}' would grow past the handler's maxFileBytes ({max} bytes); the host can pass a larger maxFileBytes to createNodeDirectoryHandler", shown(path)),
    )),
  }
}

fn io_error(e: std::io::Error, path: &str) -> FsError {
  let p = shown(path);
  let (name, what) = match e.kind() {
    ErrorKind::NotFound => ("NotFoundError", "not found"),
    ErrorKind::PermissionDenied => ("NotAllowedError", "permission denied"),
    ErrorKind::AlreadyExists => ("InvalidModificationError", "already exists"),
    ErrorKind::DirectoryNotEmpty => ("InvalidModificationError", "the directory is not empty (remove it with { recursive: true })"),
    ErrorKind::NotADirectory => ("TypeMismatchError", "is not a directory"),
    ErrorKind::IsADirectory => ("TypeMismatchError", "is a directory"),
    ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => ("QuotaExceededError", "no space left"),
    _ if e.raw_os_error() == Some(libc::ELOOP) => ("NotAllowedError", "is a symbolic link"),
    _ => return FsError::new("Error", format!("'{p}': {e}")),
  };
  FsError::new(name, format!("'{p}' {what}"))
}

fn escapes(path: &str) -> FsError {
  FsError::new("NotAllowedError", format!("'{}' leads outside the handler's root directory", shown(path)))
}

/// What a handler path names.
enum Entry {
  /// Exists: its canonical path and metadata (symlinks followed, checked inside the root).
  At(PathBuf, Metadata),
  /// Does not exist; this is where it would be (its parent is canonical and inside the root).
  Missing(PathBuf),
}

/// Resolves a handler path under `root` (canonical), refusing anything outside it.
fn locate(root: &Path, path: &str) -> FsResult<Entry> {
  let segs = segments(path)?;
  let Some((last, parents)) = segs.split_last() else {
    let m = fs::metadata(root).map_err(|e| io_error(e, path))?;
    return Ok(Entry::At(root.to_path_buf(), m));
  };
  let mut parent = root.to_path_buf();
  parent.extend(parents);
  let parent = fs::canonicalize(&parent).map_err(|e| io_error(e, path))?;
  if !parent.starts_with(root) {
    return Err(escapes(path));
  }
  if !parent.is_dir() {
    return Err(FsError::new("TypeMismatchError", format!("a parent of '{}' is not a directory", shown(path))));
  }
  let full = parent.join(last);
  match fs::symlink_metadata(&full) {
    Err(e) if e.kind() == ErrorKind::NotFound => Ok(Entry::Missing(full)),
    Err(e) => Err(io_error(e, path)),
    Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(&full) {
      Ok(c) if c.starts_with(root) => {
        let m = fs::metadata(&c).map_err(|e| io_error(e, path))?;
        Ok(Entry::At(c, m))
      }
      // Out of the root, or dangling (its target could be made outside).
      _ => Err(escapes(path)),
    },
    Ok(m) => Ok(Entry::At(full, m)),
  }
}

fn file_at(root: &Path, path: &str) -> FsResult<(PathBuf, Metadata)> {
  match locate(root, path)? {
    Entry::At(p, m) if m.is_file() => Ok((p, m)),
    Entry::At(..) => Err(FsError::new("TypeMismatchError", format!("'{}' is not a file", shown(path)))),
    Entry::Missing(_) => Err(FsError::new("NotFoundError", format!("'{}' not found", shown(path)))),
  }
}

fn millis(m: &Metadata) -> f64 {
  m.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0.0, |d| d.as_millis() as f64)
}

fn open_nofollow(p: &Path, write: bool, path: &str) -> FsResult<File> {
  OpenOptions::new().read(!write).write(write).custom_flags(libc::O_NOFOLLOW).open(p).map_err(|e| io_error(e, path))
}

pub(crate) fn get_file_handle(root: &Path, path: &str, create: bool) -> FsResult<()> {
  match locate(root, path)? {
    Entry::At(_, m) if m.is_file() => Ok(()),
    Entry::At(..) => Err(FsError::new("TypeMismatchError", format!("'{}' is not a file", shown(path)))),
    Entry::Missing(p) if create => {
      match OpenOptions::new().write(true).create_new(true).custom_flags(libc::O_NOFOLLOW).open(&p) {
        Ok(_) => Ok(()),
        // Made meanwhile by someone else: fine if it is a file.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => file_at(root, path).map(|_| ()),
        Err(e) => Err(io_error(e, path)),
      }
    }
    Entry::Missing(_) => Err(FsError::new("NotFoundError", format!("'{}' not found", shown(path)))),
  }
}

pub(crate) fn get_directory_handle(root: &Path, path: &str, create: bool) -> FsResult<()> {
  match locate(root, path)? {
    Entry::At(_, m) if m.is_dir() => Ok(()),
    Entry::At(..) => Err(FsError::new("TypeMismatchError", format!("'{}' is not a directory", shown(path)))),
    Entry::Missing(p) if create => match fs::create_dir(&p) {
      Ok(()) => Ok(()),
      Err(e) if e.kind() == ErrorKind::AlreadyExists && p.is_dir() => Ok(()),
      Err(e) => Err(io_error(e, path)),
    },
    Entry::Missing(_) => Err(FsError::new("NotFoundError", format!("'{}' not found", shown(path)))),
  }
}

pub(crate) fn remove_entry(root: &Path, path: &str, recursive: bool) -> FsResult<()> {
  let segs = segments(path)?;
  let Some((last, parents)) = segs.split_last() else {
    return Err(FsError::new("InvalidModificationError", "the root directory cannot be removed"));
  };
  let mut parent = root.to_path_buf();
  parent.extend(parents);
  let parent = fs::canonicalize(&parent).map_err(|e| io_error(e, path))?;
  if !parent.starts_with(root) {
    return Err(escapes(path));
  }
  let full = parent.join(last);
  // Not followed: a symlink is removed itself (std's remove_dir_all never follows one either).
  let m = fs::symlink_metadata(&full).map_err(|e| io_error(e, path))?;
  let r = if m.is_dir() {
    if recursive {
      fs::remove_dir_all(&full)
    } else {
      fs::remove_dir(&full)
    }
  } else {
    fs::remove_file(&full)
  };
  r.map_err(|e| io_error(e, path))
}

pub(crate) fn read_directory(root: &Path, path: &str) -> FsResult<Vec<FsDirectoryEntry>> {
  let dir = match locate(root, path)? {
    Entry::At(p, m) if m.is_dir() => p,
    Entry::At(..) => return Err(FsError::new("TypeMismatchError", format!("'{}' is not a directory", shown(path)))),
    Entry::Missing(_) => return Err(FsError::new("NotFoundError", format!("'{}' not found", shown(path)))),
  };
  let mut out = Vec::new();
  for e in fs::read_dir(&dir).map_err(|e| io_error(e, path))? {
    let Ok(e) = e else { continue };
    // Names that are not UTF-8 cannot be named from the isolate: skipped.
    let Ok(name) = e.file_name().into_string() else { continue };
    let Ok(ft) = e.file_type() else { continue };
    let kind = if ft.is_symlink() {
      // Listed only when it resolves inside the root (as locate would allow).
      match fs::canonicalize(e.path()) {
        Ok(c) if c.starts_with(root) && c.is_dir() => "directory",
        Ok(c) if c.starts_with(root) && c.is_file() => "file",
        _ => continue,
      }
    } else if ft.is_dir() {
      "directory"
    } else if ft.is_file() {
      "file"
    } else {
      continue;
    };
    out.push(FsDirectoryEntry { name, kind: kind.into() });
  }
  Ok(out)
}

pub(crate) fn read_file(root: &Path, path: &str, max: u64) -> FsResult<(Vec<u8>, f64)> {
  let (p, m) = file_at(root, path)?;
  if m.len() > max {
    return Err(too_big(path, m.len(), max));
  }
  let f = open_nofollow(&p, false, path)?;
  let mut data = Vec::new();
  // Bounded even if the file grows meanwhile.
  f.take(max.saturating_add(1)).read_to_end(&mut data).map_err(|e| io_error(e, path))?;
  if data.len() as u64 > max {
    return Err(too_big(path, data.len() as u64, max));
  }
  Ok((data, millis(&m)))
}

pub(crate) fn write_file(root: &Path, path: &str, data: &[u8], at: Option<u64>, max: u64) -> FsResult<()> {
  within(path, at.unwrap_or(0).checked_add(data.len() as u64), max)?;
  let (p, _) = file_at(root, path)?;
  let mut f = open_nofollow(&p, true, path)?;
  match at {
    Some(at) => f.write_all_at(data, at),
    None => f.set_len(0).and_then(|()| f.write_all(data)),
  }
  .map_err(|e| io_error(e, path))
}

pub(crate) fn truncate_file(root: &Path, path: &str, size: u64, max: u64) -> FsResult<()> {
  within(path, Some(size), max)?;
  let (p, _) = file_at(root, path)?;
  open_nofollow(&p, true, path)?.set_len(size).map_err(|e| io_error(e, path))
}

fn name_of(path: &str) -> &str {
  path.rsplit('/').next().unwrap_or("")
}

#[napi]
impl NodeDirectoryHandler {
  /// The directory it serves (canonical).
  #[napi(getter)]
  pub fn root_dir(&self) -> String {
    self.root.to_string_lossy().into_owned()
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn get_file_handle(&self, path: String, options: Option<FsCreateOptions>) -> AsyncTask<FsTask<()>> {
    let root = self.root.clone();
    let create = options.and_then(|o| o.create).unwrap_or(false);
    FsTask::run(move || get_file_handle(&root, &path, create))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn get_directory_handle(&self, path: String, options: Option<FsCreateOptions>) -> AsyncTask<FsTask<()>> {
    let root = self.root.clone();
    let create = options.and_then(|o| o.create).unwrap_or(false);
    FsTask::run(move || get_directory_handle(&root, &path, create))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn remove_entry(&self, path: String, options: Option<FsRemoveOptions>) -> AsyncTask<FsTask<()>> {
    let root = self.root.clone();
    let recursive = options.and_then(|o| o.recursive).unwrap_or(false);
    FsTask::run(move || remove_entry(&root, &path, recursive))
  }

  #[napi(ts_return_type = "Promise<Array<FsDirectoryEntry>>")]
  pub fn read_directory(&self, path: String) -> AsyncTask<FsTask<Vec<FsDirectoryEntry>>> {
    let root = self.root.clone();
    FsTask::run(move || read_directory(&root, &path))
  }

  #[napi(ts_return_type = "Promise<FsFileData>")]
  pub fn read_file(&self, path: String, options: Option<FsReadOptions>) -> AsyncTask<FsTask<FsFileData>> {
    let root = self.root.clone();
    let max = max_bytes(&options);
    FsTask::run(move || {
      let (data, last_modified) = read_file(&root, &path, max)?;
      let mime = mime_type(name_of(&path)).to_string();
      Ok(FsFileData { size: data.len() as f64, data: data.into(), last_modified, mime })
    })
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn write_file(&self, path: String, data: Uint8Array, position: Option<f64>) -> AsyncTask<FsTask<()>> {
    let (root, max) = (self.root.clone(), self.max_file);
    let bytes = data.to_vec();
    FsTask::run(move || {
      let at = position.map(|p| super::position(p, "writeFile: position")).transpose()?;
      write_file(&root, &path, &bytes, at, max)
    })
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn truncate_file(&self, path: String, size: f64) -> AsyncTask<FsTask<()>> {
    let root = self.root.clone();
    let max = self.max_file;
    FsTask::run(move || truncate_file(&root, &path, position(size, "truncateFile: size")?, max))
  }

  #[napi(ts_return_type = "Promise<FsFileMetadata>")]
  pub fn get_file_metadata(&self, path: String) -> AsyncTask<FsTask<FsFileMetadata>> {
    let root = self.root.clone();
    FsTask::run(move || {
      let (_, m) = file_at(&root, &path)?;
      Ok(FsFileMetadata { size: m.len() as f64, last_modified: millis(&m), mime: mime_type(name_of(&path)).to_string() })
    })
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("edge-isolate-fs-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("root/sub")).ok();
    fs::write(d.join("outside.txt"), b"secret").ok();
    fs::canonicalize(&d).unwrap_or(d)
  }

  #[test]
  fn create_write_read_remove() {
    let d = tmp("basic");
    let root = d.join("root");
    assert!(get_file_handle(&root, "/a.txt", false).is_err_and(|e| e.name == "NotFoundError"));
    assert!(get_file_handle(&root, "/a.txt", true).is_ok());
    assert!(write_file(&root, "/a.txt", b"hello", None, 64).is_ok());
    assert!(write_file(&root, "/a.txt", b"J", Some(0), 64).is_ok());
    assert_eq!(read_file(&root, "/a.txt", 100).ok().map(|r| r.0), Some(b"Jello".to_vec()));
    assert!(read_file(&root, "/a.txt", 4).is_err_and(|e| e.name == "RangeError"));
    assert!(truncate_file(&root, "/a.txt", 2, 64).is_ok());
    // Past maxFileBytes (64 here): refused before the file is touched.
    assert!(truncate_file(&root, "/a.txt", 65, 64).is_err_and(|e| e.name == "QuotaExceededError"));
    assert!(write_file(&root, "/a.txt", b"xy", Some(63), 64).is_err_and(|e| e.name == "QuotaExceededError"));
    assert!(write_file(&root, "/a.txt", b"x", Some(u64::MAX), 64).is_err_and(|e| e.name == "QuotaExceededError"));
    assert_eq!(read_file(&root, "/a.txt", 100).ok().map(|r| r.0), Some(b"Je".to_vec()));
    assert!(get_directory_handle(&root, "/a.txt", false).is_err_and(|e| e.name == "TypeMismatchError"));
    assert!(get_file_handle(&root, "/sub/b", true).is_ok());
    assert!(remove_entry(&root, "/sub", false).is_err_and(|e| e.name == "InvalidModificationError"));
    assert!(remove_entry(&root, "/sub", true).is_ok());
    assert!(remove_entry(&root, "/", true).is_err());
    let _ = fs::remove_dir_all(&d);
  }

  #[test]
  fn escapes_are_refused() {
    let d = tmp("escape");
    let root = d.join("root");
    assert!(read_file(&root, "/../outside.txt", 100).is_err_and(|e| e.name == "TypeError"));
    std::os::unix::fs::symlink(d.join("outside.txt"), root.join("link")).ok();
    std::os::unix::fs::symlink(&d, root.join("up")).ok();
    std::os::unix::fs::symlink(d.join("nowhere"), root.join("dangling")).ok();
    assert!(read_file(&root, "/link", 100).is_err_and(|e| e.name == "NotAllowedError"));
    assert!(write_file(&root, "/link", b"x", None, 64).is_err_and(|e| e.name == "NotAllowedError"));
    assert!(read_file(&root, "/up/outside.txt", 100).is_err_and(|e| e.name == "NotAllowedError"));
    assert!(get_file_handle(&root, "/up/new.txt", true).is_err_and(|e| e.name == "NotAllowedError"));
    assert!(get_file_handle(&root, "/dangling", true).is_err_and(|e| e.name == "NotAllowedError"));
    assert!(!d.join("nowhere").exists());
    let names: Vec<String> = read_directory(&root, "/").map(|v| v.into_iter().map(|e| e.name).collect()).unwrap_or_default();
    assert!(names.contains(&"sub".to_string()) && !names.contains(&"link".to_string()) && !names.contains(&"up".to_string()));
    // Removing a symlink removes the link, never its target.
    assert!(remove_entry(&root, "/up", true).is_ok());
    assert_eq!(fs::read(d.join("outside.txt")).ok(), Some(b"secret".to_vec()));
    let _ = fs::remove_dir_all(&d);
  }
}
