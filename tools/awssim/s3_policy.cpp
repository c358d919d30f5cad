#include "s3_policy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include <boost/json.hpp>

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxPolicyBytes = std::size_t{20} * 1024;
constexpr std::string_view kS3ArnPrefix = "arn:aws:s3:::";

// S3 actions that act on objects (resource "arn:aws:s3:::bucket/key"), lowercase.
constexpr auto kObjectActions = std::to_array<std::string_view>({
    "s3:abortmultipartupload",
    "s3:bypassgovernanceretention",
    "s3:deleteobject",
    "s3:deleteobjecttagging",
    "s3:deleteobjectversion",
    "s3:deleteobjectversiontagging",
    "s3:getobject",
    "s3:getobjectacl",
    "s3:getobjectattributes",
    "s3:getobjectlegalhold",
    "s3:getobjectretention",
    "s3:getobjecttagging",
    "s3:getobjecttorrent",
    "s3:getobjectversion",
    "s3:getobjectversionacl",
    "s3:getobjectversionattributes",
    "s3:getobjectversionforreplication",
    "s3:getobjectversiontagging",
    "s3:getobjectversiontorrent",
    "s3:listmultipartuploadparts",
    "s3:objectowneroverridetobucketowner",
    "s3:putobject",
    "s3:putobjectacl",
    "s3:putobjectlegalhold",
    "s3:putobjectretention",
    "s3:putobjecttagging",
    "s3:putobjectversionacl",
    "s3:putobjectversiontagging",
    "s3:replicatedelete",
    "s3:replicateobject",
    "s3:replicatetags",
    "s3:restoreobject",
});

// S3 actions that act on buckets (resource "arn:aws:s3:::bucket"), lowercase.
constexpr auto kBucketActions = std::to_array<std::string_view>({
    "s3:createbucket",
    "s3:deletebucket",
    "s3:deletebucketownershipcontrols",
    "s3:deletebucketpolicy",
    "s3:deletebucketwebsite",
    "s3:getaccelerateconfiguration",
    "s3:getanalyticsconfiguration",
    "s3:getbucketacl",
    "s3:getbucketcors",
    "s3:getbucketlocation",
    "s3:getbucketlogging",
    "s3:getbucketnotification",
    "s3:getbucketobjectlockconfiguration",
    "s3:getbucketownershipcontrols",
    "s3:getbucketpolicy",
    "s3:getbucketpolicystatus",
    "s3:getbucketpublicaccessblock",
    "s3:getbucketrequestpayment",
    "s3:getbuckettagging",
    "s3:getbucketversioning",
    "s3:getbucketwebsite",
    "s3:getencryptionconfiguration",
    "s3:getintelligenttieringconfiguration",
    "s3:getinventoryconfiguration",
    "s3:getlifecycleconfiguration",
    "s3:getmetricsconfiguration",
    "s3:getreplicationconfiguration",
    "s3:listbucket",
    "s3:listbucketmultipartuploads",
    "s3:listbucketversions",
    "s3:putaccelerateconfiguration",
    "s3:putanalyticsconfiguration",
    "s3:putbucketacl",
    "s3:putbucketcors",
    "s3:putbucketlogging",
    "s3:putbucketnotification",
    "s3:putbucketobjectlockconfiguration",
    "s3:putbucketownershipcontrols",
    "s3:putbucketpolicy",
    "s3:putbucketpublicaccessblock",
    "s3:putbucketrequestpayment",
    "s3:putbuckettagging",
    "s3:putbucketversioning",
    "s3:putbucketwebsite",
    "s3:putencryptionconfiguration",
    "s3:putintelligenttieringconfiguration",
    "s3:putinventoryconfiguration",
    "s3:putlifecycleconfiguration",
    "s3:putmetricsconfiguration",
    "s3:putreplicationconfiguration",
});

// Actions on no bucket or object (their resource is "*"): valid names, never applicable in a
// bucket policy.
constexpr auto kAccountActions = std::to_array<std::string_view>({
    "s3:listallmybuckets",
    "s3:getaccountpublicaccessblock",
    "s3:putaccountpublicaccessblock",
    "s3:listaccesspoints",
});

