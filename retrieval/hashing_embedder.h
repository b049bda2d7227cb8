// A deterministic embedder without weights: signed feature hashing of lexical features. The
// fallback when the USE-lite model files are absent, and the embedder of fast tests.
//
// Features of the NFKC-case-folded text: word unigrams (weight 1; common English function
// words 0.2), adjacent word bigrams (0.5; 0.2 next to a function word; none between two), and
// boundary-marked character trigrams of content words ("<reset>" -> "<re", "res", ...; the n
// trigrams of a word weigh 1/sqrt(n) each, so every word adds the same trigram mass) so that
// inflections and typos still overlap. Words are runs of letters, digits and
// combining marks; every ideograph (Han, kana) is a word of its own, so CJK text gets unigram and
// bigram overlap without a dictionary. Each feature hashes (64-bit FNV-1a + mixer) to one of
// `dim` buckets with a hash-derived sign; a feature seen tf times contributes
// weight * (1 + ln tf) (the largest weight it was seen with). Rows are L2-normalised; a text
// without any word (empty, punctuation only) embeds to one fixed unit vector.
//
// Cosine similarity therefore measures weighted lexical overlap: "How do I reset my password?"
// and "Resetting a forgotten password" score well above unrelated sentences, but synonyms
// without shared letters ("login" / "sign in") do not.
//
// id() is "hashing-<dim>"; vectors depend only on the text and dim (fixed hash functions, no
// std::hash, features summed in a fixed order), so they are the same across runs and machines.
// Thread-safe; Embed never fails.
#pragma once

#include <memory>

#include "retrieval/embedder.h"

namespace ragd {

// `dim` below 1 is treated as 1.
std::unique_ptr<Embedder> NewHashingEmbedder(int dim = 512);

}  // namespace ragd
