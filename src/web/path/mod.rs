//! The `path` global: POSIX path functions behaving as `node:path/posix` does, resolving against
//! the runtime's `cwd` option (default "/"), as @ricsam/isolate-runtime's path module does.

use super::{Area, Natives};

pub const AREA: Area = Area { name: "path", js: include_str!("path.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
