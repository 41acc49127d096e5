// Fuzz target: the daemon config loader (daemon/daemon_config.h LoadDaemonConfig) and the
// outputs section parser it hands `outputs:` to. The input is written to a temp file (the
// loader reads paths); any text must load or fail with "file:line:col: error" messages.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vigil/daemon_config.h"
#include "vigil/outputs_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string path = [] {
    char tmpl[] = "/tmp/vigil-fuzz-config-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) std::abort();
    close(fd);
    return std::string(tmpl);
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  vigil::DaemonConfig config;
  std::vector<std::string> errors;
  if (!vigil::LoadDaemonConfig(path, {}, &config, &errors)) {
    if (errors.empty()) std::abort();
    return 0;
  }
  vigil::OutputsConfig outputs;
  std::vector<std::string> output_errors;
  if (!vigil::ParseOutputsConfig(config.outputs, &outputs, &output_errors) &&
      output_errors.empty())
    std::abort();
  return 0;
}
