//! The knowledge bases' engine: reading files for training (document text, table rows) and
//! BM25 retrieval over the trained segments, words cut by jieba plus pairs of neighbouring
//! characters (so a question worded differently from the text still meets its passage).
//!
//! The index lives in memory and is derived from the stored segments: before a retrieval it
//! compares each asked dataset's generation with the one it indexed and re-reads the datasets
//! that moved. A restart, or a second node, simply indexes a dataset again on first use.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use async_trait::async_trait;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use openpan_core::drive::extension;
use openpan_core::error::{Error, Result};
use openpan_core::gpt::ModelFailure;
use openpan_core::knowledge::{DatasetId, Embedded, Embedder, Hit, KnowledgeEngine, SegmentId, TrainFailure};
use openpan_core::ports::Repo;

use crate::extract::{self, Format};
use crate::{GRAMS, WORDS, text};

/// Memory the index writer may use before it flushes.
const WRITER_MEMORY: usize = 32 << 20;
/// Rows read from a table at most.
const MAX_ROWS: usize = 20_000;
/// Columns read from a table at most.
const MAX_COLUMNS: usize = 64;
/// Texts sent to the embedding model per request.
const EMBED_BATCH: usize = 32;
/// Characters of a text the embedding model is given at most.
const EMBED_CHARS: usize = 2000;
/// How long embedding a file's passages may take: well inside a training job's lease.
const TRAIN_EMBED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);
/// How long embedding a question may take before retrieval goes on by text alone.
const QUESTION_EMBED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Reciprocal rank fusion's constant: how much the first ranks count over later ones.
const FUSION_K: f32 = 60.0;

/// A dataset's passage vectors (unit length), from the configured model.
type Vectors = Arc<Vec<(SegmentId, Vec<f32>)>>;

#[derive(Clone, Copy)]
struct Fields {
    segment: Field,
    dataset: Field,
    words: Field,
    pairs: Field,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    repo: Arc<dyn Repo>,
    /// The writer (made on first use: its threads and memory are for nodes that retrieve),
    /// and the generation each dataset was indexed at.
    writer: tokio::sync::Mutex<(Option<IndexWriter>, HashMap<DatasetId, i64>)>,
    /// The embedding model, when one is configured: retrieval is then hybrid.
    embedder: Option<Arc<dyn Embedder>>,
    /// Each indexed dataset's vectors of the configured model.
    vectors: std::sync::RwLock<HashMap<DatasetId, Vectors>>,
}

/// Implements the core's [`KnowledgeEngine`].
#[derive(Clone)]
pub struct KnowledgeIndex {
    inner: Arc<Inner>,
}

fn index_failure(err: tantivy::TantivyError) -> Error {
    Error::internal(format!("knowledge index: {err}"))
}

/// `vector` scaled to unit length (so a dot product is the cosine); `None` for a vector of
/// zeros or with a value that is not a number.
fn unit(mut vector: Vec<f32>) -> Option<Vec<f32>> {
    let norm = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    vector.iter_mut().for_each(|value| *value /= norm);
    Some(vector)
}

/// One list of hits from two rankings, by reciprocal rank fusion: a segment ranked high in
/// either comes early, one ranked high in both comes first.
fn fuse(lexical: &[Hit], dense: &[Hit], limit: usize) -> Vec<Hit> {
    let mut scores: Vec<Hit> = Vec::new();
    for ranking in [lexical, dense] {
        for (rank, hit) in ranking.iter().enumerate() {
            let score = 1.0 / (FUSION_K + rank as f32 + 1.0);
            match scores.iter_mut().find(|fused| fused.segment == hit.segment) {
                Some(fused) => {
                    fused.score += score;
                    fused.by_meaning |= hit.by_meaning;
                }
                None => scores.push(Hit {
                    segment: hit.segment,
                    score,
                    by_meaning: hit.by_meaning,
                }),
            }
        }
    }
    scores.sort_by(|a, b| b.score.total_cmp(&a.score));
    scores.truncate(limit);
    scores
}

