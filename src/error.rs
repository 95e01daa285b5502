//! The error model. Owns the one place where an errno from a /proc or /sys
//! read is classified ([`classify`]), the kinds a read can fail with
//! ([`ReadError`]), and the user-facing failure of a command ([`CliError`])
//! with its hint and exit code. Must not do I/O.

use std::io;
use std::path::{Path, PathBuf};

/// Process exit codes shared by every command (README, "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Ran, nothing wrong found.
    Ok = 0,
    /// Ran and found a problem (a leak, findings from a host scan).
    Problem = 1,
    /// Bad usage, no such target, ambiguous target, unreadable, nothing
    /// could be judged.
    Error = 2,
    /// Checks incomplete: nothing wrong found in what could be read, but
    /// checks that could hide a problem did not run
    /// ([`crate::analysis::incomplete`]).
    Incomplete = 3,
    /// Interrupted (Ctrl-C).
    Interrupted = 130,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Why a value could not be read. The JSON `unavailable[].reason` strings
/// come from [`ReadError::reason`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The process is gone (ENOENT/ESRCH and a liveness check confirmed it),
    /// or was replaced by another process with the same PID.
    #[error("process {pid} exited")]
    Exited { pid: i32 },
    /// EACCES/EPERM.
    #[error("permission denied reading {}", path.display())]
    PermissionDenied { path: PathBuf },
    /// The file does not exist for a live process: an older kernel, a
    /// kernel thread or zombie without an address space, a controller not
    /// mounted. `detail` says which.
    #[error("{detail}")]
    NotSupported { path: PathBuf, detail: String },
    /// The file was read but did not have the expected shape: a bug in
    /// proctor (or a kernel format it does not know yet).
    #[error("could not parse {field} in {}", path.display())]
    Parse { path: PathBuf, field: String },
    /// Any other I/O failure, with the errno text.
    #[error("error reading {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
}

/// Provisional classification of a failed read before the liveness check:
/// ENOENT/ESRCH on a file of a process may mean "process gone" or "file not
/// there for this process"; only the reader can tell by re-checking the
/// process ([`crate::reader::Process::resolve_missing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Errno {
    Missing,
    Denied,
    NotSupported,
    Other(String),
}

/// The one place that classifies an errno from a /proc or /sys read.
pub fn classify(err: &io::Error) -> Errno {
    match err.raw_os_error() {
        Some(e) if e == rustix::io::Errno::NOENT.raw_os_error() => Errno::Missing,
        Some(e) if e == rustix::io::Errno::SRCH.raw_os_error() => Errno::Missing,
        Some(e) if e == rustix::io::Errno::ACCESS.raw_os_error() => Errno::Denied,
        Some(e) if e == rustix::io::Errno::PERM.raw_os_error() => Errno::Denied,
        Some(e)
            if e == rustix::io::Errno::NOTSUP.raw_os_error()
                || e == rustix::io::Errno::NOSYS.raw_os_error() =>
        {
            Errno::NotSupported
        }
        _ => match err.kind() {
            io::ErrorKind::NotFound => Errno::Missing,
            io::ErrorKind::PermissionDenied => Errno::Denied,
            _ => Errno::Other(err.to_string()),
        },
    }
}

impl ReadError {
    /// Stable machine-readable reason used in JSON `unavailable` entries.
    pub fn reason(&self) -> &'static str {
        match self {
            ReadError::Exited { .. } => "process_exited",
            ReadError::PermissionDenied { .. } => "permission_denied",
            ReadError::NotSupported { .. } => "not_supported",
            ReadError::Parse { .. } => "parse_error",
            ReadError::Io { .. } => "io_error",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ReadError::PermissionDenied { .. } => {
                Some("run as root or with CAP_SYS_PTRACE (or as the process's owner)")
            }
            ReadError::Parse { .. } => Some(
                "the file does not have the format proctor expects (a corrupt or crafted --proc-root, or a kernel format proctor does not know yet): please report it with the file named above",
            ),
            _ => None,
        }
    }

    /// Whether proctor itself ran out of descriptors (EMFILE, or ENFILE
    /// for the whole host): its own error, not a fact about the process.
    /// The reader keeps only the errno text in `Io`, so the text of those
    /// two errnos is compared (it ends with "(os error N)").
    pub fn is_out_of_descriptors(&self) -> bool {
        let ReadError::Io { message, .. } = self else {
            return false;
        };
        [rustix::io::Errno::MFILE, rustix::io::Errno::NFILE]
            .iter()
            .any(|e| *message == io::Error::from_raw_os_error(e.raw_os_error()).to_string())
    }

    pub fn parse(path: &Path, field: impl Into<String>) -> Self {
        ReadError::Parse {
            path: path.to_path_buf(),
            field: field.into(),
        }
    }
}

