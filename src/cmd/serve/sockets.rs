//! The TCP sockets of groups that share a network namespace (the host's:
//! systemd units, plain processes), which the namespace's table alone
//! cannot attribute: each group's socket inodes, from its processes'
//! descriptor links (a readlink per descriptor), looked up in the
//! namespace's TCP table (sock_diag, else /proc/PID/net/tcp and tcp6),
//! read once per namespace per refresh.
//!
//! A refresh costs a readlink per descriptor of every process in a shared
//! namespace: it is paced by its cost as `watch` paces its expensive
//! metrics ([`EXPENSIVE_DUTY`]): the next one comes once 100 times the
//! last one's duration has passed (about 1% of a core), and the counts of
//! the last refresh are served between. One refresh reads at most
//! [`MAX_LINKS`] descriptors: the groups of processes past that have no
//! counts that time (and `over_budget` is counted as a read error).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::analysis::serve::{Labels, ProcKey, SocketCounts};
use crate::error::ReadError;
use crate::parse::net::{self, InodeSet};
use crate::reader::{EXPENSIVE_DUTY, FdInfoWanted, ProcFs, socket_inodes};

/// Descriptor links read in one refresh, at most (a host with 2,000
/// processes holds about 100,000 descriptors).
pub const MAX_LINKS: u64 = 200_000;

const ESTABLISHED: u8 = 0x01;
const CLOSE_WAIT: u8 = 0x08;

/// Whether a refresh is due: none yet, or 100 times the last one's cost
/// has passed since it ended (`since`).
pub fn due(last: Option<(Duration, Duration)>) -> bool {
    last.is_none_or(|(since, cost)| since >= cost.saturating_mul(EXPENSIVE_DUTY))
}

/// One process in a shared namespace, and its group.
#[derive(Debug, Clone)]
pub struct Member {
    pub key: ProcKey,
    pub labels: Labels,
}

/// The sockets of one group's processes in one namespace.
#[derive(Debug, Default)]
struct GroupInodes {
    inodes: InodeSet,
    /// A member's descriptors could not be read: no counts for the group.
    incomplete: bool,
}

/// The counts of `inodes` by state, from a namespace's `state` of each
/// socket inode (inodes not in it: not TCP, or closed since).
pub fn count_states(inodes: &InodeSet, states: &HashMap<u64, u8>) -> SocketCounts {
    let mut c = SocketCounts::default();
    for i in inodes {
        match states.get(i) {
            Some(&ESTABLISHED) => c.established += 1,
            Some(&CLOSE_WAIT) => c.close_wait += 1,
            Some(&net::TCP_LISTEN) => c.listen += 1,
            _ => {}
        }
    }
    c
}

/// The paced counts, kept between refreshes.
#[derive(Debug, Default)]
pub struct SharedSockets {
    /// When the last refresh ended, and what it cost.
    last: Option<(Instant, Duration)>,
    counts: BTreeMap<Labels, SocketCounts>,
}

