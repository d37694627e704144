//! Knowledge GPTs and chat: a person's GPTs, their sharing, the square, and answering a
//! conversation over datasets. Whoever asks, retrieval answers only passages of files the
//! asker may read now; a GPT shared with colleagues shares its setting, not its owner's files.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::gpt::{
    ChatModels, ChatRequest, ChatTurn, DEFAULT_TEMPERATURE, Gpt, GptAccess, GptId, GptSettings, Message, NewTurn, Role,
    ShareScope, Source, SuggestedQuestions, TEMPERATURES, ViewScope,
};
use crate::ids::UserId;
use crate::knowledge::{DatasetId, Segment};
use crate::model::Page;
use crate::services::Core;

/// GPTs a person may have.
const MAX_GPTS: usize = 100;
/// People a GPT may be published to by name.
const MAX_SQUARE_USERS: usize = 200;
/// Characters of an answer a conversation remembers.
const REMEMBERED_ANSWER: usize = 20_000;
/// Datasets a GPT answers from at most.
const MAX_GPT_DATASETS: usize = 20;
/// Passages retrieved for an answer.
const CONTEXT_HITS: usize = 5;
/// Turns of a conversation a follow-up is answered with.
const HISTORY_TURNS: i64 = 6;
/// Characters of a question at most.
const MAX_QUESTION: usize = 4000;
/// Characters of the files' text `get_ai_file_detail` gives a model.
const DETAIL_TEXT: usize = 8000;
/// Datasets an assistant conversation searches (the asker's newest).
const ASSISTANT_DATASETS: i64 = 50;

/// What `create_gpt` and `edit_gpt_info` set; `None` keeps (or, creating, defaults) a field.
#[derive(Debug, Default, Clone)]
pub struct GptChanges {
    pub name: Option<String>,
    pub intro: Option<String>,
    pub system_prompt: Option<String>,
    pub chat_intro: Option<String>,
    pub data_ids: Option<Vec<i64>>,
    pub no_recall_replay: Option<String>,
    pub show_preview: Option<bool>,
    pub show_doc_source: Option<bool>,
    pub suggested: Option<Vec<SuggestedQuestions>>,
    pub temperature: Option<f64>,
    pub share: Option<ShareChanges>,
    pub square: Option<SquareChanges>,
}

/// `share_info` as edited.
#[derive(Debug, Default, Clone)]
pub struct ShareChanges {
    pub status: Option<bool>,
    /// `yyyy-MM-dd` (through that day), an ISO-8601 time, or empty: it does not expire.
    pub expiration: Option<String>,
    pub show_scope: Option<String>,
}

/// `square_info` as edited.
#[derive(Debug, Default, Clone)]
pub struct SquareChanges {
    pub publish_square_enabled: Option<bool>,
    pub view_scope: Option<String>,
    pub user_ids: Option<Vec<i64>>,
}

/// A conversation's ask (`chatStream`).
#[derive(Debug, Default, Clone)]
pub struct ChatAsk {
    /// `(role, content)`, the last one the question.
    pub messages: Vec<(String, String)>,
    pub session: Option<String>,
    pub chat_type: Option<String>,
    pub gpt_id: Option<String>,
    /// The model (`gptType`); the default one when absent.
    pub gpt_type: Option<String>,
    /// A public share's token.
    pub share_token: Option<String>,
}

/// An answer as it is made.
pub struct ChatReply {
    /// The files drawn from, when the GPT shows them.
    pub sources: Vec<Source>,
    pub pieces: BoxStream<'static, String>,
}

/// How an answer is made.
enum Answer {
    /// Known whole (the knowledge's own words, or the GPT's out-of-scope reply).
    Fixed(String),
    /// A model's, streamed.
    Model(ChatRequest),
}

/// A text of at most `max` characters, trimmed.
fn bounded(field: &str, raw: &str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(Error::invalid(field, format!("长度不能超过{max}个字符")));
    }
    Ok(text.to_owned())
}

