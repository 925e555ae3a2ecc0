//! The startup snapshot: the whole isolate-side platform (core globals, Web APIs, console) is run
//! once per process in a snapshot-creator isolate; every runtime then starts from that heap image
//! instead of running the JS again.

use super::bindings;
use crate::errors::ErrorInfo;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Every platform source, in a fixed order.
fn platform_sources() -> Vec<&'static str> {
  let mut all = bindings::core_sources();
  all.extend(crate::web::AREAS.iter().map(|a| a.js));
  all.push(crate::console::JS);
  all
}

/// The platform's JS sources as external strings: their text stays in the binary, shared by every
/// isolate, instead of being copied into each runtime's heap (~480 KB of source each). V8 keeps
/// an external string in a snapshot by reference when its resource is one of the snapshot's
/// external references, which these are. A source that is not ASCII is copied into the heap.
fn external_sources() -> &'static std::collections::HashMap<&'static str, &'static v8::OneByteConst> {
  // Keyed by text: a `const` area may hand out another copy of the same literal.
  static SOURCES: OnceLock<std::collections::HashMap<&'static str, &'static v8::OneByteConst>> = OnceLock::new();
  SOURCES.get_or_init(|| {
    platform_sources()
      .into_iter()
      .filter(|s| s.is_ascii() && s.len() < (1 << 29) - 24)
      .map(|s| {
        // SAFETY: checked ASCII (and within V8's string length) just above.
        let c: &'static v8::OneByteConst = Box::leak(Box::new(unsafe { v8::String::create_external_onebyte_const_unchecked(s.as_bytes()) }));
        (s, c)
      })
      .collect()
  })
}

/// The source as a V8 string: external when it is a platform source that can be.
pub fn source_string<'s>(scope: &mut v8::PinScope<'s, '_>, source: &'static str) -> Option<v8::Local<'s, v8::String>> {
  match external_sources().get(source) {
    Some(c) => v8::String::new_from_onebyte_const(scope, c),
    None => v8::String::new(scope, source),
  }
}

/// The natives and sources every snapshot references, null-terminated, alive for the whole process.
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
            .chain(external_sources().values().map(|c| v8::ExternalReference { pointer: *c as *const v8::OneByteConst as *mut std::ffi::c_void }))
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
  BLOB.get_or_init(create).as_deref().map_err(Clone::clone)
}

static BLOB: OnceLock<Result<Vec<u8>, ErrorInfo>> = OnceLock::new();

/// Whether the snapshot is made (and could be).
pub fn made() -> bool {
  BLOB.get().is_some_and(|b| b.is_ok())
}

/// Keeps one idle isolate made from the snapshot alive for the life of the process. V8 frees an
/// isolate group's read-only heap (and stops its compile-task executor) when the group's last
/// isolate goes, so without an anchor every runtime created while no other is alive would
/// deserialize the read-only heap again (about a third of a cold start). Node's own isolate
/// plays this part for isolated-vm. Costs one small isolate (~1.3 MB) once per process.
pub fn anchor(blob: &'static [u8]) {
  ANCHOR.get_or_init(|| {
    // On its own thread: a new isolate is entered on the thread that makes it, and a pool worker
    // may be inside another runtime's isolate.
    std::thread::scope(|s| {
      s.spawn(|| {
        let params = v8::CreateParams::default()
          .heap_limits(0, 8 << 20)
          .snapshot_blob(v8::StartupData::from(blob))
          .external_references(external_references());
        let isolate = v8::Isolate::new(params);
        // SAFETY: nothing is attached to this isolate (no slots, callbacks or data); it is never
        // entered or used again.
        unsafe { isolate.try_into_shared() }.ok()
      })
      .join()
      .ok()
      .flatten()
    })
  });
}

static ANCHOR: OnceLock<Option<v8::SharedIsolate>> = OnceLock::new();

/// Gives the heap pages of torn-down isolates back to the system. V8 keeps a dead isolate's pages
/// in a pool the other isolates draw from (a new runtime reuses them: ~0.8 ms of page faults less
/// per cold start, measured) and frees what is unused 8-16 s later, so a runtime disposed after
/// filling its heap kept its whole limit in the host's RSS that long. Critical memory pressure
/// empties the pool (V8's `FreeCachesOnMemoryPressure`); the anchor takes it: idle, its GC is
/// short. Called on the watchdog thread, never inside another isolate.
pub fn release_pooled_pages() {
  let Some(Some(anchor)) = ANCHOR.get() else { return };
  let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    let mut locker = anchor.lock();
    locker.memory_pressure_notification(v8::MemoryPressureLevel::Critical);
  }));
}

/// Empties the `gc` global that `--expose-gc` (see `platform::init`) declares in every new context,
/// before any script runs there: the flag is for the runtime's own young-generation collections
/// (`limits::collect_young_if_due`), not for scripts. V8 declares it as a script's function
/// declaration would, non-configurable, so it cannot be deleted; it stays, writable, as undefined
/// (`typeof gc` is 'undefined', as in a browser).
pub fn empty_gc_global(scope: &mut v8::PinScope, context: v8::Local<v8::Context>) {
  let global = context.global(scope);
  if let Some(key) = v8::String::new(scope, "gc") {
    let undefined = v8::undefined(scope);
    global.set(scope, key.into(), undefined.into());
  }
}

fn create() -> Result<Vec<u8>, ErrorInfo> {
  let mut creator = v8::Isolate::snapshot_creator(Some(external_references()), None);
  let installed = {
    v8::scope!(let scope, &mut creator);
    let context = v8::Context::new(scope, Default::default());
    let scope = &mut v8::ContextScope::new(scope, context);
    empty_gc_global(scope, context);
    let installed = bindings::install_platform(scope).and_then(|handles| {
      for (i, h) in handles.into_iter().enumerate() {
        if scope.add_context_data(context, h) != i {
          return Err(ErrorInfo::new("Error", "snapshot data out of order"));
        }
      }
      Ok(())
    });
    scope.set_default_context(context);
    installed
  };
  // Always finish the creator, even after a failure: rusty_v8 panics when a SnapshotCreator is
  // dropped without `create_blob`.
  let blob = creator.create_blob(v8::FunctionCodeHandling::Keep);
  installed?;
  let blob = blob.ok_or_else(|| ErrorInfo::new("Error", "could not create the V8 startup snapshot"))?;
  Ok(blob.to_vec())
}
