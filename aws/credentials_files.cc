// Environment and shared-file links of the credentials chain, and the region chain.
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "aws/credentials.h"
#include "aws/credentials_internal.h"

namespace ragd {
namespace credentials_internal {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Drops a comment: ';' or '#' at the start of the line or after whitespace (so "a=b#c" keeps
// "#c", as the SDKs' INI parser does).
std::string_view StripComment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == ';' || line[i] == '#') &&
        (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
      return line.substr(0, i);
    }
  }
  return line;
}

// "profile   dev" -> "profile dev"; other names unchanged.
std::string NormalizeSectionName(std::string_view name) {
  size_t space = name.find_first_of(" \t");
  if (space == std::string_view::npos) return std::string(name);
  std::string_view prefix = name.substr(0, space);
  std::string_view rest = Trim(name.substr(space));
  if (prefix == "profile" || prefix == "sso-session" || prefix == "services") {
    return std::string(prefix) + " " + std::string(rest);
  }
  return std::string(name);
}

// Expands a leading "~/" with HOME.
std::string ExpandHome(const EnvLookup& env, const std::string& path) {
  if (path.rfind("~/", 0) == 0) {
    if (auto home = GetNonEmpty(env, "HOME")) return *home + path.substr(1);
  }
  return path;
}

std::string SharedFilePath(const EnvLookup& env, std::string_view override_var,
                           std::string_view default_suffix) {
  if (auto path = GetNonEmpty(env, override_var)) return ExpandHome(env, *path);
  if (auto home = GetNonEmpty(env, "HOME")) return *home + std::string(default_suffix);
  return "";
}

// Reads a whole file; nullopt when missing or unreadable (the SDKs treat both as "no file").
std::optional<std::string> ReadFile(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string DescribeFile(const std::string& path, bool read) {
  if (path.empty()) return "(no path: HOME not set)";
  return path + (read ? "" : " (not found)");
}

// Profile settings naming a source ragd does not implement, for the "tried" note.
std::string UnsupportedSourceIn(const IniSection& profile) {
  for (const char* key : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                          "web_identity_token_file", "login_session"}) {
    if (profile.count(key)) return key;
  }
  return "";
}

}  // namespace

std::optional<std::string> GetNonEmpty(const EnvLookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

bool EnvIsTrue(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = GetNonEmpty(env, name);
  if (!value) return false;
  std::string lower;
  for (char c : Trim(*value))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "true";
}

IniFile ParseAwsIni(std::string_view text) {
  IniFile file;
  std::optional<std::string> section;
  std::optional<std::string> sub_section;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = Trim(StripComment(raw));
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']' && line.size() >= 2) {
      section = NormalizeSectionName(Trim(line.substr(1, line.size() - 2)));
      sub_section.reset();
      continue;
    }
    if (!section) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (value.empty()) {  // "s3 =" opens an indented sub-section
      sub_section = key;
      continue;
    }
    const bool indented = std::isspace(static_cast<unsigned char>(raw.front()));
    if (sub_section && !indented) sub_section.reset();
    file[*section][sub_section ? *sub_section + "." + key : key] = std::move(value);
  }
  return file;
}

