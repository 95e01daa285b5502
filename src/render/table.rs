//! Aligned text tables. Cells are already escaped text; widths count
//! characters. The last column is not padded (no trailing spaces).
//! Cells live in one arena string (no allocation per cell: views print
//! tables of 20,000 rows).

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    headers: Vec<&'static str>,
    align: Vec<Align>,
    arena: String,
    /// End offset of each cell in `arena`, row after row.
    ends: Vec<usize>,
}

impl Table {
    pub fn new(columns: &[(&'static str, Align)]) -> Table {
        Table {
            headers: columns.iter().map(|c| c.0).collect(),
            align: columns.iter().map(|c| c.1).collect(),
            arena: String::new(),
            ends: Vec::new(),
        }
    }

    /// Add a row of ready cells.
    pub fn row(&mut self, cells: Vec<String>) {
        for c in cells.iter().take(self.headers.len()) {
            self.cell(c);
        }
        for _ in cells.len()..self.headers.len() {
            self.cell("");
        }
    }

    /// Append one cell (rows fill left to right).
    pub fn cell(&mut self, s: &str) {
        self.arena.push_str(s);
        self.ends.push(self.arena.len());
    }

    /// Append one cell formatted in place.
    pub fn cell_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.arena.write_fmt(args);
        self.ends.push(self.arena.len());
    }

    /// Append one cell written by `f` into the table's buffer.
    pub fn cell_with(&mut self, f: impl FnOnce(&mut String)) {
        f(&mut self.arena);
        self.ends.push(self.arena.len());
    }

    /// Append one cell of bytes from /proc, escaped for the terminal.
    pub fn cell_escaped(&mut self, b: &[u8]) {
        crate::text::escape_into(&mut self.arena, b);
        self.ends.push(self.arena.len());
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn cells(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&e| {
            let c = &self.arena[start..e];
            start = e;
            c
        })
    }

    /// Render with `indent` spaces before each line; the header is styled
    /// by `heading`.
    pub fn render(&self, indent: usize, heading: impl Fn(&str) -> String) -> String {
        let n = self.headers.len();
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.len()).collect();
        for (i, c) in self.cells().enumerate() {
            w[i % n] = w[i % n].max(display_width(c));
        }
        let line_len: usize = w.iter().sum::<usize>() + 2 * n + indent + 1;
        let mut out = String::with_capacity((self.ends.len() / n.max(1) + 1) * line_len);
        let pad = " ".repeat(indent);
        let put = |out: &mut String, i: usize, c: &str| {
            let col = i % n;
            if col == 0 {
                out.push_str(&pad);
            }
            put_padded(out, c, w[col], self.align[col], col + 1 == n);
            if col + 1 == n {
                out.push('\n');
            }
        };
        let mut head = String::new();
        for (i, h) in self.headers.iter().enumerate() {
            put(&mut head, i, h);
        }
        out.push_str(&heading(head.trim_end()));
        out.push('\n');
        for (i, c) in self.cells().enumerate() {
            put(&mut out, i, c);
        }
        out
    }

