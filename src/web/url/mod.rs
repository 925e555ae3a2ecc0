//! URL, URLSearchParams (https://url.spec.whatwg.org/), backed by the `url` crate

use super::{Area, Natives};

pub const AREA: Area = Area { name: "url", js: include_str!("url.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