fn gpt_name(raw: &str) -> Result<String> {
    let name = bounded("name", raw, 50)?;
    if name.is_empty() {
        return Err(Error::invalid("name", "不能为空"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("name", "不能包含控制字符"));
    }
    Ok(name)
}

fn temperature(value: f64) -> Result<f64> {
    let tenths = (value * 10.0).round();
    if (value * 10.0 - tenths).abs() > 1e-6 || !TEMPERATURES.contains(&(tenths as i64)) {
        return Err(Error::invalid(
            "temperature",
            "可选值为0.3、0.4、0.5、0.6、0.7、0.8、0.9",
        ));
    }
    Ok(tenths / 10.0)
}

fn suggested(groups: Vec<SuggestedQuestions>) -> Result<Vec<SuggestedQuestions>> {
    let field = "suggested_question_complex";
    if groups.len() > 10 {
        return Err(Error::invalid(field, "最多10组"));
    }
    groups
        .into_iter()
        .map(|group| {
            if group.question.len() > 20 {
                return Err(Error::invalid(field, "每组最多20个问题"));
            }
            let question = group
                .question
                .iter()
                .map(|question| bounded(field, question, 200))
                .filter(|question| !matches!(question, Ok(text) if text.is_empty()))
                .collect::<Result<Vec<_>>>()?;
            Ok(SuggestedQuestions {
                label: bounded(field, &group.label, 20)?,
                question,
            })
        })
        .collect()
}

/// The last second of a share from `expiration` (see [`ShareChanges::expiration`]).
fn share_end(raw: &str) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Some(end) = crate::share::due_date_end(raw) {
        return Ok(Some(end - 1));
    }
    if let Ok(seconds) = raw.parse::<i64>() {
        return Ok(Some(seconds));
    }
    let parsed = jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", raw)
        .and_then(|time| time.to_timestamp())
        .or_else(|_| raw.parse::<jiff::Timestamp>());
    parsed
        .map(|at| Some(at.as_second()))
        .map_err(|_| Error::invalid("expiration", "格式必须是yyyy-MM-dd或ISO-8601时间"))
}

/// `expiration` as the seed prints it: `2024-08-29T15:59:59.000+0000`.
pub fn expiration_text(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|at| at.strftime("%Y-%m-%dT%H:%M:%S.000+0000").to_string())
        .unwrap_or_default()
}

/// Whether a passage speaks to a question: enough of the question's telling characters (CJK)
/// and words (Latin, digits) appear in it. Retrieval ranks by shared pairs of characters,
/// which any two Chinese texts have a few of; this tells a weak match from none.
pub(crate) fn speaks_to(question: &str, text: &str) -> bool {
    // Characters that say little about what a question is about.
    const FILLER: &str =
        "的了吗呢吧啊是在有和与及或就都也还又很太最更请问我你他她它们这那哪什么怎样如何为谁几个一不没要能会可以";
    const FILLER_WORDS: &[&str] = &[
        "a", "an", "and", "are", "be", "can", "did", "do", "does", "for", "how", "in", "is", "it", "my", "of", "on",
        "or", "our", "that", "the", "this", "to", "we", "what", "when", "where", "which", "who", "why", "you", "your",
    ];
    let text = text.to_lowercase();
    let mut telling: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in question.to_lowercase().chars().chain([' ']) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            continue;
        }
        if word.len() > 1 && !FILLER_WORDS.contains(&word.as_str()) {
            telling.push(std::mem::take(&mut word));
        }
        word.clear();
        if c.is_alphabetic() && !c.is_ascii() && !FILLER.contains(c) {
            telling.push(c.to_string());
        }
    }
    telling.sort();
    telling.dedup();
    if telling.is_empty() {
        return false;
    }
    let found = telling.iter().filter(|part| text.contains(part.as_str())).count();
    found * 2 >= telling.len()
}

impl Core {
    fn models(&self) -> Option<&Arc<dyn ChatModels>> {
        self.chat_models.as_ref()
    }

