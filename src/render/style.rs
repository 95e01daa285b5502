//! Colour: on only for a terminal (`--color auto`), off for NO_COLOR,
//! TERM=dumb and JSON; `always`/`never` override.

use anstyle::{AnsiColor, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Decide whether to colour, given the choice and the environment.
pub fn use_color(
    choice: ColorChoice,
    is_tty: bool,
    no_color: Option<&str>,
    term: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && no_color.is_none_or(str::is_empty) && term != Some("dumb"),
    }
}

/// Styles for the human output; all plain when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub on: bool,
}

impl Palette {
    fn paint(&self, style: Style, s: &str) -> String {
        if self.on {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    }
    pub fn heading(&self, s: &str) -> String {
        self.paint(Style::new().bold(), s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint(Style::new().dimmed(), s)
    }
    pub fn critical(&self, s: &str) -> String {
        self.paint(Style::new().bold().fg_color(Some(AnsiColor::Red.into())), s)
    }
    pub fn warning(&self, s: &str) -> String {
        self.paint(
            Style::new().bold().fg_color(Some(AnsiColor::Yellow.into())),
            s,
        )
    }
    pub fn info(&self, s: &str) -> String {
        self.paint(Style::new().fg_color(Some(AnsiColor::Cyan.into())), s)
    }
    pub fn good(&self, s: &str) -> String {
        self.paint(Style::new().fg_color(Some(AnsiColor::Green.into())), s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_decision() {
        assert!(use_color(ColorChoice::Auto, true, None, Some("xterm")));
        assert!(!use_color(ColorChoice::Auto, false, None, Some("xterm")));
        assert!(!use_color(
            ColorChoice::Auto,
            true,
            Some("1"),
            Some("xterm")
        ));
        assert!(use_color(ColorChoice::Auto, true, Some(""), Some("xterm")));
        assert!(!use_color(ColorChoice::Auto, true, None, Some("dumb")));
        assert!(use_color(ColorChoice::Always, false, Some("1"), None));
        assert!(!use_color(ColorChoice::Never, true, None, None));
        assert_eq!(Palette { on: false }.critical("x"), "x");
        assert!(Palette { on: true }.critical("x").contains("\x1b["));
    }
}
