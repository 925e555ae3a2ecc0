//! Blob, File, FormData (https://w3c.github.io/FileAPI/, https://xhr.spec.whatwg.org/#interface-formdata)

use super::{Area, Natives};

pub const AREA: Area = Area { name: "blob", js: include_str!("blob.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
