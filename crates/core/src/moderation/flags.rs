//! Auto-flagging: the school's word list and patterns, matched against every message in
//! time linear in its length.
//!
//! Matching uses the `regex` crate, which never backtracks, with a cap on the size of
//! each compiled program: an admin's pattern can make neither a send slow nor the
//! server's memory grow. Words match whole words, ignoring case; patterns ignore case too.

use crate::error::{ChatError, ErrorCode};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// Most words a school's list may hold.
pub const MAX_FLAG_WORDS: usize = 500;
/// Longest word, in characters.
pub const MAX_FLAG_WORD_CHARS: usize = 64;
/// Most patterns a school may keep.
pub const MAX_FLAG_PATTERNS: usize = 50;
/// Longest pattern, in characters.
pub const MAX_FLAG_PATTERN_CHARS: usize = 200;
/// The most memory the compiled rules of one kind may take, and the lazy DFA's cache.
const COMPILED_LIMIT: usize = 2 << 20;

/// A school's flag rules, compiled. Empty rules match nothing and cost nothing.
#[derive(Debug, Clone, Default)]
pub struct FlagRules {
    /// Every word, as one alternation between word boundaries.
    words: Option<Regex>,
    /// Every pattern, matched in one pass.
    patterns: Option<RegexSet>,
}

impl FlagRules {
    /// Compiles `words` and `patterns`, refusing any that break a limit or does not
    /// compile, with the one at fault named.
    pub fn compile(words: &[String], patterns: &[String]) -> Result<Self, ChatError> {
        check_words(words)?;
        check_patterns(patterns)?;
        let words = match words.is_empty() {
            true => None,
            false => {
                let alternation: Vec<String> =
                    words.iter().map(|word| regex::escape(word)).collect();
                let source = format!(r"\b(?:{})\b", alternation.join("|"));
                Some(
                    RegexBuilder::new(&source)
                        .case_insensitive(true)
                        .size_limit(COMPILED_LIMIT)
                        .dfa_size_limit(COMPILED_LIMIT)
                        .build()
                        .map_err(|_| {
                            invalid("flagWords are too many or too long to match quickly")
                        })?,
                )
            }
        };
        let patterns = match patterns.is_empty() {
            true => None,
            false => Some(
                RegexSetBuilder::new(patterns)
                    .case_insensitive(true)
                    .size_limit(COMPILED_LIMIT)
                    .dfa_size_limit(COMPILED_LIMIT)
                    .build()
                    .map_err(|_| invalid("flagPatterns together are too large to match quickly"))?,
            ),
        };
        Ok(Self { words, patterns })
    }

    /// What in `body` matched, for the moderation queue: each word found (as the list has
    /// it, lower-cased) and each pattern's position in the list, e.g. `word "idiot";
    /// pattern 2`. `None` when nothing matched.
    pub fn matches(&self, body: &str) -> Option<String> {
        let mut found: Vec<String> = Vec::new();
        if let Some(words) = &self.words {
            for hit in words.find_iter(body) {
                let word = format!("word \"{}\"", hit.as_str().to_lowercase());
                if !found.contains(&word) {
                    found.push(word);
                }
            }
        }
        if let Some(patterns) = &self.patterns {
            found.extend(
                patterns
                    .matches(body)
                    .into_iter()
                    .map(|index| format!("pattern {}", index + 1)),
            );
        }
        (!found.is_empty()).then(|| found.join("; "))
    }

    /// Whether any rule is set.
    pub fn is_empty(&self) -> bool {
        self.words.is_none() && self.patterns.is_none()
    }
}

fn invalid(message: impl Into<String>) -> ChatError {
    ChatError::validation(ErrorCode::InvalidRequest, message)
}

