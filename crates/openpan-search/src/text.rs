//! The two ways names and contents are cut into terms: words (jieba for Chinese, letters and
//! digits for the rest) for relevance, and single characters with their positions so a name can
//! be matched on any run of characters, the way people remember part of a file name.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The dictionary takes a moment to load, so only a node that indexes or searches loads it.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words of `text`, lowercased, in order: jieba's search mode (which adds the shorter words
/// inside long ones, so `季度报告` is found by `季度` and by `报告`), each word split further at
/// anything that is neither a letter nor a digit (`Q3_report-final` gives `q3`, `report`,
/// `final`).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in JIEBA.cut_for_search(text, true) {
        for part in token.word.split(|c: char| !c.is_alphanumeric()) {
            if !part.is_empty() {
                out.push(part.to_lowercase());
            }
        }
    }
    out
}

/// The characters of `text`, lowercased, whitespace left out but counted, so a phrase of
/// characters matches exactly the runs the text holds.
pub fn characters(text: &str) -> Vec<(usize, String)> {
    text.chars()
        .enumerate()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(position, c)| (position, c.to_lowercase().collect()))
        .collect()
}

/// Single characters and pairs of neighbouring characters of `text`, lowercased, whitespace
/// left out (and never paired across): a run of characters in a name has all its pairs among
/// the name's, so the pairs find candidate names for a run without positions to compare.
pub fn grams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut previous: Option<String> = None;
    for c in text.chars() {
        if c.is_whitespace() {
            previous = None;
            continue;
        }
        let c: String = c.to_lowercase().collect();
        if let Some(previous) = &previous {
            out.push(format!("{previous}{c}"));
        }
        out.push(c.clone());
        previous = Some(c);
    }
    out
}

/// What a query's run of characters must find among a name's grams: its pairs, or its single
/// characters when it has no pair.
pub fn query_grams(text: &str) -> Vec<String> {
    let all = grams(text);
    let pairs: Vec<String> = all.iter().filter(|gram| gram.chars().count() == 2).cloned().collect();
    let mut wanted = if pairs.is_empty() { all } else { pairs };
    wanted.sort();
    wanted.dedup();
    wanted
}

#[derive(Clone, Copy)]
pub struct WordTokenizer;

#[derive(Clone, Copy)]
pub struct GramTokenizer;

#[derive(Clone, Copy)]
pub struct CharTokenizer;

pub struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokens {
    /// A stream of `(position, text)` terms.
    fn at(terms: impl IntoIterator<Item = (usize, String)>) -> Self {
        let tokens = terms
            .into_iter()
            .map(|(position, text)| Token {
                position,
                text,
                position_length: 1,
                ..Token::default()
            })
            .collect();
        Self { tokens, next: 0 }
    }
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::at(words(text).into_iter().enumerate())
    }
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::at(grams(text).into_iter().enumerate())
    }
}

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::at(characters(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_give_their_words_and_the_words_inside_them() {
        let words = words("2024年第三季度销售报告.docx");
        for expected in ["季度", "销售", "报告", "docx"] {
            assert!(words.iter().any(|word| word == expected), "{expected} in {words:?}");
        }
    }

    #[test]
    fn english_names_split_at_punctuation_and_lowercase() {
        let words = words("Q3_Report-FINAL.pdf");
        for expected in ["q3", "report", "final", "pdf"] {
            assert!(words.iter().any(|word| word == expected), "{expected} in {words:?}");
        }
        assert!(words.iter().all(|word| word.chars().all(char::is_alphanumeric)));
    }

    #[test]
    fn grams_pair_neighbours_but_not_across_spaces() {
        assert_eq!(grams("Ab c"), ["a", "ab", "b", "c"]);
        assert_eq!(query_grams("销售报"), ["售报", "销售"]);
        assert_eq!(query_grams("a b"), ["a", "b"]);
    }

    #[test]
    fn characters_keep_their_places_across_spaces() {
        assert_eq!(characters("A b"), [(0, "a".to_owned()), (2, "b".to_owned())]);
    }
}
