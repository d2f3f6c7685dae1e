//! A light POSIX shell splitter for RUN scripts: enough structure for lint rules to see each
//! simple command, its arguments and how it is joined to the previous one.
//!
//! It splits on `&&`, `||`, `;`, `|`, `&`, newlines and subshell parentheses, honours single
//! and double quotes, backslash escapes, `$(…)` and backticks (kept inside their word),
//! drops comments and redirections (`> file`, `2>&1`, `<<EOF`), and sets aside leading
//! `NAME=value` assignments, reserved words (`if`, `then`, `do`, …) and wrappers (`sudo`,
//! `env`, `exec`, `nohup`, `time`, `command`). It does not expand anything.

/// How a command is joined to the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// The first command of the script, or after `;`, a newline or a parenthesis.
    Sequence,
    And,
    Or,
    Pipe,
    Background,
}

/// One word, unquoted, and the byte offset where it starts in the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellWord {
    pub value: String,
    pub offset: usize,
}

/// A simple command: `NAME=value … [wrapper …] program args…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleCommand {
    pub connector: Connector,
    pub assignments: Vec<ShellWord>,
    /// Every word after the assignments, wrappers included.
    pub words: Vec<ShellWord>,
    /// Index in `words` of the program (after `sudo`, `env`, …).
    pub program: usize,
}

const RESERVED: [&str; 11] = [
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time",
];

impl SimpleCommand {
    /// Where the command starts in the script.
    pub fn offset(&self) -> usize {
        self.assignments.first().or(self.words.first()).map_or(0, |w| w.offset)
    }

    /// The program's base name (`/usr/bin/apt-get` → `apt-get`).
    pub fn name(&self) -> Option<&str> {
        let word = self.words.get(self.program)?;
        Some(word.value.rsplit('/').next().unwrap_or(&word.value))
    }

    pub fn is(&self, name: &str) -> bool {
        self.name() == Some(name)
    }

    /// The words before the program (`sudo`, `env`, their options).
    pub fn wrappers(&self) -> &[ShellWord] {
        &self.words[..self.program.min(self.words.len())]
    }

    /// The program's arguments.
    pub fn args(&self) -> &[ShellWord] {
        self.words.get(self.program + 1..).unwrap_or(&[])
    }

    /// Whether an argument is one of the long options (`--yes`, `--yes=…`) or a short-option
    /// cluster holding one of the letters (`-y`, `-qy`).
    pub fn has_option(&self, short: &[char], long: &[&str]) -> bool {
        self.args().iter().any(|word| option_matches(&word.value, short, long))
    }

    /// The arguments that are not options, skipping the values of options listed in
    /// `with_value` (`-o Dpkg::Options`, `--target-release bookworm`).
    pub fn operands(&self, with_value: &[&str]) -> Vec<&ShellWord> {
        let mut operands = Vec::new();
        let mut skip_next = false;
        let mut options_done = false;
        for word in self.args() {
            if skip_next {
                skip_next = false;
                continue;
            }
            if options_done || !word.value.starts_with('-') || word.value == "-" {
                operands.push(word);
            } else if word.value == "--" {
                options_done = true;
            } else if with_value.contains(&word.value.as_str()) {
                skip_next = true;
            }
        }
        operands
    }

    /// The first operand (a subcommand such as `install`).
    pub fn subcommand(&self, with_value: &[&str]) -> Option<&str> {
        self.operands(with_value).first().map(|w| w.value.as_str())
    }
}

fn option_matches(word: &str, short: &[char], long: &[&str]) -> bool {
    if let Some(name) = word.strip_prefix("--") {
        let name = name.split('=').next().unwrap_or(name);
        return long.iter().any(|l| l.trim_start_matches('-') == name);
    }
    match word.strip_prefix('-') {
        Some(cluster) if !cluster.is_empty() => cluster.chars().any(|c| short.contains(&c)),
        _ => false,
    }
}

/// Splits a script into simple commands.
pub fn split(script: &str) -> Vec<SimpleCommand> {
    let mut lexer = Lexer {
        text: script,
        at: 0,
        commands: Vec::new(),
        words: Vec::new(),
        connector: Connector::Sequence,
        skip_word: false,
    };
    lexer.run();
    lexer.commands
}

