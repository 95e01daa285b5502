//! One integration-test binary (faster to build than one per file). Its
//! modules, one line each (each file's top comment says more):
//!
//! - `bad_input`: invalid targets, ambiguous names, usage errors, closed
//!   pipes, colour rules: one line plus a hint, exit 2, no panic.
//! - `bounded`: bounded reads of huge command lines, environments,
//!   descriptor tables, paths and crafted trees (FIFO, /dev/zero).
//! - `cgroups`: the cgroup rules once per cgroup, on the cgroups fixture
//!   trees (v1, v2) and live in memory, pids and cpu cgroups of their own.
//! - `cgwatch`: `watch --cgroup`, `pod:NAME`, `container:ID`: live memory and
//!   pids cgroups of their own, resolution on the workloads tree, bad targets.
//! - `completions`: `completions bash|zsh|fish` parse and complete every
//!   command; `manpage`: a page per command, rendering without warnings.
//! - `common`: shared helpers (running the binary bounded in time, fixture
//!   copies, reaped children, tmux and cgroup guards, [`common::require`]).
//! - `delta`: `record` stores counters as increases (schema 2), read back
//!   whole by the view and `load`; a schema-1 history refused for recording.
//! - `deploy`: `deploy/` (alert rules and their promtool unit tests,
//!   manifests, scrape configs, the Grafana dashboard's queries) checked.
//! - `doctor`: `proctor doctor` on problems planted in live children, and on
//!   the fixture trees.
//! - `export`: a recorded history exported as OpenMetrics (backfilled by the
//!   real promtool) and CSV (parsed back, equal to the history).
//! - `fixtures`: `inspect` on the captured /proc trees, values checked
//!   against the captured files.
//! - `grouping`: `doctor` grouped by workload (headings, order, JSON
//!   `workload` on each finding) on the fixture trees and live.
//! - `growers`: `doctor --sample` on an old leak near its limit, and the
//!   busy-thread rule naming a spinning thread in `inspect` and `doctor`.
//! - `followups`: values that do not parse are unknown (`?`, null,
//!   `parse_error`), never 0 or absent (smaps, host files, start time).
//! - `fds_sockets`: `fds` sockets (protocol, endpoints, state, unix names
//!   and peers) against live children's own view; `net` listeners' accept
//!   queue and backlog; `sockets.accept_queue_full` in inspect and doctor.
//! - `forged_sockets`: a unix socket name forging a /proc/net/unix record is
//!   never shown as the victim's, on the netlink and the text path.
//! - `hardening`: regression tests for the review of `top` and `doctor`.
//! - `honesty`: checks that did not run make a result incomplete (exit 3),
//!   and arithmetic on kernel numbers never wraps.
//! - `hostile_misc`: a cgroup path climbing out of the mount, a DEL byte in a
//!   command line.
//! - `leak_live`: every `demo` scenario at once (leaks and controls), live,
//!   judged on detection time, rate, and no control ever flagged.
//! - `live`: `inspect` on real child processes, compared with what the test
//!   reads from /proc itself.
//! - `masking`: secrets in command lines and environments masked in every
//!   output, shown by `--reveal`.
//! - `oom`: a real OOM kill in a cgroup of the test's own, read back by
//!   `proctor oom` and `doctor`; hostile, malformed and unreadable kernel logs.
//! - `perf`: the faster paths (doctor's CLOSE_WAIT traced from the table
//!   filtered by state, watch on 15,000 descriptors, threads' switches)
//!   give the same answers as each process's own files.
//! - `plot`: `render::plot::draw` to SVG (parsed as XML) and PNG (decoded),
//!   hostile labels, bounds, errors.
//! - `prometheus_e2e`: a real Prometheus scrapes `proctor serve` while a
//!   child leaks descriptors: the leak, its exhaustion and the alert seen
//!   through Prometheus's HTTP API; a live scrape clean for promtool.
//! - `record`: `proctor record` killed at random moments, on a full disk,
//!   read-only, locked, newer, foreign and damaged files, retention and the
//!   size cap while recording, its memory over 400 scans.
//! - `report`: `proctor report` on a live recording (descriptor and memory
//!   leaks found with their rates, a steady child not), a synthetic history
//!   (snapshot, selection, hostile names) and damaged copies of it.
//! - `report_outputs`: `report --plot` (SVG parsed, PNG decoded) and
//!   `--format csv|openmetrics` (parsed back, backfilled by promtool).
//! - `replay`: `top --replay` on a live recording (children started and
//!   ended during it): `--json` at a time against the file, and stepping in tmux.
//! - `review`: attacks on the security fixes of issue 9 (escapes in every
//!   field and error, unreadable values listed, doctor's memory), each
//!   failing before its fix.
//! - `serve`: `proctor serve --once` grouping, matchers, hostile names,
//!   promtool, series bound; live leak verdicts and monotonic counters.
//! - `serve_record`: `serve --record FILE`: a live child in the history,
//!   SIGTERM finishes the run, a full disk stops the exporter (exit 2), a
//!   file another recorder holds is refused before the port is bound.
//! - `serve_sockets`: `serve`'s sockets of groups sharing the host's network
//!   namespace and a process leaking mappings, live; the real binary on a
//!   loopback port, ended by SIGTERM.
//! - `serve_http`: `proctor serve`'s HTTP server through the library: routes,
//!   negotiation, hostile and slow clients, parallel scrapes, stop.
//! - `snapshots`: insta snapshots of every command's stdout, stderr and exit
//!   code on the fixture trees (`watch` normalized for the clock).
//! - `timing`: duration options bounded, Ctrl-C during sampling (exit 130),
//!   `top` never ranks itself, a low descriptor limit hides nothing.
//! - `top`: `top --once` on the fixture trees and on real children, bad
//!   input, churn during the scan, an unprivileged user.
//! - `top_columns`: `top --columns`, the config file and the chooser, the
//!   new columns against the kernel, batch mode (`--iterations`, CSV, TSV).
//! - `top_tui`: the interactive `top` driven through a private tmux server.
//! - `top_keys`: the interactive `top`'s htop keys (sort letters, signals, users, threads, kernel threads, help size, mouse, search) in tmux.
//! - `views`: the resource views (fds, net, env, maps, threads) on the
//!   captured trees, hostile ones included.
//! - `views_live`: the same views on real children, compared with what the
//!   test reads from /proc itself.
//! - `watch`: `proctor watch` and `proctor demo` on real, bounded
//!   `demo-child` processes.
//! - `who`: `proctor who` on live sockets (host and an `unshare -n` namespace), deleted files with their sizes, held paths, bad arguments.
//! - `workload`: the workload of a process (every cgroup layout, kubelet names) on the `workloads` tree and live.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod bad_input;
mod bounded;
mod ceiling;
mod cgroups;
mod cgwatch;
mod common;
mod completions;
mod delta;
mod deploy;
mod doctor;
mod export;
mod fds_sockets;
mod fixtures;
mod followups;
mod forged_sockets;
mod grouping;
mod growers;
mod hardening;
mod honesty;
mod hostile_misc;
mod layering;
mod leak_live;
mod live;
mod masking;
mod oom;
mod perf;
mod plot;
mod prometheus_e2e;
mod record;
mod replay;
mod report;
mod report_outputs;
mod review;
mod serve;
mod serve_http;
mod serve_record;
mod serve_sockets;
mod snapshots;
mod timing;
mod top;
mod top_collect;
mod top_columns;
mod top_keys;
mod top_tui;
mod views;
mod views_live;
mod watch;
mod who;
mod workload;