    /// Checks a `gpt_type`: a configured model's name, or one of the seed's names (answered
    /// from the knowledge when no model is configured).
    fn model_name(&self, field: &str, raw: Option<&str>) -> Result<Option<String>> {
        let Some(name) = raw.map(str::trim).filter(|name| !name.is_empty()) else {
            return Ok(None);
        };
        let known = match self.models() {
            Some(models) => models.knows(name),
            None => matches!(name, "360GPT" | "Doubao"),
        };
        if !known {
            return Err(Error::invalid(field, "没有配置这个模型"));
        }
        Ok(Some(name.to_owned()))
    }

    /// The caller's own datasets among `ids`, checked.
    async fn own_datasets(&self, owner: UserId, ids: &[i64]) -> Result<Vec<DatasetId>> {
        if ids.len() > MAX_GPT_DATASETS {
            return Err(Error::invalid("data_ids", "最多20个数据集"));
        }
        let mut out = Vec::new();
        for id in ids {
            let found = self.repo.find_dataset(DatasetId(*id)).await?;
            if found.is_none_or(|dataset| dataset.owner_id != owner) {
                return Err(Error::invalid("data_ids", format!("数据集{id}不存在")));
            }
            if !out.contains(&DatasetId(*id)) {
                out.push(DatasetId(*id));
            }
        }
        Ok(out)
    }

    /// Applies `changes` to `gpt`, checking each.
    async fn apply_gpt_changes(&self, gpt: &mut Gpt, changes: GptChanges) -> Result<()> {
        let settings = &mut gpt.settings;
        if let Some(name) = changes.name {
            settings.name = gpt_name(&name)?;
        }
        if let Some(intro) = changes.intro {
            settings.intro = bounded("intro", &intro, 500)?;
        }
        if let Some(prompt) = changes.system_prompt {
            settings.system_prompt = bounded("system_prompt", &prompt, 4000)?;
        }
        if let Some(intro) = changes.chat_intro {
            settings.chat_intro = bounded("chat_intro", &intro, 500)?;
        }
        if let Some(ids) = changes.data_ids {
            settings.data_ids = self.own_datasets(gpt.owner_id, &ids).await?;
        }
        if let Some(reply) = changes.no_recall_replay {
            settings.no_recall_replay = bounded("no_recall_replay", &reply, 1000)?;
        }
        if let Some(show) = changes.show_preview {
            settings.show_preview = show;
        }
        if let Some(show) = changes.show_doc_source {
            settings.show_doc_source = show;
        }
        if let Some(groups) = changes.suggested {
            settings.suggested = suggested(groups)?;
        }
        if let Some(value) = changes.temperature {
            settings.temperature = temperature(value)?;
        }
        if settings.system_prompt.is_empty() && settings.data_ids.is_empty() {
            return Err(Error::invalid("system_prompt", "知识员工设定和数据集两项最少填一项"));
        }
        if let Some(share) = changes.share {
            if let Some(scope) = share.show_scope {
                gpt.share.scope = ShareScope::parse(&scope)
                    .ok_or_else(|| Error::invalid("show_scope", "必须是enterprise或public"))?;
            }
            if let Some(expiration) = share.expiration {
                gpt.share.expires_at = share_end(&expiration)?;
            }
            if let Some(status) = share.status {
                // Turned on again, a share gets a new token: one that leaked ends with the
                // share it belonged to.
                if status && !gpt.share.enabled {
                    gpt.share.token = Some(crate::secrets::random_uuid_like());
                }
                gpt.share.enabled = status;
            }
        }
        if let Some(square) = changes.square {
            if let Some(scope) = square.view_scope {
                gpt.square.view_scope =
                    ViewScope::parse(&scope).ok_or_else(|| Error::invalid("view_scope", "必须是all或selected"))?;
            }
            if let Some(ids) = square.user_ids {
                if ids.len() > MAX_SQUARE_USERS {
                    return Err(Error::invalid("user_ids", "最多200人"));
                }
                let mut users = Vec::new();
                for id in ids {
                    let colleague = self.repo.find_user(UserId(id)).await?;
                    if colleague.is_none_or(|user| user.enterprise_id != gpt.enterprise_id) {
                        return Err(Error::invalid("user_ids", format!("用户{id}不存在")));
                    }
                    if !users.contains(&UserId(id)) {
                        users.push(UserId(id));
                    }
                }
                gpt.square.user_ids = users;
            }
            if let Some(published) = square.publish_square_enabled {
                gpt.square.published = published;
            }
        }
        Ok(())
    }

