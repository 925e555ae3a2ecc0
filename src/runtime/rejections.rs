//! Errors nobody handled, reported after each task's microtasks as HTML does:
//! - unhandled promise rejections (https://html.spec.whatwg.org/multipage/webappapis.html#unhandled-promise-rejections):
//!   an `unhandledrejection` event on the global, logged as "Uncaught (in promise) …" unless a
//!   listener cancels it; a handler added after that fires `rejectionhandled`;
//! - exceptions thrown by microtask callbacks (queueMicrotask, FinalizationRegistry cleanups),
//!   which V8 hands to its message listeners (without one, V8 prints them to the process's
//!   stdout): reported as HTML's "report the exception" says — an `error` event on the global,
//!   else logged as "Uncaught …" (https://html.spec.whatwg.org/multipage/webappapis.html#report-the-exception).

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
    // Not reported yet: it simply is no longer unhandled. Reported already: rejectionhandled.
    v8::PromiseRejectEvent::PromiseHandlerAddedAfterReject if !forget(scope, &state, promise) => {
      let p = v8::Global::new(scope, promise);
      state.borrow_mut().handled_later.push(p);
    }
    _ => {}
  }
}

/// V8's message listener: an exception nobody caught. Kept until the checkpoint ends (running JS
/// from inside V8's reporting is not safe).
pub unsafe extern "C" fn on_message(message: v8::Local<v8::Message>, exception: v8::Local<v8::Value>) {
  let scope = std::pin::pin!(unsafe { v8::CallbackScope::new(message) });
  let scope = &mut scope.init();
  v8::scope!(let scope, scope);
  let Some(state) = State::get(scope) else { return };
  if let Ok(mut s) = state.try_borrow_mut() {
    let e = v8::Global::new(scope, exception);
    s.uncaught.push(e);
  };
}

/// Reports the exceptions `on_message` kept.
pub fn report_uncaught(scope: &mut v8::PinScope, state: &StateRef) {
  let (pending, report) = {
    let mut s = state.borrow_mut();
    (std::mem::take(&mut s.uncaught), s.report_exception.clone())
  };
  for e in pending {
    let e = v8::Local::new(scope, &e);
    let reported = report.as_ref().is_some_and(|f| {
      v8::tc_scope!(let tc, scope);
      let f = v8::Local::new(tc, f);
      let recv = v8::undefined(tc).into();
      f.call(tc, recv, &[e]).is_some()
    });
    if !reported && !scope.is_execution_terminating() {
      super::event_loop::report_uncaught(scope, state, e, "Uncaught");
    }
  }
}

/// Drops `promise` from the rejections not reported yet (the runtime consumed it itself, an
/// eval's or an import's evaluation, or a handler came in time); false if it was not there.
pub fn forget(scope: &mut v8::PinScope, state: &StateRef, promise: v8::Local<v8::Promise>) -> bool {
  let mut s = state.borrow_mut();
  let before = s.rejections.len();
  s.rejections.retain(|(p, _)| v8::Local::new(scope, p) != promise);
  s.rejections.len() != before
}

/// Reports every rejection still unhandled (an `unhandledrejection` event, then the log unless a
/// listener cancelled it), then tells the platform of handlers added to reported ones. Returns
/// whether any JS ran (its microtasks are then due).
pub fn report(scope: &mut v8::PinScope, state: &StateRef) -> bool {
  let (pending, later, hook, handled) = {
    let mut s = state.borrow_mut();
    // After every task: nothing to do (the usual case) costs no handle copies.
    if s.rejections.is_empty() && s.handled_later.is_empty() {
      return false;
    }
    (std::mem::take(&mut s.rejections), std::mem::take(&mut s.handled_later), s.report_rejection.clone(), s.rejection_handled.clone())
  };
  let mut ran = false;
  for (promise, value) in pending {
    let promise = v8::Local::new(scope, &promise);
    // Handled meanwhile (by a handler added in the same checkpoint) is not reported.
    if promise.has_handler() {
      continue;
    }
    let value = v8::Local::new(scope, &value);
    let unhandled = match &hook {
      Some(f) => {
        ran = true;
        v8::tc_scope!(let tc, scope);
        let f = v8::Local::new(tc, f);
        let recv = v8::undefined(tc).into();
        // A hook that throws (out of stack, say) leaves the rejection unhandled.
        f.call(tc, recv, &[promise.into(), value]).is_none_or(|r| r.is_true())
      }
      None => true,
    };
    if scope.is_execution_terminating() {
      return ran;
    }
    if unhandled {
      super::event_loop::report_uncaught(scope, state, value, "Uncaught (in promise)");
    }
  }
  if let Some(f) = &handled {
    for promise in later {
      ran = true;
      v8::tc_scope!(let tc, scope);
      let f = v8::Local::new(tc, f);
      let promise = v8::Local::new(tc, &promise);
      let recv = v8::undefined(tc).into();
      let _ = f.call(tc, recv, &[promise.into()]);
      if tc.is_execution_terminating() {
        return ran;
      }
    }
  }
  ran
}
