#include "vigil/text_format.h"

#include "vigil/alert_time.h"
#include "vigil/safe_text.h"

namespace vigil {

std::string FormatText(const Alert& alert) {
  std::string line = FormatClockNanos(alert.ts_ns);
  line.append(": ");
  line.append(PriorityName(alert.priority));
  line.push_back(' ');
  AppendEscapedText(alert.output, &line);
  if (alert.suppressed > 0) {
    line.append(" (vigil.suppressed=");
    line.append(std::to_string(alert.suppressed));
    line.push_back(')');
  }
  return line;
}

}  // namespace vigil
