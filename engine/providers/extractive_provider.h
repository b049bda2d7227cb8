// The extractive answerer: an LlmProvider that needs no model. It answers with sentences copied
// from the numbered sources, each followed by its citation, or says it cannot find the answer.
//
// How an answer is made (all from LlmRequest::question and ::sources; system prompt, history and
// generation settings other than max_tokens are ignored; an empty question falls back to the last
// user message):
//   1. Sources are split into sentences (ICU, ingest/chunking/text_segmentation.h).
//   2. Words become terms: case-folded, English stop words dropped, light English stemming
//      ("returns", "returned", "returning" -> "return"); ideographs and kana count one character
//      per term, so CJK matches without a word dictionary.
//   3. A sentence's coverage is the IDF-weighted share of the question's terms it contains (IDF
//      over all source sentences; question terms found nowhere weigh the most, so a question about
//      something absent stays unanswered). The source's title and heading path count half.
//   4. Headings and questions inside the sources (a sentence equal to a heading of its passage,
//      or ending in "?") are never quoted; their coverage (x0.8) passes to the next sentence, so
//      an FAQ's answer is found through its question.
//   5. Score = coverage x length factor (very short or very long sentences weigh less) x a small
//      bonus for better-ranked sources. Candidates need coverage >= min_coverage; the best one
//      is taken, then up to max_sentences - 1 more with at least relative_cutoff x its score,
//      skipping near-duplicates (overlapping chunks repeat sentences), within max_words words and
//      the request's generation.max_tokens.
//   6. Order: sentences are grouped by source, groups ordered by their best score and sentences
//      kept in document order inside a group. The most relevant passage comes first, and
//      sentences from one passage read in their original order (which keeps "... 30 days. Refunds
//      are issued ..." coherent).
// The answer is those sentences (whitespace collapsed, leading list bullets removed), each ending
// with " [n]" (n = SourcePassage::number), joined by spaces. No other words are added. When no
// sentence qualifies, or there are no sources, the answer is kExtractiveNoAnswer.
//
// Streaming: the answer is delivered word by word through on_delta; if on_delta returns false the
// call stops at once and returns Cancelled. stop_reason is "end_turn" ("max_tokens" when even the
// first sentence had to be cut to generation.max_tokens). Usage is counted with CountTokens
// (ingest/chunking/chunker.h): input = question + source texts, output = the answer.
// Deterministic: the same request always gives the same answer. Thread-safe (no mutable state).
#pragma once

#include <memory>
#include <string_view>

#include "engine/llm_provider.h"

namespace ragd {

inline constexpr std::string_view kExtractiveNoAnswer =
    "I couldn't find this in the documents I have.";

struct ExtractiveOptions {
  int max_sentences = 3;
  int max_words = 120;
  // Share of the question's (IDF-weighted) terms a sentence must cover to be quoted.
  double min_coverage = 0.35;
  // Sentences after the first need at least this fraction of the best sentence's score.
  double relative_cutoff = 0.6;
};

std::unique_ptr<LlmProvider> NewExtractiveProvider(const ExtractiveOptions& options = {});

}  // namespace ragd
