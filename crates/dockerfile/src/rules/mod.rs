//! The `DD-DF` rules. Each is a small function over a [`Context`]; each area has a module.
//!
//! A rule's id never changes meaning; a retired rule's id is never reused.

mod base;
mod commands;
mod files;
mod instructions;
mod languages;
mod packages;
mod secrets;
mod users;

use drydock_model::{RuleInfo, Severity};

use crate::shell::{self, ShellWord, SimpleCommand};
use crate::syntax::{Body, Command, Dockerfile, Instruction, Keyword, Position, Script, Stage};

/// One rule: its description, what it corresponds to elsewhere, and its check.
pub struct Rule {
    pub info: RuleInfo,
    /// The hadolint rules it corresponds to (`DL3008`), if any.
    pub hadolint: &'static [&'static str],
    /// The BuildKit build check it corresponds to (`JSONArgsRecommended`), if any; the
    /// `# check=skip=` directive names these.
    pub buildkit: Option<&'static str>,
    pub check: fn(&Context<'_>) -> Vec<Hit>,
}

/// Where a rule fired and what it saw there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub position: Position,
    pub message: String,
}

impl Hit {
    pub fn new(position: Position, message: impl Into<String>) -> Self {
        Hit {
            position,
            message: message.into(),
        }
    }
}

/// Every rule, ordered by id.
pub fn all() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = [
        base::RULES,
        users::RULES,
        instructions::RULES,
        files::RULES,
        secrets::RULES,
        commands::RULES,
        packages::RULES,
        languages::RULES,
    ]
    .into_iter()
    .flatten()
    .collect();
    rules.sort_by_key(|r| r.info.id);
    rules
}

/// The rule with this id (`DD-DF-001`), if any.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.info.id.eq_ignore_ascii_case(id))
}

/// A shell script of a RUN instruction, split into commands.
pub struct RunScript<'a> {
    pub instruction: &'a Instruction,
    /// The stage the RUN belongs to.
    pub stage: usize,
    pub script: Script,
    pub commands: Vec<SimpleCommand>,
}

impl RunScript<'_> {
    pub fn at(&self, word: &ShellWord) -> Position {
        self.script.position(word.offset)
    }

    pub fn command_at(&self, command: &SimpleCommand) -> Position {
        self.script.position(command.offset())
    }

    /// Whether the RUN mounts a cache or tmpfs over `path` (so what is written there stays
    /// out of the image).
    pub fn mounts_over(&self, path: &str) -> bool {
        self.instruction
            .flags
            .iter()
            .filter(|f| f.name == "mount")
            .filter_map(|f| f.value.as_deref())
            .any(|mount| {
                let fields: Vec<(&str, &str)> = mount.split(',').filter_map(|f| f.split_once('=')).collect();
                let kind = fields.iter().find(|(k, _)| *k == "type").map(|(_, v)| *v);
                let target = fields
                    .iter()
                    .find(|(k, _)| matches!(*k, "target" | "dst" | "destination"))
                    .map(|(_, v)| v.trim_end_matches('/'));
                matches!(kind, Some("cache" | "tmpfs")) && target.is_some_and(|t| path.starts_with(t))
            })
    }
}

/// A parsed Dockerfile with what rules keep asking for computed once.
pub struct Context<'a> {
    pub file: &'a Dockerfile,
    pub stages: Vec<Stage<'a>>,
    pub scripts: Vec<RunScript<'a>>,
}

impl<'a> Context<'a> {
    pub fn new(file: &'a Dockerfile) -> Self {
        let stages = file.stages();
        let mut scripts = Vec::new();
        for stage in &stages {
            for instruction in stage.instructions {
                scripts.extend(run_scripts(instruction, stage.index));
            }
        }
        Context { file, stages, scripts }
    }