/// A failure of a whole command: one line of message, an optional hint, an
/// exit code. Printed by the binary as `error: ...` / `hint: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    pub hint: Option<String>,
    /// Extra lines printed between the message and the hint (candidate lists).
    pub detail: Vec<String>,
    pub code: ExitCode,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
            detail: Vec::new(),
            code: ExitCode::Error,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn detail(mut self, lines: Vec<String>) -> Self {
        self.detail = lines;
        self
    }

    pub fn code(mut self, code: ExitCode) -> Self {
        self.code = code;
        self
    }
}

impl CliError {
    /// proctor ran out of descriptors while reading: say it is proctor's
    /// own limit, not the process's state.
    pub fn out_of_descriptors(e: &ReadError) -> Self {
        let limit = rlimit::getrlimit(rlimit::Resource::NOFILE)
            .map(|(soft, _)| format!(" (its soft limit is {soft})"))
            .unwrap_or_default();
        CliError::new(format!("proctor ran out of file descriptors{limit}: {e}")).hint(
            "raise proctor's own limit with `ulimit -n` (e.g. `ulimit -n 4096`) and run it again",
        )
    }
}

impl From<ReadError> for CliError {
    fn from(e: ReadError) -> Self {
        if e.is_out_of_descriptors() {
            return CliError::out_of_descriptors(&e);
        }
        let hint = match &e {
            ReadError::Exited { .. } => {
                Some("the process is gone; pick another target".to_string())
            }
            ReadError::NotSupported { .. } => Some(
                "there is nothing of this kind to read for this process; `proctor inspect PID` shows what there is"
                    .to_string(),
            ),
            ReadError::Io { .. } => {
                Some("retry; if it persists, check the --proc-root and --sys-root mounts".to_string())
            }
            other => other.hint().map(str::to_string),
        };
        CliError {
            message: e.to_string(),
            hint,
            detail: Vec::new(),
            code: ExitCode::Error,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_match_product_conventions() {
        assert_eq!(ExitCode::Ok.code(), 0);
        assert_eq!(ExitCode::Problem.code(), 1);
        assert_eq!(ExitCode::Error.code(), 2);
        assert_eq!(ExitCode::Incomplete.code(), 3);
        assert_eq!(ExitCode::Interrupted.code(), 130);
    }

    #[test]
    fn classify_errnos() {
        let e = |n: rustix::io::Errno| io::Error::from_raw_os_error(n.raw_os_error());
        assert_eq!(classify(&e(rustix::io::Errno::NOENT)), Errno::Missing);
        assert_eq!(classify(&e(rustix::io::Errno::SRCH)), Errno::Missing);
        assert_eq!(classify(&e(rustix::io::Errno::ACCESS)), Errno::Denied);
        assert_eq!(classify(&e(rustix::io::Errno::PERM)), Errno::Denied);
        assert_eq!(classify(&e(rustix::io::Errno::NOTSUP)), Errno::NotSupported);
        assert!(matches!(
            classify(&e(rustix::io::Errno::IO)),
            Errno::Other(_)
        ));
    }

    #[test]
    fn reasons_are_stable() {
        assert_eq!(ReadError::Exited { pid: 1 }.reason(), "process_exited");
        let p = PathBuf::from("/proc/1/fd");
        assert_eq!(
            ReadError::PermissionDenied { path: p.clone() }.reason(),
            "permission_denied"
        );
        assert_eq!(
            ReadError::NotSupported {
                path: p.clone(),
                detail: String::new()
            }
            .reason(),
            "not_supported"
        );
        assert_eq!(ReadError::parse(&p, "x").reason(), "parse_error");
    }

    #[test]
    fn out_of_descriptors_is_proctors_own_error() {
        let io_err = |n: rustix::io::Errno| ReadError::Io {
            path: PathBuf::from("/proc/1/fd"),
            message: io::Error::from_raw_os_error(n.raw_os_error()).to_string(),
        };
        assert!(io_err(rustix::io::Errno::MFILE).is_out_of_descriptors());
        assert!(io_err(rustix::io::Errno::NFILE).is_out_of_descriptors());
        assert!(!io_err(rustix::io::Errno::IO).is_out_of_descriptors());
        let c = CliError::from(io_err(rustix::io::Errno::MFILE));
        assert!(c.message.starts_with("proctor ran out of file descriptors"));
        assert!(c.hint.unwrap().contains("ulimit -n"));
        assert_eq!(c.code, ExitCode::Error);
    }
}
