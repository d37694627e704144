//! AI knowledge bases (seed 002's `knowledge/…` APIs): datasets trained from drive files into
//! passages (`segment`) and question/answer pairs (`qa`), and what retrieves them. The
//! segmenter lives here because it is pure text work; reading files and the retrieval index
//! are behind [`KnowledgeEngine`], which the search crate implements.

use async_trait::async_trait;

use crate::ids::{EnterpriseId, ItemId, UserId, VersionId};

/// Newtype ids of the knowledge records.
macro_rules! kb_id {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);
    )*};
}

kb_id! {
    /// A dataset: what a knowledge GPT answers from.
    DatasetId;
    /// A drive file or folder added to a dataset.
    TaskId;
    /// One file a task trains: the unit of background work.
    TrainFileId;
    /// A passage or a question/answer pair of a trained file.
    SegmentId;
}

/// How a task's files are analysed (`analysis_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisMethod {
    /// docx, txt, md and pdf cut into passages.
    DirectSegment,
    /// csv and xlsx rows read as question and answer.
    Qa,
    /// xlsx rows, each a passage of `header: value` lines.
    Table,
}

impl AnalysisMethod {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "direct_segment" => Self::DirectSegment,
            "qa" => Self::Qa,
            "table" => Self::Table,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectSegment => "direct_segment",
            Self::Qa => "qa",
            Self::Table => "table",
        }
    }

    /// The `task_type` lists and match results name: question/answer imports are
    /// `csv_qa_import`.
    pub fn task_type(self) -> &'static str {
        match self {
            Self::DirectSegment => "direct_segment",
            Self::Qa => "csv_qa_import",
            Self::Table => "table",
        }
    }

    /// Whether a file of this name can be trained this way.
    pub fn accepts(self, name: &str) -> bool {
        let extension = crate::drive::extension(name);
        let accepted: &[&str] = match self {
            Self::DirectSegment => &["docx", "txt", "md", "markdown", "pdf"],
            Self::Qa => &["csv", "xlsx"],
            Self::Table => &["xlsx"],
        };
        accepted.contains(&extension.as_str())
    }
}

/// Where a file's training stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl TrainStatus {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// The number lists carry in `status`: 0 queued, 1 running, 2 done, 3 failed.
    pub fn code(self) -> i64 {
        match self {
            Self::Queued => 0,
            Self::Running => 1,
            Self::Done => 2,
            Self::Failed => 3,
        }
    }
}

/// A dataset and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub id: DatasetId,
    pub enterprise_id: EnterpriseId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    pub generation: i64,
    pub created_at: i64,
    pub modified_at: i64,
    pub segment_count: i64,
    pub qa_count: i64,
    pub task_count: i64,
}

/// Training parameters of a `direct_segment` task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRules {
    /// Characters a passage holds at most.
    pub max_chars: usize,
}

impl SegmentRules {
    pub const DEFAULT_MAX_CHARS: usize = 500;
    pub const MIN_MAX_CHARS: usize = 100;
    pub const MAX_MAX_CHARS: usize = 3000;
}

impl Default for SegmentRules {
    fn default() -> Self {
        Self {
            max_chars: Self::DEFAULT_MAX_CHARS,
        }
    }
}

/// A file or folder added to a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    pub dataset_id: DatasetId,
    pub item_id: ItemId,
    pub is_folder: bool,
    pub name: String,
    pub method: AnalysisMethod,
    pub rules: SegmentRules,
    pub added_by: UserId,
    pub created_at: i64,
}

/// A task with how its files stand.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskProgress {
    pub task: Task,
    pub files: i64,
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed_count: i64,
    /// The first files that failed.
    pub failed: Vec<FailedFile>,
}

impl TaskProgress {
    /// One status for the whole task: failed only when nothing else is left to do and some
    /// file failed; running while any file waits or runs.
    pub fn status(&self) -> TrainStatus {
        if self.running > 0 || (self.queued > 0 && self.done + self.failed_count > 0) {
            TrainStatus::Running
        } else if self.queued > 0 {
            TrainStatus::Queued
        } else if self.failed_count > 0 && self.done == 0 {
            TrainStatus::Failed
        } else {
            TrainStatus::Done
        }
    }
}

