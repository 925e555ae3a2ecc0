//! The startup snapshot: the whole isolate-side platform (core globals, Web APIs, console) is run
//! once per process in a snapshot-creator isolate; every runtime then starts from that heap image
//! instead of running the JS again.

use super::bindings;
use crate::errors::ErrorInfo;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The natives every snapshot references, null-terminated, alive for the whole process.
pub fn external_references() -> Cow<'static, [v8::ExternalReference]> {
  struct Refs(Vec<v8::ExternalReference>);
  // SAFETY: function pointers to our natives, never mutated after creation.
  unsafe impl Send for Refs {}
  unsafe impl Sync for Refs {}
  static REFS: OnceLock<Refs> = OnceLock::new();
  Cow::Borrowed(
    &REFS
      .get_or_init(|| {
        Refs(
          bindings::all_natives()
            .into_iter()
            .map(|function| v8::ExternalReference { function })
            .chain(std::iter::once(v8::ExternalReference { pointer: std::ptr::null_mut() }))
            .collect(),
        )
      })
      .0,
  )
}

/// The process-wide snapshot, made on first use. An error (a bug in the platform JS) is reported
/// to every createRuntime.
pub fn blob() -> Result<&'static [u8], ErrorInfo> {
  static BLOB: OnceLock<Result<Vec<u8>, ErrorInfo>> = OnceLock::new();
  BLOB.get_or_init(create).as_deref().map_err(Clone::clone)
}

fn create() -> Result<Vec<u8>, ErrorInfo> {
  let mut creator = v8::Isolate::snapshot_creator(Some(external_references()), None);
  {
    v8::scope!(let scope, &mut creator);
    let context = v8::Context::new(scope, Default::default());
    let scope = &mut v8::ContextScope::new(scope, context);
    let handles = bindings::install_platform(scope)?;
    for (i, h) in handles.into_iter().enumerate() {
      let index = scope.add_context_data(context, h);
      if index != i {
        return Err(ErrorInfo::new("Error", "snapshot data out of order"));
      }
    }
    scope.set_default_context(context);
  }
  let blob = creator
    .create_blob(v8::FunctionCodeHandling::Keep)
    .ok_or_else(|| ErrorInfo::new("Error", "could not create the V8 startup snapshot"))?;
  Ok(blob.to_vec())
}