ApiError malformed(std::string message) {
    return ApiError{400, "MalformedPolicy", std::move(message)};
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool contains(std::string_view s, char c) {
    return s.find(c) != std::string_view::npos;
}

// Statement fields that hold one string or an array of strings.
ApiResult<std::vector<std::string>> string_list(const json::value& v, const ApiError& bad) {
    std::vector<std::string> out;
    if (v.is_string()) {
        out.emplace_back(v.as_string());
        return out;
    }
    if (!v.is_array() || v.as_array().empty()) return bad;
    for (const auto& item : v.as_array()) {
        if (!item.is_string()) return bad;
        out.emplace_back(item.as_string());
    }
    return out;
}

bool is_account_id(std::string_view s) {
    return s.size() == 12 &&
           std::ranges::all_of(s, [](unsigned char c) { return std::isdigit(c); });
}

// "*", an account id, or an IAM/STS principal ARN of an account.
bool valid_aws_principal(std::string_view p) {
    if (p == "*" || is_account_id(p)) return true;
    for (std::string_view prefix :
         {std::string_view("arn:aws:iam::"), std::string_view("arn:aws:sts::")}) {
        if (!p.starts_with(prefix)) continue;
        std::string_view rest = p.substr(prefix.size());
        if (rest.size() < 14 || !is_account_id(rest.substr(0, 12)) || rest[12] != ':') return false;
        std::string_view what = rest.substr(13);
        if (prefix == "arn:aws:sts::") return what.starts_with("assumed-role/") && what.size() > 13;
        return what == "root" || (what.starts_with("role/") && what.size() > 5) ||
               (what.starts_with("user/") && what.size() > 5);
    }
    return false;
}

ApiResult<std::vector<std::string>> parse_principal(const json::value& v) {
    ApiError bad = malformed("Invalid principal in policy");
    if (v.is_string()) {
        if (v.as_string() != "*") return bad;
        return std::vector<std::string>{"*"};
    }
    if (!v.is_object() || v.as_object().empty()) return bad;
    std::vector<std::string> out;
    for (const auto& [kind, value] : v.as_object()) {
        auto names = string_list(value, bad);
        if (!names) return names.error();
        for (auto& name : *names) {
            if (kind == "AWS") {
                if (!valid_aws_principal(name)) return bad;
                out.push_back(std::move(name));
            } else if (kind == "Service" || kind == "Federated" || kind == "CanonicalUser") {
                // Kept so the statement is valid; no simulated caller is ever such a principal.
                out.push_back(std::string(kind) + ":" + name);
            } else {
                return bad;
            }
        }
    }
    return out;
}

bool known_action(std::string_view action) {
    auto is = [&](const auto& list) { return std::ranges::find(list, action) != list.end(); };
    return is(kObjectActions) || is(kBucketActions) || is(kAccountActions);
}

ApiResult<std::vector<std::string>> parse_actions(const json::value& v) {
    ApiError bad = malformed("Policy has invalid action");
    auto actions = string_list(v, bad);
    if (!actions) return actions.error();
    for (auto& action : *actions) {
        action = lower(action);
        if (action == "*" || action == "s3:*") continue;
        if (!action.starts_with("s3:") || action.size() == 3) return bad;
        if (!contains(action, '*') && !contains(action, '?') && !known_action(action)) return bad;
    }
    return actions;
}

ApiResult<std::vector<std::string>> parse_resources(const json::value& v, std::string_view bucket) {
    ApiError bad = malformed("Policy has invalid resource");
    auto resources = string_list(v, bad);
    if (!resources) return resources.error();
    for (const auto& resource : *resources) {
        if (resource == "*") continue;
        if (!std::string_view(resource).starts_with(kS3ArnPrefix)) return bad;
        std::string_view rest = std::string_view(resource).substr(kS3ArnPrefix.size());
        std::string_view bucket_part = rest.substr(0, rest.find('/'));
        // A wildcard may cover the bucket name and run on into the key.
        if (!iam_wildcard_match(bucket_part, bucket) && !iam_wildcard_match(rest, bucket))
            return bad;
    }
    return resources;
}

// Whether a pattern can name a bucket, and whether it can name an object.
bool names_bucket(std::string_view resource) {
    return resource == "*" || !contains(resource.substr(kS3ArnPrefix.size()), '/');
}
bool names_object(std::string_view resource) {
    return resource == "*" || contains(resource, '/') || contains(resource, '*') ||
           contains(resource, '?');
}

// S3's check that each action named in a statement can act on one of its resources.
ApiResult<void> check_actions_apply(const PolicyStatement& statement) {
    if (statement.not_action || statement.not_resource) return {};
    for (const auto& action : statement.actions) {
        if (contains(action, '*') || contains(action, '?')) continue;
        bool object_action = std::ranges::find(kObjectActions, action) != kObjectActions.end();
        bool bucket_action = std::ranges::find(kBucketActions, action) != kBucketActions.end();
        bool applies = std::ranges::any_of(statement.resources, [&](const std::string& r) {
            return (object_action && names_object(r)) || (bucket_action && names_bucket(r));
        });
        if (!applies) return malformed("Action does not apply to any resource(s) in statement");
    }
    return {};
}

ApiResult<std::vector<std::string>> condition_values(const json::value& v) {
    ApiError bad = malformed("Invalid Condition value");
    auto scalar = [](const json::value& item) -> std::optional<std::string> {
        if (item.is_string()) return std::string(item.as_string());
        if (item.is_bool()) return std::string(item.as_bool() ? "true" : "false");
        if (item.is_int64()) return std::to_string(item.as_int64());
        if (item.is_uint64()) return std::to_string(item.as_uint64());
        return std::nullopt;
    };
    std::vector<std::string> out;
    if (!v.is_array()) {
        auto s = scalar(v);
        if (!s) return bad;
        out.push_back(std::move(*s));
        return out;
    }
    for (const auto& item : v.as_array()) {
        auto s = scalar(item);
        if (!s) return bad;
        out.push_back(std::move(*s));
    }
    return out;
}

ApiResult<std::vector<PolicyCondition>> parse_conditions(const json::value& v) {
    if (!v.is_object()) return malformed("Invalid Condition");
    std::vector<PolicyCondition> out;
    for (const auto& [op, block] : v.as_object()) {
        if (!block.is_object()) return malformed("Invalid Condition");
        for (const auto& [key, value] : block.as_object()) {
            std::string name = lower(key);
            if (!name.starts_with("aws:") && !name.starts_with("s3:"))
                return malformed("Policy has an invalid condition key");
            auto values = condition_values(value);
            if (!values) return values.error();
            out.push_back(PolicyCondition{std::string(op), std::move(name), std::move(*values)});
        }
    }
    return out;
}

// One of two alternative fields ("Action"/"NotAction"), exactly one required.
ApiResult<const json::value*> either(const json::object& o, std::string_view yes,
                                     std::string_view no, bool& negated) {
    const json::value* a = o.if_contains(yes);
    const json::value* b = o.if_contains(no);
    if (a && b)
        return malformed("Statement has both " + std::string(yes) + " and " + std::string(no));
    if (!a && !b) return malformed("Missing required field " + std::string(yes));
    negated = b != nullptr;
    return a ? a : b;
}

ApiResult<PolicyStatement> parse_statement(const json::value& v, std::string_view bucket) {
    if (!v.is_object())
        return malformed("Policies must be valid JSON and the first byte must be '{'");
    const auto& o = v.as_object();
    for (const auto& [field, value] : o) {
        static constexpr std::array<std::string_view, 9> kFields = {
            "Sid",       "Effect",   "Principal",   "NotPrincipal", "Action",
            "NotAction", "Resource", "NotResource", "Condition"};
        if (std::ranges::find(kFields, std::string_view(field)) == kFields.end())
            return malformed("Unknown field " + std::string(field));
    }
    PolicyStatement st;
    if (const auto* sid = o.if_contains("Sid")) {
        if (!sid->is_string()) return malformed("Invalid Sid");
        st.sid = std::string(sid->as_string());
    }
    const auto* effect = o.if_contains("Effect");
    if (!effect) return malformed("Missing required field Effect");
    std::string effect_name = effect->is_string() ? std::string(effect->as_string()) : "";
    if (effect_name != "Allow" && effect_name != "Deny")
        return malformed("Invalid effect: " + effect_name);
    st.allow = effect_name == "Allow";

    auto principal = either(o, "Principal", "NotPrincipal", st.not_principal);
    if (!principal) return principal.error();
    auto principals = parse_principal(**principal);
    if (!principals) return principals.error();
    st.principals = std::move(*principals);

    auto action = either(o, "Action", "NotAction", st.not_action);
    if (!action) return action.error();
    auto actions = parse_actions(**action);
    if (!actions) return actions.error();
    st.actions = std::move(*actions);

    auto resource = either(o, "Resource", "NotResource", st.not_resource);
    if (!resource) return resource.error();
    auto resources = parse_resources(**resource, bucket);
    if (!resources) return resources.error();
    st.resources = std::move(*resources);

    if (const auto* condition = o.if_contains("Condition")) {
        auto conditions = parse_conditions(*condition);
        if (!conditions) return conditions.error();
        st.conditions = std::move(*conditions);
    }
    if (auto applies = check_actions_apply(st); !applies) return applies.error();
    return st;
}

// --- evaluation ---

bool principal_matches(const PolicyStatement& st, const AccessRequest& req) {
    bool root = req.role_arn.empty();
    std::string account_arn = "arn:aws:iam::" + req.account_id + ":root";
    bool any = std::ranges::any_of(st.principals, [&](const std::string& p) {
        if (p == "*" || p == req.principal_arn) return true;
        if (!root && p == req.role_arn) return true;
        // The account principal: the root itself, or (in a Deny) anyone of the account.
        if (p == req.account_id || p == account_arn) return root || !st.allow;
        return false;
    });
    return st.not_principal ? !any : any;
}

bool action_matches(const PolicyStatement& st, std::string_view action) {
    bool any = std::ranges::any_of(
        st.actions, [&](const std::string& a) { return iam_wildcard_match(a, action, true); });
    return st.not_action ? !any : any;
}

bool resource_matches(const PolicyStatement& st, std::string_view resource) {
    bool any = std::ranges::any_of(
        st.resources, [&](const std::string& r) { return iam_wildcard_match(r, resource); });
    return st.not_resource ? !any : any;
}

std::optional<double> number(std::string_view s) {
    double out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return out;
}

struct Operator {
    std::string base;
    bool if_exists = false;
    bool for_all_values = false;
};

Operator split_operator(std::string_view op) {
    Operator out;
    if (op.starts_with("ForAnyValue:")) {
        op.remove_prefix(12);
    } else if (op.starts_with("ForAllValues:")) {
        op.remove_prefix(13);
        out.for_all_values = true;
    }
    if (op.ends_with("IfExists") && op != "IfExists") {
        op.remove_suffix(8);
        out.if_exists = true;
    }
    out.base = std::string(op);
    return out;
}

// Whether `value` (from the request) matches `pattern` (from the policy) under operator `base`;
// nullopt for an unsupported operator.
std::optional<bool> value_matches(std::string_view base, std::string_view pattern,
                                  std::string_view value) {
    if (base == "StringEquals" || base == "StringNotEquals") return pattern == value;
    if (base == "StringEqualsIgnoreCase" || base == "StringNotEqualsIgnoreCase")
        return lower(pattern) == lower(value);
    if (base == "StringLike" || base == "StringNotLike" || base == "ArnEquals" ||
        base == "ArnLike" || base == "ArnNotEquals" || base == "ArnNotLike")
        return iam_wildcard_match(pattern, value);
    if (base == "Bool") return lower(pattern) == lower(value);
    if (base.starts_with("Numeric")) {
        auto p = number(pattern);
        auto v = number(value);
        if (!p || !v) return false;
        if (base == "NumericEquals" || base == "NumericNotEquals") return *v == *p;
        if (base == "NumericLessThan") return *v < *p;
        if (base == "NumericLessThanEquals") return *v <= *p;
        if (base == "NumericGreaterThan") return *v > *p;
        if (base == "NumericGreaterThanEquals") return *v >= *p;
    }
    return std::nullopt;
}

bool supported(std::string_view base) {
    static constexpr auto kSupported = std::to_array<std::string_view>(
        {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
         "StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
         "Bool", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
         "NumericGreaterThan", "NumericGreaterThanEquals"});
    return std::ranges::find(kSupported, base) != kSupported.end();
}

bool negated(std::string_view base) {
    return base == "StringNotEquals" || base == "StringNotEqualsIgnoreCase" ||
           base == "StringNotLike" || base == "ArnNotEquals" || base == "ArnNotLike" ||
           base == "NumericNotEquals";
}

// Whether the condition holds; nullopt when its operator is not supported.
std::optional<bool> condition_holds(const PolicyCondition& cond, const AccessRequest& req) {
    Operator op = split_operator(cond.op);
    auto found = req.context.find(cond.key);
    bool present = found != req.context.end();
    if (op.base == "Null") {
        return std::ranges::any_of(cond.values, [&](const std::string& v) {
            return lower(v) == "true" ? !present : present;
        });
    }
    if (!supported(op.base)) return std::nullopt;
    if (!present) return op.if_exists || op.for_all_values || negated(op.base);
    bool any = std::ranges::any_of(cond.values, [&](const std::string& v) {
        return value_matches(op.base, v, found->second).value_or(false);
    });
    return negated(op.base) ? !any : any;
}

// Whether every condition holds; nullopt when one has an unsupported operator.
std::optional<bool> conditions_hold(const PolicyStatement& st, const AccessRequest& req) {
    bool all = true;
    for (const auto& cond : st.conditions) {
        auto holds = condition_holds(cond, req);
        if (!holds) return std::nullopt;
        all = all && *holds;
    }
    return all;
}

}  // namespace

