//! The `maps` view (pmap -x, interpreted): every mapping with its memory,
//! totals by kind and by backing object, against vm.max_map_count.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::parse::smaps::Mapping;
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub mappings: u64,
    pub size_bytes: u64,
    pub rss_bytes: u64,
    pub pss_bytes: u64,
    pub swap_bytes: u64,
}

impl Totals {
    fn add(&mut self, m: &Mapping) {
        self.mappings += 1;
        self.size_bytes = self.size_bytes.saturating_add(m.size);
        self.rss_bytes = self.rss_bytes.saturating_add(m.rss);
        self.pss_bytes = self.pss_bytes.saturating_add(m.pss);
        self.swap_bytes = self.swap_bytes.saturating_add(m.swap);
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MapSort {
    Address,
    Rss,
    Size,
    Pss,
    Swap,
}

pub fn build<'a>(
    pid: i32,
    maps: &'a [Mapping],
    rollup: Option<&HashMap<String, u64>>,
    max_map_count: Option<u64>,
    sort: MapSort,
    top: Option<usize>,
) -> MapsReport<'a> {
    let mut sum = Totals::default();
    let mut by_kind: BTreeMap<&'static str, Totals> = BTreeMap::new();
    let mut objects: HashMap<&[u8], Totals> = HashMap::new();
    for m in maps {
        sum.add(m);
        let k = kind_of(m);
        by_kind.entry(k.as_str()).or_default().add(m);
        if matches!(k, MapKind::File | MapKind::SharedMemory) && !m.path.is_empty() {
            objects.entry(&m.path).or_default().add(m);
        }
    }
    let (total, total_source) = match rollup {
        Some(r) => (
            Totals {
                mappings: maps.len() as u64,
                size_bytes: sum.size_bytes,
                rss_bytes: r.get("Rss").copied().unwrap_or(sum.rss_bytes),
                pss_bytes: r.get("Pss").copied().unwrap_or(sum.pss_bytes),
                swap_bytes: r.get("Swap").copied().unwrap_or(sum.swap_bytes),
            },
            "smaps_rollup",
        ),
        None => (sum, "smaps"),
    };
    let mut by_object: Vec<ObjectTotals> = objects
        .into_iter()
        .map(|(p, totals)| ObjectTotals {
            path: Text(p.to_vec()),
            totals,
        })
        .collect();
    by_object.sort_by(|a, b| {
        b.totals
            .rss_bytes
            .cmp(&a.totals.rss_bytes)
            .then(a.path.cmp(&b.path))
    });

    let mut order: Vec<&Mapping> = maps.iter().collect();
    let key = |m: &Mapping| match sort {
        MapSort::Address => 0,
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
            size: 4096,
            rss,
            pss: rss / 2,
            swap,
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
        assert_eq!(r.total.rss_bytes, 8192 + 4096 + 40960 + 1024);
        assert_eq!(r.total_source, "smaps");
        assert_eq!(r.by_kind["file"].mappings, 2);
        assert_eq!(r.by_kind["file"].rss_bytes, 12288);
        assert_eq!(r.by_kind["heap"].swap_bytes, 4096);
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
        let rollup: HashMap<String, u64> = [
            ("Rss".to_string(), 99),
            ("Pss".to_string(), 50),
            ("Swap".to_string(), 7),
        ]
        .into();
        let t = build(1, &maps, Some(&rollup), None, MapSort::Address, None);
        assert_eq!(
            (t.total.rss_bytes, t.total.pss_bytes, t.total.swap_bytes),
            (99, 50, 7)
        );
        assert_eq!(t.total_source, "smaps_rollup");
    }
}
