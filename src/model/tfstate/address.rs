//! The lookup address grammar, and the `tfstatef` formatter.
//!
//! tfstate-lookup matches addresses as plain strings and turns the unmatched rest into a jq query.
//! We tokenise instead: an address is a list of [`Segment`]s, and both the index keys built from
//! the state and the addresses users type are rendered to one *canonical* spelling. That gives
//! the same answers as tfstate-lookup for every form it accepts, and makes some equivalent
//! spellings meet:
//!
//! - `['k']` and `["k"]` are the same key (ecspresso replaces single quotes with double quotes
//!   before looking up, so `main['app']` works in templates);
//! - string escapes are decoded, so `["a\u002eb"]` is `["a.b"]`;
//! - the prefix boundary rule (`aws_acm_certificate.main2` must not match
//!   `aws_acm_certificate.main`) holds by construction, because a prefix is a whole number of
//!   segments;
//! - names may contain hyphens (`output.dash-tuple[1]`, `.outputs.repository-uri`), which
//!   tfstate-lookup needs a quoting workaround for in jq.

use serde_json::Value;

use super::TfstateError;

/// One step of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A dotted name: `aws_instance`, `main`, `tags`, `dash-tuple`.
    Name(String),
    /// A quoted subscript: `["app"]` (for_each key, map key).
    Key(String),
    /// A numeric subscript: `[0]` (count index, list index); negative counts from the end.
    Index(i64),
}

/// An address split into segments, with its canonical spelling.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) segments: Vec<Segment>,
    /// The canonical spelling of all segments.
    pub(crate) canonical: String,
    /// `ends[i]` is the byte length of the canonical spelling of `segments[..=i]`.
    pub(crate) ends: Vec<usize>,
}

impl Address {
    /// Parse a user-typed address (surrounding whitespace ignored).
    pub(crate) fn parse(address: &str) -> Result<Address, TfstateError> {
        let segments =
            parse_segments(address.trim()).map_err(|message| TfstateError::InvalidAddress {
                address: address.to_owned(),
                message,
            })?;
        Ok(Address::from_segments(segments))
    }

    pub(crate) fn from_segments(segments: Vec<Segment>) -> Address {
        let mut canonical = String::new();
        let mut ends = Vec::with_capacity(segments.len());
        for seg in &segments {
            push_segment(&mut canonical, seg);
            ends.push(canonical.len());
        }
        Address {
            segments,
            canonical,
            ends,
        }
    }

    /// Canonical spelling of the first `n` segments.
    pub(crate) fn prefix(&self, n: usize) -> &str {
        match n.checked_sub(1).and_then(|i| self.ends.get(i)) {
            Some(&end) => &self.canonical[..end],
            None => "",
        }
    }
}

/// Append the canonical spelling of one segment.
pub(crate) fn push_segment(out: &mut String, seg: &Segment) {
    match seg {
        Segment::Name(name) => {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(name);
        }
        Segment::Key(key) => {
            out.push('[');
            out.push_str(&quote(key));
            out.push(']');
        }
        Segment::Index(i) => {
            out.push('[');
            out.push_str(&i.to_string());
            out.push(']');
        }
    }
}

/// A JSON string literal for `s`.
pub(crate) fn quote(s: &str) -> String {
    // Serialising a `str` cannot fail; the fallback only keeps this function total.
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// Whether `key` can be written as `.key` (otherwise it needs `["key"]`).
pub(crate) fn is_plain_name(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| !matches!(c, '.' | '[' | ']' | '"' | '\'') && !c.is_whitespace())
}

