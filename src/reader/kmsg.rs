//! The kernel log, read from `/dev/kmsg` (Documentation/ABI/testing/dev-kmsg):
//! opened O_RDONLY|O_NONBLOCK, sought to the first record still in the
//! ring buffer (`lseek(fd, 0, SEEK_SET)`), then one record per read(2)
//! until EAGAIN (the end). EPIPE means the record under the reader was
//! overwritten while it read: the next read returns the next record, so
//! it is counted and skipped. Bounded: at most [`KMSG_MAX_RECORDS`]
//! records and [`KMSG_MAX_BYTES`] bytes in all, each read at most
//! [`KMSG_RECORD_CAP`] bytes (the kernel's records are under 1 KiB plus
//! their dictionary).
//!
//! Where: `/dev/kmsg` on a real procfs (every procfs of this kernel has
//! the same log); off one (a fixture tree, a crafted --proc-root),
//! `PROC_ROOT/../dev/kmsg`, which must be a regular file of records, one
//! per line (continuation lines, starting with a space, are dropped).

use std::path::PathBuf;

use crate::error::{ReadError, classify};

use super::{ProcFs, is_procfs, open_read, read_capped, sys_error};

/// One read(2) of the device: one record.
pub const KMSG_RECORD_CAP: usize = 8 * 1024;
/// Records read at most (the ring buffer holds a few thousand).
pub const KMSG_MAX_RECORDS: usize = 200_000;
/// Bytes read at most, all records together.
pub const KMSG_MAX_BYTES: usize = 16 * 1024 * 1024;

/// The records read, oldest first.
#[derive(Debug, Clone, Default)]
pub struct KernelLog {
    /// Each record as read (prefix, message, continuation lines).
    pub records: Vec<Vec<u8>>,
    /// Records overwritten while being read (EPIPE), skipped.
    pub overwritten: u64,
    /// Reading stopped at a cap before the end of the log.
    pub capped: bool,
    /// Where it was read.
    pub path: PathBuf,
}

impl ProcFs {
    /// Where the kernel log is read (see the module's documentation).
    pub fn kmsg_path(&self) -> PathBuf {
        let real = rustix::fs::statfs(self.proc_root()).is_ok_and(|s| is_procfs(&s));
        if real {
            return PathBuf::from("/dev/kmsg");
        }
        self.proc_root()
            .parent()
            .unwrap_or(self.proc_root())
            .join("dev/kmsg")
    }

    /// Every record of the kernel log, from the start of the ring buffer.
    /// A root-only (`kernel.dmesg_restrict=1`) log is `PermissionDenied`,
    /// a missing one `NotSupported`: never an empty log.
    pub fn kernel_log(&self) -> Result<KernelLog, ReadError> {
        use std::os::unix::ffi::OsStrExt;
        let path = self.kmsg_path();
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| ReadError::parse(&path, "path"))?;
        let is_device = path == std::path::Path::new("/dev/kmsg");
        let fd = open_read(rustix::fs::CWD, &c, !is_device)
            .map_err(|e| sys_error(&path, &e, "the kernel log"))?;
        let mut log = KernelLog {
            path: path.clone(),
            ..KernelLog::default()
        };
        if is_device {
            read_device(&fd, &mut log).map_err(|e| io_error(&path, e))?;
        } else {
            let mut buf = Vec::new();
            log.capped = read_capped(&fd, &mut buf, KMSG_MAX_BYTES, false)
                .map_err(|e| sys_error(&path, &e, "the kernel log"))?;
            let mut lines = buf
                .split(|&c| c == b'\n')
                .filter(|l| !l.is_empty() && !l.starts_with(b" "));
            log.records = lines
                .by_ref()
                .take(KMSG_MAX_RECORDS)
                .map(<[u8]>::to_vec)
                .collect();
            log.capped |= lines.next().is_some();
        }
        Ok(log)
    }

    /// The host's OOM kills since boot, `oom_kill` in PROC/vmstat (Linux
    /// 4.13+; older kernels: `NotSupported`).
    pub fn vmstat_oom_kill(&self) -> Result<u64, ReadError> {
        let path = self.proc_root().join("vmstat");
        let b = self.read_proc_file("vmstat")?;
        match crate::parse::flat_keyed_checked(&b, "oom_kill") {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(ReadError::NotSupported {
                path: path.clone(),
                detail: format!("no oom_kill counter in {} (Linux 4.13+)", path.display()),
            }),
            Err(_) => Err(ReadError::parse(&path, "oom_kill")),
        }
    }
}

fn io_error(path: &std::path::Path, e: rustix::io::Errno) -> ReadError {
    let err = std::io::Error::from(e);
    match classify(&err) {
        crate::error::Errno::Denied => ReadError::PermissionDenied {
            path: path.to_path_buf(),
        },
        _ => sys_error(path, &err, "the kernel log"),
    }
}

/// One record per read, until EAGAIN or a cap.
fn read_device(fd: &std::os::fd::OwnedFd, log: &mut KernelLog) -> Result<(), rustix::io::Errno> {
    use rustix::io::Errno;
    rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(0))?;
    let mut buf = vec![0u8; KMSG_RECORD_CAP];
    let mut total = 0usize;
    loop {
        if log.records.len() >= KMSG_MAX_RECORDS || total >= KMSG_MAX_BYTES {
            log.capped = true;
            return Ok(());
        }
        match rustix::io::read(fd, &mut buf) {
            Ok(0) | Err(Errno::AGAIN) => return Ok(()),
            Ok(n) => {
                total = total.saturating_add(n);
                log.records.push(buf[..n].to_vec());
            }
            Err(Errno::PIPE) => log.overwritten = log.overwritten.saturating_add(1),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}
