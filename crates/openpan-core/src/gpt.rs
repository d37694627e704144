//! Knowledge GPTs ("知识员工") and chat: a GPT is a person's configured assistant (a setting,
//! an opening line, suggested questions, and the datasets it answers from), shared with
//! colleagues by link or listed on the enterprise's square. Answers come from a chat model
//! behind [`ChatModels`] when one is configured; without one, from the knowledge itself
//! ([`extractive_answer`]): the matching pair's answer, or the best passages quoted with
//! their files, never invented text.

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::ids::{EnterpriseId, ItemId, UserId};
use crate::knowledge::{DatasetId, Segment};

/// A knowledge GPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GptId(pub i64);

/// The answering styles (`temperature`) a GPT may have, in tenths.
pub const TEMPERATURES: std::ops::RangeInclusive<i64> = 3..=9;
/// The style of a GPT that names none.
pub const DEFAULT_TEMPERATURE: f64 = 0.6;

/// A labelled group of suggested questions (`suggested_question_complex`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SuggestedQuestions {
    pub label: String,
    pub question: Vec<String>,
}

/// What a GPT's owner sets (`base_info`).
#[derive(Debug, Clone, PartialEq)]
pub struct GptSettings {
    pub name: String,
    pub intro: String,
    pub system_prompt: String,
    pub chat_intro: String,
    pub data_ids: Vec<DatasetId>,
    /// Said when nothing relevant is found in the datasets.
    pub no_recall_replay: String,
    pub show_preview: bool,
    pub show_doc_source: bool,
    pub suggested: Vec<SuggestedQuestions>,
    pub temperature: f64,
}

/// Who an enabled share lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareScope {
    /// The owner's colleagues.
    Enterprise,
    /// Anyone signed in who holds the share token.
    Public,
}

impl ShareScope {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enterprise" => Some(Self::Enterprise),
            "public" => Some(Self::Public),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::Public => "public",
        }
    }
}

/// How a GPT is shared (`share_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptShare {
    pub enabled: bool,
    /// The last second the share works; `None`: it does not expire.
    pub expires_at: Option<i64>,
    pub scope: ShareScope,
    /// Made when the share is first enabled, kept after.
    pub token: Option<String>,
}

/// Who sees a GPT on the square.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewScope {
    /// Everyone in the owner's enterprise.
    All,
    /// The listed people.
    Selected,
}

impl ViewScope {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Self::All),
            "selected" => Some(Self::Selected),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Selected => "selected",
        }
    }
}

/// Whether and to whom a GPT is published on the square (`square_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GptSquare {
    pub published: bool,
    pub view_scope: ViewScope,
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gpt {
    pub id: GptId,
    pub enterprise_id: EnterpriseId,
    pub owner_id: UserId,
    pub settings: GptSettings,
    pub share: GptShare,
    pub square: GptSquare,
    pub created_at: i64,
    pub modified_at: i64,
}

impl Gpt {
    /// A GPT of `owner`'s with every setting at its default, unshared, off the square.
    pub fn new(enterprise_id: EnterpriseId, owner_id: UserId, now: i64) -> Self {
        Self {
            id: GptId(0),
            enterprise_id,
            owner_id,
            settings: GptSettings {
                name: String::new(),
                intro: String::new(),
                system_prompt: String::new(),
                chat_intro: String::new(),
                data_ids: Vec::new(),
                no_recall_replay: String::new(),
                show_preview: false,
                show_doc_source: false,
                suggested: Vec::new(),
                temperature: DEFAULT_TEMPERATURE,
            },
            share: GptShare {
                enabled: false,
                expires_at: None,
                scope: ShareScope::Enterprise,
                token: None,
            },
            square: GptSquare {
                published: false,
                view_scope: ViewScope::Selected,
                user_ids: Vec::new(),
            },
            created_at: now,
            modified_at: now,
        }
    }
}

/// How someone came to a GPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GptAccess {
    Owner,
    /// A colleague through an enabled share, or anyone through its token.
    Shared,
    /// Published to them on the square.
    Square,
}