    /// `knowledge/create_gpt`.
    pub async fn create_gpt(&self, principal: &Principal, changes: GptChanges) -> Result<GptId> {
        let (me, _) = self.personal_space(principal).await?;
        if changes.name.is_none() {
            return Err(Error::invalid("name", "不能为空"));
        }
        if self.repo.list_gpts(me.user.id).await?.len() >= MAX_GPTS {
            return Err(Error::invalid("name", "知识员工数量已达上限"));
        }
        let now = self.clock.now();
        let mut gpt = Gpt::new(me.user.enterprise_id, me.user.id, now);
        self.apply_gpt_changes(&mut gpt, changes).await?;
        Ok(self.repo.create_gpt(&gpt).await?)
    }

    /// A GPT the caller may reach, and how; any other answers as missing.
    pub async fn gpt(&self, principal: &Principal, id: i64, token: Option<&str>) -> Result<(Gpt, GptAccess)> {
        let (me, _) = self.personal_space(principal).await?;
        self.reachable_gpt(&me.user, id, token).await
    }

    /// GPT `id` as `me` may reach it (see [`Core::gpt`]).
    async fn reachable_gpt(&self, me: &crate::model::User, id: i64, token: Option<&str>) -> Result<(Gpt, GptAccess)> {
        let missing = || Error::invalid("knowledge_gpt_id", "知识员工不存在");
        let gpt = self.repo.find_gpt(GptId(id)).await?.ok_or_else(missing)?;
        let access = gpt
            .access(me.id, me.enterprise_id, token, self.clock.now())
            .ok_or_else(missing)?;
        Ok((self.without_lost_datasets(gpt).await?, access))
    }

    /// A GPT's datasets that still exist (a deleted dataset leaves its GPTs).
    async fn without_lost_datasets(&self, mut gpt: Gpt) -> Result<Gpt> {
        let current = self.repo.dataset_generations(&gpt.settings.data_ids).await?;
        gpt.settings
            .data_ids
            .retain(|id| current.iter().any(|(dataset, _)| dataset == id));
        Ok(gpt)
    }

    /// The caller's own GPT `id`.
    async fn own_gpt(&self, principal: &Principal, id: i64) -> Result<Gpt> {
        match self.gpt(principal, id, None).await? {
            (gpt, GptAccess::Owner) => Ok(gpt),
            _ => Err(Error::invalid("knowledge_gpt_id", "只有创建者可以修改知识员工")),
        }
    }

    /// `knowledge/edit_gpt_info`.
    pub async fn edit_gpt(&self, principal: &Principal, id: i64, changes: GptChanges) -> Result<Gpt> {
        let mut gpt = self.own_gpt(principal, id).await?;
        self.apply_gpt_changes(&mut gpt, changes).await?;
        gpt.modified_at = self.clock.now();
        self.repo.update_gpt(&gpt).await?;
        Ok(gpt)
    }

    /// `knowledge/delete_gpt`.
    pub async fn delete_gpt(&self, principal: &Principal, id: i64) -> Result<()> {
        let gpt = self.own_gpt(principal, id).await?;
        self.repo.delete_gpt(gpt.id).await?;
        Ok(())
    }

    /// `knowledge/list`: the caller's GPTs, newest first.
    pub async fn list_gpts(&self, principal: &Principal) -> Result<Vec<Gpt>> {
        let (me, _) = self.personal_space(principal).await?;
        Ok(self.repo.list_gpts(me.user.id).await?)
    }

