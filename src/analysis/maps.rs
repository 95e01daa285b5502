//! The `maps` view (pmap -x, interpreted): every mapping with its memory,
//! totals by kind and by backing object, against vm.max_map_count.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::inspect::{Detail, Unavailable};
use crate::error::ReadError;
use crate::parse::smaps::{Mapping, Rollup};
use crate::text::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MapKind {
    Heap,
    Stack,
    Anonymous,
    File,
    SharedMemory,
    Kernel,
    Other,
}

impl MapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MapKind::Heap => "heap",
            MapKind::Stack => "stack",
            MapKind::Anonymous => "anonymous",
            MapKind::File => "file",
            MapKind::SharedMemory => "shared_memory",
            MapKind::Kernel => "kernel",
            MapKind::Other => "other",
        }
    }
}

pub fn kind_of(m: &Mapping) -> MapKind {
    let p = m.path.as_slice();
    let shared = m.perms[3] == b's';
    if p == b"[heap]" {
        MapKind::Heap
    } else if p == b"[stack]" || p.starts_with(b"[stack:") {
        MapKind::Stack
    } else if matches!(
        p,
        b"[vdso]" | b"[vvar]" | b"[vsyscall]" | b"[vvar_vclock]" | b"[uprobes]"
    ) {
        MapKind::Kernel
    } else if p.starts_with(b"/dev/shm/")
        || p.starts_with(b"/SYSV")
        || p.starts_with(b"/memfd:")
        || (shared
            && (p.is_empty() || p.starts_with(b"/dev/zero") || p.starts_with(b"[anon_shmem")))
    {
        MapKind::SharedMemory
    } else if p.is_empty() || p.starts_with(b"[anon:") {
        MapKind::Anonymous
    } else if p.starts_with(b"/") {
        MapKind::File
    } else {
        MapKind::Other
    }
}

/// A sum of per-mapping values, some of which may be unknown (a line
/// missing or not a valid number): the known part, how many values were
/// unknown, and whether the known part passed u64.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum {
    pub known: u64,
    pub unknown: u64,
    pub overflow: bool,
}

impl Sum {
    fn add(&mut self, v: Option<u64>) {
        match v {
            Some(v) => match self.known.checked_add(v) {
                Some(t) => self.known = t,
                None => self.overflow = true,
            },
            None => self.unknown += 1,
        }
    }

    /// An exact total: every value known, no overflow.
    pub fn exact(v: u64) -> Sum {
        Sum {
            known: v,
            ..Sum::default()
        }
    }

    /// The total, when every value was known (null in JSON otherwise).
    pub fn value(&self) -> Option<u64> {
        (self.unknown == 0 && !self.overflow).then_some(self.known)
    }

    /// A lower bound: some values unknown, the known ones summed.
    pub fn at_least(&self) -> Option<u64> {
        (self.unknown > 0 && !self.overflow).then_some(self.known)
    }
}

/// Totals of a set of mappings. In JSON each `*_bytes` is null when a value
/// it sums is unknown (or the sum passes u64); `unknown_values` then counts
/// the unknown values per field and `at_least_bytes` gives the sum of the
/// known ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub mappings: u64,
    pub size: Sum,
    pub rss: Sum,
    pub pss: Sum,
    pub swap: Sum,
}

impl Totals {
    fn add(&mut self, m: &Mapping) {
        self.mappings += 1;
        self.size.add(m.size);
        self.rss.add(m.rss);
        self.pss.add(m.pss);
        self.swap.add(m.swap);
    }

    fn fields(&self) -> [(&'static str, &Sum); 4] {
        [
            ("size", &self.size),
            ("rss", &self.rss),
            ("pss", &self.pss),
            ("swap", &self.swap),
        ]
    }
}

impl Serialize for Totals {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Totals", 7)?;
        st.serialize_field("mappings", &self.mappings)?;
        st.serialize_field("size_bytes", &self.size.value())?;
        st.serialize_field("rss_bytes", &self.rss.value())?;
        st.serialize_field("pss_bytes", &self.pss.value())?;
        st.serialize_field("swap_bytes", &self.swap.value())?;
        let unknown: BTreeMap<&str, u64> = self
            .fields()
            .into_iter()
            .filter(|(_, v)| v.unknown > 0)
            .map(|(k, v)| (k, v.unknown))
            .collect();
        let at_least: BTreeMap<&str, u64> = self
            .fields()
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.at_least()?)))
            .collect();
        st.serialize_field("unknown_values", &unknown)?;
        st.serialize_field("at_least_bytes", &at_least)?;
        st.end()
    }
}