impl Gpt {
    /// How `user` of `enterprise` may reach this GPT at `now`, holding `token` if any.
    pub fn access(&self, user: UserId, enterprise: EnterpriseId, token: Option<&str>, now: i64) -> Option<GptAccess> {
        if user == self.owner_id {
            return Some(GptAccess::Owner);
        }
        let colleague = enterprise == self.enterprise_id;
        let share = &self.share;
        if share.enabled && share.expires_at.is_none_or(|end| now <= end) {
            let holds_token = match (token, share.token.as_deref()) {
                (Some(given), Some(made)) => crate::secrets::ct_eq(given.as_bytes(), made.as_bytes()),
                _ => false,
            };
            let shared = match share.scope {
                ShareScope::Enterprise => colleague,
                ShareScope::Public => holds_token || colleague,
            };
            if shared {
                return Some(GptAccess::Shared);
            }
        }
        let square = &self.square;
        if square.published && colleague && (square.view_scope == ViewScope::All || square.user_ids.contains(&user)) {
            return Some(GptAccess::Square);
        }
        None
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// What a chat model is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The configured model name (`gpt_type`) to ask; `None`: the default one.
    pub model: Option<String>,
    pub messages: Vec<Message>,
    pub temperature: f64,
}

/// A chat model failed; said to the asker in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFailure(pub String);

/// The configured chat models (OpenAI-compatible endpoints), by the `gpt_type` names they
/// answer for.
#[async_trait]
pub trait ChatModels: Send + Sync {
    /// Whether a model answers for `name`.
    fn knows(&self, name: &str) -> bool;
    /// The answer's text as it is made, piece by piece.
    async fn stream(
        &self,
        request: ChatRequest,
    ) -> Result<BoxStream<'static, Result<String, ModelFailure>>, ModelFailure>;
}

/// A past question and its answer in one conversation (`sessionId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTurn {
    pub question: String,
    pub answer: String,
}

/// A turn to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTurn {
    pub user_id: UserId,
    pub session: String,
    pub gpt_id: Option<GptId>,
    pub question: String,
    pub answer: String,
    pub now: i64,
}

/// A file an answer drew from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file_id: ItemId,
    pub file_name: String,
}

/// The files of `hits`, each once, in hit order.
pub fn sources(hits: &[(Segment, f32)]) -> Vec<Source> {
    let mut out: Vec<Source> = Vec::new();
    for (segment, _) in hits {
        if !out.iter().any(|source| source.file_id == segment.file_id) {
            out.push(Source {
                file_id: segment.file_id,
                file_name: segment.file_name.clone(),
            });
        }
    }
    out
}

/// Passages an extractive answer quotes at most.
const QUOTED: usize = 3;

/// The answer made from the knowledge alone: the best hit's answer when it is a question and
/// answer pair, else the best passages quoted, each with its file.
pub fn extractive_answer(hits: &[(Segment, f32)]) -> Option<String> {
    let (best, _) = hits.first()?;
    if best.question.is_some() {
        return Some(best.content.clone());
    }
    let mut answer = String::from("以下内容摘自知识库：\n");
    for (segment, _) in hits
        .iter()
        .filter(|(segment, _)| segment.question.is_none())
        .take(QUOTED)
    {
        answer.push('\n');
        for line in segment.content.lines().filter(|line| !line.trim().is_empty()) {
            answer.push_str("> ");
            answer.push_str(line.trim());
            answer.push('\n');
        }
        answer.push_str(&format!("——《{}》\n", segment.file_name));
    }
    Some(answer)
}

/// The system message of a question answered with `hits` as context.
pub fn grounded_prompt(system_prompt: &str, hits: &[(Segment, f32)]) -> String {
    let mut prompt = String::new();
    if !system_prompt.trim().is_empty() {
        prompt.push_str(system_prompt.trim());
        prompt.push_str("\n\n");
    }
    if hits.is_empty() {
        return prompt.trim_end().to_owned();
    }
    prompt.push_str("请依据以下知识库内容回答用户的问题；知识库中没有的内容，请如实说明，不要编造。\n");
    for (number, (segment, _)) in hits.iter().enumerate() {
        prompt.push_str(&format!("\n[{}] 《{}》\n", number + 1, segment.file_name));
        if let Some(question) = &segment.question {
            prompt.push_str(&format!("问：{question}\n答："));
        }
        prompt.push_str(segment.content.trim());
        prompt.push('\n');
    }
    prompt
}

/// The pieces an answer is streamed in when it is not made piece by piece: its lines, so a
/// reader sees it arrive as a model's answer would.
pub fn pieces(answer: &str) -> Vec<String> {
    answer.split_inclusive('\n').map(str::to_owned).collect()
}

