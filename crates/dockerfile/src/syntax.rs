//! The syntax tree of a Dockerfile. Every node keeps the line and column it starts at.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(line: u32, column: u32) -> Self {
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed Dockerfile: its parser directives, comments and instructions in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dockerfile {
    /// The name the file was given to the parser with (used in errors and findings).
    pub path: String,
    /// The escape character: `\` unless `# escape=` said `` ` ``.
    pub escape: char,
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
    pub instructions: Vec<Instruction>,
}

/// A parser directive at the top of the file (`# syntax=`, `# escape=`, `# check=`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lower-case name.
    pub name: String,
    pub value: String,
    pub position: Position,
}

/// A comment line. Comments inside a continued instruction are dropped by BuildKit; they are
/// kept here with `inside_instruction` set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The text after `#`, trimmed.
    pub text: String,
    pub line: u32,
    pub inside_instruction: bool,
}

/// The instruction keywords BuildKit knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Entrypoint,
    Shell,
    Env,
    Arg,
    Label,
    Expose,
    User,
    Workdir,
    Copy,
    Add,
    Volume,
    StopSignal,
    Healthcheck,
    Onbuild,
    Maintainer,
}

impl Keyword {
    pub const ALL: [Keyword; 18] = [
        Keyword::From,
        Keyword::Run,
        Keyword::Cmd,
        Keyword::Entrypoint,
        Keyword::Shell,
        Keyword::Env,
        Keyword::Arg,
        Keyword::Label,
        Keyword::Expose,
        Keyword::User,
        Keyword::Workdir,
        Keyword::Copy,
        Keyword::Add,
        Keyword::Volume,
        Keyword::StopSignal,
        Keyword::Healthcheck,
        Keyword::Onbuild,
        Keyword::Maintainer,
    ];

    /// The keyword in upper case, as the reference writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Shell => "SHELL",
            Keyword::Env => "ENV",
            Keyword::Arg => "ARG",
            Keyword::Label => "LABEL",
            Keyword::Expose => "EXPOSE",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Copy => "COPY",
            Keyword::Add => "ADD",
            Keyword::Volume => "VOLUME",
            Keyword::StopSignal => "STOPSIGNAL",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Maintainer => "MAINTAINER",
        }
    }

    /// Case-insensitive lookup.
    pub fn parse(word: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One instruction, with its continuation lines and heredocs.
#[derive(Clone, Debug, PartialEq)]
pub struct Instruction {
    pub keyword: Keyword,
    /// Where the keyword is.
    pub position: Position,
    /// The last line the instruction spans (continuations and heredoc bodies included).
    pub end_line: u32,
    pub flags: Vec<Flag>,
    pub heredocs: Vec<Heredoc>,
    pub body: Body,
}

impl Instruction {
    /// The flag `--name`, if given.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// Whether `line` belongs to this instruction.
    pub fn spans(&self, line: u32) -> bool {
        (self.position.line..=self.end_line).contains(&line)
    }
}

/// A `--name[=value]` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub position: Position,
}

/// A word of an instruction: its value with quotes and escapes removed, and as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub raw: String,
    pub position: Position,
}

/// `KEY=value` of ENV and LABEL (or the legacy `ENV KEY value`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub key: String,
    pub value: String,
    pub position: Position,
    /// Written `ENV KEY value` (no `=`).
    pub legacy: bool,
}

/// `ARG NAME[=default]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: String,
    pub default: Option<String>,
    pub position: Position,
}

/// A BuildKit heredoc (`<<EOF`, `<<-EOF`, `<<"EOF"`) and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    /// `<<-`: leading tabs were removed from every body line.
    pub strip_tabs: bool,
    /// The delimiter was quoted: no variable expansion in the body.
    pub quoted: bool,
    /// Where the `<<` marker is.
    pub position: Position,
    /// The body (each line ending in a newline), mapped back to its lines.
    pub body: Script,
}

/// Text of one or more source lines, mapped back to where each byte came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub text: String,
    /// (byte offset in `text`, position of that byte in the file), ascending.
    pub(crate) pieces: Vec<(usize, Position)>,
}

impl Script {
    /// Where byte `offset` of the text was in the file.
    pub fn position(&self, offset: usize) -> Position {
        let index = self
            .pieces
            .partition_point(|(start, _)| *start <= offset)
            .saturating_sub(1);
        let Some(&(start, position)) = self.pieces.get(index) else {
            return Position::default();
        };
        let offset = offset.min(self.text.len());
        let columns = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        Position::new(position.line, position.column + columns as u32)
    }
}

/// A command as CMD, ENTRYPOINT, RUN and HEALTHCHECK CMD take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// JSON (exec) form: `["executable", "arg"]`.
    Exec(Vec<Word>),
    /// Shell form: run by the stage's SHELL.
    Shell(Script),
}

/// `COPY`/`ADD` sources and destination. A heredoc source appears as its `<<EOF` word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub sources: Vec<Word>,
    pub destination: Word,
    /// Written in JSON form.
    pub json: bool,
}

/// `FROM [--platform=…] image [AS name]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct From {
    pub image: Word,
    pub alias: Option<Word>,
}

/// The arguments of an instruction, by keyword.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    From(From),
    Run(Command),
    Cmd(Command),
    Entrypoint(Command),
    Shell(Vec<Word>),
    Env(Vec<Pair>),
    Arg(Vec<ArgDecl>),
    Label(Vec<Pair>),
    Expose(Vec<Word>),
    User(Word),
    Workdir(Word),
    Copy(Transfer),
    Add(Transfer),
    Volume(Vec<Word>),
    StopSignal(Word),
    /// `None` for `HEALTHCHECK NONE`.
    Healthcheck(Option<Command>),
    Onbuild(Box<Instruction>),
    Maintainer(Word),
}

/// One build stage: its FROM and the instructions up to the next FROM.
#[derive(Clone, Copy, Debug)]
pub struct Stage<'a> {
    /// 0-based.
    pub index: usize,
    pub from: &'a Instruction,
    pub image: &'a Word,
    pub alias: Option<&'a Word>,
    /// The instructions after FROM.
    pub instructions: &'a [Instruction],
}

impl Stage<'_> {
    /// The stage name as BuildKit compares it (lower case), if it has one.
    pub fn name(&self) -> Option<String> {
        self.alias.map(|a| a.value.to_ascii_lowercase())
    }
}

impl Dockerfile {
    /// The build stages in order.
    pub fn stages(&self) -> Vec<Stage<'_>> {
        let starts: Vec<usize> = self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == Keyword::From)
            .map(|(index, _)| index)
            .collect();
        let mut stages = Vec::with_capacity(starts.len());
        for (index, &start) in starts.iter().enumerate() {
            let end = starts.get(index + 1).copied().unwrap_or(self.instructions.len());
            let from = &self.instructions[start];
            if let Body::From(body) = &from.body {
                stages.push(Stage {
                    index,
                    from,
                    image: &body.image,
                    alias: body.alias.as_ref(),
                    instructions: &self.instructions[start + 1..end],
                });
            }
        }
        stages
    }

    /// The ARGs declared before the first FROM (usable in FROM lines).
    pub fn global_args(&self) -> impl Iterator<Item = &ArgDecl> {
        self.instructions
            .iter()
            .take_while(|i| i.keyword != Keyword::From)
            .filter_map(|i| match &i.body {
                Body::Arg(args) => Some(args.iter()),
                _ => None,
            })
            .flatten()
    }

    /// The value of a parser directive, if present.
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}
