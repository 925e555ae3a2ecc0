//! Event, EventTarget, CustomEvent, ErrorEvent, MessageEvent, CloseEvent, PromiseRejectionEvent,
//! AbortController, AbortSignal, reportError (https://dom.spec.whatwg.org/)

use super::{Area, Natives};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "events", js: include_str!("events.js"), natives };

fn natives() -> Natives {
  vec![("promiseHasHandler", promise_has_handler.map_fn_to()), ("promiseResult", promise_result.map_fn_to())]
}

/// promiseHasHandler(promise) -> its [[PromiseIsHandled]] (false for anything but a promise).
fn promise_has_handler<'s>(_scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let handled = v8::Local::<v8::Promise>::try_from(args.get(0)).is_ok_and(|p| p.has_handler());
  rv.set_bool(handled);
}

/// promiseResult(promise) -> its [[PromiseResult]] (undefined while pending, or for a non-promise).
fn promise_result<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  if let Ok(p) = v8::Local::<v8::Promise>::try_from(args.get(0)) {
    if p.state() != v8::PromiseState::Pending {
      rv.set(p.result(scope));
    }
  }
}
