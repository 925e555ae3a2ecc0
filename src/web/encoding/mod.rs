//! TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/)

use super::{Area, Natives};

pub const AREA: Area = Area { name: "encoding", js: include_str!("encoding.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
