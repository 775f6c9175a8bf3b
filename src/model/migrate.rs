//! `ecspress migrate`: convert ecspresso's Go text/template calls to tera, and an ecspresso
//! config to `ecspress.yml`. Pure: the files are read and written by [`crate::ops::migrate`].
//!
//! # Why a converter and not a Go-template engine
//!
//! ecspresso templates use a handful of functions (reference ecspresso.md §3.2): `env`,
//! `must_env`, `json_escape`, and the plugin functions `tfstate`, `tfstatef`, `ssm`,
//! `secretsmanager_arn`, each possibly behind a plugin's `func_prefix`. Our tera functions have
//! the same semantics (an empty `env` value counts as unset, `must_env` accepts an empty value,
//! single-quoted tfstate keys, non-string tfstate values as JSON text), so a one-time syntactic
//! rewrite keeps the rendering and leaves users one template language. What has no tera
//! equivalent here (`if`/`range`/variables, `printf`, `cfn_output`, external plugins, data
//! references like `.Foo`) is left byte for byte as it was and reported with its line, so the
//! user sees every spot that needs a hand.
//!
//! Go text/template facts encoded below (text/template package docs): actions are `{{ ... }}`;
//! `{{- ` / ` -}}` trim the adjacent white space (tera has the same markers); comments are
//! `{{/* ... */}}`; string constants are Go literals, interpreted (`"a\n"`) or raw (`` `a` ``);
//! `a | f b` passes `a` as the **last** argument of `f`.

use std::fmt;

/// The functions we convert, with their tera spelling.
const PLUGIN_FUNCTIONS: &[&str] = &["tfstatef", "tfstate", "ssm", "secretsmanager_arn"];

/// Something the converter left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the action (or config key) in the source file.
    pub line: usize,
    /// The source text (the whole action for templates).
    pub text: String,
    /// Why it was not converted.
    pub reason: String,
    /// Left in the output for the user to finish (else a note: something dropped or worth a
    /// look, the output works as it is).
    pub left: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.text, self.reason)
    }
}

/// A converted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The tera template.
    pub text: String,
    /// What was left as it was.
    pub problems: Vec<Problem>,
}

impl Converted {
    /// Template calls converted.
    pub fn converted(&self) -> usize {
        count_actions(&self.text).saturating_sub(self.problems.len())
    }
}

/// Which quote characters the tera string literals we write may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quotes {
    /// Any (`"` first): YAML and JSON templates.
    Any,
    /// Jsonnet source. ecspresso (and ecspress) render the *evaluated JSON text*, where a `"`
    /// inside a string is escaped as `\"`, so tera would see a backslash: literals use `'`
    /// inside a Jsonnet `"..."` string or `|||` block, and `` ` `` inside `'...'` and verbatim
    /// strings (where `'` would end the Jsonnet string).
    Jsonnet,
}

/// Convert the Go template `src` to tera. `prefixes` are the plugins' `func_prefix`es (the
/// empty prefix is always tried).
pub fn convert_template(src: &str, prefixes: &[String]) -> Converted {
    convert_template_with(src, prefixes, Quotes::Any)
}

/// [`convert_template`] with a choice of quotes (Jsonnet files: [`Quotes::Jsonnet`]).
pub fn convert_template_with(src: &str, prefixes: &[String], quotes: Quotes) -> Converted {
    let strings = match quotes {
        Quotes::Any => Vec::new(),
        Quotes::Jsonnet => jsonnet_strings(src),
    };
    let text_quote = match quotes {
        Quotes::Any => '"',
        Quotes::Jsonnet => '`',
    };
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    let mut problems = Vec::new();
    let mut rest = src;
    let mut consumed = 0usize;
    while let Some(open) = rest.find("{{") {
        push_text(&mut out, &rest[..open], text_quote);
        let action_start = consumed + open;
        let line = 1 + src[..action_start].matches('\n').count();
        let after = &rest[open..];
        match scan_action(after) {
            Ok((len, action)) => {
                let original = &after[..len];
                let converted = convert_action(&action, prefixes).and_then(|text| match quotes {
                    Quotes::Any => Ok(text),
                    Quotes::Jsonnet => requote(&text, allowed_quotes(&strings, action_start)),
                });
                match converted {
                    Ok(text) => out.push_str(&text),
                    Err(reason) => {
                        out.push_str(original);
                        problems.push(Problem {
                            line,
                            text: original.to_owned(),
                            reason,
                            left: true,
                        });
                    }
                }
                rest = &after[len..];
                consumed = action_start + len;
            }
            Err(reason) => {
                // Unterminated: keep the rest as it is.
                out.push_str(after);
                problems.push(Problem {
                    line,
                    text: after.lines().next().unwrap_or_default().to_owned(),
                    reason,
                    left: true,
                });
                return Converted {
                    text: out,
                    problems,
                };
            }
        }
    }
    push_text(&mut out, rest, text_quote);
    Converted {
        text: out,
        problems,
    }
}

/// Plain text: `{%` and `{#` open tera tags, so they are emitted as string expressions (quoted
/// with `quote`); a trailing `{` would merge with the next action's `{{`.
fn push_text(out: &mut String, text: &str, quote: char) {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        match (c, next) {
            ('{', Some(n @ ('%' | '#'))) => {
                out.push_str(&format!("{{{{ {quote}{{{n}{quote} }}}}"));
                chars.next();
            }
            ('{', None) if i + 1 == text.len() => {
                out.push_str(&format!("{{{{ {quote}{{{quote} }}}}"));
            }
            _ => out.push(c),
        }
    }
}

/// One scanned action.
#[derive(Debug, Clone, PartialEq)]
struct Action {
    trim_left: bool,
    trim_right: bool,
    body: Body,
}

