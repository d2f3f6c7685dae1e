//! The arguments of each instruction.

use super::lines::{LineError, LogicalLine};
use super::words::{self, RawWord};
use crate::syntax::{
    ArgDecl, Body, Command, Flag, From, Heredoc, Instruction, Keyword, Pair, Position, Script, Transfer, Word,
};

/// The flags each keyword accepts; `true` when the flag may be given without a value.
fn known_flags(keyword: Keyword) -> &'static [(&'static str, bool)] {
    match keyword {
        Keyword::From => &[("platform", false)],
        Keyword::Run => &[
            ("mount", false),
            ("network", false),
            ("security", false),
            ("device", false),
        ],
        Keyword::Copy => &[
            ("from", false),
            ("chown", false),
            ("chmod", false),
            ("link", true),
            ("parents", true),
            ("exclude", false),
        ],
        Keyword::Add => &[
            ("chown", false),
            ("chmod", false),
            ("link", true),
            ("checksum", false),
            ("keep-git-dir", true),
            ("exclude", false),
            ("unpack", true),
        ],
        Keyword::Healthcheck => &[
            ("interval", false),
            ("timeout", false),
            ("start-period", false),
            ("start-interval", false),
            ("retries", false),
        ],
        _ => &[],
    }
}

/// What one instruction needs to interpret its arguments.
struct Parts<'a> {
    keyword: Keyword,
    position: Position,
    args: Script,
    escape: char,
    heredocs: &'a [Heredoc],
}

impl Parts<'_> {
    fn error<T>(&self, position: Position, message: impl Into<String>) -> Result<T, LineError> {
        Err((position, format!("{}: {}", self.keyword, message.into())))
    }

    fn words(&self) -> Vec<Word> {
        words::split_words(&self.args.text, self.escape)
            .into_iter()
            .map(|w| self.word(&w))
            .collect()
    }

    fn word(&self, raw: &RawWord<'_>) -> Word {
        Word {
            value: words::unquote(raw.raw, self.escape),
            raw: raw.raw.to_string(),
            position: self.args.position(raw.start),
        }
    }

    /// A JSON array of strings, if the arguments are one.
    fn json(&self) -> Option<Vec<Word>> {
        let items = words::json_array(&self.args.text)?;
        Some(
            items
                .into_iter()
                .map(|(value, range)| Word {
                    raw: self.args.text[range.clone()].to_string(),
                    value,
                    position: self.args.position(range.start),
                })
                .collect(),
        )
    }

    fn exactly_one(&self, what: &str) -> Result<Word, LineError> {
        let mut words = self.words();
        match words.len() {
            1 => Ok(words.remove(0)),
            0 => self.error(self.position, format!("needs {what}")),
            _ => self.error(words[1].position, format!("takes exactly one argument ({what})")),
        }
    }

    fn command(&self) -> Command {
        match self.json() {
            Some(words) => Command::Exec(words),
            None => Command::Shell(self.args.clone()),
        }
    }
}

/// Interprets a logical line; `depth` is 1 inside ONBUILD.
pub(crate) fn instruction(line: &LogicalLine, escape: char, depth: u8) -> Result<Instruction, LineError> {
    let keyword = Keyword::parse(&line.keyword)
        .ok_or_else(|| (line.position, format!("unknown instruction `{}`", line.keyword)))?;
    let allowed = known_flags(keyword);
    let (raw_flags, args_start) = if allowed.is_empty() {
        (Vec::new(), 0)
    } else {
        words::leading_flags(&line.rest.text, escape)
    };
    let mut flags = Vec::with_capacity(raw_flags.len());
    for raw in raw_flags {
        let position = line.rest.position(raw.start);
        let Some(&(_, boolean)) = allowed.iter().find(|(name, _)| *name == raw.name) else {
            let known: Vec<String> = allowed.iter().map(|(name, _)| format!("--{name}")).collect();
            let message = format!("{keyword}: unknown flag --{} (known: {})", raw.name, known.join(", "));
            return Err((position, message));
        };
        if raw.value.is_none() && !boolean {
            return Err((position, format!("{keyword}: flag --{} needs a value", raw.name)));
        }
        flags.push(Flag {
            name: raw.name,
            value: raw.value,
            position,
        });
    }
    let parts = Parts {
        keyword,
        position: line.position,
        args: line.rest.tail(args_start),
        escape,
        heredocs: &line.heredocs,
    };
    let body = body(&parts, line, depth)?;
    Ok(Instruction {
        keyword,
        position: line.position,
        end_line: line.end_line,
        flags,
        heredocs: line.heredocs.clone(),
        body,
    })
}

