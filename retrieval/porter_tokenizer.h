// PorterTokenizer: the tokenizer LexicalIndex's FTS5 tables use ('porter unicode61
// remove_diacritics 2'), callable outside any table, so that an in-memory index
// (retrieval/lexical_memory.h) sees exactly the tokens FTS5 indexes and queries with: case folded,
// diacritics removed, split on what unicode61 counts as separators, Porter-stemmed.
//
// It is SQLite's own tokenizer, reached through the fts5_api of a private in-memory connection
// the object owns (a tokenizer instance belongs to the connection that made it).
//
// Thread safety: none. FTS5's tokenizers keep scratch buffers in the instance; use one object per
// thread, or guard it.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string_view>

#include "core/status.h"

namespace ragd {

class PorterTokenizer {
 public:
  static StatusOr<std::unique_ptr<PorterTokenizer>> Create();
  ~PorterTokenizer();
  PorterTokenizer(const PorterTokenizer&) = delete;
  PorterTokenizer& operator=(const PorterTokenizer&) = delete;

  // Calls on_token(token) for each token of `text` in order (colocated tokens, which these
  // tokenizers never emit, are skipped). `query` selects FTS5_TOKENIZE_QUERY rather than
  // FTS5_TOKENIZE_DOCUMENT; the Porter tokenizer treats both alike. The view is valid only during
  // the call.
  template <typename Fn>
  Status Tokenize(std::string_view text, bool query, Fn&& on_token) {
    auto thunk = [](void* ctx, int tflags, const char* token, int n, int, int) -> int {
      if ((tflags & FTS5_TOKEN_COLOCATED) == 0) {
        (*static_cast<Fn*>(ctx))(std::string_view(token, static_cast<size_t>(n)));
      }
      return SQLITE_OK;
    };
    return Run(text, query, &on_token, thunk);
  }

 private:
  using Callback = int (*)(void*, int, const char*, int, int, int);
  PorterTokenizer() = default;
  Status Run(std::string_view text, bool query, void* ctx, Callback callback);

  sqlite3* db_ = nullptr;  // owned
  fts5_tokenizer api_{};
  ::Fts5Tokenizer* instance_ = nullptr;  // owned; freed with api_.xDelete
};

}  // namespace ragd