    /// `knowledge/list_square_gpt`: the GPTs published on the square to the caller.
    pub async fn list_square_gpts(&self, principal: &Principal) -> Result<Vec<Gpt>> {
        let (me, _) = self.personal_space(principal).await?;
        let now = self.clock.now();
        let gpts = self.repo.list_square_gpts(me.user.enterprise_id).await?;
        // The square shows whom it names, whoever else a share lets in.
        Ok(gpts
            .into_iter()
            .filter(|gpt| {
                matches!(
                    gpt.access(me.user.id, me.user.enterprise_id, None, now),
                    Some(GptAccess::Square | GptAccess::Owner)
                )
            })
            .collect())
    }

    /// `knowledge/chatStream`: answers the conversation's last question.
    pub async fn chat(&self, principal: &Principal, ask: ChatAsk) -> Result<ChatReply> {
        let (me, _) = self.personal_space(principal).await?;
        let session = ask.session.as_deref().map(str::trim).unwrap_or_default();
        if session.is_empty() {
            return Err(Error::invalid("sessionId", "不能为空"));
        }
        let session = bounded("sessionId", session, 128)?;
        let (question, mut history) = conversation(&ask.messages)?;
        let model = self.model_name("gptType", ask.gpt_type.as_deref())?;
        let (gpt, datasets) = match ask.chat_type.as_deref() {
            Some("ZSH_CHAT" | "KNOWLEDGE_GPT") => {
                let id = ask
                    .gpt_id
                    .as_deref()
                    .and_then(|id| id.trim().parse::<i64>().ok())
                    .ok_or_else(|| Error::invalid("knowledgeGptId", "知识号对话必须传知识员工id"))?;
                let (gpt, _) = self
                    .reachable_gpt(&me.user, id, ask.share_token.as_deref())
                    .await
                    .map_err(|err| match err {
                        Error::Invalid(_) => Error::invalid("knowledgeGptId", "知识员工不存在"),
                        other => other,
                    })?;
                let datasets = gpt.settings.data_ids.clone();
                (Some(gpt), datasets)
            }
            Some("ASSISTANT_CHAT") => {
                let page = Page::parse(Some(0), Some(ASSISTANT_DATASETS))?;
                let (mine, _) = self.repo.list_datasets(me.user.id, page).await?;
                (None, mine.into_iter().map(|dataset| dataset.id).collect())
            }
            _ => return Err(Error::invalid("chatType", "必须是ZSH_CHAT或ASSISTANT_CHAT")),
        };
        // A follow-up sent alone is answered in its conversation as remembered.
        if history.is_empty() {
            history = self
                .repo
                .recent_chat_turns(me.user.id, &session, HISTORY_TURNS)
                .await?
                .into_iter()
                .flat_map(|ChatTurn { question, answer }| {
                    [
                        Message::new(Role::User, question),
                        Message::new(Role::Assistant, answer),
                    ]
                })
                .collect();
        }
        let hits = self.relevant(me.user.id, &datasets, &question, &history).await?;
        let settings = gpt.as_ref().map(|gpt| &gpt.settings);
        let show_sources = settings.is_some_and(|settings| settings.show_doc_source);
        let sources = if show_sources {
            crate::gpt::sources(&hits)
        } else {
            Vec::new()
        };
        let answer = self.compose(settings, &datasets, &question, history, &hits, model);
        let turn = NewTurn {
            user_id: me.user.id,
            session,
            gpt_id: gpt.as_ref().map(|gpt| gpt.id),
            question,
            answer: String::new(),
            now: self.clock.now(),
        };
        let pieces = self.answer_pieces(answer, &hits).await;
        Ok(ChatReply {
            sources,
            pieces: remembered(self.clone(), pieces, turn),
        })
    }

    /// `knowledge/ai_chat`: one question, answered whole.
    pub async fn ai_chat(
        &self,
        principal: &Principal,
        question: Option<&str>,
        gpt_type: Option<&str>,
    ) -> Result<String> {
        let (me, _) = self.personal_space(principal).await?;
        let question = question.map(str::trim).unwrap_or_default();
        if question.is_empty() {
            return Err(Error::invalid("question", "不能为空"));
        }
        let question = bounded("question", question, MAX_QUESTION)?;
        let model = self
            .model_name("gpt_type", gpt_type)?
            .ok_or_else(|| Error::invalid("gpt_type", "不能为空"))?;
        let page = Page::parse(Some(0), Some(ASSISTANT_DATASETS))?;
        let (mine, _) = self.repo.list_datasets(me.user.id, page).await?;
        let datasets: Vec<DatasetId> = mine.into_iter().map(|dataset| dataset.id).collect();
        let hits = self.relevant(me.user.id, &datasets, &question, &[]).await?;
        let answer = self.compose(None, &datasets, &question, Vec::new(), &hits, Some(model));
        let pieces: Vec<String> = self.answer_pieces(answer, &hits).await.collect().await;
        Ok(pieces.concat())
    }

