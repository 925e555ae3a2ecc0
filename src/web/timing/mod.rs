//! User Timing and the Performance Timeline's buffer: `performance.mark/measure/getEntries…`,
//! `PerformanceEntry`, `PerformanceMark`, `PerformanceMeasure` (all JS; the clock is the core's).

use super::{Area, Natives};

pub const AREA: Area = Area { name: "timing", js: include_str!("timing.js"), natives };

fn natives() -> Natives {
  Vec::new()
}
