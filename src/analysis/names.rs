//! Grouping of thread names: `pool-3-thread-17` and `pool-3-thread-18` are
//! one group, `pool-#-thread-#`. This is how a thread explosion is read.

use std::collections::HashMap;

use serde::Serialize;

use crate::text::Text;

/// Replace every run of ASCII digits with a single `#`.
pub fn fold_digits(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut in_digits = false;
    for &c in name {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push(b'#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameGroup {
    pub pattern: Text,
    pub count: u64,
}

/// Groups by folded name, largest first (ties by pattern, for stable output).
pub fn group<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> Vec<NameGroup> {
    let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
    for n in names {
        *counts.entry(fold_digits(n)).or_default() += 1;
    }
    let mut v: Vec<NameGroup> = counts
        .into_iter()
        .map(|(p, count)| NameGroup {
            pattern: Text(p),
            count,
        })
        .collect();
    v.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_digit_runs() {
        assert_eq!(fold_digits(b"pool-12-thread-480"), b"pool-#-thread-#");
        assert_eq!(fold_digits(b"java"), b"java");
        assert_eq!(fold_digits(b"123"), b"#");
        assert_eq!(fold_digits(b"\xff9x"), b"\xff#x");
    }

    #[test]
    fn groups_largest_first() {
        let mut names: Vec<Vec<u8>> = (0..480)
            .map(|i| format!("pool-{}-thread-{}", i % 3, i).into_bytes())
            .collect();
        names.push(b"main".to_vec());
        names.push(b"GC Thread#0".to_vec());
        names.push(b"GC Thread#1".to_vec());
        let g = group(names.iter().map(Vec::as_slice));
        assert_eq!(
            g[0],
            NameGroup {
                pattern: Text::new(b"pool-#-thread-#".to_vec()),
                count: 480
            }
        );
        assert_eq!(
            g[1],
            NameGroup {
                pattern: Text::new(b"GC Thread##".to_vec()),
                count: 2
            }
        );
        assert_eq!(g[2].count, 1);
        assert_eq!(g.len(), 3);
    }
}