impl KnowledgeIndex {
    pub fn new(repo: Arc<dyn Repo>, embedder: Option<Arc<dyn Embedder>>) -> Result<Self> {
        let mut builder = Schema::builder();
        let text_field = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let fields = Fields {
            segment: builder.add_u64_field("segment", INDEXED | FAST),
            dataset: builder.add_u64_field("dataset", INDEXED),
            words: builder.add_text_field("words", text_field(WORDS)),
            pairs: builder.add_text_field("pairs", text_field(GRAMS)),
        };
        let index = Index::create_in_ram(builder.build());
        index
            .tokenizers()
            .register(WORDS, TextAnalyzer::builder(text::WordTokenizer).build());
        index
            .tokenizers()
            .register(GRAMS, TextAnalyzer::builder(text::GramTokenizer).build());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_failure)?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                repo,
                writer: tokio::sync::Mutex::new((None, HashMap::new())),
                embedder,
                vectors: std::sync::RwLock::new(HashMap::new()),
            }),
        })
    }

    /// Re-indexes the datasets whose generation moved since they were indexed here.
    async fn catch_up(&self, datasets: &[DatasetId]) -> Result<()> {
        let inner = &self.inner;
        let current = inner.repo.dataset_generations(datasets).await?;
        let mut guard = inner.writer.lock().await;
        let (slot, indexed) = &mut *guard;
        // A deleted dataset's vectors leave memory (its documents match no dataset asked).
        let gone: Vec<DatasetId> = datasets
            .iter()
            .filter(|dataset| !current.iter().any(|(id, _)| id == *dataset))
            .copied()
            .collect();
        if !gone.is_empty() {
            let mut held = inner.vectors.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            for dataset in &gone {
                held.remove(dataset);
                indexed.remove(dataset);
            }
        }
        if current
            .iter()
            .all(|(dataset, generation)| indexed.get(dataset) == Some(generation))
        {
            return Ok(());
        }
        let writer = match slot {
            Some(writer) => writer,
            None => slot.insert(inner.index.writer(WRITER_MEMORY).map_err(index_failure)?),
        };
        let model = inner.embedder.as_ref().map(|embedder| embedder.model().to_owned());
        let mut caught_up = Vec::new();
        let mut vectors = Vec::new();
        for (dataset, generation) in current {
            if indexed.get(&dataset) == Some(&generation) {
                continue;
            }
            let Some((generation, segments)) = inner.repo.segments_to_index(dataset).await? else {
                continue;
            };
            let fields = inner.fields;
            writer.delete_term(Term::from_field_u64(fields.dataset, dataset.0 as u64));
            let mut dense = Vec::new();
            for segment in segments {
                if let Some((made_by, vector)) = &segment.embedding
                    && model.as_ref() == Some(made_by)
                    && let Some(vector) = unit(vector.clone())
                {
                    dense.push((segment.id, vector));
                }
                let mut document = TantivyDocument::default();
                document.add_u64(fields.segment, segment.id.0 as u64);
                document.add_u64(fields.dataset, dataset.0 as u64);
                document.add_text(fields.words, &segment.text);
                document.add_text(fields.pairs, &segment.text);
                if let Err(err) = writer.add_document(document) {
                    let _ = writer.rollback();
                    return Err(index_failure(err));
                }
            }
            caught_up.push((dataset, generation));
            vectors.push((dataset, Arc::new(dense)));
        }
        if caught_up.is_empty() {
            return Ok(());
        }
        // Only a committed dataset counts as caught up: a failed commit is redone next time.
        if let Err(err) = writer.commit() {
            let _ = writer.rollback();
            return Err(index_failure(err));
        }
        indexed.extend(caught_up);
        inner.reader.reload().map_err(index_failure)?;
        let mut held = inner.vectors.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        held.extend(vectors);
        Ok(())
    }

    fn search(&self, datasets: &[DatasetId], question: &str, limit: usize) -> Result<Vec<Hit>> {
        let fields = self.inner.fields;
        let term_query =
            |term: Term| -> Box<dyn Query> { Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) };
        let mut words: Vec<String> = text::words(question);
        words.sort();
        words.dedup();
        let mut wanted: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|word| (Occur::Should, term_query(Term::from_field_text(fields.words, word))))
            .collect();
        // Pairs of characters weigh less than words: they catch rewordings, words decide.
        wanted.extend(text::query_grams(question).iter().map(|pair| {
            let query: Box<dyn Query> = Box::new(BoostQuery::new(
                term_query(Term::from_field_text(fields.pairs, pair)),
                0.5,
            ));
            (Occur::Should, query)
        }));
        if wanted.is_empty() || datasets.is_empty() {
            return Ok(Vec::new());
        }
        let within: Vec<(Occur, Box<dyn Query>)> = datasets
            .iter()
            .map(|dataset| {
                let query: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_u64(fields.dataset, dataset.0 as u64),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, query)
            })
            .collect();
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(within)) as Box<dyn Query>),
            (Occur::Must, Box::new(BooleanQuery::new(wanted))),
        ]);
        let searcher = self.inner.reader.searcher();
        let hits = searcher
            .search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(index_failure)?;
        let mut out = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let column = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64("segment")
                .map_err(index_failure)?;
            if let Some(id) = column.first(address.doc_id) {
                out.push(Hit {
                    segment: SegmentId(id as i64),
                    score,
                    by_meaning: false,
                });
            }
        }
        Ok(out)
    }
}

