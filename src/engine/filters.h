#pragma once
// Docker's `filters` query parameter (moby api/types/filters.Args): a map from key to a set of
// values, as in `docker ps --filter status=running --filter label=a=b`. Pure: parsing, key and
// value validation, and the matching rules the list endpoints apply, with Docker's semantics
// and error texts.
//
// Every match helper returns true when its key has no values: a filter that is not in use lets
// everything through.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sockerless::engine {

// Docker's message for a filter key, or key and value, it does not accept:
// "invalid filter 'KEY'" or "invalid filter 'KEY=VALUE'" (invalid_argument).
Error invalid_filter(std::string_view key);
Error invalid_filter(std::string_view key, std::string_view value);

class Filters {
public:
    using Values = std::set<std::string, std::less<>>;

    Filters() = default;

    // Parses the query parameter. "" means no filters, as does JSON null. Two encodings are
    // accepted, each for the whole document:
    //   {"status":{"running":true,"exited":true}}   API 1.22 and later
    //   {"status":["running","exited"]}              older clients
    // A value mapped to false in the first form is dropped (its key stays present). Anything
    // else is invalid_argument with Docker's text, "invalid filter".
    static Result<Filters> parse(std::string_view json);

    // Adds one value (the builder behind `--filter key=value`).
    void add(std::string key, std::string value);

    // Every key must be one of `accepted`; otherwise invalid_filter(key) for the first
    // offending key in sorted order.
    [[nodiscard]] Status validate(std::initializer_list<std::string_view> accepted) const;
    [[nodiscard]] Status validate(std::span<const std::string_view> accepted) const;

    [[nodiscard]] bool empty() const { return fields_.empty(); }
    [[nodiscard]] bool contains(std::string_view key) const;
    [[nodiscard]] std::vector<std::string> keys() const;
    // The values of `key`, sorted; empty when the key is absent.
    [[nodiscard]] const Values& values(std::string_view key) const;

    // Docker's ExactMatch: `source` equals one of the values.
    [[nodiscard]] bool match_exact(std::string_view key, std::string_view source) const;
    // Docker's UniqueExactMatch: the key has exactly one value and `source` equals it.
    [[nodiscard]] bool match_unique_exact(std::string_view key, std::string_view source) const;
    // Docker's FuzzyMatch: `source` equals a value or starts with one (ids given as prefixes).
    [[nodiscard]] bool match_prefix(std::string_view key, std::string_view source) const;
    // Docker's Match, used for container "name", "id" and "status": `source` equals a value, or
    // a value read as a regular expression matches somewhere in it ("web" matches "/my-web-1",
    // "^/web$" only "/web"). Values are ECMAScript expressions where Docker's are Go's RE2; they
    // agree on the ordinary syntax. A value that is not a valid expression (or is longer than
    // kMaxPatternLength) only matches exactly, as Docker skips patterns it cannot compile.
    [[nodiscard]] bool match(std::string_view key, std::string_view source) const;
    // Docker's MatchKVList over `labels`: every value "k" needs label k present, every "k=v"
    // needs label k equal to v (split at the first "="). No labels match no value.
    [[nodiscard]] bool match_kv(std::string_view key,
                                const std::map<std::string, std::string>& labels) const;
    // The "label" and "label!" filters together, as Docker's prune endpoints apply them: every
    // "label" value matches (match_kv), and unless "label!" is absent, not all "label!" values
    // match. The list endpoints use only match_kv("label", ...).
    [[nodiscard]] bool match_labels(const std::map<std::string, std::string>& labels) const;

    // Docker's GetBoolOrDefault, for filters such as "dangling": `fallback` when the key is
    // absent; true for values "1"/"true", false for "0"/"false". No value, or values of both
    // kinds or neither, is invalid_filter naming the key and its values
    // ("invalid filter 'dangling=[yes]'").
    [[nodiscard]] Result<bool> get_bool(std::string_view key, bool fallback) const;
    // Every value of `key` as a decimal int, for "exited"; any other value is invalid_argument
    // with Go's strconv text, as Docker passes it on.
    [[nodiscard]] Result<std::vector<std::int64_t>> get_ints(std::string_view key) const;
    // Every value of `key` must be one of `allowed` ("status=created|running|..."); otherwise
    // invalid_filter(key, value) for the first offending value in sorted order.
    [[nodiscard]] Status check_values(std::string_view key,
                                      std::initializer_list<std::string_view> allowed) const;

    // Longest value compiled as a regular expression for match(): bounds the compiler's
    // recursion on hostile input.
    static constexpr std::size_t kMaxPatternLength = 256;

private:
    // A compiled regular expression (defined in filters.cpp, keeping <regex> out of this
    // header). Values are compiled once when added, not once per container matched; copies of a
    // Filters share the immutable compiled patterns.
    struct Pattern;

    std::map<std::string, Values, std::less<>> fields_;
    std::map<std::string, std::vector<std::shared_ptr<const Pattern>>, std::less<>> patterns_;
};

}  // namespace sockerless::engine