/// Each word: 1–64 characters, no control characters, not only whitespace.
fn check_words(words: &[String]) -> Result<(), ChatError> {
    if words.len() > MAX_FLAG_WORDS {
        return Err(invalid(format!(
            "flagWords has {} words; the limit is {MAX_FLAG_WORDS}",
            words.len()
        )));
    }
    for (index, word) in words.iter().enumerate() {
        let length = word.chars().count();
        if word.trim().is_empty()
            || length > MAX_FLAG_WORD_CHARS
            || word.chars().any(char::is_control)
        {
            return Err(invalid(format!(
                "flagWords[{index}] must be 1–{MAX_FLAG_WORD_CHARS} characters without control characters"
            )));
        }
    }
    Ok(())
}

/// Each pattern: 1–200 characters and compiles on its own within the size limit.
fn check_patterns(patterns: &[String]) -> Result<(), ChatError> {
    if patterns.len() > MAX_FLAG_PATTERNS {
        return Err(invalid(format!(
            "flagPatterns has {} patterns; the limit is {MAX_FLAG_PATTERNS}",
            patterns.len()
        )));
    }
    for (index, pattern) in patterns.iter().enumerate() {
        let length = pattern.chars().count();
        if pattern.is_empty() || length > MAX_FLAG_PATTERN_CHARS {
            return Err(invalid(format!(
                "flagPatterns[{index}] must be 1–{MAX_FLAG_PATTERN_CHARS} characters"
            )));
        }
        RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(COMPILED_LIMIT)
            .dfa_size_limit(COMPILED_LIMIT)
            .build()
            .map_err(|error| {
                let why = match error {
                    regex::Error::CompiledTooBig(_) => "is too large to match quickly".to_owned(),
                    regex::Error::Syntax(_) => "is not a valid pattern".to_owned(),
                    _ => "cannot be used".to_owned(),
                };
                invalid(format!("flagPatterns[{index}] {why}"))
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(words: &[&str], patterns: &[&str]) -> FlagRules {
        let words: Vec<String> = words.iter().map(|word| word.to_string()).collect();
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        FlagRules::compile(&words, &patterns).unwrap()
    }

    #[test]
    fn words_match_whole_words_ignoring_case() {
        let rules = rules(&["idiot", "kill myself"], &[]);
        assert_eq!(
            rules.matches("you IDIOT").as_deref(),
            Some("word \"idiot\"")
        );
        assert_eq!(rules.matches("idiotic"), None);
        assert_eq!(
            rules.matches("I want to kill myself").as_deref(),
            Some("word \"kill myself\"")
        );
        assert_eq!(rules.matches("nothing here"), None);
    }

    #[test]
    fn patterns_are_named_by_their_place_in_the_list() {
        let rules = rules(&[], &[r"\d{3}-\d{4}", "meet me"]);
        assert_eq!(
            rules.matches("Meet me at 555-1234").as_deref(),
            Some("pattern 1; pattern 2")
        );
        assert!(FlagRules::default().matches("anything").is_none());
    }

    #[test]
    fn huge_or_broken_patterns_are_refused_with_their_place() {
        let huge = vec![r"\w{100}\w{100}\w{100}".to_owned()];
        let error = FlagRules::compile(&[], &huge).unwrap_err();
        assert!(
            error.to_string().contains("flagPatterns[0] is too large"),
            "{error}"
        );
        let broken = vec!["ok".to_owned(), "(unclosed".to_owned()];
        let error = FlagRules::compile(&[], &broken).unwrap_err();
        assert!(
            error.to_string().contains("flagPatterns[1] is not a valid"),
            "{error}"
        );
        let too_many = vec!["a".to_owned(); MAX_FLAG_PATTERNS + 1];
        assert!(FlagRules::compile(&[], &too_many).is_err());
        assert!(FlagRules::compile(&["\u{7}".to_owned()], &[]).is_err());
        assert!(FlagRules::compile(&[" ".to_owned()], &[]).is_err());
    }

    #[test]
    fn matching_a_long_body_against_a_pathological_pattern_takes_linear_time() {
        // (a+)+$ backtracks exponentially elsewhere; here it is one pass.
        let rules = rules(&[], &["(a+)+$"]);
        let body = format!("{}b", "a".repeat(3999));
        assert_eq!(rules.matches(&body), None);
    }
}