/// Tokenise an address. The first segment must be a name; after it come `.name`, `[N]`,
/// `["key"]`, `['key']` and the jq spelling `.["key"]` / `.[N]`.
pub(crate) fn parse_segments(s: &str) -> Result<Vec<Segment>, String> {
    if s.is_empty() {
        return Err("the address is empty".into());
    }
    let bytes = s.as_bytes();
    let mut segments = Vec::new();
    let mut pos = 0;
    let (name, next) = parse_name(s, pos)?;
    segments.push(Segment::Name(name));
    pos = next;
    while pos < bytes.len() {
        match bytes[pos] {
            b'.' => {
                pos += 1;
                if bytes.get(pos) == Some(&b'[') {
                    let (seg, next) = parse_subscript(s, pos)?;
                    segments.push(seg);
                    pos = next;
                } else {
                    let (name, next) = parse_name(s, pos)?;
                    segments.push(Segment::Name(name));
                    pos = next;
                }
            }
            b'[' => {
                let (seg, next) = parse_subscript(s, pos)?;
                segments.push(seg);
                pos = next;
            }
            other => {
                return Err(format!(
                    "expected `.` or `[` at byte {pos}, found `{}`",
                    char::from(other)
                ));
            }
        }
    }
    Ok(segments)
}

/// A name runs until `.`, `[` or the end. It must not be empty and must not contain `]`.
fn parse_name(s: &str, start: usize) -> Result<(String, usize), String> {
    let rest = &s[start..];
    let len = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = &rest[..len];
    if name.is_empty() {
        return Err(if start == 0 {
            "the address must start with a name".into()
        } else {
            format!("empty name at byte {start}")
        });
    }
    if name.contains(']') {
        return Err(format!("unbalanced `]` in `{name}`"));
    }
    Ok((name.to_owned(), start + len))
}

/// `[` at `start`: a quoted key or an integer, then `]`.
fn parse_subscript(s: &str, start: usize) -> Result<(Segment, usize), String> {
    let bytes = s.as_bytes();
    let open = start + 1;
    match bytes.get(open) {
        Some(b'"') => {
            let close = find_closing_quote(bytes, open, b'"')
                .ok_or_else(|| format!("unterminated string at byte {open}"))?;
            let key: String = serde_json::from_str(&s[open..=close])
                .map_err(|e| format!("bad string {}: {e}", &s[open..=close]))?;
            expect_close(s, close + 1).map(|next| (Segment::Key(key), next))
        }
        Some(b'\'') => {
            let close = find_closing_quote(bytes, open, b'\'')
                .ok_or_else(|| format!("unterminated string at byte {open}"))?;
            let key = single_quoted(&s[open + 1..close])?;
            expect_close(s, close + 1).map(|next| (Segment::Key(key), next))
        }
        Some(_) => {
            let len = s[open..]
                .find(']')
                .ok_or_else(|| format!("unbalanced `[` at byte {start}"))?;
            let inner = s[open..open + len].trim();
            if inner.is_empty() {
                return Err("`[]` (iterate all) is not supported; name one index or key".into());
            }
            let index: i64 = inner.parse().map_err(|_| {
                format!("`[{inner}]`: an index must be an integer or a quoted string")
            })?;
            Ok((Segment::Index(index), open + len + 1))
        }
        None => Err(format!("unbalanced `[` at byte {start}")),
    }
}

fn expect_close(s: &str, pos: usize) -> Result<usize, String> {
    if s.as_bytes().get(pos) == Some(&b']') {
        Ok(pos + 1)
    } else {
        Err(format!("expected `]` at byte {pos}"))
    }
}

/// Index of the quote that closes the string opened at `open` (backslash escapes skipped).
fn find_closing_quote(bytes: &[u8], open: usize, quote: u8) -> Option<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Decode the body of a single-quoted key: `\'` is a quote, other escapes are JSON's.
fn single_quoted(body: &str) -> Result<String, String> {
    let mut json = String::with_capacity(body.len() + 2);
    json.push('"');
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\'') => json.push('\''),
                Some(other) => {
                    json.push('\\');
                    json.push(other);
                }
                None => json.push_str("\\\\"),
            },
            '"' => json.push_str("\\\""),
            other => json.push(other),
        }
    }
    json.push('"');
    serde_json::from_str(&json).map_err(|e| format!("bad string '{body}': {e}"))
}

