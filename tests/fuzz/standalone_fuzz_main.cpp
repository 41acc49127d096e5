// standalone_fuzz_main.cpp — a small driver for LLVMFuzzerTestOneInput when libFuzzer is not
// available (gcc builds): runs every corpus file, then random mutations of them (byte flips,
// insertions of grammar tokens, truncations, splices) until -max_total_time=S seconds pass.
// Deterministic for a given -seed=N. Exit status 0 unless the target aborts/crashes.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

const char* kTokens[] = {"(", ")", " and ", " or ", " not ", "=", "!=", " in ", " contains ", " pmatch ",
                         "proc.name", "fd.name", "evt.type", "proc.aname[2]", "val(", "tolower(", "'", "\"",
                         ",", "\n", "- rule: ", "- macro: ", "- list: ", "  condition: ", "  items: [",
                         "]", "  append: true\n", "  override:\n    condition: append\n", "  exceptions:\n",
                         "{", "}", ":", "- ", "  priority: INFO\n", "  output: %proc.name\n", "\\", "[", "%"};

std::string Mutate(const std::string& in, std::mt19937_64& rng) {
  std::string s = in;
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < rounds; ++i) {
    std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0:
        if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng() % 256);
        break;
      case 1:
        s.insert(pos, kTokens[rng() % (sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 2:
        if (!s.empty()) s.erase(pos % s.size(), 1 + rng() % 8);
        break;
      case 3:
        s.resize(pos);
        break;
      case 4:
        if (!s.empty()) {
          std::size_t a = rng() % s.size(), len = 1 + rng() % 32;
          s.insert(pos, s.substr(a, len));
        }
        break;
      default:
        s.insert(pos, std::string(1 + rng() % 64, "(()not "[rng() % 7]));
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  double max_seconds = 10;
  uint64_t seed = 1;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-max_total_time=", 0) == 0) max_seconds = std::stod(a.substr(16));
    else if (a.rfind("-seed=", 0) == 0) seed = std::stoull(a.substr(6));
    else if (std::filesystem::is_directory(a)) {
      std::vector<std::string> files;
      for (const auto& e : std::filesystem::directory_iterator(a)) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        corpus.push_back(ss.str());
      }
    } else {
      std::ifstream in(a, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      corpus.push_back(ss.str());
    }
  }
  if (corpus.empty()) corpus.push_back("");
  for (const auto& c : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  std::mt19937_64 rng(seed);
  auto start = std::chrono::steady_clock::now();
  uint64_t runs = corpus.size();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < max_seconds) {
    std::string input = Mutate(corpus[rng() % corpus.size()], rng);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    ++runs;
    if (runs % 64 == 0 && input.size() < 4096) corpus.push_back(input);  // grow the pool a little
    if (corpus.size() > 4096) corpus.resize(1024);
  }
  std::printf("%llu inputs run in %.0f s without a crash\n", static_cast<unsigned long long>(runs), max_seconds);
  return 0;
}