fn body(parts: &Parts<'_>, line: &LogicalLine, depth: u8) -> Result<Body, LineError> {
    Ok(match parts.keyword {
        Keyword::From => Body::From(from(parts)?),
        Keyword::Run => Body::Run(run(parts)?),
        Keyword::Cmd => Body::Cmd(parts.command()),
        Keyword::Entrypoint => Body::Entrypoint(parts.command()),
        Keyword::Shell => Body::Shell(shell(parts)?),
        Keyword::Env => Body::Env(pairs(parts)?),
        Keyword::Label => Body::Label(pairs(parts)?),
        Keyword::Arg => Body::Arg(args(parts)?),
        Keyword::Expose => Body::Expose(at_least_one(parts, "a port")?),
        Keyword::User => Body::User(parts.exactly_one("a user")?),
        Keyword::Workdir => Body::Workdir(parts.exactly_one("a directory")?),
        Keyword::Copy => Body::Copy(transfer(parts)?),
        Keyword::Add => Body::Add(transfer(parts)?),
        Keyword::Volume => Body::Volume(match parts.json() {
            Some(words) if !words.is_empty() => words,
            _ => at_least_one(parts, "a path")?,
        }),
        Keyword::StopSignal => Body::StopSignal(parts.exactly_one("a signal")?),
        Keyword::Healthcheck => Body::Healthcheck(healthcheck(parts)?),
        Keyword::Onbuild => Body::Onbuild(Box::new(onbuild(parts, line, depth)?)),
        Keyword::Maintainer => Body::Maintainer(maintainer(parts)?),
    })
}

fn from(parts: &Parts<'_>) -> Result<From, LineError> {
    let mut words = parts.words();
    match words.len() {
        1 => Ok(From {
            image: words.remove(0),
            alias: None,
        }),
        3 if words[1].value.eq_ignore_ascii_case("as") => {
            let alias = words.pop();
            Ok(From {
                image: words.remove(0),
                alias,
            })
        }
        0 => parts.error(parts.position, "needs an image"),
        _ => parts.error(
            words[1].position,
            "expects `FROM [--platform=…] image [AS name]`, found extra words",
        ),
    }
}

fn run(parts: &Parts<'_>) -> Result<Command, LineError> {
    if parts.args.text.trim().is_empty() && parts.heredocs.is_empty() {
        return parts.error(parts.position, "needs a command");
    }
    Ok(parts.command())
}

fn shell(parts: &Parts<'_>) -> Result<Vec<Word>, LineError> {
    match parts.json() {
        Some(words) if !words.is_empty() => Ok(words),
        _ => parts.error(
            parts.args.position(0),
            "needs a JSON array of strings, such as [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
        ),
    }
}

fn at_least_one(parts: &Parts<'_>, what: &str) -> Result<Vec<Word>, LineError> {
    let words = parts.words();
    if words.is_empty() {
        return parts.error(parts.position, format!("needs at least {what}"));
    }
    Ok(words)
}

