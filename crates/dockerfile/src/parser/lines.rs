//! From physical lines to logical instructions: parser directives, comments, line
//! continuations and heredoc bodies, with every byte mapped back to its line and column.

use crate::syntax::{Comment, Directive, Heredoc, Position, Script};

/// The directives BuildKit knows; any other `# name=value` line is a comment.
const KNOWN_DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// The keywords whose arguments may open heredocs.
const HEREDOC_KEYWORDS: [&str; 3] = ["RUN", "COPY", "ADD"];

/// One instruction before its arguments are interpreted.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    pub keyword: String,
    pub position: Position,
    /// Everything after the keyword and the whitespace after it.
    pub rest: Script,
    pub end_line: u32,
    pub heredocs: Vec<Heredoc>,
}

/// A problem found while reading lines, at a position.
pub(crate) type LineError = (Position, String);

/// The file split into directives, comments and logical instructions.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub directives: Vec<Directive>,
    pub escape: char,
    pub comments: Vec<Comment>,
    pub lines: Vec<LogicalLine>,
}

pub(crate) fn read(text: &str) -> Result<Document, LineError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let (directives, mut next) = read_directives(&lines)?;
    let escape = match directives.iter().find(|d| d.name == "escape") {
        Some(d) => d.value.chars().next().unwrap_or('\\'),
        None => '\\',
    };
    let mut document = Document {
        directives,
        escape,
        ..Document::default()
    };
    while next < lines.len() {
        let line = lines[next];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            next += 1;
        } else if let Some(comment) = trimmed.strip_prefix('#') {
            document.comments.push(comment_at(comment, next, false));
            next += 1;
        } else {
            next = read_instruction(&lines, next, &mut document)?;
        }
    }
    Ok(document)
}

fn comment_at(text: &str, index: usize, inside_instruction: bool) -> Comment {
    Comment {
        text: text.trim().to_string(),
        line: line_number(index),
        inside_instruction,
    }
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn column_after(prefix: &str) -> u32 {
    u32::try_from(prefix.chars().count() + 1).unwrap_or(u32::MAX)
}

/// Leading `# name=value` lines. The first line that is not a known directive ends them
/// (an unknown directive is a comment, and a directive after a comment is a comment too).
fn read_directives(lines: &[&str]) -> Result<(Vec<Directive>, usize), LineError> {
    let mut directives: Vec<Directive> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((name, value)) = directive(line) else {
            return Ok((directives, index));
        };
        if !KNOWN_DIRECTIVES.contains(&name.as_str()) {
            return Ok((directives, index));
        }
        let position = Position::new(line_number(index), 1);
        if directives.iter().any(|d| d.name == name) {
            return Err((position, format!("only one `{name}` parser directive can be used")));
        }
        if name == "escape" && value != "\\" && value != "`" {
            return Err((
                position,
                format!("invalid escape character `{value}`: it must be \\ or `"),
            ));
        }
        directives.push(Directive { name, value, position });
    }
    Ok((directives, lines.len()))
}

/// `#[ \t]*name[ \t]*=[ \t]*value[ \t]*` with a name of letters and digits.
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.strip_prefix('#')?;
    let (name, value) = body.split_once('=')?;
    let name = name.trim_matches([' ', '\t']);
    let value = value.trim_matches([' ', '\t']);
    let mut chars = name.chars();
    let valid_name = chars.next()?.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric());
    (valid_name && !value.is_empty()).then(|| (name.to_ascii_lowercase(), value.to_string()))
}

/// A line without its trailing escape character, and whether the instruction continues.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(content) => (content, true),
        None => (line, false),
    }
}

/// Reads the instruction starting at `start` (its continuation lines and heredoc bodies)
/// and returns the index of the line after it.
fn read_instruction(lines: &[&str], start: usize, document: &mut Document) -> Result<usize, LineError> {
    let escape = document.escape;
    let first = lines[start];
    let content = first.trim_start();
    let mut script = Script::default();
    let (text, mut continues) = trim_continuation(content, escape);
    let position = Position::new(line_number(start), column_after(&first[..first.len() - content.len()]));
    script.pieces.push((0, position));
    script.text.push_str(text);
    let mut end = start;
    let mut next = start + 1;
    while continues && next < lines.len() {
        let line = lines[next];
        next += 1;
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            document.comments.push(comment_at(comment, next - 1, true));
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let (text, more) = trim_continuation(line, escape);
        script
            .pieces
            .push((script.text.len(), Position::new(line_number(next - 1), 1)));
        script.text.push_str(text);
        end = next - 1;
        continues = more;
    }
    let keyword_len = script.text.find(char::is_whitespace).unwrap_or(script.text.len());
    let keyword = script.text[..keyword_len].to_string();
    let rest_start = script.text[keyword_len..]
        .find(|c: char| !c.is_whitespace())
        .map_or(script.text.len(), |i| keyword_len + i);
    let rest = script.tail(rest_start);
    let mut heredocs = Vec::new();
    if HEREDOC_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&keyword)) {
        for marker in heredoc_markers(&rest.text, escape) {
            let (heredoc, after) = read_heredoc(lines, next, marker, &rest)?;
            end = after - 1;
            next = after;
            heredocs.push(heredoc);
        }
    }
    document.lines.push(LogicalLine {
        keyword,
        position,
        rest,
        end_line: line_number(end),
        heredocs,
    });
    Ok(next)
}

/// A `<<EOF` marker in an instruction's arguments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Marker {
    pub offset: usize,
    pub delimiter: String,
    pub strip_tabs: bool,
    pub quoted: bool,
}