/// Go `fmt.Sprintf` for the verbs `tfstatef` needs: `%d`, `%s`, `%v` and `%%`.
///
/// ecspresso's `tfstatef FMT ARGS…` formats with Sprintf and then looks the result up, e.g.
/// `aws_iam_role_policy_attachment.ec2[%d].id` or `aws_iam_user.users["%s.%s"].id`. Go prints
/// `%!d(string=x)` or `%!(EXTRA …)` into the string on misuse, which can only ever produce a
/// confusing not-found; we return an error instead.
///
/// - `%d`: an integer (a float with no fractional part is accepted, as template engines often
///   hand numbers over as floats);
/// - `%s` / `%v`: strings verbatim, anything else as JSON text (`30`, `true`, `["a"]`);
/// - a wrong number of arguments or an unknown verb is an error.
pub fn format_address(fmt: &str, args: &[Value]) -> Result<String, TfstateError> {
    let err = |message: String| TfstateError::Format {
        format: fmt.to_owned(),
        message,
    };
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut next_arg = 0usize;
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars
            .next()
            .ok_or_else(|| err("the format ends with a lone `%`".into()))?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !matches!(verb, 'd' | 's' | 'v') {
            return Err(err(format!(
                "unsupported verb %{verb} (use %d, %s, %v or %%)"
            )));
        }
        let arg = args.get(next_arg).ok_or_else(|| {
            err(format!(
                "%{verb} needs argument {} but only {} given",
                next_arg + 1,
                args.len()
            ))
        })?;
        next_arg += 1;
        match verb {
            'd' => out.push_str(&integer_arg(arg).ok_or_else(|| {
                err(format!("%d needs an integer, argument {next_arg} is {arg}"))
            })?),
            _ => match arg {
                Value::String(s) => out.push_str(s),
                other => out.push_str(&other.to_string()),
            },
        }
    }
    if next_arg != args.len() {
        return Err(err(format!(
            "{} arguments given but the format uses {next_arg}",
            args.len()
        )));
    }
    Ok(out)
}