    /// A table whose cells are not stored: `cell(row, col, out)` writes
    /// a cell's text at the end of `out`. It is called twice for every
    /// cell but the last column's (once to measure, once to write) and
    /// once for the last column's, which is never padded. A view of
    /// 20,000 rows then keeps no copy of its text beside the output (each
    /// fresh page costs a page fault: bench/fds.sh).
    ///
    /// `spill(out)` is called whenever `out` holds 64 KiB or more, and
    /// may write it away and clear it: the output is then never whole in
    /// memory either.
    pub fn render_virtual(
        out: &mut String,
        columns: &[(&'static str, Align)],
        rows: usize,
        heading: impl Fn(&str) -> String,
        mut cell: impl FnMut(usize, usize, &mut String),
        spill: &mut dyn FnMut(&mut String),
    ) {
        let n = columns.len();
        if n == 0 {
            return;
        }
        let mut w: Vec<usize> = columns.iter().map(|c| c.0.len()).collect();
        let mut scratch = String::new();
        for row in 0..rows {
            for (col, w) in w.iter_mut().enumerate().take(n - 1) {
                scratch.clear();
                cell(row, col, &mut scratch);
                *w = (*w).max(display_width(&scratch));
            }
        }
        let mut head = String::new();
        for (col, (h, align)) in columns.iter().enumerate() {
            put_padded(&mut head, h, w[col], *align, col + 1 == n);
        }
        out.push_str(&heading(head.trim_end()));
        out.push('\n');
        for row in 0..rows {
            for (col, (_, align)) in columns.iter().enumerate().take(n - 1) {
                scratch.clear();
                cell(row, col, &mut scratch);
                put_padded(out, &scratch, w[col], *align, false);
            }
            cell(row, n - 1, out);
            out.push('\n');
            if out.len() >= SPILL {
                spill(out);
            }
        }
    }
}

/// How much [`Table::render_virtual`] gathers before handing it over.
const SPILL: usize = 64 * 1024;

/// Display width: bytes for ASCII (the common case), else chars.
fn display_width(c: &str) -> usize {
    if c.is_ascii() {
        c.len()
    } else {
        c.chars().count()
    }
}

/// One cell padded to `width` (the last column is not padded; the others
/// are followed by two spaces).
fn put_padded(out: &mut String, c: &str, width: usize, align: Align, last: bool) {
    let fill = width.saturating_sub(display_width(c));
    if align == Align::Right {
        out.extend(std::iter::repeat_n(' ', fill));
    }
    out.push_str(c);
    if !last {
        if align == Align::Left {
            out.extend(std::iter::repeat_n(' ', fill));
        }
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_rows_align_as_stored_ones_and_spill_in_order() {
        let cols = [
            ("FD", Align::Right),
            ("TYPE", Align::Left),
            ("TARGET", Align::Left),
        ];
        let rows: Vec<(i32, &str, String)> = (0..3000)
            .map(|i| {
                (
                    i * 7,
                    ["file", "socket", "anon:[eventfd]"][i as usize % 3],
                    format!("/t/{i}"),
                )
            })
            .collect();
        let mut stored = Table::new(&cols);
        for (fd, kind, target) in &rows {
            stored.cell_fmt(format_args!("{fd}"));
            stored.cell(kind);
            stored.cell(target);
        }
        let expected = stored.render(0, |h| format!("<{h}>"));
        let mut spilled = String::new();
        let mut spills = 0;
        let mut out = String::new();
        Table::render_virtual(
            &mut out,
            &cols,
            rows.len(),
            |h| format!("<{h}>"),
            |i, col, s| match col {
                0 => s.push_str(&rows[i].0.to_string()),
                1 => s.push_str(rows[i].1),
                _ => s.push_str(&rows[i].2),
            },
            &mut |s: &mut String| {
                spills += 1;
                spilled.push_str(s);
                s.clear();
            },
        );
        spilled.push_str(&out);
        assert!(spills >= 1, "60 KiB of rows must spill at least once");
        assert_eq!(spilled, expected);
        assert!(
            expected.starts_with("<   FD  TYPE            TARGET>\n"),
            "{}",
            &expected[..80]
        );
    }

    #[test]
    fn aligns_columns() {
        let mut t = Table::new(&[
            ("FD", Align::Right),
            ("TYPE", Align::Left),
            ("TARGET", Align::Left),
        ]);
        t.row(vec!["3".into(), "socket".into(), "socket:[1]".into()]);
        t.cell_fmt(format_args!("{}", 120));
        t.cell("file");
        t.cell_escaped(b"/var/log/\x1bx");
        let s = t.render(0, |h| h.to_string());
        assert_eq!(
            s,
            " FD  TYPE    TARGET\n  3  socket  socket:[1]\n120  file    /var/log/\\ex\n"
        );
    }
}