/// `KEY=value …`, or the legacy `KEY value with spaces`.
fn pairs(parts: &Parts<'_>) -> Result<Vec<Pair>, LineError> {
    let raw = words::split_words(&parts.args.text, parts.escape);
    let Some(first) = raw.first() else {
        return parts.error(parts.position, "needs at least one KEY=value");
    };
    if !first.raw.contains('=') {
        let position = parts.args.position(first.start);
        let Some(second) = raw.get(1) else {
            return parts.error(position, format!("`{}` needs a value: write KEY=value", first.raw));
        };
        let value = parts.args.text[second.start..].trim_end();
        return Ok(vec![Pair {
            key: words::unquote(first.raw, parts.escape),
            value: words::unquote(value, parts.escape),
            position,
            legacy: true,
        }]);
    }
    raw.iter()
        .map(|word| {
            let position = parts.args.position(word.start);
            let Some((key, value)) = word.raw.split_once('=') else {
                return parts.error(position, format!("`{}` is not KEY=value", word.raw));
            };
            if key.is_empty() {
                return parts.error(position, format!("`{}` has an empty name", word.raw));
            }
            Ok(Pair {
                key: words::unquote(key, parts.escape),
                value: words::unquote(value, parts.escape),
                position,
                legacy: false,
            })
        })
        .collect()
}

fn args(parts: &Parts<'_>) -> Result<Vec<ArgDecl>, LineError> {
    let raw = words::split_words(&parts.args.text, parts.escape);
    if raw.is_empty() {
        return parts.error(parts.position, "needs a name");
    }
    raw.iter()
        .map(|word| {
            let position = parts.args.position(word.start);
            let (name, default) = match word.raw.split_once('=') {
                Some((name, value)) => (name, Some(words::unquote(value, parts.escape))),
                None => (word.raw, None),
            };
            if name.is_empty() {
                return parts.error(position, format!("`{}` has an empty name", word.raw));
            }
            Ok(ArgDecl {
                name: name.to_string(),
                default,
                position,
            })
        })
        .collect()
}

fn transfer(parts: &Parts<'_>) -> Result<Transfer, LineError> {
    let (mut words, json) = match parts.json() {
        Some(words) => (words, true),
        None => (parts.words(), false),
    };
    let destination = match words.pop() {
        Some(destination) if !words.is_empty() => destination,
        _ => return parts.error(parts.position, "needs at least one source and a destination"),
    };
    Ok(Transfer {
        sources: words,
        destination,
        json,
    })
}

fn healthcheck(parts: &Parts<'_>) -> Result<Option<Command>, LineError> {
    let raw = words::split_words(&parts.args.text, parts.escape);
    let Some(first) = raw.first() else {
        return parts.error(parts.position, "needs NONE or CMD followed by a command");
    };
    let position = parts.args.position(first.start);
    if first.raw.eq_ignore_ascii_case("none") {
        if raw.len() > 1 {
            return parts.error(position, "NONE takes no other arguments");
        }
        return Ok(None);
    }
    if !first.raw.eq_ignore_ascii_case("cmd") {
        return parts.error(position, format!("expects NONE or CMD, found `{}`", first.raw));
    }
    let Some(command_start) = raw.get(1).map(|w| w.start) else {
        return parts.error(position, "CMD needs a command");
    };
    let inner = Parts {
        args: parts.args.tail(command_start),
        ..*parts
    };
    Ok(Some(inner.command()))
}

fn onbuild(parts: &Parts<'_>, line: &LogicalLine, depth: u8) -> Result<Instruction, LineError> {
    let text = &parts.args.text;
    if text.trim().is_empty() {
        return parts.error(parts.position, "needs an instruction");
    }
    let keyword_len = text.find(char::is_whitespace).unwrap_or(text.len());
    let rest_start = text[keyword_len..]
        .find(|c: char| !c.is_whitespace())
        .map_or(text.len(), |i| keyword_len + i);
    let position = parts.args.position(0);
    if depth > 0 || Keyword::parse(&text[..keyword_len]) == Some(Keyword::Onbuild) {
        return parts.error(position, "ONBUILD ONBUILD is not allowed");
    }
    let inner = LogicalLine {
        keyword: text[..keyword_len].to_string(),
        position,
        rest: parts.args.tail(rest_start),
        end_line: line.end_line,
        heredocs: Vec::new(),
    };
    instruction(&inner, parts.escape, depth + 1)
}

fn maintainer(parts: &Parts<'_>) -> Result<Word, LineError> {
    let value = parts.args.text.trim();
    if value.is_empty() {
        return parts.error(parts.position, "needs a name");
    }
    Ok(Word {
        value: value.to_string(),
        raw: value.to_string(),
        position: parts.args.position(0),
    })
}
