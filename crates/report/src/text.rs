//! Making outside text safe and short for a terminal.

use std::borrow::Cow;

/// Text from an image or an advisory with every control character (ESC of ANSI sequences,
/// CR, newline, tab, …) and every invisible direction or zero-width mark escaped as
/// `\u{…}`-style text, so nothing can move the cursor, recolour the terminal, fake extra
/// lines or reorder what is shown.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters, and the format characters that change how text around them is
/// displayed (bidirectional overrides and isolates, zero-width joiners and spaces, BOM).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// Outside text of several lines made [`printable`] line by line: line breaks (`\n`, `\r\n`)
/// stay, every other control character is escaped.
pub fn printable_lines(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split('\n')
        .map(|line| printable(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Outside text on one line: runs of whitespace (newlines included) become one space,
/// the rest is made [`printable`], and it is cut to `max_chars` with an ellipsis.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&printable(&collapsed), max_chars)
}

/// `text` cut to at most `max_chars` characters, the last being `…` when it was cut.
pub fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_invisible_marks() {
        assert!(matches!(printable("libssl3 1.2"), Cow::Borrowed(_)));
        assert_eq!(printable("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(printable("x\ny\r"), "x\\ny\\r");
        assert_eq!(printable("evil\u{202e}gnp.exe"), "evil\\u{202e}gnp.exe");
        assert_eq!(printable("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(printable("ümlaut ✓"), "ümlaut ✓");
    }

    #[test]
    fn printable_lines_keeps_line_breaks_only() {
        assert_eq!(printable_lines("a\r\nb\n\u{1b}[2Jc\rd"), "a\nb\n\\u{1b}[2Jc\\rd");
    }

    #[test]
    fn one_line_collapses_whitespace_and_truncates_by_characters() {
        assert_eq!(one_line("  Heap\n overflow\tin  X ", 80), "Heap overflow in X");
        assert_eq!(one_line("ééééé", 4), "ééé…");
        assert_eq!(one_line("abc", 3), "abc");
        assert_eq!(one_line("a\u{7}b", 10), "a\\u{7}b");
    }
}