/// A file whose training failed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedFile {
    pub file_id: ItemId,
    pub file_name: String,
    pub reason: String,
}

/// A claimed training job.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainJob {
    pub id: TrainFileId,
    pub task_id: TaskId,
    pub dataset_id: DatasetId,
    pub file_id: ItemId,
    pub method: AnalysisMethod,
    pub rules: SegmentRules,
    /// Who added the task: training reads only what they may read.
    pub added_by: UserId,
    pub attempts: i64,
}

/// What a finished job stores: passages or question/answer pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trained {
    Segments(Vec<String>),
    Pairs(Vec<(String, String)>),
}

impl Trained {
    /// What each passage or pair is matched by: the passage, or the question and answer.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Self::Segments(passages) => passages.clone(),
            Self::Pairs(pairs) => pairs
                .iter()
                .map(|(question, answer)| indexed_text(Some(question), answer))
                .collect(),
        }
    }
}

/// The text a segment is matched by.
pub fn indexed_text(question: Option<&str>, content: &str) -> String {
    match question {
        Some(question) => format!("{question}\n{content}"),
        None => content.to_owned(),
    }
}

/// Vectors of an embedding model, one per passage or pair in training order.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    pub model: String,
    pub vectors: Vec<Vec<f32>>,
}

/// A vector as stored: little-endian `f32`s.
pub fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|value| value.to_le_bytes()).collect()
}

/// A stored vector; `None` when the bytes are not whole `f32`s.
pub fn vector_of(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect(),
    )
}

/// A stored passage or pair, with its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: SegmentId,
    pub dataset_id: DatasetId,
    pub file_id: ItemId,
    pub file_name: String,
    pub method: AnalysisMethod,
    /// The question of a pair; `None` for a passage.
    pub question: Option<String>,
    /// The passage, or the pair's answer.
    pub content: String,
}

/// What the index holds of a segment: its text to match and which dataset it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedSegment {
    pub id: SegmentId,
    /// The passage, or the question and answer of a pair.
    pub text: String,
    /// Its vector and the model that made it, when one did.
    pub embedding: Option<(String, Vec<f32>)>,
}

/// A retrieval hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub segment: SegmentId,
    pub score: f32,
    /// Whether the embedding model found it close in meaning (its similarity reached the
    /// model's threshold), whatever the words.
    pub by_meaning: bool,
}

/// A file could not be trained; the reason is shown in the task list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainFailure(pub String);

/// Reads files for training and retrieves segments. The index is derived from the stored
/// segments (the engine catches a dataset up when its generation moved), so it may be lost.
#[async_trait]
pub trait KnowledgeEngine: Send + Sync {
    /// The text of a docx, txt, md or pdf file.
    async fn document_text(&self, name: &str, bytes: Vec<u8>) -> Result<String, TrainFailure>;
    /// The rows of a csv or xlsx file (the first sheet), cells as text.
    async fn table_rows(&self, name: &str, bytes: Vec<u8>) -> Result<Vec<Vec<String>>, TrainFailure>;
    /// The vectors of `texts` from the configured embedding model; `None` without one. It
    /// gives up well inside a training job's lease ([`crate::services`]' 5 minutes).
    async fn embed(&self, texts: &[String]) -> Result<Option<Embedded>, crate::gpt::ModelFailure> {
        let _ = texts;
        Ok(None)
    }
    /// The best `limit` segments of `datasets` for `question`, best first.
    async fn retrieve(&self, datasets: &[DatasetId], question: &str, limit: usize) -> crate::error::Result<Vec<Hit>>;
}

/// An embedding model: passages and questions as vectors, for dense retrieval.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model's name, stored with each vector: vectors of different models are never
    /// compared.
    fn model(&self) -> &str;
    /// One vector per text, in order.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, crate::gpt::ModelFailure>;
    /// The cosine similarity from which a passage counts as close in meaning to a question.
    fn min_similarity(&self) -> f32;
}

/// Files a dataset version trains: what a job needs of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSource {
    pub version_id: VersionId,
    pub name: String,
    pub storage_key: String,
    pub size: i64,
}

