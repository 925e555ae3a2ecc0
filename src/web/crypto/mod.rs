//! crypto.getRandomValues, crypto.randomUUID, crypto.subtle (https://w3c.github.io/webcrypto/)

use super::{Area, Natives};

pub const AREA: Area = Area { name: "crypto", js: include_str!("crypto.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