fn integer_arg(arg: &Value) -> Option<String> {
    let Value::Number(n) = arg else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i.to_string());
    }
    if let Some(u) = n.as_u64() {
        return Some(u.to_string());
    }
    let f = n.as_f64()?;
    // Integral floats in i64 range print exactly; the cast cannot truncate after the checks.
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Some(format!("{}", f as i64))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(s: &str) -> Segment {
        Segment::Name(s.into())
    }
    fn key(s: &str) -> Segment {
        Segment::Key(s.into())
    }

    #[test]
    fn parses_address_forms() {
        let cases: Vec<(&str, Vec<Segment>, &str)> = vec![
            (
                "output.foo",
                vec![name("output"), name("foo")],
                "output.foo",
            ),
            (
                "output.dash-tuple[-1]",
                vec![name("output"), name("dash-tuple"), Segment::Index(-1)],
                "output.dash-tuple[-1]",
            ),
            (
                "module.x['k'].a.b[\"c.d\"]",
                vec![
                    name("module"),
                    name("x"),
                    key("k"),
                    name("a"),
                    name("b"),
                    key("c.d"),
                ],
                "module.x[\"k\"].a.b[\"c.d\"]",
            ),
            (
                "a.b.[\"x y\"].[0]",
                vec![name("a"), name("b"), key("x y"), Segment::Index(0)],
                "a.b[\"x y\"][0]",
            ),
            (
                "a.b[\"q\\\"uote\"]",
                vec![name("a"), name("b"), key("q\"uote")],
                "a.b[\"q\\\"uote\"]",
            ),
            (
                "a.b['it\\'s \"x\"']",
                vec![name("a"), name("b"), key("it's \"x\"")],
                "a.b[\"it's \\\"x\\\"\"]",
            ),
            (
                "a.b[\"\\u0041\"]",
                vec![name("a"), name("b"), key("A")],
                "a.b[\"A\"]",
            ),
            ("  a.b  ", vec![name("a"), name("b")], "a.b"),
        ];
        for (input, segments, canonical) in cases {
            let a = Address::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(a.segments, segments, "{input}");
            assert_eq!(a.canonical, canonical, "{input}");
            assert_eq!(a.ends.len(), a.segments.len(), "{input}");
            assert_eq!(a.prefix(a.segments.len()), canonical, "{input}");
        }
    }

    #[test]
    fn prefixes_are_whole_segments() {
        let a = Address::parse("module.x[\"k\"].aws_s3_bucket.b.tags.Name").unwrap();
        let prefixes: Vec<&str> = (1..=a.segments.len()).map(|n| a.prefix(n)).collect();
        assert_eq!(
            prefixes,
            vec![
                "module",
                "module.x",
                "module.x[\"k\"]",
                "module.x[\"k\"].aws_s3_bucket",
                "module.x[\"k\"].aws_s3_bucket.b",
                "module.x[\"k\"].aws_s3_bucket.b.tags",
                "module.x[\"k\"].aws_s3_bucket.b.tags.Name",
            ]
        );
        assert_eq!(a.prefix(0), "");
    }

    #[test]
    fn rejects_malformed_addresses() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            (".foo", "start with a name"),
            ("a..b", "empty name"),
            ("a.", "empty name"),
            ("a[0", "unbalanced"),
            ("a[\"x]", "unterminated"),
            ("a['x]", "unterminated"),
            ("a[]", "not supported"),
            ("a[x]", "integer or a quoted string"),
            ("a[1.5]", "integer or a quoted string"),
            ("a[\"x\"", "expected `]`"),
            ("a[0]b", "expected `.` or `[`"),
            ("a]b", "unbalanced `]`"),
            ("[0].a", "start with a name"),
        ];
        for (input, want) in cases {
            match Address::parse(input) {
                Err(TfstateError::InvalidAddress { address, message }) => {
                    assert_eq!(address, input);
                    assert!(message.contains(want), "{input}: {message}");
                }
                other => panic!("{input}: expected InvalidAddress, got {other:?}"),
            }
        }
    }

    #[test]
    fn plain_names() {
        for (k, plain) in [
            ("Name", true),
            ("repository-uri", true),
            ("aws:cloudformation:stack-name", true),
            ("a.b", false),
            ("a b", false),
            ("", false),
            ("x[0]", false),
        ] {
            assert_eq!(is_plain_name(k), plain, "{k}");
        }
    }

    #[test]
    fn formats_like_go_sprintf() {
        let ok: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "aws_iam_role_policy_attachment.ec2[%d].id",
                vec![json!(0)],
                "aws_iam_role_policy_attachment.ec2[0].id",
            ),
            (
                "aws_iam_user.users[\"%s.%s\"].id",
                vec![json!("foo"), json!("bar")],
                "aws_iam_user.users[\"foo.bar\"].id",
            ),
            ("x[%d]", vec![json!(3.0)], "x[3]"),
            ("x[%d]", vec![json!(-2)], "x[-2]"),
            ("x[%d]", vec![json!(u64::MAX)], "x[18446744073709551615]"),
            (
                "%v-%v-%v",
                vec![json!(1), json!(true), json!("s")],
                "1-true-s",
            ),
            ("%s", vec![json!(30)], "30"),
            ("100%% %s", vec![json!("sure")], "100% sure"),
            ("no verbs", vec![], "no verbs"),
            ("ünï%scödé", vec![json!("-")], "ünï-cödé"),
        ];
        for (fmt, args, want) in ok {
            assert_eq!(format_address(fmt, &args).unwrap(), want, "{fmt}");
        }
        let bad: Vec<(&str, Vec<Value>, &str)> = vec![
            ("x[%d]", vec![], "only 0 given"),
            ("x[%d]", vec![json!(1), json!(2)], "2 arguments given"),
            ("x", vec![json!(1)], "1 arguments given"),
            ("x[%d]", vec![json!("a")], "needs an integer"),
            ("x[%d]", vec![json!(1.5)], "needs an integer"),
            ("x[%x]", vec![json!(1)], "unsupported verb %x"),
            ("x%", vec![], "lone `%`"),
        ];
        for (fmt, args, want) in bad {
            match format_address(fmt, &args) {
                Err(e @ TfstateError::Format { .. }) => {
                    let msg = e.to_string();
                    assert!(msg.contains(want), "{fmt}: {msg}");
                    assert!(msg.contains(fmt), "{fmt}: {msg}");
                }
                other => panic!("{fmt}: expected Format error, got {other:?}"),
            }
        }
    }
}