/// Sentence ends, Chinese and Western: a passage is cut after one of these, never inside a
/// sentence unless the sentence alone is longer than a passage.
const SENTENCE_ENDS: &[char] = &['。', '！', '？', '；', '!', '?', ';', '…'];

/// Whether a line reads as a heading: a Markdown heading, or a short line that does not end
/// like a sentence (a docx/pdf heading arrives as such a line).
pub(crate) fn is_heading(line: &str) -> bool {
    let trimmed = line.trim();
    if trimmed.starts_with('#') {
        return true;
    }
    let count = trimmed.chars().count();
    (1..=30).contains(&count)
        && !trimmed.ends_with(|c: char| SENTENCE_ENDS.contains(&c) || matches!(c, '.' | '，' | ',' | '：' | ':' | '、'))
        && !trimmed.starts_with(['-', '*', '•'])
}

/// The first sentence of a paragraph.
pub(crate) fn first_sentence(paragraph: &str) -> String {
    sentences(paragraph).into_iter().next().unwrap_or_default()
}

/// The sentences of a paragraph, each keeping its closing punctuation.
fn sentences(paragraph: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = paragraph.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let western_stop = c == '.' && chars.peek().is_none_or(|next| next.is_whitespace());
        if SENTENCE_ENDS.contains(&c) || western_stop {
            // Closing quotes and brackets belong to the sentence they end.
            while let Some(&next) = chars.peek() {
                if matches!(next, '”' | '’' | '」' | '』' | '）' | ')' | '"' | '\'') {
                    current.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            let sentence = current.trim().to_owned();
            if !sentence.is_empty() {
                out.push(sentence);
            }
            current.clear();
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// Cuts `text` into passages of at most `rules.max_chars` characters: whole sentences
/// gathered under the heading they follow (the heading starts the passage, and a passage
/// continued under the same heading repeats it), a sentence cut only when it alone is too
/// long. Paragraphs keep their line breaks; whitespace runs are folded.
pub fn segment(text: &str, rules: SegmentRules) -> Vec<String> {
    let mut passages = Passages {
        max: rules.max_chars.max(SegmentRules::MIN_MAX_CHARS),
        ..Passages::default()
    };
    let room_for_headings = passages.max / 3;
    for raw_line in text.lines() {
        let line = printable(raw_line).split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let title_chars = title.chars().count();
        // A heading is repeated in every passage of its section, so it stays short; headings
        // that pile up without text under them (a list of short lines) are text.
        if is_heading(&line)
            && !title.is_empty()
            && title_chars <= room_for_headings
            && (passages.body || passages.heading.chars().count() + title_chars <= room_for_headings)
        {
            passages.heading_line(title);
        } else {
            for sentence in sentences(&line) {
                passages.sentence(&sentence);
            }
            passages.paragraph_end();
        }
    }
    passages.flush();
    passages.out
}

/// The passages being cut by [`segment`].
#[derive(Default)]
struct Passages {
    max: usize,
    out: Vec<String>,
    /// The headings the current passage sits under.
    heading: String,
    current: String,
    chars: usize,
    /// Whether the current passage has text beyond its headings.
    body: bool,
}

impl Passages {
    fn flush(&mut self) {
        let passage = self.current.trim();
        if !passage.is_empty() {
            self.out.push(passage.to_owned());
        }
        self.current.clear();
        self.chars = 0;
        self.body = false;
    }

    /// Starts the passage over under the current headings (a passage of headings alone is
    /// dropped: the headings go on into the next).
    fn restart(&mut self) {
        if self.body {
            self.flush();
        } else {
            self.current.clear();
            self.chars = 0;
        }
        self.current.push_str(&self.heading);
        self.chars = self.heading.chars().count();
    }

    fn heading_line(&mut self, title: &str) {
        if self.body {
            self.heading.clear();
        } else if !self.heading.is_empty() {
            // A heading right under another (a chapter, then its section) joins it.
            self.heading.push('\n');
        }
        self.heading.push_str(title);
        self.restart();
    }

    fn sentence(&mut self, sentence: &str) {
        let length = sentence.chars().count();
        let separator = usize::from(!self.current.is_empty());
        if self.body && self.chars + separator + length > self.max {
            self.restart();
        }
        if !self.current.is_empty() {
            // Under a heading or after a paragraph a new line; between Western sentences a
            // space; Chinese sentences follow each other directly.
            if !self.body || self.current.ends_with('\n') {
                if !self.current.ends_with('\n') {
                    self.current.push('\n');
                    self.chars += 1;
                }
            } else if self.current.ends_with(|c: char| c.is_ascii()) || sentence.starts_with(|c: char| c.is_ascii()) {
                self.current.push(' ');
                self.chars += 1;
            }
        }
        let mut rest: Vec<char> = sentence.chars().collect();
        loop {
            let room = self.max.saturating_sub(self.chars).max(1);
            let take = room.min(rest.len());
            self.current.extend(rest.drain(..take));
            self.chars += take;
            self.body = true;
            if rest.is_empty() {
                break;
            }
            // One sentence longer than a passage: cut at the limit.
            self.flush();
        }
    }

    fn paragraph_end(&mut self) {
        if self.body && !self.current.ends_with('\n') {
            self.current.push('\n');
            self.chars += 1;
        }
    }
}

/// `text` without control characters (a NUL from a PDF's text, say), line breaks and tabs
/// kept.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// Question/answer pairs from table rows: the columns headed 问题/question and 答案/answer
/// (any case, with or without a header row, else the first two columns); rows missing
/// either are skipped.
pub fn pairs_of(rows: &[Vec<String>]) -> Vec<(String, String)> {
    let header = rows.first();
    let find = |names: &[&str]| {
        header.and_then(|header| {
            header
                .iter()
                .position(|cell| names.iter().any(|name| cell.trim().eq_ignore_ascii_case(name)))
        })
    };
    let question = find(&["问题", "question", "问", "q"]);
    let answer = find(&["答案", "answer", "回答", "答", "a"]);
    let (question, answer, skip) = match (question, answer) {
        (Some(question), Some(answer)) => (question, answer, 1),
        _ => (0, 1, 0),
    };
    rows.iter()
        .skip(skip)
        .filter_map(|row| {
            let question = printable(row.get(question)?.trim());
            let answer = printable(row.get(answer)?.trim());
            (!question.is_empty() && !answer.is_empty()).then_some((question, answer))
        })
        .collect()
}

/// Passages from table rows: each row under the first row's headers, a `header: value` line
/// per non-empty cell.
pub fn table_passages(rows: &[Vec<String>]) -> Vec<String> {
    let Some((header, body)) = rows.split_first() else {
        return Vec::new();
    };
    body.iter()
        .filter_map(|row| {
            let lines: Vec<String> = row
                .iter()
                .enumerate()
                .filter(|(_, cell)| !cell.trim().is_empty())
                .map(|(index, cell)| match header.get(index).map(|name| name.trim()) {
                    Some(name) if !name.is_empty() => printable(&format!("{name}: {}", cell.trim())),
                    _ => printable(cell.trim()),
                })
                .collect();
            (!lines.is_empty()).then(|| lines.join("\n"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(max_chars: usize) -> SegmentRules {
        SegmentRules { max_chars }
    }

    #[test]
    fn passages_keep_sentences_whole_and_under_their_heading() {
        let text = "# 高血压防治\n\n自测血压。使用上臂式电子血压计！不推荐腕式血压计？\n\n## 饮食\n少盐。多吃蔬菜。";
        let passages = segment(text, rules(500));
        assert_eq!(
            passages,
            vec![
                "高血压防治\n自测血压。使用上臂式电子血压计！不推荐腕式血压计？".to_owned(),
                "饮食\n少盐。多吃蔬菜。".to_owned(),
            ]
        );
    }

    #[test]
    fn a_long_section_is_cut_between_sentences_and_repeats_its_heading() {
        let sentence = "这是一个有二十个字左右的完整句子内容。";
        let body = sentence.repeat(12);
        let passages = segment(&format!("第一章 总则\n{body}"), rules(100));
        assert!(passages.len() >= 3, "{passages:?}");
        for passage in &passages {
            assert!(passage.chars().count() <= 100, "{passage}");
            assert!(passage.starts_with("第一章 总则\n"), "{passage}");
            assert!(passage.ends_with('。'), "cut inside a sentence: {passage}");
        }
        let sentences: usize = passages.iter().map(|passage| passage.matches(sentence).count()).sum();
        assert_eq!(sentences, 12, "every sentence kept once");
    }

    #[test]
    fn english_sentences_end_at_a_full_stop_before_a_space_only() {
        assert_eq!(
            sentences("Version 2.5 is out. Upgrade now! Really?"),
            vec!["Version 2.5 is out.", "Upgrade now!", "Really?"]
        );
        assert_eq!(sentences("他说：“好。”然后走了。"), vec!["他说：“好。”", "然后走了。"]);
    }

    #[test]
    fn a_sentence_longer_than_a_passage_is_cut_at_the_limit() {
        let long = "字".repeat(250);
        let passages = segment(&format!("{long}。"), rules(100));
        assert_eq!(passages.len(), 3);
        assert!(passages.iter().all(|passage| passage.chars().count() <= 100));
        assert_eq!(passages.concat(), format!("{long}。"));
    }

    #[test]
    fn stacked_headings_join_and_a_long_hash_line_is_text_not_a_heading() {
        let passages = segment("第一章\n第一节\n正文。", rules(500));
        assert_eq!(passages, vec!["第一章\n第一节\n正文。".to_owned()]);
        let long = format!("# {}", "长".repeat(5000));
        let passages = segment(&format!("{long}\n短句。短句。"), rules(100));
        let total: usize = passages.iter().map(|passage| passage.chars().count()).sum();
        assert!(total < 5200, "the long line was repeated: {total} characters");
        assert!(passages.iter().all(|passage| passage.chars().count() <= 100));
    }

    #[test]
    fn control_characters_never_reach_a_passage() {
        let passages = segment("甲\u{0}乙。\u{7}丙。", rules(100));
        assert_eq!(passages, vec!["甲乙。丙。".to_owned()]);
        let pairs = pairs_of(&[vec!["q\u{0}".to_owned(), "a\u{0}".to_owned()]]);
        assert_eq!(pairs, vec![("q".to_owned(), "a".to_owned())]);
    }

    #[test]
    fn pairs_come_from_the_headed_columns_or_the_first_two() {
        let headed = vec![
            vec!["编号".to_owned(), "问题".to_owned(), "答案".to_owned()],
            vec![
                "1".to_owned(),
                "开放平台是什么？".to_owned(),
                "二次开发服务平台。".to_owned(),
            ],
            vec!["2".to_owned(), "".to_owned(), "没有问题的行".to_owned()],
        ];
        assert_eq!(
            pairs_of(&headed),
            vec![("开放平台是什么？".to_owned(), "二次开发服务平台。".to_owned())]
        );
        let bare = vec![vec!["How do I log in?".to_owned(), "With your email.".to_owned()]];
        assert_eq!(
            pairs_of(&bare),
            vec![("How do I log in?".to_owned(), "With your email.".to_owned())]
        );
    }

    #[test]
    fn table_rows_become_header_value_passages() {
        let rows = vec![
            vec!["城市".to_owned(), "人口".to_owned()],
            vec!["杭州".to_owned(), "1252万".to_owned()],
            vec![String::new(), String::new()],
        ];
        assert_eq!(table_passages(&rows), vec!["城市: 杭州\n人口: 1252万".to_owned()]);
    }

    #[test]
    fn methods_accept_their_kinds_of_file() {
        assert!(AnalysisMethod::DirectSegment.accepts("手册.DOCX"));
        assert!(AnalysisMethod::DirectSegment.accepts("notes.md"));
        assert!(!AnalysisMethod::DirectSegment.accepts("data.xlsx"));
        assert!(AnalysisMethod::Qa.accepts("faq.csv"));
        assert!(AnalysisMethod::Table.accepts("t.xlsx"));
        assert!(!AnalysisMethod::Table.accepts("t.csv"));
    }
}