    /// The retrieved passages that speak to the question; a follow-up that finds none is
    /// searched again together with the question before it.
    async fn relevant(
        &self,
        reader: UserId,
        datasets: &[DatasetId],
        question: &str,
        history: &[Message],
    ) -> Result<Vec<(Segment, f32)>> {
        if datasets.is_empty() {
            return Ok(Vec::new());
        }
        let search = |query: String| async move {
            let hits = self.retrieve(reader, datasets, &query, CONTEXT_HITS).await?;
            Ok::<_, Error>(
                hits.into_iter()
                    .filter(|(segment, hit)| {
                        let text = crate::knowledge::indexed_text(segment.question.as_deref(), &segment.content);
                        hit.by_meaning || speaks_to(&query, &text)
                    })
                    .map(|(segment, hit)| (segment, hit.score))
                    .collect::<Vec<_>>(),
            )
        };
        let hits = search(question.to_owned()).await?;
        if !hits.is_empty() {
            return Ok(hits);
        }
        match history.iter().rev().find(|message| message.role == Role::User) {
            Some(earlier) => search(format!("{} {question}", earlier.content)).await,
            None => Ok(hits),
        }
    }

    /// How the answer is made: a model's when one is configured, else the knowledge's words.
    fn compose(
        &self,
        settings: Option<&GptSettings>,
        datasets: &[DatasetId],
        question: &str,
        history: Vec<Message>,
        hits: &[(Segment, f32)],
        model: Option<String>,
    ) -> Answer {
        if hits.is_empty()
            && !datasets.is_empty()
            && let Some(reply) = settings
                .map(|settings| settings.no_recall_replay.as_str())
                .filter(|reply| !reply.is_empty())
        {
            return Answer::Fixed(reply.to_owned());
        }
        if self.models().is_none() {
            return Answer::Fixed(offline_answer(hits, datasets.is_empty()));
        }
        let system_prompt = settings.map_or("你是企业云盘的AI助手，回答简洁、准确。", |settings| {
            settings.system_prompt.as_str()
        });
        let mut messages = vec![Message::new(
            Role::System,
            crate::gpt::grounded_prompt(system_prompt, hits),
        )];
        messages.extend(history);
        messages.push(Message::new(Role::User, question));
        Answer::Model(ChatRequest {
            model,
            messages,
            temperature: settings.map_or(DEFAULT_TEMPERATURE, |settings| settings.temperature),
        })
    }