struct Lexer<'a> {
    text: &'a str,
    at: usize,
    commands: Vec<SimpleCommand>,
    words: Vec<ShellWord>,
    connector: Connector,
    /// The next word is a redirection target.
    skip_word: bool,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.text[self.at..].chars().nth(ahead)
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => self.at += 1,
                '\n' | ';' => self.end_command(Connector::Sequence, 1),
                '(' | ')' => self.end_command(Connector::Sequence, 1),
                '&' if self.peek_at(1) == Some('&') => self.end_command(Connector::And, 2),
                '&' if self.peek_at(1) == Some('>') => self.redirection(),
                '&' => self.end_command(Connector::Background, 1),
                '|' if self.peek_at(1) == Some('|') => self.end_command(Connector::Or, 2),
                '|' => self.end_command(Connector::Pipe, 1 + usize::from(self.peek_at(1) == Some('&'))),
                '<' | '>' => self.redirection(),
                '#' => self.comment(),
                _ => self.word(),
            }
        }
        self.end_command(Connector::Sequence, 0);
    }

    fn comment(&mut self) {
        let end = self.text[self.at..].find('\n').map_or(self.text.len(), |i| self.at + i);
        self.at = end;
    }

    /// `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `&>`, `<>`, `>|`: drops the operator and its
    /// target word (or the `&1` file descriptor).
    fn redirection(&mut self) {
        while let Some(c @ ('<' | '>' | '&' | '|' | '-')) = self.peek() {
            self.at += 1;
            if c == '&' && self.peek().is_some_and(|d| d.is_ascii_digit() || d == '-') {
                while self.peek().is_some_and(|d| d.is_ascii_digit() || d == '-') {
                    self.at += 1;
                }
                return;
            }
        }
        self.skip_word = true;
    }

    fn word(&mut self) {
        let start = self.at;
        let mut value = String::new();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' => break,
                '<' | '>' if !value.is_empty() && value.chars().all(|d| d.is_ascii_digit()) => {
                    // `2>file`: the number is a file descriptor, not a word.
                    self.redirection();
                    return;
                }
                '<' | '>' => break,
                '\\' => {
                    self.at += 1;
                    match self.peek() {
                        Some('\n') => self.at += 1,
                        Some(next) => {
                            value.push(next);
                            self.at += next.len_utf8();
                        }
                        None => value.push('\\'),
                    }
                }
                '\'' => self.single_quoted(&mut value),
                '"' => self.double_quoted(&mut value),
                '$' if self.peek_at(1) == Some('(') => self.nested(&mut value),
                '`' => self.backticks(&mut value),
                _ => {
                    value.push(c);
                    self.at += c.len_utf8();
                }
            }
        }
        if self.skip_word {
            self.skip_word = false;
            return;
        }
        self.words.push(ShellWord { value, offset: start });
    }

    fn single_quoted(&mut self, value: &mut String) {
        self.at += 1;
        let end = self.text[self.at..].find('\'').map_or(self.text.len(), |i| self.at + i);
        value.push_str(&self.text[self.at..end]);
        self.at = (end + 1).min(self.text.len());
    }

    fn double_quoted(&mut self, value: &mut String) {
        self.at += 1;
        while let Some(c) = self.peek() {
            self.at += c.len_utf8();
            match c {
                '"' => return,
                '\\' => match self.peek() {
                    Some(next @ ('"' | '\\' | '$' | '`')) => {
                        value.push(next);
                        self.at += 1;
                    }
                    Some('\n') => self.at += 1,
                    _ => value.push('\\'),
                },
                _ => value.push(c),
            }
        }
    }

    /// `$( … )` with nested parentheses, kept verbatim in the word.
    fn nested(&mut self, value: &mut String) {
        let start = self.at;
        self.at += 2;
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            self.at += c.len_utf8();
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                '\\' => self.at += self.peek().map_or(0, char::len_utf8),
                _ => {}
            }
        }
        value.push_str(&self.text[start..self.at]);
    }

    fn backticks(&mut self, value: &mut String) {
        let start = self.at;
        self.at += 1;
        let end = self.text[self.at..]
            .find('`')
            .map_or(self.text.len(), |i| self.at + i + 1);
        self.at = end;
        value.push_str(&self.text[start..end]);
    }

    fn end_command(&mut self, next: Connector, consumed: usize) {
        self.at = (self.at + consumed).min(self.text.len());
        self.skip_word = false;
        let mut words = std::mem::take(&mut self.words);
        if words.is_empty() {
            if next != Connector::Sequence {
                self.connector = next;
            }
            return;
        }
        let leading = words
            .iter()
            .take_while(|w| is_assignment(&w.value) || RESERVED.contains(&w.value.as_str()));
        let assignments: Vec<ShellWord> = leading.filter(|w| is_assignment(&w.value)).cloned().collect();
        let skipped = words
            .iter()
            .take_while(|w| is_assignment(&w.value) || RESERVED.contains(&w.value.as_str()))
            .count();
        words.drain(..skipped);
        let program = program_index(&words);
        if !words.is_empty() {
            self.commands.push(SimpleCommand {
                connector: self.connector,
                assignments,
                words,
                program,
            });
        }
        self.connector = next;
    }
}

fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Skips wrappers that run the next word as the program.
fn program_index(words: &[ShellWord]) -> usize {
    let mut index = 0;
    while let Some(word) = words.get(index) {
        let name = word.value.rsplit('/').next().unwrap_or(&word.value);
        let takes_value: &[&str] = match name {
            "sudo" => &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
            "env" => &["-u", "-C", "-S"],
            "exec" => &["-a"],
            "nohup" | "command" | "time" | "nice" => &["-n"],
            _ => return index,
        };
        index += 1;
        while let Some(option) = words.get(index) {
            let value = option.value.as_str();
            if takes_value.contains(&value) {
                index += 2;
            } else if value.starts_with('-') || (name == "env" && is_assignment(value)) {
                index += 1;
            } else {
                break;
            }
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectors_and_quotes() {
        let commands = split("apt-get update && apt-get install -y 'a b' \"c\\\"d\" || true; x | sh & y");
        let summary: Vec<(Connector, Option<&str>, usize)> = commands
            .iter()
            .map(|c| (c.connector, c.name(), c.args().len()))
            .collect();
        assert_eq!(
            summary,
            [
                (Connector::Sequence, Some("apt-get"), 1),
                (Connector::And, Some("apt-get"), 4),
                (Connector::Or, Some("true"), 0),
                (Connector::Sequence, Some("x"), 0),
                (Connector::Pipe, Some("sh"), 0),
                (Connector::Background, Some("y"), 0),
            ]
        );
        assert_eq!(commands[1].args()[2].value, "a b");
        assert_eq!(commands[1].args()[3].value, "c\"d");
        assert_eq!(commands[1].offset(), 18);
    }

    #[test]
    fn redirections_comments_and_wrappers_are_set_aside() {
        let commands = split("DEBIAN_FRONTEND=noninteractive sudo -u root apt-get install x >/dev/null 2>&1 # note\n");
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].assignments[0].value, "DEBIAN_FRONTEND=noninteractive");
        assert_eq!(commands[0].name(), Some("apt-get"));
        assert_eq!(commands[0].wrappers().len(), 3);
        assert_eq!(commands[0].operands(&[]).len(), 2);
        let commands = split("cat <<EOF > /etc/x\nif [ -f a ]; then rm a; fi\necho $(date) `id`");
        let listed: Vec<Option<&str>> = commands.iter().map(SimpleCommand::name).collect();
        assert_eq!(listed, [Some("cat"), Some("["), Some("rm"), Some("fi"), Some("echo")]);
        assert_eq!(commands[0].args().len(), 0);
        assert_eq!(commands[4].args()[0].value, "$(date)");
        assert_eq!(split("a \\\n b").len(), 1);
    }

    #[test]
    fn options() {
        let command = &split("apt-get -qy -o Dpkg::Options::=x --no-install-recommends install pkg=1")[0];
        assert!(command.has_option(&['y'], &["--yes"]));
        assert!(command.has_option(&[], &["--no-install-recommends"]));
        assert!(!command.has_option(&['f'], &["--fix"]));
        assert_eq!(command.subcommand(&["-o"]), Some("install"));
        assert_eq!(command.operands(&["-o"]).len(), 2);
    }
}
