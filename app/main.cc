// `ragd`: command-line entry point. Parses flags with CLI11 and hands a Config to a subcommand.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "app/commands.h"
#include "core/config.h"

namespace {

using ragd::ConfigOptions;
using ragd::EnvNameFor;
using ragd::FlagNameFor;

constexpr char kConfigHelp[] =
    "Path to ragd.toml (env RAGD_CONFIG; default ./ragd.toml when present)";

// Adds every configuration option as a flag of `cmd`; given values land in `flags`.
void AddConfigFlags(CLI::App* cmd, std::map<std::string, std::string>* flags) {
  const ragd::Config defaults;
  for (const ragd::OptionSpec& spec : ConfigOptions()) {
    std::string help = spec.help + "\n  env " + EnvNameFor(spec.key) + ", toml " + spec.key;
    help += spec.secret ? " (secret)" : ", default '" + spec.get(defaults) + "'";
    cmd->add_option_function<std::string>(
           "--" + FlagNameFor(spec.key),
           [flags, key = spec.key](const std::string& v) { (*flags)[key] = v; }, help)
        ->type_name(spec.type == ragd::OptionType::kInt ? "INT" : "TEXT");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ragd: a knowledge-base chatbot engine (documents in, grounded cited answers out).\n"
      "Configuration: built-in defaults < ragd.toml < RAGD_* environment < flags.\n"
      "Run `ragd serve --help` for every option."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ragd 0.1.0");
  std::string config_path;
  app.add_option("--config", config_path, kConfigHelp)->envname("RAGD_CONFIG");

  std::map<std::string, std::string> flags;
  ragd::ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP server (API, uploads, web chat)");
  serve->add_flag(
      "--demo", serve_flags.demo,
      "Print the URL and a fresh demo admin API key (the previous demo key is revoked)");
  serve->add_option("--demo-dir", serve_flags.demo_dir,
                    "Documents for the demo bot (default: data/demo of the source tree)");
  AddConfigFlags(serve, &flags);

  ragd::IngestFlags ingest_flags;
  CLI::App* ingest = app.add_subcommand(
      "ingest", "Ingest files and folders into a bot (created if missing), with a progress bar");
  ingest->add_option("--bot", ingest_flags.bot, "The bot's key")->required();
  ingest->add_option("--password", ingest_flags.password, "Password for encrypted PDFs");
  ingest->add_flag("--quiet", ingest_flags.quiet, "No progress bar");
  ingest->add_option("paths", ingest_flags.paths, "Files or folders")->required();
  AddConfigFlags(ingest, &flags);

  ragd::EvalFlags eval_flags;
  CLI::App* eval = app.add_subcommand(
      "eval",
      "Retrieval quality on a BEIR-format dataset: indexes the corpus into a throwaway data\n"
      "directory through the normal ingestion path, runs every judged query and prints\n"
      "nDCG@10, Recall@100 and MRR@10 (the query's own id dropped, as BEIR does)");
  eval->add_option("--corpus", eval_flags.corpus, "corpus.jsonl[.gz] ({_id, title, text})")
      ->required();
  eval->add_option("--queries", eval_flags.queries, "queries.jsonl[.gz] ({_id, text})")->required();
  eval->add_option("--qrels", eval_flags.qrels, "qrels TSV (query-id, corpus-id, score)")
      ->required();
  eval->add_option("--mode", eval_flags.modes,
                   "lexical | semantic | hybrid | all; may be repeated (default all)")
      ->check(CLI::IsMember({"lexical", "semantic", "hybrid", "all"}))
      ->delimiter(',')
      ->take_all();
  eval->add_option("--embedder", eval_flags.embedder,
                   "local (USE-lite when its model files are present, else hashing) | hashing")
      ->check(CLI::IsMember({"local", "hashing"}));
  eval->add_option("--models-dir", eval_flags.models_dir, "Where the USE-lite files are");
  eval->add_option("--data-dir", eval_flags.work_dir,
                   "Parent of the throwaway data directory (default: the system temp dir)");
  eval->add_flag("--keep", eval_flags.keep, "Keep the data directory (for `ragd serve` on it)");
  eval->add_option("--workers", eval_flags.workers, "Ingestion workers (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  eval->add_option("--query-threads", eval_flags.query_threads,
                   "Threads running queries (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  eval->add_option("--results", eval_flags.results,
                   "Results per query (default 101: BEIR's 100 plus the query's own document)")
      ->check(CLI::Range(1, 1000));
  eval->add_option("--json", eval_flags.json_path, "Also write the results as JSON (- = stdout)");
  eval->add_option("--trec-run", eval_flags.trec_run_dir,
                   "Also write <DIR>/<mode>.run: TREC run files (top 100, own id dropped)")
      ->check(CLI::ExistingDirectory);
  eval->add_flag("--quiet", eval_flags.quiet, "No progress on stderr");

  CLI::App* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  std::string key_name, key_role = "user", key_id;
  CLI::App* create = keys->add_subcommand("create", "Create a key (printed once; store it now)");
  create->add_option("--name", key_name, "A label for the key")->required();
  create->add_option("--role", key_role, "admin | user")->check(CLI::IsMember({"admin", "user"}));
  CLI::App* list = keys->add_subcommand("list", "List keys (never their secrets)");
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  revoke->add_option("id", key_id, "The key's id (see `ragd keys list`)")->required();
  for (CLI::App* cmd : {create, list, revoke}) AddConfigFlags(cmd, &flags);

  CLI11_PARSE(app, argc, argv);

  ragd::ConfigSources sources;
  sources.env = ragd::ProcessEnvironment();
  if (!config_path.empty()) {
    sources.toml_path = config_path;
    sources.toml_required = true;
  } else {
    sources.toml_path = "ragd.toml";
  }
  sources.flags = flags;
  ragd::StatusOr<ragd::Config> config = ragd::LoadConfig(sources);
  if (!config.ok()) {
    std::fprintf(stderr, "ragd: configuration error: %s\n", config.status().message().c_str());
    return 2;
  }

  if (serve->parsed()) return ragd::RunServe(*config, serve_flags);
  if (ingest->parsed()) return ragd::RunIngest(*config, ingest_flags);
  if (eval->parsed()) return ragd::RunEval(*config, eval_flags);
  if (create->parsed()) return ragd::RunKeysCreate(*config, key_name, key_role);
  if (list->parsed()) return ragd::RunKeysList(*config);
  if (revoke->parsed()) return ragd::RunKeysRevoke(*config, key_id);
  return 2;
}
