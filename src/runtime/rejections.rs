//! Unhandled promise rejections, reported after each task's microtasks as HTML does
//! (https://html.spec.whatwg.org/multipage/webappapis.html#unhandled-promise-rejections): a
//! rejection nobody handled by then is logged as "Uncaught (in promise) …".

use super::state::{State, StateRef};

/// V8's promise-reject callback: remembers rejections without a handler, forgets them when a
/// handler is added later.
pub extern "C" fn on_reject(msg: v8::PromiseRejectMessage) {
  v8::callback_scope!(unsafe scope, &msg);
  let Some(state) = State::get(scope) else { return };
  let promise = msg.get_promise();
  match msg.get_event() {
    v8::PromiseRejectEvent::PromiseRejectWithNoHandler => {
      let Some(value) = msg.get_value() else { return };
      let entry = (v8::Global::new(scope, promise), v8::Global::new(scope, value));
      state.borrow_mut().rejections.push(entry);
    }
    v8::PromiseRejectEvent::PromiseHandlerAddedAfterReject => forget(scope, &state, promise),
    _ => {}
  }
}

/// The runtime consumed this promise's rejection itself (an eval's or an import's evaluation).
pub fn forget(scope: &mut v8::PinScope, state: &StateRef, promise: v8::Local<v8::Promise>) {
  let mut s = state.borrow_mut();
  s.rejections.retain(|(p, _)| v8::Local::new(scope, p) != promise);
}

/// Logs every rejection still unhandled.
pub fn report(scope: &mut v8::PinScope, state: &StateRef) {
  let pending = std::mem::take(&mut state.borrow_mut().rejections);
  for (_, value) in pending {
    let value = v8::Local::new(scope, &value);
    super::event_loop::report_uncaught(scope, state, value, "Uncaught (in promise)");
  }
}
