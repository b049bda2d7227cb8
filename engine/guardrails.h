// Guardrails on what users send and on what ragd stores.
//
// CheckInput runs before retrieval and the model: a message that is too long is an error the
// client must fix (422); a message that hits one of the bot's denied terms is not an error but a
// refusal, answered with the bot's refusal_message and never shown to the model.
//
// RedactPii masks personal data in text that is about to be stored (the bot's
// guardrails.redact_pii): e-mail addresses, phone numbers and payment card numbers. It is tuned to
// leave dates, years, prices, times, versions and other numbers alone; a miss is preferred to
// mangling an ordinary number.
//
// Thread-safe; no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/bot_config.h"

namespace ragd {

struct InputDecision {
  bool refused = false;
  std::string refusal_message;  // the bot's refusal_message when refused
  std::string matched_term;     // the denied term as configured (for logs and metrics)
};

// Errors (UnprocessableError on field "content"): empty or blank text; invalid UTF-8; more than
// max_input_chars Unicode code points ("at most N characters").
//
// Denied terms match case-insensitively after Unicode NFKC case folding ("STRASSE" matches
// "straße", full-width letters match ASCII), with runs of whitespace equal. A term matches as a
// word: not inside a longer word ("ass" does not hit "class" or "assess"), though an English
// plural ending is allowed after it ("gun" hits "guns"). In scripts written without spaces
// (Han, Kana, Thai, ...) a term matches anywhere.
StatusOr<InputDecision> CheckInput(const GuardrailsConfig& config, std::string_view text);

// `text` with e-mail addresses -> [EMAIL], phone numbers -> [PHONE], payment card numbers ->
// [CARD].
//  - e-mail: local@domain.tld (internationalised letters allowed; the TLD has 2+ letters).
//  - phone: international "+<country> ..." with 8-15 digits grouped by spaces, dots, dashes or
//    parentheses; US "(555) 123-4567", "555-123-4567", "555.123.4567", "555 123 4567",
//    "1-800-555-0199". Bare digit runs are not phones (order numbers, timestamps).
//  - card: 13-19 digits passing the Luhn check, contiguous or in the groups cards are printed in
//    (4-4-4-4[-3], 4-6-5, 4-6-4) separated by single spaces or dashes.
// Not touched: dates (2024-01-15, 01/15/2024), years, prices ($1,299.99), times, IP addresses,
// ISBNs.
std::string RedactPii(std::string_view text);

// Unicode code points in `text` (an invalid byte counts as one).
int64_t CodePointCount(std::string_view text);

}  // namespace ragd