    /// The answer's pieces as they come. A model that cannot be reached leaves the answer to
    /// the knowledge, saying so; one that fails midway ends the answer with a note.
    async fn answer_pieces(&self, answer: Answer, hits: &[(Segment, f32)]) -> BoxStream<'static, String> {
        let fixed = |text: String| futures_util::stream::iter(crate::gpt::pieces(&text)).boxed();
        let request = match answer {
            Answer::Fixed(text) => return fixed(text),
            Answer::Model(request) => request,
        };
        let Some(models) = self.models() else {
            return fixed(offline_answer(hits, false));
        };
        match models.stream(request).await {
            Ok(stream) => stream
                .scan(false, |failed, piece| {
                    let out = match piece {
                        _ if *failed => None,
                        Ok(text) => Some(text),
                        Err(failure) => {
                            tracing::warn!(error = %failure.0, "the chat model failed midway");
                            *failed = true;
                            Some("\n（回答生成中断，请稍后再试）".to_owned())
                        }
                    };
                    std::future::ready(out)
                })
                .boxed(),
            Err(failure) => {
                tracing::warn!(error = %failure.0, "the chat model cannot be reached");
                fixed(format!("（对话模型暂时无法访问）\n{}", offline_answer(hits, false)))
            }
        }
    }

    /// `knowledge/get_ai_file_detail`: a summary (a Markdown outline) and suggested questions
    /// of a dataset's files.
    pub async fn ai_file_detail(&self, principal: &Principal, dataset: i64) -> Result<(String, Vec<String>)> {
        let (me, dataset) = self.own_dataset(principal, dataset).await.map_err(|err| match err {
            Error::Invalid(_) => Error::invalid("ai_file_id", "数据集不存在"),
            other => other,
        })?;
        let page = Page::parse(Some(0), Some(Page::MAX_CAPACITY))?;
        // Only what the caller may read now, as the segment lists show it.
        let (passages, _) = self.readable_segments(me, dataset.id, false, page).await?;
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut last_file = None;
        for passage in passages {
            match texts.last_mut() {
                Some((_, text)) if last_file == Some(passage.file_id) => {
                    text.push('\n');
                    text.push_str(&passage.content);
                }
                _ => {
                    last_file = Some(passage.file_id);
                    texts.push((passage.file_name, passage.content));
                }
            }
        }
        if texts.is_empty() {
            let (pairs, _) = self.readable_segments(me, dataset.id, true, page).await?;
            let questions: Vec<String> = pairs.iter().filter_map(|pair| pair.question.clone()).take(3).collect();
            let outline = std::iter::once(format!("# {}\n", dataset.name))
                .chain(
                    pairs
                        .iter()
                        .filter_map(|pair| pair.question.as_ref())
                        .map(|q| format!("- {q}\n")),
                )
                .collect();
            return Ok((outline, questions));
        }
        let Some(models) = self.models() else {
            return Ok(crate::gpt::extractive_outline(&dataset.name, &texts));
        };
        let mut material = String::new();
        for (name, text) in &texts {
            material.push_str(&format!("《{name}》\n{text}\n\n"));
        }
        let material: String = material.chars().take(DETAIL_TEXT).collect();
        let ask = |instruction: &str| ChatRequest {
            model: None,
            messages: vec![
                Message::new(Role::System, instruction),
                Message::new(Role::User, material.clone()),
            ],
            temperature: DEFAULT_TEMPERATURE,
        };
        let summary = whole(
            models.as_ref(),
            ask("用Markdown思维导图（标题与列表）总结以下文件的内容。"),
        )
        .await;
        let questions = whole(
            models.as_ref(),
            ask("根据以下文件的内容，提出3个读者可能会问的问题，每行一个，不要编号。"),
        )
        .await;
        match (summary, questions) {
            (Ok(summary), Ok(questions)) => Ok((
                summary,
                questions
                    .lines()
                    .map(|line| line.trim().trim_start_matches(['-', '*', '•']).trim().to_owned())
                    .filter(|line| !line.is_empty())
                    .take(5)
                    .collect(),
            )),
            (Err(failure), _) | (_, Err(failure)) => {
                tracing::warn!(error = %failure.0, "the chat model cannot summarise");
                Ok(crate::gpt::extractive_outline(&dataset.name, &texts))
            }
        }
    }
}

/// A model's whole answer.
async fn whole(models: &dyn ChatModels, request: ChatRequest) -> std::result::Result<String, crate::gpt::ModelFailure> {
    let mut stream = models.stream(request).await?;
    let mut text = String::new();
    while let Some(piece) = stream.next().await {
        text.push_str(&piece?);
    }
    Ok(text)
}

/// The knowledge's own answer, or an honest word that it has none.
fn offline_answer(hits: &[(Segment, f32)], no_datasets: bool) -> String {
    crate::gpt::extractive_answer(hits).unwrap_or_else(|| {
        if no_datasets {
            "没有可以检索的知识库，且未配置对话模型，无法回答这个问题。".to_owned()
        } else {
            "知识库中没有找到与这个问题相关的内容。".to_owned()
        }
    })
}