/// One mapping as shown: a view of the parsed [`Mapping`], serialized on
/// the fly (no per-row copies: a process can have 65,000 mappings).
#[derive(Debug, Clone, Copy)]
pub struct MapRow<'a>(pub &'a Mapping);

impl MapRow<'_> {
    pub fn kind(&self) -> MapKind {
        kind_of(self.0)
    }
}

impl Serialize for MapRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let m = self.0;
        let mut st = s.serialize_struct("MapRow", 13)?;
        st.serialize_field("start", &format!("{:x}", m.start))?;
        st.serialize_field("end", &format!("{:x}", m.end))?;
        st.serialize_field("perms", &String::from_utf8_lossy(&m.perms))?;
        st.serialize_field("offset", &format!("{:x}", m.offset))?;
        st.serialize_field("device", &String::from_utf8_lossy(&m.dev))?;
        st.serialize_field("inode", &m.inode)?;
        st.serialize_field("kind", &kind_of(m))?;
        st.serialize_field("path", &crate::text::TextRef(&m.path))?;
        st.serialize_field("size_bytes", &m.size)?;
        st.serialize_field("rss_bytes", &m.rss)?;
        st.serialize_field("pss_bytes", &m.pss)?;
        st.serialize_field("swap_bytes", &m.swap)?;
        st.serialize_field("anonymous_bytes", &m.anonymous)?;
        st.end()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectTotals {
    pub path: Text,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapsReport<'a> {
    pub pid: i32,
    /// From smaps_rollup when readable, else summed from the mappings.
    pub total: Totals,
    pub total_source: &'static str,
    pub mapping_count: u64,
    pub max_map_count: Option<u64>,
    pub by_kind: BTreeMap<&'static str, Totals>,
    /// File-backed and shared-memory objects, largest RSS first.
    pub by_object: Vec<ObjectTotals>,
    /// Rows shown (after --sort and --top).
    pub mappings: Vec<MapRow<'a>>,
    /// What could not be read or parsed: per-mapping values that are
    /// missing or not a number (`smaps`, `parse_error`), a rollup that
    /// failed or has invalid values (`smaps_rollup`).
    pub unavailable: Vec<Unavailable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSort {
    Address,
    Rss,
    Size,
    Pss,
    Swap,
}

/// What `smaps_rollup` gave: its totals, or why it could not be read.
pub type RollupRead<'r> = Option<Result<&'r Rollup, &'r ReadError>>;

pub fn build<'a>(
    pid: i32,
    maps: &'a [Mapping],
    rollup: RollupRead<'_>,
    max_map_count: Option<u64>,
    sort: MapSort,
    top: Option<usize>,
) -> MapsReport<'a> {
    let mut sum = Totals::default();
    let mut by_kind: BTreeMap<&'static str, Totals> = BTreeMap::new();
    let mut objects: HashMap<&[u8], Totals> = HashMap::new();
    let mut anon = Sum::default();
    for m in maps {
        sum.add(m);
        anon.add(m.anonymous);
        let k = kind_of(m);
        by_kind.entry(k.as_str()).or_default().add(m);
        if matches!(k, MapKind::File | MapKind::SharedMemory) && !m.path.is_empty() {
            objects.entry(&m.path).or_default().add(m);
        }
    }
    let mut unavailable = Vec::new();
    let unknown: Vec<(&'static str, u64)> = sum
        .fields()
        .into_iter()
        .map(|(k, v)| (k, v.unknown))
        .chain([("anonymous", anon.unknown)])
        .filter(|(_, n)| *n > 0)
        .collect();
    if !unknown.is_empty() {
        unavailable.push(Unavailable {
            section: "smaps",
            reason: "parse_error",
            detail: Detail::SmapsValuesUnknown { fields: unknown },
            hint: None,
        });
    }
    let mut total = sum;
    let mut total_source = "smaps";
    match rollup {
        Some(Ok(r)) => {
            // The rollup's exact totals where they parsed; a rollup value
            // that did not is replaced by the sum over the mappings.
            total_source = "smaps_rollup";
            for (key, slot) in [
                ("Rss", &mut total.rss),
                ("Pss", &mut total.pss),
                ("Swap", &mut total.swap),
            ] {
                if let Some(v) = r.get(key) {
                    *slot = Sum::exact(v);
                }
            }
            if !r.invalid.is_empty() {
                unavailable.push(Unavailable {
                    section: "smaps_rollup",
                    reason: "parse_error",
                    detail: Detail::RollupNotANumber {
                        keys: r.invalid.clone(),
                    },
                    hint: None,
                });
            }
        }
        Some(Err(e)) => unavailable.push(Unavailable {
            section: "smaps_rollup",
            reason: e.reason(),
            detail: Detail::RollupUnreadable(e.clone()),
            hint: e.hint(),
        }),
        None => {}
    }
    let mut by_object: Vec<ObjectTotals> = objects
        .into_iter()
        .map(|(p, totals)| ObjectTotals {
            path: Text(p.to_vec()),
            totals,
        })
        .collect();
    by_object.sort_by(|a, b| {
        b.totals
            .rss
            .known
            .cmp(&a.totals.rss.known)
            .then(a.path.cmp(&b.path))
    });

    let mut order: Vec<&Mapping> = maps.iter().collect();
    // Largest first; unknown values (None) sort last.
    let key = |m: &Mapping| match sort {
        MapSort::Address => Some(0),
        MapSort::Rss => m.rss,
        MapSort::Size => m.size,
        MapSort::Pss => m.pss,
        MapSort::Swap => m.swap,
    };
    if sort != MapSort::Address {
        order.sort_by(|a, b| key(b).cmp(&key(a)).then(a.start.cmp(&b.start)));
    }
    let rows = order
        .into_iter()
        .take(top.unwrap_or(usize::MAX))
        .map(MapRow)
        .collect();
    MapsReport {
        pid,
        total,
        total_source,
        mapping_count: maps.len() as u64,
        max_map_count,
        by_kind,
        by_object,
        mappings: rows,
        unavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(start: u64, perms: &[u8; 4], path: &[u8], rss: u64, swap: u64) -> Mapping {
        Mapping {
            start,
            end: start + 0x1000,
            perms: *perms,
            path: path.to_vec(),
            size: Some(4096),
            rss: Some(rss),
            pss: Some(rss / 2),
            swap: Some(swap),
            anonymous: Some(0),
            ..Mapping::default()
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of(&m(0, b"rw-p", b"[heap]", 0, 0)), MapKind::Heap);
        assert_eq!(kind_of(&m(0, b"rw-p", b"[stack]", 0, 0)), MapKind::Stack);
        assert_eq!(kind_of(&m(0, b"rw-p", b"", 0, 0)), MapKind::Anonymous);
        assert_eq!(
            kind_of(&m(0, b"rw-p", b"[anon:jemalloc]", 0, 0)),
            MapKind::Anonymous
        );
        assert_eq!(kind_of(&m(0, b"rw-s", b"", 0, 0)), MapKind::SharedMemory);
        assert_eq!(
            kind_of(&m(0, b"rw-s", b"/dev/shm/x (deleted)", 0, 0)),
            MapKind::SharedMemory
        );
        assert_eq!(
            kind_of(&m(0, b"r-xp", b"/usr/lib/libc.so.6", 0, 0)),
            MapKind::File
        );
        assert_eq!(kind_of(&m(0, b"r-xp", b"[vdso]", 0, 0)), MapKind::Kernel);
        assert_eq!(kind_of(&m(0, b"r-xp", b"[weird]", 0, 0)), MapKind::Other);
    }

    #[test]
    fn totals_sort_and_top() {
        let maps = vec![
            m(0x1000, b"r-xp", b"/usr/lib/libc.so.6", 8192, 0),
            m(0x2000, b"r--p", b"/usr/lib/libc.so.6", 4096, 0),
            m(0x3000, b"rw-p", b"[heap]", 40960, 4096),
            m(0x4000, b"rw-p", b"", 1024, 8192),
        ];
        let r = build(1, &maps, None, Some(65530), MapSort::Rss, Some(2));
        assert_eq!(r.mapping_count, 4);
        assert_eq!(r.total.rss.value(), Some(8192 + 4096 + 40960 + 1024));
        assert_eq!(r.total_source, "smaps");
        assert!(r.unavailable.is_empty());
        assert_eq!(r.by_kind["file"].mappings, 2);
        assert_eq!(r.by_kind["file"].rss.value(), Some(12288));
        assert_eq!(r.by_kind["heap"].swap.value(), Some(4096));
        assert_eq!(r.by_object.len(), 1);
        assert_eq!(r.by_object[0].totals.mappings, 2);
        assert_eq!(r.mappings.len(), 2);
        assert_eq!(r.mappings[0].0.start, 0x3000);
        assert_eq!(r.mappings[1].0.start, 0x1000);
        let s = build(1, &maps, None, None, MapSort::Swap, None);
        assert_eq!(s.mappings[0].0.start, 0x4000);
        let a = build(1, &maps, None, None, MapSort::Address, None);
        assert_eq!(
            a.mappings.iter().map(|r| r.0.start).collect::<Vec<_>>(),
            [0x1000, 0x2000, 0x3000, 0x4000]
        );
        let rollup = Rollup {
            values: [
                ("Rss".to_string(), 99),
                ("Pss".to_string(), 50),
                ("Swap".to_string(), 7),
            ]
            .into(),
            invalid: vec![],
        };
        let t = build(1, &maps, Some(Ok(&rollup)), None, MapSort::Address, None);
        assert_eq!(
            (
                t.total.rss.value(),
                t.total.pss.value(),
                t.total.swap.value()
            ),
            (Some(99), Some(50), Some(7))
        );
        assert_eq!(t.total_source, "smaps_rollup");
        assert!(t.unavailable.is_empty());
    }

    #[test]
    fn unknown_values_are_unknown_in_rows_and_totals() {
        let mut bad = m(0x5000, b"rw-p", b"[heap]", 0, 0);
        bad.rss = None;
        bad.anonymous = None;
        let maps = vec![m(0x1000, b"r-xp", b"/usr/lib/libc.so.6", 8192, 0), bad];
        let r = build(1, &maps, None, None, MapSort::Rss, None);
        // The sum is not the known part alone: null, with a lower bound.
        assert_eq!(r.total.rss.value(), None);
        assert_eq!(r.total.rss.at_least(), Some(8192));
        assert_eq!(r.total.size.value(), Some(8192));
        assert_eq!(r.by_kind["heap"].rss.value(), None);
        assert_eq!(r.unavailable.len(), 1);
        assert_eq!(r.unavailable[0].section, "smaps");
        assert_eq!(r.unavailable[0].reason, "parse_error");
        assert_eq!(
            r.unavailable[0].detail,
            Detail::SmapsValuesUnknown {
                fields: vec![("rss", 1), ("anonymous", 1)]
            }
        );
        // Unknown sorts last.
        assert_eq!(r.mappings[1].0.start, 0x5000);
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["total"]["rss_bytes"], serde_json::Value::Null);
        assert_eq!(j["total"]["unknown_values"]["rss"], 1);
        assert_eq!(j["total"]["at_least_bytes"]["rss"], 8192);
        assert_eq!(j["total"]["size_bytes"], 8192);
        assert_eq!(j["mappings"][1]["rss_bytes"], serde_json::Value::Null);
        // A rollup's valid values are exact; an invalid one falls back to
        // the (unknown) sum and is listed.
        let rollup = Rollup {
            values: [("Pss".to_string(), 50)].into(),
            invalid: vec!["Rss".to_string()],
        };
        let t = build(1, &maps, Some(Ok(&rollup)), None, MapSort::Address, None);
        assert_eq!(t.total.pss.value(), Some(50));
        assert_eq!(t.total.rss.value(), None);
        assert!(t.unavailable.iter().any(|u| u.section == "smaps_rollup"
            && u.reason == "parse_error"
            && u.detail
                == Detail::RollupNotANumber {
                    keys: vec!["Rss".to_string()]
                }));
    }

    #[test]
    fn sums_past_u64_are_unknown_not_saturated() {
        let mut a = m(0x1000, b"rw-p", b"", 0, 0);
        a.rss = Some(u64::MAX);
        let b = m(0x2000, b"rw-p", b"", 4096, 0);
        let maps = [a, b];
        let r = build(1, &maps, None, None, MapSort::Address, None);
        assert_eq!(r.total.rss.value(), None);
        assert_eq!(r.total.rss.at_least(), None);
    }
}