impl SharedSockets {
    /// Refresh the counts if due. `namespaces`: the members of each shared
    /// namespace; `unknown`: groups with a process whose namespace could
    /// not be read (no counts). `error` counts a failed read by kind.
    pub fn refresh(
        &mut self,
        fs: &ProcFs,
        namespaces: &[Vec<Member>],
        unknown: &BTreeSet<Labels>,
        error: &mut dyn FnMut(&'static str),
    ) {
        self.refresh_within(fs, namespaces, unknown, error, MAX_LINKS);
    }

    /// [`SharedSockets::refresh`] reading at most `budget` links.
    fn refresh_within(
        &mut self,
        fs: &ProcFs,
        namespaces: &[Vec<Member>],
        unknown: &BTreeSet<Labels>,
        error: &mut dyn FnMut(&'static str),
        mut budget: u64,
    ) {
        if !due(self.last.map(|(at, cost)| (at.elapsed(), cost))) {
            return;
        }
        let began = Instant::now();
        let mut totals: BTreeMap<Labels, SocketCounts> = BTreeMap::new();
        let mut failed: BTreeSet<Labels> = unknown.clone();
        let mut over = false;
        for members in namespaces {
            let (groups, reader) = links(fs, members, &mut budget, &mut over, error);
            let states = match reader.map(|p| p.tcp_sockets(&union(&groups))) {
                Some(Ok(found)) => found
                    .into_iter()
                    .map(|s| (s.inode, s.state))
                    .collect::<HashMap<_, _>>(),
                // Every member gone since the scan: nothing to count.
                None | Some(Err(ReadError::Exited { .. })) => HashMap::new(),
                Some(Err(e)) => {
                    error(e.reason());
                    failed.extend(groups.into_keys());
                    continue;
                }
            };
            for (labels, g) in groups {
                if g.incomplete {
                    failed.insert(labels);
                } else {
                    totals
                        .entry(labels)
                        .or_default()
                        .add(count_states(&g.inodes, &states));
                }
            }
        }
        if over {
            error("over_budget");
        }
        totals.retain(|l, _| !failed.contains(l));
        self.counts = totals;
        self.last = Some((Instant::now(), began.elapsed()));
    }

    /// The counts of the last refresh, by group.
    pub fn counts(&self) -> &BTreeMap<Labels, SocketCounts> {
        &self.counts
    }
}

/// Each group's socket inodes in one namespace, and an open process of it
/// to read the namespace's table through. Past the budget, the groups
/// left have no counts (`over` says so).
fn links(
    fs: &ProcFs,
    members: &[Member],
    budget: &mut u64,
    over: &mut bool,
    error: &mut dyn FnMut(&'static str),
) -> (
    BTreeMap<Labels, GroupInodes>,
    Option<crate::reader::Process>,
) {
    let mut groups: BTreeMap<Labels, GroupInodes> = BTreeMap::new();
    let mut reader = None;
    for m in members {
        let g = groups.entry(m.labels.clone()).or_default();
        if g.incomplete {
            continue;
        }
        if *budget == 0 {
            g.incomplete = true;
            *over = true;
            continue;
        }
        let p = match fs.open(m.key.0) {
            Ok(p) if p.start_ticks() == m.key.1 => p,
            // Gone since the scan (its PID maybe reused): its sockets
            // went with it.
            Ok(_) | Err(ReadError::Exited { .. }) => continue,
            Err(e) => {
                error(e.reason());
                g.incomplete = true;
                continue;
            }
        };
        match p.fds(FdInfoWanted::None) {
            Ok(list) => {
                *budget = budget.saturating_sub(list.len() as u64);
                g.inodes.extend(socket_inodes(&list));
            }
            // A zombie holds no descriptors: no sockets.
            Err(ReadError::Exited { .. } | ReadError::NotSupported { .. }) => continue,
            Err(e) => {
                error(e.reason());
                g.incomplete = true;
                continue;
            }
        }
        if reader.is_none() {
            reader = Some(p);
        }
    }
    (groups, reader)
}

fn union(groups: &BTreeMap<Labels, GroupInodes>) -> InodeSet {
    let mut all = InodeSet::default();
    for g in groups.values() {
        all.extend(g.inodes.iter().copied());
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(fs: &ProcFs, pid: i32, group: &str) -> Member {
        Member {
            key: (pid, fs.open(pid).unwrap().start_ticks()),
            labels: Labels {
                group: group.into(),
                ..Labels::default()
            },
        }
    }

    fn labels(group: &str) -> Labels {
        Labels {
            group: group.into(),
            ..Labels::default()
        }
    }

    /// v1-basic: pid 4242 holds 6 sockets, 2 established and a listener
    /// in its namespace's tcp tables; pid 4300 is a zombie (no
    /// descriptors: no sockets, not an error).
    #[test]
    fn groups_count_their_own_sockets_and_stop_at_the_budget() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-basic");
        let fs = ProcFs::new(root.join("proc"), root.join("sys"));
        let ns = vec![vec![member(&fs, 4242, "app"), member(&fs, 4300, "other")]];
        let mut errors = Vec::new();
        let mut s = SharedSockets::default();
        s.refresh(&fs, &ns, &BTreeSet::new(), &mut |k| errors.push(k));
        assert_eq!(errors, Vec::<&str>::new());
        let app = SocketCounts {
            established: 2,
            close_wait: 0,
            listen: 1,
        };
        assert_eq!(s.counts().get(&labels("app")), Some(&app));
        assert_eq!(
            s.counts().get(&labels("other")),
            Some(&SocketCounts::default())
        );
        // A group whose namespace could not be read has none.
        let mut s = SharedSockets::default();
        let unknown = [labels("app")].into_iter().collect();
        s.refresh(&fs, &ns, &unknown, &mut |k| errors.push(k));
        assert_eq!(s.counts().get(&labels("app")), None);
        // 4242's descriptors use the whole budget: 4300 is not read, its
        // group has no counts (not 0), and the refresh says so once.
        let mut s = SharedSockets::default();
        s.refresh_within(&fs, &ns, &BTreeSet::new(), &mut |k| errors.push(k), 1);
        assert_eq!(s.counts().get(&labels("app")), Some(&app));
        assert_eq!(s.counts().get(&labels("other")), None);
        assert_eq!(errors, vec!["over_budget"]);
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_refresh_waits_a_hundred_times_its_cost() {
        assert!(due(None));
        // 2 ms of links and tables: again after 200 ms.
        assert!(!due(Some((199 * MS, 2 * MS))));
        assert!(due(Some((200 * MS, 2 * MS))));
        // 20,000 sockets, 150 ms: 15 s between refreshes (one in ten
        // scans at 1.5 s, every scan at 15 s).
        assert!(!due(Some((Duration::from_secs(14), 150 * MS))));
        assert!(due(Some((Duration::from_secs(15), 150 * MS))));
        // A free refresh (a fixture tree): every scan.
        assert!(due(Some((Duration::ZERO, Duration::ZERO))));
        // Absurd costs do not overflow.
        assert!(!due(Some((Duration::from_secs(1), Duration::MAX))));
    }

    #[test]
    fn states_are_counted_from_the_namespace_table() {
        let states: HashMap<u64, u8> = [
            (1, ESTABLISHED),
            (2, ESTABLISHED),
            (3, CLOSE_WAIT),
            (4, net::TCP_LISTEN),
            (5, 0x06), // TIME_WAIT: not counted
        ]
        .into_iter()
        .collect();
        let mine: InodeSet = [1, 3, 4, 5, 99].into_iter().collect();
        assert_eq!(
            count_states(&mine, &states),
            SocketCounts {
                established: 1,
                close_wait: 1,
                listen: 1
            }
        );
        assert_eq!(
            count_states(&InodeSet::default(), &states),
            SocketCounts::default()
        );
    }
}
