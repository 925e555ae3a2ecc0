//! ReadableStream, WritableStream, TransformStream, queuing strategies, TextEncoderStream/TextDecoderStream, CompressionStream/DecompressionStream (https://streams.spec.whatwg.org/)

use super::{Area, Natives};

pub const AREA: Area = Area { name: "streams", js: include_str!("streams.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
