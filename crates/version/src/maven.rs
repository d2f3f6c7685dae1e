//! Maven versions, ordered as Maven 3.8.7's `ComparableVersion` orders them.
//!
//! The text (case-insensitive) splits into items at `.`, at `-` (which also opens a nested
//! list) and at every switch between digits and letters (which opens a nested list too; so
//! does a word after a `.`, so `1.0.RC1` reads like `1.0-RC1`). A word directly followed by a
//! digit that is `a`, `b` or `m` means alpha, beta, milestone; `cr` is `rc`; `ga`, `final` and
//! `release` are the empty qualifier. Trailing "null" items (0, the empty qualifier, empty
//! lists) are dropped from every list. Items then compare with these rules: numbers by value
//! (numbers of up to 9 digits, then up to 18, then longer ones are three types, and a longer
//! type is greater even for all-zero digits, as in Maven); qualifiers in the order
//! `alpha < beta < milestone < rc < snapshot < "" < sp < any other word (alphabetically)`;
//! a number is greater than a list, which is greater than a qualifier; a missing item compares
//! like 0, or like the empty qualifier against a word.

use std::cmp::Ordering;
use std::hash::Hasher;

use crate::{Span, check_length, digits};

/// The normalised item tree of a version; its root list.
#[derive(Clone, Debug)]
pub struct Items(Vec<Item>);

#[derive(Clone, Debug)]
enum Item {
    /// Digits without leading zeros (all-zero runs keep their length, as Maven's own code).
    Number {
        class: u8,
        digits: Span,
    },
    Qualifier(Qualifier),
    List(Vec<Item>),
}

/// A qualifier word, ranked like Maven's well-known list; other words rank after it.
#[derive(Clone, Copy, Debug)]
enum Qualifier {
    Known(u8),
    Other(Span),
}

const KNOWN: [&[u8]; 7] = [b"alpha", b"beta", b"milestone", b"rc", b"snapshot", b"", b"sp"];
const RELEASE_RANK: u8 = 5;

pub fn parse(text: &str) -> Result<Items, String> {
    check_length(text)?;
    if let Some(bad) = text.bytes().find(|b| !b.is_ascii_graphic()) {
        return Err(format!("invalid character {:?}", char::from(bad)));
    }
    let mut builder = Builder::new(text.as_bytes());
    builder.run();
    Ok(Items(builder.finish()))
}

/// Builds the item tree: `stack` holds the open lists, innermost last.
struct Builder<'a> {
    text: &'a [u8],
    stack: Vec<Vec<Item>>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a [u8]) -> Self {
        Builder {
            text,
            stack: vec![Vec::new()],
        }
    }

    fn current(&mut self) -> &mut Vec<Item> {
        self.stack
            .last_mut()
            .expect("the root list is never popped while building")
    }

    fn open_list(&mut self) {
        self.stack.push(Vec::new());
    }

    fn run(&mut self) {
        let mut is_digit = false;
        let mut start = 0;
        for (i, &c) in self.text.iter().enumerate() {
            match c {
                b'.' | b'-' => {
                    let item = if i == start {
                        Item::Number {
                            class: 0,
                            digits: Span::new(i, i),
                        }
                    } else {
                        self.item(is_digit, start, i, false)
                    };
                    self.current().push(item);
                    start = i + 1;
                    if c == b'-' {
                        self.open_list();
                    }
                }
                b'0'..=b'9' => {
                    if !is_digit && i > start {
                        if !self.current().is_empty() {
                            self.open_list();
                        }
                        let word = self.item(false, start, i, true);
                        self.current().push(word);
                        start = i;
                        self.open_list();
                    }
                    is_digit = true;
                }
                _ => {
                    if is_digit && i > start {
                        let number = self.item(true, start, i, false);
                        self.current().push(number);
                        start = i;
                        self.open_list();
                    }
                    is_digit = false;
                }
            }
        }
        if self.text.len() > start {
            if !is_digit && !self.current().is_empty() {
                self.open_list();
            }
            let last = self.item(is_digit, start, self.text.len(), false);
            self.current().push(last);
        }
    }

    fn item(&self, is_digit: bool, start: usize, end: usize, followed_by_digit: bool) -> Item {
        if is_digit {
            let run = &self.text[start..end];
            let stripped = match digits::strip_zeros(run).len() {
                0 => run.len(),
                len => len,
            };
            let class = match stripped {
                0..=9 => 0,
                10..=18 => 1,
                _ => 2,
            };
            return Item::Number {
                class,
                digits: Span::new(end - stripped, end),
            };
        }
        Item::Qualifier(qualifier(self.text, Span::new(start, end), followed_by_digit))
    }

    /// Closes the open lists innermost first, normalising each into its parent.
    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            let mut list = self.stack.pop().unwrap_or_default();
            normalize(&mut list, self.text);
            self.current().push(Item::List(list));
        }
        let mut root = self.stack.pop().unwrap_or_default();
        normalize(&mut root, self.text);
        root
    }
}

fn qualifier(text: &[u8], span: Span, followed_by_digit: bool) -> Qualifier {
    let word = span.of_bytes(text);
    let lower = |s: &[u8]| word.eq_ignore_ascii_case(s);
    let rank = if followed_by_digit && word.len() == 1 && b"aAbBmM".contains(&word[0]) {
        match word[0].to_ascii_lowercase() {
            b'a' => 0,
            b'b' => 1,
            _ => 2,
        }
    } else if lower(b"ga") || lower(b"final") || lower(b"release") {
        RELEASE_RANK
    } else if lower(b"cr") {
        3
    } else {
        match KNOWN.iter().position(|known| lower(known)) {
            Some(rank) => rank as u8,
            None => return Qualifier::Other(span),
        }
    };
    Qualifier::Known(rank)
}

