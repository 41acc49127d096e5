// text_format.h — Falco's text alert line: "15:37:51.123456789: Warning <output>",
// followed by " (vigil.suppressed=N)" when duplicates were folded into the alert.
// Control characters and invalid UTF-8 are escaped (see safe_text.h).
// Owner: outputs stage. Pure, thread safe.
#pragma once

#include <string>

#include "vigil/alert.h"

namespace vigil {

std::string FormatText(const Alert& alert);

}  // namespace vigil
