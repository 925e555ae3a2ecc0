//! Event, EventTarget, CustomEvent, ErrorEvent, MessageEvent, CloseEvent, AbortController, AbortSignal, reportError (https://dom.spec.whatwg.org/)

use super::{Area, Natives};

pub const AREA: Area = Area { name: "events", js: include_str!("events.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