fn is_null(item: &Item, text: &[u8]) -> bool {
    match item {
        Item::Number { digits: span, .. } => digits::strip_zeros(span.of_bytes(text)).is_empty(),
        Item::Qualifier(Qualifier::Known(rank)) => *rank == RELEASE_RANK,
        Item::Qualifier(Qualifier::Other(_)) => false,
        Item::List(items) => items.is_empty(),
    }
}

/// Drops trailing null items, looking past non-null lists as Maven does.
fn normalize(list: &mut Vec<Item>, text: &[u8]) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i], text) {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

pub fn compare(a: &str, x: &Items, b: &str, y: &Items) -> Ordering {
    let sides = Sides {
        left: a.as_bytes(),
        right: b.as_bytes(),
    };
    sides.lists(&x.0, &y.0)
}

/// The texts the two sides' spans point into.
#[derive(Clone, Copy)]
struct Sides<'a> {
    left: &'a [u8],
    right: &'a [u8],
}

impl Sides<'_> {
    fn lists(self, x: &[Item], y: &[Item]) -> Ordering {
        for i in 0..x.len().max(y.len()) {
            let order = match (x.get(i), y.get(i)) {
                (Some(p), Some(q)) => self.items(p, q),
                (Some(p), None) => against_missing(p, self.left),
                (None, Some(q)) => against_missing(q, self.right).reverse(),
                (None, None) => Ordering::Equal,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }

    fn items(self, x: &Item, y: &Item) -> Ordering {
        match (x, y) {
            (Item::Number { class: c, digits: p }, Item::Number { class: d, digits: q }) => c
                .cmp(d)
                .then_with(|| digits::compare(p.of_bytes(self.left), q.of_bytes(self.right))),
            (Item::Number { .. }, _) => Ordering::Greater,
            (_, Item::Number { .. }) => Ordering::Less,
            (Item::List(p), Item::List(q)) => self.lists(p, q),
            (Item::List(_), Item::Qualifier(_)) => Ordering::Greater,
            (Item::Qualifier(_), Item::List(_)) => Ordering::Less,
            (Item::Qualifier(p), Item::Qualifier(q)) => self.qualifiers(*p, *q),
        }
    }

    fn qualifiers(self, x: Qualifier, y: Qualifier) -> Ordering {
        match (x, y) {
            (Qualifier::Known(p), Qualifier::Known(q)) => p.cmp(&q),
            (Qualifier::Known(_), Qualifier::Other(_)) => Ordering::Less,
            (Qualifier::Other(_), Qualifier::Known(_)) => Ordering::Greater,
            (Qualifier::Other(p), Qualifier::Other(q)) => {
                lowercase(p.of_bytes(self.left)).cmp(lowercase(q.of_bytes(self.right)))
            }
        }
    }
}

/// How an item compares with a missing one; `text` is the item's own text.
fn against_missing(item: &Item, text: &[u8]) -> Ordering {
    match item {
        Item::Number { .. } if is_null(item, text) => Ordering::Equal,
        Item::Number { .. } => Ordering::Greater,
        Item::Qualifier(Qualifier::Known(rank)) => rank.cmp(&RELEASE_RANK),
        Item::Qualifier(Qualifier::Other(_)) => Ordering::Greater,
        Item::List(items) => items
            .iter()
            .map(|inner| against_missing(inner, text))
            .find(|order| *order != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
    }
}

fn lowercase(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    bytes.iter().map(u8::to_ascii_lowercase)
}

pub fn hash<H: Hasher>(text: &str, items: &Items, state: &mut H) {
    hash_list(text.as_bytes(), &items.0, state);
}

fn hash_list<H: Hasher>(text: &[u8], items: &[Item], state: &mut H) {
    state.write_u8(b'[');
    for item in items {
        match item {
            Item::Number { class, digits: span } => {
                state.write_u8(*class);
                digits::hash(span.of_bytes(text), state);
            }
            Item::Qualifier(Qualifier::Known(rank)) => state.write_u8(10 + rank),
            Item::Qualifier(Qualifier::Other(span)) => {
                state.write_u8(20);
                lowercase(span.of_bytes(text)).for_each(|b| state.write_u8(b));
                state.write_u8(0);
            }
            Item::List(inner) => hash_list(text, inner, state),
        }
    }
    state.write_u8(b']');
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::Maven.compare(a, b).unwrap()
    }

    #[test]
    fn qualifier_order() {
        let chain = [
            "1-alpha",
            "1-alpha-1",
            "1-b1",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.1",
        ];
        for pair in chain.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn equivalent_spellings() {
        for (a, b) in [
            ("1.0", "1"),
            ("1.0.0", "1-0"),
            ("1.0-0.0", "1"),
            ("1a1", "1-alpha-1"),
            ("1.a1", "1-alpha-1"),
            ("1.0.RC1", "1.0-rc1"),
            ("1-CR1", "1-rc-1"),
            ("1.0-final", "1"),
            ("1-GA", "1-release"),
            ("0001.2", "1.2"),
            ("1.X", "1.x"),
        ] {
            assert_eq!(cmp(a, b), Equal, "{a} == {b}");
        }
    }

    #[test]
    fn numbers_of_different_size_classes() {
        assert_eq!(cmp("1.2147483648", "1.2147483647"), Greater);
        assert_eq!(cmp("1.12345678901234567890", "1.123456789012345678"), Greater);
        // As in Maven: ten zeros keep their length, so they are a "long" zero above any int.
        assert_eq!(cmp("1.0000000000.1", "1.5"), Greater);
    }

    #[test]
    fn refuses_only_what_is_not_text() {
        for bad in ["", "1.0 1", "1.0\t", "é"] {
            assert!(Scheme::Maven.parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Scheme::Maven.parse("..--").is_ok());
    }
}