/// The summary and suggested questions of files (`get_ai_file_detail`) without a model: the
/// headings as a Markdown outline with each section's leading sentence, and a question for
/// each of the first headings.
pub fn extractive_outline(title: &str, texts: &[(String, String)]) -> (String, Vec<String>) {
    let mut outline = format!("# {}\n", title.trim());
    let mut questions = Vec::new();
    for (file_name, text) in texts {
        outline.push_str(&format!("\n## {file_name}\n"));
        let mut lead_pending = true;
        for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
            if crate::knowledge::is_heading(line) {
                let heading = line.trim_start_matches('#').trim();
                outline.push_str(&format!("### {heading}\n"));
                if questions.len() < 5 && !questions.iter().any(|q: &String| q.contains(heading)) {
                    questions.push(format!("{heading}的主要内容是什么？"));
                }
                lead_pending = true;
            } else if lead_pending {
                let lead = crate::knowledge::first_sentence(line);
                outline.push_str(&format!("- {lead}\n"));
                lead_pending = false;
            }
        }
    }
    if questions.is_empty() {
        questions.extend(
            texts
                .iter()
                .take(3)
                .map(|(file_name, _)| format!("《{file_name}》讲了什么？")),
        );
    }
    (outline, questions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{AnalysisMethod, SegmentId};

    fn passage(id: i64, file: &str, content: &str) -> (Segment, f32) {
        let segment = Segment {
            id: SegmentId(id),
            dataset_id: DatasetId(1),
            file_id: ItemId(id * 10),
            file_name: file.to_owned(),
            method: AnalysisMethod::DirectSegment,
            question: None,
            content: content.to_owned(),
        };
        (segment, 1.0)
    }

    #[test]
    fn an_extractive_answer_quotes_passages_with_their_files_and_a_pair_gives_its_answer() {
        let hits = vec![
            passage(1, "手册.docx", "报销需在30天内提交。\n逾期不予受理。"),
            passage(2, "制度.pdf", "差旅标准见附表。"),
        ];
        let answer = extractive_answer(&hits).unwrap();
        assert!(answer.starts_with("以下内容摘自知识库"));
        assert!(answer.contains("> 报销需在30天内提交。\n> 逾期不予受理。\n——《手册.docx》"));
        assert!(answer.contains("——《制度.pdf》"));
        let mut pair = passage(3, "faq.csv", "找前台领取。");
        pair.0.question = Some("门禁卡丢了怎么办？".to_owned());
        assert_eq!(extractive_answer(&[pair]).unwrap(), "找前台领取。");
        assert_eq!(extractive_answer(&[]), None);
    }

    #[test]
    fn a_share_lets_in_whom_its_scope_names_until_it_ends() {
        let mut gpt = Gpt::new(EnterpriseId(1), UserId(1), 0);
        gpt.share.token = Some("secret".to_owned());
        gpt.square.user_ids = vec![UserId(3)];
        let (colleague, outsider) = ((UserId(2), EnterpriseId(1)), (UserId(9), EnterpriseId(2)));
        assert_eq!(gpt.access(UserId(1), EnterpriseId(1), None, 10), Some(GptAccess::Owner));
        assert_eq!(gpt.access(colleague.0, colleague.1, None, 10), None);
        gpt.share.enabled = true;
        gpt.share.expires_at = Some(100);
        assert_eq!(gpt.access(colleague.0, colleague.1, None, 100), Some(GptAccess::Shared));
        assert_eq!(gpt.access(colleague.0, colleague.1, None, 101), None);
        assert_eq!(gpt.access(outsider.0, outsider.1, Some("secret"), 10), None);
        gpt.share.scope = ShareScope::Public;
        assert_eq!(
            gpt.access(outsider.0, outsider.1, Some("secret"), 10),
            Some(GptAccess::Shared)
        );
        assert_eq!(gpt.access(outsider.0, outsider.1, Some("guess"), 10), None);
        gpt.share.enabled = false;
        gpt.square.published = true;
        assert_eq!(
            gpt.access(UserId(3), EnterpriseId(1), None, 10),
            Some(GptAccess::Square)
        );
        assert_eq!(gpt.access(colleague.0, colleague.1, None, 10), None);
        gpt.square.view_scope = ViewScope::All;
        assert_eq!(gpt.access(colleague.0, colleague.1, None, 10), Some(GptAccess::Square));
        assert_eq!(gpt.access(outsider.0, outsider.1, None, 10), None);
    }

    #[test]
    fn an_outline_lists_headings_with_their_lead_and_asks_about_them() {
        let text = "差旅制度\n出差须提前申请。审批后方可预订。\n报销流程\n票据在30天内提交。".to_owned();
        let (outline, questions) = extractive_outline("制度", &[("差旅.docx".to_owned(), text)]);
        assert_eq!(
            outline,
            "# 制度\n\n## 差旅.docx\n### 差旅制度\n- 出差须提前申请。\n### 报销流程\n- 票据在30天内提交。\n"
        );
        assert_eq!(
            questions,
            vec!["差旅制度的主要内容是什么？", "报销流程的主要内容是什么？"]
        );
    }
}
