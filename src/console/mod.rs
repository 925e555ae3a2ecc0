//! Native hooks that let console.js see what pure JS cannot, as Node's util.inspect does:
//! promise state, proxy internals, and Map/Set iterator entries.

use crate::web::Natives;
use v8::MapFnTo;

pub const JS: &str = include_str!("console.js");

pub fn hooks() -> Natives {
  vec![
    ("promiseDetails", promise_details.map_fn_to()),
    ("proxyDetails", proxy_details.map_fn_to()),
    ("previewEntries", preview_entries.map_fn_to()),
  ]
}

/// `[state, result]`: 0 pending, 1 fulfilled, 2 rejected.
fn promise_details<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(p) = v8::Local::<v8::Promise>::try_from(args.get(0)) else { return };
  let (state, result) = match p.state() {
    v8::PromiseState::Pending => (0, None),
    v8::PromiseState::Fulfilled => (1, Some(p.result(scope))),
    v8::PromiseState::Rejected => (2, Some(p.result(scope))),
  };
  let state = v8::Integer::new(scope, state).into();
  let result = result.unwrap_or_else(|| v8::undefined(scope).into());
  rv.set(v8::Array::new_with_elements(scope, &[state, result]).into());
}

/// `[target, handler]` of a proxy (target null when revoked), undefined otherwise. Reading them
/// runs no trap, unlike anything JS could do.
fn proxy_details<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(p) = v8::Local::<v8::Proxy>::try_from(args.get(0)) else { return };
  let (target, handler) = if p.is_revoked() {
    (v8::null(scope).into(), v8::null(scope).into())
  } else {
    (p.get_target(scope), p.get_handler(scope))
  };
  rv.set(v8::Array::new_with_elements(scope, &[target, handler]).into());
}

/// `[entries, isKeyValue]` of a Map/Set iterator (or weak collection), without advancing it.
fn preview_entries<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else { return };
  let (entries, key_value) = obj.preview_entries(scope);
  let entries: v8::Local<v8::Value> = match entries {
    Some(e) => e.into(),
    None => v8::Array::new(scope, 0).into(),
  };
  let key_value = v8::Boolean::new(scope, key_value).into();
  rv.set(v8::Array::new_with_elements(scope, &[entries, key_value]).into());
}