    /// The last stage: the image the build produces by default.
    pub fn final_stage(&self) -> Option<&Stage<'a>> {
        self.stages.last()
    }

    /// The stage named `name` (case-insensitive) or numbered `name`, among stages before `before`.
    pub fn stage_named(&self, name: &str, before: usize) -> Option<&Stage<'a>> {
        let name = name.to_ascii_lowercase();
        self.stages[..before.min(self.stages.len())]
            .iter()
            .find(|s| s.name().as_deref() == Some(&name) || s.index.to_string() == name)
    }

    /// The stage `index` and the stages it is built FROM, nearest first.
    pub fn lineage(&self, index: usize) -> Vec<&Stage<'a>> {
        let mut chain = Vec::new();
        let mut current = self.stages.get(index);
        while let Some(stage) = current {
            if chain.iter().any(|s: &&Stage<'_>| s.index == stage.index) {
                break;
            }
            chain.push(stage);
            current = self.stage_named(&stage.image.value, stage.index);
        }
        chain
    }

    /// Whether stage `index` ends up in the final image (it is the last stage or one the
    /// last stage is built FROM).
    pub fn in_final_image(&self, index: usize) -> bool {
        let last = self.stages.len().saturating_sub(1);
        self.lineage(last).iter().any(|s| s.index == index)
    }

    /// Every instruction with the index of its stage (`None` before the first FROM).
    pub fn instructions(&self) -> impl Iterator<Item = (Option<usize>, &'a Instruction)> + '_ {
        let mut stage: Option<usize> = None;
        self.file.instructions.iter().map(move |instruction| {
            if instruction.keyword == Keyword::From {
                stage = Some(stage.map_or(0, |s| s + 1));
            }
            (stage, instruction)
        })
    }

    /// Every instruction with this keyword, with its stage.
    pub fn each(&self, keyword: Keyword) -> impl Iterator<Item = (usize, &'a Instruction)> + '_ {
        self.instructions()
            .filter(move |(_, i)| i.keyword == keyword)
            .filter_map(|(stage, i)| Some((stage?, i)))
    }

    /// Every simple command of every RUN, with its script.
    pub fn commands(&self) -> impl Iterator<Item = (&RunScript<'a>, &SimpleCommand)> + '_ {
        self.scripts.iter().flat_map(|s| s.commands.iter().map(move |c| (s, c)))
    }

    /// The value of an ARG declared before the first FROM, for expanding FROM lines.
    pub fn expand_global(&self, text: &str) -> String {
        let mut out = text.to_string();
        for arg in self.file.global_args() {
            let Some(default) = &arg.default else { continue };
            for pattern in [format!("${{{}}}", arg.name), format!("${}", arg.name)] {
                out = out.replace(&pattern, default);
            }
        }
        out
    }
}

/// The scripts of a RUN (its shell text, and heredoc bodies the shell runs), or of the RUN
/// inside an ONBUILD.
fn run_scripts(instruction: &Instruction, stage: usize) -> Vec<RunScript<'_>> {
    let command = match &instruction.body {
        Body::Run(command) => command,
        Body::Onbuild(inner) => return run_scripts(inner, stage),
        _ => return Vec::new(),
    };
    let main = match command {
        Command::Shell(script) => script.clone(),
        Command::Exec(words) => exec_script(words),
    };
    let main_commands = shell::split(&main.text);
    let shell_runs_heredocs = match main_commands.as_slice() {
        [] => true,
        [only] => only.name().is_some_and(is_shell),
        _ => false,
    };
    let mut scripts = vec![RunScript {
        instruction,
        stage,
        commands: main_commands,
        script: main,
    }];
    if shell_runs_heredocs {
        for heredoc in instruction.heredocs.iter().filter(|h| is_shell_script(&h.body.text)) {
            scripts.push(RunScript {
                instruction,
                stage,
                commands: shell::split(&heredoc.body.text),
                script: heredoc.body.clone(),
            });
        }
    }
    scripts
}

fn is_shell(name: &str) -> bool {
    matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh")
}

/// A heredoc body without a shebang, or with a shell's.
fn is_shell_script(body: &str) -> bool {
    let Some(shebang) = body.lines().next().and_then(|l| l.strip_prefix("#!")) else {
        return true;
    };
    let mut parts = shebang.split_whitespace();
    let interpreter = parts.next().unwrap_or_default().rsplit('/').next().unwrap_or_default();
    let program = if interpreter == "env" {
        parts.next().unwrap_or_default()
    } else {
        interpreter
    };
    is_shell(program)
}

/// An exec-form RUN: `sh -c SCRIPT` is that script; anything else runs without a shell, so
/// its words are quoted to stay one command.
fn exec_script(words: &[crate::syntax::Word]) -> Script {
    if let [program, flag, script, ..] = words {
        let shell_c = flag.value.starts_with('-') && flag.value.contains('c');
        if shell_c && is_shell(program.value.rsplit('/').next().unwrap_or_default()) {
            return Script {
                text: script.value.clone(),
                pieces: vec![(0, script.position)],
            };
        }
    }
    let mut script = Script::default();
    for word in words {
        if !script.text.is_empty() {
            script.text.push(' ');
        }
        script.pieces.push((script.text.len(), word.position));
        script.text.push('\'');
        script.text.push_str(&word.value.replace('\'', "'\\''"));
        script.text.push('\'');
    }
    script
}

/// Shorthand for rule tables.
pub(crate) const fn info(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remediation: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        title,
        remediation,
        cis: None,
    }
}

/// Whether a value is (or may be, through a variable) an absolute path.
pub(crate) fn is_absolute_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || path.starts_with('$')
        || path.starts_with('\\')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}
