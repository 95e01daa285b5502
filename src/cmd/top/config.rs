//! `top`'s config file: the columns a user chose in the column chooser
//! (`F2`), at `$XDG_CONFIG_HOME/proctor/top.toml`, else
//! `~/.config/proctor/top.toml`:
//!
//! ```toml
//! columns = ["pid", "user", "name", "cpu", "time", "rss", "cmdline"]
//! ```
//!
//! Read at start (bounded), written whole by the chooser (a temporary
//! file renamed into place: never half a file). A damaged file, an
//! unknown key or column is one warning line with a hint on stderr, and
//! the defaults are used. `--columns` overrides it, `--no-config` ignores
//! it (neither read nor written).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Settings;
use crate::analysis::top::{self as model, ConfigProblem, SortKey};
use crate::error::CliError;

/// Longest config file read: a list of 21 names is far shorter.
const FILE_CAP: u64 = 64 * 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    columns: Option<Vec<String>>,
}

/// Where the config file is: `$XDG_CONFIG_HOME/proctor/top.toml` (an
/// absolute path, as the XDG spec asks), else `$HOME/.config/...`; None
/// without either.
pub fn path() -> Option<PathBuf> {
    let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .and_then(abs)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(abs)
                .map(|h| h.join(".config"))
        })?;
    Some(base.join("proctor").join("top.toml"))
}

/// The columns the file at `p` holds: None when there is no file or it
/// names none.
pub fn load(p: &Path) -> Result<Option<Vec<SortKey>>, ConfigProblem> {
    let f = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // Another user's file (`sudo -u nobody` keeps HOME=/root): not
        // this user's config, and no warning at every start.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Ok(None),
        Err(e) => return Err(ConfigProblem::Unreadable(e.kind())),
    };
    let mut text = String::new();
    f.take(FILE_CAP + 1)
        .read_to_string(&mut text)
        .map_err(|e| ConfigProblem::Unreadable(e.kind()))?;
    if text.len() as u64 > FILE_CAP {
        return Err(ConfigProblem::TooLarge(FILE_CAP));
    }
    let file: File =
        toml::from_str(&text).map_err(|e| ConfigProblem::Syntax(e.message().to_string()))?;
    let Some(names) = file.columns else {
        return Ok(None);
    };
    // The list as `--columns` takes it: every name checked, none twice.
    if let Some(bad) = names
        .iter()
        .find(|n| n.contains(',') || n.trim_start().starts_with(['+', '-']))
    {
        return Err(ConfigProblem::Columns(model::ColumnsError::Unknown(
            bad.clone(),
        )));
    }
    model::columns(&names.join(","), &SortKey::COLUMNS)
        .map(Some)
        .map_err(ConfigProblem::Columns)
}

/// Write `columns` to `p` whole: a temporary file beside it, flushed,
/// then renamed over it (the directory is made if missing).
pub fn save(p: &Path, columns: &[SortKey]) -> std::io::Result<()> {
    let dir = p.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let doc = File {
        columns: Some(columns.iter().map(|k| k.name().to_string()).collect()),
    };
    let body = toml::to_string(&doc).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!(".top.toml.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(crate::render::top::CONFIG_HEAD.as_bytes())?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The columns `top` shows, and the config file the chooser writes to
/// (None with `--no-config` or without a home): `--columns` (a list, or
/// `+COL`/`-COL` on the defaults), else the config file's, else the
/// defaults. A bad `--columns` is a usage error; a bad config file one
/// warning on stderr, and the defaults.
pub fn columns(a: &Settings) -> Result<(Vec<SortKey>, Option<PathBuf>), CliError> {
    let file = if a.no_config { None } else { path() };
    if let Some(spec) = &a.columns {
        let cols = model::columns(spec, &SortKey::COLUMNS).map_err(|e| {
            let (msg, hint) = crate::render::top::columns_error(&e);
            CliError::new(msg).hint(hint)
        })?;
        return Ok((cols, file));
    }
    let Some(p) = &file else {
        return Ok((SortKey::COLUMNS.to_vec(), file));
    };
    match load(p) {
        Ok(Some(cols)) => Ok((cols, file)),
        Ok(None) => Ok((SortKey::COLUMNS.to_vec(), file)),
        Err(problem) => {
            let (line, hint) = crate::render::top::config_warning(p, &problem);
            eprintln!("{line}");
            eprintln!("{hint}");
            Ok((SortKey::COLUMNS.to_vec(), file))
        }
    }
}