#[derive(Debug, Clone, PartialEq)]
enum Body {
    Comment(String),
    Tokens(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Num(String),
    Ident(String),
    Pipe,
    Open,
    Close,
    /// Anything we do not convert (`$x`, `.Field`, `:=`, char constants).
    Other(String),
}

/// Scan the action at the start of `s` (which starts with `{{`): its length and tokens.
fn scan_action(s: &str) -> Result<(usize, Action), String> {
    let b = s.as_bytes();
    let mut i = 2;
    let trim_left =
        s[i..].starts_with("- ") || s[i..].starts_with("-\t") || s[i..].starts_with("-\n");
    if trim_left {
        i += 1;
    }
    // Comment: `{{/*` or `{{- /*` ... `*/}}` or `*/ -}}`.
    let trimmed = s[i..].trim_start();
    if trimmed.starts_with("/*") {
        let c_start = s.len() - trimmed.len() + 2;
        let end = s[c_start..].find("*/").ok_or("unterminated comment")? + c_start;
        let after = &s[end + 2..];
        let (trim_right, close) = if let Some(r) = after.strip_prefix(" -}}") {
            (true, s.len() - r.len())
        } else if let Some(r) = after.strip_prefix("}}") {
            (false, s.len() - r.len())
        } else {
            return Err("a comment must end right before }}".into());
        };
        return Ok((
            close,
            Action {
                trim_left,
                trim_right,
                body: Body::Comment(s[c_start..end].to_owned()),
            },
        ));
    }
    let mut tokens = Vec::new();
    loop {
        let Some(&c) = b.get(i) else {
            return Err("unterminated action (no closing }})".into());
        };
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                if s[i..].trim_start().starts_with("-}}") {
                    let close = s.len() - s[i..].trim_start().len() + 3;
                    return Ok((
                        close,
                        Action {
                            trim_left,
                            trim_right: true,
                            body: Body::Tokens(tokens),
                        },
                    ));
                }
                i += 1;
            }
            b'}' if s[i..].starts_with("}}") => {
                return Ok((
                    i + 2,
                    Action {
                        trim_left,
                        trim_right: false,
                        body: Body::Tokens(tokens),
                    },
                ));
            }
            b'"' => {
                let (len, value) = interpreted_string(&s[i..])?;
                tokens.push(Token::Str(value));
                i += len;
            }
            b'`' => {
                let end = s[i + 1..].find('`').ok_or("unterminated raw string")?;
                tokens.push(Token::Str(s[i + 1..i + 1 + end].to_owned()));
                i += end + 2;
            }
            b'|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            b'(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            b')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            b'0'..=b'9' | b'-' | b'+' => {
                let len = s[i..]
                    .char_indices()
                    .skip(1)
                    .find(|(_, ch)| !(ch.is_ascii_alphanumeric() || *ch == '.' || *ch == '_'))
                    .map_or(s.len() - i, |(n, _)| n);
                tokens.push(Token::Num(s[i..i + len].to_owned()));
                i += len;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len = s[i..]
                    .char_indices()
                    .find(|(_, ch)| !(ch.is_ascii_alphanumeric() || *ch == '_'))
                    .map_or(s.len() - i, |(n, _)| n);
                tokens.push(Token::Ident(s[i..i + len].to_owned()));
                i += len;
            }
            _ => {
                let len = s[i..]
                    .char_indices()
                    .skip(1)
                    .find(|(_, ch)| ch.is_whitespace() || matches!(ch, '}' | ')' | '|'))
                    .map_or(s.len() - i, |(n, _)| n);
                tokens.push(Token::Other(s[i..i + len].to_owned()));
                i += len;
            }
        }
    }
}

/// A Go interpreted string literal at the start of `s`: its length and value.
fn interpreted_string(s: &str) -> Result<(usize, String), String> {
    let mut value = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((i + 1, value)),
            '\n' => return Err("newline in string".into()),
            '\\' => {
                let (_, e) = chars.next().ok_or("unterminated string")?;
                match e {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    '\'' => value.push('\''),
                    'a' => value.push('\u{7}'),
                    'b' => value.push('\u{8}'),
                    'f' => value.push('\u{c}'),
                    'v' => value.push('\u{b}'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .map_err(|_| format!("bad escape \\{e}{hex}"))?;
                        value.push(char::from_u32(code).ok_or(format!("bad escape \\{e}{hex}"))?);
                    }
                    other => return Err(format!("unsupported escape \\{other}")),
                }
            }
            c => value.push(c),
        }
    }
    Err("unterminated string".into())
}

/// An expression of the pipeline language we convert.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Str(String),
    Num(String),
    Call(String, Vec<Expr>),
}