bool iam_wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case) {
    auto eq = [ignore_case](char a, char b) {
        if (!ignore_case) return a == b;
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    };
    // Iterative glob with single-star backtracking: linear in practice, never exponential.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() &&
            (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

ApiResult<BucketPolicy> parse_bucket_policy(std::string_view document, std::string_view bucket) {
    if (document.size() > kMaxPolicyBytes)
        return malformed("Policy exceeds the maximum allowed document size.");
    boost::system::error_code ec;
    json::value doc = json::parse(document, ec);
    if (ec || !doc.is_object())
        return malformed("Policies must be valid JSON and the first byte must be '{'");
    const auto& o = doc.as_object();
    for (const auto& [field, value] : o) {
        if (field != "Version" && field != "Id" && field != "Statement")
            return malformed("Unknown field " + std::string(field));
    }
    BucketPolicy policy;
    if (const auto* version = o.if_contains("Version")) {
        if (!version->is_string() ||
            (version->as_string() != "2012-10-17" && version->as_string() != "2008-10-17"))
            return malformed("The policy must contain a valid version string");
        policy.version = std::string(version->as_string());
    }
    const auto* statement = o.if_contains("Statement");
    if (!statement) return malformed("Missing required field Statement");
    if (statement->is_array()) {
        if (statement->as_array().empty()) return malformed("Missing required field Statement");
        for (const auto& item : statement->as_array()) {
            auto st = parse_statement(item, bucket);
            if (!st) return st.error();
            policy.statements.push_back(std::move(*st));
        }
    } else {
        auto st = parse_statement(*statement, bucket);
        if (!st) return st.error();
        policy.statements.push_back(std::move(*st));
    }
    return policy;
}

PolicyEffect evaluate_policy(const BucketPolicy& policy, const AccessRequest& request) {
    std::string action = lower(request.action);
    PolicyEffect effect = PolicyEffect::none;
    for (const auto& st : policy.statements) {
        if (!principal_matches(st, request) || !action_matches(st, action) ||
            !resource_matches(st, request.resource))
            continue;
        auto holds = conditions_hold(st, request);
        if (!holds || !*holds) continue;
        if (!st.allow) return PolicyEffect::deny;
        effect = PolicyEffect::allow;
    }
    return effect;
}

bool authorize(const BucketPolicy* policy, const AccessRequest& request) {
    PolicyEffect effect = policy ? evaluate_policy(*policy, request) : PolicyEffect::none;
    if (effect == PolicyEffect::deny) return false;
    if (request.role_arn.empty()) return true;
    return effect == PolicyEffect::allow;
}

bool is_public_policy(const BucketPolicy& policy) {
    return std::ranges::any_of(policy.statements, [](const PolicyStatement& st) {
        bool everyone =
            st.not_principal || std::ranges::find(st.principals, "*") != st.principals.end();
        return st.allow && everyone && st.conditions.empty();
    });
}

}  // namespace sockerless::awssim
