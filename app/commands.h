// The `ragd` subcommands. Each returns a process exit code and prints user-facing errors itself.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace ragd {

struct ServeFlags {
  bool demo = false;     // rotate and print a demo admin key; create the demo bot
  std::string demo_dir;  // documents of the demo bot (default: the source tree's data/demo)
};

struct IngestFlags {
  std::string bot;
  std::vector<std::string> paths;
  std::string password;  // for encrypted PDFs
  bool quiet = false;    // no progress bar
};

// `ragd eval`: retrieval quality on a BEIR-format dataset, indexed into a throwaway data directory.
struct EvalFlags {
  std::string corpus;                        // corpus.jsonl[.gz]
  std::string queries;                       // queries.jsonl[.gz]
  std::string qrels;                         // qrels .tsv
  std::vector<std::string> modes = {"all"};  // lexical | semantic | hybrid | all
  std::string embedder = "local";            // local (USE-lite; hashing when absent) | hashing
  std::string models_dir;                    // empty: the configured models.dir
  std::string work_dir;   // parent of the throwaway data directory; empty: the system temp dir
  bool keep = false;      // keep the data directory (its path is printed)
  int workers = 0;        // ingestion workers; 0: the configured ingest.workers
  int query_threads = 0;  // 0: one per core
  // Results asked per query: BEIR ranks 100, plus one for the query's own document. Fewer makes
  // hybrid search fuse shallower candidate lists, as a chat bot does (Recall@100 then undercounts).
  int results = 101;
  std::string json_path;     // also write the results as JSON ("-": stdout)
  std::string trec_run_dir;  // also write <dir>/<mode>.run (TREC run files, top 100)
  bool quiet = false;        // no progress on stderr
};

int RunServe(const Config& config, const ServeFlags& flags);
int RunIngest(const Config& config, const IngestFlags& flags);
int RunEval(const Config& config, const EvalFlags& flags);
int RunKeysCreate(const Config& config, const std::string& name, const std::string& role);
int RunKeysList(const Config& config);
int RunKeysRevoke(const Config& config, const std::string& id);

}  // namespace ragd