fn convert_action(action: &Action, prefixes: &[String]) -> Result<String, String> {
    let (open, close) = (
        if action.trim_left { "{{-" } else { "{{" },
        if action.trim_right { "-}}" } else { "}}" },
    );
    match &action.body {
        Body::Comment(text) => {
            if text.contains("#}") {
                return Err("the comment contains `#}`".into());
            }
            let (open, close) = (
                if action.trim_left { "{#-" } else { "{#" },
                if action.trim_right { "-#}" } else { "#}" },
            );
            Ok(format!("{open}{text}{close}"))
        }
        Body::Tokens(tokens) => {
            let mut p = Parser { tokens, at: 0 };
            let expr = p.pipeline()?;
            if p.at != tokens.len() {
                return Err("unexpected `)`".into());
            }
            Ok(format!("{open} {} {close}", tera_expr(&expr, prefixes)?))
        }
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
}

impl Parser<'_> {
    fn pipeline(&mut self) -> Result<Expr, String> {
        let mut value = self.command(None)?;
        while self.tokens.get(self.at) == Some(&Token::Pipe) {
            self.at += 1;
            value = self.command(Some(value))?;
        }
        Ok(value)
    }

    /// `operand+`; `piped` is appended as the last argument.
    fn command(&mut self, piped: Option<Expr>) -> Result<Expr, String> {
        let mut operands = Vec::new();
        while let Some(t) = self.tokens.get(self.at) {
            match t {
                Token::Pipe | Token::Close => break,
                _ => operands.push(self.operand()?),
            }
        }
        let mut operands = operands.into_iter();
        let Some(first) = operands.next() else {
            return Err("empty command".into());
        };
        let mut args: Vec<Expr> = operands.collect();
        match first {
            Expr::Call(name, none) if none.is_empty() => {
                args.extend(piped);
                Ok(Expr::Call(name, args))
            }
            literal if args.is_empty() && piped.is_none() => Ok(literal),
            _ => Err("a literal cannot be called with arguments".into()),
        }
    }

    fn operand(&mut self) -> Result<Expr, String> {
        let t = self.tokens.get(self.at).cloned().ok_or("missing operand")?;
        self.at += 1;
        match t {
            Token::Str(s) => Ok(Expr::Str(s)),
            Token::Num(n) => Ok(Expr::Num(n)),
            Token::Ident(name) => match name.as_str() {
                "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block"
                | "break" | "continue" => Err(format!(
                    "`{name}` (Go template control flow) has no automatic tera conversion; rewrite it with tera's {{% if %}}/{{% for %}}"
                )),
                "nil" | "true" | "false" => Err(format!("`{name}` constants are not converted")),
                _ => Ok(Expr::Call(name, Vec::new())),
            },
            Token::Open => {
                let e = self.pipeline()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err("missing `)`".into());
                }
                self.at += 1;
                Ok(e)
            }
            Token::Other(text) if text.starts_with('$') => {
                Err(format!("template variable `{text}` is not converted"))
            }
            Token::Other(text) if text.starts_with('.') => Err(format!(
                "`{text}`: ecspresso renders with no data, so a field reference is empty; not converted"
            )),
            Token::Other(text) => Err(format!("`{text}` is not converted")),
            Token::Pipe | Token::Close => Err("missing operand".into()),
        }
    }
}

/// What kind of Jsonnet string a byte range is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonnetString {
    /// `"..."` and `|||` text blocks: `'` is free.
    Double,
    /// `'...'`, `@'...'` and `@"..."`: only `` ` `` is safe.
    Other,
}

