#include "engine/names.h"

#include <iterator>

namespace sockerless::engine {

namespace {

// Both lists are lowercase ASCII letters only, so every generated name passes validate_name.
constexpr std::string_view kAdjectives[] = {
    "able",    "agile",    "amber",   "ample",    "artful",   "astute",   "awake",  "balmy",
    "bold",    "brave",    "breezy",  "bright",   "brisk",    "bubbly",   "calm",   "candid",
    "careful", "cheerful", "chipper", "civil",    "clever",   "cosmic",   "cozy",   "crisp",
    "curious", "daring",   "dapper",  "deft",     "devoted",  "diligent", "dreamy", "eager",
    "earnest", "easy",     "elated",  "electric", "eloquent", "epic",     "exact",  "fabled",
    "fair",    "fearless", "fervent", "festive",  "fluent",   "fond",     "frank",  "friendly",
    "gallant", "generous", "gentle",  "gleeful",  "golden",   "graceful", "grand",  "hardy",
    "hearty",  "helpful",  "honest",  "hopeful",  "humble",   "jolly",    "jovial", "joyful",
    "keen",    "kind",     "lively",  "loyal",    "lucid",    "lucky",    "mellow", "merry",
    "mighty",  "modest",   "nimble",  "noble",    "patient",  "peppy",    "placid", "plucky",
    "polite",  "proud",    "quick",   "quiet",    "radiant",  "rapid",    "ready",  "resolute",
    "robust",  "rosy",     "serene",  "sincere",  "snappy",   "spry",     "steady", "sturdy",
    "sunny",   "swift",    "tender",  "thrifty",  "tidy",     "trusty",   "upbeat", "valiant",
    "vivid",   "warm",     "wise",    "witty",    "zany",     "zealous",  "zesty",
};

// Scientists, mathematicians and engineers.
constexpr std::string_view kSurnames[] = {
    "newton",      "einstein",    "maxwell",    "faraday",     "bohr",         "planck",
    "heisenberg",  "schrodinger", "dirac",      "fermi",       "feynman",      "curie",
    "meitner",     "noether",     "rutherford", "thomson",     "chadwick",     "pauli",
    "boltzmann",   "gibbs",       "kelvin",     "joule",       "ampere",       "volta",
    "ohm",         "hertz",       "doppler",    "fresnel",     "huygens",      "galileo",
    "kepler",      "copernicus",  "brahe",      "hubble",      "leavitt",      "chandrasekhar",
    "raman",       "bose",        "saha",       "yukawa",      "wu",           "franklin",
    "hodgkin",     "crick",       "mendel",     "darwin",      "wallace",      "pasteur",
    "koch",        "lister",      "jenner",     "fleming",     "salk",         "sabin",
    "mcclintock",  "carson",      "goodall",    "fossey",      "leakey",       "hawking",
    "penrose",     "sagan",       "rubin",      "burnell",     "cannon",       "payne",
    "herschel",    "halley",      "cassini",    "laplace",     "lagrange",     "euler",
    "gauss",       "riemann",     "hilbert",    "cantor",      "godel",        "turing",
    "church",      "neumann",     "shannon",    "wiener",      "nash",         "ramanujan",
    "erdos",       "hypatia",     "euclid",     "archimedes",  "fibonacci",    "pascal",
    "fermat",      "descartes",   "leibniz",    "bernoulli",   "cauchy",       "galois",
    "abel",        "jacobi",      "dedekind",   "poincare",    "kovalevskaya", "germain",
    "lovelace",    "babbage",     "boole",      "hollerith",   "zuse",         "hopper",
    "backus",      "mccarthy",    "minsky",     "knuth",       "dijkstra",     "hoare",
    "ritchie",     "kernighan",   "stroustrup", "liskov",      "hamilton",     "allen",
    "lamport",     "cerf",        "kahn",       "metcalfe",    "postel",       "engelbart",
    "kay",         "sutherland",  "wirth",      "hamming",     "huffman",      "diffie",
    "hellman",     "rivest",      "shamir",     "goldwasser",  "karp",         "cook",
    "tarjan",      "aho",         "cray",       "moore",       "noyce",        "bardeen",
    "tesla",       "edison",      "bell",       "marconi",     "morse",        "watt",
    "stephenson",  "brunel",      "eiffel",     "diesel",      "benz",         "wright",
    "goddard",     "tsiolkovsky", "korolev",    "johnson",     "vaughan",      "jackson",
    "ride",        "jemison",     "lamarr",     "clarke",      "mayer",        "heaviside",
    "bragg",       "lorentz",     "michelson",  "millikan",    "compton",      "lawrence",
    "szilard",     "wigner",      "bethe",      "lemaitre",    "dyson",        "higgs",
    "weinberg",    "salam",       "glashow",    "tao",         "mirzakhani",   "wiles",
    "conway",      "mandelbrot",  "kolmogorov", "markov",      "pavlov",       "mendeleev",
    "lavoisier",   "dalton",      "boyle",      "pauling",     "nobel",        "hooke",
    "leeuwenhoek", "harvey",      "vesalius",   "nightingale", "blackwell",    "apgar",
    "elion",       "yalow",       "montalcini", "cajal",       "snow",         "banting",
    "sanger",      "mullis",      "doudna",     "charpentier", "wegener",      "humboldt",
    "linnaeus",    "carver",      "borlaug",    "fourier",     "alhazen",      "khwarizmi",
    "khayyam",     "biruni",      "aryabhata",  "brahmagupta",
};

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool name_char(char c) {
    return name_start(c) || c == '_' || c == '.' || c == '-';
}

template <class Words>
std::string_view pick(std::mt19937_64& rng, const Words& words) {
    std::uniform_int_distribution<std::size_t> index(0, std::size(words) - 1);
    return words[index(rng)];
}

}  // namespace

Result<std::string> validate_name(std::string_view name) {
    std::string_view bare = name;
    if (bare.starts_with('/')) bare.remove_prefix(1);
    bool valid = bare.size() >= 2 && name_start(bare.front());
    for (std::size_t i = 1; valid && i < bare.size(); ++i)
        valid = name_char(bare[i]);
    if (!valid) {
        return make_error(Errc::invalid_argument,
                          "Invalid container name (" + std::string(name) +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    return "/" + std::string(bare);
}

std::string random_name(std::mt19937_64& rng, int retry) {
    std::string name(pick(rng, kAdjectives));
    name += '_';
    name += pick(rng, kSurnames);
    if (retry > 0) {
        std::uniform_int_distribution<int> digit(0, 9);
        name += static_cast<char>('0' + digit(rng));
    }
    return name;
}

Result<std::string> generate_name(std::mt19937_64& rng, const IsTaken& is_taken,
                                  std::string_view id) {
    for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
        std::string name = "/" + random_name(rng, attempt);
        if (!is_taken(name)) return name;
    }
    std::string fallback = "/" + std::string(id.substr(0, kShortIdLength));
    if (validate_name(fallback).has_value() && !is_taken(fallback)) return fallback;
    return make_error(Errc::conflict, "no free name for container " + std::string(id) + ": " +
                                          std::to_string(kNameAttempts) + " random names and " +
                                          fallback + " are taken");
}

std::span<const std::string_view> name_adjectives() {
    return kAdjectives;
}

std::span<const std::string_view> name_surnames() {
    return kSurnames;
}

}  // namespace sockerless::engine
