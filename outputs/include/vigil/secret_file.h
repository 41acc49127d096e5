// secret_file.h — reads a credential (password, token) from a file named in the config,
// so secrets never appear on command lines or in the YAML itself. Trailing newlines are
// stripped. Cold path (sink set-up). Thread safe.
#pragma once

#include <string>

namespace vigil {

// Returns false and sets *error ("<path>: why") when the file cannot be read or is empty.
bool ReadSecretFile(const std::string& path, std::string* secret, std::string* error);

}  // namespace vigil
