//! nidump/niload's raw format: a directory is `{ "key" = ( "v1", "v2" ); ...
//! CHILDREN = ( {...}, {...} ) }`, two spaces per level. `dump` and `parse` are exact
//! inverses, so a dump loaded into an empty store dumps identically.

use super::error::{Position, Result, StoreError};
use super::tree::{DirId, Domain, Property};

/// A subtree as read from raw input, before it is placed in a domain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawDir {
    pub properties: Vec<Property>,
    pub children: Vec<RawDir>,
}

/// Prints the subtree rooted at `id`.
pub fn dump(domain: &Domain, id: DirId) -> String {
    let mut out = String::new();
    dump_dir(domain, id, 0, &mut out);
    out.push('\n');
    out
}

fn dump_dir(domain: &Domain, id: DirId, level: usize, out: &mut String) {
    let pad = "  ".repeat(level);
    let Some(dir) = domain.dir(id) else { return };
    out.push_str(&pad);
    out.push_str("{\n");
    for p in &dir.properties {
        out.push_str(&pad);
        out.push_str("  ");
        quote(&p.key, out);
        out.push_str(" = (");
        for (i, v) in p.values.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            quote(v, out);
        }
        out.push_str(" );\n");
    }
    if !dir.children.is_empty() {
        out.push_str(&pad);
        out.push_str("  CHILDREN = (\n");
        for (i, &c) in dir.children.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            }
            dump_dir(domain, c, level + 2, out);
        }
        out.push('\n');
        out.push_str(&pad);
        out.push_str("  )\n");
    }
    out.push_str(&pad);
    out.push('}');
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    LParen,
    RParen,
    Equals,
    Semi,
    Comma,
    Str(String),
    Word(String),
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Position,
    source: &'a str,
}

