//! Splitting instruction arguments into words, flags and JSON arrays, as BuildKit does.

/// A word as written (quotes kept) and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawWord<'a> {
    pub raw: &'a str,
    pub start: usize,
}

/// Splits on whitespace outside quotes; the escape character keeps the next character in
/// the word.
pub(crate) fn split_words(text: &str, escape: char) -> Vec<RawWord<'_>> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        if quote.is_none() && c.is_whitespace() {
            if let Some(begin) = start.take() {
                words.push(RawWord {
                    raw: &text[begin..index],
                    start: begin,
                });
            }
            continue;
        }
        start.get_or_insert(index);
        match quote {
            _ if c == escape && quote != Some('\'') => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            None if c == '\'' || c == '"' => quote = Some(c),
            _ => {}
        }
    }
    if let Some(begin) = start {
        words.push(RawWord {
            raw: &text[begin..],
            start: begin,
        });
    }
    words
}

/// Removes quotes and escapes the way BuildKit's shell lexer does, leaving `$VAR` as is.
pub(crate) fn unquote(raw: &str, escape: char) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => quote = None,
            Some('\'') => out.push(c),
            Some(_) if c == '"' => quote = None,
            Some(_) if c == escape => match chars.peek() {
                Some(&next) if next == '"' || next == '$' || next == escape => {
                    out.push(next);
                    chars.next();
                }
                _ => out.push(c),
            },
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == escape => match chars.next() {
                Some(next) => out.push(next),
                None => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out
}

/// A leading `--name[=value]` word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawFlag {
    pub name: String,
    pub value: Option<String>,
    pub start: usize,
}

/// The flags at the start of `text` and the offset where the arguments begin.
pub(crate) fn leading_flags(text: &str, escape: char) -> (Vec<RawFlag>, usize) {
    let mut flags = Vec::new();
    let mut end = 0;
    for word in split_words(text, escape) {
        if !word.raw.starts_with("--") {
            return (flags, word.start);
        }
        end = word.start + word.raw.len();
        if word.raw == "--" {
            break;
        }
        let body = unquote(&word.raw[2..], escape);
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (body, None),
        };
        flags.push(RawFlag {
            name,
            value,
            start: word.start,
        });
    }
    let rest = text[end..].len() - text[end..].trim_start().len();
    (flags, end + rest)
}

/// One string of a JSON array: its value and the byte range of its literal.
pub(crate) type JsonItem = (String, std::ops::Range<usize>);

/// A JSON array of strings with where each string is, or `None` when `text` is not exactly
/// one such array (BuildKit then falls back to the shell form).
pub(crate) fn json_array(text: &str) -> Option<Vec<JsonItem>> {
    let mut parser = JsonArray { text, at: 0 };
    let items = parser.array()?;
    parser.skip_space();
    (parser.at == text.len()).then_some(items)
}

struct JsonArray<'a> {
    text: &'a str,
    at: usize,
}

impl JsonArray<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.at += 1;
        }
    }

    fn array(&mut self) -> Option<Vec<JsonItem>> {
        self.skip_space();
        if self.bump()? != '[' {
            return None;
        }
        let mut items = Vec::new();
        self.skip_space();
        if self.peek()? == ']' {
            self.at += 1;
            return Some(items);
        }
        loop {
            self.skip_space();
            let start = self.at;
            let value = self.string()?;
            items.push((value, start..self.at));
            self.skip_space();
            match self.bump()? {
                ',' => continue,
                ']' => return Some(items),
                _ => return None,
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.bump()? != '"' {
            return None;
        }
        let mut out = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(out),
                '\\' => out.push(self.escaped()?),
                c if (c as u32) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn escaped(&mut self) -> Option<char> {
        Some(match self.bump()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode(),
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        Some(value)
    }

    /// `\uXXXX`, with surrogate pairs; a lone surrogate becomes U+FFFD as in Go's decoder.
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if !(0xD800..0xDC00).contains(&first) {
            return Some(char::from_u32(first).unwrap_or('\u{FFFD}'));
        }
        if self.text[self.at..].starts_with("\\u") {
            let save = self.at;
            self.at += 2;
            if let Some(second) = self.hex4().filter(|s| (0xDC00..0xE000).contains(s)) {
                let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Some(char::from_u32(combined).unwrap_or('\u{FFFD}'));
            }
            self.at = save;
        }
        Some('\u{FFFD}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Vec<&str> {
        split_words(text, '\\').into_iter().map(|w| w.raw).collect()
    }

    #[test]
    fn words_respect_quotes_and_escapes() {
        assert_eq!(
            raw("a  'b c' \"d \\\" e\" f\\ g"),
            ["a", "'b c'", "\"d \\\" e\"", "f\\ g"]
        );
        assert_eq!(unquote("\"d \\\" e\"", '\\'), "d \" e");
        assert_eq!(unquote("f\\ g", '\\'), "f g");
        assert_eq!(unquote("'$HOME \\n'", '\\'), "$HOME \\n");
        assert_eq!(unquote("\"C:\\path\"", '\\'), "C:\\path");
        assert_eq!(unquote("a`\"b", '`'), "a\"b");
        assert_eq!(unquote("trailing\\", '\\'), "trailing\\");
    }

    #[test]
    fn flags_end_at_the_first_argument() {
        let (flags, rest) = leading_flags("--mount=type=cache,target=/x --network=none  apt-get", '\\');
        assert_eq!(flags.len(), 2);
        assert_eq!(flags[0].name, "mount");
        assert_eq!(flags[0].value.as_deref(), Some("type=cache,target=/x"));
        assert_eq!(flags[1].start, 29);
        assert_eq!(rest, 45);
        let (flags, rest) = leading_flags("--link", '\\');
        assert_eq!((flags[0].value.clone(), rest), (None, 6));
    }

    #[test]
    fn json_arrays() {
        assert_eq!(
            json_array(r#" ["a", "b\"c", "\u00e9\ud83d\ude00"] "#),
            Some(vec![("a".into(), 2..5), ("b\"c".into(), 7..13), ("é😀".into(), 15..35)])
        );
        assert_eq!(json_array("[]"), Some(vec![]));
        assert_eq!(json_array("[\"a\" \"b\"]"), None);
        assert_eq!(json_array("[1]"), None);
        assert_eq!(json_array("['a']"), None);
        assert_eq!(json_array("[\"a\"] x"), None);
        assert_eq!(json_array("[\"\\ud800\"]"), Some(vec![("\u{FFFD}".into(), 1..9)]));
        assert_eq!(json_array("[\"\\u12\"]"), None);
    }
}
