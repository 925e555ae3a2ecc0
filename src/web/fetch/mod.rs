//! Headers, Request, Response and the body mixin (https://fetch.spec.whatwg.org/)

use super::{Area, Natives};

pub const AREA: Area = Area { name: "fetch", js: include_str!("fetch.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