fn unreadable(what: &str) -> TrainFailure {
    TrainFailure(format!("无法读取文件内容（{what}）"))
}

/// The cells of a csv (UTF-8 or GB18030, comma-separated, quoted as spreadsheets write it).
fn csv_rows(bytes: &[u8]) -> std::result::Result<Vec<Vec<String>>, TrainFailure> {
    let text = extract::decode_plain(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records().take(MAX_ROWS) {
        let record = record.map_err(|_| unreadable("CSV 格式有误"))?;
        rows.push(record.iter().take(MAX_COLUMNS).map(str::to_owned).collect());
    }
    Ok(rows)
}

/// The cells of an xlsx's first sheet, as text: read cell by cell, never as the dense grid
/// the sheet's claimed dimensions would make (one cell far out would ask for gigabytes), and
/// only the first [`MAX_ROWS`] rows and [`MAX_COLUMNS`] columns.
fn xlsx_rows(bytes: Vec<u8>) -> std::result::Result<Vec<Vec<String>>, TrainFailure> {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| unreadable("不是有效的 xlsx"))?;
    let first = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable("没有工作表"))?;
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable("工作表无法读取"))?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = std::collections::BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(|_| unreadable("工作表无法读取"))? {
        let (row, column) = cell.get_position();
        let column = column as usize;
        if column >= MAX_COLUMNS || (rows.len() >= MAX_ROWS && !rows.contains_key(&row)) {
            continue;
        }
        let text = Data::from(cell.get_value().clone()).to_string();
        if text.is_empty() {
            continue;
        }
        let cells = rows.entry(row).or_default();
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    Ok(rows.into_values().collect())
}

#[async_trait]
impl KnowledgeEngine for KnowledgeIndex {
    async fn document_text(&self, name: &str, bytes: Vec<u8>) -> std::result::Result<String, TrainFailure> {
        let format = match extension(name).as_str() {
            "txt" | "md" | "markdown" => Format::Plain,
            "docx" => Format::OfficeXml,
            "pdf" => Format::Pdf,
            _ => return Err(TrainFailure("不支持的文件类型".to_owned())),
        };
        match extract::text_of(format, bytes).await {
            Ok(Some(text)) if !text.trim().is_empty() => Ok(text),
            Ok(_) => Err(TrainFailure("文件中没有可读取的文字".to_owned())),
            Err(extract::TimedOut) => Err(TrainFailure("读取文件内容超时".to_owned())),
        }
    }