/// The heredoc markers outside quotes, at the start of a word (`<<<` is a here-string).
pub(crate) fn heredoc_markers(text: &str, escape: char) -> Vec<Marker> {
    let bytes = text.as_bytes();
    let mut markers = Vec::new();
    let mut quote: Option<u8> = None;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        match quote {
            Some(q) if b == q => quote = None,
            Some(b'"') if char::from(b) == escape => at += 1,
            Some(_) => {}
            None if char::from(b) == escape => at += 1,
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'<' && at_word_start(bytes, at) => {
                if let Some((marker, len)) = marker_at(text, at) {
                    markers.push(marker);
                    at += len;
                    continue;
                }
            }
            None => {}
        }
        at += 1;
    }
    markers
}

fn at_word_start(bytes: &[u8], at: usize) -> bool {
    at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b';' | b'|' | b'&' | b'(')
}

/// `<<[-]WORD`, `<<[-]"WORD"` or `<<[-]'WORD'` at `at`, and its length in bytes.
fn marker_at(text: &str, at: usize) -> Option<(Marker, usize)> {
    let after = text[at..].strip_prefix("<<")?;
    if after.starts_with('<') {
        return None;
    }
    let (strip_tabs, after) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let (delimiter, quoted, used) = match after.chars().next()? {
        q @ ('"' | '\'') => {
            let close = after[1..].find(q)?;
            (&after[1..1 + close], true, close + 2)
        }
        _ => {
            let len = after
                .find(|c: char| c.is_whitespace() || "<>;|&()'\"".contains(c))
                .unwrap_or(after.len());
            (&after[..len], false, len)
        }
    };
    if delimiter.is_empty() {
        return None;
    }
    let len = 2 + usize::from(strip_tabs) + used;
    let marker = Marker {
        offset: at,
        delimiter: delimiter.to_string(),
        strip_tabs,
        quoted,
    };
    Some((marker, len))
}

/// The body of one heredoc starting at line index `start`; returns it and the index of the
/// line after its terminator.
fn read_heredoc(lines: &[&str], start: usize, marker: Marker, rest: &Script) -> Result<(Heredoc, usize), LineError> {
    let position = rest.position(marker.offset);
    let mut body = Script::default();
    for (index, line) in lines.iter().enumerate().skip(start) {
        let stripped = if marker.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if stripped == marker.delimiter {
            let heredoc = Heredoc {
                delimiter: marker.delimiter,
                strip_tabs: marker.strip_tabs,
                quoted: marker.quoted,
                position,
                body,
            };
            return Ok((heredoc, index + 1));
        }
        let column = column_after(&line[..line.len() - stripped.len()]);
        body.pieces
            .push((body.text.len(), Position::new(line_number(index), column)));
        body.text.push_str(stripped);
        body.text.push('\n');
    }
    Err((
        position,
        format!(
            "heredoc <<{} is not terminated: no line `{}` before the end of the file",
            marker.delimiter, marker.delimiter
        ),
    ))
}

impl Script {
    /// The text from byte `start` on, still mapped to the file.
    pub(crate) fn tail(&self, start: usize) -> Script {
        let mut start = start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start += 1;
        }
        let mut pieces = vec![(0, self.position(start))];
        pieces.extend(
            self.pieces
                .iter()
                .filter(|(offset, _)| *offset > start)
                .map(|&(offset, position)| (offset - start, position)),
        );
        Script {
            text: self.text[start..].to_string(),
            pieces,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_stop_at_the_first_other_line() {
        let doc =
            read("# syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\n# note\n# escape=\\\nFROM x").unwrap();
        assert_eq!(doc.directives.len(), 3);
        assert_eq!(doc.escape, '`');
        assert_eq!(doc.comments.len(), 2);
        let doc = read("# unknown=1\n# escape=`\nFROM x").unwrap();
        assert!(doc.directives.is_empty());
        assert_eq!(doc.escape, '\\');
        assert!(read("# escape=`\n# escape=\\\nFROM x").is_err());
        assert!(read("# escape=x\nFROM x").is_err());
    }

    #[test]
    fn continuations_skip_comments_and_blank_lines() {
        let doc = read("RUN a \\\n  # note\n\n  b \\  \n c\nCMD x").unwrap();
        assert_eq!(doc.lines.len(), 2);
        let run = &doc.lines[0];
        assert_eq!(run.rest.text, "a   b  c");
        assert_eq!(run.end_line, 5);
        assert_eq!(run.rest.position(4), Position::new(4, 3));
        assert_eq!(run.rest.position(7), Position::new(5, 2));
        assert!(doc.comments[0].inside_instruction);
    }

    #[test]
    fn heredocs_follow_the_instruction() {
        let doc = read("RUN <<A cat - <<-\"B\"\nline\nA\n\tindented\n\tB\nCMD x").unwrap();
        let run = &doc.lines[0];
        assert_eq!(run.heredocs.len(), 2);
        assert_eq!(run.heredocs[0].body.text, "line\n");
        assert_eq!(run.heredocs[1].body.text, "indented\n");
        assert!(run.heredocs[1].quoted && run.heredocs[1].strip_tabs);
        assert_eq!(run.heredocs[1].body.position(0), Position::new(4, 2));
        assert_eq!(run.end_line, 5);
        assert_eq!(doc.lines[1].position.line, 6);
        assert!(read("RUN <<EOF\nnever closed\n").is_err());
        assert!(heredoc_markers("echo '<<A' \"<<B\" <<<C x<<D", '\\').is_empty());
    }
}