/// The string literals of Jsonnet source `src`: `(start, end, kind)` byte ranges (a small
/// lexer: comments `//`, `#`, `/* */`; strings `"..."`, `'...'` with escapes, verbatim `@"..."`,
/// `@'...'` with doubled quotes, and `|||` text blocks, which end at a line starting with
/// `|||` after white space).
fn jsonnet_strings(src: &str) -> Vec<(usize, usize, JsonnetString)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => i = src[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'|' if src[i..].starts_with("|||") => {
                let start = i;
                let body = src[i + 3..].find('\n').map_or(b.len(), |n| i + 3 + n + 1);
                let mut at = body;
                let mut end = b.len();
                while at < b.len() {
                    let line_end = src[at..].find('\n').map_or(b.len(), |n| at + n);
                    if src[at..line_end].trim_start().starts_with("|||") {
                        end = at + src[at..line_end].find("|||").unwrap_or(0) + 3;
                        break;
                    }
                    at = line_end + 1;
                }
                out.push((start, end, JsonnetString::Double));
                i = end;
            }
            b'@' if matches!(b.get(i + 1), Some(b'"' | b'\'')) => {
                let q = b[i + 1];
                let start = i;
                let mut j = i + 2;
                while j < b.len() {
                    if b[j] == q {
                        if b.get(j + 1) == Some(&q) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                out.push((start, (j + 1).min(b.len()), JsonnetString::Other));
                i = j + 1;
            }
            q @ (b'"' | b'\'') => {
                let start = i;
                let mut j = i + 1;
                while j < b.len() && b[j] != q {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let kind = if q == b'"' {
                    JsonnetString::Double
                } else {
                    JsonnetString::Other
                };
                out.push((start, (j + 1).min(b.len()), kind));
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The files Jsonnet source `src` imports (`import`, `importstr`, `importbin` of a plain string
/// literal): `(line, path)`.
pub fn jsonnet_imports(src: &str) -> Vec<(usize, String)> {
    jsonnet_strings(src)
        .into_iter()
        .filter(|(start, _, _)| {
            let before = src[..*start].trim_end();
            ["import", "importstr", "importbin"].iter().any(|kw| {
                before
                    .strip_suffix(kw)
                    .is_some_and(|b| !b.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
            })
        })
        .filter_map(|(start, end, _)| {
            let lit = &src[start..end];
            let inner = lit.strip_prefix('@').unwrap_or(lit);
            let path = inner.get(1..inner.len().checked_sub(1)?)?;
            (!path.contains('\\'))
                .then(|| (1 + src[..start].matches('\n').count(), path.to_owned()))
        })
        .collect()
}

/// The quotes a tera literal may use at byte `offset` of Jsonnet source.
fn allowed_quotes(strings: &[(usize, usize, JsonnetString)], offset: usize) -> &'static [char] {
    match strings
        .iter()
        .find(|(start, end, _)| *start <= offset && offset < *end)
    {
        Some((_, _, JsonnetString::Other)) => &['`'],
        _ => &['\'', '`'],
    }
}

/// Rewrite the string literals of converted tera text to use one of `allowed` quotes. Our own
/// output has no escapes, so each literal runs from a quote to the next same quote.
fn requote(text: &str, allowed: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['"', '\'', '`']) {
        out.push_str(&rest[..i]);
        let q = rest[i..].chars().next().unwrap_or('"');
        let body_start = i + q.len_utf8();
        let Some(len) = rest[body_start..].find(q) else {
            out.push_str(&rest[i..]);
            return Ok(out);
        };
        let body = &rest[body_start..body_start + len];
        let quote = allowed.iter().find(|a| !body.contains(**a)).ok_or_else(|| {
            format!(
                "the string {q}{body}{q} cannot be quoted inside this Jsonnet string (it needs one of {})",
                allowed.iter().collect::<String>()
            )
        })?;
        out.push(*quote);
        out.push_str(body);
        out.push(*quote);
        rest = &rest[body_start + len + q.len_utf8()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A tera string literal: the first quote character the value does not contain (tera string
/// literals have no escapes).
fn tera_string(s: &str) -> Result<String, String> {
    ['"', '\'', '`']
        .iter()
        .find(|q| !s.contains(**q))
        .map(|q| format!("{q}{s}{q}"))
        .ok_or_else(|| "a string that contains \", ' and ` cannot be written in tera".into())
}

fn tera_expr(e: &Expr, prefixes: &[String]) -> Result<String, String> {
    match e {
        Expr::Str(s) => tera_string(s),
        Expr::Num(n) => n
            .parse::<f64>()
            .map(|_| n.clone())
            .map_err(|_| format!("number `{n}` is not converted")),
        Expr::Call(name, args) => call(name, args, prefixes),
    }
}

fn arity(name: &str, args: &[Expr], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "`{name}` takes {want} argument(s), got {}",
            args.len()
        ));
    }
    Ok(())
}

fn call(name: &str, args: &[Expr], prefixes: &[String]) -> Result<String, String> {
    let arg = |i: usize| tera_expr(&args[i], prefixes);
    match name {
        "env" => {
            // ecspresso's env: the variable when non-empty, else the default (or "").
            arity(name, args, 1, 2)?;
            Ok(match args.len() {
                1 => format!("env(name={})", arg(0)?),
                _ => format!("env(name={}, default={})", arg(0)?, arg(1)?),
            })
        }
        "must_env" => {
            arity(name, args, 1, 1)?;
            Ok(format!("must_env(name={})", arg(0)?))
        }
        "json_escape" => {
            arity(name, args, 1, 1)?;
            // Go's `json_escape X` is tera's filter `X | json_escape`.
            Ok(format!("{} | json_escape", arg(0)?))
        }
        _ => {
            let (prefix, base) = split_prefix(name, prefixes).ok_or_else(|| {
                format!("function `{name}` has no ecspress equivalent (supported: env, must_env, json_escape, tfstate, tfstatef, ssm, secretsmanager_arn, with a plugin func_prefix)")
            })?;
            match base {
                "tfstate" => {
                    arity(name, args, 1, 1)?;
                    Ok(format!("{prefix}tfstate(addr={})", arg(0)?))
                }
                "tfstatef" => {
                    arity(name, args, 1, usize::MAX)?;
                    let rest = (1..args.len()).map(arg).collect::<Result<Vec<_>, _>>()?;
                    Ok(format!(
                        "{prefix}tfstatef(fmt={}, args=[{}])",
                        arg(0)?,
                        rest.join(", ")
                    ))
                }
                "ssm" => {
                    arity(name, args, 1, 2)?;
                    Ok(match args.len() {
                        1 => format!("{prefix}ssm(name={})", arg(0)?),
                        _ => format!("{prefix}ssm(name={}, index={})", arg(0)?, arg(1)?),
                    })
                }
                _ => {
                    arity(name, args, 1, 1)?;
                    Ok(format!("{prefix}secretsmanager_arn(id={})", arg(0)?))
                }
            }
        }
    }
}

/// `vpc_tfstate` → (`vpc_`, `tfstate`) when `vpc_` is a known prefix (or the empty one).
fn split_prefix<'n>(name: &'n str, prefixes: &[String]) -> Option<(&'n str, &'static str)> {
    let mut all: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    all.push("");
    // Longest base first: `tfstatef` before `tfstate`.
    for base in PLUGIN_FUNCTIONS {
        for p in &all {
            if name.len() == p.len() + base.len() && name.starts_with(p) && name.ends_with(base) {
                return Some((&name[..p.len()], base));
            }
        }
    }
    None
}

// ---- the config file ------------------------------------------------------------------

/// Plugins we have (ecspresso.md §3.4); `ssm` and `secretsmanager` are always on in both tools.
const PLUGINS: &[&str] = &["tfstate", "ssm", "secretsmanager"];
/// ecspresso config keys carried over as they are (same meaning in ecspress.yml).
const CARRIED: &[&str] = &[
    "region",
    "cluster",
    "service",
    "service_definition",
    "task_definition",
    "timeout",
    "plugins",
    "codedeploy",
    "appspec",
    "ignore",
];

/// The converted config and what it names.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigPlan {
    /// `ecspress.yml` text (`ecspress.jsonnet` text for [`plan_jsonnet_config`]).
    pub yaml: String,
    /// `(path in the ecspresso config, path in ecspress.yml)` of each definition file.
    pub definitions: Vec<(String, String)>,
    /// The plugins' `func_prefix`es (for converting the definitions).
    pub prefixes: Vec<String>,
    /// Template calls converted in the config.
    pub converted: usize,
    /// What was left or dropped, with the line in the ecspresso config.
    pub problems: Vec<Problem>,
}

/// Whether a mapping in `v` has a mapping or list as a key: what YAML makes of an unquoted
/// template value, `cluster: {{ must_env `CLUSTER` }}` being a flow mapping whose only key is
/// the flow mapping `{ must_env `CLUSTER` }`. Such a config cannot be written back as YAML.
fn has_complex_key(v: &serde_yaml_ng::Value) -> bool {
    match v {
        serde_yaml_ng::Value::Mapping(m) => m.iter().any(|(k, v)| {
            matches!(
                k,
                serde_yaml_ng::Value::Mapping(_) | serde_yaml_ng::Value::Sequence(_)
            ) || has_complex_key(k)
                || has_complex_key(v)
        }),
        serde_yaml_ng::Value::Sequence(list) => list.iter().any(has_complex_key),
        serde_yaml_ng::Value::Tagged(t) => has_complex_key(&t.value),
        _ => false,
    }
}

/// The message for [`has_complex_key`], naming the first line whose value is an unquoted
/// `{{ ... }}`.
fn unquoted_template_message(src: &str) -> String {
    let hint = "YAML reads an unquoted `{{ ... }}` value as a nested mapping: quote template \
                values that start with {{";
    for (n, l) in src.lines().enumerate() {
        let t = l.trim_start().trim_start_matches("- ");
        let (key, value) = t.split_once(": ").unwrap_or(("", t));
        let value = value.trim();
        if value.starts_with("{{") {
            let key = if key.is_empty() {
                String::new()
            } else {
                format!("{key}: ")
            };
            let quoted = value.replace('\'', "''");
            return format!("line {}: {hint}, e.g. {key}'{quoted}'", n + 1);
        }
    }
    hint.to_owned()
}

/// Convert an ecspresso config (YAML or JSON text). `rebase` maps a path relative to the
/// ecspresso config's directory to one relative to the output directory (tfstate `path`).
/// `Err` when the file is not YAML/JSON even before rendering (ecspresso v3 requires that too,
/// ecspresso.md §2.2).
pub fn convert_config(src: &str, rebase: &dyn Fn(&str) -> String) -> Result<ConfigPlan, String> {
    let raw: serde_yaml_ng::Value = serde_yaml_ng::from_str(src).map_err(|e| {
        format!("not valid YAML/JSON before rendering: {e} (quote values that start with {{{{)")
    })?;
    if has_complex_key(&raw) {
        return Err(unquoted_template_message(src));
    }
    let prefixes: Vec<String> = raw
        .get("plugins")
        .and_then(|p| p.as_sequence())
        .map(|list| {
            list.iter()
                .filter_map(|p| p.get("func_prefix").and_then(|f| f.as_str()))
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let templated = convert_template(src, &prefixes);
    let mut problems = templated.problems;
    let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&templated.text)
        .map_err(|e| format!("the converted config is not YAML: {e}"))?;
    let line_of = |key: &str| {
        src.lines()
            .position(|l| {
                let t = l.trim_start().trim_start_matches(['"', '\'', '-', ' ']);
                t.starts_with(key)
                    && t[key.len()..]
                        .trim_start_matches(['"', '\''])
                        .trim_start()
                        .starts_with(':')
            })
            .map_or(1, |n| n + 1)
    };
    let Some(map) = doc.as_mapping_mut() else {
        return Err("the config is not a mapping".into());
    };
    let keys: Vec<String> = map
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    for key in keys {
        let problem = |reason: &str, left: bool| Problem {
            line: line_of(&key),
            text: key.clone(),
            reason: reason.to_owned(),
            left,
        };
        match key.as_str() {
            "required_version" => {
                map.shift_remove(&key);
                problems.push(problem("dropped: it constrains ecspresso's version, not ecspress's (set ecspress's own required_version if you want one)", false));
            }
            "filter_command" => {
                map.shift_remove(&key);
                problems.push(problem(
                    "dropped: ecspresso v3 removed it; ecspress has no filter command",
                    false,
                ));
            }
            "timeout" if map.get(&key).is_some_and(|v| v.is_number()) => {
                problems.push(problem("a bare number: ecspresso v2 reads nanoseconds, v3 and ecspress read seconds; write a duration such as \"10m\"", false));
            }
            k if CARRIED.contains(&k) => {}
            _ => problems.push(problem(
                "not an ecspress config key; left as it is (ecspress will reject it)",
                true,
            )),
        }
    }
    if let Some(plugins) = map.get_mut("plugins").and_then(|p| p.as_sequence_mut()) {
        for plugin in plugins.iter_mut() {
            let name = plugin
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_owned();
            if !PLUGINS.contains(&name.as_str()) {
                problems.push(Problem {
                    line: src
                        .lines()
                        .position(|l| l.contains("name") && l.contains(&name))
                        .map_or(1, |n| n + 1),
                    text: format!("plugin {name}"),
                    reason: "ecspress has no such plugin (tfstate, ssm and secretsmanager only); its template functions are left unconverted".into(),
                    left: true,
                });
                continue;
            }
            if name == "tfstate"
                && let Some(path) = plugin.get_mut("config").and_then(|c| c.get_mut("path"))
                && let Some(p) = path.as_str().filter(|p| !p.contains("{{"))
            {
                *path = serde_yaml_ng::Value::String(rebase(p));
            }
        }
    }
    let mut definitions = Vec::new();
    for key in ["service_definition", "task_definition"] {
        if let Some(path) = map.get_mut(key)
            && let Some(p) = path.as_str().map(str::to_owned)
        {
            let target = definition_target(&p);
            *path = serde_yaml_ng::Value::String(target.clone());
            definitions.push((p, target));
        }
    }
    let body = serde_yaml_ng::to_string(&doc)
        .map_err(|e| format!("cannot write the converted config as YAML: {e}"))?;
    Ok(ConfigPlan {
        yaml: format!("# Converted from an ecspresso config by `ecspress migrate`.\n{body}"),
        definitions,
        prefixes,
        converted: count_actions(&templated.text),
        problems,
    })
}

/// Plan an ecspresso **Jsonnet** config. The file stays Jsonnet (its locals, imports and native
/// calls keep working: ecspress has the same native functions) and only its Go template calls
/// are converted; what a YAML config gets rewritten (paths, dropped keys) is reported instead,
/// with the value to write, because rewriting Jsonnet code is not a mechanical edit.
///
/// `keys` are the top-level fields and `fields` the evaluated `plugins`, `task_definition` and
/// `service_definition` (those that evaluated without AWS: see [`crate::ops::migrate`]).
pub fn plan_jsonnet_config(
    src: &str,
    keys: &[String],
    fields: &serde_json::Value,
    rebase: &dyn Fn(&str) -> String,
) -> ConfigPlan {
    let plugins: &[serde_json::Value] = fields
        .get("plugins")
        .and_then(|p| p.as_array())
        .map_or(&[], Vec::as_slice);
    let prefixes: Vec<String> = plugins
        .iter()
        .filter_map(|p| p.get("func_prefix").and_then(|f| f.as_str()))
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    let converted = convert_template_with(src, &prefixes, Quotes::Jsonnet);
    let mut problems = converted.problems.clone();
    let line_of = |key: &str| {
        src.lines()
            .position(|l| {
                let t = l.trim_start().trim_start_matches(['"', '\'']);
                t.starts_with(key)
                    && t[key.len()..]
                        .trim_start_matches(['"', '\''])
                        .trim_start()
                        .starts_with(':')
            })
            .map_or(1, |n| n + 1)
    };
    // The line of a key, or (for values such as a tfstate path) of the first line holding it.
    let locate = |key: &str| match line_of(key) {
        1 => src
            .lines()
            .position(|l| l.contains(key))
            .map_or(1, |n| n + 1),
        n => n,
    };
    let mut left = |key: &str, text: &str, reason: String| {
        problems.push(Problem {
            line: locate(key),
            text: text.to_owned(),
            reason,
            left: true,
        });
    };
    for key in keys {
        match key.as_str() {
            "required_version" => left(key, key, "remove it: it constrains ecspresso's version, and ecspress would check it against its own".into()),
            "filter_command" => left(key, key, "remove it: ecspresso v3 removed it; ecspress has no filter command".into()),
            k if CARRIED.contains(&k) => {}
            _ => left(key, key, "not an ecspress config key (ecspress will reject it)".into()),
        }
    }
    if keys.iter().any(|k| k == "plugins") && fields.get("plugins").is_none() {
        left(
            "plugins",
            "plugins",
            "could not be evaluated without AWS and ext vars: check each plugin by hand".into(),
        );
    }
    for plugin in plugins {
        let name = plugin
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        if !PLUGINS.contains(&name) {
            left(
                name,
                &format!("plugin {name}"),
                "ecspress has no such plugin (tfstate, ssm and secretsmanager only); its functions are left unconverted".into(),
            );
            continue;
        }
        if name == "tfstate"
            && let Some(p) = plugin.pointer("/config/path").and_then(|p| p.as_str())
            && !p.contains("{{")
            && rebase(p) != p
        {
            left(
                p,
                p,
                format!(
                    "the tfstate path is relative to the config: write '{}' here",
                    rebase(p)
                ),
            );
        }
    }
    let mut definitions = Vec::new();
    for key in ["service_definition", "task_definition"] {
        if let Some(p) = fields.get(key).and_then(|p| p.as_str()) {
            let target = definition_target(p);
            if target != p {
                left(
                    key,
                    p,
                    format!("the file is copied to '{target}': write that here"),
                );
            }
            definitions.push((p.to_owned(), target));
        }
    }
    ConfigPlan {
        yaml: format!(
            "// Converted from an ecspresso config by `ecspress migrate`.\n{}",
            converted.text
        ),
        definitions,
        prefixes,
        converted: converted.converted(),
        problems,
    }
}

/// Where a definition file goes, relative to the output directory: the same relative path
/// when it stays inside the config's directory, else its file name.
pub fn definition_target(path: &str) -> String {
    let p = std::path::Path::new(path);
    let inside = p.is_relative()
        && p.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
    if inside {
        path.to_owned()
    } else {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_owned())
    }
}

/// Tera expressions (`{{ `) in converted text: what `convert_template` produced.
fn count_actions(text: &str) -> usize {
    text.matches("{{ ").count() + text.matches("{{- ").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(src: &str) -> Converted {
        convert_template(src, &["vpc_".to_owned()])
    }

    #[test]
    fn jsonnet_quotes_never_close_or_escape_in_the_enclosing_string() {
        let src = "local x = 'a';\n{\n  // a \"quote' in a comment\n  image: \"nginx:{{ must_env `TAG` }}\",\n  b: 'x-{{ env `A` \"d\" }}',\n  c: |||\n    {{ tfstate `aws_vpc.main.id` }}\n  |||,\n  d: \"{{ env `it's` }}\",\n  e: @'{{ env `V` }}',\n}\n";
        let got = convert_template_with(src, &[], Quotes::Jsonnet);
        assert_eq!(got.problems, vec![], "{}", got.text);
        let want = "local x = 'a';\n{\n  // a \"quote' in a comment\n  image: \"nginx:{{ must_env(name='TAG') }}\",\n  b: 'x-{{ env(name=`A`, default=`d`) }}',\n  c: |||\n    {{ tfstate(addr='aws_vpc.main.id') }}\n  |||,\n  d: \"{{ env(name=`it's`) }}\",\n  e: @'{{ env(name=`V`) }}',\n}\n";
        assert_eq!(got.text, want);
        // Nothing fits: left as it was, with the reason.
        let got = convert_template_with("{ a: '{{ env \"a`b\" }}' }", &[], Quotes::Jsonnet);
        assert_eq!(got.problems.len(), 1, "{}", got.text);
        assert!(
            got.problems[0].reason.contains("cannot be quoted"),
            "{:?}",
            got.problems
        );
        // `{%` in text is escaped with a backtick literal.
        let got = convert_template_with("{ a: \"{%\" }", &[], Quotes::Jsonnet);
        assert_eq!(got.text, "{ a: \"{{ `{%` }}\" }");
    }

    #[test]
    fn jsonnet_imports_are_found_outside_comments() {
        let src = "local a = import 'a.libsonnet';\n// import 'commented.libsonnet'\nlocal b = importstr \"b.txt\";\nlocal c = (import @'c.libsonnet');\n{ important: 'x.libsonnet', d: myimport 'no' }\n";
        assert_eq!(
            jsonnet_imports(src),
            vec![
                (1, "a.libsonnet".to_owned()),
                (3, "b.txt".to_owned()),
                (4, "c.libsonnet".to_owned()),
            ]
        );
    }

    #[test]
    fn jsonnet_config_plan_reports_edits() {
        let src = "{\n  required_version: '>= 2',\n  cluster: \"{{ env `C` }}\",\n  filter_command: 'peco',\n  task_definition: '../td.jsonnet',\n  service_definition: 'sd.json',\n  plugins: [\n    { name: 'tfstate', func_prefix: 'n_', config: { path: 'x.tfstate' } },\n    { name: 'cloudformation' },\n  ],\n}\n";
        let keys: Vec<String> = [
            "required_version",
            "cluster",
            "filter_command",
            "task_definition",
            "service_definition",
            "plugins",
        ]
        .map(str::to_owned)
        .to_vec();
        let fields = serde_json::json!({
            "task_definition": "../td.jsonnet",
            "service_definition": "sd.json",
            "plugins": [{"name": "tfstate", "func_prefix": "n_", "config": {"path": "x.tfstate"}},
                        {"name": "cloudformation"}],
        });
        let plan = plan_jsonnet_config(src, &keys, &fields, &|p| format!("../{p}"));
        assert_eq!(plan.prefixes, vec!["n_".to_owned()]);
        assert_eq!(
            plan.definitions,
            vec![
                ("sd.json".to_owned(), "sd.json".to_owned()),
                ("../td.jsonnet".to_owned(), "td.jsonnet".to_owned()),
            ]
        );
        assert!(
            plan.yaml.contains("cluster: \"{{ env(name='C') }}\""),
            "{}",
            plan.yaml
        );
        let lines: Vec<(usize, &str)> = plan
            .problems
            .iter()
            .map(|p| (p.line, p.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, "required_version"),
                (4, "filter_command"),
                (8, "x.tfstate"),
                (9, "plugin cloudformation"),
                (5, "../td.jsonnet"),
            ]
        );
        assert!(plan.problems.iter().all(|p| p.left));
        assert!(plan.problems[2].reason.contains("'../x.tfstate'"));
    }

    #[test]
    fn converts_each_supported_construct() {
        let cases: &[(&str, &str)] = &[
            ("{{ must_env `X` }}", "{{ must_env(name=\"X\") }}"),
            (
                "{{ env \"X\" \"d\" }}",
                "{{ env(name=\"X\", default=\"d\") }}",
            ),
            ("{{env `X`}}", "{{ env(name=\"X\") }}"),
            (
                "{{ tfstate `aws_iam_role.x.arn` }}",
                "{{ tfstate(addr=\"aws_iam_role.x.arn\") }}",
            ),
            (
                "{{ tfstate `aws_subnet.s[\"a\"].id` }}",
                "{{ tfstate(addr='aws_subnet.s[\"a\"].id') }}",
            ),
            (
                "{{ tfstatef \"aws_subnet.private[%d].id\" 0 }}",
                "{{ tfstatef(fmt=\"aws_subnet.private[%d].id\", args=[0]) }}",
            ),
            (
                "{{ tfstatef `m['%s'].id` `a` }}",
                "{{ tfstatef(fmt=\"m['%s'].id\", args=[\"a\"]) }}",
            ),
            ("{{ ssm \"/p\" }}", "{{ ssm(name=\"/p\") }}"),
            ("{{ ssm `/list` 1 }}", "{{ ssm(name=\"/list\", index=1) }}"),
            (
                "{{ secretsmanager_arn `db` }}",
                "{{ secretsmanager_arn(id=\"db\") }}",
            ),
            ("{{ vpc_tfstate `a.b` }}", "{{ vpc_tfstate(addr=\"a.b\") }}"),
            (
                "{{ vpc_tfstatef `a[%d]` 2 }}",
                "{{ vpc_tfstatef(fmt=\"a[%d]\", args=[2]) }}",
            ),
            (
                "{{ env `X` | json_escape }}",
                "{{ env(name=\"X\") | json_escape }}",
            ),
            (
                "{{ json_escape (must_env `X`) }}",
                "{{ must_env(name=\"X\") | json_escape }}",
            ),
            ("{{ `a.b` | tfstate }}", "{{ tfstate(addr=\"a.b\") }}"),
            ("{{- env `X` -}}", "{{- env(name=\"X\") -}}"),
            ("{{/* note */}}", "{# note #}"),
            ("{{- /* note */ -}}", "{#- note -#}"),
            ("{{ \"a\\n\\\"b\" }}", "{{ 'a\n\"b' }}"),
            (
                "{{ tfstate (env `ADDR` `x.y`) }}",
                "{{ tfstate(addr=env(name=\"ADDR\", default=\"x.y\")) }}",
            ),
        ];
        for (src, want) in cases {
            let c = conv(src);
            assert_eq!(c.problems, [], "{src}");
            assert_eq!(&c.text, want, "{src}");
        }
    }

    #[test]
    fn leaves_what_it_cannot_convert_and_names_the_line() {
        let cases: &[(&str, &str)] = &[
            ("{{ if env `X` }}a{{ end }}", "control flow"),
            ("{{ cfn_output `s` `k` }}", "no ecspress equivalent"),
            ("{{ printf `%s` `a` }}", "no ecspress equivalent"),
            ("{{ $x := 1 }}", "variable"),
            ("{{ .Foo }}", "field reference"),
            ("{{ env }}", "takes 1 to 2"),
            ("{{ other_tfstate `a` }}", "no ecspress equivalent"),
            ("{{ env `X`", "newline in string"),
        ];
        for (src, reason) in cases {
            let text = format!("{{\n  \"a\": \"{{{{ env `OK` }}}}\",\n  \"b\": \"{src}\"\n}}");
            let c = conv(&text);
            assert!(!c.problems.is_empty(), "{src}: no problem reported");
            assert_eq!(c.problems[0].line, 3, "{src}");
            assert!(
                c.problems[0].reason.contains(reason),
                "{src}: {:?}",
                c.problems
            );
            assert!(c.text.contains(src), "{src} kept as it was: {}", c.text);
            assert!(
                c.text.contains("{{ env(name=\"OK\") }}"),
                "the rest converted: {}",
                c.text
            );
        }
    }

    /// An unquoted `{{ }}` value is a YAML nested mapping: the message names the line and
    /// shows the quoted form (it used to be the YAML emitter's "expected SCALAR ...").
    #[test]
    fn unquoted_template_values_name_the_line() {
        let cases = [
            (
                "cluster: {{ must_env `C` }}\n",
                "line 1:",
                "cluster: '{{ must_env `C` }}'",
            ),
            (
                "region: x\nplugins:\n  - name: tfstate\n    config:\n      url: {{ env `U` `it's` }}\n",
                "line 5:",
                "url: '{{ env `U` `it''s` }}'",
            ),
        ];
        for (src, line, quoted) in cases {
            let err = convert_config(src, &|p: &str| p.to_owned()).unwrap_err();
            assert!(err.starts_with(line), "{err}");
            assert!(err.contains(quoted), "{err}");
            assert!(err.contains("quote template values"), "{err}");
        }
        // Quoted, the same config converts.
        assert!(convert_config("cluster: '{{ must_env `C` }}'\n", &|p: &str| p.to_owned()).is_ok());
    }

    #[test]
    fn plain_text_that_tera_would_read_as_tags_is_escaped() {
        let c = conv("{\"a\": \"{% x {# y\", \"b\": {{ env `X` }}}");
        assert_eq!(
            c.text,
            "{\"a\": \"{{ \"{%\" }} x {{ \"{#\" }} y\", \"b\": {{ env(name=\"X\") }}}"
        );
        let c = conv("x{");
        assert_eq!(c.text, "x{{ \"{\" }}");
        assert_eq!(conv("no templates\n").text, "no templates\n");
    }

    #[test]
    fn string_literals_pick_a_quote_the_value_lacks() {
        assert_eq!(tera_string("a").as_deref(), Ok("\"a\""));
        assert_eq!(tera_string("a\"b").as_deref(), Ok("'a\"b'"));
        assert_eq!(tera_string("a\"b'c").as_deref(), Ok("`a\"b'c`"));
        assert!(tera_string("\"'`").is_err());
    }

    #[test]
    fn config_keys_are_carried_dropped_or_reported() {
        let src = "required_version: \">= 2.0.0\"\nregion: '{{ must_env `AWS_REGION` }}'\ncluster: prod\nservice: web\nservice_definition: ecs-service-def.json\ntask_definition: ../shared/ecs-task-def.json\ntimeout: 600\nfilter_command: peco\nplugins:\n  - name: tfstate\n    config:\n      path: terraform.tfstate\n  - name: tfstate\n    func_prefix: vpc_\n    config:\n      url: s3://b/k\n  - name: cloudformation\ncodedeploy:\n  application_name: app\nignore:\n  tags: [a]\n";
        let plan = convert_config(src, &|p| format!("../{p}")).expect("converts");
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&plan.yaml).expect("yaml");
        assert_eq!(
            doc["region"].as_str(),
            Some("{{ must_env(name=\"AWS_REGION\") }}")
        );
        assert!(doc.get("required_version").is_none());
        assert!(doc.get("filter_command").is_none());
        assert_eq!(
            doc["plugins"][0]["config"]["path"].as_str(),
            Some("../terraform.tfstate")
        );
        assert_eq!(
            doc["plugins"][1]["config"]["url"].as_str(),
            Some("s3://b/k")
        );
        assert_eq!(doc["codedeploy"]["application_name"].as_str(), Some("app"));
        assert_eq!(doc["task_definition"].as_str(), Some("ecs-task-def.json"));
        assert_eq!(
            plan.definitions,
            [
                (
                    "ecs-service-def.json".to_owned(),
                    "ecs-service-def.json".to_owned()
                ),
                (
                    "../shared/ecs-task-def.json".to_owned(),
                    "ecs-task-def.json".to_owned()
                )
            ]
        );
        assert_eq!(plan.prefixes, ["vpc_"]);
        assert_eq!(plan.converted, 1);
        let lines: Vec<(usize, &str)> = plan
            .problems
            .iter()
            .map(|p| (p.line, p.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (1, "required_version"),
                (7, "timeout"),
                (8, "filter_command"),
                (17, "plugin cloudformation")
            ]
        );
        assert!(
            convert_config("a: {{ env `X` }}\n", &|p| p.to_owned()).is_err(),
            "unquoted template"
        );
    }
}