/// The question (the last message, the user's) and the conversation before it.
fn conversation(messages: &[(String, String)]) -> Result<(String, Vec<Message>)> {
    let field = "messages";
    if messages.is_empty() {
        return Err(Error::invalid(field, "不能为空"));
    }
    if messages.len() > 100 {
        return Err(Error::invalid(field, "最多100条消息"));
    }
    let mut out = Vec::with_capacity(messages.len());
    for (role, content) in messages {
        let role = match role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => return Err(Error::invalid(field, "role只支持user或assistant")),
        };
        let content = content.trim();
        if content.is_empty() {
            return Err(Error::invalid(field, "content不能为空"));
        }
        out.push(Message::new(role, bounded(field, content, MAX_QUESTION)?));
    }
    match out.pop() {
        Some(Message {
            role: Role::User,
            content,
        }) => Ok((content, out)),
        _ => Err(Error::invalid(field, "最后一条消息必须是user的问题")),
    }
}

/// `pieces`, remembering the whole answer in its conversation once it has all been sent.
fn remembered(core: Core, pieces: BoxStream<'static, String>, turn: NewTurn) -> BoxStream<'static, String> {
    futures_util::stream::unfold(Some((core, pieces, turn)), |state| async move {
        let (core, mut pieces, mut turn) = state?;
        match pieces.next().await {
            Some(piece) => {
                if turn.answer.len() < REMEMBERED_ANSWER * 3 {
                    turn.answer.push_str(&piece);
                }
                Some((piece, Some((core, pieces, turn))))
            }
            None => {
                turn.answer = turn.answer.chars().take(REMEMBERED_ANSWER).collect();
                if let Err(err) = core.repo.add_chat_turn(&turn).await {
                    tracing::warn!(error = ?err, "remembering a chat turn failed");
                }
                None
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passage_speaks_to_a_question_sharing_its_telling_characters() {
        assert!(speaks_to("报销要在多久内提交？", "差旅费用须在30天内提交报销。"));
        assert!(speaks_to(
            "What is the VPN address?",
            "The VPN address is vpn.example.com."
        ));
        assert!(!speaks_to("今天天气怎么样？", "差旅费用须在30天内提交报销。"));
        assert!(!speaks_to("的吗呢", "任何文字"));
        assert!(speaks_to(
            "How do I reset my password?",
            "To reset a password, open Settings."
        ));
    }

    #[test]
    fn a_share_ends_through_the_day_it_names_or_at_the_time_given() {
        assert_eq!(share_end("").unwrap(), None);
        // 2024-08-29 through its end in China is the seed's 15:59:59 UTC.
        let end = share_end("2024-08-29").unwrap().unwrap();
        assert_eq!(expiration_text(end), "2024-08-29T15:59:59.000+0000");
        assert_eq!(share_end("2024-08-29T15:59:59.000+0000").unwrap(), Some(end));
        assert_eq!(share_end("2024-08-29T15:59:59Z").unwrap(), Some(end));
        assert!(share_end("tomorrow").is_err());
    }

    #[test]
    fn temperatures_are_tenths_from_three_to_nine() {
        assert_eq!(temperature(0.3).unwrap(), 0.3);
        assert_eq!(temperature(0.9).unwrap(), 0.9);
        assert!(temperature(0.2).is_err());
        assert!(temperature(0.65).is_err());
        assert!(temperature(1.0).is_err());
    }

    #[test]
    fn a_conversation_ends_with_the_users_question() {
        let said = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(r, c)| (r.to_string(), c.to_string())).collect()
        };
        let (question, history) = conversation(&said(&[("user", "a"), ("assistant", "b"), ("user", " c ")])).unwrap();
        assert_eq!(question, "c");
        assert_eq!(history.len(), 2);
        assert!(conversation(&said(&[("user", "a"), ("assistant", "b")])).is_err());
        assert!(conversation(&said(&[("system", "a")])).is_err());
        assert!(conversation(&said(&[("user", "  ")])).is_err());
        assert!(conversation(&[]).is_err());
    }
}