SharedProfile LoadSharedProfile(const EnvLookup& env) {
  SharedProfile profile;
  profile.name = GetNonEmpty(env, "AWS_PROFILE").value_or("default");
  profile.credentials_path =
      SharedFilePath(env, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials");
  profile.config_path = SharedFilePath(env, "AWS_CONFIG_FILE", "/.aws/config");

  if (std::optional<std::string> text = ReadFile(profile.config_path)) {
    profile.config_file_read = true;
    IniFile config = ParseAwsIni(*text);
    // [default] is the default profile in the config file too; [profile default] wins over it.
    for (const std::string& section : profile.name == "default"
                                          ? std::vector<std::string>{"default", "profile default"}
                                          : std::vector<std::string>{"profile " + profile.name}) {
      auto it = config.find(section);
      if (it == config.end()) continue;
      profile.in_config_file = true;
      for (const auto& [k, v] : it->second) profile.config_keys[k] = v;
    }
  }
  if (std::optional<std::string> text = ReadFile(profile.credentials_path)) {
    profile.credentials_file_read = true;
    IniFile credentials = ParseAwsIni(*text);
    if (auto it = credentials.find(profile.name); it != credentials.end()) {
      profile.in_credentials_file = true;
      profile.credentials_keys = it->second;
    }
  }
  profile.merged = profile.config_keys;
  for (const auto& [k, v] : profile.credentials_keys) profile.merged[k] = v;
  return profile;
}

ProviderOutcome CredentialsFromEnvironment(const EnvLookup& env) {
  ProviderOutcome out;
  std::optional<std::string> id = GetNonEmpty(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = GetNonEmpty(env, "AWS_SECRET_ACCESS_KEY");
  if (!id || !secret) {
    out.note = std::string("environment (") +
               (id       ? "AWS_SECRET_ACCESS_KEY not set"
                : secret ? "AWS_ACCESS_KEY_ID not set"
                         : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set") +
               ")";
    return out;
  }
  out.credentials.credentials = {*id, *secret, GetNonEmpty(env, "AWS_SESSION_TOKEN").value_or("")};
  out.credentials.source = "environment";
  if (auto expiration = GetNonEmpty(env, "AWS_CREDENTIAL_EXPIRATION")) {
    StatusOr<std::chrono::system_clock::time_point> t = ParseAwsTimestamp(*expiration);
    if (!t.ok()) {
      out.kind = ProviderOutcome::kFailed;
      out.error = InvalidArgumentError("AWS_CREDENTIAL_EXPIRATION: " + t.status().message());
      return out;
    }
    out.credentials.expiration = *t;
  }
  out.kind = ProviderOutcome::kFound;
  return out;
}

ProviderOutcome CredentialsFromSharedFiles(const EnvLookup& env) {
  ProviderOutcome out;
  SharedProfile profile = LoadSharedProfile(env);
  auto id = profile.merged.find("aws_access_key_id");
  auto secret = profile.merged.find("aws_secret_access_key");
  if (id != profile.merged.end() && secret != profile.merged.end()) {
    out.kind = ProviderOutcome::kFound;
    auto token = profile.merged.find("aws_session_token");
    out.credentials.credentials = {id->second, secret->second,
                                   token == profile.merged.end() ? "" : token->second};
    out.credentials.source = "shared-files (profile " + profile.name + ")";
    return out;
  }
  std::string why;
  if (!profile.in_credentials_file && !profile.in_config_file) {
    why = "not found";
  } else if (std::string unsupported = UnsupportedSourceIn(profile.merged); !unsupported.empty()) {
    why = "uses " + unsupported + ", which ragd does not support";
  } else {
    why = "has no aws_access_key_id and aws_secret_access_key";
  }
  out.note = "shared files (profile \"" + profile.name + "\" " + why + " in " +
             DescribeFile(profile.credentials_path, profile.credentials_file_read) + " and " +
             DescribeFile(profile.config_path, profile.config_file_read) + ")";
  return out;
}

}  // namespace credentials_internal

EnvLookup EnvFromMap(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

EnvLookup ProcessEnvLookup() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

StatusOr<std::string> ResolveAwsRegion(const EnvLookup& env) {
  using credentials_internal::GetNonEmpty;
  if (auto region = GetNonEmpty(env, "AWS_REGION")) return *region;
  if (auto region = GetNonEmpty(env, "AWS_DEFAULT_REGION")) return *region;
  credentials_internal::SharedProfile profile = credentials_internal::LoadSharedProfile(env);
  for (const auto* keys : {&profile.config_keys, &profile.credentials_keys}) {
    if (auto it = keys->find("region"); it != keys->end()) return it->second;
  }
  return FailedPreconditionError(
      "no AWS region: tried AWS_REGION, AWS_DEFAULT_REGION, and `region` of profile \"" +
      profile.name + "\" in " +
      credentials_internal::DescribeFile(profile.config_path, profile.config_file_read) + " and " +
      credentials_internal::DescribeFile(profile.credentials_path, profile.credentials_file_read));
}

}  // namespace ragd
