#include "vigil/alert.h"

namespace vigil {

std::string AlertFieldText(const AlertField& f) {
  switch (f.kind) {
    case AlertField::Kind::kString: return f.str;
    case AlertField::Kind::kInt: return std::to_string(f.i);
    case AlertField::Kind::kUint: return std::to_string(f.u);
    case AlertField::Kind::kBool: return f.b ? "true" : "false";
    case AlertField::Kind::kNull: break;
  }
  return "<NA>";
}

}  // namespace vigil