impl<'a> Lexer<'a> {
    fn error(&self, at: Position, reason: impl Into<String>) -> StoreError {
        StoreError::Syntax {
            source_name: self.source.to_string(),
            position: at,
            reason: reason.into(),
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    /// The next token and where it starts; `None` at the end of input.
    fn next(&mut self) -> Result<Option<(Token, Position)>> {
        while self.chars.peek().is_some_and(|c| c.is_whitespace()) {
            self.bump();
        }
        let at = self.pos;
        let Some(c) = self.bump() else {
            return Ok(None);
        };
        let token = match c {
            '{' => Token::Open,
            '}' => Token::Close,
            '(' => Token::LParen,
            ')' => Token::RParen,
            '=' => Token::Equals,
            ';' => Token::Semi,
            ',' => Token::Comma,
            '"' => {
                let mut s = String::new();
                loop {
                    match self.bump() {
                        None => return Err(self.error(at, "unterminated string")),
                        Some('"') => break,
                        Some('\\') => match self.bump() {
                            None => return Err(self.error(at, "unterminated string")),
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(other) => s.push(other),
                        },
                        Some(other) => s.push(other),
                    }
                }
                Token::Str(s)
            }
            c if is_word_char(c) => {
                let mut s = String::from(c);
                while let Some(&n) = self.chars.peek() {
                    if !is_word_char(n) {
                        break;
                    }
                    s.push(n);
                    self.bump();
                }
                Token::Word(s)
            }
            other => return Err(self.error(at, format!("unexpected character `{other}`"))),
        };
        Ok(Some((token, at)))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/')
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<(Token, Position)>,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<Option<&(Token, Position)>> {
        if self.peeked.is_none() {
            self.peeked = self.lexer.next()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn take(&mut self, what: &str) -> Result<(Token, Position)> {
        self.peek()?;
        let at = self.lexer.pos;
        self.peeked.take().ok_or_else(|| {
            self.lexer
                .error(at, format!("unexpected end of input, expected {what}"))
        })
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<()> {
        let (token, at) = self.take(what)?;
        if token == want {
            Ok(())
        } else {
            Err(self
                .lexer
                .error(at, format!("expected {what}, found {}", describe(&token))))
        }
    }

    fn string(&mut self, what: &str) -> Result<String> {
        match self.take(what)? {
            (Token::Str(s) | Token::Word(s), _) => Ok(s),
            (other, at) => Err(self
                .lexer
                .error(at, format!("expected {what}, found {}", describe(&other)))),
        }
    }

    /// `( item, item, ... )`, possibly empty.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        self.expect(Token::LParen, "`(`")?;
        let mut items = Vec::new();
        if matches!(self.peek()?, Some((Token::RParen, _))) {
            self.take("`)`")?;
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            match self.take("`,` or `)`")? {
                (Token::Comma, _) => continue,
                (Token::RParen, _) => return Ok(items),
                (other, at) => {
                    return Err(self.lexer.error(
                        at,
                        format!("expected `,` or `)`, found {}", describe(&other)),
                    ))
                }
            }
        }
    }

    fn dir(&mut self) -> Result<RawDir> {
        self.expect(Token::Open, "`{`")?;
        let mut dir = RawDir::default();
        let mut seen_children = false;
        loop {
            let (token, at) = self.take("a property or `}`")?;
            match token {
                Token::Close => return Ok(dir),
                Token::Word(w) if w == "CHILDREN" => {
                    if seen_children {
                        return Err(self.lexer.error(at, "CHILDREN given twice"));
                    }
                    seen_children = true;
                    self.expect(Token::Equals, "`=`")?;
                    dir.children = self.list(Self::dir)?;
                    if matches!(self.peek()?, Some((Token::Semi, _))) {
                        self.take("`;`")?;
                    }
                }
                Token::Str(key) | Token::Word(key) => {
                    if dir.properties.iter().any(|p| p.key == key) {
                        return Err(self
                            .lexer
                            .error(at, format!("property `{key}` given twice")));
                    }
                    self.expect(Token::Equals, "`=`")?;
                    let values = self.list(|p| p.string("a quoted value"))?;
                    self.expect(Token::Semi, "`;`")?;
                    dir.properties.push(Property { key, values });
                }
                other => {
                    return Err(self.lexer.error(
                        at,
                        format!("expected a property or `}}`, found {}", describe(&other)),
                    ))
                }
            }
        }
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Open => "`{`".into(),
        Token::Close => "`}`".into(),
        Token::LParen => "`(`".into(),
        Token::RParen => "`)`".into(),
        Token::Equals => "`=`".into(),
        Token::Semi => "`;`".into(),
        Token::Comma => "`,`".into(),
        Token::Str(s) => format!("\"{s}\""),
        Token::Word(w) => format!("`{w}`"),
    }
}

/// Parses raw input; `source_name` names it in errors (`-` for standard input).
pub fn parse(text: &str, source_name: &str) -> Result<RawDir> {
    let mut parser = Parser {
        lexer: Lexer {
            chars: text.chars().peekable(),
            pos: Position { line: 1, column: 1 },
            source: source_name,
        },
        peeked: None,
    };
    let dir = parser.dir()?;
    if let Some((token, at)) = parser.peek()?.cloned() {
        return Err(parser.lexer.error(
            at,
            format!("unexpected {} after the directory", describe(&token)),
        ));
    }
    Ok(dir)
}

/// How `niload` places its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// The directory's properties and children become exactly the input's (`niload -r`).
    Replace,
    /// Input properties replace those of the same key, children are matched by name and
    /// merged, nothing is removed (`-m`).
    Merge,
    /// As `Merge`, and then what the input lacks is removed (`-m -d`); matched children
    /// keep their ids.
    MergeDelete,
}

/// Places `raw` at `path` (created if missing). An input without `name` keeps the
/// directory's name, so the path still finds it; input identical to what is there
/// writes nothing.
pub fn load(domain: &mut Domain, path: &str, raw: &RawDir, mode: LoadMode) -> Result<()> {
    let id = domain.create(path)?;
    let mut raw = raw.clone();
    if let Some(name) = domain.dir(id).and_then(|d| d.property("name")).cloned() {
        if id != super::tree::ROOT && !raw.properties.iter().any(|p| p.key == "name") {
            raw.properties.insert(0, name);
        }
    }
    if to_raw(domain, id) == raw {
        return Ok(());
    }
    place(domain, id, &raw, mode)
}

/// The subtree at `id` as raw input would describe it.
pub fn to_raw(domain: &Domain, id: DirId) -> RawDir {
    let Some(dir) = domain.dir(id) else {
        return RawDir::default();
    };
    RawDir {
        properties: dir.properties.clone(),
        children: dir.children.iter().map(|&c| to_raw(domain, c)).collect(),
    }
}

fn raw_name(raw: &RawDir) -> Option<&String> {
    raw.properties
        .iter()
        .find(|p| p.key == "name")
        .and_then(|p| p.values.first())
}

fn place(domain: &mut Domain, id: DirId, raw: &RawDir, mode: LoadMode) -> Result<()> {
    if mode == LoadMode::Replace {
        domain.set_properties(id, raw.properties.clone())?;
        let old: Vec<DirId> = domain.children(id).map(|c| c.id).collect();
        for c in old {
            domain.destroy_id(c)?;
        }
        for child in &raw.children {
            add_tree(domain, id, child)?;
        }
        return Ok(());
    }
    for p in &raw.properties {
        domain.create_prop(id, &p.key, p.values.clone())?;
    }
    let mut kept = Vec::new();
    for child in &raw.children {
        let existing = raw_name(child).and_then(|n| {
            domain
                .children(id)
                .find(|c| c.name() == Some(n.as_str()))
                .map(|c| c.id)
        });
        match existing {
            Some(cid) => {
                place(domain, cid, child, mode)?;
                kept.push(cid);
            }
            None => add_tree(domain, id, child)?,
        }
    }
    if mode == LoadMode::MergeDelete {
        let extra: Vec<String> = domain
            .dir(id)
            .map(|d| {
                d.properties
                    .iter()
                    .filter(|p| !raw.properties.iter().any(|r| r.key == p.key))
                    .map(|p| p.key.clone())
                    .collect()
            })
            .unwrap_or_default();
        if !extra.is_empty() {
            domain.destroy_props(id, &extra)?;
        }
        let new_count = raw.children.len() - kept.len();
        let children: Vec<DirId> = domain.children(id).map(|c| c.id).collect();
        // Children added just now are the last `new_count`; the rest must have matched.
        let old = &children[..children.len() - new_count];
        for &c in old {
            if !kept.contains(&c) {
                domain.destroy_id(c)?;
            }
        }
    }
    Ok(())
}

fn add_tree(domain: &mut Domain, parent: DirId, raw: &RawDir) -> Result<()> {
    let id = domain.add_child(parent, raw.properties.clone())?;
    for child in &raw.children {
        add_tree(domain, id, child)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
  "name" = ( "AppleMailServer" );
  "open_relay_addr_flag" = ( "1" );
  "open_relay_addr_list" = ( "127.0.0.1", "192.168.40.0/21" );
  "empty" = ( );
  CHILDREN = (
    {
      "name" = ( "child" );
      "quote" = ( "a \"b\" \\ c" );
      CHILDREN = (
        {
          "name" = ( "grandchild" );
        }
      )
    },
    {
      "name" = ( "second" );
    }
  )
}
"#;

    #[test]
    fn load_then_dump_is_identical() {
        let raw = parse(SAMPLE, "-").unwrap();
        let mut d = Domain::new();
        load(&mut d, "/config/AppleMailServer", &raw, LoadMode::Replace).unwrap();
        let id = d.resolve("/config/AppleMailServer").unwrap();
        assert_eq!(dump(&d, id), SAMPLE);
        assert_eq!(
            d.lookup("/config/AppleMailServer/child")
                .unwrap()
                .values("quote")
                .unwrap(),
            [r#"a "b" \ c"#]
        );
    }

    #[test]
    fn replace_and_merge() {
        let mut d = Domain::new();
        load(
            &mut d,
            "/AppleMailServer",
            &parse(SAMPLE, "-").unwrap(),
            LoadMode::Replace,
        )
        .unwrap();
        let small = parse(r#"{ "name" = ( "AppleMailServer" ); "k" = ( "v" ); CHILDREN = ( { "name" = ( "child" ); "new" = ( "1" ); } ) }"#, "-").unwrap();
        load(&mut d, "/AppleMailServer", &small, LoadMode::Merge).unwrap();
        assert!(d.resolve("/AppleMailServer/second").is_ok());
        assert!(d.resolve("/AppleMailServer/child/grandchild").is_ok());
        assert_eq!(
            d.lookup("/AppleMailServer/child")
                .unwrap()
                .values("new")
                .unwrap(),
            ["1"]
        );
        assert_eq!(
            d.lookup("/AppleMailServer")
                .unwrap()
                .values("open_relay_addr_flag")
                .unwrap(),
            ["1"]
        );
        let before = d.resolve("/AppleMailServer/child").unwrap();
        load(&mut d, "/AppleMailServer", &small, LoadMode::MergeDelete).unwrap();
        assert!(d.resolve("/AppleMailServer/second").is_err());
        assert!(d
            .lookup("/AppleMailServer")
            .unwrap()
            .values("open_relay_addr_flag")
            .is_none());
        assert_eq!(
            d.resolve("/AppleMailServer/child").unwrap(),
            before,
            "ids kept"
        );
        load(&mut d, "/AppleMailServer", &small, LoadMode::Replace).unwrap();
        assert!(d.resolve("/AppleMailServer/second").is_err());
        assert!(d.resolve("/AppleMailServer/child/grandchild").is_err());
        assert!(d
            .lookup("/AppleMailServer")
            .unwrap()
            .values("open_relay_addr_flag")
            .is_none());
    }

    #[test]
    fn nameless_input_keeps_the_name_and_identical_input_writes_nothing() {
        let mut d = Domain::new();
        let raw = parse(r#"{ "k" = ( "v" ); }"#, "-").unwrap();
        load(&mut d, "/x", &raw, LoadMode::Replace).unwrap();
        assert_eq!(d.lookup("/x").unwrap().values("k").unwrap(), ["v"]);
        d.commit_serial();
        load(&mut d, "/x", &raw, LoadMode::Replace).unwrap();
        assert!(!d.is_dirty());
    }

    #[test]
    fn errors_have_line_and_column() {
        let bad = "{\n  \"name\" = ( \"x\" )\n}\n";
        let err = parse(bad, "-").unwrap_err().to_string();
        assert_eq!(err, "-:3:1: expected `;`, found `}`");
        let err = parse("{ \"a\" = ( \"x\", ); }", "in")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("in:1:16: expected a quoted value"), "{err}");
        assert!(parse("{ \"a\" = ( \"x ); }", "-")
            .unwrap_err()
            .to_string()
            .contains("unterminated"));
        assert!(parse("{ } {", "-")
            .unwrap_err()
            .to_string()
            .contains("after the directory"));
        assert!(parse("", "-")
            .unwrap_err()
            .to_string()
            .contains("end of input"));
    }
}