    async fn table_rows(&self, name: &str, bytes: Vec<u8>) -> std::result::Result<Vec<Vec<String>>, TrainFailure> {
        let is_csv = match extension(name).as_str() {
            "csv" => true,
            "xlsx" => false,
            _ => return Err(TrainFailure("不支持的文件类型".to_owned())),
        };
        // Parsing is CPU work, and a hostile file may make a parser panic: a blocking thread
        // contains both.
        let parsed = tokio::task::spawn_blocking(move || if is_csv { csv_rows(&bytes) } else { xlsx_rows(bytes) });
        match tokio::time::timeout(extract::EXTRACT_TIMEOUT, parsed).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(_)) => Err(unreadable("解析失败")),
            Err(_) => Err(TrainFailure("读取文件内容超时".to_owned())),
        }
    }

    async fn embed(&self, texts: &[String]) -> std::result::Result<Option<Embedded>, ModelFailure> {
        let Some(embedder) = &self.inner.embedder else {
            return Ok(None);
        };
        let all = async {
            let mut vectors = Vec::with_capacity(texts.len());
            for batch in texts.chunks(EMBED_BATCH) {
                let batch: Vec<String> = batch
                    .iter()
                    .map(|text| text.chars().take(EMBED_CHARS).collect())
                    .collect();
                vectors.extend(embedder.embed(&batch).await?);
            }
            Ok::<_, ModelFailure>(vectors)
        };
        let vectors = tokio::time::timeout(TRAIN_EMBED_TIMEOUT, all)
            .await
            .map_err(|_| ModelFailure("embedding the passages took too long".to_owned()))??;
        Ok(Some(Embedded {
            model: embedder.model().to_owned(),
            vectors,
        }))
    }

    async fn retrieve(&self, datasets: &[DatasetId], question: &str, limit: usize) -> Result<Vec<Hit>> {
        self.catch_up(datasets).await?;
        // Scoring is CPU work: off the async threads.
        let (index, asked, question_text) = (self.clone(), datasets.to_vec(), question.to_owned());
        let lexical = tokio::task::spawn_blocking(move || index.search(&asked, &question_text, limit))
            .await
            .map_err(|err| Error::internal(format!("knowledge search: {err}")))??;
        let Some(embedder) = &self.inner.embedder else {
            return Ok(lexical);
        };
        let pools: Vec<Vectors> = {
            let held = self
                .inner
                .vectors
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            datasets
                .iter()
                .filter_map(|dataset| held.get(dataset).cloned())
                .collect()
        };
        if pools.iter().all(|pool| pool.is_empty()) {
            return Ok(lexical);
        }
        let embedded = tokio::time::timeout(QUESTION_EMBED_TIMEOUT, embedder.embed(&[question.to_owned()])).await;
        let Some(asked) = (match embedded {
            Ok(Ok(mut vectors)) if vectors.len() == 1 => unit(vectors.remove(0)),
            _ => None,
        }) else {
            // Full-text alone still answers; the model being down must not stop retrieval.
            tracing::warn!("the embedding model did not embed a question; retrieving by text only");
            return Ok(lexical);
        };
        let close = embedder.min_similarity();
        let dense = tokio::task::spawn_blocking(move || {
            let mut dense: Vec<Hit> = pools
                .iter()
                .flat_map(|pool| pool.iter())
                .filter(|(_, vector)| vector.len() == asked.len())
                .map(|(segment, vector)| {
                    let score: f32 = vector.iter().zip(&asked).map(|(a, b)| a * b).sum();
                    Hit {
                        segment: *segment,
                        score,
                        by_meaning: score >= close,
                    }
                })
                .collect();
            dense.sort_by(|a, b| b.score.total_cmp(&a.score));
            dense.truncate(limit);
            dense
        })
        .await
        .map_err(|err| Error::internal(format!("knowledge search: {err}")))?;
        Ok(fuse(&lexical, &dense, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_quoted_commas_and_read_gb18030() {
        let rows = csv_rows("问题,答案\n\"如何登录,用什么?\",用邮箱\n".as_bytes()).unwrap();
        assert_eq!(rows[1], vec!["如何登录,用什么?".to_owned(), "用邮箱".to_owned()]);
        let (encoded, _, _) = encoding_rs::GB18030.encode("问题,答案\n你好,您好\n");
        let rows = csv_rows(&encoded).unwrap();
        assert_eq!(rows[1], vec!["你好".to_owned(), "您好".to_owned()]);
    }

    #[test]
    fn a_file_that_is_no_workbook_fails_with_a_reason() {
        let failure = xlsx_rows(b"not a zip".to_vec()).unwrap_err();
        assert!(failure.0.contains("xlsx"), "{failure:?}");
    }
}
